#include "runtime/recordio.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace dcos::recordio {

namespace {

// A header excerpt for error messages: what the peer sent, made printable
// and short enough for a log line.
std::string printable(std::string_view bytes) {
  constexpr std::size_t kShown = 24;
  std::string out;
  for (char c : bytes.substr(0, kShown)) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isprint(u) != 0 && c != '\'' && c != '\\') {
      out += c;
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    }
  }
  if (bytes.size() > kShown) out += "...";
  return out;
}

}  // namespace

std::string encode(std::string_view record) {
  std::string out = std::to_string(record.size());
  out.reserve(out.size() + 1 + record.size());
  out += '\n';
  out.append(record);
  return out;
}

RecordIoDecoder::RecordIoDecoder(std::size_t max_record)
    : max_record_(max_record), max_header_(std::to_string(max_record).size()) {}

Result<void> RecordIoDecoder::fail(std::string message) {
  failed_ = true;
  header_.clear();
  record_.clear();
  record_.shrink_to_fit();
  return Error{"recordio: " + std::move(message)};
}

Result<void> RecordIoDecoder::feed(std::string_view chunk, std::vector<std::string>& records) {
  if (failed_) return Error{"recordio: stream already failed"};
  while (!chunk.empty()) {
    if (in_record_) {
      const std::size_t take = std::min(remaining_, chunk.size());
      record_.append(chunk.substr(0, take));
      chunk.remove_prefix(take);
      remaining_ -= take;
      if (remaining_ == 0) {
        records.push_back(std::move(record_));
        record_ = std::string();
        in_record_ = false;
      }
      continue;
    }

    const char c = chunk.front();
    if (c == '\n') {
      if (header_.empty()) return fail("empty record length (a newline where a length was expected)");
      std::size_t size = 0;
      // Cannot overflow: header_ holds at most max_header_ digits.
      std::from_chars(header_.data(), header_.data() + header_.size(), size);
      if (size > max_record_) {
        return fail("record of " + header_ + " bytes exceeds the limit of " + std::to_string(max_record_) + " bytes");
      }
      chunk.remove_prefix(1);
      header_.clear();
      in_record_ = true;
      remaining_ = size;
      // Grow with the bytes that arrive, not with what the header claims.
      record_.reserve(std::min<std::size_t>(size, 64 * 1024));
      if (size == 0) {
        records.emplace_back();
        in_record_ = false;
      }
      continue;
    }
    if (c < '0' || c > '9') {
      // Show what the peer sent, from the start of this header.
      std::string seen = header_;
      seen.append(chunk.substr(0, 24));
      return fail("record length must be decimal digits then a newline, got '" + printable(seen) + "'");
    }
    if (header_.size() == max_header_) {
      return fail("record length '" + printable(header_ + c) + "...' is longer than any record allowed (at most " +
                  std::to_string(max_record_) + " bytes)");
    }
    header_ += c;
    chunk.remove_prefix(1);
  }
  return {};
}

}  // namespace dcos::recordio
