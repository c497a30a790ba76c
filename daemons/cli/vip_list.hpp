// `dcos vip list`: the VIPs the node's dcos-l4lb programs (GET /vips on
// --l4lb, default 127.0.0.1:61421, or $DCOS_L4LB), as a table for people or
// as JSON for programs. The l4lb's answer is checked field by field; a
// reply of another shape is an error naming the field. Blocking; pure
// functions apart from fetch_vips; thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/result.hpp"

namespace dcos::cli {

struct VipBackend {
  std::string ip;
  uint16_t port = 0;
  uint32_t weight = 0;
};

struct Vip {
  std::string name;       // a named VIP's name, "" for a fixed VIP
  std::string framework;  // a named VIP's framework
  std::string protocol;
  std::string vip;
  uint16_t port = 0;
  std::vector<VipBackend> backends;
  nlohmann::json object;  // as the l4lb sent it
};

// "HOST:PORT" of the l4lb's HTTP endpoint (the port defaults to 61421).
struct L4lbAddress {
  std::string host = "127.0.0.1";
  uint16_t port = 61421;
  std::string text() const;
};
Result<L4lbAddress> parse_l4lb_address(const std::string& text);

Result<std::vector<Vip>> fetch_vips(const L4lbAddress& l4lb,
                                    std::chrono::milliseconds timeout = std::chrono::seconds(10));
// The part of fetch_vips after the exchange, for tests.
Result<std::vector<Vip>> vips_from_reply(const nlohmann::json& body);

// NAME FRAMEWORK PROTO VIP BACKENDS; a fixed VIP's name is "-"; a backend
// taking no new connections (weight 0) is marked "(draining)"; "no VIPs"
// under the header when there are none.
std::string vip_table(const std::vector<Vip>& vips);
// A JSON array of the VIP objects, 2-space indent, newline-terminated.
std::string vip_json(const std::vector<Vip>& vips);

}  // namespace dcos::cli
