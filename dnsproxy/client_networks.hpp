// Which clients the server answers: an allow-list of networks (CIDRs), so
// that dcos-dns is never an open resolver, even when it listens on an
// address the world can reach.
//
// The default ("local") is loopback and this node's own addresses, each as
// a host route, read from the interfaces once at startup: the processes of
// this node, which is who uses dcos-dns as its resolver. Addresses added to
// the node later are not in it; name their networks explicitly.
//
// IPv4 networks are kept as IPv4-mapped IPv6 ones (::ffff:a.b.c.d/96+n), so
// one check covers both families. Pure data; not thread-safe to modify,
// safe to read from any thread once built.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/result.hpp"

namespace dcos::dns {

class ClientNetworks {
 public:
  using Address = std::array<std::uint8_t, 16>;  // IPv6, or IPv4-mapped

  // "local", or CIDRs and addresses ("10.0.0.0/8", "fd00::/8", "192.0.2.7"),
  // comma-separated; "local" may appear among them.
  static Result<ClientNetworks> parse(std::string_view text);
  // Loopback and the node's own addresses (getifaddrs).
  static ClientNetworks local();

  bool contains(const Address& address) const;
  // The networks in CIDR form, for the log.
  std::string describe() const;

  // Adds one network ("10.0.0.0/8", "::1", ...).
  Result<void> add(std::string_view cidr);

 private:
  struct Network {
    Address prefix{};
    unsigned bits = 0;
  };
  void add(const Address& prefix, unsigned bits);
  std::vector<Network> networks_;
};

}  // namespace dcos::dns
