// From a framework's TaskInfo to a container: what the built-in command
// executor role runs for a task, and what makes a task invalid.
//
// The command (CommandInfo, Mesos' semantics): shell=true (the default)
// runs `value` with /bin/sh -c; shell=false runs `value` as the program
// with `arguments` as its argv ([0] is replaced by `value`, which is looked
// up on PATH). The user is command.user, else framework.user, else the
// agent's own. Environment: command.environment's VALUE variables, plus
// MESOS_TASK_ID, MESOS_FRAMEWORK_ID, MESOS_AGENT_ID (and MESOS_SANDBOX from
// the containerizer). Resources become limits: cpus -> CPU weight, mem (MB)
// -> memory.max, and a pids limit (kDefaultTaskPids) so that a fork bomb
// stays inside its task.
#pragma once

#include <cstdint>
#include <string>

#include "isolation/containerizer.hpp"
#include "mesos.pb.h"
#include "runtime/result.hpp"

namespace dcos::agent {

inline constexpr uint64_t kDefaultTaskPids = 4096;

// What the agent cannot run, with the reason for the TASK_ERROR: no
// command, a custom executor, an image, a secret, an id unusable as a path.
Result<void> validate_task(const mesos::v1::TaskInfo& task);

struct TaskPlacement {
  std::string agent_id;
  std::string container_id;
  std::string sandbox;
};

isolation::ContainerSpec container_spec(const mesos::v1::FrameworkInfo& framework, const mesos::v1::TaskInfo& task,
                                        const TaskPlacement& placement);

// The grace period between SIGTERM and SIGKILL: `override` (from KillTask),
// else the task's kill_policy, else Mesos' command executor default, 3 s.
std::chrono::nanoseconds grace_period(const mesos::v1::TaskInfo& task, const mesos::v1::KillPolicy* override);

}  // namespace dcos::agent
