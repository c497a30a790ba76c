// Where containers' cgroups live, and the limits they get: one small
// interface over cgroup v2 (cgroups_v2.cpp) and v1 (cgroups_v1.cpp), chosen
// by the host's layout. A container's cgroup is "<root>/<container>" under
// the v2 mount, or under each v1 hierarchy's mount.
//
// The launcher makes the cgroup (create), puts the child in it before it
// execs (open_for_clone with clone3(CLONE_INTO_CGROUP) on v2, add_process on
// v1), reads usage while it runs, and destroys it when the task ends. On
// start the containerizer destroys what list() finds that it has no record of.
//
// Errors name the file and errno (crun style). Thread-safe: the
// implementations hold no mutable state beyond the file system; the kernel
// serializes writes. Two callers creating the same container race on mkdir,
// and one gets "exists".
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "isolation/linux/cgroup_layout.hpp"
#include "isolation/linux/device_filter.hpp"
#include "runtime/result.hpp"
#include "runtime/unique_fd.hpp"

namespace dcos::isolation {

struct CgroupLimits {
  // Relative CPU share: v2 cpu.weight = clamp(round(cpus*100), 1, 10000);
  // v1 cpu.shares = clamp(round(cpus*1024), 2, 262144).
  std::optional<double> cpus{};
  // Hard cap in CPUs over a 100 ms period: v2 cpu.max, v1 cpu.cfs_quota_us
  // and cpu.cfs_period_us.
  std::optional<double> cpu_quota{};
  std::optional<uint64_t> memory_max{};   // bytes: v2 memory.max, v1 memory.limit_in_bytes
  std::optional<uint64_t> memory_high{};  // bytes, <= memory_max: v2 memory.high, v1 memory.soft_limit_in_bytes
  std::optional<uint64_t> pids_max{};     // v2 and v1 pids.max
  // 1..10000: v2 io.weight, v1 blkio.weight (or blkio.bfq.weight) =
  // clamp(io_weight*5, 10, 1000), so that the defaults (100, 500) match, as
  // systemd maps them. Not applied where the host has no IO weights: the
  // one limit that is best effort.
  std::optional<uint32_t> io_weight{};

  // cpus and cpu_quota finite and within 0.01..65536, memory_max >= 4 MiB,
  // memory_high <= memory_max, pids_max >= 1, io_weight 1..10000. The
  // error names the field and its value.
  Result<void> validate() const;
};

// The devices a container may use, as Docker allows them: create any node
// (mknod), open only null, zero, full, random, urandom, tty, ptmx and the
// pseudo-terminals. Enforced by the v1 devices controller or, on v2, a
// BPF_CGROUP_DEVICE program; a host device node (a disk) opens nothing.
const std::vector<DeviceRule>& default_devices();
// "c 1:3 rwm", as the v1 devices.allow file takes it.
std::string device_rule_text(const DeviceRule& rule);

// The conversions above, in one place (tested).
uint32_t cpu_weight(double cpus);                  // v2 cpu.weight
uint64_t cpu_shares(double cpus);                  // v1 cpu.shares
std::chrono::microseconds cpu_quota(double cpus);  // per 100 ms period
uint32_t blkio_weight(uint32_t io_weight);         // v1

struct CgroupUsage {
  std::chrono::microseconds cpu_time{0};  // v2 cpu.stat usage_usec, v1 cpuacct.usage
  uint64_t cpu_throttled_periods = 0;     // cpu.stat nr_throttled (0 without a cpu controller)
  uint64_t memory_current = 0;            // v2 memory.current, v1 memory.usage_in_bytes
  std::optional<uint64_t> memory_peak{};  // v2 memory.peak (5.19+), v1 memory.max_usage_in_bytes
  uint64_t pids_current = 0;              // pids.current
  uint64_t oom_kills = 0;  // v2 memory.events oom_kill (or oom_group_kill), v1 memory.oom_control oom_kill
};

class Cgroups {
 public:
  virtual ~Cgroups() = default;

  virtual std::string_view version() const = 0;  // "v2" or "v1"
  // For messages and JSON: the v2 directory, or the v1 memory one.
  virtual std::string path(const std::string& container) const = 0;

  // Makes a fresh cgroup for the container (an error if it exists) with its
  // limits; on any failure removes what it made. Validates the limits first
  // and checks the name (not empty, no '/', not "." or ".."). A limit whose
  // controller this host lacks is an error naming the controller and the
  // cgroup, except io_weight, which is then not applied.
  virtual Result<void> create(const std::string& container, const CgroupLimits& limits) = 0;

  // v2: an O_DIRECTORY|O_CLOEXEC fd of the container's cgroup, for
  // clone3(CLONE_INTO_CGROUP). v1: an empty UniqueFd; the caller then uses
  // add_process before the child execs.
  virtual Result<UniqueFd> open_for_clone(const std::string& container) = 0;
  // What a container with a root file system of its own sees of its
  // cgroups at /sys/fs/cgroup, read-only, so that its programs find their
  // limits (a JVM sizes its heap from them). v1: each hierarchy's
  // directory of the container that create() makes for `limits` (devices
  // and the freezer left out), named as the hierarchy's mount ("memory",
  // "cpu,cpuacct"), bound there. v2: none; the container gets a cgroup
  // namespace rooted at its cgroup and the cgroup2 file system.
  struct View {
    std::string name;
    std::string dir;
  };
  virtual std::vector<View> views(const std::string& container, const CgroupLimits& limits) const = 0;
  // The cgroup.procs file of the container's cgroup in every hierarchy: a
  // child that was not cloned into its cgroup writes "0" into each before
  // it execs (the launcher's child may not allocate, so it gets paths).
  virtual std::vector<std::string> procs_files(const std::string& container) const = 0;
  // Moves `pid` into the container's cgroup, in every hierarchy.
  virtual Result<void> add_process(const std::string& container, pid_t pid) = 0;
  // The processes in the container's cgroup (v1: in any of its hierarchies).
  virtual Result<std::vector<pid_t>> processes(const std::string& container) = 0;
  // Counters; those of a controller the host lacks read 0 (or nullopt).
  virtual Result<CgroupUsage> usage(const std::string& container) = 0;

  // Kills the whole tree (v2: cgroup.kill, falling back to freeze and kill;
  // v1: freeze, kill, thaw), waits (bounded) until it is empty, and removes
  // the cgroup (and any below it) in every hierarchy. Success if it does not
  // exist.
  virtual Result<void> destroy(const std::string& container,
                               std::chrono::milliseconds timeout = std::chrono::seconds(10)) = 0;

  // Names of the container cgroups under the root (v1: the union across
  // hierarchies), for recovery. A cgroup holding the calling process (such
  // as the agent's own leaf from enter_delegated_leaf) is never listed.
  virtual Result<std::vector<std::string>> list() = 0;
};

// The host's cgroups for containers under `root`, a path relative to each
// hierarchy's mount ("/dcos", "/system.slice/dcos-agent.service"), made
// with the first container (opening changes nothing on the host). The root should be for containers only: list() names
// every other cgroup in it.
//
// Which implementation: v2 on a unified host, and on a hybrid one whose v1
// hierarchies lack memory; v1 otherwise (hybrid and legacy hosts keep the
// controllers there).
//
// v2 enables cpu, memory, pids and io, those available, in the root's
// cgroup.subtree_control, and in its ancestors' where one is not available
// and enabling it is possible; what cannot be enabled is reported by
// create() when a limit needs it.
//
// v1 uses the hierarchies memory, freezer, cpu, cpuacct, pids and blkio,
// each once (co-mounted ones such as cpu,cpuacct share a directory).
// memory and freezer are required: memory because containers need memory
// limits and OOM accounting, and path() names that directory; freezer
// because destroy without it races with forks. A container gets its
// freezer cgroup only from a destroy that finds processes to kill (they
// are moved into it, then frozen): one that ended by itself never needs
// it, and a launch makes and joins one cgroup fewer. The others are
// optional; a limit needing a missing one is an error at create().
Result<std::unique_ptr<Cgroups>> open_cgroups(const HostCgroups& host, const std::string& root);

// systemd delegation (Delegate=yes). On v2 (the v2 implementation would be
// chosen) the calling process moves every process of its own cgroup <own>
// into the leaf "<own>/<leaf>", so that controllers can be enabled in <own>
// (the no-internal-process rule), and returns <own> as the root for
// containers, which become siblings of the leaf. Already in a cgroup named
// <leaf>, it returns that cgroup's parent and moves nothing (the agent
// restarted without systemd moving it back).
//
// On v1 it moves nothing (v1 has no no-internal-process rule) and returns
// the process's own path in the memory hierarchy: systemd delegates the
// same path in every hierarchy, and containers below it are charged to the
// agent's unit.
//
// An error if the process sits in a root cgroup "/": that is no delegation,
// and moving the root's processes would move the whole host.
Result<std::string> enter_delegated_leaf(const HostCgroups& host, const std::string& leaf = "agent");

}  // namespace dcos::isolation
