#include "netlb/vip.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace dcos::netlb {

std::string_view protocol_name(Protocol protocol) { return protocol == Protocol::udp ? "udp" : "tcp"; }

Result<Protocol> parse_protocol(std::string_view text) {
  if (text == "tcp") return Protocol::tcp;
  if (text == "udp") return Protocol::udp;
  return Error{"unknown protocol '" + std::string(text) + "' (tcp or udp)"};
}

Result<Address> Address::parse(std::string_view text) {
  const std::string copy(text);
  Address address;
  if (inet_pton(AF_INET, copy.c_str(), address.bytes.data()) == 1) {
    address.family = AF_INET;
    return address;
  }
  if (inet_pton(AF_INET6, copy.c_str(), address.bytes.data()) == 1) {
    address.family = AF_INET6;
    return address;
  }
  return Error{"'" + copy + "' is not an IPv4 or IPv6 address"};
}

Address Address::ipv4(uint32_t host_order) {
  Address address;
  address.family = AF_INET;
  const uint32_t network = htonl(host_order);
  std::memcpy(address.bytes.data(), &network, 4);
  return address;
}

bool Address::is_v4() const { return family == AF_INET; }

uint32_t Address::v4() const {
  uint32_t network;
  std::memcpy(&network, bytes.data(), 4);
  return ntohl(network);
}

std::size_t Address::size() const { return is_v4() ? 4 : 16; }

std::string Address::text() const {
  char buffer[INET6_ADDRSTRLEN] = {};
  if (family != AF_INET && family != AF_INET6) return "(no address)";
  inet_ntop(family, bytes.data(), buffer, sizeof buffer);
  return buffer;
}

std::string ServiceKey::text() const {
  const std::string address = vip.is_v4() ? vip.text() : "[" + vip.text() + "]";
  return std::string(protocol_name(protocol)) + " " + address + ":" + std::to_string(port);
}

void normalize(Service& service) {
  auto& list = service.destinations;
  // Same endpoint next to each other, the highest weight first.
  std::sort(list.begin(), list.end(), [](const Destination& a, const Destination& b) {
    if (a.address != b.address) return a.address < b.address;
    if (a.port != b.port) return a.port < b.port;
    return a.weight > b.weight;
  });
  list.erase(std::unique(list.begin(), list.end(),
                         [](const Destination& a, const Destination& b) { return a.same_endpoint(b); }),
             list.end());
}

}  // namespace dcos::netlb
