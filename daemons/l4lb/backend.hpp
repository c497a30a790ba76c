// The kernel side dcos-l4lb drives, chosen by --backend: a netlb Datapath
// (IPVS or nftables) and, where the datapath needs them, the VIP addresses
// on the node. The one place that knows which datapaths exist.
#pragma once

#include <functional>
#include <memory>
#include <set>

#include "daemons/l4lb/flags.hpp"
#include "netlb/datapath.hpp"

namespace dcos::l4lb {

struct Backend {
  std::unique_ptr<netlb::Datapath> datapath;
  // Makes `addresses` exactly the VIP addresses held on the node (IPVS
  // balances only to local addresses); unset for a datapath that needs
  // none (nftables rewrites before routing). Called with the old and new
  // VIPs together before a change, and with the new ones after it.
  std::function<Result<void>(const std::set<netlb::Address>&)> hold_addresses;
  // --cleanup: removes the addresses and what holds them (the interface).
  std::function<Result<void>()> release_addresses;
};

// Opens the datapath `choice` names (auto: IPVS if the kernel resolves the
// IPVS generic netlink family, loading ip_vs if need be, else nftables; ipvs
// on a kernel without IPVS: a datapath that tries again at each use); an
// Error says why it cannot.
Result<Backend> open_backend(BackendChoice choice);

// A datapath that only holds the table in memory: --backend=none.
std::unique_ptr<netlb::Datapath> make_memory_datapath();

}  // namespace dcos::l4lb
