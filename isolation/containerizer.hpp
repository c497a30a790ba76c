// The containerizer: runs a task's process tree in a container and tells
// how it ended. The agent talks to this interface only; LinuxContainerizer
// (cgroups, namespaces, seccomp) is one implementation, a Docker one is the
// other (a later issue).
//
// A container is named by its id, which is also its cgroup's name and its
// runtime directory's: [A-Za-z0-9][A-Za-z0-9_.-]{0,127} (Mesos uses UUIDs).
// Implementations are thread-safe; launch() blocks until the task has exec'd
// (or failed to), wait() until it ended.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "isolation/cgroups.hpp"
#include "isolation/linux/capabilities.hpp"
#include "runtime/result.hpp"

namespace dcos::isolation {

// Where the sandbox appears inside a container with its own root file
// system, as in Mesos.
inline constexpr const char* kSandboxInRootfs = "/mnt/mesos/sandbox";

struct ContainerSpec {
  std::string id;
  std::vector<std::string> argv;  // argv[0] is looked up on PATH in the container's file system
  std::vector<std::string> env;   // "NAME=value"; PATH, HOME, HOSTNAME and MESOS_SANDBOX are set unless given
  std::string sandbox;            // host directory, created if missing; the working directory; stdout/stderr land here
  std::string hostname;           // default: the id, cut at 63 characters
  bool new_network = false;       // a network namespace of its own (loopback only); default the host's
  std::string rootfs;             // "" for the host's file system; else a directory or a tarball (.tar, .tar.gz, ...)
  // With a rootfs: the image itself as the root, read-only (Docker's
  // --read-only), instead of a copy-on-write layer over it; /tmp, /dev and
  // the sandbox stay writable.
  bool rootfs_read_only = false;
  CgroupLimits limits;
  // A Docker-format seccomp profile (JSON text); nullopt is the default
  // profile, "unconfined" none at all.
  std::optional<std::string> seccomp_profile;
  capabilities::Set capabilities = capabilities::docker_default();
  std::string user;                    // "name", "uid", "name:group"; "" runs as the caller's user
  std::vector<std::string> rlimits;    // "nofile=1024:4096"
  uint64_t log_max_bytes = 10u << 20;  // per stream; at the bound the file rotates to stdout.1 / stderr.1
};

// How a container ended.
struct Termination {
  std::optional<int> exit_code;  // set when it exited
  std::optional<int> signal;     // set when a signal ended it
  bool oom_killed = false;       // the kernel's OOM killer ran in its cgroup: a memory limitation
  bool destroyed = false;        // ended by destroy()
  std::string message;           // for people: "exited with status 3", "memory limit (64 MiB) exceeded", ...
  CgroupUsage usage;             // as it was when the container ended
};

struct ContainerInfo {
  std::string id;
  pid_t pid = 0;  // the container's init, as the host sees it
  std::string sandbox;
  std::string cgroup;
};

struct RecoveryReport {
  std::vector<std::string> recovered;  // re-attached: wait() reports their end
  std::vector<std::string> destroyed;  // found without a record (or a supervisor), killed and removed
};

class Containerizer {
 public:
  virtual ~Containerizer() = default;

  // Checks the whole spec (limits, user, image, seccomp profile, command)
  // before anything starts: a bad spec is an error and leaves nothing behind.
  virtual Result<ContainerInfo> launch(const ContainerSpec& spec) = 0;
  // Blocks until the container ended, collects its status and usage, and
  // removes its cgroup and runtime state. Once per container.
  virtual Result<Termination> wait(const std::string& id) = 0;
  // A file descriptor that polls readable once the container ended (for an
  // event loop; then wait() returns at once). Owned by the containerizer.
  virtual Result<int> ended_fd(const std::string& id) = 0;
  // Kills the whole tree and waits until it is gone; wait() then reports
  // the end with destroyed=true.
  virtual Result<void> destroy(const std::string& id) = 0;
  virtual Result<CgroupUsage> usage(const std::string& id) = 0;
  virtual std::vector<ContainerInfo> containers() = 0;
  // After a restart of the process that launched them: re-attach to the
  // containers still running, destroy what has no record.
  virtual Result<RecoveryReport> recover() = 0;
};

}  // namespace dcos::isolation
