// Starting one container: the part of the containerizer that runs between
// fork and exec.
//
// The caller prepares a LaunchPlan (launch_plan.hpp): every path, string and
// filter the child needs, resolved and allocated in advance, because code
// that runs after fork in a multi-threaded process may not allocate or take
// locks. spawn() then forks a supervisor, which clones the container's init
// into its namespaces (and, on cgroup v2, straight into its cgroup with
// CLONE_INTO_CGROUP) sharing the supervisor's memory until the init execs,
// as vfork does (linux/clone_vm.hpp: the caller's memory is copied once, not
// twice), and then execs dcos-supervisor (supervisor/supervisor.hpp),
// which copies the init's stdout and stderr into bounded files and records
// how it ended in a status file. The supervisor outlives its caller: after
// the agent restarts, the status of a container that ended meanwhile is
// still there to read.
//
// Process tree:  caller --fork--> supervisor (setsid; execs dcos-supervisor)
//                  --clone3 (CLONE_VM|CLONE_VFORK)--> init (pid 1 in its pid
//                                                  namespace; execs the task)
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
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
// `started` is called as soon as the init's pid is known (`ended` is not
// set yet), while the init still builds its file system: the caller records
// the container there. An error from it stops the launch and is returned.
// On error nothing is left running. Thread-safe.
Result<Spawned> spawn(const LaunchPlan& plan, const std::function<Result<void>(const Spawned&)>& started,
                      std::chrono::milliseconds timeout = std::chrono::seconds(30));

// The status file the supervisor writes: "exited N" or "signaled N".
struct ExitStatus {
  std::optional<int> exit_code;
  std::optional<int> signal;
};
Result<ExitStatus> parse_exit_status(std::string_view text);

}  // namespace dcos::isolation
