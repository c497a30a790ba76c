#include "dnsproxy/zone_answer.hpp"

#include <algorithm>

#include "dnsproxy/name.hpp"
#include "dnsproxy/rdata.hpp"
#include "dnsproxy/wire.hpp"

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
  if (count > 1) {
    ++rotating_sets_;
    rotating_size_ = std::max(rotating_size_, count);
  }
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
  if (compiled_serial_ != zone_.serial()) {
    compiled_.clear();
    compiled_bytes_ = 0;
    compiled_serial_ = zone_.serial();
  }
  const QuestionKey question(query.name, query.type, query.klass);
  const std::string_view key = question.view();
  if (auto it = compiled_.find(key); it != compiled_.end()) {
    const Compiled& compiled = it->second;
    if (compiled.records.empty()) return build(query, max_size, out);  // not compilable
    const std::string& records =
        compiled.records[compiled.records.size() == 1 ? 0 : rotation_++ % compiled.records.size()];
    ReplyWriter reply(query, out, max_size, compiled.rcode, /*authoritative=*/true);
    if (reply.add_compiled(records, compiled.counts)) {
      reply.finish();
      return true;
    }
    // Too big for this client: built again, and truncated.
  } else if (compiled_.size() < kMaxCompiled && compiled_bytes_ < kMaxCompiledBytes) {
    if (!compile(key, query)) return false;
  }
  return build(query, max_size, out);
}

// Builds the reply to `query` (without EDNS, at any size) once per
// rotation, and keeps it for `key`; false for a name outside the zones.
bool ZoneAnswerer::compile(std::string_view key, const QueryView& query) {
  QueryView plain = query;
  plain.has_edns = false;
  const uint32_t rotation = rotation_;
  rotation_ = 0;
  rotating_sets_ = rotating_size_ = 0;
  if (!build(plain, kMaxMessageSize, scratch_)) return false;
  const std::uint16_t bits = wire::u16(scratch_, 2);
  // Several rotating sets rotate together, not through every order each:
  // not worth compiling. Nor is anything cut at the largest size. Kept
  // without records: built every time.
  Compiled compiled;
  if ((bits & wire::HeaderBits::kTc) || rotating_sets_ > 1 || rotating_size_ > kMaxRotations) {
    rotation_ = rotation;
    compiled_.emplace(std::string(key), std::move(compiled));
    return true;
  }
  compiled.rcode = bits & 0xF;
  for (int i = 0; i < 3; ++i) compiled.counts[i] = wire::u16(scratch_, 6 + 2 * i);
  const std::size_t records_at = kHeaderSize + query.question.size();
  const std::size_t orders = rotating_sets_ ? rotating_size_ : 1;
  for (std::size_t i = 0; i < orders; ++i) {
    rotation_ = static_cast<uint32_t>(i);
    if (i > 0) build(plain, kMaxMessageSize, scratch_);
    compiled.records.push_back(scratch_.substr(records_at));
    compiled_bytes_ += compiled.records.back().size();
  }
  rotation_ = rotation;
  compiled_.emplace(std::string(key), std::move(compiled));
  return true;
}

bool ZoneAnswerer::build(const QueryView& query, std::size_t max_size, std::string& out) {
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
