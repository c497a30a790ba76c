// Tasks: ACCEPT with LAUNCH (validated against the offers), KILL,
// ACKNOWLEDGE, RECONCILE, the agents' status updates, the tasks agents
// re-register with, and the tasks of an agent that was lost.
#include <algorithm>
#include <cmath>
#include <set>

#include "daemons/master/master.hpp"
#include "daemons/master/task_validation.hpp"
#include "runtime/log.hpp"
#include "runtime/service.hpp"

namespace dcos::master {

namespace {

using mesos::v1::TaskState;
using mesos::v1::TaskStatus;

Resources with_role(const google::protobuf::RepeatedPtrField<mesos::v1::Resource>& in, const std::string& role) {
  Resources out(in.begin(), in.end());
  for (auto& resource : out) resource.mutable_allocation_info()->set_role(role);
  return out;
}

}  // namespace

void Master::accept(FrameworkRecord& framework, const Call::Accept& accept) {
  const auto now = Clock::now();
  std::vector<OfferEntry> taken;
  std::string error = accept.offer_ids_size() == 0 ? "no offers given" : "";
  for (const auto& offer_id : accept.offer_ids()) {
    const OfferEntry* entry = offers_.find(offer_id.value());
    if (!entry) {
      error = "Offer " + offer_id.value() + " is no longer valid";
    } else if (entry->allocation.framework_id != framework.id()) {
      error = "Offer " + offer_id.value() + " is not offered to framework " + framework.id();
    } else if (!taken.empty() && (entry->allocation.agent_id != taken.front().allocation.agent_id ||
                                  entry->allocation.role != taken.front().allocation.role)) {
      error = "Offers of different agents or roles cannot be accepted together";
    } else {
      taken.push_back(*offers_.take(offer_id.value()));
    }
  }
  auto agent = taken.empty() ? agents_.end() : agents_.find(taken.front().allocation.agent_id);
  if (error.empty() && (agent == agents_.end() || !agent->second.connection))
    error = "Agent of the offers is not connected";
  if (!error.empty()) {
    for (auto& entry : taken) (void)allocator_.recover_offer(std::move(entry.allocation), std::nullopt, now);
    drop_launch(framework, accept, framework.partition_aware ? mesos::v1::TASK_DROPPED : mesos::v1::TASK_LOST,
                TaskStatus::REASON_INVALID_OFFERS, error);
    request_allocation();
    return;
  }
  const std::string agent_id = taken.front().allocation.agent_id;
  const std::string role = taken.front().allocation.role;
  ResourcePool pool;
  for (const auto& entry : taken) {
    pool.add("*", entry.allocation.unreserved);
    pool.add(role, entry.allocation.reserved);
  }
  std::set<std::string> launching;
  LaunchCheck check{framework, agent_id, launching, pool};
  for (const auto& operation : accept.operations()) {
    if (operation.type() == mesos::v1::Offer::Operation::LAUNCH_GROUP) {
      launch_group(framework, operation.launch_group(), check, role);
      continue;
    }
    if (operation.type() != mesos::v1::Offer::Operation::LAUNCH) {
      log::warning("ignoring unsupported offer operation " + mesos::v1::Offer::Operation::Type_Name(operation.type()),
                   {{"FRAMEWORK_ID", framework.id()}});
      continue;
    }
    for (const auto& task : operation.launch().task_infos()) {
      if (auto valid = validate_task(task, check); !valid) {
        ++scheduler_counters_.tasks_invalid;
        master_update(framework, task.task_id(), agent_id, mesos::v1::TASK_ERROR, TaskStatus::REASON_TASK_INVALID,
                      valid.error().message);
        continue;
      }
      launch(framework, task, role);
    }
  }
  const Resources rest = pool.remaining();
  if (!rest.empty())
    if (auto recovered =
            allocator_.recover_resources(framework.id(), agent_id, role, rest, refuse_seconds(accept.filters()), now);
        !recovered)
      log::error("could not recover the unused part of an accept: " + recovered.error().message,
                 {{"FRAMEWORK_ID", framework.id()}, {"AGENT_ID", agent_id}});
  request_allocation();
}

void Master::launch(FrameworkRecord& framework, const mesos::v1::TaskInfo& info, const std::string& role,
                    const mesos::v1::Offer::Operation::LaunchGroup* group) {
  mesos::v1::Task task;
  task.set_name(info.name());
  *task.mutable_task_id() = info.task_id();
  *task.mutable_framework_id() = framework.info.id();
  *task.mutable_agent_id() = info.agent_id();
  task.set_state(mesos::v1::TASK_STAGING);
  for (auto& resource : with_role(info.resources(), role)) *task.add_resources() = std::move(resource);
  if (info.has_executor()) *task.mutable_executor_id() = info.executor().executor_id();
  if (group) *task.mutable_executor_id() = group->executor().executor_id();
  if (info.has_labels()) *task.mutable_labels() = info.labels();
  if (info.has_discovery()) *task.mutable_discovery() = info.discovery();
  if (info.has_container()) *task.mutable_container() = info.container();
  if (info.has_health_check()) *task.mutable_health_check() = info.health_check();
  task.set_user(info.has_command() && info.command().has_user() ? info.command().user() : framework.info.user());
  const Resources resources(task.resources().begin(), task.resources().end());
  if (auto used = allocator_.use_offered(framework.id(), info.agent_id().value(), role, resources); !used)
    log::error("allocator refused the launch's resources: " + used.error().message,
               {{"TASK_ID", info.task_id().value()}});
  frameworks_.add_task(framework, std::move(task));

  internal::Envelope run;
  *run.mutable_run_task()->mutable_framework() = framework.info;
  *run.mutable_run_task()->mutable_task() = info;
  if (group) {
    *run.mutable_run_task()->mutable_group()->mutable_executor() = group->executor();
    run.mutable_run_task()->mutable_group()->set_name(group->task_group().tasks(0).task_id().value());
  }
  send_to_agent(info.agent_id().value(), run);
  ++scheduler_counters_.tasks_launched;
  log::info(
      "launching task " + info.task_id().value() + " on agent " + info.agent_id().value(),
      {{"FRAMEWORK_ID", framework.id()}, {"TASK_ID", info.task_id().value()}, {"AGENT_ID", info.agent_id().value()}});
}

// All of the group's tasks or none (Mesos' LAUNCH_GROUP): one invalid task
// gives every task of the group TASK_ERROR (REASON_TASK_GROUP_INVALID).
void Master::launch_group(FrameworkRecord& framework, const mesos::v1::Offer::Operation::LaunchGroup& group,
                          LaunchCheck& check, const std::string& role) {
  const auto& tasks = group.task_group().tasks();
  Result<void> valid = {};
  if (group.executor().type() == mesos::v1::ExecutorInfo::CUSTOM)
    valid = Error{"a task group runs under the agent's default executor; CUSTOM executors are not supported"};
  else if (group.executor().executor_id().value().empty())
    valid = Error{"a task group's executor needs an executor_id: it names the group"};
  if (valid) valid = validate_task_group(group.task_group(), check);
  if (!valid) {
    scheduler_counters_.tasks_invalid += static_cast<uint64_t>(tasks.size());
    for (const auto& task : tasks)
      master_update(framework, task.task_id(), check.agent_id, mesos::v1::TASK_ERROR,
                    TaskStatus::REASON_TASK_GROUP_INVALID, valid.error().message);
    return;
  }
  for (const auto& task : tasks) launch(framework, task, role, &group);
}

// Every task of an ACCEPT that could not be tried gets the same answer.
void Master::drop_launch(FrameworkRecord& framework, const Call::Accept& accept, TaskState state,
                         TaskStatus::Reason reason, const std::string& message) {
  for (const auto& operation : accept.operations()) {
    for (const auto& task : operation.launch().task_infos())
      master_update(framework, task.task_id(), task.agent_id().value(), state, reason, message);
    for (const auto& task : operation.launch_group().task_group().tasks())
      master_update(framework, task.task_id(), task.agent_id().value(), state, reason, message);
  }
}

// An update the master makes itself: not reliable (no uuid, no ack).
void Master::master_update(FrameworkRecord& framework, const mesos::v1::TaskID& task_id, const std::string& agent_id,
                           TaskState state, TaskStatus::Reason reason, const std::string& message) {
  Event event;
  event.set_type(Event::UPDATE);
  auto* status = event.mutable_update()->mutable_status();
  *status->mutable_task_id() = task_id;
  status->set_state(state);
  status->set_source(TaskStatus::SOURCE_MASTER);
  status->set_reason(reason);
  if (!message.empty()) status->set_message(message);
  if (!agent_id.empty()) status->mutable_agent_id()->set_value(agent_id);
  status->set_timestamp(wall_seconds());
  send_event(framework, event);
}

void Master::kill(FrameworkRecord& framework, const Call::Kill& kill) {
  auto it = framework.tasks.find(kill.task_id().value());
  if (it == framework.tasks.end()) {
    // As Mesos: the master does not know the task, so it is lost to it.
    master_update(framework, kill.task_id(), kill.agent_id().value(), mesos::v1::TASK_LOST,
                  TaskStatus::REASON_RECONCILIATION, "Attempted to kill an unknown task");
    return;
  }
  internal::Envelope message;
  auto* body = message.mutable_kill_task();
  *body->mutable_framework_id() = framework.info.id();
  *body->mutable_task_id() = kill.task_id();
  if (kill.has_kill_policy()) *body->mutable_kill_policy() = kill.kill_policy();
  send_to_agent(it->second.agent_id().value(), message);
  // Load balancers stop sending it new connections now, not at its end.
  if (framework.killing.insert(kill.task_id().value()).second) task_changed(framework.id(), kill.task_id().value());
}

void Master::acknowledge(FrameworkRecord& framework, const Call::Acknowledge& acknowledge) {
  internal::Envelope message;
  auto* ack = message.mutable_status_update_acknowledgement();
  *ack->mutable_agent_id() = acknowledge.agent_id();
  *ack->mutable_framework_id() = framework.info.id();
  *ack->mutable_task_id() = acknowledge.task_id();
  ack->set_uuid(acknowledge.uuid());
  send_to_agent(acknowledge.agent_id().value(), message);
}

void Master::reconcile(FrameworkRecord& framework, const Call::Reconcile& reconcile) {
  const auto lost = framework.partition_aware;
  if (reconcile.tasks_size() == 0) {
    for (const auto& [task_id, task] : framework.tasks)
      master_update(framework, task.task_id(), task.agent_id().value(), task.state(), TaskStatus::REASON_RECONCILIATION,
                    "Reconciliation: latest task status");
    return;
  }
  for (const auto& wanted : reconcile.tasks()) {
    auto it = framework.tasks.find(wanted.task_id().value());
    const std::string agent_id = wanted.agent_id().value();
    if (it != framework.tasks.end()) {
      master_update(framework, wanted.task_id(), it->second.agent_id().value(), it->second.state(),
                    TaskStatus::REASON_RECONCILIATION, "Reconciliation: latest task status");
      continue;
    }
    // An ended task is answered with how it ended (Mesos forgets it once
    // acknowledged and says LOST/GONE; the truth is more useful).
    auto done =
        std::find_if(framework.completed.rbegin(), framework.completed.rend(),
                     [&](const mesos::v1::Task& task) { return task.task_id().value() == wanted.task_id().value(); });
    if (done != framework.completed.rend()) {
      master_update(framework, wanted.task_id(), done->agent_id().value(), done->state(),
                    TaskStatus::REASON_RECONCILIATION, "Reconciliation: task has ended");
      continue;
    }
    auto agent = agent_id.empty() ? agents_.end() : agents_.find(agent_id);
    if (agent != agents_.end() && agent->second.status == AgentStatus::recovered) continue;  // wait: it may return
    TaskState state = lost ? mesos::v1::TASK_UNKNOWN : mesos::v1::TASK_LOST;
    if (agent != agents_.end())
      state = agent->second.status == AgentStatus::unreachable
                  ? (lost ? mesos::v1::TASK_UNREACHABLE : mesos::v1::TASK_LOST)
                  : (lost ? mesos::v1::TASK_GONE : mesos::v1::TASK_LOST);
    master_update(framework, wanted.task_id(), agent_id, state, TaskStatus::REASON_RECONCILIATION,
                  "Reconciliation: task is unknown to the master");
  }
}

void Master::end_task(FrameworkRecord& framework, const std::string& task_id) {
  auto it = framework.tasks.find(task_id);
  if (it == framework.tasks.end()) return;
  const Resources resources(it->second.resources().begin(), it->second.resources().end());
  if (auto released = allocator_.release_used(framework.id(), it->second.agent_id().value(),
                                              framework.task_role(it->second), resources);
      !released)
    log::warning("could not release task " + task_id + "'s resources: " + released.error().message,
                 {{"TASK_ID", task_id}});
  frameworks_.complete_task(framework, task_id);
  request_allocation();
}

}  // namespace dcos::master
