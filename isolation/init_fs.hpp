// The container init's file system steps (LaunchPlan::fs), run in its mount
// namespace between clone and exec: system calls only, no allocation, so
// async-signal-safe. Each returns 0 or the errno of what failed; the
// launcher reports it with the step's description.
#pragma once

#include <string>

#include "isolation/launch_plan.hpp"

namespace dcos::isolation::init_fs {

// The sandbox and its tmp/, opened in the container's mount namespace (a
// bind mount's source must be a mount of the caller's namespace).
struct SandboxFds {
  int dir = -1;
  int tmp = -1;
};

// Opens the sandbox, and its tmp/ without following a symbolic link.
int open_sandbox(const std::string& sandbox, SandboxFds& fds) noexcept;

int run_step(const FsStep& step, const SandboxFds& sandbox) noexcept;

}  // namespace dcos::isolation::init_fs
