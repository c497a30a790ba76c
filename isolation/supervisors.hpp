// Finding the containers' supervisors after a restart, by their command
// lines rather than by pids the launcher recorded.
//
// The launcher records a container before it clones anything (launcher.hpp),
// so the record cannot hold the supervisor's pid, and a caller killed after
// the clone leaves no later record. What identifies a supervisor instead is
// its command line: dcos-supervisor's arguments name the container's status
// file (supervisor/supervisor.hpp), a path no other process has, and the
// init's pid. recover() scans /proc once for them.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>

#include "runtime/unique_fd.hpp"

namespace dcos::isolation {

struct RunningSupervisor {
  pid_t pid = 0;
  pid_t init = 0;
};

// The dcos-supervisor processes running now, by the status path in their
// arguments. Processes that end or start meanwhile may be missed; a
// supervisor that exec'd dcos-supervisor before the scan is not.
std::map<std::string, RunningSupervisor> find_supervisors();

// A pidfd of `pid` if it is still the supervisor of `status_path` once the
// pidfd is open (so a pid reused meanwhile is not taken for it); else none.
UniqueFd open_supervisor(pid_t pid, const std::string& status_path);

}  // namespace dcos::isolation
