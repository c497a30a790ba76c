// Validation of the tasks of an ACCEPT's LAUNCH against the offers being
// accepted, as Mesos' master/validation does for the parts we model:
// a name and a task id; the id not used by another live task of the
// framework (nor earlier in the same ACCEPT); the task's agent_id that of
// the offers; a command, a container or an executor to run; resources
// present and contained in what the offers still hold after the tasks
// before it. A valid task's resources are taken from the pool; an invalid
// one changes nothing, and its error says why, for a TASK_ERROR message.
//
// Pure: no I/O, no clock.
#pragma once

#include <map>
#include <set>
#include <string>

#include "daemons/master/framework_registry.hpp"
#include "daemons/master/resource_math.hpp"
#include "mesos.pb.h"
#include "runtime/result.hpp"

namespace dcos::master {

// What the accepted offers hold, by reservation role ("*": unreserved).
class ResourcePool {
 public:
  void add(const std::string& role, const CompactResources& resources);
  // Takes `resources` if all of them are here; else an error, nothing taken.
  Result<void> take(const Resources& resources);
  // What is left, as Mesos resources (for recovering the unused rest).
  Resources remaining() const;
  bool empty() const;

 private:
  std::map<std::string, CompactResources> by_role_;
};

struct LaunchCheck {
  const FrameworkRecord& framework;
  std::string agent_id;              // of the accepted offers
  std::set<std::string>& launching;  // task ids accepted so far in this ACCEPT
  ResourcePool& pool;
};

Result<void> validate_task(const mesos::v1::TaskInfo& task, LaunchCheck& check);
// A LAUNCH_GROUP's tasks, as one unit: all valid (their resources taken,
// their ids in `launching`) or an error naming the first invalid task and
// nothing taken. A task of a group has no executor of its own.
Result<void> validate_task_group(const mesos::v1::TaskGroupInfo& group, LaunchCheck& check);

}  // namespace dcos::master
