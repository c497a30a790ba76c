// Network namespaces for the load balancer's tests: named ones the test
// creates (`ip netns add`) and always deletes, a guard that moves the
// calling thread into one and back, and TCP backends and clients inside
// them. Root only; callers skip when create() fails.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "runtime/result.hpp"

namespace dcos::netlb::testing {

// Runs a shell command; returns its exit status and collects its output.
int sh(const std::string& command, std::string* output = nullptr);

class Netns {
 public:
  // "dcos-<tag>-<pid>": unique per test process.
  static Result<std::unique_ptr<Netns>> create(const std::string& tag);
  ~Netns();  // ip netns delete (its interfaces and IPVS state go with it)
  const std::string& name() const { return name_; }
  // `ip -n NAME ...` prefix and `ip netns exec NAME ...` prefix.
  std::string ip() const { return "ip -n " + name_ + " "; }
  std::string exec() const { return "ip netns exec " + name_ + " "; }
  int fd() const { return fd_; }

 private:
  Netns(std::string name, int fd) : name_(std::move(name)), fd_(fd) {}
  std::string name_;
  int fd_;
};

// Moves the calling thread into `netns` until destroyed. Sockets made
// meanwhile stay in that namespace.
class Inside {
 public:
  explicit Inside(const Netns& netns);
  ~Inside();
  bool ok() const { return ok_; }

 private:
  int home_ = -1;
  bool ok_ = false;
};

// A TCP server in a namespace: every connection gets one byte, `id`, then
// whatever byte it sends is echoed and the server closes it.
class Backend {
 public:
  static Result<std::unique_ptr<Backend>> start(const Netns& netns, const std::string& address, uint16_t port,
                                                char id);
  ~Backend();

 private:
  Backend(int listener, char id) : listener_(listener), id_(id) {}
  void serve();
  int listener_;
  char id_;
  std::atomic<bool> stop_{false};
  std::thread acceptor_;
  std::mutex mutex_;
  std::vector<std::thread> connections_;
};

// A client connection: connect() reads the backend's id byte.
class Connection {
 public:
  static Result<std::unique_ptr<Connection>> open(const std::string& address, uint16_t port);
  ~Connection();  // closes with a reset (SO_LINGER 0): no TIME_WAIT piles up
  char id() const { return id_; }
  Result<void> echo(char byte);  // sends a byte, expects it back

 private:
  Connection(int fd, char id) : fd_(fd), id_(id) {}
  int fd_;
  char id_;
};

}  // namespace dcos::netlb::testing
