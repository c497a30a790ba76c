// The VIP addresses: IPVS balances only connections to a local address, so
// every VIP is an address on an interface of ours, `minuteman` by default
// (DC/OS's name), programmed with libnl-route.
//
// The interface is a dummy where the kernel has dummy interfaces. Where it
// has none (CONFIG_DUMMY unset, as on this project's hosts) it is one end of
// a veth pair (`minuteman` and `minuteman-peer`, both up, nothing attached
// to the peer): its addresses are local all the same, and both kinds are
// one interface holding only our addresses, so listing, adding, removing
// and reconciling are the same code. An existing interface of either kind
// is adopted (a restart); one of any other kind is an error, never touched.
//
// IPv4 VIPs go in as /32, IPv6 as /128 without duplicate address detection
// (usable at once). Link-local IPv6 addresses the kernel puts on the
// interface itself are not VIPs and are ignored. Adding an address that is
// there, or removing one that is not, succeeds. Errors name the operation,
// the address and the interface, and libnl's reason. Not thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "netlb/vip.hpp"

struct nl_sock;

namespace dcos::netlb {

class VipAddresses {
 public:
  enum class Kind { dummy, veth };

  struct Options {
    std::string interface = "minuteman";  // at most 15 characters
    bool allow_dummy = true;              // false: the fallback even where dummies exist (tests)
  };

  // Opens the interface in the calling thread's network namespace, creating
  // and bringing it up when missing.
  static Result<std::unique_ptr<VipAddresses>> open(const Options& options);
  static Result<std::unique_ptr<VipAddresses>> open() { return open(Options{}); }

  ~VipAddresses();
  VipAddresses(const VipAddresses&) = delete;
  VipAddresses& operator=(const VipAddresses&) = delete;

  Kind kind() const { return kind_; }
  std::string_view kind_name() const { return kind_ == Kind::dummy ? "dummy" : "veth"; }
  const std::string& interface() const { return interface_; }

  Result<std::vector<Address>> list();  // sorted
  Result<void> add(const Address& address);
  Result<void> remove(const Address& address);

  // Makes the interface hold exactly `want` (the VIPs of the table): adds
  // what is missing first, then removes what is no longer wanted.
  struct Changes {
    std::vector<Address> added, removed;
  };
  Result<Changes> reconcile(const std::vector<Address>& want);

  // dcos-l4lb --cleanup: deletes the interface (and a veth's peer with it).
  Result<void> remove_interface();

 private:
  VipAddresses(nl_sock* socket, std::string interface, Kind kind, int index);

  nl_sock* socket_;
  std::string interface_;
  Kind kind_;
  int index_;
};

// The addresses the table's services need, sorted and unique.
std::vector<Address> vip_addresses_of(const VipTable& table);

}  // namespace dcos::netlb
