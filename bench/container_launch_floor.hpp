// The lower bounds container-launch-bench measures our containerizer
// against: what the kernel charges for a launch, with none of our code in
// the way.
//
//   fork_exec_true   fork, execve /bin/true, waitpid: a process start, for scale
//   FloorLauncher    per launch: mkdir a fresh cgroup in each hierarchy and
//                    write the limits, clone3 with CLONE_NEWPID|NEWNS|NEWUTS|
//                    NEWIPC into it (v2: CLONE_INTO_CGROUP; v1: the child
//                    writes "0" into each cgroup.procs before it execs),
//                    execve /bin/true, waitpid, rmdir
//
// Plain system calls in a loop: no library of ours. Each returns the
// launch's wall time or an error naming the call and path. Not thread-safe.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "runtime/result.hpp"

namespace dcos::bench {

// One hierarchy the floor's cgroups live in: "<mount><root>" is the parent
// directory, and each launch's cgroup gets `limits` (control file, value).
struct FloorHierarchy {
  std::string mount;  // "/sys/fs/cgroup/memory"
  std::string root;   // "/dcos-bench-123/floor"
  std::vector<std::pair<std::string, std::string>> limits;
};

struct FloorSetup {
  bool v2 = false;  // clone straight into the cgroup (one hierarchy)
  std::vector<FloorHierarchy> hierarchies;
  std::string program = "/bin/true";
};

Result<double> fork_exec_true(const std::string& program);

class FloorLauncher {
 public:
  explicit FloorLauncher(FloorSetup setup) : setup_(std::move(setup)) {}
  // Makes the parents; on v2 enables in each directory from the mount down
  // the controllers the limits need. The caller removes them.
  Result<void> prepare();
  // One launch; `index` names its cgroup ("floor-<index>").
  Result<double> launch(int index);

 private:
  FloorSetup setup_;
};

}  // namespace dcos::bench
