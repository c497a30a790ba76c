// Test support: an agent in the test process that speaks the framed
// transport to a real dcos-master. It registers (or re-registers with
// tasks), answers pings, and records every other message the master sends
// (RunTask, KillTask, StatusUpdateAcknowledgement, ShutdownFramework...)
// so the test can wait for them; send() puts a message (a StatusUpdate) on
// the wire. Runs its own io thread; the methods are thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "runtime/asio.hpp"
#include "runtime/connection.hpp"

namespace dcos::testing {

class FakeAgent {
 public:
  // `resources` in Mesos' text notation. A `reregister` message (with its
  // agent's id) re-registers instead of registering anew.
  FakeAgent(uint16_t master_port, const std::string& hostname, const std::string& resources,
            std::optional<internal::ReregisterAgent> reregister = std::nullopt);
  ~FakeAgent();
  FakeAgent(const FakeAgent&) = delete;
  FakeAgent& operator=(const FakeAgent&) = delete;

  // The id the master gave, once registered (waits at most `timeout`).
  std::string wait_registered(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  void send(const internal::Envelope& message);
  // Closes the connection (the master sees the agent disconnect).
  void disconnect();

  // The first recorded message after the `from`-th that matches, waiting at
  // most `timeout`; its index goes to `*index` when given.
  std::optional<internal::Envelope> wait_for(const std::function<bool(const internal::Envelope&)>& match,
                                             std::chrono::milliseconds timeout = std::chrono::seconds(10),
                                             std::size_t from = 0, std::size_t* index = nullptr);
  std::vector<internal::Envelope> received() const;
  std::string failure() const;

  // A StatusUpdate as a real agent sends it, with a fresh uuid.
  static internal::Envelope status_update(const std::string& agent_id, const std::string& framework_id,
                                          const std::string& task_id, mesos::v1::TaskState state);

 private:
  boost::asio::awaitable<void> run(uint16_t port, internal::Envelope registration);

  boost::asio::io_context io_;
  std::shared_ptr<net::Connection> connection_;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::string agent_id_;
  std::string failure_;
  std::vector<internal::Envelope> received_;
};

}  // namespace dcos::testing
