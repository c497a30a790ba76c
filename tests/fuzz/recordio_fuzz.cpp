// libFuzzer target for dcos::recordio::RecordIoDecoder (runtime/recordio.hpp),
// which reads the event streams of the Mesos v1 HTTP APIs.
//
// Input layout: the first kPlanSize bytes are the chunk plan, the rest is
// the stream. The stream is fed in chunks whose sizes cycle through the
// plan (a plan byte of 0 feeds all that is left).
//
// Checked on every input:
//   - chunking does not matter: the records, and whether the stream fails,
//     equal those of feeding the whole stream at once;
//   - a failed decoder stays failed;
//   - no record exceeds the bound;
//   - the records, encoded again and decoded, come back unchanged.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/recordio.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace {

constexpr std::size_t kPlanSize = 4;
constexpr std::size_t kMaxRecord = 1024;

struct Outcome {
  std::vector<std::string> records;
  bool failed = false;
};

Outcome decode(std::string_view stream, std::string_view plan) {
  dcos::recordio::RecordIoDecoder decoder(kMaxRecord);
  Outcome out;
  std::size_t offset = 0;
  for (std::size_t step = 0; offset < stream.size(); ++step) {
    const auto planned = static_cast<unsigned char>(plan[step % plan.size()]);
    const std::size_t left = stream.size() - offset;
    const std::size_t size = planned == 0 ? left : std::min<std::size_t>(planned, left);
    auto fed = decoder.feed(stream.substr(offset, size), out.records);
    offset += size;
    if (!fed) {
      FUZZ_CHECK(!fed.error().message.empty(), "an error without a message");
      FUZZ_CHECK(decoder.failed(), "feed() failed without marking the decoder failed");
      const std::size_t before = out.records.size();
      FUZZ_CHECK(!decoder.feed("0\n", out.records), "feed() succeeded after a failure");
      FUZZ_CHECK(out.records.size() == before, "a failed decoder produced a record");
      out.failed = true;
      return out;
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  if (size < kPlanSize) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::string_view plan = input.substr(0, kPlanSize);
  const std::string_view stream = input.substr(kPlanSize);

  const Outcome chunked = decode(stream, plan);
  const Outcome whole = decode(stream, std::string_view("\0", 1));
  FUZZ_CHECK(chunked.failed == whole.failed, "chunking changed whether the stream fails");
  FUZZ_CHECK(chunked.records == whole.records, "chunking changed the records");

  std::string again;
  for (const auto& record : chunked.records) {
    FUZZ_CHECK(record.size() <= kMaxRecord, "a record over the bound");
    again += dcos::recordio::encode(record);
  }
  dcos::recordio::RecordIoDecoder decoder(kMaxRecord);
  std::vector<std::string> records;
  FUZZ_CHECK(decoder.feed(again, records).ok(), "re-encoded records do not decode");
  FUZZ_CHECK(decoder.at_boundary(), "re-encoded records leave a partial one");
  FUZZ_CHECK(records == chunked.records, "re-encoding changed the records");
  return 0;
}
