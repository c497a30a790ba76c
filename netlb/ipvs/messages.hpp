// IPVS generic netlink messages: built without a socket, parsed from bytes.
//
// Building and sending are apart so that tests check the bytes we build
// (attribute types, byte order, nesting; linux/ip_vs.h is the reference)
// without a kernel, and so that the dump parser, which reads whatever a
// kernel or a fuzzer hands it, is one pure function over bytes.
//
// What we build (the kernel's ip_vs_ctl.c wants these for a full entry):
//   service: AF (u16), PROTOCOL (u16), ADDR (16 bytes, the address first,
//     zero padded), PORT (u16, network order); on NEW/SET also SCHED_NAME
//     (string), FLAGS (struct ip_vs_flags: flags 0, mask ~0), TIMEOUT (u32
//     0) and NETMASK (u32: ~0 for IPv4, 128 for IPv6);
//   destination: the service nested as IPVS_CMD_ATTR_SERVICE (key only),
//     then IPVS_CMD_ATTR_DEST: ADDR (16 bytes), PORT (network order),
//     ADDR_FAMILY (u16); on NEW/SET also FWD_METHOD (u32, masquerading),
//     WEIGHT (u32), U_THRESH and L_THRESH (u32 0).
// Every message asks for an ACK, as libnl sends them (NLM_F_REQUEST|
// NLM_F_ACK, and NLM_F_DUMP for dumps; a dump's NLMSG_DONE is its answer).
// Sequence number and port are left 0 for the socket to fill in. Thread-safe (no shared state).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "netlb/plan.hpp"
#include "netlb/vip.hpp"

struct nl_msg;

namespace dcos::netlb::ipvs {

struct MessageDeleter {
  void operator()(nl_msg* message) const;
};
using Message = std::unique_ptr<nl_msg, MessageDeleter>;

// The bytes of a built message (its netlink header first).
std::span<const uint8_t> message_bytes(const Message& message);

// `family` is the generic netlink family id of "IPVS" (resolved at run time;
// tests pass any number). Errors name the change and what is wrong with it
// (an unknown protocol, a scheduler name longer than the kernel takes).
Result<Message> build_change(int family, const Change& change);
Result<Message> build_get_services(int family);
Result<Message> build_get_destinations(int family, const ServiceKey& service);

// What a GET_SERVICE dump held that a VipTable can say, plus what it could
// not (firewall-mark services, protocols other than TCP and UDP): those are
// counted and left alone.
struct ServiceDump {
  std::vector<Service> services;  // destinations empty; fetched per service
  std::size_t skipped = 0;
};

// Parse the replies of a dump: netlink messages back to back, as read from
// the socket (each aligned to 4 bytes). NLMSG_DONE ends the dump; an
// NLMSG_ERROR is returned as an error with the kernel's errno; anything
// malformed (a length past the end, a missing attribute, an address family
// other than AF_INET/AF_INET6) is an error naming it. Bounded by the input.
// A destination without IPVS_DEST_ATTR_ADDR_FAMILY (kernels before 4.x)
// has its service's family.
Result<ServiceDump> parse_services(std::span<const uint8_t> bytes);
Result<std::vector<Destination>> parse_destinations(std::span<const uint8_t> bytes, int service_family);

}  // namespace dcos::netlb::ipvs
