// cgroup v2: the kernel's interface, as small named functions over the
// control files of one cgroup directory (a path under a cgroup2 mount).
// No policy here: which limits a task gets is the containerizer's business.
//
// Every error names the operation, the file and the errno:
//   "write '/sys/fs/cgroup/x/memory.max': Device or resource busy".
// Thread-safe (no state of its own); the kernel serializes writes.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "isolation/linux/cgroupfs.hpp"
#include "runtime/result.hpp"

namespace dcos::isolation::cgroup2 {

// Control file names, in one place.
namespace file {
inline constexpr std::string_view kProcs = "cgroup.procs";
inline constexpr std::string_view kControllers = "cgroup.controllers";
inline constexpr std::string_view kSubtreeControl = "cgroup.subtree_control";
inline constexpr std::string_view kEvents = "cgroup.events";
inline constexpr std::string_view kFreeze = "cgroup.freeze";
inline constexpr std::string_view kKill = "cgroup.kill";
inline constexpr std::string_view kMemoryMax = "memory.max";
inline constexpr std::string_view kMemoryHigh = "memory.high";
inline constexpr std::string_view kMemoryCurrent = "memory.current";
inline constexpr std::string_view kMemoryPeak = "memory.peak";
inline constexpr std::string_view kMemoryEvents = "memory.events";
inline constexpr std::string_view kCpuWeight = "cpu.weight";
inline constexpr std::string_view kCpuMax = "cpu.max";
inline constexpr std::string_view kCpuStat = "cpu.stat";
inline constexpr std::string_view kPidsMax = "pids.max";
inline constexpr std::string_view kPidsCurrent = "pids.current";
inline constexpr std::string_view kIoWeight = "io.weight";
}  // namespace file

// "key value" lines (cgroup.events, memory.events, cpu.stat) as a map.
// A line that is not two fields with a number is an error naming it.
using cgroupfs::parse_flat_keyed;

Result<void> create(const std::string& cgroup);
Result<void> remove(const std::string& cgroup);  // rmdir: must be empty

Result<std::set<std::string>> controllers(const std::string& cgroup);
// The controllers enabled for the children of `cgroup`.
Result<std::set<std::string>> subtree_control(const std::string& cgroup);
// Enables controllers for the children of `cgroup` ("+memory +pids").
Result<void> enable_controllers(const std::string& cgroup, const std::set<std::string>& names);

Result<void> add_process(const std::string& cgroup, pid_t pid);
Result<std::vector<pid_t>> processes(const std::string& cgroup);
Result<bool> populated(const std::string& cgroup);  // any process here or below
Result<void> freeze(const std::string& cgroup, bool frozen);
Result<bool> frozen(const std::string& cgroup);
// SIGKILL to every process here and below, at once (kernel 5.14+).
Result<void> kill(const std::string& cgroup);

// Kills everything in the cgroup and below, waits (bounded) until it is
// empty, and removes it with any child cgroups. Without cgroup.kill (kernels
// before 5.14) it freezes, kills each process, and thaws, so nothing forks
// away in between.
Result<void> destroy(const std::string& cgroup, std::chrono::milliseconds timeout = std::chrono::seconds(10));

namespace memory {
// nullopt means "max" (no limit).
Result<void> set_max(const std::string& cgroup, std::optional<uint64_t> bytes);
Result<void> set_high(const std::string& cgroup, std::optional<uint64_t> bytes);
Result<uint64_t> current(const std::string& cgroup);
Result<uint64_t> peak(const std::string& cgroup);       // kernel 5.19+
Result<uint64_t> oom_kills(const std::string& cgroup);  // memory.events oom_kill
// memory.events oom_group_kill (5.16+): OOM kills of the whole group, with
// memory.oom.group set; nullopt where the kernel lacks the key.
Result<std::optional<uint64_t>> oom_group_kills(const std::string& cgroup);
}  // namespace memory

namespace cpu {
Result<void> set_weight(const std::string& cgroup, uint32_t weight);  // 1..10000
// A hard quota: `quota` of CPU time per `period`; nullopt quota is "max".
Result<void> set_max(const std::string& cgroup, std::optional<std::chrono::microseconds> quota,
                     std::chrono::microseconds period = std::chrono::microseconds(100000));
Result<std::chrono::microseconds> usage(const std::string& cgroup);  // cpu.stat usage_usec
// cpu.stat nr_throttled: periods in which the quota ran out (cpu controller).
Result<uint64_t> nr_throttled(const std::string& cgroup);
}  // namespace cpu

namespace pids {
Result<void> set_max(const std::string& cgroup, std::optional<uint64_t> max);
Result<uint64_t> current(const std::string& cgroup);
}  // namespace pids

namespace io {
// Proportional weight for the cgroup's IO, 1..10000 ("default N" in
// io.weight; the file exists where the kernel has an io weight policy).
Result<void> set_weight(const std::string& cgroup, uint32_t weight);
}  // namespace io

}  // namespace dcos::isolation::cgroup2
