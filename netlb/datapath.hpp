// A datapath: the kernel's side of the load balancer (IPVS over generic
// netlink, or nftables), behind one small interface so that the daemon
// drives either the same way:
//
//   dump()   what the kernel holds now, of what this datapath owns (IPVS:
//            every service; nftables: our table only), as a VipTable;
//   apply()  a plan (plan.hpp), in order; on error, the changes before the
//            failing one may have been applied (the next reconcile dumps
//            and plans again, so a partial apply heals);
//   remove_all() everything this datapath owns (dcos-l4lb --cleanup).
//
// A dump may answer from what the datapath knows the kernel holds when it
// can prove nothing changed since it last read it (nftables: the ruleset's
// generation); unchanged_dumps() counts those.
//
// The VIP addresses themselves (on the `minuteman` dummy interface, or the
// fallback where the kernel has none) are not a datapath's business: see
// vip_addresses.hpp. Implementations are not thread-safe; the daemon calls
// them from its io thread.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "netlb/plan.hpp"
#include "netlb/vip.hpp"

namespace dcos::netlb {

class Datapath {
 public:
  virtual ~Datapath() = default;
  virtual std::string_view name() const = 0;  // "ipvs", "nftables"
  virtual Result<VipTable> dump() = 0;
  virtual Result<void> apply(std::span<const Change> changes) = 0;
  virtual Result<void> remove_all() = 0;
  // Dumps answered without reading the kernel's table (0 where every dump reads it).
  virtual uint64_t unchanged_dumps() const { return 0; }
};

// Brings the kernel to `want`: dump, plan, apply. Returns the changes made.
Result<std::vector<Change>> reconcile(Datapath& datapath, const VipTable& want);

}  // namespace dcos::netlb
