// Protobuf messages to and from the JSON of the Mesos v1 HTTP APIs.
//
// Parsing is Protobuf's own JSON mapping (json_util.h), made strict for
// untrusted bodies: Mesos' snake_case field names (lowerCamelCase is also
// accepted), enum values by name or number, 64-bit integers as numbers or
// strings, bytes as base64. A body over `max_bytes`, nested deeper than
// `max_depth`, with a field the message does not have, a value of the wrong
// type, or a missing required field fails with an Error naming the field,
// fit for a 400 answer.
//
// Printing is in Mesos' shape rather than proto3's: snake_case names,
// 64-bit integers as JSON numbers (proto3 quotes them), and unset fields
// that have an explicit default in the .proto printed with it, as Mesos
// does ("shell": true, "refuse_seconds": 5.0). Invalid UTF-8 in a string
// field (possible in a message that came in as protobuf) is printed with
// U+FFFD in place of the bad bytes instead of Protobuf's silent "".
//
// Stateless; safe to call from any thread.
#pragma once

#include <google/protobuf/message.h>

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "runtime/result.hpp"

namespace dcos::proto_json {

struct ParseOptions {
  std::size_t max_bytes = 4 * 1024 * 1024;
  // Objects and arrays. Deep enough for any Mesos call (an ACCEPT's port
  // labels sit about 12 levels down), shallow enough that Protobuf's JSON
  // printer (64 levels of messages) can print anything parsed here.
  std::size_t max_depth = 48;
  // Mesos itself ignores unknown fields; we reject them by default so that
  // a misspelt field is an error, not a silently different call.
  bool ignore_unknown_fields = false;
};

// Replaces `message` with the one `json` describes.
Result<void> parse(std::string_view json, google::protobuf::Message& message, const ParseOptions& options = {});

template <class M>
Result<M> parse(std::string_view json, const ParseOptions& options = {}) {
  M message;
  if (auto parsed = parse(json, message, options); !parsed) return parsed.error();
  return message;
}

// The protobuf counterpart, with the same contract (bounded size, missing
// required fields named), for bodies sent as application/x-protobuf.
Result<void> parse_binary(std::string_view bytes, google::protobuf::Message& message,
                          std::size_t max_bytes = ParseOptions{}.max_bytes);

// to_value keeps Protobuf's field order (a nlohmann::json converts from it).
// Fails only for messages nested deeper than Protobuf's printer allows
// (64), which parse() never produces but a binary body can.
Result<nlohmann::ordered_json> to_value(const google::protobuf::Message& message);
Result<std::string> print(const google::protobuf::Message& message);

}  // namespace dcos::proto_json
