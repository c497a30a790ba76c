// The client side of the master's state subscription, for the node
// services (dcos-dns, dcos-l4lb): connects to the master, subscribes,
// keeps a ClusterState, and tells its owner what changed.
//
// It runs for as long as it is started: a lost connection (the master
// restarted, the network cut, a change out of sequence) is retried with
// backoff, resuming the stream where it stopped when the master still can,
// or taking a fresh snapshot. While it is disconnected the last state stays
// in use, and connected() says so (for /health).
//
// Use from the io_context's thread; keep the object alive until stop() and
// the io_context has run the loop out.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "runtime/asio.hpp"

#include "runtime/backoff.hpp"
#include "runtime/cluster_state.hpp"
#include "runtime/connection.hpp"

namespace dcos {

struct StateSubscriberOptions {
  std::string master_host = "127.0.0.1";
  uint16_t master_port = 5050;
  std::string peer = "state";  // our name in the Hello: "dns", "l4lb"
  std::chrono::nanoseconds backoff_min = std::chrono::milliseconds(100);
  std::chrono::nanoseconds backoff_max = std::chrono::seconds(5);
  net::ConnectionOptions connection;
};

class StateSubscriber {
 public:
  struct Handlers {
    // A snapshot replaced the whole state.
    std::function<void(const ClusterState&)> snapshot;
    // One change, already applied to the state.
    std::function<void(const ClusterState&, const internal::StateChange&)> change;
    // The subscription is up (true), or lost (false) and why.
    std::function<void(bool up, const std::string& reason)> link;
  };

  StateSubscriber(boost::asio::any_io_executor executor, StateSubscriberOptions options, Handlers handlers);

  void start();
  void stop();

  const ClusterState& state() const { return state_; }
  bool connected() const { return connected_; }
  uint64_t snapshots() const { return snapshots_; }
  uint64_t resumes() const { return resumes_; }
  uint64_t changes() const { return changes_; }

 private:
  boost::asio::awaitable<void> run();
  boost::asio::awaitable<Result<void>> session(net::Connection& master);
  Result<void> handle(net::Connection& master, const internal::Envelope& message);

  boost::asio::any_io_executor executor_;
  StateSubscriberOptions options_;
  Handlers handlers_;
  Backoff backoff_;
  ClusterState state_;
  std::shared_ptr<net::Connection> master_;
  boost::asio::steady_timer pause_;
  bool stopping_ = false;
  bool connected_ = false;
  uint64_t snapshots_ = 0;
  uint64_t resumes_ = 0;
  uint64_t changes_ = 0;
};

}  // namespace dcos
