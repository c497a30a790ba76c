// The elements of our sets and maps (ruleset.hpp) as the kernel holds
// them: the bytes of each key and value, as nft would write them for the
// sets' `typeof` declarations, so that nft lists what we add (dump() reads
// the table back through nft) and deletes what it lists.
//
// nft's concatenations put each field in its own 32-bit registers: a
// field's bytes are followed by zeros up to a multiple of 4. The fields:
//   ip/ip6 daddr     4 / 16 bytes, network order
//   meta l4proto     1 byte (6, 17)
//   th dport, tcp dport  2 bytes, network order
//   numgen (the slot)    4 bytes, host order (nft's numgen is a host-order integer)
// services4: daddr . l4proto . dport (12 bytes; IPv6 24) : verdict
// backends4: daddr . l4proto . dport . slot (16; IPv6 28) : daddr . dport (8; IPv6 20)
// idle4:     daddr . l4proto . dport . daddr . dport (20; IPv6 44)
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "netlb/vip.hpp"

namespace dcos::netlb::nft {

struct Endpoint {
  Address address;
  uint16_t port = 0;
  auto operator<=>(const Endpoint&) const = default;
};

enum class SetKind : uint8_t { services, backends, idle };

// One of the six sets: services4 ... idle6.
struct ElementSet {
  SetKind kind = SetKind::services;
  bool v4 = true;

  std::string name() const;  // "backends4"
  auto operator<=>(const ElementSet&) const = default;
};

// One element of a set; which fields count depends on the set's kind.
struct Element {
  ServiceKey key;
  uint32_t slot = 0;      // backends: the slot
  Endpoint endpoint;      // backends: the destination; idle: the idle destination
  uint32_t pick = 0;      // services: goto pick-W; 0: accept
  std::string scheduler;  // services: the element's comment
};

// The element changes of one transaction, by set: deletions go first.
struct ElementChanges {
  std::map<ElementSet, std::vector<Element>> deletes, adds;
  bool empty() const { return deletes.empty() && adds.empty(); }
};

using Bytes = std::vector<uint8_t>;

Bytes element_key(SetKind kind, const Element& element);
// The mapped value of a backends element (daddr . dport); empty for the
// other kinds (services map to a verdict, idle is a set).
Bytes element_data(SetKind kind, const Element& element);
// The element in nft's syntax, for messages: "11.0.0.1 . tcp . 80 . 3".
std::string element_text(SetKind kind, const Element& element);

}  // namespace dcos::netlb::nft
