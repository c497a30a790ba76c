// Starting one container: the part of the containerizer that runs between
// fork and exec.
//
// The caller prepares a LaunchPlan (launch_plan.hpp): every path, string and
// filter the child needs, resolved and allocated in advance, because code
// that runs after fork in a multi-threaded process may not allocate or take
// locks. spawn() then starts a supervisor, which clones the container's
// init into its namespaces (and, on cgroup v2, straight into its cgroup
// with CLONE_INTO_CGROUP) and then execs dcos-supervisor
// (supervisor/supervisor.hpp), which copies the init's stdout and stderr
// into bounded files and records how it ended in a status file. Both
// children run on the caller's memory until their exec, as posix_spawn's
// child does (linux/clone_vm.hpp): the caller's memory is never copied.
// The init waits for the supervisor's exec before it does anything (joins
// its v1 cgroups, builds its file system, runs the task), so that a
// container with a process in it has a supervisor that names it on its
// command line (supervisors.hpp). The supervisor outlives its caller:
// after the agent restarts, the status of a container that ended
// meanwhile is still there to read.
//
// Process tree:  caller --clone3 (CLONE_VM|CLONE_VFORK)--> supervisor
//                  (setsid; execs dcos-supervisor)
//                  --clone3 (CLONE_VM)--> init (pid 1 in its pid namespace;
//                             waits for the supervisor's exec; execs the task)
// (Where clone_vm lacks the instructions for the architecture: fork and
// clone3 without CLONE_VM.)
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>

#include "isolation/launch_plan.hpp"
#include "runtime/result.hpp"
#include "runtime/unique_fd.hpp"

namespace dcos::isolation {

struct Spawned {
  pid_t supervisor = 0;
  pid_t init = 0;  // as the host sees it
  // Readable (end of file) once the container ended and its status is
  // written: the supervisor closes it then, before its own exit, so that
  // the caller need not wait for that. The supervisor is still the
  // caller's child, to reap (it exits right after).
  UniqueFd ended;
};

// Returns once the task has exec'd, or with the error of the step that
// failed in the child ("mount proc on '/proc': Operation not permitted").
// The caller records the container before it calls spawn(): from the
// clone on, the task may run, and a caller killed before spawn() returns
// leaves a record for its successor to find the container by (the
// supervisor's command line names the status file; see
// find_supervisors()). On error nothing is left running. Thread-safe.
// `timeout` bounds the wait for the init's exec (a step of it that hangs
// is killed with it).
Result<Spawned> spawn(const LaunchPlan& plan, std::chrono::milliseconds timeout = std::chrono::seconds(30));

// The status file the supervisor writes: "exited N" or "signaled N".
struct ExitStatus {
  std::optional<int> exit_code;
  std::optional<int> signal;
};
Result<ExitStatus> parse_exit_status(std::string_view text);

}  // namespace dcos::isolation
