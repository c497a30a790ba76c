#include "netlb/ipvs/messages.hpp"

#include <linux/genetlink.h>
#include <linux/ip_vs.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <sys/socket.h>

#include <array>
#include <cstring>
#include <optional>

namespace dcos::netlb::ipvs {

void MessageDeleter::operator()(nl_msg* message) const { nlmsg_free(message); }

std::span<const uint8_t> message_bytes(const Message& message) {
  const nlmsghdr* header = nlmsg_hdr(message.get());
  return {reinterpret_cast<const uint8_t*>(header), header->nlmsg_len};
}

namespace {

constexpr int kChangeFlags = NLM_F_REQUEST | NLM_F_ACK;
constexpr int kDumpFlags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP;

// The kernel reads addresses as a union nf_inet_addr: 16 bytes, IPv4 first.
constexpr int kAddressBytes = 16;

Result<Message> start(int family, uint8_t command, int flags) {
  Message message(nlmsg_alloc());
  if (!message) return Error{"IPVS: cannot allocate a netlink message"};
  if (!genlmsg_put(message.get(), NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, flags, command, IPVS_GENL_VERSION))
    return Error{"IPVS: cannot write the generic netlink header"};
  return message;
}

// nla_put_* fail only when the message is full; our messages are far below
// nlmsg_alloc()'s page.
bool put_address(nl_msg* message, int type, const Address& address) {
  return nla_put(message, type, kAddressBytes, address.bytes.data()) == 0;
}

bool put_service_key(nl_msg* message, const ServiceKey& key) {
  return nla_put_u16(message, IPVS_SVC_ATTR_AF, static_cast<uint16_t>(key.vip.family)) == 0 &&
         nla_put_u16(message, IPVS_SVC_ATTR_PROTOCOL, static_cast<uint16_t>(key.protocol)) == 0 &&
         put_address(message, IPVS_SVC_ATTR_ADDR, key.vip) &&
         nla_put_u16(message, IPVS_SVC_ATTR_PORT, htons(key.port)) == 0;
}

bool put_service(nl_msg* message, const ServiceKey& key, const std::string* scheduler) {
  nlattr* nest = nla_nest_start(message, IPVS_CMD_ATTR_SERVICE);
  if (!nest || !put_service_key(message, key)) return false;
  if (scheduler) {
    const ip_vs_flags flags{0, ~0u};
    const uint32_t netmask = key.vip.is_v4() ? ~0u : 128;  // a mask for IPv4, a prefix length for IPv6
    if (nla_put_string(message, IPVS_SVC_ATTR_SCHED_NAME, scheduler->c_str()) != 0 ||
        nla_put(message, IPVS_SVC_ATTR_FLAGS, sizeof flags, &flags) != 0 ||
        nla_put_u32(message, IPVS_SVC_ATTR_TIMEOUT, 0) != 0 || nla_put_u32(message, IPVS_SVC_ATTR_NETMASK, netmask) != 0)
      return false;
  }
  return nla_nest_end(message, nest) == 0;
}

bool put_destination(nl_msg* message, const Destination& destination, bool full) {
  nlattr* nest = nla_nest_start(message, IPVS_CMD_ATTR_DEST);
  if (!nest || !put_address(message, IPVS_DEST_ATTR_ADDR, destination.address) ||
      nla_put_u16(message, IPVS_DEST_ATTR_PORT, htons(destination.port)) != 0 ||
      nla_put_u16(message, IPVS_DEST_ATTR_ADDR_FAMILY, static_cast<uint16_t>(destination.address.family)) != 0)
    return false;
  if (full && (nla_put_u32(message, IPVS_DEST_ATTR_FWD_METHOD, IP_VS_CONN_F_MASQ) != 0 ||
               nla_put_u32(message, IPVS_DEST_ATTR_WEIGHT, destination.weight) != 0 ||
               nla_put_u32(message, IPVS_DEST_ATTR_U_THRESH, 0) != 0 ||
               nla_put_u32(message, IPVS_DEST_ATTR_L_THRESH, 0) != 0))
    return false;
  return nla_nest_end(message, nest) == 0;
}

bool valid_family(const Address& address) { return address.family == AF_INET || address.family == AF_INET6; }

Result<void> check(const Change& change) {
  if (change.service.protocol != Protocol::tcp && change.service.protocol != Protocol::udp)
    return Error{"IPVS " + change.text() + ": unknown protocol"};
  if (!valid_family(change.service.vip)) return Error{"IPVS " + change.text() + ": the VIP has no address family"};
  const bool names_scheduler = change.kind == Change::Kind::add_service || change.kind == Change::Kind::edit_service;
  if (names_scheduler && (change.scheduler.empty() || change.scheduler.size() >= IP_VS_SCHEDNAME_MAXLEN))
    return Error{"IPVS " + change.text() + ": a scheduler name has 1 to " +
                 std::to_string(IP_VS_SCHEDNAME_MAXLEN - 1) + " characters"};
  const bool names_destination = !names_scheduler && change.kind != Change::Kind::remove_service;
  if (names_destination) {
    if (change.destination.address.family != change.service.vip.family)
      return Error{"IPVS " + change.text() + ": a masqueraded destination has the VIP's address family"};
    if (change.destination.weight > INT32_MAX) return Error{"IPVS " + change.text() + ": weight above 2^31-1"};
  }
  return {};
}

}  // namespace

Result<Message> build_change(int family, const Change& change) {
  if (auto valid = check(change); !valid) return valid.error();
  uint8_t command = 0;
  switch (change.kind) {
    case Change::Kind::add_service: command = IPVS_CMD_NEW_SERVICE; break;
    case Change::Kind::edit_service: command = IPVS_CMD_SET_SERVICE; break;
    case Change::Kind::remove_service: command = IPVS_CMD_DEL_SERVICE; break;
    case Change::Kind::add_destination: command = IPVS_CMD_NEW_DEST; break;
    case Change::Kind::edit_destination: command = IPVS_CMD_SET_DEST; break;
    case Change::Kind::remove_destination: command = IPVS_CMD_DEL_DEST; break;
  }
  auto message = start(family, command, kChangeFlags);
  if (!message) return message.error();
  bool ok = false;
  switch (change.kind) {
    case Change::Kind::add_service:
    case Change::Kind::edit_service: ok = put_service(message->get(), change.service, &change.scheduler); break;
    case Change::Kind::remove_service: ok = put_service(message->get(), change.service, nullptr); break;
    case Change::Kind::add_destination:
    case Change::Kind::edit_destination:
    case Change::Kind::remove_destination:
      ok = put_service(message->get(), change.service, nullptr) &&
           put_destination(message->get(), change.destination, change.kind != Change::Kind::remove_destination);
      break;
  }
  if (!ok) return Error{"IPVS " + change.text() + ": the message does not fit"};
  return message;
}

Result<Message> build_get_services(int family) { return start(family, IPVS_CMD_GET_SERVICE, kDumpFlags); }

Result<Message> build_get_destinations(int family, const ServiceKey& service) {
  if (!valid_family(service.vip)) return Error{"IPVS dump of " + service.text() + ": the VIP has no address family"};
  auto message = start(family, IPVS_CMD_GET_DEST, kDumpFlags);
  if (!message) return message.error();
  if (!put_service(message->get(), service, nullptr))
    return Error{"IPVS dump of " + service.text() + ": the message does not fit"};
  return message;
}

// ---- parsing ----

namespace {

using Bytes = std::span<const uint8_t>;

// The attributes of one level, by type (the last of a repeated type wins;
// types above the table are ignored, as the kernel's parser does).
template <std::size_t N>
struct Attributes {
  std::array<std::optional<Bytes>, N> by_type{};
  const std::optional<Bytes>& operator[](int type) const { return by_type[type]; }
};

template <std::size_t N>
Result<Attributes<N>> parse_attributes(Bytes bytes, const char* where) {
  Attributes<N> result;
  std::size_t offset = 0;
  while (bytes.size() - offset >= NLA_HDRLEN) {
    nlattr header;
    std::memcpy(&header, bytes.data() + offset, sizeof header);
    if (header.nla_len < NLA_HDRLEN || header.nla_len > bytes.size() - offset)
      return Error{std::string("IPVS dump: ") + where + ": an attribute's length " + std::to_string(header.nla_len) +
                   " runs past its end"};
    const int type = header.nla_type & NLA_TYPE_MASK;
    if (type < static_cast<int>(N)) result.by_type[type] = bytes.subspan(offset + NLA_HDRLEN, header.nla_len - NLA_HDRLEN);
    offset += std::min<std::size_t>(NLA_ALIGN(header.nla_len), bytes.size() - offset);
  }
  if (offset != bytes.size()) return Error{std::string("IPVS dump: ") + where + ": trailing bytes after the attributes"};
  return result;
}

template <class T>
std::optional<T> read(const std::optional<Bytes>& attribute) {
  if (!attribute || attribute->size() < sizeof(T)) return std::nullopt;
  T value;
  std::memcpy(&value, attribute->data(), sizeof value);
  return value;
}

Result<Address> read_address(const std::optional<Bytes>& attribute, int family, const char* where) {
  Address address;
  address.family = family;
  if (family != AF_INET && family != AF_INET6)
    return Error{std::string("IPVS dump: ") + where + ": address family " + std::to_string(family) +
                 " is neither AF_INET nor AF_INET6"};
  if (!attribute || attribute->size() < address.size())
    return Error{std::string("IPVS dump: ") + where + ": no address, or a short one"};
  std::memcpy(address.bytes.data(), attribute->data(), address.size());
  return address;
}

// Calls `each` with the attributes of every generic netlink message in a
// dump's replies, until NLMSG_DONE.
template <class Each>
Result<void> for_each_reply(Bytes bytes, Each&& each) {
  std::size_t offset = 0;
  while (bytes.size() - offset >= NLMSG_HDRLEN) {
    nlmsghdr header;
    std::memcpy(&header, bytes.data() + offset, sizeof header);
    if (header.nlmsg_len < NLMSG_HDRLEN || header.nlmsg_len > bytes.size() - offset)
      return Error{"IPVS dump: a message's length " + std::to_string(header.nlmsg_len) + " runs past the reply"};
    const Bytes body = bytes.subspan(offset + NLMSG_HDRLEN, header.nlmsg_len - NLMSG_HDRLEN);
    offset += std::min<std::size_t>(NLMSG_ALIGN(header.nlmsg_len), bytes.size() - offset);
    if (header.nlmsg_type == NLMSG_DONE) return {};
    if (header.nlmsg_type == NLMSG_NOOP) continue;
    if (header.nlmsg_type == NLMSG_ERROR) {
      auto code = read<int32_t>(std::optional<Bytes>(body));
      if (!code) return Error{"IPVS dump: a short error message"};
      if (*code == 0) continue;  // an acknowledgement
      const int64_t error = -int64_t{*code};  // INT32_MIN stays representable
      return Error{"IPVS dump: the kernel answered " +
                   std::string(error > 0 && error < 4096 ? strerror(static_cast<int>(error)) : "an invalid error") +
                   " (errno " + std::to_string(error) + ")"};
    }
    if (body.size() < GENL_HDRLEN) return Error{"IPVS dump: a message without its generic netlink header"};
    if (auto done = each(body.subspan(GENL_HDRLEN)); !done) return done;
  }
  if (offset != bytes.size()) return Error{"IPVS dump: trailing bytes after the messages"};
  return {};
}

}  // namespace

Result<ServiceDump> parse_services(Bytes bytes) {
  ServiceDump dump;
  auto parsed = for_each_reply(bytes, [&](Bytes attributes) -> Result<void> {
    auto top = parse_attributes<IPVS_CMD_ATTR_MAX + 1>(attributes, "service reply");
    if (!top) return top.error();
    if (!(*top)[IPVS_CMD_ATTR_SERVICE]) return Error{"IPVS dump: a service reply without a service"};
    auto fields = parse_attributes<IPVS_SVC_ATTR_MAX + 1>(*(*top)[IPVS_CMD_ATTR_SERVICE], "service");
    if (!fields) return fields.error();
    const auto family = read<uint16_t>((*fields)[IPVS_SVC_ATTR_AF]);
    const auto protocol = read<uint16_t>((*fields)[IPVS_SVC_ATTR_PROTOCOL]);
    const auto port = read<uint16_t>((*fields)[IPVS_SVC_ATTR_PORT]);
    const auto& scheduler = (*fields)[IPVS_SVC_ATTR_SCHED_NAME];
    if (!family || !scheduler) return Error{"IPVS dump: a service without its address family or scheduler"};
    if ((*fields)[IPVS_SVC_ATTR_FWMARK] && !(*fields)[IPVS_SVC_ATTR_ADDR]) {
      ++dump.skipped;  // a firewall-mark service: not ours to say
      return {};
    }
    if (!protocol || !port) return Error{"IPVS dump: a service without its protocol or port"};
    if (*protocol != IPPROTO_TCP && *protocol != IPPROTO_UDP) {
      ++dump.skipped;
      return {};
    }
    Service service;
    service.key.protocol = static_cast<Protocol>(*protocol);
    service.key.port = ntohs(*port);
    auto vip = read_address((*fields)[IPVS_SVC_ATTR_ADDR], *family, "service");
    if (!vip) return vip.error();
    service.key.vip = *vip;
    const auto name = reinterpret_cast<const char*>(scheduler->data());
    // IP_VS_SCHEDNAME_MAXLEN counts the terminating NUL: a name has 1 to 15
    // characters, as build_change() requires of what it sends.
    const std::size_t length = strnlen(name, scheduler->size());
    if (length == 0 || length >= IP_VS_SCHEDNAME_MAXLEN)
      return Error{"IPVS dump: " + service.key.text() + " has a scheduler name of " + std::to_string(length) +
                   " characters (1 to " + std::to_string(IP_VS_SCHEDNAME_MAXLEN - 1) + ")"};
    service.scheduler.assign(name, length);
    dump.services.push_back(std::move(service));
    return {};
  });
  if (!parsed) return parsed.error();
  return dump;
}

Result<std::vector<Destination>> parse_destinations(Bytes bytes, int service_family) {
  std::vector<Destination> destinations;
  auto parsed = for_each_reply(bytes, [&](Bytes attributes) -> Result<void> {
    auto top = parse_attributes<IPVS_CMD_ATTR_MAX + 1>(attributes, "destination reply");
    if (!top) return top.error();
    if (!(*top)[IPVS_CMD_ATTR_DEST]) return Error{"IPVS dump: a destination reply without a destination"};
    auto fields = parse_attributes<IPVS_DEST_ATTR_MAX + 1>(*(*top)[IPVS_CMD_ATTR_DEST], "destination");
    if (!fields) return fields.error();
    const auto port = read<uint16_t>((*fields)[IPVS_DEST_ATTR_PORT]);
    const auto weight = read<uint32_t>((*fields)[IPVS_DEST_ATTR_WEIGHT]);
    const auto family = read<uint16_t>((*fields)[IPVS_DEST_ATTR_ADDR_FAMILY]);
    if (!port || !weight) return Error{"IPVS dump: a destination without its port or weight"};
    auto address = read_address((*fields)[IPVS_DEST_ATTR_ADDR], family ? *family : service_family, "destination");
    if (!address) return address.error();
    destinations.push_back(Destination{*address, ntohs(*port), *weight});
    return {};
  });
  if (!parsed) return parsed.error();
  return destinations;
}

}  // namespace dcos::netlb::ipvs
