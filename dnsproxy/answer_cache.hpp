// The forwarder's cache of upstream answers (issue 6): an answer is kept
// for as long as its records may be (the least TTL among its answer and
// authority records, capped at `max_ttl`), a negative answer (NXDOMAIN,
// or NOERROR with no answer) for its SOA's negative TTL (RFC 2308: the
// lesser of the SOA record's TTL and its MINIMUM), and not at all when it
// cannot say (no SOA), failed (SERVFAIL and other errors) or was cut (TC).
//
// A hit is the stored answer with the asker's id and question (case as
// asked), every TTL lowered by the time it has been kept, and no EDNS (the
// server adds the asker's). When every
// upstream is down the forwarder may ask for a stale answer: one expired
// less than `stale_for` ago, served with a TTL of `stale_ttl` (RFC 8767).
//
// A hit can also come as wire bytes, ready to send (reply()): each answer
// is kept serialized as the reply to the question as first asked (its
// case), and a query asking exactly that gets a copy with its id, RD, CD,
// lowered TTLs and OPT patched in, the same bytes client_reply() would
// give, without a Message.
//
// Keyed by the question's lookup key (lower-cased wire name), type and
// class. Bounded: the least recently used answer goes first. The clock is
// passed in, so tests need no sleeping. Not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dnsproxy/message.hpp"
#include "dnsproxy/name.hpp"
#include "dnsproxy/query.hpp"

namespace dcos::dns {

class AnswerCache {
 public:
  using Clock = std::chrono::steady_clock;

  struct Options {
    std::size_t max_entries = 10000;
    std::chrono::seconds max_ttl{3600};
    std::chrono::seconds stale_for{30};
    uint32_t stale_ttl = 30;
  };

  explicit AnswerCache(Options options);

  // Keeps `reply` (parsed) to the question `key`/`qtype`/`qclass` if it may
  // be kept; with `asked` (the name as a client asked it), also as wire
  // bytes for reply().
  void store(std::string_view key, uint16_t qtype, uint16_t qclass, const Message& reply, Clock::time_point now,
             std::string_view asked = {});

  // The fresh cached answer to `query` as its reply, in `out`: true if
  // there is one kept as wire bytes for the question exactly as asked and
  // it fits `max_size` whole; false (`out` untouched) sends the caller to
  // find(). Allocates nothing once `out` has grown.
  bool reply(const QueryView& query, Clock::time_point now, std::size_t max_size, std::string& out);

  // The cached answer to `question` (its name as asked, case kept), for a
  // query with id `id`; nullopt when there is none still fresh (or, with
  // `stale`, none expired less than stale_for ago).
  std::optional<Message> find(const Question& question, uint16_t id, Clock::time_point now, bool stale = false);

  std::size_t size() const { return entries_.size(); }
  uint64_t hits() const { return hits_; }
  uint64_t misses() const { return misses_; }
  uint64_t stale_hits() const { return stale_hits_; }

 private:
  struct Entry {
    Message reply;
    Clock::time_point stored;
    Clock::time_point expires;
    std::list<std::string>::iterator lru;
    std::string wire;                    // the reply, id 0, RD, no EDNS; empty if none
    std::vector<std::uint16_t> ttl_at;  // offsets of its records' TTLs
  };
  static void compile(Entry& entry, std::string_view asked, uint16_t qtype, uint16_t qclass);
  static std::string entry_key(std::string_view key, uint16_t qtype, uint16_t qclass);

  Options options_;
  KeyMap<Entry> entries_;
  std::list<std::string> lru_;  // most recently used first
  uint64_t hits_ = 0;
  uint64_t misses_ = 0;
  uint64_t stale_hits_ = 0;
};

// `answer` as the reply to the client's `query`, fitted into `max_size`:
// the client's id, question (case as asked), RD and CD; RA; no AA (a
// forwarded or cached answer is not authoritative); OPT only if the
// client used EDNS (our size, its DO).
std::string client_reply(Message answer, const QueryView& query, std::size_t max_size);

}  // namespace dcos::dns
