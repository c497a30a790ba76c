// parse(): the DNS message decoder. serialize() is in writer.cpp.
#include "dnsproxy/message.hpp"

#include <algorithm>

#include "dnsproxy/name.hpp"
#include "dnsproxy/wire.hpp"

namespace dcos::dns {
namespace {

// The least a question (root name, type, class) and a record (root name,
// type, class, TTL, data length) take: what the counts are checked against
// before anything is allocated.
constexpr std::size_t kMinQuestionSize = 5;
constexpr std::size_t kMinRecordSize = 11;

std::string at(std::size_t offset) { return " at offset " + std::to_string(offset); }

// "1 byte", "2 bytes": errors are read by people.
std::string byte_count(std::size_t n) { return std::to_string(n) + (n == 1 ? " byte" : " bytes"); }

Flags flags_from(std::uint16_t bits) {
  using B = wire::HeaderBits;
  Flags flags;
  flags.qr = bits & B::kQr;
  flags.opcode = static_cast<std::uint8_t>((bits >> B::kOpcodeShift) & 0xF);
  flags.aa = bits & B::kAa;
  flags.tc = bits & B::kTc;
  flags.rd = bits & B::kRd;
  flags.ra = bits & B::kRa;
  flags.ad = bits & B::kAd;
  flags.cd = bits & B::kCd;
  flags.rcode = bits & 0xF;
  return flags;
}

// Reads a name that sits inside record data, decompressing it, and checks
// it ends within the data.
Result<void> read_rdata_name(std::string_view packet, std::size_t& offset, std::size_t end, std::string& out,
                             const std::string& what) {
  out.clear();
  if (auto read = read_name(packet.substr(0, end), offset, out, what, "its data"); !read) return read;
  return {};
}

// The record data of the types whose layout we check, with their names
// decompressed into `rdata`. Other types (and other classes) are copied.
Result<void> read_rdata(std::string_view packet, std::size_t start, std::size_t length, Record& record,
                        const std::string& what) {
  const std::size_t end = start + length;
  auto fixed = [&](std::size_t size) -> Result<void> {
    if (length == size) return {};
    return Error{what + " has " + byte_count(length) + " of data" + at(start) + ", its type needs " +
                 std::to_string(size)};
  };
  // Layout: `before` fixed bytes, then `names` names, then `after` fixed bytes.
  auto with_names = [&](std::size_t before, int names, std::size_t after) -> Result<void> {
    if (length < before) return fixed(before);
    record.rdata.assign(packet.substr(start, before));
    std::size_t offset = start + before;
    std::string name;
    for (int i = 0; i < names; ++i) {
      if (auto read = read_rdata_name(packet, offset, end, name, what + " data name"); !read) return read;
      record.rdata += name;
    }
    if (end - offset != after)
      return Error{what + " has " + byte_count(end - offset) + " after the name(s) in its data" +
                   at(offset) + ", its type needs " + std::to_string(after)};
    record.rdata.append(packet.substr(offset, after));
    return {};
  };
  if (record.klass == klass::IN) {
    switch (record.type) {
      case type::A:
        if (auto ok = fixed(4); !ok) return ok;
        break;
      case type::AAAA:
        if (auto ok = fixed(16); !ok) return ok;
        break;
      case type::NS:
      case type::CNAME:
      case type::PTR: return with_names(0, 1, 0);
      case type::MX: return with_names(2, 1, 0);
      case type::SRV: return with_names(6, 1, 0);
      case type::SOA: return with_names(0, 2, 20);
      default: break;
    }
  }
  record.rdata.assign(packet.substr(start, length));
  return {};
}

Result<Edns> read_opt(const Record& opt, std::uint16_t& rcode, const std::string& what) {
  const std::uint32_t ttl = opt.ttl;
  if (opt.name.size() != 1) return Error{what + " (OPT) has an owner name other than the root"};
  Edns edns;
  edns.udp_payload_size = opt.klass;
  edns.version = static_cast<std::uint8_t>((ttl >> 16) & 0xFF);
  edns.dnssec_ok = ttl & wire::kEdnsDo;
  rcode = static_cast<std::uint16_t>(((ttl >> 24) << 4) | (rcode & 0xF));
  // Options are kept raw, but their framing is checked (RFC 6891 §6.1.2).
  std::size_t i = 0;
  while (i < opt.rdata.size()) {
    if (opt.rdata.size() - i < 4) return Error{what + " (OPT) has a truncated option header"};
    const std::size_t length = wire::u16(opt.rdata, i + 2);
    if (opt.rdata.size() - i - 4 < length)
      return Error{what + " (OPT) has an option of " + std::to_string(length) + " bytes with " +
                   std::to_string(opt.rdata.size() - i - 4) + " left"};
    i += 4 + length;
  }
  edns.options = opt.rdata;
  return edns;
}

Result<void> read_record(std::string_view packet, std::size_t& offset, Record& record, const std::string& what) {
  if (auto read = read_name(packet, offset, record.name, what + " name"); !read) return read;
  if (packet.size() - offset < 10)
    return Error{what + " is cut off after its name" + at(offset) + " (" + std::to_string(packet.size() - offset) +
                 " of 10 bytes)"};
  record.type = wire::u16(packet, offset);
  record.klass = wire::u16(packet, offset + 2);
  record.ttl = wire::u32(packet, offset + 4);
  const std::size_t length = wire::u16(packet, offset + 8);
  offset += 10;
  if (packet.size() - offset < length)
    return Error{what + " has " + byte_count(length) + " of data" + at(offset) + " but the packet has " +
                 std::to_string(packet.size() - offset) + " left"};
  if (auto data = read_rdata(packet, offset, length, record, what); !data) return data;
  offset += length;
  return {};
}

}  // namespace

Result<Message> parse(std::string_view packet) {
  if (packet.size() < kHeaderSize)
    return Error{"header of " + byte_count(packet.size()) + " (a DNS header has 12)"};
  Message message;
  message.id = wire::u16(packet, 0);
  message.flags = flags_from(wire::u16(packet, 2));
  const std::size_t counts[4] = {wire::u16(packet, 4), wire::u16(packet, 6), wire::u16(packet, 8),
                                 wire::u16(packet, 10)};
  const std::size_t least = counts[0] * kMinQuestionSize + (counts[1] + counts[2] + counts[3]) * kMinRecordSize;
  if (least > packet.size() - kHeaderSize)
    return Error{"counts of " + std::to_string(counts[0]) + " questions and " +
                 std::to_string(counts[1] + counts[2] + counts[3]) + " records need at least " +
                 std::to_string(least) + " bytes, the packet has " + std::to_string(packet.size() - kHeaderSize) +
                 " after the header"};

  std::size_t offset = kHeaderSize;
  message.questions.resize(counts[0]);
  for (std::size_t i = 0; i < counts[0]; ++i) {
    Question& question = message.questions[i];
    const std::string what = "question " + std::to_string(i + 1);
    if (auto read = read_name(packet, offset, question.name, what + " name"); !read) return read.error();
    if (packet.size() - offset < 4) return Error{what + " is cut off after its name" + at(offset)};
    question.type = wire::u16(packet, offset);
    question.klass = wire::u16(packet, offset + 2);
    offset += 4;
  }

  static constexpr const char* kSections[] = {"answer", "authority", "additional"};
  std::vector<Record>* sections[] = {&message.answers, &message.authority, &message.additional};
  for (int s = 0; s < 3; ++s) {
    std::vector<Record>& records = *sections[s];
    records.reserve(counts[s + 1]);
    for (std::size_t i = 0; i < counts[s + 1]; ++i) {
      const std::string what = std::string(kSections[s]) + " record " + std::to_string(i + 1);
      const std::size_t start = offset;
      Record record;
      if (auto read = read_record(packet, offset, record, what); !read) return read.error();
      if (record.type != type::OPT) {
        records.push_back(std::move(record));
        continue;
      }
      // OPT is a pseudo-record: once, in additional only (RFC 6891 §6.1.1).
      if (s != 2) return Error{what + " is an OPT record outside the additional section" + at(start)};
      if (message.edns) return Error{what + " is a second OPT record" + at(start)};
      auto edns = read_opt(record, message.flags.rcode, what);
      if (!edns) return edns.error();
      message.edns = std::move(*edns);
    }
  }
  if (offset != packet.size())
    return Error{byte_count(packet.size() - offset) + " after the last record" + at(offset)};
  return message;
}

std::size_t udp_reply_limit(const Message& query) {
  if (!query.edns) return kMinMessageSize;
  return std::max<std::size_t>(query.edns->udp_payload_size, kMinMessageSize);
}

}  // namespace dcos::dns
