// The body of a fuzz target for a v1 HTTP API's Call (the scheduler API's
// and the operator API's): the same bytes go to the protobuf parser and to
// the JSON parser (runtime/proto_json.hpp).
//
// Checked on every input:
//   - each parser either fails with a message or yields a complete call
//     (IsInitialized);
//   - a call parsed from JSON prints, and its JSON parses back to a call
//     that prints the same (printing is a fixed point);
//   - a call parsed from JSON survives protobuf serialization unchanged;
//   - a call parsed from protobuf prints as JSON unless it is nested deeper
//     than the printer allows, and that JSON parses back and reprints the same.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "runtime/proto_json.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace dcos::fuzz {

// What we printed ourselves: no size or depth bound but the printer's.
inline dcos::proto_json::ParseOptions reparse_options() {
  dcos::proto_json::ParseOptions options;
  options.max_bytes = std::size_t{1} << 30;
  options.max_depth = 1000;
  return options;
}

// Prints `call`, parses that back and checks the reprint is identical.
template <class Call>
void check_print_fixed_point(const Call& call, bool must_print) {
  auto printed = dcos::proto_json::print(call);
  if (!printed) {
    FUZZ_CHECK(!must_print, "a call parsed from JSON does not print");
    FUZZ_CHECK(!printed.error().message.empty(), "a print error without a message");
    return;
  }
  Call again;
  auto reparsed = dcos::proto_json::parse(*printed, again, reparse_options());
  if (!reparsed) std::fprintf(stderr, "%s\n%s\n", reparsed.error().message.c_str(), printed->c_str());
  FUZZ_CHECK(reparsed.ok(), "printed JSON does not parse back");
  auto reprinted = dcos::proto_json::print(again);
  FUZZ_CHECK(reprinted.ok(), "a reparsed call does not print");
  FUZZ_CHECK(*reprinted == *printed, "print(parse(print(call))) differs from print(call)");
}

// The checks above on one input, for a Call of either API.
template <class Call>
int fuzz_call(const uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  Call from_binary;
  if (auto parsed = dcos::proto_json::parse_binary(input, from_binary); parsed) {
    FUZZ_CHECK(from_binary.IsInitialized(), "parse_binary accepted an incomplete call");
    check_print_fixed_point(from_binary, /*must_print=*/false);
  } else {
    FUZZ_CHECK(!parsed.error().message.empty(), "a binary parse error without a message");
  }

  Call from_json;
  if (auto parsed = dcos::proto_json::parse(input, from_json); parsed) {
    FUZZ_CHECK(from_json.IsInitialized(), "parse accepted an incomplete call");
    check_print_fixed_point(from_json, /*must_print=*/true);
    const std::string serialized = from_json.SerializeAsString();
    Call decoded;
    FUZZ_CHECK(dcos::proto_json::parse_binary(serialized, decoded, serialized.size()).ok(),
               "a JSON call does not survive protobuf serialization");
    FUZZ_CHECK(decoded.SerializeAsString() == serialized, "protobuf serialization changed the call");
  } else {
    FUZZ_CHECK(!parsed.error().message.empty(), "a JSON parse error without a message");
  }
  return 0;
}

}  // namespace dcos::fuzz
