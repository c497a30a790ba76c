// DNS messages (RFC 1035 §4, EDNS0 of RFC 6891): parse() and serialize().
//
// Our own codec rather than c-ares': c-ares 1.18 only parses replies into
// addresses and has no message builder, and the server needs a parser that
// is bounded, allocation-light and fuzzed (tests/fuzz/dns_message_fuzz.cpp).
//
// Contract of parse(): every read is bounds-checked and every limit is
// enforced before anything is allocated for it; it returns an Error naming
// what is wrong and where ("question 1 name has a label of 70 bytes at
// offset 12 ..."), never reads out of range, and never loops. It rejects
// bytes after the last record (a sender that adds them is broken, and
// keeping them could not be echoed faithfully). Names come out uncompressed
// in wire form with their case as sent (dnsproxy/name.hpp). Record data
// stays raw wire bytes, except that the names inside the data of the types
// RFC 3597 §4 allows to be compressed (NS, CNAME, SOA, PTR, MX, and SRV,
// which some senders compress anyway) are decompressed, so that the record
// can be copied into another message; their layout is checked, as are the
// sizes of A and AAAA data.
//
// serialize() compresses owner names and fits the message into a size,
// dropping whole records and setting TC (see below). Pure functions;
// thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/result.hpp"

namespace dcos::dns {

// Record types (RFC 1035, 3596, 2782, 6891). Plain numbers: any type may
// arrive and is carried through.
namespace type {
inline constexpr std::uint16_t A = 1;
inline constexpr std::uint16_t NS = 2;
inline constexpr std::uint16_t CNAME = 5;
inline constexpr std::uint16_t SOA = 6;
inline constexpr std::uint16_t PTR = 12;
inline constexpr std::uint16_t MX = 15;
inline constexpr std::uint16_t TXT = 16;
inline constexpr std::uint16_t AAAA = 28;
inline constexpr std::uint16_t SRV = 33;
inline constexpr std::uint16_t OPT = 41;
inline constexpr std::uint16_t ANY = 255;
}  // namespace type

namespace klass {
inline constexpr std::uint16_t IN = 1;
}  // namespace klass

// Response codes. Not NOERROR etc.: <arpa/nameser_compat.h>, which resolver
// code pulls in, defines those as macros.
namespace rcode {
inline constexpr std::uint16_t NoError = 0;
inline constexpr std::uint16_t FormErr = 1;
inline constexpr std::uint16_t ServFail = 2;
inline constexpr std::uint16_t NxDomain = 3;
inline constexpr std::uint16_t NotImp = 4;
inline constexpr std::uint16_t Refused = 5;
inline constexpr std::uint16_t BadVers = 16;  // needs EDNS: the upper 8 bits travel in OPT
}  // namespace rcode

namespace opcode {
inline constexpr std::uint8_t Query = 0;
}  // namespace opcode

inline constexpr std::size_t kHeaderSize = 12;
// The classic UDP limit, and the least serialize() fits into.
inline constexpr std::size_t kMinMessageSize = 512;
// The most any DNS message can be (TCP's 2-byte length).
inline constexpr std::size_t kMaxMessageSize = 65535;

struct Flags {
  bool qr = false;  // a response
  std::uint8_t opcode = opcode::Query;
  bool aa = false;
  bool tc = false;
  bool rd = false;
  bool ra = false;
  bool ad = false;
  bool cd = false;
  // The whole 12-bit rcode: the header's 4 bits and, with EDNS, the OPT
  // record's 8 upper bits. serialize() writes the upper bits only when the
  // message has EDNS.
  std::uint16_t rcode = rcode::NoError;

  bool operator==(const Flags&) const = default;
};

struct Question {
  std::string name;  // wire form, case as sent
  std::uint16_t type = type::A;
  std::uint16_t klass = klass::IN;

  bool operator==(const Question&) const = default;
};

struct Record {
  std::string name;  // wire form, case as sent
  std::uint16_t type = type::A;
  std::uint16_t klass = klass::IN;
  std::uint32_t ttl = 0;
  std::string rdata;  // wire bytes; names in it uncompressed (dnsproxy/rdata.hpp)

  bool operator==(const Record&) const = default;
};

// EDNS0, from the OPT pseudo-record (RFC 6891 §6.1.3), which parse() takes
// out of the additional section.
struct Edns {
  std::uint16_t udp_payload_size = 1232;  // the size DNS Flag Day 2020 settled on
  std::uint8_t version = 0;
  bool dnssec_ok = false;
  std::string options;  // the OPT rdata as sent: option code, length, data...

  bool operator==(const Edns&) const = default;
};

struct Message {
  std::uint16_t id = 0;
  Flags flags;
  std::vector<Question> questions;
  std::vector<Record> answers;
  std::vector<Record> authority;
  std::vector<Record> additional;  // without the OPT record
  std::optional<Edns> edns;

  bool operator==(const Message&) const = default;
};

Result<Message> parse(std::string_view packet);

// The message in wire form, at most max(max_size, 512) bytes and at most
// 65535. Owner names are compressed against earlier owner and question
// names (exact bytes, so case survives); names inside record data are not.
// When the message does not fit, whole records are dropped from the end of
// additional, then authority, then answers, and TC is set whenever an
// answer or authority record had to go (RFC 2181 §9: a resolver retries
// over TCP). Dropping only additional records does not set TC (RFC 2181
// §9 again: they are optional). The question and the OPT record are kept;
// should they alone not fit (only possible with many questions or large
// EDNS options), the OPT options and then the questions are dropped too,
// with TC. Names must be well-formed wire names (an ill-formed one is a
// bug in the caller: asserted, and written as the root in release builds).
std::string serialize(const Message& message, std::size_t max_size);

// The largest reply the sender of `query` accepts over UDP: its EDNS
// payload size (at least 512), or 512 without EDNS.
std::size_t udp_reply_limit(const Message& query);

}  // namespace dcos::dns
