// Test support: a master played by the test, for driving a real dcos-agent
// over the framed transport. It admits the agent (AgentRegistered with a
// fixed id, no pings), records every envelope the agent sends, sends what
// the test asks (RunTask, KillTask, ...), and, unless told otherwise,
// acknowledges every status update that carries a uuid, as a framework
// would through a real master.
//
// Runs its own io thread; the test's thread calls the methods below
// (thread-safe). Every wait is bounded.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "internal.pb.h"

namespace dcos::testing {

class FakeMaster {
 public:
  static constexpr const char* kAgentId = "fake-cluster-S0";

  FakeMaster();
  ~FakeMaster();
  FakeMaster(const FakeMaster&) = delete;
  FakeMaster& operator=(const FakeMaster&) = delete;

  uint16_t port() const { return port_; }
  void set_auto_acknowledge(bool on);

  // Sends to the agent on its current connection; false if none.
  bool send(const internal::Envelope& envelope);
  void acknowledge(const internal::StatusUpdate& update);
  // Closes the agent's connection, as a master restart would.
  void disconnect();
  // `group`: the task is one of a LAUNCH_GROUP's, as the master sends them.
  void run_task(const mesos::v1::FrameworkInfo& framework, const mesos::v1::TaskInfo& task,
                const std::optional<internal::TaskGroup>& group = std::nullopt);
  void kill_task(const std::string& framework_id, const std::string& task_id,
                 std::optional<std::chrono::milliseconds> grace = std::nullopt);

  // Everything received so far, in order.
  std::vector<internal::Envelope> received();
  // The status updates for `task_id`, in the order they arrived.
  std::vector<internal::StatusUpdate> updates(const std::string& task_id);
  // Waits until `condition` holds over what was received (it runs under
  // the lock: it must not call the other methods).
  bool wait_for(const std::function<bool(const std::vector<internal::Envelope>&)>& condition,
                std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Waits for an update of `task_id` in `state`, and returns it.
  std::optional<internal::StatusUpdate> wait_for_state(const std::string& task_id, mesos::v1::TaskState state,
                                                       std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Waits for the first update of `task_id` whose state is terminal.
  std::optional<internal::StatusUpdate> wait_for_end(const std::string& task_id,
                                                     std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Number of registrations (first and re-registrations) seen so far.
  int registrations();
  std::optional<internal::ReregisterAgent> last_reregistration();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  uint16_t port_ = 0;
  std::thread thread_;
};

// A framework and command task as a scheduler would launch them.
mesos::v1::FrameworkInfo test_framework(const std::string& id = "fw-1", bool killing_state = false);
mesos::v1::TaskInfo shell_task(const std::string& id, const std::string& command, double mem_mb = 64);

}  // namespace dcos::testing
