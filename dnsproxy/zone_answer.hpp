// Answers queries for names in the cluster zones, as their authoritative
// server, from a ClusterZone: A, AAAA, SRV (with the targets' addresses as
// additional records), SOA and NS at the apexes, ANY; NOERROR with no data
// for other types and for names that only have names below them; NXDOMAIN
// for the rest, with the zone's SOA in authority either way (RFC 2308).
//
// Several addresses for one name come in a rotating order, so clients that
// take the first spread over a task's instances.
//
// Compiled answers: the records of a reply do not depend on the query
// beyond its name's key, type and class (owner names are the question's
// pointer or written out whole), so the first answer to a question is kept
// as wire bytes, one per rotation of a rotating address set, and later
// queries get header, their own question, those bytes and OPT, copied.
// Anything the copy would not reproduce byte for byte goes the long way:
// a reply that must be truncated, several rotating sets in one reply, a
// zone that changed since (its serial; everything compiled is dropped).
//
// Works on the fast path's QueryView (query.hpp) and writes into a reused
// buffer. Not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dnsproxy/cluster_zone.hpp"
#include "dnsproxy/name.hpp"
#include "dnsproxy/query.hpp"

namespace dcos::dns {

class ZoneAnswerer {
 public:
  // `ttl`: of every record we serve, and the SOA's minimum (negative answers).
  ZoneAnswerer(const ClusterZone& zone, uint32_t ttl);

  // Writes the reply to `query` into `out` and returns true, or returns
  // false (and leaves `out` alone) when the name is outside the zones.
  bool answer(const QueryView& query, std::size_t max_size, std::string& out);

  // The same reply built record by record, never from a compiled answer
  // (what answer() copies; tests compare the two).
  bool build(const QueryView& query, std::size_t max_size, std::string& out);

  // Questions with a compiled answer (dropped whenever the zone changes).
  std::size_t compiled() const { return compiled_.size(); }

  // At most this many compiled questions, and bytes in their records;
  // beyond either, answers are built.
  static constexpr std::size_t kMaxCompiled = 65536;
  static constexpr std::size_t kMaxCompiledBytes = 16 << 20;
  // A rotating address set of up to this many is compiled in every order.
  static constexpr std::size_t kMaxRotations = 16;

 private:
  struct Compiled {
    std::uint16_t rcode = 0;
    std::uint16_t counts[3] = {0, 0, 0};  // answer, authority, additional
    std::vector<std::string> records;  // one per rotation: everything after the question, before OPT
  };

  void add_soa(ReplyWriter& reply, ReplyWriter::Section section, const std::string& apex, bool own_name);
  void add_addresses(ReplyWriter& reply, ReplyWriter::Section section, const NameRecords& records, uint16_t type,
                     const std::string* owner);
  bool copy_compiled(const Compiled& compiled, const QueryView& query, std::size_t max_size, std::string& out);
  bool compile(std::string_view key, const QueryView& query);

  const ClusterZone& zone_;
  uint32_t ttl_;
  uint32_t rotation_ = 0;
  // While build() runs: the rotating address sets it wrote, and the largest.
  std::size_t rotating_sets_ = 0;
  std::size_t rotating_size_ = 0;
  // Keyed by the question's lookup key, type and class (4 bytes).
  KeyMap<Compiled> compiled_;
  std::size_t compiled_bytes_ = 0;
  uint32_t compiled_serial_ = 0;
  std::string scratch_;
};

}  // namespace dcos::dns
