// cgroup v1: the kernel's interface, as small named functions over the
// control files of one cgroup directory (a path under one v1 hierarchy's
// mount, such as /sys/fs/cgroup/memory/dcos/c1). Each controller is its own
// hierarchy, so a container has one such directory per hierarchy; destroy()
// takes that set. No policy here: which limits a task gets is the
// containerizer's business.
//
// Every error names the operation, the file and the errno:
//   "write '/sys/fs/cgroup/memory/x/memory.limit_in_bytes': Device or resource busy".
// Thread-safe (no state of its own); the kernel serializes writes.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/result.hpp"

namespace dcos::isolation::cgroup1 {

// Control file names, in one place.
namespace file {
inline constexpr std::string_view kProcs = "cgroup.procs";
inline constexpr std::string_view kDevicesAllow = "devices.allow";
inline constexpr std::string_view kDevicesDeny = "devices.deny";
inline constexpr std::string_view kDevicesList = "devices.list";
inline constexpr std::string_view kFreezerState = "freezer.state";
inline constexpr std::string_view kMemoryLimit = "memory.limit_in_bytes";
inline constexpr std::string_view kMemorySoftLimit = "memory.soft_limit_in_bytes";
inline constexpr std::string_view kMemoryUsage = "memory.usage_in_bytes";
inline constexpr std::string_view kMemoryMaxUsage = "memory.max_usage_in_bytes";
inline constexpr std::string_view kMemoryOomControl = "memory.oom_control";
inline constexpr std::string_view kMemoryFailcnt = "memory.failcnt";
inline constexpr std::string_view kCpuShares = "cpu.shares";
inline constexpr std::string_view kCpuCfsQuota = "cpu.cfs_quota_us";
inline constexpr std::string_view kCpuCfsPeriod = "cpu.cfs_period_us";
inline constexpr std::string_view kCpuStat = "cpu.stat";
inline constexpr std::string_view kCpuacctUsage = "cpuacct.usage";
inline constexpr std::string_view kPidsMax = "pids.max";
inline constexpr std::string_view kPidsCurrent = "pids.current";
inline constexpr std::string_view kBlkioWeight = "blkio.weight";         // CFQ (kernels before 5.0)
inline constexpr std::string_view kBlkioBfqWeight = "blkio.bfq.weight";  // BFQ
}  // namespace file

Result<void> create(const std::string& cgroup);
Result<void> remove(const std::string& cgroup);  // rmdir: must be empty

Result<void> add_process(const std::string& cgroup, pid_t pid);
Result<std::vector<pid_t>> processes(const std::string& cgroup);  // this cgroup only

// Kills every process in `cgroups` (one container's directories, one per
// hierarchy, in the order its init joins them, and the cgroups below
// them), waits (bounded) until they are empty, and removes them. `freezer`
// is the container's directory in the freezer hierarchy, or "" where the
// host has none: with it, the processes are frozen, killed and thawed, so
// nothing forks away between our reading the list and the kills; without
// it the kills repeat until the cgroups stay empty. A freezer directory
// that does not exist is made when processes remain, and they are moved
// into it first (until a read of the lists finds none outside it: a child
// forked meanwhile follows its parent there, or shows in the next read),
// so a container need not have one while it runs. Directories that do not
// exist are skipped.
Result<void> destroy(const std::vector<std::string>& cgroups, const std::string& freezer,
                     std::chrono::milliseconds timeout = std::chrono::seconds(10));

namespace freezer {
// Writes FROZEN and waits (bounded) until freezer.state says FROZEN; a
// cgroup stuck in FREEZING past the timeout is thawed again and an error.
Result<void> freeze(const std::string& cgroup, std::chrono::milliseconds timeout = std::chrono::seconds(5));
Result<void> thaw(const std::string& cgroup);
Result<std::string> state(const std::string& cgroup);  // THAWED, FREEZING or FROZEN
}  // namespace freezer

namespace memory {
// nullopt means no limit (written as -1).
Result<void> set_limit(const std::string& cgroup, std::optional<uint64_t> bytes);
Result<void> set_soft_limit(const std::string& cgroup, std::optional<uint64_t> bytes);
Result<uint64_t> usage(const std::string& cgroup);
Result<uint64_t> max_usage(const std::string& cgroup);
// OOM kills in this cgroup: "oom_kill N" of memory.oom_control (kernel
// 4.13+). Older kernels lack the key; then 1 if memory.failcnt > 0 (the
// limit was hit, which at the hard limit is where the OOM killer runs), else 0.
Result<uint64_t> oom_kills(const std::string& cgroup);
}  // namespace memory

namespace cpu {
Result<void> set_shares(const std::string& cgroup, uint64_t shares);  // 2..262144
// A hard quota: `quota` of CPU time per `period`; nullopt quota is -1 (none).
Result<void> set_cfs_quota(const std::string& cgroup, std::optional<std::chrono::microseconds> quota,
                           std::chrono::microseconds period = std::chrono::microseconds(100000));
Result<uint64_t> nr_throttled(const std::string& cgroup);                    // cpu.stat
Result<std::chrono::nanoseconds> throttled_time(const std::string& cgroup);  // cpu.stat
}  // namespace cpu

namespace cpuacct {
Result<std::chrono::nanoseconds> usage(const std::string& cgroup);  // cpuacct.usage
}  // namespace cpuacct

namespace pids {
Result<void> set_max(const std::string& cgroup, std::optional<uint64_t> max);  // nullopt is "max"
Result<uint64_t> current(const std::string& cgroup);
}  // namespace pids

namespace devices {
// One rule ("a", "c 1:3 rwm") each.
Result<void> deny(const std::string& cgroup, const std::string& rule);
Result<void> allow(const std::string& cgroup, const std::string& rule);
// The cgroup's rules as the kernel lists them ("c 1:3 rwm", one a line).
Result<std::vector<std::string>> list(const std::string& cgroup);
// Several rules through one open file (the file takes one rule a write).
Result<void> allow(const std::string& cgroup, const std::vector<std::string>& rules);
}  // namespace devices

namespace blkio {
// Whether this cgroup has a weight file: blkio.weight (CFQ) or
// blkio.bfq.weight (BFQ); neither exists with other IO schedulers.
bool has_weight(const std::string& cgroup);
// 10..1000, written to whichever of the two files exists.
Result<void> set_weight(const std::string& cgroup, uint32_t weight);
}  // namespace blkio

}  // namespace dcos::isolation::cgroup1
