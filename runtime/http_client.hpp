// A small blocking HTTP/1.1 client for the CLI, tests and benchmarks.
// Each call opens a connection, sends one request and reads the answer,
// bounded by `timeout` in total. Thread-safe (no shared state).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "runtime/result.hpp"

namespace dcos {
class FlagSet;
}

namespace dcos::http {

struct Reply {
  unsigned status = 0;
  std::string content_type;
  std::string body;
};

Result<Reply> fetch(const std::string& method, const std::string& host, uint16_t port, const std::string& target,
                    const std::string& body = {}, const std::string& content_type = "application/json",
                    std::chrono::milliseconds timeout = std::chrono::seconds(10));

inline Result<Reply> get(const std::string& host, uint16_t port, const std::string& target,
                         std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  return fetch("GET", host, port, target, {}, {}, timeout);
}

// Splits "host:port" (or "[v6]:port", or "host" with `default_port`).
Result<std::pair<std::string, uint16_t>> split_host_port(const std::string& text, uint16_t default_port);

// A flag whose value is "host:port" as split_host_port() takes it, such
// as the daemons' --master (default port 5050).
void add_host_port_flag(FlagSet& flags, std::string name, std::string help, std::string* host, uint16_t* port,
                        uint16_t default_port = 5050);

}  // namespace dcos::http
