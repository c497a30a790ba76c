// What agents say about tasks: their status updates (forwarded to the
// framework; acknowledged only by the framework), the tasks an agent
// re-registers with (the master rebuilds its view and the allocator's from
// them), and the tasks of an agent the master lost.
#include <set>

#include "daemons/master/master.hpp"
#include "runtime/log.hpp"
#include "runtime/service.hpp"

namespace dcos::master {

namespace {

using mesos::v1::TaskStatus;

constexpr int kMaxStatuses = 64;

bool has_update(const mesos::v1::Task& task, const std::string& uuid) {
  for (const auto& status : task.statuses())
    if (status.uuid() == uuid) return true;
  return false;
}

}  // namespace

void Master::status_update(const std::string& agent_id, const internal::StatusUpdate& update) {
  ++scheduler_counters_.status_updates;
  const std::string& framework_id = update.framework_id().value();
  FrameworkRecord* framework = frameworks_.find(framework_id);
  if (!framework) {
    // Not acknowledged: the agent keeps it until the framework is shut down.
    log::warning("ignoring status update for unknown framework " + framework_id, {{"AGENT_ID", agent_id}});
    return;
  }
  mesos::v1::TaskStatus status = update.status();
  if (!status.has_agent_id()) status.mutable_agent_id()->set_value(agent_id);
  const std::string task_id = status.task_id().value();
  auto it = framework->tasks.find(task_id);
  if (it != framework->tasks.end() && it->second.agent_id().value() != agent_id) {
    // An agent speaks for its own tasks only.
    log::warning("ignoring status update from agent " + agent_id + " for task " + task_id + " of agent " +
                     it->second.agent_id().value(),
                 {{"AGENT_ID", agent_id}, {"TASK_ID", task_id}});
    return;
  }
  if (it != framework->tasks.end()) {
    mesos::v1::Task& task = it->second;
    task.set_state(update.has_latest_state() ? update.latest_state() : status.state());
    task.set_status_update_state(status.state());
    task.set_status_update_uuid(status.uuid());
    if (!has_update(task, status.uuid())) *task.add_statuses() = status;
    // A task sees a handful of states; an agent resending with fresh uuids
    // must not grow the master without bound.
    if (task.statuses_size() > kMaxStatuses) task.mutable_statuses()->DeleteSubrange(0, 1);
    task_changed(framework_id, task_id);
    if (is_terminal(task.state())) end_task(*framework, task_id);
  }
  if (!framework->connected()) return;  // the agent retries until it is acknowledged
  Event event;
  event.set_type(Event::UPDATE);
  *event.mutable_update()->mutable_status() = std::move(status);
  send_event(*framework, event);
}

// The agent's checkpointed view wins for its tasks: they run there.
void Master::recover_agent_tasks(const std::string& agent_id, const internal::ReregisterAgent& message) {
  for (const auto& info : message.frameworks()) {
    if (!info.has_id() || frameworks_.find(info.id().value())) continue;
    FrameworkRecord& framework = frameworks_.add(info);
    framework.registered_time = wall_seconds();
    const auto timeout = std::chrono::duration<double>(std::min(info.failover_timeout(), 1e9));
    framework.failover_deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(timeout);
    (void)allocator_.add_framework(info.id().value(), framework.roles);
    (void)allocator_.deactivate_framework(info.id().value());
    log::info("framework " + info.name() + " recovered from agent " + agent_id, {{"FRAMEWORK_ID", info.id().value()}});
  }
  std::set<std::pair<std::string, std::string>> reported;
  for (const auto& task : message.tasks()) {
    const std::string framework_id = task.framework_id().value();
    FrameworkRecord* framework = frameworks_.find(framework_id);
    if (!framework || task.agent_id().value() != agent_id) continue;
    reported.emplace(framework_id, task.task_id().value());
    auto& completed = framework->completed;
    std::erase_if(completed,
                  [&](const mesos::v1::Task& done) { return done.task_id().value() == task.task_id().value(); });
    auto known = framework->tasks.find(task.task_id().value());
    if (known != framework->tasks.end()) {
      known->second.set_state(task.state());
      task_changed(framework_id, task.task_id().value());
      if (is_terminal(task.state())) end_task(*framework, task.task_id().value());
      continue;
    }
    frameworks_.add_task(*framework, task);
    if (is_terminal(task.state())) {
      frameworks_.complete_task(*framework, task.task_id().value());
      continue;
    }
    const Resources resources(task.resources().begin(), task.resources().end());
    if (auto used = allocator_.allocate_used(framework_id, agent_id, framework->task_role(task), resources); !used)
      log::error("could not account task " + task.task_id().value() + "'s resources: " + used.error().message,
                 {{"AGENT_ID", agent_id}, {"TASK_ID", task.task_id().value()}});
  }
  // Tasks the master launched there that the agent does not have: the
  // RunTask was lost with the connection.
  for (const auto& [framework_id, task_id] : frameworks_.tasks_on(agent_id)) {
    if (reported.count({framework_id, task_id})) continue;
    FrameworkRecord& framework = *frameworks_.find(framework_id);
    auto& task = framework.tasks.at(task_id);
    const auto state = framework.partition_aware ? mesos::v1::TASK_DROPPED : mesos::v1::TASK_LOST;
    task.set_state(state);
    master_update(framework, task.task_id(), agent_id, state, TaskStatus::REASON_AGENT_REREGISTERED,
                  "Task was not found on the agent when it re-registered");
    end_task(framework, task_id);
  }
}

void Master::agent_tasks_lost(const std::string& agent_id) {
  for (const auto& [framework_id, task_id] : frameworks_.tasks_on(agent_id)) {
    FrameworkRecord& framework = *frameworks_.find(framework_id);
    auto& task = framework.tasks.at(task_id);
    const auto state = framework.partition_aware ? mesos::v1::TASK_UNREACHABLE : mesos::v1::TASK_LOST;
    task.set_state(state);
    master_update(framework, task.task_id(), agent_id, state, TaskStatus::REASON_AGENT_REMOVED,
                  "Agent " + agent_id + " is unreachable");
    end_task(framework, task_id);
  }
}

}  // namespace dcos::master
