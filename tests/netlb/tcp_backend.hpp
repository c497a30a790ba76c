// A TCP backend for the load balancer's tests and benchmarks: on each
// accepted connection it writes its number as one byte, then echoes what
// it reads until the peer closes. Used by NetnsLab's servers (forked
// children) and by the l4lb-test-backend program a task runs.
#pragma once

#include <cstdint>

#include "runtime/result.hpp"

namespace dcos::netlb::testing {

// A listening TCP socket on 0.0.0.0:port (SO_REUSEADDR, backlog 512).
Result<int> listen_tcp(uint16_t port);

// Serves `listener` until the process is killed, one thread per connection.
[[noreturn]] void serve_forever(int listener, char id);

}  // namespace dcos::netlb::testing
