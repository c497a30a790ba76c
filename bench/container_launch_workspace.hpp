// container-launch-bench's workspace: what the benchmark makes outside
// itself (a directory with the sandboxes, the root file system, the
// runtimes' bundles, a tmpfs as their /run; cgroups under
// /dcos-bench-<pid> in every hierarchy), removed when it goes away, also
// after a failure.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "isolation/linux/cgroup_layout.hpp"
#include "runtime/result.hpp"

namespace dcos::bench {

// Kills what is left in the cgroup tree `top` and removes it. Returns what
// could not be removed, for the warning.
std::vector<std::string> remove_cgroup_tree(const std::string& top);

class Workspace {
 public:
  explicit Workspace(const isolation::HostCgroups& host);
  ~Workspace();
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;

  // The directory, in $TMPDIR or /var/tmp, with sandboxes/, rootfs/,
  // crun-bundle/, runc-bundle/ and run/ (a tmpfs).
  Result<void> make_dir();
  // A root file system holding a static /bin/true and the mount points.
  Result<void> make_rootfs(const std::string& true_binary);

  const std::string& dir() const { return dir_; }
  // On a tmpfs: containers/ (ours), cli/ (dcos-container's), crun/ and
  // runc/ (their --root).
  const std::string& run() const { return run_; }
  std::string rootfs() const { return dir_ + "/rootfs"; }
  // Relative to each hierarchy's mount.
  const std::string& cgroup_root() const { return cgroup_root_; }

 private:
  std::string dir_;
  std::string run_;
  std::string cgroup_root_;
  std::set<std::string> mounts_;
};

}  // namespace dcos::bench
