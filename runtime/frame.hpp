// The framing of the daemons' wire protocol, with no I/O in it.
//
// A connection starts with the 4-byte preamble "DCOS" from the connecting
// side (it tells our framed protocol from HTTP on the same port), then both
// sides exchange frames: a 4-byte big-endian payload length, then that many
// bytes of one serialized dcos.internal.Envelope. Frames are bounded by
// `max_frame`; a larger declared length is an error before any of its bytes
// are buffered. The first frame each way is a Hello (see internal.proto).
//
// FrameDecoder is fed bytes as they arrive and yields whole, parsed
// envelopes; it is what the transport uses and what the fuzz target drives.
// Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "internal.pb.h"
#include "runtime/result.hpp"

namespace dcos::wire {

inline constexpr std::string_view kPreamble = "DCOS";
inline constexpr uint32_t kProtocolVersion = 1;
inline constexpr std::size_t kHeaderSize = 4;
inline constexpr std::size_t kDefaultMaxFrame = 4 * 1024 * 1024;

// Header plus serialized envelope, ready to write.
std::string encode_frame(const internal::Envelope& envelope);

class FrameDecoder {
 public:
  explicit FrameDecoder(std::size_t max_frame = kDefaultMaxFrame) : max_frame_(max_frame) {}

  // Appends received bytes. Fails (and the connection must be dropped) once
  // a header declares a frame over the bound; nothing more is decoded then.
  Result<void> feed(std::string_view bytes);

  // The next whole envelope, nullopt if more bytes are needed, or an Error
  // for a frame that is not a valid Envelope (not protobuf, or no body set).
  // After an error the decoder is failed: the stream cannot be trusted.
  Result<std::optional<internal::Envelope>> next();

  // True when bytes of an unfinished frame are buffered (for stall timeouts).
  bool mid_frame() const { return !buffer_.empty(); }
  bool failed() const { return failed_; }

 private:
  std::size_t max_frame_;
  std::string buffer_;
  std::size_t consumed_ = 0;
  bool failed_ = false;
};

// Checks a peer's Hello: version must match ours. Returns the error text to
// send back (and log) when it does not.
Result<void> check_hello(const internal::Envelope& envelope);

internal::Envelope make_hello(std::string_view peer);
internal::Envelope make_error(std::string_view message);

// A short name of the envelope's body ("register_agent") for logs/metrics.
std::string body_name(const internal::Envelope& envelope);

}  // namespace dcos::wire
