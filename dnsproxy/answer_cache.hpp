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

#include "dnsproxy/message.hpp"

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

  // Keeps `reply` (parsed) to the question `key`/`qtype`/`qclass` if it may be kept.
  void store(std::string_view key, uint16_t qtype, uint16_t qclass, const Message& reply, Clock::time_point now);

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
  };
  static std::string entry_key(std::string_view key, uint16_t qtype, uint16_t qclass);

  Options options_;
  std::unordered_map<std::string, Entry> entries_;
  std::list<std::string> lru_;  // most recently used first
  uint64_t hits_ = 0;
  uint64_t misses_ = 0;
  uint64_t stale_hits_ = 0;
};

}  // namespace dcos::dns
