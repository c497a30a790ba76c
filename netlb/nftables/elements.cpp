#include "netlb/nftables/elements.hpp"

#include <cstring>

namespace dcos::netlb::nft {

namespace {

// Appends one field of a concatenation, zero-padded to its 32-bit registers.
void field(Bytes& out, const uint8_t* data, std::size_t size) {
  out.insert(out.end(), data, data + size);
  out.resize(out.size() + (4 - size % 4) % 4, 0);
}

void address(Bytes& out, const Address& a) { field(out, a.bytes.data(), a.size()); }

void port(Bytes& out, uint16_t p) {
  const uint8_t bytes[2] = {uint8_t(p >> 8), uint8_t(p)};
  field(out, bytes, sizeof bytes);
}

void service(Bytes& out, const ServiceKey& key) {
  address(out, key.vip);
  const uint8_t protocol = uint8_t(key.protocol);
  field(out, &protocol, 1);
  port(out, key.port);
}

void endpoint(Bytes& out, const Endpoint& e) {
  address(out, e.address);
  port(out, e.port);
}

}  // namespace

std::string ElementSet::name() const {
  const char* base = kind == SetKind::services ? "services" : kind == SetKind::backends ? "backends" : "idle";
  return std::string(base) + (v4 ? "4" : "6");
}

Bytes element_key(SetKind kind, const Element& element) {
  Bytes out;
  out.reserve(44);
  service(out, element.key);
  if (kind == SetKind::backends) {
    uint8_t slot[4];
    std::memcpy(slot, &element.slot, sizeof slot);  // host order, as numgen's result
    field(out, slot, sizeof slot);
  } else if (kind == SetKind::idle) {
    endpoint(out, element.endpoint);
  }
  return out;
}

Bytes element_data(SetKind kind, const Element& element) {
  Bytes out;
  if (kind == SetKind::backends) endpoint(out, element.endpoint);
  return out;
}

std::string element_text(SetKind kind, const Element& element) {
  std::string out = element.key.vip.text() + " . " + std::string(protocol_name(element.key.protocol)) + " . " +
                    std::to_string(element.key.port);
  const std::string target = element.endpoint.address.text() + " . " + std::to_string(element.endpoint.port);
  if (kind == SetKind::backends) out += " . " + std::to_string(element.slot) + " : " + target;
  if (kind == SetKind::idle) out += " . " + target;
  return out;
}

}  // namespace dcos::netlb::nft
