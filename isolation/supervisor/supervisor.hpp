// dcos-supervisor: what stays of a container's supervisor once the init is
// started. The launcher (launcher.cpp) starts a supervisor, which clones the
// container's init and then execs this small static program (without the C
// library where sys.hpp can: it starts with every container), so that each
// running container costs some KiB and not a copy-on-write copy of the
// agent that launched it. It copies the init's stdout and stderr into the
// sandbox (rotating at a bound), waits for the init, writes its status file
// ("exited N" / "signaled N", replaced whole), closes the `ended` pipe, and
// exits. It outlives the agent: after a restart the status is there.
//
//   dcos-supervisor INIT_PID STDOUT_FD STDERR_FD ENDED_FD STDOUT_PATH STDERR_PATH STATUS_PATH MAX_LOG_BYTES
//
// The fds are inherited: the read ends of the init's stdout and stderr
// pipes and the write end of the caller's `ended` pipe. MAX_LOG_BYTES 0
// means unbounded. Not a command for people; dcos-container is.
#pragma once

#include <sys/types.h>

#include <cstdint>

namespace dcos::isolation::supervisor {

inline constexpr int kArgc = 9;
// Where the init's pid and the status path are (recovery reads them from
// /proc/<pid>/cmdline: supervisors.hpp).
inline constexpr int kInitArg = 1;
inline constexpr int kStatusArg = 7;

struct Args {
  pid_t init = 0;
  int stdout_fd = -1, stderr_fd = -1, ended_fd = -1;
  const char* stdout_path = nullptr;
  const char* stderr_path = nullptr;
  const char* status_path = nullptr;
  uint64_t max_log_bytes = 0;
};

// false for anything but kArgc arguments of the right shapes.
bool parse(int argc, const char* const* argv, Args& args);

// Runs to the init's end; returns the process's exit code.
int run(const Args& args);

}  // namespace dcos::isolation::supervisor
