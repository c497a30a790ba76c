#include "daemons/agent/task_book.hpp"

#include <set>

#include "runtime/ids.hpp"
#include "runtime/log.hpp"
#include "runtime/service.hpp"

namespace dcos::agent {

namespace asio = boost::asio;
using mesos::v1::TaskState;
using mesos::v1::TaskStatus;

namespace {

// Mesos' status update uuids are the 16 bytes of a UUID, not its text.
std::string uuid_bytes() {
  const std::string text = random_uuid();
  std::string bytes;
  for (std::size_t i = 0; i + 1 < text.size(); ++i) {
    if (text[i] == '-') continue;
    bytes.push_back(static_cast<char>(std::stoi(text.substr(i, 2), nullptr, 16)));
    ++i;
  }
  return bytes;
}

bool partition_aware(const mesos::v1::FrameworkInfo& framework) {
  for (const auto& capability : framework.capabilities())
    if (capability.type() == mesos::v1::FrameworkInfo::Capability::PARTITION_AWARE) return true;
  return false;
}

}  // namespace

TaskBook::TaskBook(asio::io_context& io, isolation::Containerizer& containerizer, std::string work_dir,
                   Duration retry_min, Duration retry_max, std::size_t launcher_threads)
    : io_(io),
      containerizer_(containerizer),
      workers_(launcher_threads),
      checkpoints_(work_dir),
      updates_(io, flushers_, work_dir, retry_min, retry_max) {
  updates_.on_done([this](const TaskKey& key) { forget(key); });
}

TaskBook::~TaskBook() {
  checkpointer_.join();
  workers_.join();
  flushers_.join();
}

void TaskBook::set_sender(Sender sender) {
  sender_ = sender;
  updates_.set_sender(std::move(sender));
}

TaskStatus TaskBook::status(const Task& task, const TaskReport& report) const {
  TaskStatus status;
  *status.mutable_task_id() = task.task.task_id();
  status.set_state(report.state);
  status.set_source(TaskStatus::SOURCE_EXECUTOR);
  if (report.reason) {
    status.set_reason(*report.reason);
    // The agent, not the task, decided these.
    if (*report.reason != TaskStatus::REASON_COMMAND_EXECUTOR_FAILED) status.set_source(TaskStatus::SOURCE_AGENT);
  }
  if (!report.message.empty()) status.set_message(report.message);
  status.mutable_agent_id()->set_value(agent_id_);
  status.mutable_executor_id()->set_value(executor_id(task));
  status.set_timestamp(wall_seconds());
  status.set_uuid(uuid_bytes());
  if (!task.placement.container_id.empty())
    status.mutable_container_status()->mutable_container_id()->set_value(task.placement.container_id);
  return status;
}

void TaskBook::on_report(const TaskKey& key, const TaskReport& report) {
  auto found = tasks_.find(key);
  if (found == tasks_.end()) return;
  Task& task = found->second;
  if (report.state == mesos::v1::TASK_DROPPED) {
    // Its checkpoint failed (TaskRunner): without one, a restart would lose
    // the task; it never ran, and has no stream to keep the update in.
    log::error("cannot checkpoint task " + key.second + ", dropping it: " + report.message,
               {{"TASK_ID", key.second}, {"FRAMEWORK_ID", key.first}});
    send_once(task.framework.id(), task.task.task_id(), report.state, *report.reason, report.message);
    const std::optional<internal::TaskGroup> group = std::move(task.group);
    tasks_.erase(found);
    if (group) kill_group(key.first, group->name(), nullptr);
    if (auto removed = checkpoints_.forget_task(key.first, key.second, !has_tasks(key.first)); !removed)
      log::warning("task " + key.second + ": " + removed.error().message + ", ignoring");
    return;
  }
  internal::StatusUpdate update;
  update.mutable_framework_id()->set_value(key.first);
  *update.mutable_status() = status(task, report);
  const std::string& task_id = key.second;
  if (auto saved = updates_.update(key, checkpoints_.updates_path(key.first, task_id), update); !saved) {
    // Without its checkpoint the update could be lost in a crash; sending it
    // anyway would break the stream's order. The task's state stays as it
    // was, and the operator has the log line.
    log::error("task " + task_id + ": cannot checkpoint " + TaskState_Name(report.state) + ": " +
                   saved.error().message,
               {{"TASK_ID", task_id}, {"FRAMEWORK_ID", key.first}});
    return;
  }
  task.state = report.state;
  task.last_status = update.status();
  log::info("task " + task_id + " is " + TaskState_Name(report.state) +
                (report.message.empty() ? "" : " (" + report.message + ")"),
            {{"TASK_ID", task_id}, {"FRAMEWORK_ID", key.first}});
  if (!is_terminal(report.state)) return;
  task.runner.reset();
  if (task.group && report.state != mesos::v1::TASK_FINISHED) {
    log::info("task " + task_id + " of group " + task.group->name() + " ended " + TaskState_Name(report.state) +
                  ": killing the rest of its group",
              {{"TASK_ID", task_id}, {"FRAMEWORK_ID", key.first}});
    kill_group(key.first, task.group->name(), nullptr);
  }
}

void TaskBook::kill_group(const std::string& framework_id, const std::string& group,
                          const mesos::v1::KillPolicy* override) {
  for (auto it = tasks_.lower_bound(TaskKey{framework_id, ""}); it != tasks_.end() && it->first.first == framework_id;
       ++it)
    if (it->second.group && it->second.group->name() == group && it->second.runner) it->second.runner->kill(override);
}

std::string TaskBook::executor_id(const Task& task) {
  return task.group ? task.group->executor().executor_id().value() : task.task.task_id().value();
}

void TaskBook::run_task(const internal::RunTask& message) {
  const auto& framework = message.framework();
  const auto& info = message.task();
  const std::string& framework_id = framework.id().value();
  if (!valid_id(framework_id)) {
    log::warning("ignoring RunTask for task " + info.task_id().value() + ": framework id '" + framework_id +
                 "' is not usable as a directory name");
    return;
  }
  TaskKey key{framework_id, info.task_id().value()};
  if (tasks_.count(key)) {
    log::warning("ignoring RunTask for task " + key.second + ": the agent already has it",
                 {{"TASK_ID", key.second}, {"FRAMEWORK_ID", framework_id}});
    return;
  }
  const auto valid = validate_task(info);
  // An id unusable as a path cannot be checkpointed: that TASK_ERROR is
  // sent once, like the reply to a kill of an unknown task.
  if (!valid_id(key.second)) {
    send_once(framework.id(), info.task_id(), mesos::v1::TASK_ERROR, TaskStatus::REASON_TASK_INVALID,
              valid.error().message);
    return;
  }
  Task task{framework, info, TaskPlacement{agent_id_, "", ""}, nullptr, mesos::v1::TASK_STAGING, std::nullopt,
            std::nullopt};
  if (message.has_group()) task.group = message.group();
  // A task the agent cannot checkpoint would be forgotten by a restart:
  // it is not started, and the framework hears so (once: there is no stream
  // to keep the update in). A valid task's own checkpoint is written by the
  // checkpointer thread (launch()); an invalid one's here, for its
  // TASK_ERROR's stream.
  auto saved = checkpoints_.save_framework(framework);
  if (saved && !valid) saved = checkpoints_.save_task(framework_id, info);
  if (!saved) {
    log::error("cannot checkpoint task " + key.second + ", dropping it: " + saved.error().message,
               {{"TASK_ID", key.second}, {"FRAMEWORK_ID", framework_id}});
    send_once(framework.id(), info.task_id(), mesos::v1::TASK_DROPPED, TaskStatus::REASON_CONTAINER_LAUNCH_FAILED,
              "the agent cannot checkpoint the task: " + saved.error().message);
    return;
  }
  auto& stored = tasks_.emplace(key, std::move(task)).first->second;
  if (!valid) {
    on_report(key, {mesos::v1::TASK_ERROR, TaskStatus::REASON_TASK_INVALID, valid.error().message});
    return;
  }
  launch(stored);
}

void TaskBook::launch(Task& task) {
  TaskKey key{task.framework.id().value(), task.task.task_id().value()};
  task.placement.container_id = random_uuid();
  task.placement.sandbox = checkpoints_.sandbox(agent_id_, key.first, key.second, task.placement.container_id);
  task.runner = std::make_shared<TaskRunner>(io_, TaskRunner::Threads{workers_, checkpointer_}, containerizer_,
                                             task.framework, task.task, task.placement,
                                             [this, key](TaskRunner&, const TaskReport& r) { on_report(key, r); });
  // Owned by the checkpointer thread once started: copies, no proto shared.
  task.runner->start([checkpoints = &checkpoints_, key, bytes = task.task.SerializeAsString(),
                      group = task.group ? task.group->SerializeAsString() : std::string(),
                      container_id = task.placement.container_id] {
    return checkpoints->save_launch(key.first, key.second, bytes, group, container_id);
  });
}

void TaskBook::kill_task(const internal::KillTask& message) {
  auto found = tasks_.find({message.framework_id().value(), message.task_id().value()});
  if (found == tasks_.end()) {
    send_unknown(message);
    return;
  }
  const mesos::v1::KillPolicy* policy = message.has_kill_policy() ? &message.kill_policy() : nullptr;
  if (const auto& group = found->second.group) {
    log::info("killing task " + message.task_id().value() + " and the rest of its group " + group->name(),
              {{"TASK_ID", message.task_id().value()}, {"FRAMEWORK_ID", message.framework_id().value()}});
    kill_group(message.framework_id().value(), group->name(), policy);
    return;
  }
  log::info("killing task " + message.task_id().value(), {{"TASK_ID", message.task_id().value()}});
  if (found->second.runner) found->second.runner->kill(policy);
}

void TaskBook::send_unknown(const internal::KillTask& message) {
  log::warning("kill of unknown task " + message.task_id().value() + ": answering TASK_LOST",
               {{"TASK_ID", message.task_id().value()}, {"FRAMEWORK_ID", message.framework_id().value()}});
  send_once(message.framework_id(), message.task_id(), mesos::v1::TASK_LOST, TaskStatus::REASON_TASK_UNKNOWN,
            "the agent does not know this task");
}

void TaskBook::send_once(const mesos::v1::FrameworkID& framework_id, const mesos::v1::TaskID& task_id,
                         TaskState state, TaskStatus::Reason reason, const std::string& message) {
  if (!sender_) return;
  internal::StatusUpdate update;
  *update.mutable_framework_id() = framework_id;
  auto* status = update.mutable_status();
  *status->mutable_task_id() = task_id;
  status->set_state(state);
  status->set_reason(reason);
  status->set_source(TaskStatus::SOURCE_AGENT);
  status->set_message(message);
  status->mutable_agent_id()->set_value(agent_id_);
  status->set_timestamp(wall_seconds());
  sender_(update);
}

void TaskBook::shutdown_framework(const std::string& framework_id) {
  log::info("shutting down framework " + framework_id + ": killing its tasks", {{"FRAMEWORK_ID", framework_id}});
  for (auto& [key, task] : tasks_)
    if (key.first == framework_id && task.runner) task.runner->kill();
}

void TaskBook::acknowledge(const internal::StatusUpdateAcknowledgement& message) {
  TaskKey key{message.framework_id().value(), message.task_id().value()};
  if (auto acked = updates_.acknowledge(key, message.uuid()); !acked)
    log::error("task " + key.second + ": cannot checkpoint an acknowledgement: " + acked.error().message,
               {{"TASK_ID", key.second}});
}

bool TaskBook::has_tasks(const std::string& framework_id) const {
  auto first = tasks_.lower_bound(TaskKey{framework_id, ""});
  return first != tasks_.end() && first->first.first == framework_id;
}

void TaskBook::forget(const TaskKey& key) {
  if (auto found = tasks_.find(key); found != tasks_.end()) {
    found->second.runner.reset();
    completed_.push_back(std::move(found->second));
    if (completed_.size() > kMaxCompletedTasks) completed_.pop_front();
    tasks_.erase(found);
  }
  // Not while a task of the framework waits for the checkpointer: it will
  // need the framework's directory.
  if (auto removed = checkpoints_.forget_task(key.first, key.second, !has_tasks(key.first)); !removed)
    log::warning("task " + key.second + ": " + removed.error().message + ", ignoring");
  log::debug("forgot task " + key.second + " (terminal update acknowledged)", {{"TASK_ID", key.second}});
}

Result<void> TaskBook::recover() {
  std::vector<std::string> problems;
  auto checkpointed = checkpoints_.load(&problems);
  if (!checkpointed) return checkpointed.error();
  for (const auto& problem : problems) log::warning("cannot recover " + problem + ", ignoring it");
  std::set<std::string> claimed;
  for (auto& task : *checkpointed) {
    if (task.container_id) claimed.insert(*task.container_id);
    const std::string task_id = task.task.task_id().value();
    if (auto recovered = recover_task(std::move(task)); !recovered)
      log::error("cannot recover task " + task_id + ": " + recovered.error().message, {{"TASK_ID", task_id}});
  }
  // A group that lost a task while the agent was down, or to this
  // recovery, loses the rest now: those recovered after it were not there
  // to be killed.
  std::set<TaskKey> broken;  // (framework id, group name)
  for (const auto& [key, task] : tasks_)
    if (task.group && is_terminal(task.state) && task.state != mesos::v1::TASK_FINISHED)
      broken.insert({key.first, task.group->name()});
  for (const auto& [framework_id, group] : broken) kill_group(framework_id, group, nullptr);
  for (const auto& container : containerizer_.containers()) {
    if (claimed.count(container.id)) continue;
    log::warning("destroying container " + container.id + ": no task claims it", {{"CONTAINER_ID", container.id}});
    (void)containerizer_.destroy(container.id);
    (void)containerizer_.wait(container.id);
  }
  return {};
}

Result<void> TaskBook::recover_task(CheckpointedTask checkpointed) {
  const std::string framework_id = checkpointed.framework.id().value();
  const TaskKey key{framework_id, checkpointed.task.task_id().value()};
  auto stream = StatusUpdateStream::open(checkpointed.updates_path);
  if (!stream) return stream.error();
  if ((*stream)->done()) {
    forget(key);
    return {};
  }
  const auto latest = (*stream)->latest();
  Task task{checkpointed.framework, checkpointed.task, TaskPlacement{agent_id_, "", ""}, nullptr,
            latest ? latest->state() : mesos::v1::TASK_STAGING, latest, std::move(checkpointed.group)};
  if (checkpointed.container_id) {
    task.placement.container_id = *checkpointed.container_id;
    task.placement.sandbox = checkpoints_.sandbox(agent_id_, key.first, key.second, task.placement.container_id);
  }
  updates_.adopt(key, std::move(*stream));
  auto& stored = tasks_.emplace(key, std::move(task)).first->second;
  if (is_terminal(stored.state)) return {};  // its last update waits for its acknowledgement
  bool attached = false;
  for (const auto& container : containerizer_.containers())
    attached = attached || container.id == stored.placement.container_id;
  if (!attached) {
    const auto state = partition_aware(stored.framework) ? mesos::v1::TASK_GONE : mesos::v1::TASK_LOST;
    on_report(key, {state, TaskStatus::REASON_EXECUTOR_TERMINATED,
                    "the task's container is gone and left no exit status (the agent died before launching it, "
                    "or the host rebooted)"});
    return {};
  }
  stored.runner = std::make_shared<TaskRunner>(io_, TaskRunner::Threads{workers_, checkpointer_}, containerizer_,
                                               stored.framework, stored.task, stored.placement,
                                               [this, key](TaskRunner&, const TaskReport& r) { on_report(key, r); });
  stored.runner->resume(stored.state);
  log::info("recovered task " + key.second + " in container " + stored.placement.container_id,
            {{"TASK_ID", key.second}, {"FRAMEWORK_ID", key.first}});
  return {};
}

}  // namespace dcos::agent
