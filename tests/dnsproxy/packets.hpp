// Real DNS packets, written out byte by byte, for the dnsproxy tests.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "dnsproxy/name.hpp"

namespace dcos::dns::packets {

// Bytes from hex digits; spaces are for reading.
inline std::string bytes(std::string_view hex) {
  std::string out;
  int high = -1;
  for (char c : hex) {
    int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (digit < 0) continue;
    if (high < 0) {
      high = digit;
    } else {
      out += static_cast<char>(high << 4 | digit);
      high = -1;
    }
  }
  return out;
}

// The wire form of a name the test knows is valid.
inline std::string name(std::string_view text) { return name_from_text(text).value(); }

// A plain query (id 0x4242, RD) for `text`, without EDNS.
inline std::string query(std::string_view text, std::uint16_t type) {
  return bytes("4242 0100 0001 0000 0000 0000") + name(text) + static_cast<char>(type >> 8) +
         static_cast<char>(type & 0xFF) + bytes("0001");
}

// The same with id 0x4343, RD and CD, and EDNS (payload 1232, DO).
inline std::string edns_query(std::string_view text, std::uint16_t type) {
  return bytes("4343 0110 0001 0000 0000 0001") + name(text) + static_cast<char>(type >> 8) +
         static_cast<char>(type & 0xFF) + bytes("0001") + bytes("00 0029 04d0 00 00 8000 0000");
}

// `dig example.com A` (BIND 9.18): RD and AD, EDNS with a 1232-byte
// payload and a client cookie.
inline const std::string kDigQuery = bytes(
    "1234 0120 0001 0000 0000 0001"
    "07 6578616d706c65 03 636f6d 00 0001 0001"
    "00 0029 04d0 00000000 000c 000a 0008 0102030405060708");

// A resolver's answer to it: the answer's owner points at the question.
inline const std::string kAReply = bytes(
    "1234 8180 0001 0001 0000 0001"
    "07 6578616d706c65 03 636f6d 00 0001 0001"
    "c00c 0001 0001 00000e10 0004 5db8d822"
    "00 0029 04d0 00000000 0000");

// NXDOMAIN for nope.example.com: the SOA's owner and the names in its data
// are compressed against "example.com" at offset 17 (0x11).
inline const std::string kNxdomainReply = bytes(
    "1234 8183 0001 0000 0001 0000"
    "04 6e6f7065 07 6578616d706c65 03 636f6d 00 0001 0001"
    "c011 0006 0001 00000e10 0023"
    "02 6e73 c011"
    "03 6e6f63 03 646e73 c011"
    "00000007 00000708 00000384 00093a80 0000012c");

}  // namespace dcos::dns::packets
