#include "runtime/record_log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>

#include "runtime/atomic_file.hpp"

namespace dcos {

namespace {

constexpr std::size_t kHeader = 8;

uint32_t read_be32(const char* p) {
  auto b = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | uint32_t{b[3]};
}

void append_be32(std::string& out, uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((value >> shift) & 0xff));
}

std::array<uint32_t, 256> make_crc_table() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  return table;
}

}  // namespace

uint32_t RecordLog::crc32(std::string_view bytes) {
  static const std::array<uint32_t, 256> table = make_crc_table();
  uint32_t c = 0xffffffffu;
  for (unsigned char byte : bytes) c = table[(c ^ byte) & 0xff] ^ (c >> 8);
  return c ^ 0xffffffffu;
}

std::string RecordLog::encode(std::string_view payload) {
  std::string out;
  out.reserve(kHeader + payload.size());
  append_be32(out, static_cast<uint32_t>(payload.size()));
  append_be32(out, crc32(payload));
  out.append(payload);
  return out;
}

Result<RecordLog::Opened> RecordLog::open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return errno_error("open '" + path + "'");
  Opened opened;
  opened.log = RecordLog(fd, path);
  auto content = read_file(path);
  if (!content) return content.error();

  std::size_t offset = 0;
  const std::string& bytes = *content;
  while (bytes.size() - offset >= kHeader) {
    const uint32_t length = read_be32(bytes.data() + offset);
    if (length > kMaxRecord || bytes.size() - offset - kHeader < length) break;
    const std::string_view payload(bytes.data() + offset + kHeader, length);
    if (crc32(payload) != read_be32(bytes.data() + offset + 4)) break;
    opened.records.emplace_back(payload);
    offset += kHeader + length;
  }
  opened.dropped_bytes = bytes.size() - offset;
  if (opened.dropped_bytes > 0 && ::ftruncate(fd, static_cast<off_t>(offset)) != 0)
    return errno_error("ftruncate '" + path + "'");
  if (::lseek(fd, static_cast<off_t>(offset), SEEK_SET) < 0) return errno_error("lseek '" + path + "'");
  opened.log.size_ = offset;
  return opened;
}

RecordLog::RecordLog(RecordLog&& other) noexcept : fd_(other.fd_), path_(std::move(other.path_)), size_(other.size_) {
  other.fd_ = -1;
}

RecordLog& RecordLog::operator=(RecordLog&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    path_ = std::move(other.path_);
    size_ = other.size_;
    other.fd_ = -1;
  }
  return *this;
}

RecordLog::~RecordLog() {
  if (fd_ >= 0) ::close(fd_);
}

Result<void> RecordLog::append(std::string_view encoded) {
  // Refuse what open() could not read back: it would hide every later record.
  for (std::size_t offset = 0; offset < encoded.size();) {
    const uint32_t length = encoded.size() - offset >= kHeader ? read_be32(encoded.data() + offset) : 0;
    if (encoded.size() - offset < kHeader || length > kMaxRecord || encoded.size() - offset - kHeader < length)
      return Error{"append to '" + path_ + "': not whole records of at most " + std::to_string(kMaxRecord) + " bytes"};
    offset += kHeader + length;
  }
  if (auto opened = reopen(); !opened) return opened;
  const std::size_t total = encoded.size();
  while (!encoded.empty()) {
    const ssize_t n = ::write(fd_, encoded.data(), encoded.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      auto error = errno_error("write '" + path_ + "'");
      // Best effort: a torn record would end recovery early.
      if (::ftruncate(fd_, static_cast<off_t>(size_)) == 0) ::lseek(fd_, static_cast<off_t>(size_), SEEK_SET);
      return error;
    }
    encoded.remove_prefix(static_cast<std::size_t>(n));
  }
  size_ += total;
  return {};
}

Result<void> RecordLog::sync() {
  if (auto opened = reopen(); !opened) return opened;
  if (::fdatasync(fd_) != 0) return errno_error("fdatasync '" + path_ + "'");
  return {};
}

void RecordLog::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Result<void> RecordLog::reopen() {
  if (fd_ >= 0) return {};
  if (path_.empty()) return Error{"append to a record log that was never opened"};
  const int fd = ::open(path_.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno_error("open '" + path_ + "'");
  if (::lseek(fd, static_cast<off_t>(size_), SEEK_SET) < 0) {
    auto error = errno_error("lseek '" + path_ + "'");
    ::close(fd);
    return error;
  }
  fd_ = fd;
  return {};
}

}  // namespace dcos
