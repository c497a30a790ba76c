#include "runtime/resources.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <type_traits>
#include <utility>

#include <nlohmann/json.hpp>

namespace dcos {
namespace {

using mesos::v1::Attribute;
using mesos::v1::Resource;
using mesos::v1::Value;

std::string quote(std::string_view text) { return "'" + std::string(text) + "'"; }

std::string_view trim(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n";
  const size_t first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(kSpace) - first + 1);
}

// ',' also separates entries (operators write "cpus:2,mem:1024" too), except
// inside a ranges or set value, where it separates the items.
std::vector<std::string_view> split_entries(std::string_view text) {
  std::vector<std::string_view> entries;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    const char c = i < text.size() ? text[i] : ';';
    if (c == '[' || c == '{') {
      ++depth;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    } else if ((c == ';' || c == ',') && (depth == 0 || i == text.size())) {
      const std::string_view entry = trim(text.substr(start, i - start));
      if (!entry.empty()) entries.push_back(entry);
      start = i + 1;
    }
  }
  return entries;
}

// The items between the brackets of "[...]" or "{...}"; none for "[]".
std::vector<std::string_view> split_items(std::string_view inner) {
  std::vector<std::string_view> items;
  if (trim(inner).empty()) return items;
  size_t start = 0;
  for (size_t comma = inner.find(',');; comma = inner.find(',', start)) {
    items.push_back(trim(inner.substr(start, comma - start)));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return items;
}

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
         c == '.' || c == '/';
}

Result<void> check_name(const std::string& kind, std::string_view name, std::string_view entry) {
  if (name.empty()) return Error{"empty " + kind + " name in " + quote(entry)};
  if (!std::all_of(name.begin(), name.end(), is_name_char)) {
    return Error{kind + " name " + quote(name) + " may only have letters, digits, '_', '-', '.' and '/'"};
  }
  return {};
}

// Mesos' rules for (hierarchical) roles: "*", or '/'-separated parts that
// are not empty, ".", ".." and do not start with '-'.
Result<void> check_role(std::string_view role) {
  if (role == "*") return {};
  bool good = !role.empty();
  for (size_t start = 0; good;) {
    const size_t slash = role.find('/', start);
    const std::string_view part = role.substr(start, slash - start);
    good = !part.empty() && part != "." && part != ".." && part.front() != '-' &&
           std::all_of(part.begin(), part.end(), is_name_char);
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  if (!good) return Error{"bad role " + quote(role) + " (e.g. slave_public, or * for unreserved)"};
  return {};
}

// Mesos keeps scalars in fixed point with three decimals. Rounding the same
// way makes text round trips exact and sums like 0.1+0.2 equal 0.3. Past
// 1e15 a double has no thousandths left to round.
double round_scalar(double value) {
  if (std::abs(value) >= 1e15) return value;
  const double rounded = std::round(value * 1000) / 1000;
  return rounded == 0 ? 0 : rounded;  // no "-0"
}

// Whether all of `text` is a number (including "nan" and "inf", which the
// caller rejects with a better message than "not a number").
bool is_number(std::string_view text) {
  double ignored = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), ignored);
  return ec != std::errc::invalid_argument && end == text.data() + text.size();
}

Result<double> parse_scalar(const std::string& what, std::string_view text) {
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc::invalid_argument || end != text.data() + text.size()) {
    return Error{what + ": " + quote(text) + " is not a number"};
  }
  if (ec == std::errc::result_out_of_range) return Error{what + ": " + quote(text) + " is out of range"};
  if (!std::isfinite(value)) return Error{what + ": " + quote(text) + " is not a finite number"};
  if (value < 0) return Error{what + ": " + quote(text) + " is negative"};
  return round_scalar(value);
}

std::optional<uint64_t> parse_u64(std::string_view text) {
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || text.empty() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// Sorted and merged, as Mesos keeps them: [1-3,2-5,6-6] is [1-6].
void coalesce(Value::Ranges& ranges) {
  std::vector<std::pair<uint64_t, uint64_t>> spans;
  for (const Value::Range& range : ranges.range()) spans.emplace_back(range.begin(), range.end());
  std::sort(spans.begin(), spans.end());
  ranges.clear_range();
  Value::Range* last = nullptr;
  for (const auto& [begin, end] : spans) {
    if (last != nullptr && (last->end() == UINT64_MAX || begin <= last->end() + 1)) {
      last->set_end(std::max(last->end(), end));
      continue;
    }
    last = ranges.add_range();
    last->set_begin(begin);
    last->set_end(end);
  }
}

Result<Value::Ranges> parse_ranges(const std::string& what, std::string_view text) {
  if (!text.ends_with(']')) return Error{what + ": " + quote(text) + " has no closing ']'"};
  Value::Ranges ranges;
  for (std::string_view item : split_items(text.substr(1, text.size() - 2))) {
    const size_t dash = item.find('-');
    const auto begin = parse_u64(trim(item.substr(0, dash)));
    const auto end = dash == std::string_view::npos ? begin : parse_u64(trim(item.substr(dash + 1)));
    if (!begin || !end) {
      return Error{what + ": " + quote(item) + " is not a range (e.g. [31000-32000])"};
    }
    if (*begin > *end) return Error{what + ": range " + quote(item) + " begins past its end"};
    Value::Range* range = ranges.add_range();
    range->set_begin(*begin);
    range->set_end(*end);
  }
  coalesce(ranges);
  return ranges;
}

Result<Value::Set> parse_set(const std::string& what, std::string_view text) {
  if (!text.ends_with('}')) return Error{what + ": " + quote(text) + " has no closing '}'"};
  Value::Set set;
  std::set<std::string_view> seen;
  for (std::string_view item : split_items(text.substr(1, text.size() - 2))) {
    if (item.empty()) return Error{what + ": empty item in " + quote(text)};
    if (!seen.insert(item).second) return Error{what + ": " + quote(item) + " is in the set twice"};
    set.add_item(std::string(item));
  }
  return set;
}

// Resource and Attribute share the field names for these value kinds.
template <class Message>
Result<void> parse_value(const std::string& what, std::string_view text, Message& out) {
  if (text.starts_with('[')) {
    auto ranges = parse_ranges(what, text);
    if (!ranges) return ranges.error();
    out.set_type(Value::RANGES);
    *out.mutable_ranges() = std::move(ranges).value();
  } else if (text.starts_with('{')) {
    auto set = parse_set(what, text);
    if (!set) return set.error();
    out.set_type(Value::SET);
    *out.mutable_set() = std::move(set).value();
  } else {
    auto scalar = parse_scalar(what, text);
    if (!scalar) return scalar.error();
    out.set_type(Value::SCALAR);
    out.mutable_scalar()->set_value(*scalar);
  }
  return {};
}

struct Entry {
  std::string_view name;
  std::string_view value;
};

Result<Entry> split_entry(const std::string& kind, std::string_view entry, std::string_view example) {
  const size_t colon = entry.find(':');
  if (colon == std::string_view::npos) {
    return Error{kind + " " + quote(entry) + " has no value (e.g. " + std::string(example) + ")"};
  }
  const Entry split{trim(entry.substr(0, colon)), trim(entry.substr(colon + 1))};
  if (split.value.empty()) return Error{kind + " " + quote(split.name) + " has no value"};
  return split;
}

// `role` is deprecated in Mesos but old readers still look at it; the
// reservation stack is what newer Mesos trusts, its last entry being the role.
void set_role(Resource& resource, const std::string& role) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  resource.set_role(role);
#pragma GCC diagnostic pop
  if (role == "*") return;
  Resource::ReservationInfo* reservation = resource.add_reservations();
  reservation->set_type(Resource::ReservationInfo::STATIC);
  reservation->set_role(role);
}

std::string display_name(const std::string& name, const std::string& role) {
  return role == "*" ? name : name + "(" + role + ")";
}

Result<Resource> parse_resource(std::string_view entry, std::string_view default_role) {
  auto split = split_entry("resource", entry, "cpus:2");
  if (!split) return split.error();
  std::string_view name = split->name;
  std::string role(default_role);
  if (const size_t paren = name.find('('); paren != std::string_view::npos) {
    if (!name.ends_with(')')) return Error{"resource " + quote(name) + " has no closing ')'"};
    role = std::string(trim(name.substr(paren + 1, name.size() - paren - 2)));
    name = trim(name.substr(0, paren));
    if (auto valid = check_role(role); !valid) return valid.error();
  }
  if (auto valid = check_name("resource", name, entry); !valid) return valid.error();

  Resource resource;
  resource.set_name(std::string(name));
  if (auto value = parse_value("resource " + quote(split->name), split->value, resource); !value) {
    return value.error();
  }
  set_role(resource, role);
  return resource;
}

std::string format_scalar(double value) {
  char buffer[400];  // the largest double in fixed notation has 309 digits
  const auto [end, ec] =
      std::to_chars(buffer, buffer + sizeof buffer, round_scalar(value), std::chars_format::fixed, 3);
  std::string text(buffer, ec == std::errc() ? end : buffer);
  if (text.find('.') != std::string::npos) {
    text.erase(text.find_last_not_of('0') + 1);
    if (text.ends_with('.')) text.pop_back();
  }
  return text;
}

std::string format_ranges(const Value::Ranges& ranges) {
  std::string text = "[";
  for (const Value::Range& range : ranges.range()) {
    if (text.size() > 1) text += ',';
    text += std::to_string(range.begin()) + "-" + std::to_string(range.end());
  }
  return text + "]";
}

std::string format_set(const Value::Set& set) {
  std::string text = "{";
  for (const std::string& item : set.item()) {
    if (text.size() > 1) text += ',';
    text += item;
  }
  return text + "}";
}

template <class Message>
std::string format_value(const Message& message) {
  switch (message.type()) {
    case Value::SCALAR:
      return format_scalar(message.scalar().value());
    case Value::RANGES:
      return format_ranges(message.ranges());
    case Value::SET:
      return format_set(message.set());
    default:
      if constexpr (std::is_same_v<Message, Attribute>) return message.text().value();
      return "";
  }
}

// Adds `more` into `into` (same name and type): scalars sum, ranges and sets
// take the union.
void merge_into(Resource& into, const Resource& more) {
  switch (into.type()) {
    case Value::SCALAR:
      into.mutable_scalar()->set_value(round_scalar(into.scalar().value() + more.scalar().value()));
      break;
    case Value::RANGES:
      into.mutable_ranges()->MergeFrom(more.ranges());
      coalesce(*into.mutable_ranges());
      break;
    case Value::SET:
      for (const std::string& item : more.set().item()) {
        const auto& items = into.set().item();
        if (std::find(items.begin(), items.end(), item) == items.end()) into.mutable_set()->add_item(item);
      }
      break;
    default:
      break;
  }
}

}  // namespace

std::string role_of(const Resource& resource) {
  if (resource.reservations_size() > 0) return resource.reservations().rbegin()->role();
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  return resource.role();  // "*" when unset: the proto's default
#pragma GCC diagnostic pop
}

Result<Resources> parse_resources(std::string_view text, std::string_view default_role) {
  if (auto valid = check_role(default_role); !valid) return valid.error();
  Resources resources;
  std::set<std::pair<std::string, std::string>> seen;  // {name, role}
  std::map<std::string, Value::Type> types;
  for (std::string_view entry : split_entries(text)) {
    auto resource = parse_resource(entry, default_role);
    if (!resource) return resource.error();
    const std::string role = role_of(*resource);
    if (!seen.emplace(resource->name(), role).second) {
      return Error{"resource " + quote(display_name(resource->name(), role)) + " is given twice"};
    }
    // One name, one kind of value: summing "cpus" must not meet a range.
    const auto [type, fresh] = types.emplace(resource->name(), resource->type());
    if (!fresh && type->second != resource->type()) {
      return Error{"resource " + quote(resource->name()) + " has values of different kinds"};
    }
    resources.push_back(std::move(resource).value());
  }
  return resources;
}

Result<Attributes> parse_attributes(std::string_view text) {
  Attributes attributes;
  std::set<std::string, std::less<>> seen;
  for (std::string_view entry : split_entries(text)) {
    auto split = split_entry("attribute", entry, "rack:r1");
    if (!split) return split.error();
    if (auto valid = check_name("attribute", split->name, entry); !valid) return valid.error();
    if (!seen.emplace(split->name).second) {
      return Error{"attribute " + quote(split->name) + " is given twice"};
    }
    Attribute attribute;
    attribute.set_name(std::string(split->name));
    if (split->value.starts_with('[') || is_number(split->value)) {
      if (auto value = parse_value("attribute " + quote(split->name), split->value, attribute); !value) {
        return value.error();
      }
    } else {
      attribute.set_type(Value::TEXT);
      attribute.mutable_text()->set_value(std::string(split->value));
    }
    attributes.push_back(std::move(attribute));
  }
  return attributes;
}

std::string format_resources(const Resources& resources) {
  std::string text;
  for (const Resource& resource : resources) {
    if (!text.empty()) text += ';';
    text += display_name(resource.name(), role_of(resource)) + ":" + format_value(resource);
  }
  return text;
}

std::string format_attributes(const Attributes& attributes) {
  std::string text;
  for (const Attribute& attribute : attributes) {
    if (!text.empty()) text += ';';
    text += attribute.name() + ":" + format_value(attribute);
  }
  return text;
}

double scalar_total(const Resources& resources, std::string_view name) {
  double total = 0;
  for (const Resource& resource : resources) {
    if (resource.name() == name && resource.type() == Value::SCALAR) total += resource.scalar().value();
  }
  return round_scalar(total);
}

Resources override_resources(Resources base, const Resources& overrides) {
  std::set<std::string, std::less<>> names;
  for (const Resource& resource : overrides) names.insert(resource.name());

  // Overridden names keep their place in `base`; new ones go at the end.
  Resources result;
  std::set<std::string, std::less<>> placed;
  const auto place = [&](const std::string& name) {
    if (!placed.insert(name).second) return;
    for (const Resource& resource : overrides) {
      if (resource.name() == name) result.push_back(resource);
    }
  };
  for (Resource& resource : base) {
    if (names.contains(resource.name())) {
      place(resource.name());
    } else {
      result.push_back(std::move(resource));
    }
  }
  for (const Resource& resource : overrides) place(resource.name());
  return result;
}

nlohmann::json resources_json(const Resources& resources) {
  std::map<std::string, Resource> by_name;
  for (const Resource& resource : resources) {
    const auto [merged, fresh] = by_name.try_emplace(resource.name(), resource);
    // parse_resources never mixes kinds under one name; a hand-built list
    // that does keeps its first kind.
    if (!fresh && merged->second.type() == resource.type()) merge_into(merged->second, resource);
  }
  nlohmann::json json = nlohmann::json::object();
  for (const auto& [name, resource] : by_name) {
    if (resource.type() == Value::SCALAR) {
      json[name] = round_scalar(resource.scalar().value());
    } else {
      json[name] = format_value(resource);
    }
  }
  return json;
}

nlohmann::json attributes_json(const Attributes& attributes) {
  nlohmann::json json = nlohmann::json::object();
  for (const Attribute& attribute : attributes) {
    if (json.contains(attribute.name())) continue;
    if (attribute.type() == Value::SCALAR) {
      json[attribute.name()] = round_scalar(attribute.scalar().value());
    } else {
      json[attribute.name()] = format_value(attribute);
    }
  }
  return json;
}

}  // namespace dcos
