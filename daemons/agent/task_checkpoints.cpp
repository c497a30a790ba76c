#include "daemons/agent/task_checkpoints.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>

#include "runtime/atomic_file.hpp"
#include "runtime/unique_fd.hpp"

namespace dcos::agent {

namespace fs = std::filesystem;

bool valid_id(const std::string& id) {
  if (id.empty() || id.size() > 255 || id == "." || id == "..") return false;
  for (unsigned char c : id)
    if (c <= ' ' || c >= 0x7f || c == '/') return false;
  return true;
}

namespace {

template <class Message>
Result<Message> load_message(const std::string& path) {
  auto bytes = read_file(path);
  if (!bytes) return bytes.error();
  Message message;
  if (!message.ParseFromString(*bytes)) return Error{"'" + path + "' is corrupt"};
  return message;
}

// Whole-or-nothing, but not fsync'd: these files matter while the task's
// container runs, and a power loss that could lose them also ends every
// container (the runtime state lives in /run). A task whose files are gone
// is then not re-registered, and the master accounts for it. The status
// update streams, which are the task's record for its framework, are
// fsync'd.
Result<void> save(const std::string& dir, const std::string& name, const std::string& bytes, bool make_dir = true) {
  if (make_dir) {
    if (auto made = make_directories(dir, 0700); !made) return made;
  }
  return write_file_atomically(dir + "/" + name, bytes, 0600, /*durable=*/false);
}

}  // namespace

std::string TaskCheckpoints::framework_dir(const std::string& framework_id) const {
  return work_dir_ + "/meta/frameworks/" + framework_id;
}

std::string TaskCheckpoints::task_dir(const std::string& framework_id, const std::string& task_id) const {
  return framework_dir(framework_id) + "/tasks/" + task_id;
}

std::string TaskCheckpoints::updates_path(const std::string& framework_id, const std::string& task_id) const {
  return task_dir(framework_id, task_id) + "/updates";
}

std::string TaskCheckpoints::sandbox(const std::string& agent_id, const std::string& framework_id,
                                     const std::string& task_id, const std::string& container_id) const {
  return sandboxes_root() + "/" + agent_id + "/frameworks/" + framework_id + "/executors/" + task_id + "/runs/" +
         container_id;
}

Result<void> TaskCheckpoints::save_framework(const mesos::v1::FrameworkInfo& framework) {
  const std::string& id = framework.id().value();
  std::string bytes = framework.SerializeAsString();
  if (auto saved = saved_frameworks_.find(id); saved != saved_frameworks_.end() && saved->second == bytes) return {};
  saved_frameworks_.erase(id);
  if (auto saved = save(framework_dir(id), "framework.info", bytes); !saved) return saved;
  saved_frameworks_[id] = std::move(bytes);
  return {};
}

Result<void> TaskCheckpoints::save_task(const std::string& framework_id, const mesos::v1::TaskInfo& task) {
  return save(task_dir(framework_id, task.task_id().value()), "task.info", task.SerializeAsString());
}

Result<void> TaskCheckpoints::save_launch(const std::string& framework_id, const std::string& task_id,
                                          const std::string& task_info, const std::string& group,
                                          const std::string& container_id) const {
  const std::string dir = task_dir(framework_id, task_id);
  if (auto saved = save(dir, "task.info", task_info); !saved) return saved;
  // The status update log, empty: its first append (on the io thread) then
  // opens a file instead of making one. Making a file is the costly part on
  // ext4 (inode allocation); an empty log replays as a task with no update.
  const std::string log = updates_path(framework_id, task_id);
  if (UniqueFd fd(::open(log.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600)); !fd)
    return errno_error("create '" + log + "'");
  if (!group.empty())
    if (auto saved = save(dir, "group", group, /*make_dir=*/false); !saved) return saved;
  return save(dir, "container", container_id, /*make_dir=*/false);
}

Result<void> TaskCheckpoints::forget_task(const std::string& framework_id, const std::string& task_id,
                                          bool framework_done) {
  std::error_code error;
  fs::remove_all(task_dir(framework_id, task_id), error);
  if (error) return Error{"remove '" + task_dir(framework_id, task_id) + "': " + error.message()};
  // A framework without tasks left is forgotten with its last task. The
  // caller's word counts too: a task whose directory the checkpointer has
  // yet to make needs the framework's directory and framework.info.
  if (framework_done && fs::is_empty(framework_dir(framework_id) + "/tasks", error) && !error) {
    saved_frameworks_.erase(framework_id);
    fs::remove_all(framework_dir(framework_id), error);
    if (error) return Error{"remove '" + framework_dir(framework_id) + "': " + error.message()};
  }
  return {};
}

Result<std::vector<CheckpointedTask>> TaskCheckpoints::load(std::vector<std::string>* problems) const {
  std::vector<CheckpointedTask> tasks;
  std::error_code error;
  const std::string root = work_dir_ + "/meta/frameworks";
  for (const auto& framework_entry : fs::directory_iterator(root, error)) {
    const std::string framework_id = framework_entry.path().filename();
    auto framework = load_message<mesos::v1::FrameworkInfo>(framework_dir(framework_id) + "/framework.info");
    if (!framework) {
      problems->push_back("framework " + framework_id + ": " + framework.error().message);
      continue;
    }
    std::error_code tasks_error;
    for (const auto& task_entry : fs::directory_iterator(framework_dir(framework_id) + "/tasks", tasks_error)) {
      const std::string task_id = task_entry.path().filename();
      auto task = load_message<mesos::v1::TaskInfo>(task_dir(framework_id, task_id) + "/task.info");
      if (!task) {
        problems->push_back("task " + task_id + ": " + task.error().message);
        continue;
      }
      CheckpointedTask checkpointed{*framework, std::move(*task), std::nullopt, updates_path(framework_id, task_id),
                                    std::nullopt};
      const std::string group_path = task_dir(framework_id, task_id) + "/group";
      if (::access(group_path.c_str(), F_OK) == 0) {
        auto group = load_message<internal::TaskGroup>(group_path);
        if (!group) {
          problems->push_back("task " + task_id + ": " + group.error().message);
          continue;
        }
        checkpointed.group = std::move(*group);
      }
      const std::string container_path = task_dir(framework_id, task_id) + "/container";
      if (::access(container_path.c_str(), F_OK) == 0) {
        auto container = read_file(container_path);
        if (!container) {
          problems->push_back("task " + task_id + ": " + container.error().message);
        } else {
          checkpointed.container_id = *container;
        }
      }
      tasks.push_back(std::move(checkpointed));
    }
  }
  if (error && error != std::errc::no_such_file_or_directory) return Error{"read '" + root + "': " + error.message()};
  return tasks;
}

}  // namespace dcos::agent
