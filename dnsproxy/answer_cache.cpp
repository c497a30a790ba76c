#include "dnsproxy/answer_cache.hpp"

#include <algorithm>

#include "dnsproxy/name.hpp"
#include "dnsproxy/rdata.hpp"

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

}  // namespace

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
                        Clock::time_point now) {
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
    it = entries_.emplace(id, Entry{.reply = {}, .stored = {}, .expires = {}, .lru = lru_.begin()}).first;
  } else {
    lru_.splice(lru_.begin(), lru_, it->second.lru);
  }
  it->second.reply = reply;
  it->second.stored = now;
  it->second.expires = now + ttl;
}

std::optional<Message> AnswerCache::find(const Question& question, uint16_t id, Clock::time_point now, bool stale) {
  auto it = entries_.find(entry_key(name_key(question.name), question.type, question.klass));
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
