#include "netlb/vip_range.hpp"

#include <charconv>
#include <unordered_map>
#include <vector>

namespace dcos::netlb {

namespace {

constexpr int kRounds = 8;

uint64_t fnv1a64(std::string_view text) {
  uint64_t hash = 14695981039346656037ull;
  for (const unsigned char c : text) hash = (hash ^ c) * 1099511628211ull;
  return hash;
}

uint32_t slot_of(const VipKey& key, int round, uint32_t usable) {
  const std::string text = key.name + '\n' + key.framework + '\n' + std::to_string(round);
  return static_cast<uint32_t>(fnv1a64(text) % usable);
}

}  // namespace

VipRange::VipRange() : VipRange(0x0b000000u, 8) {}

VipRange::VipRange(uint32_t network, int prefix) : network_(network), prefix_(prefix) {
  const uint64_t size = uint64_t{1} << (32 - prefix);
  if (prefix <= 30) {
    first_ = network + 1;
    usable_ = static_cast<uint32_t>(size - 2);
  } else {
    first_ = network;
    usable_ = static_cast<uint32_t>(size);
  }
}

Result<VipRange> VipRange::parse(std::string_view cidr) {
  const std::string text(cidr);
  const auto slash = cidr.find('/');
  if (slash == std::string_view::npos) return Error{"'" + text + "' is not an IPv4 range (e.g. 11.0.0.0/8)"};
  auto address = Address::parse(cidr.substr(0, slash));
  if (!address || !address->is_v4()) return Error{"'" + text + "': named VIP ranges are IPv4 (e.g. 11.0.0.0/8)"};
  const std::string_view digits = cidr.substr(slash + 1);
  int prefix = -1;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
  if (ec != std::errc{} || end != digits.data() + digits.size() || digits.empty() || prefix < 1 || prefix > 32)
    return Error{"'" + text + "': the prefix length must be 1 to 32"};
  const uint32_t mask = prefix == 32 ? ~0u : ~(~0u >> prefix);
  if ((address->v4() & ~mask) != 0)
    return Error{"'" + text + "' has host bits set (the network is " + Address::ipv4(address->v4() & mask).text() +
                 "/" + std::to_string(prefix) + ")"};
  return VipRange(address->v4(), prefix);
}

bool VipRange::contains(const Address& address) const {
  if (!address.is_v4()) return false;
  const uint32_t mask = prefix_ == 32 ? ~0u : ~(~0u >> prefix_);
  return (address.v4() & mask) == network_;
}

std::string VipRange::text() const { return Address::ipv4(network_).text() + "/" + std::to_string(prefix_); }

Address VipRange::at(uint32_t slot) const { return Address::ipv4(first_ + slot); }

std::map<VipKey, Address> allocate_named_vips(const std::set<VipKey>& keys, const VipRange& range) {
  std::map<VipKey, Address> out;
  const uint32_t usable = range.usable();
  std::unordered_map<uint32_t, const VipKey*> taken;
  std::vector<const VipKey*> left;
  for (const auto& key : keys) left.push_back(&key);  // least first: `keys` is ordered
  for (int round = 0; round < kRounds && !left.empty(); ++round) {
    // Claims of this round, each slot's least claimant first (`left` is in order).
    std::unordered_map<uint32_t, const VipKey*> winners;
    std::vector<const VipKey*> losers;
    for (const VipKey* key : left) {
      const uint32_t slot = slot_of(*key, round, usable);
      if (taken.contains(slot) || !winners.emplace(slot, key).second) losers.push_back(key);
    }
    for (const auto& [slot, key] : winners) taken.emplace(slot, key);
    left = std::move(losers);
  }
  // A nearly full range: the first free slot from the key's own, in key order.
  for (const VipKey* key : left) {
    if (taken.size() >= usable) break;
    uint32_t slot = slot_of(*key, 0, usable);
    while (taken.contains(slot)) slot = slot + 1 == usable ? 0 : slot + 1;
    taken.emplace(slot, key);
  }
  for (const auto& [slot, key] : taken) out.emplace(*key, range.at(slot));
  return out;
}

void add_vip_range_flag(FlagSet& flags, VipRange* range) {
  flags.add("vip_range",
            "The IPv4 range named VIPs get their addresses from; the same on every node, in dcos-l4lb and dcos-dns",
            range->text(), [range](std::string_view text) -> Result<void> {
              auto parsed = VipRange::parse(text);
              if (!parsed) return parsed.error();
              *range = *parsed;
              return {};
            });
}

}  // namespace dcos::netlb
