#include "dnsproxy/query.hpp"

#include <algorithm>
#include <cassert>

#include "dnsproxy/name.hpp"
#include "dnsproxy/wire.hpp"

namespace dcos::dns {
namespace {

constexpr std::size_t kOptSize = 11;  // root, type, class, TTL, length; no options
constexpr std::uint16_t kQuestionPointer = 0xC000 | kHeaderSize;

bool options_framed(std::string_view options) {
  std::size_t i = 0;
  while (i < options.size()) {
    if (options.size() - i < 4) return false;
    const std::size_t length = wire::u16(options, i + 2);
    if (options.size() - i - 4 < length) return false;
    i += 4 + length;
  }
  return true;
}

}  // namespace

std::size_t QueryView::udp_reply_limit() const {
  return has_edns ? std::max<std::size_t>(udp_payload_size, kMinMessageSize) : kMinMessageSize;
}

std::optional<QueryView> peek_query(std::string_view packet) {
  using B = wire::HeaderBits;
  if (packet.size() < kHeaderSize + 5) return std::nullopt;
  const std::uint16_t bits = wire::u16(packet, 2);
  if ((bits & B::kQr) || ((bits >> B::kOpcodeShift) & 0xF) != opcode::Query) return std::nullopt;
  const std::uint16_t additional = wire::u16(packet, 10);
  if (wire::u16(packet, 4) != 1 || wire::u16(packet, 6) != 0 || wire::u16(packet, 8) != 0 || additional > 1)
    return std::nullopt;

  QueryView query;
  query.id = wire::u16(packet, 0);
  query.rd = bits & B::kRd;
  query.cd = bits & B::kCd;
  std::string_view rest = packet.substr(kHeaderSize);
  const std::size_t name_length = well_formed_name_length(rest);
  if (name_length == 0 || rest.size() - name_length < 4) return std::nullopt;
  query.name = rest.substr(0, name_length);
  query.type = wire::u16(rest, name_length);
  query.klass = wire::u16(rest, name_length + 2);
  query.question = rest.substr(0, name_length + 4);
  rest.remove_prefix(name_length + 4);
  if (additional == 0) return rest.empty() ? std::optional(query) : std::nullopt;

  // The OPT record: root owner, type OPT, then class (payload size), TTL
  // (extended rcode, version, flags), and the options, exactly to the end.
  if (rest.size() < kOptSize || rest[0] != '\0' || wire::u16(rest, 1) != type::OPT) return std::nullopt;
  const std::size_t options = wire::u16(rest, 9);
  if (rest.size() - kOptSize != options || !options_framed(rest.substr(kOptSize))) return std::nullopt;
  query.has_edns = true;
  query.udp_payload_size = wire::u16(rest, 3);
  query.edns_version = static_cast<std::uint8_t>(rest[6]);
  query.dnssec_ok = wire::u32(rest, 5) & wire::kEdnsDo;
  return query;
}

ReplyWriter::ReplyWriter(const QueryView& query, std::string& out, std::size_t max_size, std::uint16_t rcode,
                         bool authoritative)
    : out_(out), rcode_(rcode), edns_(query.has_edns) {
  using B = wire::HeaderBits;
  const std::size_t limit = std::clamp(max_size, kMinMessageSize, kMaxMessageSize);
  budget_ = limit - (edns_ ? kOptSize : 0);
  out_.clear();
  std::uint16_t bits = B::kQr | B::kRa | (rcode & 0xF);
  if (query.rd) bits |= B::kRd;
  if (query.cd) bits |= B::kCd;
  if (authoritative) bits |= B::kAa;
  wire::put16(out_, query.id);
  wire::put16(out_, bits);
  wire::put16(out_, 1);
  out_.append(6, '\0');
  // A peeked question is at most 255 + 4 bytes: it always fits in 512.
  out_.append(query.question);
}

bool ReplyWriter::add(Section section, std::uint16_t type, std::uint32_t ttl, std::string_view rdata) {
  return append(section, {}, type, ttl, rdata);
}

bool ReplyWriter::add(Section section, std::string_view name, std::uint16_t type, std::uint32_t ttl,
                      std::string_view rdata) {
  assert(!name.empty() && well_formed_name_length(name) == name.size());
  return append(section, name, type, ttl, rdata);
}

bool ReplyWriter::add_compiled(std::string_view records, const std::uint16_t (&counts)[3]) {
  assert(section_ == 0 && counts_[0] == 0 && "ReplyWriter: compiled records come first");
  if (out_.size() + records.size() > budget_) return false;
  out_.append(records);
  for (int i = 0; i < 3; ++i) counts_[i] = counts[i];
  section_ = 2;
  return true;
}

bool ReplyWriter::append(Section section, std::string_view name, std::uint16_t type, std::uint32_t ttl,
                         std::string_view rdata) {
  const int index = static_cast<int>(section);
  assert(index >= section_ && "ReplyWriter: sections must be added in order");
  section_ = index;
  const std::size_t size = (name.empty() ? 2 : name.size()) + 10 + rdata.size();
  if (full_ || rdata.size() > 0xFFFF || out_.size() + size > budget_ || counts_[index] == 0xFFFF) {
    if (section != Section::Additional) truncated_ = full_ = true;
    return false;
  }
  if (name.empty())
    wire::put16(out_, kQuestionPointer);
  else
    out_.append(name);
  wire::put16(out_, type);
  wire::put16(out_, klass::IN);
  wire::put32(out_, ttl);
  wire::put16(out_, static_cast<std::uint16_t>(rdata.size()));
  out_.append(rdata);
  ++counts_[index];
  return true;
}

void ReplyWriter::finish() {
  std::uint16_t additional = counts_[2];
  if (edns_) {
    out_ += '\0';
    wire::put16(out_, type::OPT);
    wire::put16(out_, kUdpPayloadSize);
    wire::put32(out_, std::uint32_t{static_cast<std::uint8_t>(rcode_ >> 4)} << 24);
    wire::put16(out_, 0);
    ++additional;
  }
  if (truncated_) out_[2] = static_cast<char>(out_[2] | (wire::HeaderBits::kTc >> 8));
  wire::set16(out_, 6, counts_[0]);
  wire::set16(out_, 8, counts_[1]);
  wire::set16(out_, 10, additional);
}

std::string error_reply(std::string_view packet, std::uint16_t rcode) {
  using B = wire::HeaderBits;
  if (packet.size() < kHeaderSize || (wire::u16(packet, 2) & B::kQr)) return {};
  std::string out;
  if (auto query = peek_query(packet)) {
    ReplyWriter reply(*query, out, kMinMessageSize, rcode, false);
    reply.finish();
    return out;
  }
  // Not a plain query: echo what can be read. The first question, when
  // there is one and it reads (compressed or not), is copied uncompressed.
  const std::uint16_t bits = wire::u16(packet, 2);
  wire::put16(out, wire::u16(packet, 0));
  wire::put16(out, static_cast<std::uint16_t>(B::kQr | B::kRa | (bits & (0xF << B::kOpcodeShift)) |
                                              (bits & (B::kRd | B::kCd)) | (rcode & 0xF)));
  out.append(8, '\0');
  if (wire::u16(packet, 4) == 0) return out;
  std::size_t offset = kHeaderSize;
  std::string name;
  if (!read_name(packet, offset, name, "question") || packet.size() - offset < 4) return out;
  out += name;
  out.append(packet.substr(offset, 4));
  wire::set16(out, 4, 1);
  return out;
}

}  // namespace dcos::dns
