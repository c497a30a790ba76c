// Where the agent keeps its tasks on disk, in Mesos' layout:
//
//   <work_dir>/meta/frameworks/<framework id>/framework.info   FrameworkInfo
//   <work_dir>/meta/frameworks/<fid>/tasks/<task id>/task.info TaskInfo
//   <work_dir>/meta/frameworks/<fid>/tasks/<tid>/group         its TaskGroup (LAUNCH_GROUP only)
//   <work_dir>/meta/frameworks/<fid>/tasks/<tid>/container     the container's id
//   <work_dir>/meta/frameworks/<fid>/tasks/<tid>/updates       status update stream
//   <work_dir>/slaves/<agent id>/frameworks/<fid>/executors/<tid>/runs/<container id>
//                                                               the sandbox
//
// The container's id is written before the container is launched, so that
// a crash in between leaves a task whose container recovery can look for.
// Ids become path components, so only ids that are safe as one are
// accepted (valid_id). Files are replaced atomically (see save() in the
// .cpp for why without fsync).
// Not thread-safe, except save_launch(), which touches nothing but the disk
// and may run on another thread (the agent's checkpointer) than the rest.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "internal.pb.h"
#include "mesos.pb.h"
#include "runtime/result.hpp"

namespace dcos::agent {

// Non-empty, at most 255 bytes, printable ASCII without '/', not "." or "..".
bool valid_id(const std::string& id);

struct CheckpointedTask {
  mesos::v1::FrameworkInfo framework;
  mesos::v1::TaskInfo task;
  std::optional<std::string> container_id;  // absent: the agent died before launching
  std::string updates_path;
  std::optional<internal::TaskGroup> group;
};

class TaskCheckpoints {
 public:
  explicit TaskCheckpoints(std::string work_dir) : work_dir_(std::move(work_dir)) {}

  // Writes framework.info unless this TaskCheckpoints already wrote the
  // same bytes there (one write per framework, not one per task).
  Result<void> save_framework(const mesos::v1::FrameworkInfo& framework);
  Result<void> save_task(const std::string& framework_id, const mesos::v1::TaskInfo& task);
  // What a task needs on disk before its container starts: its directory,
  // task.info (`task_info`: the serialized TaskInfo), its empty status
  // update log, its group (`group`: the serialized TaskGroup; none when
  // empty), and then the container id. Thread-safe; after save_framework()
  // of its framework.
  Result<void> save_launch(const std::string& framework_id, const std::string& task_id,
                           const std::string& task_info, const std::string& group,
                           const std::string& container_id) const;
  // Removes the task's checkpoints (not its sandbox), and the framework's
  // when it was the framework's last task on disk and `framework_done` (the
  // caller knows no other task of it, not even one whose save_launch() has
  // not run yet).
  Result<void> forget_task(const std::string& framework_id, const std::string& task_id, bool framework_done = true);

  // Every checkpointed task. A task whose files cannot be read is skipped
  // with a warning in `problems` rather than failing the agent's recovery.
  Result<std::vector<CheckpointedTask>> load(std::vector<std::string>* problems) const;

  std::string updates_path(const std::string& framework_id, const std::string& task_id) const;
  std::string sandbox(const std::string& agent_id, const std::string& framework_id, const std::string& task_id,
                      const std::string& container_id) const;
  // Where every sandbox lives: what /files may read.
  std::string sandboxes_root() const { return work_dir_ + "/slaves"; }

 private:
  std::string framework_dir(const std::string& framework_id) const;
  std::string task_dir(const std::string& framework_id, const std::string& task_id) const;

  std::string work_dir_;
  std::map<std::string, std::string> saved_frameworks_;  // id -> framework.info as written
};

}  // namespace dcos::agent
