// l4lb-test-backend PORT ID: the TCP backend of tcp_backend.hpp as a
// program, for a task to run (tests/daemons/l4lb_traffic_test.cpp). It
// ignores SIGTERM, so a task killed with a grace period stays
// TASK_KILLING, still serving its connections, until the grace ends.
#include <signal.h>

#include <cstdio>
#include <cstdlib>

#include "tests/netlb/tcp_backend.hpp"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: l4lb-test-backend PORT ID\n");
    return 2;
  }
  const long port = std::strtol(argv[1], nullptr, 10), id = std::strtol(argv[2], nullptr, 10);
  if (port <= 0 || port > 65535 || id <= 0 || id > 127) {
    std::fprintf(stderr, "l4lb-test-backend: bad PORT or ID\n");
    return 2;
  }
  signal(SIGTERM, SIG_IGN);
  auto listener = dcos::netlb::testing::listen_tcp(static_cast<uint16_t>(port));
  if (!listener) {
    std::fprintf(stderr, "l4lb-test-backend: %s\n", listener.error().message.c_str());
    return 1;
  }
  dcos::netlb::testing::serve_forever(*listener, static_cast<char>(id));
}
