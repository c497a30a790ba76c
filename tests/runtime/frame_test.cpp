#include "runtime/frame.hpp"

#include <gtest/gtest.h>

namespace dcos::wire {
namespace {

internal::Envelope ping(uint64_t sequence) {
  internal::Envelope envelope;
  envelope.mutable_ping()->set_sequence(sequence);
  return envelope;
}

TEST(FrameDecoder, DecodesFramesSplitAtEveryByte) {
  const std::string stream = encode_frame(ping(1)) + encode_frame(ping(2)) + encode_frame(make_hello("agent"));
  FrameDecoder decoder;
  std::vector<internal::Envelope> out;
  for (char byte : stream) {
    ASSERT_TRUE(decoder.feed(std::string_view(&byte, 1)));
    for (;;) {
      auto next = decoder.next();
      ASSERT_TRUE(next) << next.error().message;
      if (!next->has_value()) break;
      out.push_back(**next);
    }
  }
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].ping().sequence(), 1u);
  EXPECT_EQ(out[1].ping().sequence(), 2u);
  EXPECT_EQ(out[2].hello().protocol_version(), kProtocolVersion);
  EXPECT_FALSE(decoder.mid_frame());
}

TEST(FrameDecoder, RejectsOversizedFrameFromItsHeader) {
  FrameDecoder decoder(1024);
  const std::string header("\x00\x00\x04\x01", 4);  // 1025 bytes declared
  auto fed = decoder.feed(header);
  ASSERT_FALSE(fed);
  EXPECT_NE(fed.error().message.find("exceeds the limit of 1024"), std::string::npos);
  EXPECT_TRUE(decoder.failed());
  EXPECT_FALSE(decoder.feed("more"));
}

TEST(FrameDecoder, RejectsGarbagePayload) {
  FrameDecoder decoder;
  const std::string frame = std::string("\x00\x00\x00\x04", 4) + "\xff\xff\xff\xff";
  ASSERT_TRUE(decoder.feed(frame));
  auto next = decoder.next();
  ASSERT_FALSE(next);
  EXPECT_NE(next.error().message.find("not a valid envelope"), std::string::npos);
}

TEST(FrameDecoder, RejectsEnvelopeWithNoBody) {
  FrameDecoder decoder;
  ASSERT_TRUE(decoder.feed(std::string("\x00\x00\x00\x00", 4)));
  auto next = decoder.next();
  ASSERT_FALSE(next);
  EXPECT_NE(next.error().message.find("no known message"), std::string::npos);
}

TEST(FrameDecoder, WaitsForTruncatedFrame) {
  FrameDecoder decoder;
  const std::string frame = encode_frame(ping(7));
  ASSERT_TRUE(decoder.feed(frame.substr(0, frame.size() - 1)));
  auto next = decoder.next();
  ASSERT_TRUE(next);
  EXPECT_FALSE(next->has_value());
  EXPECT_TRUE(decoder.mid_frame());
}

TEST(Hello, ChecksVersionAndKind) {
  EXPECT_TRUE(check_hello(make_hello("agent")));
  auto wrong = make_hello("agent");
  wrong.mutable_hello()->set_protocol_version(99);
  auto checked = check_hello(wrong);
  ASSERT_FALSE(checked);
  EXPECT_NE(checked.error().message.find("version 99 is not supported"), std::string::npos);
  auto not_hello = check_hello(ping(1));
  ASSERT_FALSE(not_hello);
  EXPECT_NE(not_hello.error().message.find("got ping"), std::string::npos);
}

}  // namespace
}  // namespace dcos::wire

namespace dcos::wire {
namespace {

TEST(FrameDecoder, NamesMissingRequiredFields) {
  internal::Envelope envelope;
  envelope.mutable_register_agent()->mutable_agent()->set_port(5051);  // no hostname
  FrameDecoder decoder;
  ASSERT_TRUE(decoder.feed(encode_frame(envelope)));
  auto next = decoder.next();
  ASSERT_FALSE(next);
  EXPECT_EQ(next.error().message,
            "frame carries a register_agent message missing required fields: register_agent.agent.hostname");
  EXPECT_TRUE(decoder.failed());
}

}  // namespace
}  // namespace dcos::wire
