#include "daemons/agent/task_spec.hpp"

#include <cmath>

#include "daemons/agent/task_checkpoints.hpp"

namespace dcos::agent {

namespace {

double scalar_sum(const mesos::v1::TaskInfo& task, const std::string& name) {
  double sum = 0;
  for (const auto& resource : task.resources())
    if (resource.name() == name && resource.has_scalar()) sum += resource.scalar().value();
  return sum;
}

}  // namespace

Result<void> validate_task(const mesos::v1::TaskInfo& task) {
  if (!valid_id(task.task_id().value()))
    return Error{"task id '" + task.task_id().value() + "' is not usable: printable ASCII without '/' or spaces"};
  if (task.has_executor()) return Error{"custom executors are not supported: give the task a command"};
  for (const auto& resource : task.resources()) {
    // The master checked them against its offers; the agent still will not
    // turn an infinite or negative amount into a limit.
    if (resource.has_scalar() && !(std::isfinite(resource.scalar().value()) && resource.scalar().value() >= 0))
      return Error{"resource '" + resource.name() + "' has no usable amount"};
  }
  if (scalar_sum(task, "mem") * 1024 * 1024 >= 9.2e18) return Error{"resource 'mem' is larger than any memory"};
  if (!task.has_command()) return Error{"the task has no command"};
  const auto& command = task.command();
  if (!command.has_value() || command.value().empty()) return Error{"the task's command has no value"};
  if (task.has_container() && task.container().has_mesos())
    return Error{"container images are not supported by this agent yet"};
  for (const auto& variable : command.environment().variables()) {
    if (variable.type() == mesos::v1::Environment::Variable::SECRET)
      return Error{"environment variable '" + variable.name() + "' is a secret: secrets are not supported"};
    if (variable.name().empty() || variable.name().find('=') != std::string::npos)
      return Error{"environment variable name '" + variable.name() + "' is not valid"};
  }
  return {};
}

isolation::ContainerSpec container_spec(const mesos::v1::FrameworkInfo& framework, const mesos::v1::TaskInfo& task,
                                        const TaskPlacement& placement) {
  const auto& command = task.command();
  isolation::ContainerSpec spec;
  spec.id = placement.container_id;
  spec.sandbox = placement.sandbox;
  if (command.shell()) {
    spec.argv = {"/bin/sh", "-c", command.value()};
  } else {
    spec.argv = {command.value()};
    for (int i = 1; i < command.arguments_size(); ++i) spec.argv.push_back(command.arguments(i));
  }
  for (const auto& variable : command.environment().variables())
    spec.env.push_back(variable.name() + "=" + variable.value());
  spec.env.push_back("MESOS_TASK_ID=" + task.task_id().value());
  spec.env.push_back("MESOS_FRAMEWORK_ID=" + framework.id().value());
  spec.env.push_back("MESOS_AGENT_ID=" + placement.agent_id);
  spec.user = command.has_user() ? command.user() : framework.user();
  if (const double cpus = scalar_sum(task, "cpus"); cpus > 0) spec.limits.cpus = cpus;
  if (const double mem = scalar_sum(task, "mem"); mem > 0)
    spec.limits.memory_max = static_cast<uint64_t>(mem * 1024 * 1024);
  spec.limits.pids_max = kDefaultTaskPids;
  return spec;
}

std::chrono::nanoseconds grace_period(const mesos::v1::TaskInfo& task, const mesos::v1::KillPolicy* override) {
  if (override != nullptr && override->has_grace_period())
    return std::chrono::nanoseconds(std::max<int64_t>(0, override->grace_period().nanoseconds()));
  if (task.has_kill_policy() && task.kill_policy().has_grace_period())
    return std::chrono::nanoseconds(std::max<int64_t>(0, task.kill_policy().grace_period().nanoseconds()));
  return std::chrono::seconds(3);
}

}  // namespace dcos::agent
