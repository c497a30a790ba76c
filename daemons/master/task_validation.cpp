#include "daemons/master/task_validation.hpp"

namespace dcos::master {

void ResourcePool::add(const std::string& role, const CompactResources& resources) {
  if (!resources.empty()) by_role_[role].add(resources);
}

Result<void> ResourcePool::take(const Resources& resources) {
  auto parts = compact_by_role(resources);
  if (!parts) return parts.error();
  for (const auto& part : *parts) {
    auto it = by_role_.find(part.role);
    if (it == by_role_.end() || !it->second.contains(part.resources))
      return Error{"resources " + format_resources(to_resources({part})) +
                   " are not in the offers (left: " + format_resources(remaining()) + ")"};
  }
  for (const auto& part : *parts) (void)by_role_[part.role].subtract(part.resources);
  return {};
}

Resources ResourcePool::remaining() const {
  std::vector<ReservedPart> parts;
  for (const auto& [role, resources] : by_role_)
    if (!resources.empty()) parts.push_back({role, resources});
  return to_resources(parts);
}

bool ResourcePool::empty() const {
  for (const auto& [role, resources] : by_role_)
    if (!resources.empty()) return false;
  return true;
}

namespace {

Result<void> check_shape(const mesos::v1::TaskInfo& task, const LaunchCheck& check) {
  if (task.name().empty()) return Error{"task has no name"};
  const std::string& id = task.task_id().value();
  if (id.empty()) return Error{"task has an empty task_id"};
  if (id.size() > 1024) return Error{"task_id is longer than 1024 bytes"};
  if (check.framework.tasks.count(id) || check.launching.count(id))
    return Error{"task_id '" + id + "' is already used by a live task of this framework"};
  if (task.agent_id().value() != check.agent_id)
    return Error{"task's agent_id '" + task.agent_id().value() + "' is not the offers' agent '" + check.agent_id + "'"};
  if (!task.has_command() && !task.has_executor() && !task.has_container())
    return Error{"task has no command, container or executor to run"};
  if (task.has_command() && task.command().shell() && !task.command().has_value())
    return Error{"task's shell command has no value"};
  if (task.resources_size() == 0) return Error{"task asks for no resources"};
  return {};
}

}  // namespace

Result<void> validate_task(const mesos::v1::TaskInfo& task, LaunchCheck& check) {
  if (auto shape = check_shape(task, check); !shape) return shape;
  if (auto taken = check.pool.take({task.resources().begin(), task.resources().end()}); !taken) return taken;
  check.launching.insert(task.task_id().value());
  return {};
}

Result<void> validate_task_group(const mesos::v1::TaskGroupInfo& group, LaunchCheck& check) {
  if (group.tasks_size() == 0) return Error{"the task group has no tasks"};
  // Tried on copies: the group takes its resources and ids only if every
  // task is valid.
  ResourcePool pool = check.pool;
  std::set<std::string> launching = check.launching;
  LaunchCheck trial{check.framework, check.agent_id, launching, pool};
  for (const auto& task : group.tasks()) {
    const std::string which = "task '" + task.task_id().value() + "' of the group: ";
    if (task.has_executor()) return Error{which + "a task of a group runs under the group's executor, not its own"};
    if (auto valid = validate_task(task, trial); !valid) return Error{which + valid.error().message};
  }
  check.pool = std::move(pool);
  check.launching = std::move(launching);
  return {};
}

}  // namespace dcos::master
