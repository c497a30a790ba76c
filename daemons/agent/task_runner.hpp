// One task's container, the agent's built-in command executor role:
// launches it, watches it end, and kills it on request.
//
// start() launches (off the io thread: launch() blocks until the task has
// exec'd) and reports TASK_STARTING then TASK_RUNNING, or TASK_FAILED with
// REASON_CONTAINER_LAUNCH_FAILED. resume() re-attaches to a container a
// previous run of the agent launched. Either way the runner then waits,
// without blocking, on the containerizer's ended_fd and reports how the
// container ended: TASK_FINISHED (exit 0), TASK_FAILED (non-zero exit or a
// signal; REASON_CONTAINER_LIMITATION_MEMORY when the OOM killer ran), or
// TASK_KILLED after kill().
//
// kill(): TASK_KILLING first when the framework has TASK_KILLING_STATE,
// SIGTERM to the container's init, and after the grace period destroy()
// (SIGKILL to the whole tree). The init is pid 1 of its pid namespace: it
// gets SIGTERM only if it handles it, otherwise the grace period runs out.
//
// Reports go to the Reporter on the io thread. The runner lives in a
// shared_ptr that its coroutines hold; Blocking containerizer calls run on
// `workers`. Not thread-safe: use it from the io thread.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "daemons/agent/task_spec.hpp"
#include "isolation/containerizer.hpp"
#include "runtime/asio.hpp"

#include <boost/asio/thread_pool.hpp>

namespace dcos::agent {

struct TaskReport {
  mesos::v1::TaskState state = mesos::v1::TASK_STAGING;
  std::optional<mesos::v1::TaskStatus::Reason> reason;
  std::string message;
};

class TaskRunner : public std::enable_shared_from_this<TaskRunner> {
 public:
  using Reporter = std::function<void(TaskRunner&, const TaskReport&)>;

  TaskRunner(boost::asio::io_context& io, boost::asio::thread_pool& workers, isolation::Containerizer& containerizer,
             mesos::v1::FrameworkInfo framework, mesos::v1::TaskInfo task, TaskPlacement placement,
             Reporter reporter);

  void start();
  // `state`: the last state reported before the agent restarted. A task
  // that was being killed is killed again (SIGTERM, then the grace period).
  void resume(mesos::v1::TaskState state);
  void kill(const mesos::v1::KillPolicy* override = nullptr);

  const mesos::v1::FrameworkInfo& framework() const { return framework_; }
  const mesos::v1::TaskInfo& task() const { return task_; }
  const TaskPlacement& placement() const { return placement_; }
  bool ended() const { return ended_; }

 private:
  boost::asio::awaitable<void> launch();
  boost::asio::awaitable<void> watch();
  boost::asio::awaitable<void> terminate(std::chrono::nanoseconds grace);
  TaskReport ending(const Result<isolation::Termination>& termination) const;
  void report(mesos::v1::TaskState state, std::optional<mesos::v1::TaskStatus::Reason> reason = std::nullopt,
              std::string message = "");

  boost::asio::io_context& io_;
  boost::asio::thread_pool& workers_;
  isolation::Containerizer& containerizer_;
  mesos::v1::FrameworkInfo framework_;
  mesos::v1::TaskInfo task_;
  TaskPlacement placement_;
  Reporter reporter_;
  pid_t pid_ = 0;       // the container's init, once launched
  bool launched_ = false;
  bool killing_ = false;
  bool ended_ = false;
  std::optional<std::chrono::nanoseconds> pending_kill_;  // asked for during the launch
};

}  // namespace dcos::agent
