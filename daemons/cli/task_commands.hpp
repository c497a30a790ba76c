// `dcos task run` and `dcos task list`.
//
// task run: a one-shot framework, like Mesos' mesos-execute. It subscribes
// (failover_timeout 0: if the CLI goes away, the master ends its task),
// takes the first offer holding the task's cpus and mem, declines the rest,
// launches, prints each state as it comes (acknowledging it), tears the
// framework down at the end (or on SIGINT/SIGTERM, which kills the task) and
// exits 0 for TASK_FINISHED, 1 otherwise.
// --json prints one object at the end instead: the task, its agent and
// every status.
//
// task list: the tasks of /master/state's frameworks (--all adds their
// completed tasks and those of completed frameworks, such as task run's),
// as a table or JSON. Sorted by framework, then task id.
#pragma once

#include <chrono>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "daemons/cli/master_client.hpp"
#include "runtime/result.hpp"

namespace dcos::cli {

struct TaskRunOptions {
  std::string name;
  double cpus = 0.1;
  double mem = 32;                   // MiB
  std::vector<std::string> command;  // one word: a shell command; more: argv
  std::chrono::seconds offer_timeout{30};
};

int task_run(const MasterAddress& master, const TaskRunOptions& options, bool json, std::ostream& out,
             std::ostream& err);

struct TaskRow {
  std::string id;
  std::string name;
  std::string state;
  std::string framework;  // its name ("" if unknown)
  std::string agent;      // the agent's hostname (its id if unknown)
  nlohmann::json object;  // as the master sent it
};

// The tasks of a /master/state; errors name the offending field.
Result<std::vector<TaskRow>> tasks_from_state(const nlohmann::json& state, bool completed);
std::string task_table(const std::vector<TaskRow>& tasks);
std::string task_json(const std::vector<TaskRow>& tasks);

}  // namespace dcos::cli
