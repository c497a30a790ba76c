// RecordIO, the framing of the Mesos v1 HTTP APIs' streams (the scheduler's
// event stream among them): each record is its length in decimal ASCII, a
// newline, then that many bytes. "5\nhello0\n" is two records, "hello" and
// the empty one.
//
// RecordIoDecoder takes the stream in whatever chunks it arrives and hands
// back whole records. It refuses a stream at the first sign that it is not
// RecordIO, or that it announces a record larger than `max_record`, before
// buffering the record's bytes; once failed it stays failed, since nothing
// after a bad header can be trusted. No I/O. Not thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/result.hpp"

namespace dcos::recordio {

inline constexpr std::size_t kDefaultMaxRecord = 4 * 1024 * 1024;

// "<size>\n<record>".
std::string encode(std::string_view record);

class RecordIoDecoder {
 public:
  explicit RecordIoDecoder(std::size_t max_record = kDefaultMaxRecord);

  // Appends to `records` every record completed by `chunk`, in order. An
  // error names what was wrong with the stream; records completed before
  // the bad header are still appended, so none that arrived whole is lost.
  Result<void> feed(std::string_view chunk, std::vector<std::string>& records);

  bool failed() const { return failed_; }
  // True between records only: false while a header or a record is partial
  // (a stream that ends now was cut short).
  bool at_boundary() const { return header_.empty() && !in_record_; }

 private:
  Result<void> fail(std::string message);

  std::size_t max_record_;
  std::size_t max_header_;  // digits of max_record_
  std::string header_;      // digits of the length being read
  std::string record_;      // bytes of the record being read
  std::size_t remaining_ = 0;
  bool in_record_ = false;
  bool failed_ = false;
};

}  // namespace dcos::recordio
