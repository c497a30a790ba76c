// Runs checks in a forked child under a seccomp filter, the way the
// launcher installs one (fork, no_new_privs, install, then the syscalls);
// the child reports through its exit code: 0, or the number of the first
// check that failed.
#pragma once

#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "isolation/linux/seccomp.hpp"

namespace dcos::isolation::seccomp {

// What a child's exit code means beyond the checks' own numbers.
inline constexpr int kNoNewPrivsFailed = 100;
inline constexpr int kInstallFailed = 101;

// Returns the exit code, or 200 + the signal that ended the child.
inline int run_filtered(const Filter& filter, int (*checks)()) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) ::_exit(kNoNewPrivsFailed);
    if (install(filter) != 0) ::_exit(kInstallFailed);
    ::_exit(checks());
  }
  int status = 0;
  if (pid < 0 || ::waitpid(pid, &status, 0) != pid) return -1;
  if (WIFSIGNALED(status)) return 200 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

// Whether a raw syscall failed with `error`.
inline bool fails_with(long result, int error) { return result == -1 && errno == error; }

}  // namespace dcos::isolation::seccomp
