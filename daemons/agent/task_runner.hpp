// One task's container, the agent's built-in command executor role:
// launches it, watches it end, and kills it on request.
//
// start() first runs the task's checkpoint on the `checkpointer` thread
// (disk work, kept off the io thread: a burst of 1,000 RunTasks is 1,000
// directories and 2,000 files), then reports TASK_STARTING, then launches
// (on `workers`: launch() blocks until the task has exec'd) and reports
// TASK_RUNNING, or TASK_FAILED with REASON_CONTAINER_LAUNCH_FAILED. A task
// whose checkpoint fails is not launched and reports TASK_DROPPED (nothing
// else: without the checkpoint there is no stream to keep an update in; the
// owner sends it once). resume() re-attaches to a container a
// previous run of the agent launched. Either way the runner then waits,
// without blocking, on the containerizer's ended_fd and reports how the
// container ended: TASK_FINISHED (exit 0), TASK_FAILED (non-zero exit or a
// signal; REASON_CONTAINER_LIMITATION_MEMORY when the OOM killer ran), or
// TASK_KILLED after kill().
//
// kill(): TASK_KILLING first when the framework has TASK_KILLING_STATE
// (once the checkpoint is written: a kill before it waits for it, then the
// task goes STARTING, KILLING, KILLED without a launch),
// SIGTERM to the container's init, and after the grace period destroy()
// (SIGKILL to the whole tree). The init is pid 1 of its pid namespace: it
// gets SIGTERM only if it handles it, otherwise the grace period runs out.
//
// Reports go to the Reporter on the io thread. The runner lives in a
// shared_ptr that its coroutines hold; blocking containerizer calls run on
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
  // Runs on the checkpointer thread: must touch nothing but the disk.
  using Checkpoint = std::function<Result<void>()>;
  struct Threads {
    boost::asio::thread_pool& workers;       // launches, waits, destroys
    boost::asio::thread_pool& checkpointer;  // one thread: checkpoints in RunTask order
  };

  TaskRunner(boost::asio::io_context& io, Threads threads, isolation::Containerizer& containerizer,
             mesos::v1::FrameworkInfo framework, mesos::v1::TaskInfo task, TaskPlacement placement,
             Reporter reporter);

  // `checkpoint` writes what recovery needs to find the task (before the
  // container exists).
  void start(Checkpoint checkpoint);
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
  bool killed_before_launch();
  boost::asio::awaitable<void> watch();
  boost::asio::awaitable<void> terminate(std::chrono::nanoseconds grace);
  TaskReport ending(const Result<isolation::Termination>& termination) const;
  void report(mesos::v1::TaskState state, std::optional<mesos::v1::TaskStatus::Reason> reason = std::nullopt,
              std::string message = "");

  boost::asio::io_context& io_;
  boost::asio::thread_pool& workers_;
  boost::asio::thread_pool& checkpointer_;
  isolation::Containerizer& containerizer_;
  mesos::v1::FrameworkInfo framework_;
  mesos::v1::TaskInfo task_;
  TaskPlacement placement_;
  Reporter reporter_;
  Checkpoint checkpoint_;  // until it has run
  pid_t pid_ = 0;       // the container's init, once launched
  bool checkpointed_ = false;  // TASK_STARTING reported: updates have a stream
  bool launched_ = false;
  bool killing_ = false;
  bool ended_ = false;
  std::optional<std::chrono::nanoseconds> pending_kill_;  // asked for during the launch
};

}  // namespace dcos::agent
