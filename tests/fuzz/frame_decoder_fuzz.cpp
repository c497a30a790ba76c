// libFuzzer target for dcos::wire::FrameDecoder (runtime/frame.hpp), the
// first code that touches bytes from the network.
//
// Input layout: the first kPlanSize bytes are the chunk plan, the rest is
// the byte stream a peer would send after the preamble. The stream is fed
// in chunks whose sizes cycle through the plan (a plan byte of 0 feeds all
// that is left), draining next() after every feed, as Connection does.
//
// Checked on every input (a failed check aborts, which libFuzzer reports):
//   - chunking does not matter: the envelopes decoded, and whether the
//     stream fails, equal those of feeding the whole stream at once;
//   - a failed decoder stays failed (feed and next keep refusing);
//   - every decoded envelope survives encode_frame and a fresh decode
//     unchanged (SerializeAsString equal);
//   - check_hello runs on the first envelope (its verdict is not checked:
//     any envelope is a legal input to it, it must just not misbehave).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "runtime/frame.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace {

constexpr std::size_t kPlanSize = 4;
constexpr std::size_t kMaxFrame = 64 * 1024;

// Asserts that survive NDEBUG (RelWithDebInfo builds the replay driver).
struct Outcome {
  std::vector<dcos::internal::Envelope> envelopes;  // in order
  bool failed = false;
};

bool same_envelopes(const Outcome& a, const Outcome& b) {
  if (a.envelopes.size() != b.envelopes.size()) return false;
  for (std::size_t i = 0; i < a.envelopes.size(); ++i)
    if (a.envelopes[i].SerializeAsString() != b.envelopes[i].SerializeAsString()) return false;
  return true;
}

// Drains every whole envelope the decoder holds; false once it failed.
bool drain(dcos::wire::FrameDecoder& decoder, Outcome& out) {
  // Each frame is at least one header, so the stream bounds the loop.
  for (;;) {
    auto next = decoder.next();
    if (!next) {
      FUZZ_CHECK(decoder.failed(), "next() failed without marking the decoder failed");
      FUZZ_CHECK(!decoder.next(), "next() succeeded after a failure");
      out.failed = true;
      return false;
    }
    if (!next->has_value()) return true;
    FUZZ_CHECK((*next)->body_case() != dcos::internal::Envelope::BODY_NOT_SET, "decoded an envelope with no body");
    out.envelopes.push_back(std::move(**next));
  }
}

Outcome decode(std::string_view stream, std::string_view plan) {
  dcos::wire::FrameDecoder decoder(kMaxFrame);
  Outcome out;
  std::size_t offset = 0;
  for (std::size_t step = 0; offset < stream.size(); ++step) {
    const auto planned = static_cast<unsigned char>(plan[step % plan.size()]);
    const std::size_t left = stream.size() - offset;
    const std::size_t size = planned == 0 ? left : std::min<std::size_t>(planned, left);
    auto fed = decoder.feed(stream.substr(offset, size));
    offset += size;
    if (!fed) {
      FUZZ_CHECK(decoder.failed(), "feed() failed without marking the decoder failed");
      FUZZ_CHECK(!decoder.feed("x"), "feed() succeeded after a failure");
      out.failed = true;
      return out;
    }
    if (!drain(decoder, out)) return out;
  }
  return out;
}

void check_round_trip(const dcos::internal::Envelope& original) {
  const std::string serialized = original.SerializeAsString();
  const std::string frame = dcos::wire::encode_frame(original);
  FUZZ_CHECK(frame.size() == dcos::wire::kHeaderSize + serialized.size(), "encode_frame changed the size");

  // The re-encoded frame may be larger than the input's (a negative int32
  // sent as a 5-byte varint is re-encoded in 10), so size the decoder to it.
  dcos::wire::FrameDecoder decoder(frame.size());
  FUZZ_CHECK(decoder.feed(frame).ok(), "feeding a re-encoded frame failed");
  auto again = decoder.next();
  FUZZ_CHECK(again.ok(), "a re-encoded frame does not decode");
  FUZZ_CHECK(again->has_value(), "a re-encoded frame is incomplete");
  FUZZ_CHECK((*again)->SerializeAsString() == serialized, "round trip changed the envelope");
  FUZZ_CHECK(!decoder.mid_frame(), "bytes left over after one re-encoded frame");
  auto after = decoder.next();
  FUZZ_CHECK(after.ok() && !after->has_value(), "a second envelope out of one frame");
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
  FUZZ_CHECK(same_envelopes(chunked, whole), "chunking changed the envelopes decoded");

  for (const auto& envelope : chunked.envelopes) check_round_trip(envelope);
  if (!chunked.envelopes.empty()) {
    auto hello = dcos::wire::check_hello(chunked.envelopes.front());
    if (!hello) FUZZ_CHECK(!hello.error().message.empty(), "check_hello failed with no message");
  }
  return 0;
}
