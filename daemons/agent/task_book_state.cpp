// What the TaskBook shows: the tasks an agent re-registers with, /state's
// frameworks in the shape of Mesos' agent /state, and task metrics.
#include <nlohmann/json.hpp>

#include "daemons/agent/task_book.hpp"
#include "runtime/resources.hpp"

namespace dcos::agent {

using nlohmann::json;

void TaskBook::describe(internal::ReregisterAgent* message) const {
  std::map<std::string, const mesos::v1::FrameworkInfo*> frameworks;
  for (const auto& [key, task] : tasks_) {
    frameworks.emplace(key.first, &task.framework);
    auto* out = message->add_tasks();
    out->set_name(task.task.name());
    *out->mutable_task_id() = task.task.task_id();
    out->mutable_framework_id()->set_value(key.first);
    out->mutable_executor_id()->set_value(executor_id(task));
    out->mutable_agent_id()->set_value(agent_id_);
    out->set_state(task.state);
    *out->mutable_resources() = task.task.resources();
    if (task.task.has_labels()) *out->mutable_labels() = task.task.labels();
    if (task.task.has_discovery()) *out->mutable_discovery() = task.task.discovery();
    if (const auto* stream = updates_.stream(key)) {
      if (stream->latest()) *out->add_statuses() = *stream->latest();
      if (const auto* head = stream->head()) {
        out->set_status_update_state(head->status().state());
        out->set_status_update_uuid(head->status().uuid());
      }
    }
  }
  for (const auto& [id, framework] : frameworks) *message->add_frameworks() = *framework;
}

namespace {

json task_json(const std::string& agent_id, const mesos::v1::TaskInfo& task, const std::string& framework_id,
               const std::string& executor_id, mesos::v1::TaskState state,
               const std::optional<mesos::v1::TaskStatus>& last) {
  json statuses = json::array();
  if (last) statuses.push_back({{"state", TaskState_Name(last->state())}, {"timestamp", last->timestamp()}});
  return {{"id", task.task_id().value()},
          {"name", task.name()},
          {"framework_id", framework_id},
          {"executor_id", executor_id},
          {"slave_id", agent_id},
          {"state", TaskState_Name(state)},
          {"resources", resources_json(Resources(task.resources().begin(), task.resources().end()))},
          {"statuses", statuses}};
}

// Multi-role frameworks name their roles in `roles`; older ones in `role`.
std::string framework_role(const mesos::v1::FrameworkInfo& framework) {
  if (framework.roles_size() > 0) return framework.roles(0);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  return framework.role();
#pragma GCC diagnostic pop
}

json framework_json(const mesos::v1::FrameworkInfo& framework) {
  return {{"id", framework.id().value()},
          {"name", framework.name()},
          {"user", framework.user()},
          {"hostname", framework.hostname()},
          {"role", framework_role(framework)},
          {"executors", json::array()},
          {"completed_executors", json::array()}};
}

}  // namespace

json TaskBook::executor_json(const Task& task) const {
  const std::string& task_id = task.task.task_id().value();
  const std::string id = executor_id(task);
  json executor = {{"id", id},
                   {"name", task.group ? "Default Executor (Task group: " + task.group->name() + ")"
                                       : "Command Executor (Task: " + task_id + ")"},
                   {"source", id},
                   {"container", task.placement.container_id},
                   {"directory", task.placement.sandbox},
                   {"resources", resources_json(Resources(task.task.resources().begin(), task.task.resources().end()))},
                   {"tasks", json::array()},
                   {"queued_tasks", json::array()},
                   {"completed_tasks", json::array()}};
  add_task_json(executor, task);
  return executor;
}

void TaskBook::add_task_json(json& executor, const Task& task) const {
  executor[is_terminal(task.state) ? "completed_tasks" : "tasks"].push_back(
      task_json(agent_id_, task.task, task.framework.id().value(), executor_id(task), task.state, task.last_status));
}

// Each task runs under its own command executor (named by the task id), as
// Mesos' agent shows tasks launched without an executor; a task group's
// tasks under their group's executor (each in a container of its own, as
// Mesos' nested containers).
void TaskBook::add_state(json& state) const {
  std::map<std::string, json> live;
  std::map<std::pair<std::string, std::string>, std::size_t> groups;  // (framework, executor) -> its index
  for (const auto& [key, task] : tasks_) {
    auto [entry, added] = live.emplace(key.first, json());
    if (added) entry->second = framework_json(task.framework);
    json& executors = entry->second["executors"];
    if (task.group) {
      auto [at, fresh] = groups.emplace(std::make_pair(key.first, executor_id(task)), executors.size());
      if (!fresh) {
        add_task_json(executors[at->second], task);
        continue;
      }
    }
    executors.push_back(executor_json(task));
  }
  std::map<std::string, json> completed;
  for (const auto& task : completed_) {
    const std::string& framework_id = task.framework.id().value();
    auto found = live.find(framework_id);
    if (found == live.end()) {
      found = completed.emplace(framework_id, framework_json(task.framework)).first;
    }
    found->second["completed_executors"].push_back(executor_json(task));
  }
  state["frameworks"] = json::array();
  for (auto& [id, framework] : live) state["frameworks"].push_back(std::move(framework));
  state["completed_frameworks"] = json::array();
  for (auto& [id, framework] : completed) state["completed_frameworks"].push_back(std::move(framework));
}

void TaskBook::metrics(MetricsText& text) const {
  std::map<mesos::v1::TaskState, int> by_state;
  for (const auto& [key, task] : tasks_) by_state[task.state]++;
  for (auto state : {mesos::v1::TASK_STAGING, mesos::v1::TASK_STARTING, mesos::v1::TASK_RUNNING,
                     mesos::v1::TASK_KILLING}) {
    std::string name = "dcos_agent_tasks_" + TaskState_Name(state).substr(5);
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    text.gauge(name, "Tasks in state " + TaskState_Name(state) + ".", by_state[state]);
  }
  int ended = 0;
  for (const auto& [state, count] : by_state)
    if (is_terminal(state)) ended += count;
  text.gauge("dcos_agent_tasks_ended_unacknowledged", "Ended tasks whose terminal update awaits its acknowledgement.",
             ended);
  const auto& counters = updates_.counters();
  text.counter("dcos_agent_status_updates_sent_total", "Status updates sent to the master (first sends).",
               counters.sent)
      .counter("dcos_agent_status_updates_retried_total", "Status updates sent again, not yet acknowledged.",
               counters.retried)
      .counter("dcos_agent_status_updates_acknowledged_total", "Status updates acknowledged by their framework.",
               counters.acknowledged)
      .counter("dcos_agent_status_update_acks_ignored_total", "Duplicate, stale or unknown acknowledgements.",
               counters.ignored_acks);
}

}  // namespace dcos::agent
