// `dcos task kill ID [--framework=FID] [--grace=DURATION] [--timeout=DURATION]`:
// an operator kills a task of any framework.
//
// The CLI is not the task's framework, so it asks the master through the
// operator API (POST /api/v1, KILL_TASK: our extension of Mesos' calls); the
// master kills the task as the framework's own KILL would, and the
// framework hears TASK_KILLED on its stream. The CLI then follows
// /master/state until the task has ended, at most --timeout (30secs),
// showing the task's state while it waits, and prints one line (or, with
// --json, one object: task_id, framework_id, agent_id, state, killed,
// already_ended).
//
// Exit 0 when the task ended TASK_KILLED, or had already ended before the
// call (said so); 1 otherwise: unknown task, a task id live in several
// frameworks without --framework, another end than TASK_KILLED, the
// timeout, an unreachable master. Errors are one sentence each.
#pragma once

#include <optional>
#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

#include "daemons/cli/master_client.hpp"
#include "runtime/duration.hpp"

namespace dcos::cli {

struct TaskKillOptions {
  std::string task_id;
  std::string framework_id;       // "" lets the master find the task
  std::optional<Duration> grace;  // the task's own kill policy if unset
  Duration timeout = std::chrono::seconds(30);
};

// `in_place`: progress rewrites one line (a terminal) rather than printing
// each state on its own line.
int task_kill(const MasterAddress& master, const TaskKillOptions& options, bool json, bool in_place, std::ostream& out,
              std::ostream& err);

// The KILL_TASK call for `options`.
nlohmann::json kill_task_call(const TaskKillOptions& options);

// Where a task stands in a /master/state: the live record if there is one,
// else the newest ended one; nullopt when the state lists none (of
// `framework_id`, if given).
struct TaskSighting {
  std::string framework_id;
  std::string agent_id;
  std::string state;
  bool ended = false;
};
std::optional<TaskSighting> find_task(const nlohmann::json& state, const std::string& task_id,
                                      const std::string& framework_id = {});

}  // namespace dcos::cli
