// POST /api/v1: the operator API, in the shape of Mesos' v1 Operator HTTP
// API (proto/master.proto). Serves TEARDOWN, as Mesos does, and KILL_TASK,
// our extension: an operator kills one task of any framework without
// tearing the framework down. The kill takes the framework's own path
// (Master::kill), so the framework hears TASK_KILLING and TASK_KILLED on its
// event stream as if it had asked.
//
// Answers: 200 for TEARDOWN; 202 with a Response naming the task's
// framework and agent for KILL_TASK (the end comes later, as an update);
// 400 for a malformed call, 404 for an unknown task or framework, 409 for a
// task that has already ended, a framework already removed, or a task id
// live in several frameworks when the call names none; 503 when the task's
// agent is not connected (the kill could not reach it); 415/406/413 for
// bodies we do not take; 501 for Mesos' other calls. A refused call
// changes nothing.
#include <vector>

#include "daemons/master/master.hpp"
#include "daemons/master/v1_call.hpp"
#include "runtime/log.hpp"

namespace dcos::master {

namespace {

using OperatorCall = mesos::v1::master::Call;

// Whether `framework` ended a task `task_id`: its last state, newest first.
std::optional<mesos::v1::TaskState> ended_state(const FrameworkRecord& framework, const std::string& task_id) {
  for (auto it = framework.completed.rbegin(); it != framework.completed.rend(); ++it)
    if (it->task_id().value() == task_id) return it->state();
  return std::nullopt;
}

std::string joined(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& word : words) out += (out.empty() ? "" : ", ") + word;
  return out;
}

}  // namespace

http::Response Master::operator_call(const http::Request& request) {
  ++operator_counters_.calls;
  auto response = [&]() -> http::Response {
    OperatorCall call;
    bool protobuf_out = false;
    if (auto refused = decode_call(request, call, options_.max_call_bytes, &protobuf_out))
      return http::Response::error(refused->status, refused->message);
    switch (call.type()) {
      case OperatorCall::UNKNOWN:
        return http::Response::error(400, "Expecting 'type' to be present");
      case OperatorCall::TEARDOWN:
        if (!call.has_teardown()) return http::Response::error(400, "Expecting 'teardown' to be present");
        return operator_teardown(call.teardown().framework_id().value());
      case OperatorCall::KILL_TASK:
        if (!call.has_kill_task()) return http::Response::error(400, "Expecting 'kill_task' to be present");
        return operator_kill(call.kill_task(), protobuf_out);
      default:
        return http::Response::error(
            501, "Call type " + OperatorCall::Type_Name(call.type()) + " is not supported by this master yet");
    }
  }();
  if (response.status >= 400) ++operator_counters_.bad_calls;
  return response;
}

http::Response Master::operator_teardown(const std::string& framework_id) {
  if (framework_id.empty()) return http::Response::error(400, "Expecting 'teardown.framework_id' to be non-empty");
  if (!frameworks_.find(framework_id)) {
    for (const auto& done : frameworks_.completed_frameworks())
      if (done.id() == framework_id)
        return http::Response::error(409, "Framework " + framework_id + " has already been removed");
    return http::Response::error(404, "Framework " + framework_id + " is not known to the master");
  }
  ++operator_counters_.teardowns;
  log::info("operator tears down framework " + framework_id, {{"FRAMEWORK_ID", framework_id}});
  remove_framework(framework_id, "torn down by the operator");
  return http::Response::json("");
}

http::Response Master::operator_kill(const mesos::v1::master::Call::KillTask& call, bool protobuf_out) {
  const std::string& task_id = call.task_id().value();
  if (task_id.empty()) return http::Response::error(400, "Expecting 'kill_task.task_id.value' to be non-empty");
  if (call.has_framework_id() && call.framework_id().value().empty())
    return http::Response::error(400, "'kill_task.framework_id.value' is empty");
  if (call.kill_policy().grace_period().nanoseconds() < 0)
    return http::Response::error(400, "'kill_task.kill_policy.grace_period' is negative");

  // Where to look: the named framework (live or removed), else every one;
  // live frameworks first, then the removed ones, the newest first.
  const std::string named = call.framework_id().value();
  std::vector<const FrameworkRecord*> known;
  std::vector<FrameworkRecord*> live;  // with the task live
  for (auto& [id, framework] : frameworks_.all()) {
    if (!named.empty() && id != named) continue;
    known.push_back(&framework);
    if (framework.tasks.count(task_id)) live.push_back(&framework);
  }
  const auto& removed = frameworks_.completed_frameworks();
  for (auto it = removed.rbegin(); it != removed.rend(); ++it)
    if (named.empty() || it->id() == named) known.push_back(&*it);
  if (!named.empty() && known.empty())
    return http::Response::error(404, "Framework " + named + " is not known to the master");

  if (live.empty()) {
    for (const auto* framework : known)
      if (auto state = ended_state(*framework, task_id))
        return http::Response::error(409, "Task " + task_id + " of framework " + framework->id() +
                                              " has already ended: " + mesos::v1::TaskState_Name(*state));
    return http::Response::error(
        404, named.empty() ? "No framework has a task " + task_id : "Framework " + named + " has no task " + task_id);
  }
  if (live.size() > 1) {
    std::vector<std::string> ids;
    for (const auto* framework : live) ids.push_back(framework->id());
    return http::Response::error(
        409, "Task " + task_id + " exists in frameworks " + joined(ids) + ": name one in 'kill_task.framework_id'");
  }

  FrameworkRecord& framework = *live.front();
  const mesos::v1::Task& task = framework.tasks.at(task_id);
  const std::string agent_id = task.agent_id().value();
  auto agent = agents_.find(agent_id);
  // Master::kill would drop it with a warning, and the operator would wait
  // in vain: say so instead (a framework's KILL is retried by its scheduler).
  if (agent == agents_.end() || !agent->second.connection)
    return http::Response::error(
        503, "Agent " + agent_id + " of task " + task_id + " is not connected: the kill cannot reach it now");

  mesos::v1::master::Response response;
  response.set_type(mesos::v1::master::Response::KILL_TASK);
  auto* body = response.mutable_kill_task();
  *body->mutable_task_id() = task.task_id();
  *body->mutable_framework_id() = framework.info.id();
  *body->mutable_agent_id() = task.agent_id();
  body->set_state(task.state());

  Call::Kill as_framework;
  *as_framework.mutable_task_id() = task.task_id();
  *as_framework.mutable_agent_id() = task.agent_id();
  if (call.has_kill_policy()) *as_framework.mutable_kill_policy() = call.kill_policy();
  ++operator_counters_.task_kills;
  log::info("operator kills task " + task_id + " of framework " + framework.id(),
            {{"TASK_ID", task_id}, {"FRAMEWORK_ID", framework.id()}, {"AGENT_ID", agent_id}});
  kill(framework, as_framework);
  return encoded(202, response, protobuf_out);
}

}  // namespace dcos::master
