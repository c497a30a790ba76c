// An append-only file of checksummed records: what a daemon uses to make
// small changes durable without rewriting its whole state each time (the
// master's registry between snapshots; later the agent's status updates).
//
// Each record is: 4-byte big-endian payload length, 4-byte big-endian
// CRC-32 of the payload, the payload. open() reads every intact record and
// cuts off a torn or corrupt tail (a crash in the middle of an append), so
// appends continue after the last good record. Not thread-safe: use one
// RecordLog from one thread at a time.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/result.hpp"

namespace dcos {

class RecordLog {
 public:
  static constexpr std::size_t kMaxRecord = 64 * 1024 * 1024;

  struct Opened;
  // Opens or creates the log at `path` (mode 0600).
  static Result<Opened> open(const std::string& path);

  RecordLog() = default;
  RecordLog(RecordLog&& other) noexcept;
  RecordLog& operator=(RecordLog&& other) noexcept;
  ~RecordLog();

  // Appends records made by encode() (several may be concatenated); refuses
  // anything that is not whole records of at most kMaxRecord bytes. On a
  // failed write the file is cut back, so no torn record hides later ones.
  Result<void> append(std::string_view encoded);
  // Makes what was appended durable (fdatasync).
  Result<void> sync();
  // Closes the file; the next append() or sync() opens it again. For a
  // process holding many logs that are rarely written (every descriptor it
  // holds is copied into each child it clones).
  void close();

  // A record of `payload`, which should be at most kMaxRecord bytes
  // (append() refuses larger ones).
  static std::string encode(std::string_view payload);
  static uint32_t crc32(std::string_view bytes);

 private:
  RecordLog(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  Result<void> reopen();
  int fd_ = -1;
  std::string path_;
  uint64_t size_ = 0;  // end of the last whole record
};

struct RecordLog::Opened {
  RecordLog log;
  std::vector<std::string> records;
  uint64_t dropped_bytes = 0;  // length of the torn tail that was cut off
};

}  // namespace dcos
