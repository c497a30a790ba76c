// Big-endian reads and writes shared by the DNS codec's files. Internal to
// dnsproxy/: callers check bounds before reading.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace dcos::dns::wire {

inline std::uint16_t u16(std::string_view bytes, std::size_t at) {
  return static_cast<std::uint16_t>((static_cast<unsigned char>(bytes[at]) << 8) |
                                    static_cast<unsigned char>(bytes[at + 1]));
}

inline std::uint32_t u32(std::string_view bytes, std::size_t at) {
  return (std::uint32_t{u16(bytes, at)} << 16) | u16(bytes, at + 2);
}

inline void put16(std::string& out, std::uint16_t value) {
  out += static_cast<char>(value >> 8);
  out += static_cast<char>(value & 0xFF);
}

inline void put32(std::string& out, std::uint32_t value) {
  put16(out, static_cast<std::uint16_t>(value >> 16));
  put16(out, static_cast<std::uint16_t>(value & 0xFFFF));
}

inline void set16(std::string& out, std::size_t at, std::uint16_t value) {
  out[at] = static_cast<char>(value >> 8);
  out[at + 1] = static_cast<char>(value & 0xFF);
}

// The header's second 16 bits: QR, opcode, AA, TC, RD, RA, Z, AD, CD, rcode.
struct HeaderBits {
  static constexpr std::uint16_t kQr = 0x8000;
  static constexpr int kOpcodeShift = 11;
  static constexpr std::uint16_t kAa = 0x0400;
  static constexpr std::uint16_t kTc = 0x0200;
  static constexpr std::uint16_t kRd = 0x0100;
  static constexpr std::uint16_t kRa = 0x0080;
  static constexpr std::uint16_t kAd = 0x0020;
  static constexpr std::uint16_t kCd = 0x0010;
};

// OPT's TTL field: extended rcode, version, DO and zero bits (RFC 6891 §6.1.3).
inline constexpr std::uint32_t kEdnsDo = 0x8000;

}  // namespace dcos::dns::wire
