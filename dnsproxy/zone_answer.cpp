#include "dnsproxy/zone_answer.hpp"

#include "dnsproxy/name.hpp"
#include "dnsproxy/rdata.hpp"

namespace dcos::dns {

ZoneAnswerer::ZoneAnswerer(const ClusterZone& zone, uint32_t ttl) : zone_(zone), ttl_(ttl) {}

// The SOA of a zone: ns1.<domain> is the primary, root.ns1.<domain> the
// mailbox (as Mesos-DNS has them); the serial follows the zone's changes.
void ZoneAnswerer::add_soa(ReplyWriter& reply, ReplyWriter::Section section, const std::string& apex,
                           bool own_name) {
  Soa soa;
  soa.mname = zone_.ns_name();
  soa.rname = std::string("\4root") + zone_.ns_name();
  soa.serial = zone_.serial();
  soa.refresh = 60;
  soa.retry = 600;
  soa.expire = 86400;
  soa.minimum = ttl_;
  const std::string rdata = soa_rdata(soa);
  if (own_name) {
    reply.add(section, type::SOA, ttl_, rdata);
  } else {
    reply.add(section, apex, type::SOA, ttl_, rdata);
  }
}

// `owner` null: the question's name. Addresses of the other family are skipped.
void ZoneAnswerer::add_addresses(ReplyWriter& reply, ReplyWriter::Section section, const NameRecords& records,
                                 uint16_t type, const std::string* owner) {
  const std::size_t size = type == type::A ? 4 : 16;
  const std::size_t count = records.addresses.size();
  const std::size_t start = count ? rotation_++ % count : 0;
  for (std::size_t i = 0; i < count; ++i) {
    const std::string& address = records.addresses[(start + i) % count];
    if (address.size() != size) continue;
    if (owner) {
      reply.add(section, *owner, type, ttl_, address);
    } else {
      reply.add(section, type, ttl_, address);
    }
  }
}

bool ZoneAnswerer::answer(const QueryView& query, std::size_t max_size, std::string& out) {
  char buffer[kMaxNameLength];
  const std::string_view key = name_key(query.name, buffer);
  const auto lookup = zone_.find(key);
  if (lookup.found == ClusterZone::Found::outside) return false;
  const bool apex = key == *lookup.zone;
  const bool exists = lookup.found == ClusterZone::Found::exists;
  ReplyWriter reply(query, out, max_size, exists ? rcode::NoError : rcode::NxDomain, /*authoritative=*/true);
  const auto answer = ReplyWriter::Section::Answer;
  const bool any = query.type == type::ANY;
  bool answered = false;
  if (exists && query.klass == klass::IN) {
    if (apex && (query.type == type::SOA || any)) {
      add_soa(reply, answer, *lookup.zone, true);
      answered = true;
    }
    if (apex && (query.type == type::NS || any)) {
      reply.add(answer, type::NS, ttl_, name_rdata(zone_.ns_name()));
      answered = true;
    }
    if (const NameRecords* records = lookup.records) {
      for (const uint16_t family : {type::A, type::AAAA}) {
        if (query.type != family && !any) continue;
        for (const auto& address : records->addresses) answered |= address.size() == (family == type::A ? 4u : 16u);
        add_addresses(reply, answer, *records, family, nullptr);
      }
      if ((query.type == type::SRV || any) && !records->services.empty()) {
        answered = true;
        for (const auto& service : records->services) reply.add(answer, type::SRV, ttl_, srv_rdata(service));
        // The targets' addresses save the client a round trip.
        for (const auto& service : records->services) {
          auto target = zone_.find(service.target);
          if (target.records) add_addresses(reply, ReplyWriter::Section::Additional, *target.records, type::A, &service.target);
        }
      }
    }
  }
  if (!answered) add_soa(reply, ReplyWriter::Section::Authority, *lookup.zone, false);
  reply.finish();
  return true;
}

}  // namespace dcos::dns
