// The agent's frameworks and their tasks: what RunTask, KillTask,
// ShutdownFramework and acknowledgements from the master do, what survives
// a restart of the agent, and what /state and ReregisterAgent show.
//
// A task is known from its RunTask until its terminal update is
// acknowledged; then its checkpoints go (its sandbox stays). Every state
// change becomes a status update with a fresh uuid in the task's stream
// (StatusUpdateManager): checkpointed, then sent until acknowledged.
//
// Choices where Mesos leaves room (documented in daemons/agent/README.md):
//   - a task the agent cannot run (no command, custom executor, image,
//     unusable id) gets TASK_ERROR with REASON_TASK_INVALID;
//   - a RunTask for a task id the agent still knows is ignored with a
//     warning: an update for it would land in the live task's stream;
//   - a task the agent cannot checkpoint (disk full) is not started and
//     gets TASK_DROPPED, sent once;
//   - a KillTask for an unknown task is answered with TASK_LOST
//     (REASON_TASK_UNKNOWN), sent once and without a uuid, like Mesos'
//     replies to reconciliation: nothing to acknowledge or retry;
//   - the tasks of a LAUNCH_GROUP run each in its own container, and die
//     together as under Mesos' default executor: when one ends other than
//     TASK_FINISHED (failed, killed, lost, ...), or a KillTask names one,
//     the rest of its group are killed (each TASK_KILLED);
//   - after a restart, a task whose container is gone without an exit
//     status (a reboot wiped /run, or the agent died before launching it)
//     gets TASK_GONE for PARTITION_AWARE frameworks, else TASK_LOST, with
//     REASON_EXECUTOR_TERMINATED.
//
// Runs on the agent's io thread; not thread-safe.
#pragma once

#include <deque>
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/thread_pool.hpp>
#include <nlohmann/json_fwd.hpp>

#include "daemons/agent/status_update_manager.hpp"
#include "daemons/agent/task_checkpoints.hpp"
#include "daemons/agent/task_runner.hpp"
#include "runtime/metrics.hpp"

namespace dcos::agent {

class TaskBook {
 public:
  using Sender = std::function<void(const internal::StatusUpdate&)>;

  TaskBook(boost::asio::io_context& io, isolation::Containerizer& containerizer, std::string work_dir,
           Duration retry_min, Duration retry_max, std::size_t launcher_threads = 2);
  ~TaskBook();

  void set_agent_id(const std::string& agent_id) { agent_id_ = agent_id; }
  // After the containerizer's recover(): reads the checkpoints, replays the
  // streams, re-attaches to running containers, reports those that ended
  // meanwhile, and destroys containers no task claims.
  Result<void> recover();

  // `sender` is set while registered with a master, empty otherwise.
  void set_sender(Sender sender);
  void resend_all() { updates_.resend_all(); }

  void run_task(const internal::RunTask& message);
  void kill_task(const internal::KillTask& message);
  void shutdown_framework(const std::string& framework_id);
  void acknowledge(const internal::StatusUpdateAcknowledgement& message);

  // The tasks and frameworks an agent re-registers with.
  void describe(internal::ReregisterAgent* message) const;
  // Sets /state's "frameworks" (those with tasks the agent still knows,
  // each task under its own command executor) and "completed_frameworks"
  // (the rest of the last kMaxCompletedTasks forgotten tasks).
  void add_state(nlohmann::json& state) const;
  void metrics(MetricsText& text) const;

 private:
  struct Task {
    mesos::v1::FrameworkInfo framework;
    mesos::v1::TaskInfo task;
    TaskPlacement placement;
    std::shared_ptr<TaskRunner> runner;  // null once ended, or when it never ran
    mesos::v1::TaskState state = mesos::v1::TASK_STAGING;
    std::optional<mesos::v1::TaskStatus> last_status;
    std::optional<internal::TaskGroup> group;  // LAUNCH_GROUP's tasks only
  };
  static constexpr std::size_t kMaxCompletedTasks = 1000;

  void launch(Task& task);
  Result<void> recover_task(CheckpointedTask checkpointed);
  void on_report(const TaskKey& key, const TaskReport& report);
  void forget(const TaskKey& key);
  bool has_tasks(const std::string& framework_id) const;
  nlohmann::json executor_json(const Task& task) const;
  void add_task_json(nlohmann::json& executor, const Task& task) const;
  mesos::v1::TaskStatus status(const Task& task, const TaskReport& report) const;
  void send_unknown(const internal::KillTask& message);
  // Kills every task of `framework_id`'s group `group` still running (or
  // waiting to), with `override` as the kill policy when given.
  void kill_group(const std::string& framework_id, const std::string& group, const mesos::v1::KillPolicy* override);
  // The task's executor: its group's, or its own command executor (named
  // by the task's id).
  static std::string executor_id(const Task& task);
  // An update without a uuid: nothing to checkpoint, acknowledge or retry.
  void send_once(const mesos::v1::FrameworkID& framework_id, const mesos::v1::TaskID& task_id,
                 mesos::v1::TaskState state, mesos::v1::TaskStatus::Reason reason, const std::string& message);

  boost::asio::io_context& io_;
  isolation::Containerizer& containerizer_;
  // Launches and ends wait on the kernel (cgroup creation and removal sleep
  // in RCU grace periods), so a few threads overlap them (--launcher_threads).
  boost::asio::thread_pool workers_;
  // The status updates' group commits, apart: a flush waits on the disk
  // (milliseconds on a virtual disk), and in the launch pool it would hold
  // up launches. One at a time (StatusUpdateManager::flush).
  boost::asio::thread_pool flushers_{1};
  // The tasks' checkpoints (a directory and three files each), apart from the
  // io thread, which a burst of 1,000 RunTasks held for 0.7 s on ext4 (inode
  // allocation), and from the launches. One thread: in RunTask order.
  boost::asio::thread_pool checkpointer_{1};
  TaskCheckpoints checkpoints_;
  StatusUpdateManager updates_;
  Sender sender_;
  std::string agent_id_;
  std::map<TaskKey, Task> tasks_;
  std::deque<Task> completed_;  // forgotten, newest last: for /state
};

}  // namespace dcos::agent
