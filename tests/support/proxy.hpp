// A TCP proxy on loopback that can cut the network: while cut, it keeps
// every connection open but drops all bytes in both directions, which is
// what a partition looks like to both ends (silence, no FIN, no RST).
// Runs its own io thread; the destructor stops it and closes everything.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>

namespace dcos::testing {

class CuttableProxy {
 public:
  explicit CuttableProxy(uint16_t upstream_port);
  ~CuttableProxy();
  CuttableProxy(const CuttableProxy&) = delete;
  CuttableProxy& operator=(const CuttableProxy&) = delete;

  uint16_t port() const { return port_; }
  void cut() { cut_ = true; }
  void heal() { cut_ = false; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  uint16_t port_ = 0;
  std::atomic<bool> cut_{false};
  std::thread thread_;
};

}  // namespace dcos::testing
