#include "tests/netlb/netns.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstring>

namespace dcos::netlb::testing {

int sh(const std::string& command, std::string* output) {
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return -1;
  std::array<char, 4096> buffer;
  std::string text;
  while (std::size_t n = fread(buffer.data(), 1, buffer.size(), pipe)) text.append(buffer.data(), n);
  const int status = pclose(pipe);
  if (output) *output = text;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

Result<std::unique_ptr<Netns>> Netns::create(const std::string& tag) {
  const std::string name = "dcos-" + tag + "-" + std::to_string(getpid());
  std::string output;
  sh("ip netns delete " + name);  // a leftover of a crashed run with this pid
  if (sh("ip netns add " + name, &output) != 0) return Error{"ip netns add " + name + ": " + output};
  const int fd = ::open(("/run/netns/" + name).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    sh("ip netns delete " + name);
    return errno_error("open /run/netns/" + name);
  }
  sh("ip -n " + name + " link set lo up");
  return std::unique_ptr<Netns>(new Netns(name, fd));
}

Netns::~Netns() {
  ::close(fd_);
  sh("ip netns delete " + name_);
}

Inside::Inside(const Netns& netns) {
  home_ = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  ok_ = home_ >= 0 && setns(netns.fd(), CLONE_NEWNET) == 0;
}

Inside::~Inside() {
  if (home_ < 0) return;
  if (ok_ && setns(home_, CLONE_NEWNET) != 0) std::abort();  // a test thread left in a test namespace
  ::close(home_);
}

namespace {

Result<sockaddr_in> endpoint(const std::string& address, uint16_t port) {
  sockaddr_in where{};
  where.sin_family = AF_INET;
  where.sin_port = htons(port);
  if (inet_pton(AF_INET, address.c_str(), &where.sin_addr) != 1) return Error{"bad IPv4 address " + address};
  return where;
}

// Waits up to 10 s for `fd` to be readable.
bool readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, 10000) == 1;
}

}  // namespace

Result<std::unique_ptr<Backend>> Backend::start(const Netns& netns, const std::string& address, uint16_t port,
                                                char id) {
  auto where = endpoint(address, port);
  if (!where) return where.error();
  int fd = -1;
  {
    Inside inside(netns);
    if (!inside.ok()) return errno_error("setns into " + netns.name());
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  }
  if (fd < 0) return errno_error("socket");
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, reinterpret_cast<sockaddr*>(&*where), sizeof *where) != 0 || listen(fd, 128) != 0) {
    auto error = errno_error("bind/listen " + address + ":" + std::to_string(port) + " in " + netns.name());
    ::close(fd);
    return error;
  }
  std::unique_ptr<Backend> backend(new Backend(fd, id));
  backend->acceptor_ = std::thread([b = backend.get()] { b->serve(); });
  return backend;
}

void Backend::serve() {
  while (!stop_) {
    pollfd p{listener_, POLLIN, 0};
    if (poll(&p, 1, 100) != 1) continue;
    const int fd = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::lock_guard lock(mutex_);
    connections_.emplace_back([fd, id = id_] {
      char byte = id;
      if (write(fd, &byte, 1) == 1 && readable(fd) && read(fd, &byte, 1) == 1) (void)!write(fd, &byte, 1);
      ::close(fd);
    });
  }
}

Backend::~Backend() {
  stop_ = true;
  acceptor_.join();
  ::close(listener_);
  for (auto& connection : connections_) connection.join();
}

Result<std::unique_ptr<Connection>> Connection::open(const std::string& address, uint16_t port) {
  auto where = endpoint(address, port);
  if (!where) return where.error();
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno_error("socket");
  std::unique_ptr<Connection> connection(new Connection(fd, 0));
  const timeval timeout{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);  // bounds connect()
  if (connect(fd, reinterpret_cast<sockaddr*>(&*where), sizeof *where) != 0)
    return errno_error("connect " + address + ":" + std::to_string(port));
  if (!readable(fd) || read(fd, &connection->id_, 1) != 1)
    return Error{"no id byte from " + address + ":" + std::to_string(port)};
  return connection;
}

Connection::~Connection() {
  const linger reset{1, 0};
  setsockopt(fd_, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
  ::close(fd_);
}

Result<void> Connection::echo(char byte) {
  char back = 0;
  if (write(fd_, &byte, 1) != 1) return errno_error("write");
  if (!readable(fd_) || read(fd_, &back, 1) != 1 || back != byte) return Error{"no echo"};
  return {};
}

}  // namespace dcos::netlb::testing
