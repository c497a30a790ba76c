// RecordLog: records survive a reopen, and a crash in the middle of an
// append (a torn tail) or a damaged record ends the log there, the way
// LevelDB's log reader treats its own files (log_test, recovery_test).
#include "runtime/record_log.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "tests/support/cluster.hpp"

namespace dcos {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

std::string contents(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void overwrite(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

std::string be32(uint32_t value) {
  std::string out;
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((value >> shift) & 0xff));
  return out;
}

// Opens `path`, expecting success; the caller's ASSERT stops on failure.
RecordLog::Opened open_ok(const std::string& path) {
  auto opened = RecordLog::open(path);
  EXPECT_TRUE(opened.ok()) << (opened.ok() ? "" : opened.error().message);
  if (!opened.ok()) return {};
  return std::move(*opened);
}

void append_ok(RecordLog& log, const std::string& payload) {
  auto appended = log.append(RecordLog::encode(payload));
  ASSERT_TRUE(appended.ok()) << appended.error().message;
}

TEST(RecordLog, Crc32IsTheStandardCrc) {
  EXPECT_EQ(RecordLog::crc32("123456789"), 0xCBF43926u);
  EXPECT_EQ(RecordLog::crc32(""), 0u);
}

TEST(RecordLog, EncodeIsBigEndianLengthThenCrcThenPayload) {
  const std::string encoded = RecordLog::encode("123456789");
  EXPECT_EQ(encoded, be32(9) + be32(0xCBF43926u) + "123456789");
  EXPECT_EQ(RecordLog::encode(""), be32(0) + be32(0));
}

TEST(RecordLog, RoundTripOfManyRecords) {
  TempDir dir;
  const std::string path = dir.path() + "/log";
  std::vector<std::string> written = {"", "a", std::string("\0\x01\xff zero", 8), std::string(1 << 20, 'x'), ""};
  for (int i = 0; i < 200; ++i) written.push_back("record-" + std::to_string(i) + std::string(i % 17, 'z'));
  {
    auto opened = open_ok(path);
    ASSERT_TRUE(opened.records.empty());
    EXPECT_EQ(opened.dropped_bytes, 0u);
    // Several records in one append, as the registry batches them.
    ASSERT_TRUE(opened.log.append(RecordLog::encode(written[0]) + RecordLog::encode(written[1])).ok());
    for (std::size_t i = 2; i < written.size(); ++i) append_ok(opened.log, written[i]);
    ASSERT_TRUE(opened.log.sync().ok());
  }
  auto reopened = open_ok(path);
  EXPECT_EQ(reopened.dropped_bytes, 0u);
  ASSERT_EQ(reopened.records.size(), written.size());
  for (std::size_t i = 0; i < written.size(); ++i) EXPECT_EQ(reopened.records[i], written[i]) << "record " << i;
}

// close() gives the descriptor back; append() and sync() take it again and
// continue after the last record, and a log whose file went is an error.
TEST(RecordLog, AppendAfterCloseContinuesTheLog) {
  TempDir dir;
  const std::string path = dir.path() + "/log";
  auto opened = open_ok(path);
  std::string all;
  for (int i = 0; i < 3; ++i) {
    const std::string payload = "record " + std::to_string(i);
    append_ok(opened.log, payload);
    all += RecordLog::encode(payload);
    opened.log.close();
    opened.log.close();  // twice is harmless
  }
  ASSERT_TRUE(opened.log.sync().ok());
  EXPECT_EQ(contents(path), all);
  EXPECT_EQ(open_ok(path).records.size(), 3u);
  opened.log.close();
  fs::remove(path);
  EXPECT_FALSE(opened.log.append(RecordLog::encode("lost")).ok());
  EXPECT_FALSE(fs::exists(path));
}

TEST(RecordLog, ReopenAppendsAfterTheLastRecord) {
  TempDir dir;
  const std::string path = dir.path() + "/log";
  std::vector<std::string> expected;
  for (int round = 0; round < 3; ++round) {
    auto opened = open_ok(path);
    EXPECT_EQ(opened.records, expected) << "round " << round;
    const std::string payload = "round " + std::to_string(round);
    append_ok(opened.log, payload);
    expected.push_back(payload);
  }
  auto last = open_ok(path);
  EXPECT_EQ(last.records, expected);
  std::string all;
  for (const auto& payload : expected) all += RecordLog::encode(payload);
  EXPECT_EQ(contents(path), all);
}

TEST(RecordLog, TornTailIsCutOffAtEveryLength) {
  TempDir dir;
  const std::string path = dir.path() + "/log";
  const std::string good = RecordLog::encode("first") + RecordLog::encode("");
  const std::string last = RecordLog::encode(std::string(40, 'L'));
  // Every prefix of the last record short of the whole: inside the length,
  // inside the CRC, inside the payload.
  for (std::size_t length = 1; length < last.size(); ++length) {
    SCOPED_TRACE("torn tail of " + std::to_string(length) + " bytes");
    overwrite(path, good + last.substr(0, length));
    {
      auto opened = open_ok(path);
      EXPECT_EQ(opened.records, (std::vector<std::string>{"first", ""}));
      EXPECT_EQ(opened.dropped_bytes, length);
      EXPECT_EQ(fs::file_size(path), good.size());
      append_ok(opened.log, "after");
    }
    auto reopened = open_ok(path);
    EXPECT_EQ(reopened.records, (std::vector<std::string>{"first", "", "after"}));
    EXPECT_EQ(reopened.dropped_bytes, 0u);
  }
}

TEST(RecordLog, CrcMismatchEndsTheLogAtThatRecord) {
  TempDir dir;
  const std::string path = dir.path() + "/log";
  const std::string first = RecordLog::encode("first");
  std::string second = RecordLog::encode("second");
  const std::string third = RecordLog::encode("third");
  second[8 + 2] ^= 0x01;  // one bit of the payload
  overwrite(path, first + second + third);
  {
    auto opened = open_ok(path);
    EXPECT_EQ(opened.records, std::vector<std::string>{"first"});
    EXPECT_EQ(opened.dropped_bytes, second.size() + third.size());
    EXPECT_EQ(contents(path), first);
    append_ok(opened.log, "fourth");
  }
  auto reopened = open_ok(path);
  EXPECT_EQ(reopened.records, (std::vector<std::string>{"first", "fourth"}));
}

TEST(RecordLog, CorruptCrcFieldEndsTheLog) {
  TempDir dir;
  const std::string path = dir.path() + "/log";
  std::string only = RecordLog::encode("payload");
  only[5] ^= 0x80;
  overwrite(path, only);
  auto opened = open_ok(path);
  EXPECT_TRUE(opened.records.empty());
  EXPECT_EQ(opened.dropped_bytes, only.size());
}

TEST(RecordLog, LengthOverTheMaximumEndsTheLog) {
  TempDir dir;
  const std::string path = dir.path() + "/log";
  const std::string first = RecordLog::encode("first");
  // A header claiming kMaxRecord + 1 bytes: rejected by the limit before
  // the length is trusted, and nothing after it is read.
  const std::string bad = be32(static_cast<uint32_t>(RecordLog::kMaxRecord + 1)) + be32(0) + "tail";
  overwrite(path, first + bad + RecordLog::encode("after"));
  auto opened = open_ok(path);
  EXPECT_EQ(opened.records, std::vector<std::string>{"first"});
  EXPECT_EQ(opened.dropped_bytes, bad.size() + RecordLog::encode("after").size());
  EXPECT_EQ(fs::file_size(path), first.size());

  // 0xffffffff must not overflow the bounds check either.
  overwrite(path, first + be32(0xffffffffu) + be32(0) + "x");
  auto again = open_ok(path);
  EXPECT_EQ(again.records, std::vector<std::string>{"first"});
  EXPECT_EQ(again.dropped_bytes, 9u);
}

TEST(RecordLog, RecordOfExactlyTheMaximumIsAccepted) {
  TempDir dir;
  const std::string path = dir.path() + "/log";
  const std::string big(RecordLog::kMaxRecord, 'm');
  overwrite(path, RecordLog::encode(big));
  auto opened = open_ok(path);
  ASSERT_EQ(opened.records.size(), 1u);
  EXPECT_EQ(opened.records[0].size(), RecordLog::kMaxRecord);
  EXPECT_EQ(opened.dropped_bytes, 0u);
}

TEST(RecordLog, OpenInAMissingDirectoryFailsNamingThePath) {
  TempDir dir;
  const std::string path = dir.path() + "/missing/log";
  auto opened = RecordLog::open(path);
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.error().message.find(path), std::string::npos) << opened.error().message;
  EXPECT_FALSE(fs::exists(dir.path() + "/missing"));
}

TEST(RecordLog, MovedFromLogIsInertAndMovedToLogKeepsAppending) {
  TempDir dir;
  const std::string path = dir.path() + "/log";
  {
    auto opened = open_ok(path);
    RecordLog moved = std::move(opened.log);
    append_ok(moved, "one");
    RecordLog assigned;
    assigned = std::move(moved);
    append_ok(assigned, "two");
  }
  EXPECT_EQ(open_ok(path).records, (std::vector<std::string>{"one", "two"}));
}

}  // namespace
}  // namespace dcos
