#include "tests/netlb/tcp_backend.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

namespace dcos::netlb::testing {

Result<int> listen_tcp(uint16_t port) {
  const int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listener < 0) return errno_error("socket");
  const int on = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  sockaddr_in at{};
  at.sin_family = AF_INET;
  at.sin_port = htons(port);
  if (bind(listener, reinterpret_cast<sockaddr*>(&at), sizeof at) != 0 || listen(listener, 512) != 0) {
    Error failed = errno_error("bind or listen on port " + std::to_string(port));
    close(listener);
    return failed;
  }
  return listener;
}

void serve_forever(int listener, char id) {
  for (;;) {
    const int fd = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::thread([fd, id] {
      if (write(fd, &id, 1) == 1) {
        char buffer[256];
        ssize_t n;
        while ((n = read(fd, buffer, sizeof buffer)) > 0)
          if (write(fd, buffer, n) != n) break;
      }
      close(fd);
    }).detach();
  }
}

}  // namespace dcos::netlb::testing
