#include "runtime/recordio.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace dcos::recordio {
namespace {

using Records = std::vector<std::string>;

// Feeds `stream` whole and returns what came out; fails the test on error.
Records decode_all(std::string_view stream, std::size_t max_record = kDefaultMaxRecord) {
  RecordIoDecoder decoder(max_record);
  Records out;
  auto fed = decoder.feed(stream, out);
  EXPECT_TRUE(fed) << fed.error().message;
  EXPECT_TRUE(decoder.at_boundary());
  return out;
}

std::string error_of(std::string_view stream, std::size_t max_record = kDefaultMaxRecord) {
  RecordIoDecoder decoder(max_record);
  Records out;
  auto fed = decoder.feed(stream, out);
  if (fed) return "";
  EXPECT_TRUE(decoder.failed());
  return fed.error().message;
}

TEST(RecordIo, EncodesLengthNewlineBytes) {
  EXPECT_EQ(encode("hello"), "5\nhello");
  EXPECT_EQ(encode(""), "0\n");
  EXPECT_EQ(encode(std::string(1234, 'x')).substr(0, 5), "1234\n");
}

TEST(RecordIo, RoundTripsRecordsWithAnyBytes) {
  const Records records = {"{\"type\":\"HEARTBEAT\"}", "", std::string("\n\0\n9\n", 5), std::string(70000, 'z'), "x"};
  std::string stream;
  for (const auto& r : records) stream += encode(r);
  EXPECT_EQ(decode_all(stream), records);
}

TEST(RecordIo, SeveralRecordsInOneChunk) {
  EXPECT_EQ(decode_all("3\nabc2\nde0\n1\nf"), (Records{"abc", "de", "", "f"}));
}

TEST(RecordIo, ZeroLengthRecord) {
  EXPECT_EQ(decode_all("0\n"), Records{""});
  EXPECT_EQ(decode_all("0\n0\n"), (Records{"", ""}));
}

TEST(RecordIo, RecordsSplitAtEveryByteBoundary) {
  const Records records = {"first", "", "third record\n with a newline", "12\n34"};
  std::string stream;
  for (const auto& r : records) stream += encode(r);
  // Two chunks, split at every position; then one byte at a time.
  for (std::size_t split = 0; split <= stream.size(); ++split) {
    RecordIoDecoder decoder;
    Records out;
    ASSERT_TRUE(decoder.feed(std::string_view(stream).substr(0, split), out));
    ASSERT_TRUE(decoder.feed(std::string_view(stream).substr(split), out));
    EXPECT_EQ(out, records) << "split at " << split;
    EXPECT_TRUE(decoder.at_boundary());
  }
  RecordIoDecoder decoder;
  Records out;
  for (char byte : stream) ASSERT_TRUE(decoder.feed(std::string_view(&byte, 1), out));
  EXPECT_EQ(out, records);
}

TEST(RecordIo, ReportsAPartialRecordAsNotAtBoundary) {
  RecordIoDecoder decoder;
  Records out;
  ASSERT_TRUE(decoder.feed("5\nhel", out));
  EXPECT_TRUE(out.empty());
  EXPECT_FALSE(decoder.at_boundary());
  ASSERT_TRUE(decoder.feed("lo1", out));
  EXPECT_EQ(out, Records{"hello"});
  EXPECT_FALSE(decoder.at_boundary());  // "1" of the next header
}

TEST(RecordIo, RejectsOversizedRecordFromItsHeader) {
  EXPECT_EQ(decode_all("10\n0123456789", 10), Records{"0123456789"});
  const std::string error = error_of("11\n", 10);
  EXPECT_NE(error.find("record of 11 bytes exceeds the limit of 10 bytes"), std::string::npos) << error;
}

TEST(RecordIo, RejectsOverlongLength) {
  // More digits than the limit has: refused before the newline arrives.
  const std::string error = error_of("000000000001", 4096);
  EXPECT_NE(error.find("longer than any record allowed"), std::string::npos) << error;
  EXPECT_NE(error_of(std::string(100, '9')).find("longer than any record"), std::string::npos);
}

TEST(RecordIo, RejectsJunkInTheLength) {
  EXPECT_NE(error_of("abc\n").find("decimal digits then a newline, got 'abc\\x0a'"), std::string::npos)
      << error_of("abc\n");
  EXPECT_NE(error_of(" 5\nhello").find("got ' 5\\x0ahello'"), std::string::npos) << error_of(" 5\nhello");
  EXPECT_NE(error_of("+5\nhello").find("decimal digits"), std::string::npos);
  EXPECT_NE(error_of("-1\n").find("decimal digits"), std::string::npos);
  EXPECT_NE(error_of("5\r\nhello").find("got '5\\x0d"), std::string::npos) << error_of("5\r\nhello");
  EXPECT_NE(error_of("\n").find("empty record length"), std::string::npos);
  // Junk after a good record: the good record still comes out.
  RecordIoDecoder decoder;
  Records out;
  EXPECT_FALSE(decoder.feed("2\nokHTTP/1.1 200 OK", out));
  EXPECT_EQ(out, Records{"ok"});
}

TEST(RecordIo, StaysFailedAfterAnError) {
  RecordIoDecoder decoder;
  Records out;
  ASSERT_FALSE(decoder.feed("x", out));
  auto again = decoder.feed("1\na", out);
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().message.find("already failed"), std::string::npos);
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(decoder.failed());
}

}  // namespace
}  // namespace dcos::recordio
