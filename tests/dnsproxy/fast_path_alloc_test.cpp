// The server's fast path (peek_query, name_key into a buffer, ReplyWriter
// into a reused string) must not allocate: dcos-dns answers cluster names
// at 1.5x unbound's rate (issue 6), and an allocation per query is a good
// part of that budget. Counted by replacing the global operator new for
// this test binary (the other tests only get counted too).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

#include "dnsproxy/answer_cache.hpp"
#include "dnsproxy/name.hpp"
#include "dnsproxy/query.hpp"
#include "dnsproxy/rdata.hpp"
#include "dnsproxy/zone_answer.hpp"
#include "tests/dnsproxy/packets.hpp"

namespace {
std::atomic<long> allocations{0};
}  // namespace

// This operator new is malloc, so free is its match; GCC, inlining both
// into standard containers, cannot tell that the replacement is ours.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

void* operator new(std::size_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace dcos::dns {
namespace {

TEST(DnsFastPath, AnswersAQueryWithoutAllocating) {
  const std::string packet = packets::kDigQuery;
  const std::string rdata = a_rdata({10, 0, 0, 1});
  std::string out;
  out.reserve(kMinMessageSize);
  char key[kMaxNameLength];
  const long before = allocations.load();
  for (int i = 0; i < 100; ++i) {
    auto query = peek_query(packet);
    ASSERT_TRUE(query);
    ASSERT_EQ(name_key(query->name, key).size(), query->name.size());
    ReplyWriter reply(*query, out, query->udp_reply_limit(), rcode::NoError, true);
    ASSERT_TRUE(reply.add(ReplyWriter::Section::Answer, type::A, 5, rdata));
    reply.finish();
  }
  EXPECT_EQ(allocations.load() - before, 0);
  EXPECT_TRUE(parse(out));
}

TEST(DnsFastPath, AnswersACompiledClusterNameWithoutAllocating) {
  ClusterZone zone({});  // ns1.mesos: 127.0.0.1
  ZoneAnswerer answerer(zone, 5);
  const std::string packet = packets::edns_query("ns1.mesos", type::A);
  const auto query = peek_query(packet);
  ASSERT_TRUE(query);
  std::string out;
  out.reserve(kMinMessageSize);
  ASSERT_TRUE(answerer.answer(*query, query->udp_reply_limit(), out));  // compiles it
  const long before = allocations.load();
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(answerer.answer(*query, query->udp_reply_limit(), out));
  EXPECT_EQ(allocations.load() - before, 0);
  EXPECT_EQ(answerer.compiled(), 1u);
  EXPECT_TRUE(parse(out));
}

TEST(DnsFastPath, AnswersFromTheCacheWithoutAllocating) {
  AnswerCache cache({});
  Message answer;
  answer.flags.qr = true;
  answer.questions = {{.name = packets::name("example.com"), .type = type::A, .klass = klass::IN}};
  answer.answers = {make_record(packets::name("example.com"), type::A, 300, a_rdata({192, 0, 2, 1}))};
  const auto now = AnswerCache::Clock::now();
  cache.store(name_key(answer.questions[0].name), type::A, klass::IN, answer, now, answer.questions[0].name);
  const auto query = peek_query(packets::kDigQuery);  // example.com A
  ASSERT_TRUE(query);
  std::string out;
  out.reserve(kMinMessageSize);
  const long before = allocations.load();
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(cache.reply(*query, now, query->udp_reply_limit(), out));
  EXPECT_EQ(allocations.load() - before, 0);
  EXPECT_TRUE(parse(out));
}

}  // namespace
}  // namespace dcos::dns
