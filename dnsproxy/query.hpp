// The server's fast path: reading a plain query and answering it without
// building a Message, and the error replies (FORMERR, SERVFAIL, REFUSED).
//
// peek_query() accepts exactly the common query and nothing else, so that
// the server can answer it from the packet's own bytes: anything it
// declines goes through parse(), which either accepts it (a shape the fast
// path does not serve) or says what is wrong. Whatever peek_query()
// accepts, parse() accepts too and reads the same question and EDNS
// (dns_message_fuzz checks this). Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "dnsproxy/message.hpp"

namespace dcos::dns {

// A query as it sits in the packet; the views point into it.
struct QueryView {
  std::uint16_t id = 0;
  bool rd = false;
  bool cd = false;
  std::string_view name;      // wire form, uncompressed, case as sent
  std::uint16_t type = 0;
  std::uint16_t klass = 0;
  std::string_view question;  // the whole question as sent: name, type, class
  bool has_edns = false;
  std::uint16_t udp_payload_size = 0;  // as sent; see udp_reply_limit()
  std::uint8_t edns_version = 0;
  bool dnssec_ok = false;

  // The largest UDP reply the client takes: its EDNS size, at least 512.
  std::size_t udp_reply_limit() const;
};

// Reads a packet that is a standard query (QR=0, opcode QUERY) with exactly
// one question whose name is not compressed, no answer or authority
// records, and either no additional record or one OPT record (root owner,
// well-framed options), ending exactly there. Checked on the way: every
// bound, label lengths (1..63) and the 255-byte name limit. nullopt for
// anything else, including malformed packets: call parse() to tell which.
// Reads the packet once and allocates nothing.
std::optional<QueryView> peek_query(std::string_view packet);

// Writes a reply to a peeked query into `out` (cleared; its capacity is
// reused, so a server keeping one buffer allocates nothing): the header
// (id, RD and CD echoed, QR and RA set: dcos-dns always offers
// recursion), the question exactly as sent, records, and an OPT record when
// the query had EDNS. Records are added section by section, in order;
// a record that would make the reply exceed `max_size` (at least 512,
// at most 65535) is not added, and once an answer or authority record did
// not fit, TC is set and nothing more is added (additional records that
// do not fit are left out without TC, RFC 2181 §9).
class ReplyWriter {
 public:
  enum class Section { Answer = 0, Authority = 1, Additional = 2 };

  // Our EDNS payload size in replies (DNS Flag Day 2020).
  static constexpr std::uint16_t kUdpPayloadSize = 1232;

  ReplyWriter(const QueryView& query, std::string& out, std::size_t max_size, std::uint16_t rcode,
              bool authoritative);

  // Adds a record owned by the question's name, written as a pointer to it.
  bool add(Section section, std::uint16_t type, std::uint32_t ttl, std::string_view rdata);
  // Adds a record owned by `name` (wire form), e.g. the SOA of a negative answer.
  bool add(Section section, std::string_view name, std::uint16_t type, std::uint32_t ttl, std::string_view rdata);
  // Adds records already in wire form (`counts` of them per section, owner
  // names written out or pointing at the question), if all of them fit;
  // false, adding nothing, if not. Only before any other record.
  bool add_compiled(std::string_view records, const std::uint16_t (&counts)[3]);
  bool truncated() const { return truncated_; }
  // Writes the OPT record and the counts; `out` then holds the reply.
  void finish();

 private:
  bool append(Section section, std::string_view name, std::uint16_t type, std::uint32_t ttl,
              std::string_view rdata);

  std::string& out_;
  std::size_t budget_;
  std::uint16_t rcode_;
  bool edns_;
  std::uint16_t counts_[3] = {0, 0, 0};
  int section_ = 0;
  bool truncated_ = false;
  bool full_ = false;
};

// A reply with `rcode` (FORMERR, SERVFAIL, REFUSED, NOTIMP) to `packet`:
// its id, opcode, RD and CD, and its question when the first one parses
// (with an OPT record if the query is a peekable one with EDNS). Empty when
// there is nothing to reply to: fewer than 12 bytes, or a packet that is
// itself a response (answering those would let two servers loop).
std::string error_reply(std::string_view packet, std::uint16_t rcode);

}  // namespace dcos::dns
