// Record data of the types dcos-dns serves and reads: builders for A, AAAA,
// SRV, SOA, NS, CNAME (and PTR, MX), and decoders for what the forwarder
// needs (the SOA of a negative answer). Data is in wire form with names
// uncompressed, as parse() leaves it and serialize() writes it.
// Pure functions; thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "dnsproxy/message.hpp"
#include "runtime/result.hpp"

namespace dcos::dns {

struct Srv {
  std::uint16_t priority = 0;
  std::uint16_t weight = 0;
  std::uint16_t port = 0;
  std::string target;  // wire form

  bool operator==(const Srv&) const = default;
};

struct Soa {
  std::string mname;  // wire form: the primary server
  std::string rname;  // wire form: the mailbox, first label the user
  std::uint32_t serial = 0;
  std::uint32_t refresh = 0;
  std::uint32_t retry = 0;
  std::uint32_t expire = 0;
  std::uint32_t minimum = 0;  // the negative-caching TTL (RFC 2308 §4)

  bool operator==(const Soa&) const = default;
};

std::string a_rdata(const std::array<std::uint8_t, 4>& address);
std::string aaaa_rdata(const std::array<std::uint8_t, 16>& address);
std::string srv_rdata(const Srv& srv);
std::string soa_rdata(const Soa& soa);
// NS, CNAME and PTR data: one name, in wire form.
std::string name_rdata(std::string_view name);
std::string mx_rdata(std::uint16_t preference, std::string_view exchange);

// Reads the uncompressed name at `offset` of `rdata` and moves `offset`
// past it: the decoder for names inside data that parse() produced.
Result<std::string> rdata_name(std::string_view rdata, std::size_t& offset);
Result<Srv> parse_srv(std::string_view rdata);
Result<Soa> parse_soa(std::string_view rdata);

// A whole record, for building answers: name and data in wire form.
Record make_record(std::string_view name, std::uint16_t type, std::uint32_t ttl, std::string rdata);

// How long a negative answer (NXDOMAIN, or NOERROR without data) may be
// cached, from the SOA in its authority section (RFC 2308 §5): the lesser
// of the SOA record's TTL and its MINIMUM. Both are given for callers with
// their own policy. nullopt when there is no readable SOA: such an answer
// must not be cached (RFC 2308 §5).
struct NegativeTtl {
  std::uint32_t soa_ttl = 0;
  std::uint32_t minimum = 0;
  std::uint32_t ttl() const { return soa_ttl < minimum ? soa_ttl : minimum; }
};
std::optional<NegativeTtl> negative_ttl(const Message& reply);

}  // namespace dcos::dns
