// A small network made of namespaces for the load balancer's tests and
// benchmark, never touching the host's namespace:
//
//   <p>c (client) --veth-- <p>lb (the node: VIPs, the datapath) --veth-- <p>b1 ... <p>bN (backends)
//
// 10.77.200.2 (client) - 10.77.200.1 (lb); 10.77.i.1 (lb) - 10.77.i.2 (backend i);
// the lb forwards, routes 11.0.0.0/8 locally (the VIP range's fallback on a
// kernel without dummy interfaces), and the client routes it to the lb.
// Each backend runs a TCP server on port 8080 (a child process in its
// namespace, tcp_backend.hpp) that writes its number as one byte on
// accept, then echoes; or none, when the test runs its own there (the
// daemon's traffic test runs agents and their tasks in them).
// The destructor kills the servers and deletes the namespaces (with their
// veths), also when a test fails; namespaces a killed run left behind
// (l4t<pid>- of a pid gone) are removed by the next make(). Root only.
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "runtime/result.hpp"

namespace dcos::netlb::testing {

class HeldConnection;

class NetnsLab {
 public:
  // Empty when the host cannot (the reason in *why).
  static std::unique_ptr<NetnsLab> make(int backends, std::string* why, bool servers = true);
  ~NetnsLab();
  NetnsLab(const NetnsLab&) = delete;
  NetnsLab& operator=(const NetnsLab&) = delete;

  std::string lb() const { return prefix_ + "lb"; }
  std::string client() const { return prefix_ + "c"; }
  std::string backend_netns(int i) const { return prefix_ + "b" + std::to_string(i); }
  // The lb's address on backend i's veth (backend i's gateway).
  std::string gateway(int i) const { return "10.77." + std::to_string(i) + ".1"; }
  std::string backend_address(int i) const { return "10.77." + std::to_string(i) + ".2"; }

  // Moves the calling thread into the lb namespace (and back on leave()).
  Result<void> enter_lb();
  void leave();

  // Runs a shell command in the lb namespace; its exit status and output.
  int run_in_lb(const std::string& command, std::string* output = nullptr) const;

  // One TCP connection from the calling thread's namespace: the backend's
  // number (1..N), or 0 when the connection failed. Closed with a reset.
  static int connect_once(const std::string& address, uint16_t port);
  // The same from the client namespace.
  int connect_from_client(const std::string& address, uint16_t port) const;
  // A connection made from the client namespace, held open (its socket
  // stays there; any thread may use it).
  std::unique_ptr<HeldConnection> hold_from_client(const std::string& address, uint16_t port) const;
  // Runs `work` on a thread in the client namespace, and waits for it.
  void in_client(const std::function<void()>& work) const { in_netns(client(), work); }
  // The same in any namespace of the lab (lb(), client(), backend_netns(i)).
  static void in_netns(const std::string& name, const std::function<void()>& work);

 private:
  NetnsLab() = default;
  Result<void> build(int backends, bool servers);
  Result<void> start_server(int i);

  std::string prefix_;
  std::vector<std::string> namespaces_;
  std::vector<pid_t> servers_;
  int home_ = -1;  // the thread's own net namespace while in the lb
};

// A connection held open: the backend's number, and an echo through it.
class HeldConnection {
 public:
  HeldConnection(const std::string& address, uint16_t port);
  ~HeldConnection();
  HeldConnection(const HeldConnection&) = delete;
  HeldConnection& operator=(const HeldConnection&) = delete;
  int backend() const { return backend_; }
  bool echoes();  // sends a few bytes and reads them back

 private:
  int fd_ = -1;
  int backend_ = 0;
};

}  // namespace dcos::netlb::testing
