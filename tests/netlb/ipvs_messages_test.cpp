// The IPVS generic netlink messages: the exact bytes we build (checked
// against an encoding written out here from linux/ip_vs.h, not by libnl),
// and the dump parser on replies shaped like the kernel's, good and bad.
#include "netlb/ipvs/messages.hpp"

#include <gtest/gtest.h>
#include <linux/genetlink.h>
#include <linux/ip_vs.h>
#include <linux/netlink.h>
#include <sys/socket.h>

#include <climits>
#include <cstring>
#include <vector>

namespace dcos::netlb::ipvs {
namespace {

using Bytes = std::vector<uint8_t>;
constexpr int kFamily = 0x1234;

Address ip(const char* text) { return *Address::parse(text); }

// Little-endian host fields, network-order fields, attributes.
void append(Bytes& out, const Bytes& more) { out.insert(out.end(), more.begin(), more.end()); }
Bytes u16(uint16_t v) { return {uint8_t(v), uint8_t(v >> 8)}; }
Bytes u32(uint32_t v) { return {uint8_t(v), uint8_t(v >> 8), uint8_t(v >> 16), uint8_t(v >> 24)}; }
Bytes be16(uint16_t v) { return {uint8_t(v >> 8), uint8_t(v)}; }
Bytes attr(uint16_t type, const Bytes& payload) {
  Bytes out = u16(uint16_t(4 + payload.size()));
  append(out, u16(type));
  append(out, payload);
  out.resize((out.size() + 3) & ~std::size_t{3});
  return out;
}
Bytes address16(const Address& a) { return Bytes(a.bytes.begin(), a.bytes.end()); }
Bytes text(const char* s) { return Bytes(s, s + std::strlen(s) + 1); }
Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) append(out, p);
  return out;
}
Bytes message(uint16_t type, uint16_t flags, uint8_t command, const Bytes& attributes) {
  Bytes body = {command, IPVS_GENL_VERSION, 0, 0};
  append(body, attributes);
  Bytes out = concat({u32(uint32_t(16 + body.size())), u16(type), u16(flags), u32(0), u32(0)});
  append(out, body);
  return out;
}
Bytes done() { return concat({u32(20), u16(NLMSG_DONE), u16(NLM_F_MULTI), u32(0), u32(0), u32(0)}); }
Bytes error(int code) {
  Bytes out = concat({u32(36), u16(NLMSG_ERROR), u16(0), u32(0), u32(0), u32(uint32_t(code))});
  out.resize(36);
  return out;
}

// How we send a service's key (and, when full, its settings).
Bytes service_attributes(const ServiceKey& key, const char* scheduler) {
  Bytes nest = concat({attr(IPVS_SVC_ATTR_AF, u16(uint16_t(key.vip.family))),
                       attr(IPVS_SVC_ATTR_PROTOCOL, u16(uint16_t(key.protocol))),
                       attr(IPVS_SVC_ATTR_ADDR, address16(key.vip)), attr(IPVS_SVC_ATTR_PORT, be16(key.port))});
  if (scheduler)
    append(nest, concat({attr(IPVS_SVC_ATTR_SCHED_NAME, text(scheduler)),
                         attr(IPVS_SVC_ATTR_FLAGS, concat({u32(0), u32(0xffffffff)})),
                         attr(IPVS_SVC_ATTR_TIMEOUT, u32(0)),
                         attr(IPVS_SVC_ATTR_NETMASK, u32(key.vip.is_v4() ? 0xffffffff : 128))}));
  return attr(IPVS_CMD_ATTR_SERVICE | NLA_F_NESTED, nest);
}

Bytes built(const Result<Message>& m) {
  EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().message);
  if (!m) return {};
  auto bytes = message_bytes(*m);
  return Bytes(bytes.begin(), bytes.end());
}

const ServiceKey kTcp{Protocol::tcp, ip("11.0.0.1"), 80};
const ServiceKey kUdp6{Protocol::udp, ip("fd00::11"), 53};
const Destination kBackend{ip("10.201.1.2"), 8080, 3};

TEST(IpvsMessagesTest, AddServiceCarriesKeySchedulerFlagsTimeoutAndNetmask) {
  const Change change{Change::Kind::add_service, kTcp, "wlc", {}};
  EXPECT_EQ(built(build_change(kFamily, change)),
            message(kFamily, NLM_F_REQUEST | NLM_F_ACK, IPVS_CMD_NEW_SERVICE, service_attributes(kTcp, "wlc")));
}

TEST(IpvsMessagesTest, IPv6ServiceHasA128BitNetmaskAndSetServiceIsAFullEntry) {
  const Change change{Change::Kind::edit_service, kUdp6, "rr", {}};
  EXPECT_EQ(built(build_change(kFamily, change)),
            message(kFamily, NLM_F_REQUEST | NLM_F_ACK, IPVS_CMD_SET_SERVICE, service_attributes(kUdp6, "rr")));
}

TEST(IpvsMessagesTest, RemoveServiceCarriesOnlyTheKey) {
  const Change change{Change::Kind::remove_service, kTcp, "wlc", {}};
  EXPECT_EQ(built(build_change(kFamily, change)),
            message(kFamily, NLM_F_REQUEST | NLM_F_ACK, IPVS_CMD_DEL_SERVICE, service_attributes(kTcp, nullptr)));
}

TEST(IpvsMessagesTest, DestinationsNestTheServiceKeyThenTheMasqueradedDestination) {
  const Bytes key = service_attributes(kTcp, nullptr);
  const Bytes endpoint = concat({attr(IPVS_DEST_ATTR_ADDR, address16(kBackend.address)),
                                 attr(IPVS_DEST_ATTR_PORT, be16(8080)), attr(IPVS_DEST_ATTR_ADDR_FAMILY, u16(AF_INET))});
  const Bytes full = concat({endpoint, attr(IPVS_DEST_ATTR_FWD_METHOD, u32(IP_VS_CONN_F_MASQ)),
                             attr(IPVS_DEST_ATTR_WEIGHT, u32(3)), attr(IPVS_DEST_ATTR_U_THRESH, u32(0)),
                             attr(IPVS_DEST_ATTR_L_THRESH, u32(0))});
  const uint16_t flags = NLM_F_REQUEST | NLM_F_ACK;
  EXPECT_EQ(built(build_change(kFamily, {Change::Kind::add_destination, kTcp, {}, kBackend})),
            message(kFamily, flags, IPVS_CMD_NEW_DEST, concat({key, attr(IPVS_CMD_ATTR_DEST | NLA_F_NESTED, full)})));
  EXPECT_EQ(built(build_change(kFamily, {Change::Kind::edit_destination, kTcp, {}, kBackend})),
            message(kFamily, flags, IPVS_CMD_SET_DEST, concat({key, attr(IPVS_CMD_ATTR_DEST | NLA_F_NESTED, full)})));
  EXPECT_EQ(built(build_change(kFamily, {Change::Kind::remove_destination, kTcp, {}, kBackend})),
            message(kFamily, flags, IPVS_CMD_DEL_DEST,
                    concat({key, attr(IPVS_CMD_ATTR_DEST | NLA_F_NESTED, endpoint)})));
}

TEST(IpvsMessagesTest, DumpsAskForAllServicesAndForOneServicesDestinations) {
  const uint16_t flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP;
  EXPECT_EQ(built(build_get_services(kFamily)), message(kFamily, flags, IPVS_CMD_GET_SERVICE, {}));
  EXPECT_EQ(built(build_get_destinations(kFamily, kUdp6)),
            message(kFamily, flags, IPVS_CMD_GET_DEST, service_attributes(kUdp6, nullptr)));
}

TEST(IpvsMessagesTest, RefusesWhatTheKernelWouldNot) {
  auto long_name = build_change(kFamily, {Change::Kind::add_service, kTcp, "a-very-long-scheduler", {}});
  ASSERT_FALSE(long_name);
  EXPECT_NE(long_name.error().message.find("add service tcp 11.0.0.1:80"), std::string::npos);
  EXPECT_FALSE(build_change(kFamily, {Change::Kind::add_service, kTcp, "", {}}));
  EXPECT_FALSE(build_change(kFamily, {Change::Kind::add_destination, kTcp, {}, {ip("fd00::2"), 80, 1}}));
  EXPECT_FALSE(build_change(kFamily, {Change::Kind::add_destination, kTcp, {}, {ip("10.0.0.2"), 80, 1u << 31}}));
  EXPECT_FALSE(build_change(kFamily, {Change::Kind::add_service, ServiceKey{Protocol::tcp, Address{}, 80}, "wlc", {}}));
}

// A GET_SERVICE reply as the kernel shapes it: the fields, then stats.
Bytes service_reply(const ServiceKey& key, const char* scheduler) {
  const Bytes stats = attr(IPVS_SVC_ATTR_STATS | NLA_F_NESTED, attr(IPVS_STATS_ATTR_CONNS, u32(7)));
  Bytes nest = concat({attr(IPVS_SVC_ATTR_AF, u16(uint16_t(key.vip.family))),
                       attr(IPVS_SVC_ATTR_PROTOCOL, u16(uint16_t(key.protocol))),
                       attr(IPVS_SVC_ATTR_ADDR, address16(key.vip)), attr(IPVS_SVC_ATTR_PORT, be16(key.port)),
                       attr(IPVS_SVC_ATTR_SCHED_NAME, text(scheduler)),
                       attr(IPVS_SVC_ATTR_FLAGS, concat({u32(2), u32(0xffffffff)})),
                       attr(IPVS_SVC_ATTR_TIMEOUT, u32(0)), attr(IPVS_SVC_ATTR_NETMASK, u32(0xffffffff)), stats});
  return message(kFamily, NLM_F_MULTI, IPVS_CMD_NEW_SERVICE, attr(IPVS_CMD_ATTR_SERVICE, nest));
}

Bytes destination_reply(const Destination& d, bool with_family = true) {
  Bytes nest = concat({attr(IPVS_DEST_ATTR_ADDR, address16(d.address)), attr(IPVS_DEST_ATTR_PORT, be16(d.port)),
                       attr(IPVS_DEST_ATTR_FWD_METHOD, u32(0)), attr(IPVS_DEST_ATTR_WEIGHT, u32(d.weight)),
                       attr(IPVS_DEST_ATTR_ACTIVE_CONNS, u32(4))});
  if (with_family) append(nest, attr(IPVS_DEST_ATTR_ADDR_FAMILY, u16(uint16_t(d.address.family))));
  return message(kFamily, NLM_F_MULTI, IPVS_CMD_NEW_DEST, attr(IPVS_CMD_ATTR_DEST, nest));
}

TEST(IpvsParseTest, ReadsServicesOfBothFamiliesUntilDone) {
  const Bytes fwmark = message(kFamily, NLM_F_MULTI, IPVS_CMD_NEW_SERVICE,
                               attr(IPVS_CMD_ATTR_SERVICE, concat({attr(IPVS_SVC_ATTR_AF, u16(AF_INET)),
                                                                   attr(IPVS_SVC_ATTR_FWMARK, u32(5)),
                                                                   attr(IPVS_SVC_ATTR_SCHED_NAME, text("rr"))})));
  const Bytes after_done = service_reply({Protocol::tcp, ip("11.0.0.9"), 1}, "rr");
  auto dump = parse_services(concat({service_reply(kTcp, "wlc"), fwmark, service_reply(kUdp6, "sh"), done(), after_done}));
  ASSERT_TRUE(dump) << dump.error().message;
  ASSERT_EQ(dump->services.size(), 2u);
  EXPECT_EQ(dump->services[0].key, kTcp);
  EXPECT_EQ(dump->services[0].scheduler, "wlc");
  EXPECT_EQ(dump->services[1].key, kUdp6);
  EXPECT_EQ(dump->services[1].scheduler, "sh");
  EXPECT_EQ(dump->skipped, 1u);
}

TEST(IpvsParseTest, ReadsDestinationsWithOrWithoutTheirFamily) {
  const Destination other{ip("10.201.2.2"), 8080, 0};
  auto list = parse_destinations(concat({destination_reply(kBackend), destination_reply(other, false), done()}), AF_INET);
  ASSERT_TRUE(list) << list.error().message;
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0], kBackend);
  EXPECT_EQ((*list)[1], other);
  auto empty = parse_destinations(done(), AF_INET);
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
}

TEST(IpvsParseTest, WhatWeBuildParsesBack) {
  // A NEW_SERVICE request has a GET_SERVICE reply's shape; NEW_DEST likewise.
  for (const ServiceKey& key : {kTcp, kUdp6}) {
    auto dump = parse_services(built(build_change(kFamily, {Change::Kind::add_service, key, "wrr", {}})));
    ASSERT_TRUE(dump) << dump.error().message;
    ASSERT_EQ(dump->services.size(), 1u);
    EXPECT_EQ(dump->services[0].key, key);
    EXPECT_EQ(dump->services[0].scheduler, "wrr");
  }
  auto list = parse_destinations(built(build_change(kFamily, {Change::Kind::add_destination, kTcp, {}, kBackend})),
                                 AF_INET);
  ASSERT_TRUE(list) << list.error().message;
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0], kBackend);
}

TEST(IpvsParseTest, TheKernelsErrorComesBackWithItsErrno) {
  auto dump = parse_services(error(-ESRCH));
  ASSERT_FALSE(dump);
  EXPECT_NE(dump.error().message.find("errno 3"), std::string::npos) << dump.error().message;
  EXPECT_TRUE(parse_services(concat({error(0), done()})));  // an ACK is no error
  auto nonsense = parse_services(error(INT32_MIN));  // found by the fuzzer: negating it overflowed
  ASSERT_FALSE(nonsense);
  EXPECT_NE(nonsense.error().message.find("an invalid error (errno 2147483648)"), std::string::npos)
      << nonsense.error().message;
}

TEST(IpvsParseTest, MalformedRepliesAreErrorsNamingWhat) {
  Bytes good = service_reply(kTcp, "wlc");
  Bytes long_message = good;
  long_message[0] = uint8_t(good.size() + 4);  // nlmsg_len past the end
  Bytes long_attribute = good;
  long_attribute[20] = 0xff;  // the service nest's length
  Bytes trailing = concat({good, Bytes{1, 2, 3}});
  Bytes no_service = message(kFamily, 0, IPVS_CMD_NEW_SERVICE, attr(IPVS_CMD_ATTR_DEST, {}));
  auto service_with = [](uint16_t family, Bytes address) {
    return message(kFamily, 0, IPVS_CMD_NEW_SERVICE,
                   attr(IPVS_CMD_ATTR_SERVICE, concat({attr(IPVS_SVC_ATTR_AF, u16(family)),
                                                       attr(IPVS_SVC_ATTR_PROTOCOL, u16(6)),
                                                       attr(IPVS_SVC_ATTR_ADDR, address),
                                                       attr(IPVS_SVC_ATTR_PORT, be16(80)),
                                                       attr(IPVS_SVC_ATTR_SCHED_NAME, text("rr"))})));
  };
  const Bytes bad_family = service_with(AF_UNIX, Bytes(16));
  const Bytes short_address = service_with(AF_INET6, Bytes(4));
  for (const Bytes& bad : {long_message, long_attribute, trailing, no_service, bad_family, short_address}) {
    auto dump = parse_services(bad);
    ASSERT_FALSE(dump);
    EXPECT_EQ(dump.error().message.rfind("IPVS dump: ", 0), 0u) << dump.error().message;
  }
  EXPECT_FALSE(parse_destinations(message(kFamily, 0, IPVS_CMD_NEW_DEST, attr(IPVS_CMD_ATTR_DEST, {})), AF_INET));
}

}  // namespace
}  // namespace dcos::netlb::ipvs
