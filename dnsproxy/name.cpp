#include "dnsproxy/name.hpp"

namespace dcos::dns {
namespace {

constexpr std::size_t kHeaderSize = 12;

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string at(std::size_t offset) { return " at offset " + std::to_string(offset); }

}  // namespace

Result<std::string> name_from_text(std::string_view text) {
  std::string wire;
  if (text == ".") return std::string(1, '\0');
  if (text.empty()) return Error{"empty name (write \".\" for the root)"};
  std::string label;
  auto close_label = [&]() -> Result<void> {
    if (label.empty()) return Error{"empty label in name '" + std::string(text) + "'"};
    if (label.size() > kMaxLabelLength)
      return Error{"label of " + std::to_string(label.size()) + " bytes in name '" + std::string(text) +
                   "' (at most 63)"};
    wire += static_cast<char>(label.size());
    wire += label;
    label.clear();
    return {};
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '.') {
      if (auto closed = close_label(); !closed) return closed.error();
      continue;
    }
    if (c != '\\') {
      label += c;
      continue;
    }
    if (i + 1 >= text.size()) return Error{"name '" + std::string(text) + "' ends with a lone backslash"};
    const auto digit = [](char d) { return d >= '0' && d <= '9'; };
    if (digit(text[i + 1])) {
      if (i + 3 >= text.size() || !digit(text[i + 2]) || !digit(text[i + 3]))
        return Error{"name '" + std::string(text) + "' has a \\DDD escape without three digits"};
      const int value = (text[i + 1] - '0') * 100 + (text[i + 2] - '0') * 10 + (text[i + 3] - '0');
      if (value > 255) return Error{"name '" + std::string(text) + "' escapes a byte over 255"};
      label += static_cast<char>(value);
      i += 3;
    } else {
      label += text[++i];
    }
  }
  if (!label.empty())
    if (auto closed = close_label(); !closed) return closed.error();
  wire += '\0';
  if (wire.size() > kMaxNameLength)
    return Error{"name of " + std::to_string(wire.size()) + " bytes (at most 255): '" + std::string(text) + "'"};
  return wire;
}

std::string name_to_text(std::string_view wire) {
  std::string text;
  std::size_t i = 0;
  while (i < wire.size() && wire[i] != '\0') {
    const auto length = static_cast<unsigned char>(wire[i]);
    for (std::size_t j = i + 1; j <= i + length && j < wire.size(); ++j) {
      const auto c = static_cast<unsigned char>(wire[j]);
      if (c == '.' || c == '\\') {
        text += '\\';
        text += static_cast<char>(c);
      } else if (c <= 0x20 || c >= 0x7f) {
        const char escaped[] = {'\\', static_cast<char>('0' + c / 100), static_cast<char>('0' + c / 10 % 10),
                                static_cast<char>('0' + c % 10)};
        text.append(escaped, 4);
      } else {
        text += static_cast<char>(c);
      }
    }
    text += '.';
    i += 1 + length;
  }
  return text.empty() ? "." : text;
}

std::string name_key(std::string_view wire) {
  std::string key(wire);
  for (char& c : key) c = lower(c);
  return key;
}

std::string_view name_key(std::string_view wire, char (&buffer)[kMaxNameLength]) {
  const std::size_t size = wire.size() < kMaxNameLength ? wire.size() : kMaxNameLength;
  for (std::size_t i = 0; i < size; ++i) buffer[i] = lower(wire[i]);
  return {buffer, size};
}

QuestionKey::QuestionKey(std::string_view wire, std::uint16_t type, std::uint16_t klass) {
  size_ = wire.size() < kMaxNameLength ? wire.size() : kMaxNameLength;
  for (std::size_t i = 0; i < size_; ++i) bytes_[i] = lower(wire[i]);
  for (const std::uint16_t value : {type, klass}) {
    bytes_[size_++] = static_cast<char>(value >> 8);
    bytes_[size_++] = static_cast<char>(value & 0xFF);
  }
}

std::size_t well_formed_name_length(std::string_view wire) {
  std::size_t i = 0;
  while (i < wire.size() && i < kMaxNameLength) {
    const auto length = static_cast<unsigned char>(wire[i]);
    if (length == 0) return i + 1;
    if (length > kMaxLabelLength) return 0;  // also every pointer and reserved type
    i += 1 + length;
  }
  return 0;
}

Result<void> read_name(std::string_view packet, std::size_t& offset, std::string& out, std::string_view what,
                       std::string_view end) {
  // Pointers must go strictly below the lowest offset read so far, so every
  // jump lands on bytes not yet visited: no loop can form, and the jump
  // bound only caps chains of pointers to pointers.
  std::size_t position = offset;
  std::size_t lowest = offset;
  std::size_t resume = 0;  // where the name ends in place, once a pointer was taken
  int jumps = 0;
  for (;;) {
    if (position >= packet.size())
      return Error{std::string(what) + " runs past the end of " + std::string(end) + at(position)};
    const auto length = static_cast<unsigned char>(packet[position]);
    const unsigned kind = length & 0xC0;
    if (kind == 0xC0) {
      if (position + 1 >= packet.size())
        return Error{std::string(what) + " has a pointer cut off by the end of " + std::string(end) + at(position)};
      const std::size_t target = ((length & 0x3Fu) << 8) | static_cast<unsigned char>(packet[position + 1]);
      if (target >= lowest)
        return Error{std::string(what) + " has a compression pointer to " + std::to_string(target) +
                     " that is not backwards" + at(position)};
      if (target < kHeaderSize)
        return Error{std::string(what) + " has a compression pointer into the header" + at(position)};
      if (++jumps > kMaxPointerJumps)
        return Error{std::string(what) + " follows more than " + std::to_string(kMaxPointerJumps) +
                     " compression pointers" + at(position)};
      if (resume == 0) resume = position + 2;
      position = lowest = target;
      continue;
    }
    if (kind != 0)
      return Error{std::string(what) + " has a label of " + std::to_string(length) + " bytes" + at(position) +
                   " (over 63: label type 0x" + (kind == 0x40 ? "40" : "80") + " is reserved)"};
    if (length > packet.size() - position - 1)
      return Error{std::string(what) + " has a label of " + std::to_string(length) +
                   " bytes cut off by the end of " + std::string(end) + at(position)};
    if (out.size() + 1 + length > kMaxNameLength)
      return Error{std::string(what) + " is longer than 255 bytes" + at(position)};
    out.append(packet.substr(position, 1 + length));
    if (length == 0) {
      offset = resume != 0 ? resume : position + 1;
      return {};
    }
    position += 1 + length;
  }
}

}  // namespace dcos::dns
