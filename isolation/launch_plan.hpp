// Everything a container's child processes need, decided before fork.
//
// plan_launch() turns a ContainerSpec into a LaunchPlan: the user and the
// rlimits resolved, the command found on PATH in the container's file
// system, the mount steps listed in order, the paths of the log and status
// files spelled out. Each problem with the spec is an error here, before
// anything starts. The plan is a plain value; spawn() (launcher.hpp) runs
// it. Thread-safe.
#pragma once

#include <sched.h>
#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "isolation/containerizer.hpp"
#include "isolation/linux/capabilities.hpp"
#include "isolation/linux/rlimits.hpp"
#include "isolation/linux/seccomp.hpp"
#include "isolation/linux/user.hpp"
#include "runtime/result.hpp"

namespace dcos::isolation {

// One file system step in the child, in its mount namespace.
struct FsStep {
  // read_only: bind `target` on itself and make it read-only, with what is
  // mounted below it; mask: hide `target` (/dev/null over a file, an empty
  // read-only tmpfs over a directory; `source` is the one tried first,
  // "/dev/null" or "tmpfs"). Both skip a target that does not exist (it
  // differs by kernel). device: make `target` the character
  // device `device` (`source` names it), mode 0666 (the init runs its steps
  // with umask 0): cheaper than a bind mount of the host's node, to make
  // and to unmount.
  enum class Kind { mount, mkdir, symlink, pivot_root, chdir, read_only, mask, device };
  // Where a bind mount's source (or a chdir's target) comes from: the path,
  // or the sandbox (or its tmp/) through a descriptor the child opens in
  // its mount namespace, tmp/ without following a symbolic link, so that a
  // task cannot swap a link in between a check and the mount.
  enum class From { path, sandbox, sandbox_tmp };
  Kind kind = Kind::mount;
  std::string source;  // mount source; symlink target
  std::string target;  // path acted on
  std::string fstype;
  unsigned long flags = 0;
  std::string data;
  From from = From::path;
  dev_t device = 0;  // device: its number (makedev)
  // "mount proc on '/proc'": the error message's subject.
  std::string describe() const;
};

// Where a root file system gets mounts, parents first. An image lacking
// some gets them in its overlay (made at launch, or read-only from
// LaunchContext::mount_points).
inline constexpr const char* kRootMountPoints[] = {"/proc", "/sys",       "/dev",           "/tmp",
                                                   "/mnt",  "/mnt/mesos", kSandboxInRootfs};

// What the containerizer has prepared for the launch.
struct LaunchContext {
  // This container's: its status file lives here, and its root file system
  // is mounted on rootfs/ there.
  std::string runtime_dir;
  // With a root file system: this container's directory for the overlay's
  // upper/ and work/, on disk: what the task writes to its root.
  std::string scratch_dir;
  std::string rootfs;  // the prepared root file system directory, "" for the host's
  // kRootMountPoints as an empty tree: the top layer of a read-only root
  // whose image lacks some of them.
  std::string mount_points;
  // cgroup v2: the container's cgroup directory, open, for
  // CLONE_INTO_CGROUP; -1 on v1. Owned by the caller.
  int cgroup_fd = -1;
  // The container cgroups' cgroup.procs files: the init writes "0" into
  // each where it could not be cloned into its cgroup (v1, old kernels).
  std::vector<std::string> cgroup_procs;
  // With a root file system: its cgroups as it sees them at /sys/fs/cgroup
  // (Cgroups::views); on v2 a cgroup namespace instead.
  std::vector<Cgroups::View> cgroup_views;
  bool cgroup_namespace = false;
  std::shared_ptr<const seccomp::Filter> seccomp;  // null: unconfined
  std::string supervisor;                          // the dcos-supervisor binary
};

struct LaunchPlan {
  std::string id;
  std::string executable;  // absolute, in the container's file system
  std::vector<std::string> argv;
  std::vector<std::string> env;
  std::string hostname;
  int namespaces = 0;  // CLONE_NEW* flags
  // The init unshares a cgroup namespace before its file system steps: in
  // its cgroup by then (CLONE_INTO_CGROUP), it is that namespace's root.
  // (At clone the new namespace would be rooted at the caller's cgroup.)
  bool cgroup_namespace = false;
  std::vector<FsStep> fs;
  int cgroup_fd = -1;
  std::vector<std::string> cgroup_procs;
  std::vector<Rlimit> rlimits;
  capabilities::Set capabilities = 0;
  int last_capability = capabilities::kLast;  // of the running kernel
  std::optional<User> user;
  std::shared_ptr<const seccomp::Filter> seccomp;
  std::string sandbox;
  std::string stdout_path, stderr_path;  // in the sandbox; rotated to <path>.1
  uint64_t log_max_bytes = 0;            // 0: unbounded
  std::string status_path;
  std::string supervisor;  // the dcos-supervisor binary
};

Result<void> validate_container_id(std::string_view id);

Result<LaunchPlan> plan_launch(const ContainerSpec& spec, const LaunchContext& context);

}  // namespace dcos::isolation
