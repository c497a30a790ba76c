#include "dnsproxy/client_networks.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <memory>

namespace dcos::dns {

namespace {

constexpr unsigned kMappedBits = 96;  // ::ffff:0:0/96 holds IPv4

ClientNetworks::Address mapped(const void* v4) {
  ClientNetworks::Address address{};
  address[10] = address[11] = 0xff;
  std::memcpy(address.data() + 12, v4, 4);
  return address;
}

bool is_mapped(const ClientNetworks::Address& address) {
  return std::all_of(address.begin(), address.begin() + 10, [](std::uint8_t b) { return b == 0; }) &&
         address[10] == 0xff && address[11] == 0xff;
}

}  // namespace

Result<ClientNetworks> ClientNetworks::parse(std::string_view text) {
  ClientNetworks networks;
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    if (item == "local") {
      const ClientNetworks own = local();
      networks.networks_.insert(networks.networks_.end(), own.networks_.begin(), own.networks_.end());
    } else if (auto added = networks.add(item); !added) {
      return added.error();
    }
    if (comma != std::string_view::npos && text.empty()) return Error{"an empty network after the last ','"};
  }
  if (networks.networks_.empty()) return Error{"no client network given (\"local\" is the node's own)"};
  return networks;
}

Result<void> ClientNetworks::add(std::string_view cidr) {
  const std::size_t slash = cidr.find('/');
  const std::string host(cidr.substr(0, slash));
  unsigned char bytes[16];
  Address address{};
  unsigned max_bits = 128;
  if (inet_pton(AF_INET, host.c_str(), bytes) == 1) {
    address = mapped(bytes);
    max_bits = 32;
  } else if (inet_pton(AF_INET6, host.c_str(), bytes) == 1) {
    std::memcpy(address.data(), bytes, 16);
  } else {
    return Error{"'" + std::string(cidr) + "' is not an address or a network (10.0.0.0/8, fd00::/8)"};
  }
  unsigned bits = max_bits;
  if (slash != std::string_view::npos) {
    const std::string_view digits = cidr.substr(slash + 1);
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), bits);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || bits > max_bits)
      return Error{"'" + std::string(cidr) + "' has a prefix length outside 0-" + std::to_string(max_bits)};
  }
  add(address, max_bits == 32 ? kMappedBits + bits : bits);
  return {};
}

void ClientNetworks::add(const Address& prefix, unsigned bits) {
  Network network{prefix, bits};
  // Clear the host bits, so contains() compares whole bytes.
  for (unsigned i = 0; i < 16; ++i) {
    const unsigned keep = bits > i * 8 ? std::min(8u, bits - i * 8) : 0;
    network.prefix[i] &= static_cast<std::uint8_t>(0xff00 >> keep);
  }
  networks_.push_back(network);
}

ClientNetworks ClientNetworks::local() {
  ClientNetworks networks;
  (void)networks.add("127.0.0.0/8");
  (void)networks.add("::1/128");
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return networks;  // loopback alone: the safe side
  std::unique_ptr<ifaddrs, decltype(&::freeifaddrs)> owned(list, &::freeifaddrs);
  for (const ifaddrs* entry = list; entry; entry = entry->ifa_next) {
    if (!entry->ifa_addr) continue;
    if (entry->ifa_addr->sa_family == AF_INET) {
      networks.add(mapped(&reinterpret_cast<const sockaddr_in*>(entry->ifa_addr)->sin_addr), 128);
    } else if (entry->ifa_addr->sa_family == AF_INET6) {
      Address address{};
      std::memcpy(address.data(), &reinterpret_cast<const sockaddr_in6*>(entry->ifa_addr)->sin6_addr, 16);
      networks.add(address, 128);
    }
  }
  return networks;
}

bool ClientNetworks::contains(const Address& address) const {
  for (const auto& network : networks_) {
    const unsigned whole = network.bits / 8, rest = network.bits % 8;
    if (std::memcmp(address.data(), network.prefix.data(), whole) != 0) continue;
    if (rest == 0 || (address[whole] & static_cast<std::uint8_t>(0xff00 >> rest)) == network.prefix[whole]) return true;
  }
  return false;
}

std::string ClientNetworks::describe() const {
  std::string out;
  for (const auto& network : networks_) {
    char buffer[INET6_ADDRSTRLEN] = {};
    const bool v4 = is_mapped(network.prefix) && network.bits >= kMappedBits;
    if (v4) {
      ::inet_ntop(AF_INET, network.prefix.data() + 12, buffer, sizeof buffer);
    } else {
      ::inet_ntop(AF_INET6, network.prefix.data(), buffer, sizeof buffer);
    }
    if (!out.empty()) out += ",";
    out += std::string(buffer) + "/" + std::to_string(v4 ? network.bits - kMappedBits : network.bits);
  }
  return out;
}

}  // namespace dcos::dns
