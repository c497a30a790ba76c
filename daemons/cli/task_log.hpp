// `dcos task log ID [--follow] [--stderr]`: a task's stdout (or stderr), read
// from its agent's sandbox through the agent's files API.
//
// The master's /master/state names the task's agent and the agent's address
// (its pid, "slave(1)@IP:PORT"); the agent's /state names the task's sandbox
// ("directory" of its executor); GET /files/read on the agent reads the file
// in pieces. --follow keeps reading what the task appends, until SIGINT or
// SIGTERM. Errors are one sentence each.
#pragma once

#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

#include "daemons/cli/master_client.hpp"
#include "runtime/result.hpp"

namespace dcos::cli {

struct TaskLogOptions {
  std::string task_id;
  bool follow = false;
  bool stderr_file = false;  // stderr instead of stdout
};

int task_log(const MasterAddress& master, const TaskLogOptions& options, std::ostream& out, std::ostream& err);

// From a /master/state: "IP:PORT" of the agent running (or that ran) `task_id`.
Result<std::string> agent_of_task(const nlohmann::json& state, const std::string& task_id);
// From an agent's /state: the sandbox directory of `task_id`.
Result<std::string> sandbox_of_task(const nlohmann::json& state, const std::string& task_id);

}  // namespace dcos::cli
