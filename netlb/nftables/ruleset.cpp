#include "netlb/nftables/ruleset.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <charconv>

namespace dcos::netlb::nft {

namespace {

bool scheduler_writable(const std::string& name) {
  if (name.empty() || name.size() > 32) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'; });
}

// The rules of the base chains, by the comment that names each.
constexpr std::string_view kServicesRule =
    "%F daddr . meta l4proto . th dport vmap @services%V comment \"services%V\"";
// The pick rule marks the connection with our conntrack label before its
// DNAT, so that postrouting masquerades only connections we DNATed.
constexpr std::string_view kPickRule =
    "ct label set 127 dnat %F to %F daddr . meta l4proto . th dport . numgen random mod %W map @backends%V comment "
    "\"vip-dnat%V\"";

// Fills a rule template for one family (%F ip/ip6, %V 4/6) and weight.
std::string rule(std::string_view pattern, bool v4, uint32_t slots = 0) {
  std::string out;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '%' && i + 1 < pattern.size()) {
      const char c = pattern[++i];
      if (c == 'F') out += v4 ? "ip" : "ip6";
      else if (c == 'V') out += v4 ? "4" : "6";
      else if (c == 'W') out += std::to_string(slots);
      continue;
    }
    out += pattern[i];
  }
  return out;
}

}  // namespace

ServiceRules layout(const Service& service) {
  ServiceRules rules;
  rules.scheduler = service.scheduler;
  uint32_t slot = 0;
  for (const Destination& d : service.destinations) {
    const Endpoint endpoint{d.address, d.port};
    if (d.weight == 0) rules.idle.insert(endpoint);
    for (uint32_t i = 0; i < d.weight && slot < kMaxSlots; ++i) rules.slots[slot++] = endpoint;
  }
  rules.pick = slot;
  return rules;
}

Result<void> check(const Service& service) {
  const std::string what = service.key.text() + ": ";
  if (service.key.vip.family != AF_INET && service.key.vip.family != AF_INET6)
    return Error{what + "the VIP has no address family"};
  if (!scheduler_writable(service.scheduler))
    return Error{what + "scheduler '" + service.scheduler + "' is not a name (a-z, 0-9, _ or -, at most 32)"};
  uint64_t total = 0;
  for (const Destination& d : service.destinations) {
    if (d.address.family != service.key.vip.family)
      return Error{what + "destination " + d.address.text() + " is not of the VIP's address family"};
    total += d.weight;
  }
  if (total > kMaxSlots)
    return Error{what + "total weight " + std::to_string(total) + " is over the nftables datapath's " +
                 std::to_string(kMaxSlots)};
  return {};
}

Result<Service> service_from(const ServiceKey& key, const ServiceRules& rules) {
  Service service{key, rules.scheduler, {}};
  std::map<Endpoint, uint32_t> weights;
  uint32_t expected = 0;
  for (const auto& [slot, endpoint] : rules.slots) {
    if (slot != expected++) return Error{key.text() + ": slot " + std::to_string(expected - 1) + " is missing"};
    ++weights[endpoint];
  }
  if (rules.pick != rules.slots.size())
    return Error{key.text() + ": " + std::to_string(rules.slots.size()) + " slots but the verdict picks from " +
                 std::to_string(rules.pick)};
  for (const Endpoint& endpoint : rules.idle) {
    if (weights.contains(endpoint))
      return Error{key.text() + ": " + endpoint.address.text() + " is both idle and weighted"};
    weights[endpoint] = 0;
  }
  for (const auto& [endpoint, weight] : weights) service.destinations.push_back({endpoint.address, endpoint.port, weight});
  normalize(service);
  return service;
}

std::string pick_chain(uint32_t slots) { return "pick-" + std::to_string(slots); }

std::optional<uint32_t> pick_slots(std::string_view chain) {
  if (chain.substr(0, 5) != "pick-") return std::nullopt;
  uint32_t slots = 0;
  const char* begin = chain.data() + 5;
  const char* end = chain.data() + chain.size();
  auto [at, error] = std::from_chars(begin, end, slots);
  if (error != std::errc() || at != end || slots == 0 || slots > kMaxSlots || chain != pick_chain(slots))
    return std::nullopt;
  return slots;
}

void Batch::frame() {
  const std::string t = "inet " + table_;
  commands_ += "add table " + t + "\n";
  for (bool v4 : {true, false}) {
    const std::string f = v4 ? "ip" : "ip6", v = v4 ? "4" : "6";
    commands_ += "add map " + t + " services" + v + " { typeof " + f + " daddr . meta l4proto . th dport : verdict; }\n";
    commands_ += "add map " + t + " backends" + v + " { typeof " + f + " daddr . meta l4proto . th dport . numgen random mod 2 : " +
             f + " daddr . tcp dport; }\n";
    commands_ += "add set " + t + " idle" + v + " { typeof " + f + " daddr . meta l4proto . th dport . " + f + " daddr . tcp dport; }\n";
  }
  for (const char* hook : {"prerouting", "output"}) {
    commands_ += std::string("add chain ") + t + " " + hook + " { type nat hook " + hook + " priority -100; policy accept; }\n";
    commands_ += std::string("flush chain ") + t + " " + hook + "\n";
    for (bool v4 : {true, false}) commands_ += "add rule " + t + " " + hook + " " + rule(kServicesRule, v4) + "\n";
  }
  // A local client's packets leave with the VIP (or a loopback address) as
  // their source: masquerade them, so the backend's reply comes back here.
  // Forwarded clients keep their address (the backend sees who called).
  commands_ += "add chain " + t + " postrouting { type nat hook postrouting priority 100; policy accept; }\n";
  commands_ += "flush chain " + t + " postrouting\n";
  commands_ += "add rule " + t + " postrouting ct label 127 fib saddr type local masquerade comment \"masquerade-vips\"\n";
}

void Batch::pick_chain(uint32_t slots, bool refill) {
  const std::string chain = "inet " + table_ + " " + nft::pick_chain(slots);
  commands_ += "add chain " + chain + "\n";
  if (refill) commands_ += "flush chain " + chain + "\n";
  for (bool v4 : {true, false}) commands_ += "add rule " + chain + " " + rule(kPickRule, v4, slots) + "\n";
}

namespace {

Element service_element(const ServiceKey& key, uint32_t pick = 0, std::string scheduler = {}) {
  Element element;
  element.key = key;
  element.pick = pick;
  element.scheduler = std::move(scheduler);
  return element;
}

Element endpoint_element(const ServiceKey& key, const Endpoint& endpoint, uint32_t slot = 0) {
  Element element;
  element.key = key;
  element.endpoint = endpoint;
  element.slot = slot;
  return element;
}

}  // namespace

void Batch::element(bool add, SetKind kind, Element element) {
  const ElementSet set{kind, element.key.vip.is_v4()};
  (add ? elements_.adds : elements_.deletes)[set].push_back(std::move(element));
}

void Batch::change(const ServiceKey& key, const ServiceRules* from, const ServiceRules* to) {
  static const ServiceRules none;
  const ServiceRules& old = from ? *from : none;
  const ServiceRules& now = to ? *to : none;
  if (!to || !from || old.pick != now.pick || old.scheduler != now.scheduler) {
    if (from) element(false, SetKind::services, service_element(key));
    if (to) element(true, SetKind::services, service_element(key, now.pick, now.scheduler));
  }
  for (const auto& [slot, endpoint] : old.slots) {
    auto it = now.slots.find(slot);
    if (it == now.slots.end() || it->second != endpoint) remove_slot(key, slot, endpoint);
  }
  for (const auto& [slot, endpoint] : now.slots) {
    auto it = old.slots.find(slot);
    if (it == old.slots.end() || it->second != endpoint)
      element(true, SetKind::backends, endpoint_element(key, endpoint, slot));
  }
  for (const Endpoint& e : old.idle)
    if (!now.idle.contains(e)) remove_idle(key, e);
  for (const Endpoint& e : now.idle)
    if (!old.idle.contains(e)) element(true, SetKind::idle, endpoint_element(key, e));
}

void Batch::remove_slot(const ServiceKey& key, uint32_t slot, const Endpoint& endpoint) {
  element(false, SetKind::backends, endpoint_element(key, endpoint, slot));
}

void Batch::remove_idle(const ServiceKey& key, const Endpoint& endpoint) {
  element(false, SetKind::idle, endpoint_element(key, endpoint));
}

void Batch::remove_service(const ServiceKey& key) { element(false, SetKind::services, service_element(key)); }

}  // namespace dcos::netlb::nft
