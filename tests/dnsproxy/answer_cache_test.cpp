#include "dnsproxy/answer_cache.hpp"

#include <gtest/gtest.h>

#include "dnsproxy/name.hpp"
#include "dnsproxy/rdata.hpp"
#include "tests/dnsproxy/packets.hpp"

namespace dcos::dns {
namespace {

using namespace std::chrono_literals;
using Clock = AnswerCache::Clock;

std::string wire(const std::string& text) { return name_from_text(text).value(); }

Question question(const std::string& name, uint16_t qtype = type::A) {
  return {.name = wire(name), .type = qtype, .klass = klass::IN};
}

Message answer(const std::string& name, std::vector<uint32_t> ttls) {
  Message reply;
  reply.id = 7;
  reply.flags.qr = true;
  reply.questions = {question(name)};
  uint8_t last = 1;
  for (const uint32_t ttl : ttls) reply.answers.push_back(make_record(wire(name), type::A, ttl, a_rdata({10, 0, 0, last++})));
  reply.edns = Edns{};
  return reply;
}

Message negative(const std::string& name, uint16_t code, uint32_t soa_ttl, uint32_t minimum) {
  Message reply;
  reply.flags.qr = true;
  reply.flags.rcode = code;
  reply.questions = {question(name)};
  Soa soa{.mname = wire("ns.example"), .rname = wire("root.example"), .serial = 1, .refresh = 1, .retry = 1,
          .expire = 1, .minimum = minimum};
  reply.authority.push_back(make_record(wire("example"), type::SOA, soa_ttl, soa_rdata(soa)));
  return reply;
}

TEST(AnswerCacheTest, AnAnswerLivesForItsLeastTtlWithTtlsCountingDownAndTheAskersIdAndCase) {
  AnswerCache cache({});
  const auto t0 = Clock::time_point{} + 1000s;
  cache.store(name_key(wire("www.example")), type::A, klass::IN, answer("www.example", {60, 30}), t0);
  auto hit = cache.find(question("WWW.Example"), 99, t0 + 10s);
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->id, 99);
  EXPECT_EQ(name_to_text(hit->questions[0].name), "WWW.Example.");
  EXPECT_EQ(hit->answers[0].ttl, 50u);
  EXPECT_EQ(hit->answers[1].ttl, 20u);
  EXPECT_FALSE(hit->edns.has_value());
  EXPECT_FALSE(cache.find(question("www.example"), 1, t0 + 30s)) << "gone when its least TTL ran out";
  EXPECT_FALSE(cache.find(question("www.example", type::AAAA), 1, t0)) << "another type is another question";
  EXPECT_EQ(cache.hits(), 1u);
}

TEST(AnswerCacheTest, TtlsAreCappedAtTheMaximum) {
  AnswerCache cache({.max_entries = 10, .max_ttl = 100s, .stale_for = 0s, .stale_ttl = 30});
  const auto t0 = Clock::time_point{} + 1000s;
  cache.store(name_key(wire("a.example")), type::A, klass::IN, answer("a.example", {86400}), t0);
  EXPECT_TRUE(cache.find(question("a.example"), 1, t0 + 99s));
  EXPECT_FALSE(cache.find(question("a.example"), 1, t0 + 100s));
}

TEST(AnswerCacheTest, NegativeAnswersLiveForTheSoasNegativeTtlAndWithoutSoaNotAtAll) {
  AnswerCache cache({});
  const auto t0 = Clock::time_point{} + 1000s;
  cache.store(name_key(wire("no.example")), type::A, klass::IN, negative("no.example", rcode::NxDomain, 300, 20), t0);
  auto hit = cache.find(question("no.example"), 1, t0 + 19s);
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->flags.rcode, rcode::NxDomain);
  EXPECT_FALSE(cache.find(question("no.example"), 1, t0 + 20s));

  Message no_soa = negative("bare.example", rcode::NxDomain, 300, 20);
  no_soa.authority.clear();
  cache.store(name_key(wire("bare.example")), type::A, klass::IN, no_soa, t0);
  EXPECT_FALSE(cache.find(question("bare.example"), 1, t0));
}

TEST(AnswerCacheTest, FailuresAndTruncatedAnswersAreNotKept) {
  AnswerCache cache({});
  const auto t0 = Clock::time_point{} + 1000s;
  Message failed = answer("f.example", {60});
  failed.flags.rcode = rcode::ServFail;
  cache.store(name_key(wire("f.example")), type::A, klass::IN, failed, t0);
  Message cut = answer("t.example", {60});
  cut.flags.tc = true;
  cache.store(name_key(wire("t.example")), type::A, klass::IN, cut, t0);
  EXPECT_EQ(cache.size(), 0u);
}

TEST(AnswerCacheTest, StaleAnswersOnlyWhenAskedAndOnlyForAWhile) {
  AnswerCache cache({.max_entries = 10, .max_ttl = 3600s, .stale_for = 30s, .stale_ttl = 7});
  const auto t0 = Clock::time_point{} + 1000s;
  cache.store(name_key(wire("s.example")), type::A, klass::IN, answer("s.example", {10}), t0);
  EXPECT_FALSE(cache.find(question("s.example"), 1, t0 + 15s));
  auto stale = cache.find(question("s.example"), 1, t0 + 15s, /*stale=*/true);
  ASSERT_TRUE(stale);
  EXPECT_EQ(stale->answers[0].ttl, 7u);
  EXPECT_EQ(cache.stale_hits(), 1u);
  EXPECT_FALSE(cache.find(question("s.example"), 1, t0 + 41s, true));
  EXPECT_EQ(cache.size(), 0u) << "dropped once past serving stale";
}

TEST(AnswerCacheTest, TheLeastRecentlyUsedAnswerGoesFirst) {
  AnswerCache cache({.max_entries = 2, .max_ttl = 3600s, .stale_for = 0s, .stale_ttl = 30});
  const auto t0 = Clock::time_point{} + 1000s;
  for (const char* name : {"a.example", "b.example"})
    cache.store(name_key(wire(name)), type::A, klass::IN, answer(name, {60}), t0);
  EXPECT_TRUE(cache.find(question("a.example"), 1, t0));  // b is now the least recently used
  cache.store(name_key(wire("c.example")), type::A, klass::IN, answer("c.example", {60}), t0);
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_TRUE(cache.find(question("a.example"), 1, t0));
  EXPECT_FALSE(cache.find(question("b.example"), 1, t0));
  EXPECT_TRUE(cache.find(question("c.example"), 1, t0));
}

// What the forwarder sends for a cache hit the long way: find(), then client_reply().
std::string message_reply(AnswerCache& cache, const QueryView& query, Clock::time_point now, std::size_t max) {
  auto hit = cache.find({.name = std::string(query.name), .type = query.type, .klass = query.klass}, query.id, now);
  EXPECT_TRUE(hit);
  return hit ? client_reply(*hit, query, max) : "";
}

TEST(AnswerCacheTest, WireRepliesAreTheMessageRepliesByteForByte) {
  AnswerCache cache({});
  const auto t0 = Clock::time_point{} + 1000s;
  Message big = answer("many.example", std::vector<uint32_t>(40, 300));
  big.authority.push_back(make_record(wire("example"), type::NS, 600, name_rdata(wire("ns.example"))));
  big.additional.push_back(make_record(wire("ns.example"), type::A, 600, a_rdata({10, 0, 0, 53})));
  big.flags.ad = true;
  cache.store(name_key(wire("www.example")), type::A, klass::IN, answer("www.example", {60, 30}), t0,
              wire("www.example"));
  cache.store(name_key(wire("many.example")), type::A, klass::IN, big, t0, wire("many.example"));
  cache.store(name_key(wire("gone.example")), type::A, klass::IN, negative("gone.example", rcode::NxDomain, 300, 60),
              t0, wire("gone.example"));
  for (const std::string name : {"www.example", "many.example", "gone.example"}) {
    for (const std::string& packet : {packets::query(name, type::A), packets::edns_query(name, type::A)}) {
      const auto query = peek_query(packet);
      ASSERT_TRUE(query);
      std::string fast;
      ASSERT_TRUE(cache.reply(*query, t0 + 7s, 4096, fast)) << name;
      EXPECT_EQ(fast, message_reply(cache, *query, t0 + 7s, 4096)) << name << (query->has_edns ? " with EDNS" : "");
    }
  }
  EXPECT_EQ(cache.hits(), 12u) << "a wire reply is a hit too";
}

TEST(AnswerCacheTest, WireRepliesOnlyForTheQuestionAsStoredFreshAndWhole) {
  AnswerCache cache({});
  const auto t0 = Clock::time_point{} + 1000s;
  cache.store(name_key(wire("www.example")), type::A, klass::IN, answer("www.example", {60}), t0,
              wire("www.example"));
  cache.store(name_key(wire("many.example")), type::A, klass::IN, answer("many.example", std::vector<uint32_t>(40, 60)),
              t0, wire("many.example"));
  cache.store(name_key(wire("plain.example")), type::A, klass::IN, answer("plain.example", {60}), t0);
  std::string out = "untouched";
  const auto ask = [&](const std::string& packet, Clock::time_point now, std::size_t max) {
    return cache.reply(*peek_query(packet), now, max, out);
  };
  EXPECT_FALSE(ask(packets::query("WWW.example", type::A), t0, 512)) << "another case: compressed differently";
  EXPECT_FALSE(ask(packets::query("www.example", type::A), t0 + 60s, 512)) << "expired";
  EXPECT_FALSE(ask(packets::query("many.example", type::A), t0, 512)) << "would be truncated";
  EXPECT_FALSE(ask(packets::query("plain.example", type::A), t0, 512)) << "stored without the question as asked";
  EXPECT_FALSE(ask(packets::query("www.example", type::AAAA), t0, 512)) << "another type";
  EXPECT_EQ(out, "untouched");
  EXPECT_TRUE(ask(packets::query("many.example", type::A), t0, 1232));
  EXPECT_TRUE(cache.find(question("WWW.example"), 1, t0)) << "the long way still answers every case";
}

}  // namespace
}  // namespace dcos::dns
