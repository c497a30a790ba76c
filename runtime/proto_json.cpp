#include "runtime/proto_json.hpp"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/util/json_util.h>

#include <cmath>
#include <cstdint>
#include <utility>

namespace dcos::proto_json {

namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// Protobuf's JSON parser allows 100 levels; see ParseOptions::max_depth for
// why we allow fewer. Counts only structure outside strings, which
// Protobuf's parser also accepts in single quotes.
Result<void> check_depth(std::string_view json, std::size_t max_depth) {
  std::size_t depth = 0;
  char quote = 0;  // the open string's quote, 0 outside strings
  bool escaped = false;
  for (char c : json) {
    if (quote != 0) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == quote) {
        quote = 0;
      }
      continue;
    }
    if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '{' || c == '[') {
      if (++depth > max_depth) {
        return Error{"JSON nested deeper than " + std::to_string(max_depth) + " levels"};
      }
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
  return {};
}

// Protobuf's messages are "(path) name: Cannot find field." and, for syntax
// errors, the message followed by lines that point at the input; keep one
// line, and say which field in words a client will recognise.
std::string describe(std::string_view status_message) {
  std::string first(status_message.substr(0, status_message.find('\n')));
  constexpr std::string_view kUnknown = ": Cannot find field.";
  if (!first.ends_with(kUnknown)) return first;
  std::string located = first.substr(0, first.size() - kUnknown.size());  // "(path) name" or "name"
  std::string path;
  if (located.starts_with('(')) {
    const auto close = located.find(") ");
    if (close == std::string::npos) return first;
    path = located.substr(1, close - 1);
    located.erase(0, close + 2);
  }
  return "unknown field '" + located + "'" + (path.empty() ? std::string() : " in '" + path + "'");
}

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto lead = static_cast<unsigned char>(s[i]);
    if (lead < 0x80) {
      ++i;
      continue;
    }
    std::size_t n = 0;  // continuation bytes
    uint32_t cp = 0;
    if ((lead & 0xe0) == 0xc0) {
      n = 1;
      cp = lead & 0x1f;
    } else if ((lead & 0xf0) == 0xe0) {
      n = 2;
      cp = lead & 0x0f;
    } else if ((lead & 0xf8) == 0xf0) {
      n = 3;
      cp = lead & 0x07;
    } else {
      return false;
    }
    if (s.size() - i <= n) return false;
    for (std::size_t k = 1; k <= n; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (c & 0x3f);
    }
    // Overlong forms, surrogates and values past Unicode are invalid too.
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return false;
    i += n + 1;
  }
  return true;
}

// Each byte that does not start a valid sequence becomes U+FFFD.
std::string replace_invalid_utf8(std::string_view s) {
  std::string out;
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t len = 1;
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0xc0 && c < 0xf8) len = (c < 0xe0) ? 2 : (c < 0xf0) ? 3 : 4;
    if (i + len <= s.size() && valid_utf8(s.substr(i, len))) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      out += "\xef\xbf\xbd";
      ++i;
    }
  }
  return out;
}

nlohmann::ordered_json default_value(const FieldDescriptor& field) {
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32: return field.default_value_int32();
    case FieldDescriptor::CPPTYPE_INT64: return field.default_value_int64();
    case FieldDescriptor::CPPTYPE_UINT32: return field.default_value_uint32();
    case FieldDescriptor::CPPTYPE_UINT64: return field.default_value_uint64();
    case FieldDescriptor::CPPTYPE_DOUBLE: return field.default_value_double();
    case FieldDescriptor::CPPTYPE_FLOAT: return field.default_value_float();
    case FieldDescriptor::CPPTYPE_BOOL: return field.default_value_bool();
    case FieldDescriptor::CPPTYPE_ENUM: return field.default_value_enum()->name();
    case FieldDescriptor::CPPTYPE_STRING: return field.default_value_string();
    case FieldDescriptor::CPPTYPE_MESSAGE: break;
  }
  return nullptr;
}

void reshape(const Message& message, nlohmann::ordered_json& object);

// One value of `field` (element `index` if repeated) as printed in `value`.
void reshape_value(const Message& message, const FieldDescriptor& field, int index, nlohmann::ordered_json& value) {
  const Reflection& r = *message.GetReflection();
  const bool repeated = field.is_repeated();
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT64:
      value = repeated ? r.GetRepeatedInt64(message, &field, index) : r.GetInt64(message, &field);
      break;
    case FieldDescriptor::CPPTYPE_UINT64:
      value = repeated ? r.GetRepeatedUInt64(message, &field, index) : r.GetUInt64(message, &field);
      break;
    case FieldDescriptor::CPPTYPE_DOUBLE:
    case FieldDescriptor::CPPTYPE_FLOAT: {
      // Protobuf prints 5.0 as 5; print every double the same way (5.0),
      // defaults included. NaN and infinities stay Protobuf's strings.
      const double d = field.cpp_type() == FieldDescriptor::CPPTYPE_DOUBLE
                           ? (repeated ? r.GetRepeatedDouble(message, &field, index) : r.GetDouble(message, &field))
                           : (repeated ? r.GetRepeatedFloat(message, &field, index) : r.GetFloat(message, &field));
      if (std::isfinite(d)) value = d;
      break;
    }
    case FieldDescriptor::CPPTYPE_STRING:
      if (field.type() == FieldDescriptor::TYPE_STRING) {
        std::string scratch;
        const std::string& s = repeated ? r.GetRepeatedStringReference(message, &field, index, &scratch)
                                        : r.GetStringReference(message, &field, &scratch);
        if (!valid_utf8(s)) value = replace_invalid_utf8(s);
      }
      break;
    case FieldDescriptor::CPPTYPE_MESSAGE:
      if (value.is_object()) {
        reshape(repeated ? r.GetRepeatedMessage(message, &field, index) : r.GetMessage(message, &field), value);
      }
      break;
    default:
      break;
  }
}

// Rebuilds `object` in the .proto's declaration order, so that a field
// printed for its default sits where it would if it were set.
void reshape(const Message& message, nlohmann::ordered_json& object) {
  const auto& descriptor = *message.GetDescriptor();
  const Reflection& r = *message.GetReflection();
  nlohmann::ordered_json shaped = nlohmann::ordered_json::object();
  for (int i = 0; i < descriptor.field_count(); ++i) {
    const FieldDescriptor& field = *descriptor.field(i);
    const auto it = object.find(field.name());
    if (it == object.end()) {
      if (!field.is_repeated() && field.has_default_value() && !r.HasField(message, &field)) {
        shaped[field.name()] = default_value(field);
      }
      continue;
    }
    nlohmann::ordered_json& value = shaped[field.name()] = std::move(*it);
    if (field.is_map()) continue;  // none in our protos; left as Protobuf prints them
    if (field.is_repeated()) {
      const int size = r.FieldSize(message, &field);
      if (!value.is_array() || value.size() != static_cast<std::size_t>(size)) continue;
      for (int k = 0; k < size; ++k) reshape_value(message, field, k, value[static_cast<std::size_t>(k)]);
    } else {
      reshape_value(message, field, 0, value);
    }
  }
  object = std::move(shaped);
}

}  // namespace

Result<void> parse(std::string_view json, Message& message, const ParseOptions& options) {
  const std::string type = message.GetDescriptor()->full_name();
  if (json.size() > options.max_bytes) {
    return Error{"JSON body of " + std::to_string(json.size()) + " bytes exceeds the limit of " +
                 std::to_string(options.max_bytes) + " bytes"};
  }
  if (json.find_first_not_of(" \t\r\n") == std::string_view::npos) return Error{"empty JSON body, expected a " + type};
  if (auto depth = check_depth(json, options.max_depth); !depth) return depth.error();

  google::protobuf::util::JsonParseOptions parse_options;
  parse_options.ignore_unknown_fields = options.ignore_unknown_fields;
  message.Clear();
  const auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), &message, parse_options);
  if (!status.ok()) {
    message.Clear();
    return Error{"invalid " + type + ": " + describe(status.message().as_string())};
  }
  // Protobuf's parser checks required fields itself today; this keeps the
  // contract if a later version stops doing so.
  if (!message.IsInitialized()) {
    const std::string missing = message.InitializationErrorString();
    message.Clear();
    return Error{"invalid " + type + ": missing required field(s): " + missing};
  }
  return {};
}

Result<void> parse_binary(std::string_view bytes, Message& message, std::size_t max_bytes) {
  const std::string type = message.GetDescriptor()->full_name();
  if (bytes.size() > max_bytes) {
    return Error{"protobuf body of " + std::to_string(bytes.size()) + " bytes exceeds the limit of " +
                 std::to_string(max_bytes) + " bytes"};
  }
  if (!message.ParsePartialFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    message.Clear();
    return Error{"invalid " + type + ": not a serialized " + type};
  }
  if (!message.IsInitialized()) {
    const std::string missing = message.InitializationErrorString();
    message.Clear();
    return Error{"invalid " + type + ": missing required field(s): " + missing};
  }
  return {};
}

Result<nlohmann::ordered_json> to_value(const Message& message) {
  google::protobuf::util::JsonPrintOptions print_options;
  print_options.preserve_proto_field_names = true;
  std::string text;
  const auto status = google::protobuf::util::MessageToJsonString(message, &text, print_options);
  if (!status.ok()) {
    return Error{"cannot print " + message.GetDescriptor()->full_name() + " as JSON: " +
                 describe(status.message().as_string())};
  }
  auto value = nlohmann::ordered_json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded() || !value.is_object()) {
    return Error{"cannot print " + message.GetDescriptor()->full_name() + " as JSON: Protobuf printed invalid JSON"};
  }
  reshape(message, value);
  return value;
}

Result<std::string> print(const Message& message) {
  auto value = to_value(message);
  if (!value) return value.error();
  // reshape() leaves no invalid UTF-8, so dump() cannot throw.
  return value->dump();
}

}  // namespace dcos::proto_json
