#include "dnsproxy/answer_cache.hpp"

#include <algorithm>

#include "dnsproxy/rdata.hpp"
#include "dnsproxy/wire.hpp"

namespace dcos::dns {

namespace {

// How long a reply may be kept, or nullopt when it must not be.
std::optional<uint32_t> keep_for(const Message& reply) {
  if (reply.flags.tc) return std::nullopt;
  const uint16_t code = reply.flags.rcode;
  if (code == rcode::NxDomain || (code == rcode::NoError && reply.answers.empty())) {
    auto negative = negative_ttl(reply);
    if (!negative) return std::nullopt;
    return negative->ttl();
  }
  if (code != rcode::NoError) return std::nullopt;
  uint32_t least = UINT32_MAX;
  for (const auto* section : {&reply.answers, &reply.authority})
    for (const auto& record : *section) least = std::min(least, record.ttl);
  return least;
}

void lower_ttls(Message& reply, uint32_t by, std::optional<uint32_t> fixed) {
  for (auto* section : {&reply.answers, &reply.authority, &reply.additional})
    for (auto& record : *section) record.ttl = fixed ? *fixed : (record.ttl > by ? record.ttl - by : 0);
}

// Moves `at` past the name there (ours: labels, then a root byte or a
// pointer); false if it runs off the end.
bool skip_name(std::string_view wire, std::size_t& at) {
  while (at < wire.size()) {
    const auto length = static_cast<unsigned char>(wire[at]);
    if (length == 0) return ++at <= wire.size();
    if ((length & 0xC0) == 0xC0) return (at += 2) <= wire.size();
    at += 1 + length;
  }
  return false;
}

}  // namespace

std::string client_reply(Message answer, const QueryView& query, std::size_t max_size) {
  answer.id = query.id;
  answer.questions = {Question{std::string(query.name), query.type, query.klass}};
  answer.flags.qr = true;
  answer.flags.aa = false;
  answer.flags.tc = false;
  answer.flags.rd = query.rd;
  answer.flags.cd = query.cd;
  answer.flags.ra = true;
  answer.edns.reset();
  if (query.has_edns) {
    answer.edns = Edns{};
    answer.edns->udp_payload_size = ReplyWriter::kUdpPayloadSize;
    answer.edns->dnssec_ok = query.dnssec_ok;
  }
  return serialize(answer, max_size);
}

AnswerCache::AnswerCache(Options options) : options_(options) {}

std::string AnswerCache::entry_key(std::string_view key, uint16_t qtype, uint16_t qclass) {
  std::string out(key);
  out.push_back(static_cast<char>(qtype >> 8));
  out.push_back(static_cast<char>(qtype & 0xff));
  out.push_back(static_cast<char>(qclass >> 8));
  out.push_back(static_cast<char>(qclass & 0xff));
  return out;
}

void AnswerCache::store(std::string_view key, uint16_t qtype, uint16_t qclass, const Message& reply,
                        Clock::time_point now, std::string_view asked) {
  const auto seconds = keep_for(reply);
  if (!seconds || *seconds == 0 || options_.max_entries == 0) return;
  const auto ttl = std::min<std::chrono::seconds>(std::chrono::seconds(*seconds), options_.max_ttl);
  const std::string id = entry_key(key, qtype, qclass);
  auto it = entries_.find(id);
  if (it == entries_.end()) {
    if (entries_.size() >= options_.max_entries) {
      entries_.erase(lru_.back());
      lru_.pop_back();
    }
    lru_.push_front(id);
    it = entries_.emplace(id, Entry{.reply = {}, .stored = {}, .expires = {}, .lru = lru_.begin(), .wire = {}, .ttl_at = {}}).first;
  } else {
    lru_.splice(lru_.begin(), lru_, it->second.lru);
  }
  it->second.reply = reply;
  it->second.stored = now;
  it->second.expires = now + ttl;
  it->second.wire.clear();
  it->second.ttl_at.clear();
  if (!asked.empty()) compile(it->second, asked, qtype, qclass);
}

// The entry's reply to a query for `asked` with RD, id 0 and no EDNS, and
// where its TTLs are; nothing kept if it would be cut even at 64 KiB.
void AnswerCache::compile(Entry& entry, std::string_view asked, uint16_t qtype, uint16_t qclass) {
  QueryView query;
  query.rd = true;
  query.name = asked;
  query.type = qtype;
  query.klass = qclass;
  std::string wire = client_reply(entry.reply, query, kMaxMessageSize);
  if (wire.size() < kHeaderSize || (wire::u16(wire, 2) & wire::HeaderBits::kTc)) return;
  std::size_t at = kHeaderSize;
  if (!skip_name(wire, at)) return;
  at += 4;
  std::vector<std::uint16_t> ttl_at;
  const std::size_t records = std::size_t{wire::u16(wire, 6)} + wire::u16(wire, 8) + wire::u16(wire, 10);
  for (std::size_t i = 0; i < records; ++i) {
    if (!skip_name(wire, at) || wire.size() - at < 10) return;
    ttl_at.push_back(static_cast<std::uint16_t>(at + 4));
    at += 10 + wire::u16(wire, at + 8);
  }
  if (at != wire.size()) return;
  entry.wire = std::move(wire);
  entry.ttl_at = std::move(ttl_at);
}

bool AnswerCache::reply(const QueryView& query, Clock::time_point now, std::size_t max_size, std::string& out) {
  using B = wire::HeaderBits;
  const QuestionKey key(query.name, query.type, query.klass);
  const auto it = entries_.find(key.view());
  if (it == entries_.end()) return false;
  Entry& entry = it->second;
  constexpr std::size_t kOptSize = 11;
  const std::size_t limit = std::clamp(max_size, kMinMessageSize, kMaxMessageSize);
  if (now >= entry.expires || entry.wire.empty() ||
      entry.wire.compare(kHeaderSize, query.question.size(), query.question) != 0 ||
      entry.wire.size() + (query.has_edns ? kOptSize : 0) > limit)
    return false;
  lru_.splice(lru_.begin(), lru_, entry.lru);
  ++hits_;
  out.assign(entry.wire);
  wire::set16(out, 0, query.id);
  std::uint16_t bits = wire::u16(out, 2) & ~(B::kRd | B::kCd);
  if (query.rd) bits |= B::kRd;
  if (query.cd) bits |= B::kCd;
  wire::set16(out, 2, bits);
  const auto age = static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::seconds>(now - entry.stored).count());
  for (const std::uint16_t at : entry.ttl_at) {
    const uint32_t ttl = wire::u32(entry.wire, at);
    const uint32_t lowered = ttl > age ? ttl - age : 0;
    for (int i = 0; i < 4; ++i) out[at + i] = static_cast<char>(lowered >> (24 - 8 * i));
  }
  if (query.has_edns) {
    // As serialize() writes ours: root, OPT, 1232, no extended rcode, version 0, DO as asked.
    out += '\0';
    wire::put16(out, type::OPT);
    wire::put16(out, ReplyWriter::kUdpPayloadSize);
    wire::put32(out, query.dnssec_ok ? wire::kEdnsDo : 0);
    wire::put16(out, 0);
    wire::set16(out, 10, static_cast<std::uint16_t>(wire::u16(out, 10) + 1));
  }
  return true;
}

std::optional<Message> AnswerCache::find(const Question& question, uint16_t id, Clock::time_point now, bool stale) {
  auto it = entries_.find(QuestionKey(question.name, question.type, question.klass).view());
  if (it == entries_.end()) {
    ++misses_;
    return std::nullopt;
  }
  Entry& entry = it->second;
  const bool fresh = now < entry.expires;
  if (!fresh && !(stale && now < entry.expires + options_.stale_for)) {
    ++misses_;
    if (now >= entry.expires + options_.stale_for) {
      lru_.erase(entry.lru);
      entries_.erase(it);
    }
    return std::nullopt;
  }
  lru_.splice(lru_.begin(), lru_, entry.lru);
  Message reply = entry.reply;
  reply.id = id;
  reply.questions = {question};
  reply.edns.reset();  // the asker's own, set by whoever answers it
  const auto age = std::chrono::duration_cast<std::chrono::seconds>(now - entry.stored).count();
  lower_ttls(reply, static_cast<uint32_t>(age), fresh ? std::nullopt : std::optional<uint32_t>(options_.stale_ttl));
  ++(fresh ? hits_ : stale_hits_);
  return reply;
}

}  // namespace dcos::dns
