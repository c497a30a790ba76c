// Answers queries for names in the cluster zones, as their authoritative
// server, from a ClusterZone: A, AAAA, SRV (with the targets' addresses as
// additional records), SOA and NS at the apexes, ANY; NOERROR with no data
// for other types and for names that only have names below them; NXDOMAIN
// for the rest, with the zone's SOA in authority either way (RFC 2308).
//
// Several addresses for one name come in a rotating order, so clients that
// take the first spread over a task's instances.
//
// Works on the fast path's QueryView (query.hpp) and writes into a reused
// buffer: an answer allocates nothing for A and AAAA. Not thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "dnsproxy/cluster_zone.hpp"
#include "dnsproxy/query.hpp"

namespace dcos::dns {

class ZoneAnswerer {
 public:
  // `ttl`: of every record we serve, and the SOA's minimum (negative answers).
  ZoneAnswerer(const ClusterZone& zone, uint32_t ttl);

  // Writes the reply to `query` into `out` and returns true, or returns
  // false (and leaves `out` alone) when the name is outside the zones.
  bool answer(const QueryView& query, std::size_t max_size, std::string& out);

 private:
  void add_soa(ReplyWriter& reply, ReplyWriter::Section section, const std::string& apex, bool own_name);
  void add_addresses(ReplyWriter& reply, ReplyWriter::Section section, const NameRecords& records, uint16_t type,
                     const std::string* owner);

  const ClusterZone& zone_;
  uint32_t ttl_;
  uint32_t rotation_ = 0;
};

}  // namespace dcos::dns
