#include "netlb/nftables/parse.hpp"

#include <cstdint>
#include <optional>
#include <nlohmann/json.hpp>

namespace dcos::netlb::nft {

namespace {

using nlohmann::json;

const json* member(const json& object, const char* name) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(name);
  return it == object.end() ? nullptr : &*it;
}

std::string string_member(const json& object, const char* name) {
  const json* value = member(object, name);
  return value && value->is_string() ? value->get<std::string>() : std::string();
}

Result<uint64_t> number(const json& value, uint64_t max, const char* what) {
  if (!value.is_number_unsigned() || value.get<uint64_t>() > max)
    return Error{std::string(what) + " is not a number up to " + std::to_string(max) + ": " + value.dump()};
  return value.get<uint64_t>();
}

Result<Address> address(const json& value, bool v4) {
  if (!value.is_string()) return Error{"an address is not a string: " + value.dump()};
  auto parsed = Address::parse(value.get<std::string>());
  if (!parsed) return parsed.error();
  if (parsed->is_v4() != v4) return Error{"address " + parsed->text() + " is of the wrong family"};
  return parsed;
}

Result<Protocol> protocol(const json& value) {
  if (value.is_string()) return parse_protocol(value.get<std::string>());
  if (value == 6) return Protocol::tcp;
  if (value == 17) return Protocol::udp;
  return Error{"not tcp or udp: " + value.dump()};
}

// An element's key: the concatenation's parts, and its comment if any.
struct Key {
  const json* parts = nullptr;
  std::string comment;
};

Result<Key> key_of(const json& element, std::size_t size) {
  Key key;
  const json* value = &element;
  if (const json* wrapped = member(element, "elem")) {
    value = member(*wrapped, "val");
    key.comment = string_member(*wrapped, "comment");
    if (!value) return Error{"an element without a value: " + element.dump()};
  }
  key.parts = member(*value, "concat");
  if (!key.parts || !key.parts->is_array() || key.parts->size() != size)
    return Error{"an element is not a concatenation of " + std::to_string(size) + ": " + value->dump()};
  return key;
}

// (vip . proto . port) from the first three parts.
Result<ServiceKey> service_key(const json& parts, bool v4) {
  auto vip = address(parts[0], v4);
  if (!vip) return vip.error();
  auto proto = protocol(parts[1]);
  if (!proto) return proto.error();
  auto port = number(parts[2], 65535, "a port");
  if (!port) return port.error();
  return ServiceKey{*proto, *vip, static_cast<uint16_t>(*port)};
}

Result<Endpoint> endpoint(const json& address_part, const json& port_part, bool v4) {
  auto a = address(address_part, v4);
  if (!a) return a.error();
  auto port = number(port_part, 65535, "a port");
  if (!port) return port.error();
  return Endpoint{*a, static_cast<uint16_t>(*port)};
}

// goto pick-W -> W; accept -> 0; anything else -> nullopt.
std::optional<uint32_t> verdict(const json& value) {
  if (member(value, "accept")) return 0;
  const json* go = member(value, "goto");
  return go ? pick_slots(string_member(*go, "target")) : std::nullopt;
}

Result<void> add_elements(HeldTable& table, const std::string& name, const json& elements) {
  if (name.size() < 2) return {};
  const char family = name.back();
  if (family != '4' && family != '6') return {};
  const bool v4 = family == '4';
  const std::string base = name.substr(0, name.size() - 1);
  if (base != "services" && base != "backends" && base != "idle") return {};
  if (!elements.is_array()) return Error{name + ": elements are not a list"};
  for (const json& element : elements) {
    const bool is_map = base != "idle";
    if (is_map && (!element.is_array() || element.size() != 2))
      return Error{name + ": a map element is not [key, value]: " + element.dump()};
    const std::size_t parts = base == "services" ? 3 : base == "backends" ? 4 : 5;
    auto key = key_of(is_map ? element[0] : element, parts);
    if (!key) return Error{name + ": " + key.error().message};
    auto service = service_key(*key->parts, v4);
    if (!service) return Error{name + ": " + service.error().message};
    HeldService& held = table.services[*service];
    if (base == "services") {
      held.listed = true;
      held.rules.scheduler = key->comment;
      auto slots = verdict(element[1]);
      held.bad_verdict = !slots;
      held.rules.pick = slots.value_or(0);
    } else if (base == "backends") {
      auto slot = number((*key->parts)[3], UINT32_MAX, "a slot");
      if (!slot) return Error{name + ": " + slot.error().message};
      const json* target = member(element[1], "concat");
      if (!target || !target->is_array() || target->size() != 2)
        return Error{name + ": a backend is not address . port: " + element[1].dump()};
      auto to = endpoint((*target)[0], (*target)[1], v4);
      if (!to) return Error{name + ": " + to.error().message};
      held.rules.slots[static_cast<uint32_t>(*slot)] = *to;
    } else {
      auto to = endpoint((*key->parts)[3], (*key->parts)[4], v4);
      if (!to) return Error{name + ": " + to.error().message};
      held.rules.idle.insert(*to);
    }
  }
  return {};
}

Result<HeldTable> parse(const json& document) {
  const json* list = member(document, "nftables");
  if (!list || !list->is_array()) return Error{"no \"nftables\" list in nft's output"};
  HeldTable table;
  for (const json& item : *list) {
    if (!item.is_object() || item.size() != 1) return Error{"an nftables item is not an object of one kind"};
    const auto first = item.begin();  // (items() is a temporary: its entries die with it)
    const std::string kind = first.key();
    const json& body = first.value();
    if (kind == "map" || kind == "set") {
      const std::string name = string_member(body, "name");
      table.sets.insert(name);
      if (const json* elements = member(body, "elem"))
        if (auto added = add_elements(table, name, *elements); !added) return added.error();
    } else if (kind == "chain") {
      table.chains[string_member(body, "name")];
    } else if (kind == "rule") {
      table.chains[string_member(body, "chain")].push_back(string_member(body, "comment"));
    }
  }
  return table;
}

}  // namespace

Result<HeldTable> parse_table(std::string_view text) {
  const json document = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) return Error{"nft's output is not JSON"};
  try {
    return parse(document);
  } catch (const json::exception& e) {  // a shape the checks above missed: still an error, not a crash
    return Error{std::string("nft's output: ") + e.what()};
  }
}

}  // namespace dcos::netlb::nft
