// The containerizer on Linux: each container in a cgroup of its own (v2, or
// v1 where the host still has it), new pid/mount/uts/ipc namespaces, a
// seccomp filter, reduced capabilities; see launcher.hpp for the process
// tree.
//
// State lives in two places, both outside this process, so that a restart
// (even after kill -9) loses nothing:
//   <runtime_dir>/<id>/container.json  the container, written before it starts
//   <runtime_dir>/<id>/status          how it ended, from its supervisor
//   <runtime_dir>/<id>/rootfs          where its root file system is mounted
//   <scratch_dir>/<id>                 its root file system's changes
//                                      (scratch.hpp: made ahead, removed
//                                      in the background)
//   <scratch_dir>/.mount-points        the empty mount points that read-only
//                                      roots lacking them share
//   <cgroups root>/<id>                its processes
// recover() reads them back. Thread-safe.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "isolation/containerizer.hpp"
#include "isolation/linux/cgroup_layout.hpp"
#include "isolation/linux/seccomp.hpp"
#include "isolation/scratch.hpp"
#include "isolation/supervisors.hpp"

namespace dcos::isolation {

struct LinuxContainerizerOptions {
  std::string runtime_dir = "/run/dcos/containers";
  std::string image_cache = "/var/lib/dcos/images";
  // Containers with a root file system of their own keep what they write to
  // it here (<scratch_dir>/<id>), on disk rather than in /run's memory.
  std::string scratch_dir = "/var/lib/dcos/containers";
  // The dcos-supervisor binary; "" finds it: next to this program, in the
  // build tree it was built in, or in /usr/libexec/dcos.
  std::string supervisor_binary;
  // Where container cgroups live, relative to each hierarchy's mount.
  std::string cgroups_root = "/dcos";
  // The cgroup hierarchies to use; detected when not set (tests force the
  // unified one on a hybrid host).
  std::optional<HostCgroups> host;
};

class LinuxContainerizer final : public Containerizer {
 public:
  static Result<std::unique_ptr<LinuxContainerizer>> create(const LinuxContainerizerOptions& options);
  ~LinuxContainerizer() override;

  Result<ContainerInfo> launch(const ContainerSpec& spec) override;
  Result<Termination> wait(const std::string& id) override;
  Result<int> ended_fd(const std::string& id) override;
  Result<void> destroy(const std::string& id) override;
  Result<CgroupUsage> usage(const std::string& id) override;
  std::vector<ContainerInfo> containers() override;
  Result<RecoveryReport> recover() override;

  const Cgroups& cgroups() const { return *cgroups_; }

 private:
  struct Container;

  LinuxContainerizer(LinuxContainerizerOptions options, std::unique_ptr<Cgroups> cgroups);
  std::shared_ptr<Container> find(const std::string& id);
  Result<std::shared_ptr<const seccomp::Filter>> filter_for(const ContainerSpec& spec);
  std::string runtime_dir(const std::string& id) const;
  Result<void> checkpoint(const Container& container);
  // `running`: the supervisors found on the host (supervisors.hpp).
  Result<std::shared_ptr<Container>> reattach(const std::string& id,
                                              const std::map<std::string, RunningSupervisor>& running);
  // Kills and removes what is left of a container: cgroup and runtime dir;
  // its root file system's changes are discarded.
  Result<void> remove(const std::string& id);
  // Reaps the supervisors that have exited (and adds `add` to those to reap).
  void reap_exited(std::optional<pid_t> add = std::nullopt);

  const LinuxContainerizerOptions options_;
  const std::unique_ptr<Cgroups> cgroups_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<Container>, std::less<>> containers_;
  std::map<std::string, std::shared_ptr<const seccomp::Filter>, std::less<>> filters_;
  std::vector<pid_t> exiting_;  // our supervisors, done and exiting, not yet reaped
  Scratch scratch_;
};

}  // namespace dcos::isolation
