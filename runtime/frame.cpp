#include "runtime/frame.hpp"

namespace dcos::wire {

namespace {

uint32_t read_be32(const char* p) {
  auto b = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | uint32_t{b[3]};
}

}  // namespace

std::string encode_frame(const internal::Envelope& envelope) {
  const std::size_t size = envelope.ByteSizeLong();
  std::string out(kHeaderSize + size, '\0');
  out[0] = static_cast<char>((size >> 24) & 0xff);
  out[1] = static_cast<char>((size >> 16) & 0xff);
  out[2] = static_cast<char>((size >> 8) & 0xff);
  out[3] = static_cast<char>(size & 0xff);
  envelope.SerializeWithCachedSizesToArray(reinterpret_cast<uint8_t*>(out.data() + kHeaderSize));
  return out;
}

Result<void> FrameDecoder::feed(std::string_view bytes) {
  if (failed_) return Error{"stream already failed"};
  // Compact lazily: drop consumed frames before growing the buffer.
  if (consumed_ > 0 && consumed_ * 2 >= buffer_.size()) {
    buffer_.erase(0, consumed_);
    consumed_ = 0;
  }
  buffer_.append(bytes);
  if (buffer_.size() - consumed_ >= kHeaderSize) {
    const uint32_t size = read_be32(buffer_.data() + consumed_);
    if (size > max_frame_) {
      failed_ = true;
      return Error{"frame of " + std::to_string(size) + " bytes exceeds the limit of " + std::to_string(max_frame_) +
                   " bytes"};
    }
  }
  return {};
}

Result<std::optional<internal::Envelope>> FrameDecoder::next() {
  if (failed_) return Error{"stream already failed"};
  const std::size_t available = buffer_.size() - consumed_;
  if (available < kHeaderSize) return std::optional<internal::Envelope>{};
  const uint32_t size = read_be32(buffer_.data() + consumed_);
  if (size > max_frame_) {
    failed_ = true;
    return Error{"frame of " + std::to_string(size) + " bytes exceeds the limit of " + std::to_string(max_frame_) +
                 " bytes"};
  }
  if (available - kHeaderSize < size) return std::optional<internal::Envelope>{};

  internal::Envelope envelope;
  const bool parsed = envelope.ParsePartialFromArray(buffer_.data() + consumed_ + kHeaderSize, static_cast<int>(size));
  consumed_ += kHeaderSize + size;
  if (consumed_ == buffer_.size()) {
    buffer_.clear();
    consumed_ = 0;
    // Do not keep a large frame's worth of memory for every idle connection.
    if (buffer_.capacity() > 64 * 1024) buffer_.shrink_to_fit();
  }
  if (!parsed) {
    failed_ = true;
    return Error{"frame of " + std::to_string(size) + " bytes is not a valid envelope"};
  }
  if (!envelope.IsInitialized()) {
    failed_ = true;
    return Error{"frame carries a " + body_name(envelope) +
                 " message missing required fields: " + envelope.InitializationErrorString()};
  }
  if (envelope.body_case() == internal::Envelope::BODY_NOT_SET) {
    failed_ = true;
    return Error{"frame carries an envelope with no known message"};
  }
  return std::optional<internal::Envelope>{std::move(envelope)};
}

Result<void> check_hello(const internal::Envelope& envelope) {
  if (!envelope.has_hello()) {
    return Error{"expected hello as the first message, got " + body_name(envelope)};
  }
  const uint32_t version = envelope.hello().protocol_version();
  if (version != kProtocolVersion) {
    return Error{"protocol version " + std::to_string(version) + " is not supported (this side speaks " +
                 std::to_string(kProtocolVersion) + ")"};
  }
  return {};
}

internal::Envelope make_hello(std::string_view peer) {
  internal::Envelope envelope;
  auto* hello = envelope.mutable_hello();
  hello->set_protocol_version(kProtocolVersion);
  hello->set_peer(std::string(peer));
  hello->set_software_version(DCOS_VERSION);
  return envelope;
}

internal::Envelope make_error(std::string_view message) {
  internal::Envelope envelope;
  envelope.mutable_error()->set_message(std::string(message));
  return envelope;
}

std::string body_name(const internal::Envelope& envelope) {
  const auto* field = internal::Envelope::descriptor()->FindFieldByNumber(envelope.body_case());
  return field != nullptr ? field->name() : "nothing";
}

}  // namespace dcos::wire
