#include "dnsproxy/query.hpp"

#include <gtest/gtest.h>

#include <string>

#include "dnsproxy/name.hpp"
#include "dnsproxy/rdata.hpp"
#include "tests/dnsproxy/packets.hpp"

namespace dcos::dns {
namespace {

using packets::bytes;
using packets::name;

TEST(DnsPeek, ReadsDigQueryLikeParse) {
  auto query = peek_query(packets::kDigQuery);
  ASSERT_TRUE(query);
  auto message = parse(packets::kDigQuery);
  ASSERT_TRUE(message);
  EXPECT_EQ(query->id, message->id);
  EXPECT_TRUE(query->rd);
  EXPECT_EQ(query->name, message->questions[0].name);
  EXPECT_EQ(query->type, type::A);
  EXPECT_EQ(query->klass, klass::IN);
  EXPECT_EQ(query->question, name("example.com") + bytes("0001 0001"));
  EXPECT_TRUE(query->has_edns);
  EXPECT_EQ(query->udp_payload_size, 1232);
  EXPECT_EQ(query->udp_reply_limit(), 1232u);
  // The views point into the packet: nothing was copied.
  EXPECT_EQ(query->name.data(), packets::kDigQuery.data() + 12);
}

TEST(DnsPeek, ReadsQueryWithoutEdnsKeepingCase) {
  const std::string packet = packets::query("Leader.Mesos", type::SRV);
  auto query = peek_query(packet);
  ASSERT_TRUE(query);
  EXPECT_EQ(query->name, name("Leader.Mesos"));
  EXPECT_EQ(query->type, type::SRV);
  EXPECT_FALSE(query->has_edns);
  EXPECT_EQ(query->udp_reply_limit(), 512u);
  char buffer[kMaxNameLength];
  EXPECT_EQ(name_key(query->name, buffer), name("leader.mesos"));
}

TEST(DnsPeek, DeclinesWhatTheFastPathDoesNotServe) {
  const std::string question = name("a.mesos") + bytes("0001 0001");
  const std::string opt = bytes("00 0029 04d0 00000000 0000");
  const struct {
    const char* what;
    std::string packet;
  } declined[] = {
      {"empty", ""},
      {"short header", bytes("abcd 0100 0001 0000 0000")},
      {"a response", bytes("abcd 8100 0001 0000 0000 0000") + question},
      {"opcode NOTIFY", bytes("abcd 2000 0001 0000 0000 0000") + question},
      {"two questions", bytes("abcd 0100 0002 0000 0000 0000") + question + question},
      {"no question", bytes("abcd 0100 0000 0000 0000 0000")},
      {"an answer", bytes("abcd 0100 0001 0001 0000 0000") + question + bytes("c00c 0001 0001 00000000 0000")},
      {"two additional", bytes("abcd 0100 0001 0000 0000 0002") + question + opt + opt},
      {"additional not OPT", bytes("abcd 0100 0001 0000 0000 0001") + question + bytes("00 0001 0001 00000000 0000")},
      {"OPT with an owner", bytes("abcd 0100 0001 0000 0000 0001") + question + bytes("0161 00 0029 04d0 00000000 0000")},
      {"OPT options cut", bytes("abcd 0100 0001 0000 0000 0001") + question + bytes("00 0029 04d0 00000000 0004 000a 0008")},
      {"compressed name", bytes("abcd 0100 0001 0000 0000 0000") + bytes("c00c 0001 0001")},
      {"label over 63", bytes("abcd 0100 0001 0000 0000 0000") + "\x40" + std::string(64, 'a') + bytes("00 0001 0001")},
      {"cut question", bytes("abcd 0100 0001 0000 0000 0000") + name("a.mesos") + bytes("0001 00")},
      {"trailing bytes", bytes("abcd 0100 0001 0000 0000 0000") + question + bytes("00")},
      {"trailing after OPT", bytes("abcd 0100 0001 0000 0000 0001") + question + opt + bytes("00")},
  };
  for (const auto& packet : declined) EXPECT_FALSE(peek_query(packet.packet)) << packet.what;
}

TEST(DnsReplyWriter, AnswersFromThePeekedQuery) {
  const std::string packet = packets::query("Web.Marathon.Mesos", type::A);
  auto query = peek_query(packet);
  ASSERT_TRUE(query);
  std::string out;
  ReplyWriter reply(*query, out, query->udp_reply_limit(), rcode::NoError, true);
  EXPECT_TRUE(reply.add(ReplyWriter::Section::Answer, type::A, 5, a_rdata({10, 0, 0, 1})));
  EXPECT_TRUE(reply.add(ReplyWriter::Section::Answer, type::A, 5, a_rdata({10, 0, 0, 2})));
  reply.finish();
  auto message = parse(out);
  ASSERT_TRUE(message) << message.error().message;
  EXPECT_EQ(message->id, 0x4242);
  EXPECT_TRUE(message->flags.qr && message->flags.aa && message->flags.rd && message->flags.ra);
  EXPECT_FALSE(message->flags.tc);
  EXPECT_EQ(message->questions[0].name, name("Web.Marathon.Mesos")) << "the question echoed as sent";
  ASSERT_EQ(message->answers.size(), 2u);
  EXPECT_EQ(message->answers[1], make_record(name("Web.Marathon.Mesos"), type::A, 5, a_rdata({10, 0, 0, 2})));
  EXPECT_FALSE(message->edns);
}

TEST(DnsReplyWriter, NegativeAnswerWithSoaAndEdns) {
  auto query = peek_query(packets::kDigQuery);
  ASSERT_TRUE(query);
  std::string out = "old contents";
  ReplyWriter reply(*query, out, query->udp_reply_limit(), rcode::NxDomain, true);
  const std::string soa = soa_rdata({name("ns1.mesos"), name("root.ns1.mesos"), 1, 60, 180, 86400, 5});
  EXPECT_TRUE(reply.add(ReplyWriter::Section::Authority, name("mesos"), type::SOA, 5, soa));
  reply.finish();
  auto message = parse(out);
  ASSERT_TRUE(message) << message.error().message;
  EXPECT_EQ(message->flags.rcode, rcode::NxDomain);
  ASSERT_TRUE(message->edns);
  EXPECT_EQ(message->edns->udp_payload_size, ReplyWriter::kUdpPayloadSize);
  ASSERT_TRUE(negative_ttl(*message));
  EXPECT_EQ(negative_ttl(*message)->ttl(), 5u);
}

TEST(DnsReplyWriter, SetsTcWhenAnswersDoNotFit) {
  const std::string packet = packets::query("agent.mesos", type::A);
  auto query = peek_query(packet);
  ASSERT_TRUE(query);
  std::string out;
  ReplyWriter reply(*query, out, query->udp_reply_limit(), rcode::NoError, true);
  int added = 0;
  for (int i = 0; i < 100; ++i)
    if (reply.add(ReplyWriter::Section::Answer, type::A, 5, a_rdata({10, 0, 0, static_cast<std::uint8_t>(i)})))
      ++added;
  EXPECT_TRUE(reply.truncated());
  EXPECT_FALSE(reply.add(ReplyWriter::Section::Additional, type::A, 5, a_rdata({1, 1, 1, 1})));
  reply.finish();
  EXPECT_LE(out.size(), 512u);
  auto message = parse(out);
  ASSERT_TRUE(message) << message.error().message;
  EXPECT_TRUE(message->flags.tc);
  EXPECT_EQ(message->answers.size(), static_cast<std::size_t>(added));
  EXPECT_EQ(added, (512 - 12 - 17) / 16);
}

TEST(DnsErrorReply, EchoesIdAndQuestionWhenTheyParse) {
  auto reply = parse(error_reply(packets::kDigQuery, rcode::Refused));
  ASSERT_TRUE(reply) << reply.error().message;
  EXPECT_EQ(reply->id, 0x1234);
  EXPECT_TRUE(reply->flags.qr);
  EXPECT_EQ(reply->flags.rcode, rcode::Refused);
  EXPECT_EQ(reply->questions, parse(packets::kDigQuery)->questions);
  EXPECT_TRUE(reply->edns);
  EXPECT_TRUE(reply->answers.empty());

  // A bad answer section: the question still reads and is echoed.
  const std::string bad_answer = bytes("abcd 0100 0001 0001 0000 0000") + name("a.mesos") +
                                 bytes("0001 0001 c0ff 0001 0001 00000000 0000");
  ASSERT_FALSE(parse(bad_answer));
  reply = parse(error_reply(bad_answer, rcode::FormErr));
  ASSERT_TRUE(reply) << reply.error().message;
  EXPECT_EQ(reply->id, 0xabcd);
  EXPECT_EQ(reply->flags.rcode, rcode::FormErr);
  EXPECT_TRUE(reply->flags.rd);
  ASSERT_EQ(reply->questions.size(), 1u);
  EXPECT_EQ(reply->questions[0].name, name("a.mesos"));
}

TEST(DnsErrorReply, JustTheIdWhenOnlyTheHeaderParses) {
  const std::string bad_question = bytes("abcd 0100 0001 0000 0000 0000 46 6161");
  auto reply = parse(error_reply(bad_question, rcode::FormErr));
  ASSERT_TRUE(reply) << reply.error().message;
  EXPECT_EQ(reply->id, 0xabcd);
  EXPECT_EQ(reply->flags.rcode, rcode::FormErr);
  EXPECT_TRUE(reply->questions.empty());
  EXPECT_EQ(error_reply(bytes("abcd 0100 0001 0000 0000"), rcode::FormErr), "") << "no header, no reply";
  EXPECT_EQ(error_reply(packets::kAReply, rcode::FormErr), "") << "responses are never answered";
}

}  // namespace
}  // namespace dcos::dns
