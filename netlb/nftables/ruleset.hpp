// The shape of our nftables table, the nft commands that build it and the
// element changes that fill it. No kernel: datapath.cpp runs what this writes.
//
//   table inet dcos-l4lb
//     map services4   (vip . proto . port) : verdict     goto pick-W, or accept (no weight)
//     map backends4   (vip . proto . port . slot) : backend address . port
//     set idle4       (vip . proto . port . backend address . port)   weight 0
//     (the same three for IPv6: services6, backends6, idle6)
//     chain prerouting, output   nat, dstnat: the services vmaps
//     chain postrouting          nat, srcnat: masquerade local clients of connections we DNATed (ct label 127)
//     chain pick-W               ct label set 127, dnat to (vip . proto . port . numgen random mod W) map @backends
//
// A destination of weight w holds w slots of its service, so a random slot
// picks it with probability w / W; a weight-0 destination holds no slot (no
// new connections; the old ones keep their conntrack NAT entry) and is
// listed in idle. The scheduler's name rides on the services element as
// its comment. Chains are shared by every service of the same total weight
// W (chains are what costs in nftables; elements are cheap), so one
// backend change is a few element updates in one transaction.
// The elements' bytes: elements.hpp.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "netlb/nftables/elements.hpp"
#include "netlb/vip.hpp"

namespace dcos::netlb::nft {

// The most slots (the sum of the weights) of one service.
inline constexpr uint32_t kMaxSlots = 1024;
// pick-1 .. pick-N are made with the table (see datapath.cpp).
inline constexpr uint32_t kPreparedPicks = 64;

// The kernel's side of one service, as the table holds it (or will).
struct ServiceRules {
  std::string scheduler;
  uint32_t pick = 0;                          // W of the pick-W chain; 0: accept
  std::map<uint32_t, Endpoint> slots;         // slot -> destination
  std::set<Endpoint> idle;                    // weight 0
};

// What apply() lays out for a service: slots in destination order.
ServiceRules layout(const Service& service);

// Checks that the nftables datapath can hold `service` (same family
// throughout, total weight bounded, a scheduler name we can write).
Result<void> check(const Service& service);

// The service a consistent ServiceRules stands for; an error when it is
// not consistent (slots not 0..W-1, a verdict for another W, a destination
// both idle and weighted).
Result<Service> service_from(const ServiceKey& key, const ServiceRules& rules);

std::string pick_chain(uint32_t slots);  // "pick-3"
// W of a chain named pick-W (as pick_chain writes it, 1..kMaxSlots), or nullopt.
std::optional<uint32_t> pick_slots(std::string_view chain);

// The changes of one apply (or one dump's healing): nft commands for the
// frame and the pick chains (libnftables runs them), and the element
// changes (sent as one netlink batch, element_batch.hpp). datapath.cpp runs
// the commands first: they only add what the elements may refer to.
class Batch {
 public:
  explicit Batch(std::string table) : table_(std::move(table)) {}

  void frame();                    // table, maps, sets, base chains and their rules (idempotent)
  // Chain pick-W and its rules: `refill` empties an existing chain first
  // (nft then reads the whole table, elements too: slow on a big table);
  // without, the chain must not exist yet.
  void pick_chain(uint32_t slots, bool refill);
  // The element changes from `from` to `to` for one service (either may be
  // null: the service is new, or goes).
  void change(const ServiceKey& key, const ServiceRules* from, const ServiceRules* to);
  void remove_slot(const ServiceKey& key, uint32_t slot, const Endpoint& endpoint);
  void remove_idle(const ServiceKey& key, const Endpoint& endpoint);
  void remove_service(const ServiceKey& key);

  bool empty() const { return commands_.empty() && elements_.empty(); }
  const std::string& commands() const { return commands_; }  // nft's text; empty when none
  const ElementChanges& elements() const { return elements_; }

 private:
  void element(bool add, SetKind kind, Element element);

  std::string table_;
  std::string commands_;  // frame and chains
  ElementChanges elements_;
};

}  // namespace dcos::netlb::nft
