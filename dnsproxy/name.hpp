// Domain names in DNS wire form: what dcos-dns keeps and compares.
//
// A name is held as its uncompressed wire form: length-prefixed labels
// ending with the root's zero byte ("\7example\3com\0"). That is lossless
// (labels may hold any byte, even '.'), needs no re-encoding to be written,
// and is what a query carries, so the server's fast path can look a name up
// without converting it. Case is kept as sent: a reply echoes the question
// byte for byte (DNS 0x20 clients compare it), and lookups use name_key(),
// the name with ASCII letters lower-cased (RFC 4343).
//
// Limits (RFC 1035 §2.3.4): labels of 1..63 bytes, a whole name of at most
// 255 bytes of wire form. Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "runtime/result.hpp"

namespace dcos::dns {

inline constexpr std::size_t kMaxLabelLength = 63;
inline constexpr std::size_t kMaxNameLength = 255;

// The wire form of a presentation name: "example.com", "example.com." and
// "." (the root). Escapes as in zone files: "\." for a dot inside a label,
// "\\", and "\DDD" (decimal) for any byte. Errors name the label at fault.
Result<std::string> name_from_text(std::string_view text);

// Presentation form with the trailing dot ("example.com.", "." for the
// root); '.', '\\' and bytes outside printable ASCII are escaped so that
// name_from_text() gives the same wire form back. For logs and tests.
// `wire` must be a well-formed name (as parse() and name_from_text() give).
std::string name_to_text(std::string_view wire);

// The lookup key of a name: its wire form with ASCII letters lower-cased.
std::string name_key(std::string_view wire);
// The same without allocating: written into `buffer`, which the result
// views. `wire` must be at most kMaxNameLength bytes.
std::string_view name_key(std::string_view wire, char (&buffer)[kMaxNameLength]);

// A question's lookup key without allocating: the name's key, then type
// and class (big-endian), as the caches key their entries.
class QuestionKey {
 public:
  QuestionKey(std::string_view wire, std::uint16_t type, std::uint16_t klass);
  std::string_view view() const { return {bytes_, size_}; }

 private:
  char bytes_[kMaxNameLength + 4];
  std::size_t size_;
};

// Hashes std::string and std::string_view alike, so that a map keyed by
// lookup keys finds a view without copying it into a string.
//
// Not noexcept on purpose: libstdc++ then keeps each node's hash code
// (_Hashtable_traits' __cache_default), so a lookup compares hash codes
// before keys and walks a bucket without hashing every neighbour's key
// again (perf of dcos-dns answering cached names: libc's memcmp and
// std::_Hash_bytes 6.5% of its samples before, 3.1% after).
struct KeyHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view key) const { return std::hash<std::string_view>{}(key); }
};
template <class T>
using KeyMap = std::unordered_map<std::string, T, KeyHash, std::equal_to<>>;

// How many bytes of `wire` the well-formed name at its start takes, or 0 if
// it does not start with one (a label over 63 bytes, a name over 255 bytes,
// a compression pointer, a reserved label type, or no root byte in range).
std::size_t well_formed_name_length(std::string_view wire);

// Reads a possibly compressed name at `offset` of `packet`, appending its
// uncompressed wire form to `out` (which must be empty). On success
// `offset` is moved past the name as it sits at that place (a pointer
// takes 2 bytes). Bounds checked: labels over 63 bytes, names over 255,
// reserved label types (0x40, 0x80), pointers that are not strictly
// backwards of everything read so far for this name or that point into the
// 12-byte header, more than kMaxPointerJumps pointers, and running off the
// end. `what` names the field in errors ("question 1 name"), `end` what
// the end of `packet` is to the reader ("the packet", "its data").
inline constexpr int kMaxPointerJumps = 128;
Result<void> read_name(std::string_view packet, std::size_t& offset, std::string& out, std::string_view what,
                       std::string_view end = "the packet");

}  // namespace dcos::dns
