#include "dnsproxy/rdata.hpp"

#include "dnsproxy/name.hpp"
#include "dnsproxy/wire.hpp"

namespace dcos::dns {

std::string a_rdata(const std::array<std::uint8_t, 4>& address) {
  return std::string(address.begin(), address.end());
}

std::string aaaa_rdata(const std::array<std::uint8_t, 16>& address) {
  return std::string(address.begin(), address.end());
}

std::string srv_rdata(const Srv& srv) {
  std::string out;
  out.reserve(6 + srv.target.size());
  wire::put16(out, srv.priority);
  wire::put16(out, srv.weight);
  wire::put16(out, srv.port);
  out += srv.target;
  return out;
}

std::string soa_rdata(const Soa& soa) {
  std::string out = soa.mname + soa.rname;
  for (std::uint32_t value : {soa.serial, soa.refresh, soa.retry, soa.expire, soa.minimum}) wire::put32(out, value);
  return out;
}

std::string name_rdata(std::string_view name) { return std::string(name); }

std::string mx_rdata(std::uint16_t preference, std::string_view exchange) {
  std::string out;
  wire::put16(out, preference);
  out += exchange;
  return out;
}

Result<std::string> rdata_name(std::string_view rdata, std::size_t& offset) {
  if (offset > rdata.size()) return Error{"name offset " + std::to_string(offset) + " past the record data"};
  const std::size_t length = well_formed_name_length(rdata.substr(offset));
  if (length == 0) return Error{"no well-formed name at offset " + std::to_string(offset) + " of the record data"};
  std::string name(rdata.substr(offset, length));
  offset += length;
  return name;
}

Result<Srv> parse_srv(std::string_view rdata) {
  if (rdata.size() < 7) return Error{"SRV data of " + std::to_string(rdata.size()) + " bytes (at least 7)"};
  Srv srv{wire::u16(rdata, 0), wire::u16(rdata, 2), wire::u16(rdata, 4), {}};
  std::size_t offset = 6;
  auto target = rdata_name(rdata, offset);
  if (!target) return Error{"SRV target: " + target.error().message};
  if (offset != rdata.size()) return Error{"SRV data has bytes after the target"};
  srv.target = std::move(*target);
  return srv;
}

Result<Soa> parse_soa(std::string_view rdata) {
  std::size_t offset = 0;
  auto mname = rdata_name(rdata, offset);
  if (!mname) return Error{"SOA MNAME: " + mname.error().message};
  auto rname = rdata_name(rdata, offset);
  if (!rname) return Error{"SOA RNAME: " + rname.error().message};
  if (rdata.size() - offset != 20)
    return Error{"SOA data has " + std::to_string(rdata.size() - offset) + " bytes after its names (needs 20)"};
  Soa soa;
  soa.mname = std::move(*mname);
  soa.rname = std::move(*rname);
  std::uint32_t* fields[] = {&soa.serial, &soa.refresh, &soa.retry, &soa.expire, &soa.minimum};
  for (std::uint32_t* field : fields) {
    *field = wire::u32(rdata, offset);
    offset += 4;
  }
  return soa;
}

Record make_record(std::string_view name, std::uint16_t type, std::uint32_t ttl, std::string rdata) {
  return Record{std::string(name), type, klass::IN, ttl, std::move(rdata)};
}

std::optional<NegativeTtl> negative_ttl(const Message& reply) {
  for (const Record& record : reply.authority) {
    if (record.type != type::SOA || record.klass != klass::IN) continue;
    auto soa = parse_soa(record.rdata);
    if (!soa) continue;
    return NegativeTtl{record.ttl, soa->minimum};
  }
  return std::nullopt;
}

}  // namespace dcos::dns
