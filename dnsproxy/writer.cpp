// serialize(): the DNS message encoder, with owner-name compression and
// truncation to a size (the contract is in message.hpp).
#include <algorithm>
#include <cassert>

#include "dnsproxy/message.hpp"
#include "dnsproxy/name.hpp"
#include "dnsproxy/wire.hpp"

namespace dcos::dns {
namespace {

// Offsets in the output where a name (or a suffix of one) was written, for
// compression. Pointers hold 14 bits, so only offsets below 0x4000 count;
// the table is small because messages are, and a miss only costs bytes.
class CompressionTable {
 public:
  static constexpr std::size_t kCapacity = 128;

  explicit CompressionTable(const std::string& out) : out_(out) {}

  // The offset of an earlier name equal, byte for byte, to `suffix` (a
  // well-formed wire name), or 0.
  std::size_t find(std::string_view suffix) const {
    for (std::size_t i = 0; i < size_; ++i)
      if (equals(offsets_[i], suffix)) return offsets_[i];
    return 0;
  }

  void add(std::size_t offset) {
    if (size_ < kCapacity && offset < 0x4000) offsets_[size_++] = static_cast<std::uint16_t>(offset);
  }

  // Forgets entries at or past `size` of the output (records dropped again).
  void truncate(std::size_t size) {
    while (size_ > 0 && offsets_[size_ - 1] >= size) --size_;
  }

 private:
  // Compares the name written at `offset` (ours, so well-formed, pointers
  // only backwards) with `suffix`.
  bool equals(std::size_t offset, std::string_view suffix) const {
    std::size_t i = 0;
    for (;;) {
      auto length = static_cast<unsigned char>(out_[offset]);
      if ((length & 0xC0) == 0xC0) {
        offset = ((length & 0x3Fu) << 8) | static_cast<unsigned char>(out_[offset + 1]);
        continue;
      }
      if (i >= suffix.size() || static_cast<unsigned char>(suffix[i]) != length) return false;
      if (length == 0) return true;
      if (suffix.compare(i + 1, length, out_, offset + 1, length) != 0) return false;
      i += 1 + length;
      offset += 1 + length;
    }
  }

  const std::string& out_;
  std::uint16_t offsets_[kCapacity] = {};
  std::size_t size_ = 0;
};

void write_name(std::string& out, std::string_view name, CompressionTable& table) {
  if (well_formed_name_length(name) != name.size()) {
    assert(!"serialize: an ill-formed wire name");
    name = std::string_view("\0", 1);
  }
  // This name's labels become compression targets only once it is whole:
  // a suffix must never match the name being written (it would point at
  // itself, its end not yet written).
  std::size_t starts[kMaxNameLength / 2];
  std::size_t labels = 0;
  std::size_t i = 0;
  bool pointer = false;
  while (name[i] != '\0') {
    if (const std::size_t earlier = table.find(name.substr(i)); earlier != 0) {
      wire::put16(out, static_cast<std::uint16_t>(0xC000 | earlier));
      pointer = true;
      break;
    }
    starts[labels++] = out.size();
    const std::size_t length = static_cast<unsigned char>(name[i]);
    out.append(name.substr(i, 1 + length));
    i += 1 + length;
  }
  if (!pointer) out += '\0';
  for (std::size_t label = 0; label < labels; ++label) table.add(starts[label]);
}

void write_record(std::string& out, const Record& record, CompressionTable& table) {
  write_name(out, record.name, table);
  wire::put16(out, record.type);
  wire::put16(out, record.klass);
  wire::put32(out, record.ttl);
  // Data over 65535 bytes cannot be framed; such a record is a caller bug
  // and cannot fit any message either, so it is cut (and will be dropped).
  wire::put16(out, static_cast<std::uint16_t>(std::min<std::size_t>(record.rdata.size(), 0xFFFF)));
  out.append(record.rdata);
}

std::uint16_t header_bits(const Flags& flags, bool tc) {
  using B = wire::HeaderBits;
  std::uint16_t bits = static_cast<std::uint16_t>((flags.opcode & 0xF) << B::kOpcodeShift) | (flags.rcode & 0xF);
  if (flags.qr) bits |= B::kQr;
  if (flags.aa) bits |= B::kAa;
  if (tc) bits |= B::kTc;
  if (flags.rd) bits |= B::kRd;
  if (flags.ra) bits |= B::kRa;
  if (flags.ad) bits |= B::kAd;
  if (flags.cd) bits |= B::kCd;
  return bits;
}

void write_opt(std::string& out, const Edns& edns, std::uint16_t rcode, bool with_options) {
  out += '\0';
  wire::put16(out, type::OPT);
  wire::put16(out, edns.udp_payload_size);
  std::uint32_t ttl = (std::uint32_t{static_cast<std::uint8_t>(rcode >> 4)} << 24) |
                      (std::uint32_t{edns.version} << 16);
  if (edns.dnssec_ok) ttl |= wire::kEdnsDo;
  wire::put32(out, ttl);
  const std::string_view options = with_options ? std::string_view(edns.options) : std::string_view();
  wire::put16(out, static_cast<std::uint16_t>(options.size()));
  out.append(options);
}

}  // namespace

std::string serialize(const Message& message, std::size_t max_size) {
  const std::size_t limit = std::clamp(max_size, kMinMessageSize, kMaxMessageSize);
  std::string out;
  out.reserve(std::min<std::size_t>(limit, 1024));
  out.resize(kHeaderSize);
  CompressionTable table(out);
  bool truncated = message.flags.tc;

  // The OPT record goes last but its room is kept from the start. Options
  // that would crowd out the question are dropped first.
  constexpr std::size_t kOptFixed = 11;
  std::size_t opt_size = 0;
  bool opt_options = false;
  if (message.edns) {
    opt_options = message.edns->options.size() <= 0xFFFF &&
                  kHeaderSize + kOptFixed + message.edns->options.size() <= limit;
    opt_size = kOptFixed + (opt_options ? message.edns->options.size() : 0);
  }
  const std::size_t budget = limit - opt_size;
  bool full = false;
  if (message.edns && !opt_options && !message.edns->options.empty()) truncated = true;

  std::uint16_t counts[4] = {0, 0, 0, 0};
  for (const Question& question : message.questions) {
    const std::size_t before = out.size();
    write_name(out, question.name, table);
    wire::put16(out, question.type);
    wire::put16(out, question.klass);
    if (out.size() > budget || counts[0] == 0xFFFF) {
      out.resize(before);
      table.truncate(before);
      truncated = full = true;
      break;
    }
    ++counts[0];
  }

  const std::vector<Record>* sections[3] = {&message.answers, &message.authority, &message.additional};
  for (int s = 0; s < 3 && !full; ++s) {
    for (const Record& record : *sections[s]) {
      const std::size_t before = out.size();
      write_record(out, record, table);
      const bool too_many = counts[s + 1] == 0xFFFF || (s == 2 && message.edns && counts[3] == 0xFFFE);
      if (out.size() > budget || record.rdata.size() > 0xFFFF || too_many) {
        out.resize(before);
        table.truncate(before);
        // Additional records are extra help (RFC 2181 §9): missing ones
        // are no reason for the client to retry over TCP.
        if (s < 2) truncated = true;
        full = true;
        break;
      }
      ++counts[s + 1];
    }
  }
  if (message.edns) {
    write_opt(out, *message.edns, message.flags.rcode, opt_options);
    ++counts[3];
  }

  wire::set16(out, 0, message.id);
  wire::set16(out, 2, header_bits(message.flags, truncated));
  for (int i = 0; i < 4; ++i) wire::set16(out, 4 + 2 * i, counts[i]);
  return out;
}

}  // namespace dcos::dns
