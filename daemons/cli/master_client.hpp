// The CLI's side of the master: where it is, GET /master/state, and calls
// of the operator API (POST /api/v1).
//
// Errors are whole sentences naming the master ("cannot reach master at
// 127.0.0.1:5050: Connection refused"), ready to print after "dcos: ".
// Blocking; thread-safe (no shared state).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "runtime/http_client.hpp"
#include "runtime/result.hpp"

namespace dcos::cli {

struct MasterAddress {
  std::string host = "127.0.0.1";
  uint16_t port = 5050;

  // "host:port", or "[v6]:port".
  std::string text() const;
};

// Parses --master / $DCOS_MASTER: "HOST:PORT", "HOST" (port 5050), "[V6]:PORT".
Result<MasterAddress> parse_master_address(const std::string& text);

// GETs /master/state and parses it as JSON (any JSON; its shape is the
// caller's to check).
Result<nlohmann::json> fetch_state(const MasterAddress& master,
                                   std::chrono::milliseconds timeout = std::chrono::seconds(10));

// POSTs `body`, a JSON Call, to the operator API: the reply whatever its
// status (the caller knows which statuses mean what for its call).
Result<http::Reply> post_operator_call(const MasterAddress& master, const std::string& body,
                                       std::chrono::milliseconds timeout = std::chrono::seconds(10));

// The first line of an error body, short and printable, to quote in a
// message (masters answer errors with a one-line reason).
std::string reply_excerpt(const std::string& body);

// The part of fetch_state after the exchange: the status check and the JSON
// parse, apart so that tests can feed it any reply.
Result<nlohmann::json> parse_state_reply(const MasterAddress& master, const http::Reply& reply);

}  // namespace dcos::cli
