#include "daemons/cli/task_kill.hpp"

#include <cstdio>
#include <thread>

#include "daemons/cli/terminal.hpp"
#include "runtime/task_states.hpp"

namespace dcos::cli {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr auto kPollInterval = std::chrono::milliseconds(200);

// `object[key]` if it is a string, else "" (the state is the master's JSON,
// checked here rather than trusted).
std::string text_at(const json& object, const char* key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

// `object[key].value`, as Mesos writes ids.
std::string id_at(const json& object, const char* key) {
  return object.is_object() && object.contains(key) ? text_at(object[key], "value") : "";
}

bool ended_state(const std::string& name) {
  mesos::v1::TaskState state;
  // An unknown name (a newer master's state) is not taken for an end.
  return mesos::v1::TaskState_Parse(name, &state) && is_terminal(state);
}

std::string seconds_text(Clock::duration elapsed) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1fs", std::chrono::duration<double>(elapsed).count());
  return buffer;
}

struct Outcome {
  TaskSighting task;
  bool already_ended = false;
};

int report(const std::string& task_id, const Outcome& outcome, bool json_out, std::ostream& out, std::ostream& err) {
  const bool killed = outcome.task.state == "TASK_KILLED";
  if (json_out) {
    out << json{{"task_id", task_id},
                {"framework_id", outcome.task.framework_id},
                {"agent_id", outcome.task.agent_id},
                {"state", outcome.task.state},
                {"killed", killed && !outcome.already_ended},
                {"already_ended", outcome.already_ended}}
               .dump(2)
        << "\n";
  } else if (outcome.already_ended) {
    out << "task " << printable(task_id) << " had already ended: " << printable(outcome.task.state) << "\n";
  } else if (killed) {
    out << "task " << printable(task_id) << " killed (framework " << printable(outcome.task.framework_id) << ", agent "
        << printable(outcome.task.agent_id) << ")\n";
  }
  if (outcome.already_ended || killed) return 0;
  err << "dcos: task " << printable(task_id) << " ended " << printable(outcome.task.state) << ", not TASK_KILLED\n";
  return 1;
}

// A 409 can mean the task had already ended: the state says which.
Result<Outcome> refused(const MasterAddress& master, const TaskKillOptions& options, const http::Reply& reply) {
  const std::string why = "cannot kill task '" + printable(options.task_id) + "': master at " + master.text() +
                          " answered HTTP " + std::to_string(reply.status) + ": " + reply_excerpt(reply.body);
  if (reply.status != 409) return Error{why};
  auto state = fetch_state(master);
  if (!state) return Error{why};
  auto task = find_task(*state, options.task_id, options.framework_id);
  if (!task || !task->ended) return Error{why};
  return Outcome{*task, true};
}

// Follows /master/state until the task has ended or `options.timeout` passed.
// Shows the task's state on `status` (unless null) while it waits.
Result<Outcome> wait_for_end(const MasterAddress& master, const TaskKillOptions& options, TaskSighting task,
                             StatusLine* status) {
  const auto start = Clock::now();
  const auto deadline = start + options.timeout;
  for (;;) {
    auto state = fetch_state(master, std::chrono::seconds(5));
    if (!state) return state.error();
    if (auto seen = find_task(*state, options.task_id, task.framework_id)) task = *seen;
    if (task.ended) return Outcome{task, false};
    if (status) status->show("killing task " + options.task_id + ": " + task.state, seconds_text(Clock::now() - start));
    if (Clock::now() + kPollInterval > deadline)
      return Error{"task '" + printable(options.task_id) + "' has not ended within " +
                   format_duration(options.timeout) + " (last state " + printable(task.state) + ")"};
    std::this_thread::sleep_for(kPollInterval);
  }
}

}  // namespace

json kill_task_call(const TaskKillOptions& options) {
  json kill = {{"task_id", {{"value", options.task_id}}}};
  if (!options.framework_id.empty()) kill["framework_id"] = {{"value", options.framework_id}};
  if (options.grace) kill["kill_policy"] = {{"grace_period", {{"nanoseconds", options.grace->count()}}}};
  return {{"type", "KILL_TASK"}, {"kill_task", std::move(kill)}};
}

std::optional<TaskSighting> find_task(const json& state, const std::string& task_id, const std::string& framework_id) {
  std::optional<TaskSighting> live, ended;
  if (!state.is_object()) return std::nullopt;
  for (const std::string group : {"frameworks", "completed_frameworks"}) {
    const json frameworks = state.value(group, json::array());
    if (!frameworks.is_array()) continue;
    for (const auto& framework : frameworks) {
      if (!framework.is_object()) continue;
      const std::string id = text_at(framework, "id");
      if (!framework_id.empty() && id != framework_id) continue;
      for (const std::string list : {"tasks", "completed_tasks"}) {
        const json tasks = framework.value(list, json::array());
        if (!tasks.is_array()) continue;
        // Completed tasks are kept oldest first: the last match is the newest.
        for (const auto& task : tasks) {
          if (text_at(task, "id") != task_id) continue;
          TaskSighting seen{id, text_at(task, "slave_id"), text_at(task, "state"), false};
          seen.ended = list == "completed_tasks" || ended_state(seen.state);
          (seen.ended ? ended : live) = std::move(seen);
        }
      }
    }
  }
  return live ? live : ended;
}

int task_kill(const MasterAddress& master, const TaskKillOptions& options, bool json_out, bool in_place,
              std::ostream& out, std::ostream& err) {
  const auto fail = [&](const std::string& message) {
    err << "dcos: " << message << "\n";
    return 1;
  };
  auto reply = post_operator_call(master, kill_task_call(options).dump());
  if (!reply) return fail(reply.error().message);
  if (reply->status != 202) {
    auto outcome = refused(master, options, *reply);
    return outcome ? report(options.task_id, *outcome, json_out, out, err) : fail(outcome.error().message);
  }
  // The answer names the task's framework and agent, and its state then.
  const json answer = json::parse(reply->body, nullptr, false);
  const json killing = answer.is_object() && answer.contains("kill_task") ? answer["kill_task"] : json();
  TaskSighting task{id_at(killing, "framework_id"), id_at(killing, "agent_id"), text_at(killing, "state"), false};
  if (task.framework_id.empty())
    return fail("master at " + master.text() + " answered KILL_TASK without the task's framework");
  std::optional<StatusLine> status;
  if (!json_out) status.emplace(out, in_place);
  auto outcome = wait_for_end(master, options, std::move(task), status ? &*status : nullptr);
  if (status) status->clear();
  return outcome ? report(options.task_id, *outcome, json_out, out, err) : fail(outcome.error().message);
}

}  // namespace dcos::cli
