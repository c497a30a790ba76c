// Named VIPs' addresses: an IPv4 range (--vip_range, default 11.0.0.0/8)
// and the allocation of one address per named VIP inside it, computed the
// same on every node from nothing but the set of names (so dcos-l4lb and
// dcos-dns on every node agree without talking to each other).
//
// The scheme (see netlb/README.md for its limits):
//   slot(key, r) = FNV-1a-64("<name>\n<framework>\n<r>") mod usable
//   round r = 0..7: every key still without an address claims slot(key, r);
//     a slot taken in an earlier round stays taken; among the keys claiming
//     a free slot in the same round the least key (name, then framework)
//     wins; the others go on to the next round.
//   after 8 rounds (only in a nearly full range) the keys left, least
//     first, take the first free slot at or after slot(key, 0), wrapping.
// The result depends on the set of keys and not on their order. A key
// keeps its address when others come and go unless one of them hashes
// onto it (per pair, about one chance in the range's size per round).
//
// The usable addresses of a range of prefix /30 or shorter leave out its
// first and last address. Pure; thread-safe as far as its values are.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>

#include "netlb/vip.hpp"
#include "runtime/flags.hpp"

namespace dcos::netlb {

class VipRange {
 public:
  VipRange();  // 11.0.0.0/8
  // "11.0.0.0/8"; the address must be the network's first (no host bits).
  static Result<VipRange> parse(std::string_view cidr);

  bool contains(const Address& address) const;
  std::string text() const;
  uint32_t usable() const { return usable_; }  // how many addresses it can give out
  Address at(uint32_t slot) const;             // slot < usable()

 private:
  VipRange(uint32_t network, int prefix);
  uint32_t network_ = 0;  // host order
  int prefix_ = 0;
  uint32_t first_ = 0;  // the first usable, host order
  uint32_t usable_ = 0;
};

// A named VIP: the label's name (lower case, without the '/') and the
// name of the framework whose task carries it. Two frameworks' VIPs of the
// same name are two VIPs, as in DC/OS.
struct VipKey {
  std::string name;
  std::string framework;
  auto operator<=>(const VipKey&) const = default;
};

// Every key's address. When there are more keys than usable addresses, the
// greatest keys get none (they are missing from the map).
std::map<VipKey, Address> allocate_named_vips(const std::set<VipKey>& keys, const VipRange& range);

// --vip_range, the same in dcos-l4lb and dcos-dns (which must agree).
void add_vip_range_flag(FlagSet& flags, VipRange* range);

}  // namespace dcos::netlb
