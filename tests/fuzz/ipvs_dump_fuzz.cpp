// libFuzzer target for the IPVS dump parser (netlb/ipvs/messages.hpp): the
// first byte picks a GET_SERVICE dump (0) or a GET_DEST dump of an IPv4 (1)
// or IPv6 (2) service; the rest is the replies' bytes.
//
// Checked on every input:
//   - what parses is what a VipTable can hold: TCP or UDP, an address of
//     AF_INET or AF_INET6, a scheduler name of 1 to 15 characters;
//   - a parsed service or destination, built into a NEW_SERVICE or NEW_DEST
//     request again, parses back to the same values (the builder and the
//     parser agree on every field).
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>

#include "netlb/ipvs/messages.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace {

using namespace dcos::netlb;

bool valid_family(const Address& address) { return address.family == AF_INET || address.family == AF_INET6; }

void check_services(std::span<const uint8_t> bytes) {
  auto dump = ipvs::parse_services(bytes);
  if (!dump) return;
  for (const Service& service : dump->services) {
    FUZZ_CHECK(service.key.protocol == Protocol::tcp || service.key.protocol == Protocol::udp, "a foreign protocol");
    FUZZ_CHECK(valid_family(service.key.vip), "a VIP without a family");
    FUZZ_CHECK(!service.scheduler.empty() && service.scheduler.size() < 16, "a scheduler name of a bad length");
    auto built = ipvs::build_change(7, {Change::Kind::add_service, service.key, service.scheduler, {}});
    FUZZ_CHECK(built.ok(), "a parsed service does not build");
    auto again = ipvs::parse_services(ipvs::message_bytes(*built));
    FUZZ_CHECK(again.ok() && again->services.size() == 1, "a built service does not parse");
    FUZZ_CHECK(again->services[0] == service, "a service changed through build and parse");
  }
}

void check_destinations(std::span<const uint8_t> bytes, int family) {
  auto list = ipvs::parse_destinations(bytes, family);
  if (!list) return;
  for (const Destination& destination : *list) {
    FUZZ_CHECK(valid_family(destination.address), "a destination without a family");
    if (destination.weight > INT32_MAX) continue;  // the kernel never says so; we would not build it
    ServiceKey key{Protocol::tcp, destination.address, 80};
    auto built = ipvs::build_change(7, {Change::Kind::add_destination, key, {}, destination});
    FUZZ_CHECK(built.ok(), "a parsed destination does not build");
    auto again = ipvs::parse_destinations(ipvs::message_bytes(*built), family);
    FUZZ_CHECK(again.ok() && again->size() == 1, "a built destination does not parse");
    FUZZ_CHECK((*again)[0] == destination, "a destination changed through build and parse");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::span<const uint8_t> replies(data + 1, size - 1);
  switch (data[0] % 3) {
    case 0: check_services(replies); break;
    case 1: check_destinations(replies, AF_INET); break;
    default: check_destinations(replies, AF_INET6); break;
  }
  return 0;
}
