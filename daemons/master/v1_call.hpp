// What the master's two v1 HTTP APIs (the scheduler API at
// /api/v1/scheduler and the operator API at /api/v1) share: how a Call
// comes in and how an answer's body goes out.
//
// decode_call() reads a request's body into a Call as Mesos does, by its
// Content-Type (application/json or application/x-protobuf), and picks the
// answer's format from Accept. It refuses with Mesos' statuses: 415 for
// another Content-Type, 406 for an Accept that allows neither format, 413
// for a body over `max_bytes`, 400 naming what does not parse.
//
// Pure functions of their arguments; any thread.
#pragma once

#include <google/protobuf/message.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "runtime/http.hpp"

namespace dcos::master {

constexpr std::string_view kJsonType = "application/json";
constexpr std::string_view kProtobufType = "application/x-protobuf";

// A header's value ("" when absent); `name` in lower case.
std::string header(const http::Request& request, const std::string& name);

struct CallRefusal {
  unsigned status = 400;
  std::string message;
};

// Replaces `call` with the request's body; on success `*protobuf_out` says
// whether the client wants protobuf back.
std::optional<CallRefusal> decode_call(const http::Request& request, google::protobuf::Message& call,
                                       std::size_t max_bytes, bool* protobuf_out);

// `message` as a body with `status`, in protobuf or JSON.
http::Response encoded(unsigned status, const google::protobuf::Message& message, bool protobuf);

}  // namespace dcos::master
