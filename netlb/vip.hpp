// The VIP table: what the load balancer wants the kernel to hold.
//
// A service is a (protocol, VIP address, port) with a scheduler and a set of
// destinations (backend address, port, weight). The table is a plain value,
// ordered, so that two tables compare and diff cheaply (plan.hpp); every
// datapath (IPVS, nftables) programs and dumps the same shape. IPv4 and
// IPv6 addresses are held as 16 bytes with their family. Not thread-safe
// beyond what a value type is.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/result.hpp"

namespace dcos::netlb {

enum class Protocol : uint8_t { tcp = 6, udp = 17 };  // the IP protocol numbers

std::string_view protocol_name(Protocol protocol);  // "tcp", "udp"
Result<Protocol> parse_protocol(std::string_view text);

struct Address {
  int family = 0;                   // AF_INET or AF_INET6
  std::array<uint8_t, 16> bytes{};  // network order; IPv4 in the first 4

  static Result<Address> parse(std::string_view text);  // "10.0.0.1", "fd00::1"
  static Address ipv4(uint32_t host_order);
  std::string text() const;
  bool is_v4() const;
  uint32_t v4() const;  // host order; only for is_v4()
  std::size_t size() const;  // 4 or 16

  auto operator<=>(const Address&) const = default;
};

struct ServiceKey {
  Protocol protocol = Protocol::tcp;
  Address vip;
  uint16_t port = 0;

  std::string text() const;  // "tcp 11.1.2.3:80", "udp [fd00::1]:53"
  auto operator<=>(const ServiceKey&) const = default;
};

struct Destination {
  Address address;
  uint16_t port = 0;
  // 0: no new connections (existing ones keep going); 1 for a running,
  // healthy task.
  uint32_t weight = 1;

  // A destination is known by its address and port; the weight is what an
  // update changes.
  bool same_endpoint(const Destination& other) const { return address == other.address && port == other.port; }
  auto operator<=>(const Destination&) const = default;
};

struct Service {
  ServiceKey key;
  std::string scheduler = "wlc";  // IPVS's names; nftables maps them to what it has
  std::vector<Destination> destinations;  // sorted by (address, port), unique

  bool operator==(const Service&) const = default;
};

using VipTable = std::map<ServiceKey, Service>;

// Sorts a service's destinations and drops repeats of an endpoint (the
// highest weight wins), so a table built from any source is canonical.
void normalize(Service& service);

}  // namespace dcos::netlb
