#include "netlb/vip_addresses.hpp"

#include <linux/if_addr.h>
#include <net/if.h>
#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/rtnl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <set>

namespace dcos::netlb {

namespace {

template <class T, void (*Free)(T*)>
struct Freer {
  void operator()(T* object) const { Free(object); }
};
using Link = std::unique_ptr<rtnl_link, Freer<rtnl_link, rtnl_link_put>>;
using RouteAddress = std::unique_ptr<rtnl_addr, Freer<rtnl_addr, rtnl_addr_put>>;
using NlAddress = std::unique_ptr<nl_addr, Freer<nl_addr, nl_addr_put>>;
using Cache = std::unique_ptr<nl_cache, Freer<nl_cache, nl_cache_free>>;
using Socket = std::unique_ptr<nl_sock, Freer<nl_sock, nl_socket_free>>;

std::string peer_of(const std::string& interface) { return interface.substr(0, IFNAMSIZ - 1 - 5) + "-peer"; }

Result<Link> get_link(nl_sock* socket, const std::string& name) {
  rtnl_link* link = nullptr;
  if (int rc = rtnl_link_get_kernel(socket, 0, name.c_str(), &link); rc < 0)
    return Error{"interface " + name + ": " + nl_geterror(rc)};
  return Link(link);
}

Result<void> set_up(nl_sock* socket, const std::string& name) {
  auto link = get_link(socket, name);
  if (!link) return link.error();
  Link change(rtnl_link_alloc());
  if (!change) return Error{"interface " + name + ": cannot allocate a link"};
  rtnl_link_set_flags(change.get(), IFF_UP);
  if (int rc = rtnl_link_change(socket, link->get(), change.get(), 0); rc < 0)
    return Error{"interface " + name + ": set up: " + nl_geterror(rc)};
  return {};
}

// "" when made, else why not.
std::string create_dummy(nl_sock* socket, const std::string& name) {
  Link link(rtnl_link_alloc());
  if (!link) return "cannot allocate a link";
  rtnl_link_set_name(link.get(), name.c_str());
  if (int rc = rtnl_link_set_type(link.get(), "dummy"); rc < 0) return nl_geterror(rc);
  if (int rc = rtnl_link_add(socket, link.get(), NLM_F_CREATE | NLM_F_EXCL); rc < 0) return nl_geterror(rc);
  return "";
}

// Both ends in the calling thread's namespace (rtnl_link_veth_add would
// name a process's, and a test's thread may be elsewhere).
std::string create_veth(nl_sock* socket, const std::string& name, const std::string& peer_name) {
  // rtnl_link_put would leave the peer behind; the pair goes together.
  std::unique_ptr<rtnl_link, Freer<rtnl_link, rtnl_link_veth_release>> link(rtnl_link_veth_alloc());
  if (!link) return "cannot allocate a veth link";
  rtnl_link_set_name(link.get(), name.c_str());
  Link peer(rtnl_link_veth_get_peer(link.get()));  // a reference of its own (libnl 3.5 and later)
  rtnl_link_set_name(peer.get(), peer_name.c_str());
  if (int rc = rtnl_link_add(socket, link.get(), NLM_F_CREATE | NLM_F_EXCL); rc < 0) return nl_geterror(rc);
  return "";
}

Result<VipAddresses::Kind> create(nl_sock* socket, const VipAddresses::Options& options) {
  const std::string& name = options.interface;
  std::string dummy_failure = "not tried";
  if (options.allow_dummy) {
    dummy_failure = create_dummy(socket, name);
    if (dummy_failure.empty()) {
      if (auto up = set_up(socket, name); !up) return up.error();
      return VipAddresses::Kind::dummy;
    }
  }
  const std::string peer = peer_of(name);
  if (std::string failure = create_veth(socket, name, peer); !failure.empty())
    return Error{"cannot create interface " + name + ": as a dummy: " + dummy_failure + "; as a veth pair with " +
                 peer + ": " + failure};
  for (const std::string& end : {peer, name})
    if (auto up = set_up(socket, end); !up) return up.error();
  return VipAddresses::Kind::veth;
}

NlAddress to_nl(const Address& address) {
  NlAddress result(nl_addr_build(address.family, address.bytes.data(), address.size()));
  if (result) nl_addr_set_prefixlen(result.get(), static_cast<int>(address.size() * 8));
  return result;
}

}  // namespace

VipAddresses::VipAddresses(nl_sock* socket, std::string interface, Kind kind, int index)
    : socket_(socket), interface_(std::move(interface)), kind_(kind), index_(index) {}

VipAddresses::~VipAddresses() { nl_socket_free(socket_); }

Result<std::unique_ptr<VipAddresses>> VipAddresses::open(const Options& options) {
  const std::string& name = options.interface;
  if (name.empty() || name.size() >= IFNAMSIZ) return Error{"interface name '" + name + "': 1 to 15 characters"};
  Socket socket(nl_socket_alloc());
  if (!socket) return Error{"VIP addresses: cannot allocate a netlink socket"};
  if (int rc = nl_connect(socket.get(), NETLINK_ROUTE); rc < 0)
    return Error{std::string("VIP addresses: route netlink socket: ") + nl_geterror(rc)};

  Kind kind = Kind::dummy;
  rtnl_link* found = nullptr;
  if (rtnl_link_get_kernel(socket.get(), 0, name.c_str(), &found) == 0) {
    Link existing(found);
    const char* type = rtnl_link_get_type(existing.get());
    const std::string type_name = type ? type : "of no kind";
    if (type_name != "dummy" && type_name != "veth")
      return Error{"interface " + name + " exists and is " + type_name + ", not a dummy or veth of ours; leaving it"};
    kind = type_name == "dummy" ? Kind::dummy : Kind::veth;
    if (auto up = set_up(socket.get(), name); !up) return up.error();
  } else {
    auto created = create(socket.get(), options);
    if (!created) return created.error();
    kind = *created;
  }
  auto link = get_link(socket.get(), name);
  if (!link) return link.error();
  const int index = rtnl_link_get_ifindex(link->get());
  return std::unique_ptr<VipAddresses>(new VipAddresses(socket.release(), name, kind, index));
}

Result<std::vector<Address>> VipAddresses::list() {
  nl_cache* raw = nullptr;
  if (int rc = rtnl_addr_alloc_cache(socket_, &raw); rc < 0)
    return Error{"VIP addresses: list addresses of " + interface_ + ": " + nl_geterror(rc)};
  Cache cache(raw);
  std::vector<Address> addresses;
  for (nl_object* object = nl_cache_get_first(cache.get()); object; object = nl_cache_get_next(object)) {
    auto* entry = reinterpret_cast<rtnl_addr*>(object);
    if (rtnl_addr_get_ifindex(entry) != index_) continue;
    const int family = rtnl_addr_get_family(entry);
    nl_addr* local = rtnl_addr_get_local(entry);
    if ((family != AF_INET && family != AF_INET6) || !local) continue;
    if (family == AF_INET6 && rtnl_addr_get_scope(entry) == RT_SCOPE_LINK) continue;
    Address address;
    address.family = family;
    if (nl_addr_get_len(local) != address.size()) continue;
    std::memcpy(address.bytes.data(), nl_addr_get_binary_addr(local), address.size());
    addresses.push_back(address);
  }
  std::sort(addresses.begin(), addresses.end());
  addresses.erase(std::unique(addresses.begin(), addresses.end()), addresses.end());
  return addresses;
}

namespace {

// An address on the interface `index`, as add and delete requests carry it.
Result<RouteAddress> entry_for(int index, const Address& address) {
  NlAddress local = to_nl(address);
  RouteAddress entry(rtnl_addr_alloc());
  if (!local || !entry) return Error{"cannot allocate"};
  rtnl_addr_set_ifindex(entry.get(), index);
  if (int rc = rtnl_addr_set_local(entry.get(), local.get()); rc < 0) return Error{nl_geterror(rc)};
  if (!address.is_v4()) rtnl_addr_set_flags(entry.get(), IFA_F_NODAD);
  return entry;
}

}  // namespace

Result<void> VipAddresses::add(const Address& address) {
  const std::string what = "VIP addresses: add " + address.text() + " to " + interface_ + ": ";
  auto entry = entry_for(index_, address);
  if (!entry) return Error{what + entry.error().message};
  const int rc = rtnl_addr_add(socket_, entry->get(), NLM_F_EXCL);
  if (rc < 0 && rc != -NLE_EXIST) return Error{what + nl_geterror(rc)};
  return {};
}

Result<void> VipAddresses::remove(const Address& address) {
  const std::string what = "VIP addresses: remove " + address.text() + " from " + interface_ + ": ";
  auto entry = entry_for(index_, address);
  if (!entry) return Error{what + entry.error().message};
  const int rc = rtnl_addr_delete(socket_, entry->get(), 0);
  if (rc < 0 && rc != -NLE_NOADDR && rc != -NLE_OBJ_NOTFOUND) return Error{what + nl_geterror(rc)};
  return {};
}

Result<VipAddresses::Changes> VipAddresses::reconcile(const std::vector<Address>& want) {
  auto have = list();
  if (!have) return have.error();
  const std::set<Address> wanted(want.begin(), want.end());
  const std::set<Address> held(have->begin(), have->end());
  Changes changes;
  for (const Address& address : wanted) {
    if (held.contains(address)) continue;
    if (auto added = add(address); !added) return added.error();
    changes.added.push_back(address);
  }
  for (const Address& address : held) {
    if (wanted.contains(address)) continue;
    if (auto removed = remove(address); !removed) return removed.error();
    changes.removed.push_back(address);
  }
  return changes;
}

Result<void> VipAddresses::remove_interface() {
  auto link = get_link(socket_, interface_);
  if (!link) return link.error();
  if (int rc = rtnl_link_delete(socket_, link->get()); rc < 0)
    return Error{"interface " + interface_ + ": delete: " + nl_geterror(rc)};
  return {};
}

std::vector<Address> vip_addresses_of(const VipTable& table) {
  std::vector<Address> addresses;
  for (const auto& [key, service] : table) addresses.push_back(key.vip);
  std::sort(addresses.begin(), addresses.end());
  addresses.erase(std::unique(addresses.begin(), addresses.end()), addresses.end());
  return addresses;
}

}  // namespace dcos::netlb
