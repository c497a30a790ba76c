#include "isolation/linux/cgroup1.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <iterator>
#include <thread>

#include "isolation/linux/cgroupfs.hpp"
#include "runtime/atomic_file.hpp"

namespace dcos::isolation::cgroup1 {

using cgroupfs::read_key;
using cgroupfs::read_number;
using cgroupfs::write_control;

namespace {

constexpr auto kPoll = std::chrono::milliseconds(1);

// v1 files take -1 for "no limit".
std::string limit_text(std::optional<uint64_t> value) { return value ? std::to_string(*value) : "-1"; }

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

// The processes of every existing cgroup in `cgroups` and below, once each.
Result<std::vector<pid_t>> all_processes(const std::vector<std::string>& cgroups) {
  std::vector<pid_t> out;
  for (const auto& cgroup : cgroups) {
    if (!cgroupfs::exists(cgroup)) continue;
    auto pids = cgroupfs::subtree_processes(cgroup);
    if (!pids) return pids.error();
    out.insert(out.end(), pids->begin(), pids->end());
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

// rmdir of each cgroup in order, up to the first the kernel refuses
// (EBUSY: it has a process or a child); true if none is left. Nothing is
// read first: the usual cgroup, empty, costs its rmdir alone. One that does
// not exist counts as removed. Stopping at the first refusal keeps the
// rest for a launch in progress, whose init joins them in this order: a
// cgroup removed before it got there would fail its join.
bool remove_if_empty(const std::vector<std::string>& cgroups) {
  for (const auto& cgroup : cgroups)
    if (::rmdir(cgroup.c_str()) != 0 && errno != ENOENT) return false;
  return true;
}

Result<void> kill_all(const std::vector<pid_t>& pids) {
  for (pid_t pid : pids)
    if (::kill(pid, SIGKILL) != 0 && errno != ESRCH) return errno_error("kill " + std::to_string(pid));
  return {};
}

// Moves every process of `cgroups` into `freezer` (made here, with its
// parents), repeating until a read finds none left outside it. False when
// some stay outside (one exiting, or a fork faster than the moves, for
// kMaxGatherRounds): the caller then kills without freezing.
constexpr int kMaxGatherRounds = 100;
Result<bool> gather_into(const std::vector<std::string>& cgroups, const std::string& freezer,
                         std::chrono::steady_clock::time_point deadline) {
  if (::mkdir(freezer.c_str(), 0755) != 0 && errno != EEXIST) {
    if (errno != ENOENT) return errno_error("mkdir '" + freezer + "'");
    if (auto made = make_directories(freezer); !made) return made.error();
  }
  for (int round = 0; round < kMaxGatherRounds && std::chrono::steady_clock::now() < deadline; ++round) {
    auto pids = all_processes(cgroups);
    if (!pids) return pids.error();
    auto frozen = cgroupfs::processes(freezer);
    if (!frozen) return frozen.error();
    std::sort(frozen->begin(), frozen->end());
    std::vector<pid_t> outside;
    std::set_difference(pids->begin(), pids->end(), frozen->begin(), frozen->end(), std::back_inserter(outside));
    if (outside.empty()) return true;
    // One that ended meanwhile cannot move (ESRCH): the next read tells.
    for (pid_t pid : outside) (void)add_process(freezer, pid);
  }
  return false;
}

}  // namespace

Result<void> create(const std::string& cgroup) { return cgroupfs::create(cgroup); }

Result<void> remove(const std::string& cgroup) { return cgroupfs::remove(cgroup); }

Result<void> add_process(const std::string& cgroup, pid_t pid) {
  return write_control(cgroup, file::kProcs, std::to_string(pid));
}

Result<std::vector<pid_t>> processes(const std::string& cgroup) { return cgroupfs::processes(cgroup); }

Result<void> destroy(const std::vector<std::string>& cgroups, const std::string& freezer,
                     std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const auto left = [&] {
    return std::max(std::chrono::milliseconds(0),
                    std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
  };
  // The usual case: the task's init ended and took its pid namespace with
  // it, so each cgroup is empty and has no children; an rmdir each does.
  // Anything else (a process left, a cgroup below) takes the long way.
  if (remove_if_empty(cgroups)) return {};
  auto before = all_processes(cgroups);
  if (!before) return before.error();
  std::vector<std::string> all = cgroups;
  bool freezer_usable = true;
  if (!freezer.empty() && std::find(all.begin(), all.end(), freezer) == all.end()) {
    bool gathered = false;
    if (!before->empty()) {
      // Where that fails, the kills below repeat without a freezer.
      auto moved = gather_into(cgroups, freezer, deadline);
      gathered = moved && *moved;
    }
    all.push_back(freezer);
    if (!gathered) freezer_usable = false;
  }
  const bool freezable = freezer_usable && !freezer.empty() && cgroupfs::exists(freezer);
  if (freezable && !before->empty()) {
    // Frozen, nothing can fork between our reading the lists and the kills;
    // the kills land when the cgroup thaws.
    if (auto frozen = freezer::freeze(freezer, left()); !frozen) return frozen;
    auto pids = all_processes(all);
    if (pids) {
      if (auto killed = kill_all(*pids); !killed) pids = killed.error();
    }
    auto thawed = freezer::thaw(freezer);
    if (!pids) return pids.error();
    if (!thawed) return thawed;
  }
  for (bool first = true;; first = false) {
    auto pids = first && before->empty() ? std::move(before) : all_processes(all);
    if (!pids) return pids.error();
    if (pids->empty()) break;
    if (std::chrono::steady_clock::now() >= deadline)
      return Error{"destroy '" + (freezable ? freezer : cgroups.front()) + "': " + std::to_string(pids->size()) +
                   " processes remain after " + std::to_string(timeout.count()) + "ms"};
    // Without a freezer a process may have forked since the list was read.
    if (!freezable)
      if (auto killed = kill_all(*pids); !killed) return killed;
    std::this_thread::sleep_for(kPoll);
  }
  for (const auto& cgroup : all) {
    if (!cgroupfs::exists(cgroup)) continue;
    if (auto removed = cgroupfs::remove_subtree(cgroup); !removed) return removed;
  }
  return {};
}

namespace freezer {

Result<void> freeze(const std::string& cgroup, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    // Writing FROZEN again retries tasks that could not be frozen yet.
    if (auto written = write_control(cgroup, file::kFreezerState, "FROZEN"); !written) return written;
    auto now = state(cgroup);
    if (!now) return now.error();
    if (*now == "FROZEN") return {};
    if (std::chrono::steady_clock::now() >= deadline) {
      (void)thaw(cgroup);
      return Error{"freeze '" + cgroup + "': still " + *now + " after " + std::to_string(timeout.count()) + "ms"};
    }
    std::this_thread::sleep_for(kPoll);
  }
}

Result<void> thaw(const std::string& cgroup) { return write_control(cgroup, file::kFreezerState, "THAWED"); }

Result<std::string> state(const std::string& cgroup) {
  auto text = cgroupfs::read_control(cgroup, file::kFreezerState);
  if (!text) return text.error();
  return trimmed(std::move(*text));
}

}  // namespace freezer

namespace memory {
Result<void> set_limit(const std::string& cgroup, std::optional<uint64_t> bytes) {
  return write_control(cgroup, file::kMemoryLimit, limit_text(bytes));
}
Result<void> set_soft_limit(const std::string& cgroup, std::optional<uint64_t> bytes) {
  return write_control(cgroup, file::kMemorySoftLimit, limit_text(bytes));
}
Result<uint64_t> usage(const std::string& cgroup) { return read_number(cgroup, file::kMemoryUsage); }
Result<uint64_t> max_usage(const std::string& cgroup) { return read_number(cgroup, file::kMemoryMaxUsage); }
Result<uint64_t> oom_kills(const std::string& cgroup) {
  auto control = cgroupfs::read_flat_keyed(cgroup, file::kMemoryOomControl);
  if (!control) return control.error();
  if (auto it = control->find("oom_kill"); it != control->end()) return it->second;
  auto failures = read_number(cgroup, file::kMemoryFailcnt);
  if (!failures) return failures.error();
  return uint64_t{*failures > 0 ? 1u : 0u};
}
}  // namespace memory

namespace cpu {
Result<void> set_shares(const std::string& cgroup, uint64_t shares) {
  if (shares < 2 || shares > 262144) return Error{"cpu shares " + std::to_string(shares) + " are outside 2-262144"};
  return write_control(cgroup, file::kCpuShares, std::to_string(shares));
}
Result<void> set_cfs_quota(const std::string& cgroup, std::optional<std::chrono::microseconds> quota,
                           std::chrono::microseconds period) {
  // The period first: the kernel checks the quota against the current one.
  if (auto written = write_control(cgroup, file::kCpuCfsPeriod, std::to_string(period.count())); !written)
    return written;
  return write_control(cgroup, file::kCpuCfsQuota, quota ? std::to_string(quota->count()) : std::string("-1"));
}
Result<uint64_t> nr_throttled(const std::string& cgroup) { return read_key(cgroup, file::kCpuStat, "nr_throttled"); }
Result<std::chrono::nanoseconds> throttled_time(const std::string& cgroup) {
  auto value = read_key(cgroup, file::kCpuStat, "throttled_time");
  if (!value) return value.error();
  return std::chrono::nanoseconds(*value);
}
}  // namespace cpu

namespace cpuacct {
Result<std::chrono::nanoseconds> usage(const std::string& cgroup) {
  auto value = read_number(cgroup, file::kCpuacctUsage);
  if (!value) return value.error();
  return std::chrono::nanoseconds(*value);
}
}  // namespace cpuacct

namespace pids {
Result<void> set_max(const std::string& cgroup, std::optional<uint64_t> max) {
  return write_control(cgroup, file::kPidsMax, max ? std::to_string(*max) : std::string("max"));
}
Result<uint64_t> current(const std::string& cgroup) { return read_number(cgroup, file::kPidsCurrent); }
}  // namespace pids

namespace blkio {
bool has_weight(const std::string& cgroup) {
  return cgroupfs::exists(cgroupfs::path_of(cgroup, file::kBlkioWeight)) ||
         cgroupfs::exists(cgroupfs::path_of(cgroup, file::kBlkioBfqWeight));
}
Result<void> set_weight(const std::string& cgroup, uint32_t weight) {
  if (weight < 10 || weight > 1000) return Error{"blkio weight " + std::to_string(weight) + " is outside 10-1000"};
  if (cgroupfs::exists(cgroupfs::path_of(cgroup, file::kBlkioWeight)))
    return write_control(cgroup, file::kBlkioWeight, std::to_string(weight));
  if (cgroupfs::exists(cgroupfs::path_of(cgroup, file::kBlkioBfqWeight)))
    return write_control(cgroup, file::kBlkioBfqWeight, std::to_string(weight));
  return Error{"'" + cgroup + "' has neither " + std::string(file::kBlkioWeight) + " nor " +
               std::string(file::kBlkioBfqWeight) + " (the IO scheduler has no weights)"};
}
}  // namespace blkio

namespace devices {
Result<void> deny(const std::string& cgroup, const std::string& rule) {
  return cgroupfs::write_control(cgroup, file::kDevicesDeny, rule);
}
Result<void> allow(const std::string& cgroup, const std::string& rule) {
  return cgroupfs::write_control(cgroup, file::kDevicesAllow, rule);
}
Result<std::vector<std::string>> list(const std::string& cgroup) {
  auto text = cgroupfs::read_control(cgroup, file::kDevicesList);
  if (!text) return text.error();
  std::vector<std::string> rules;
  std::string_view rest = *text;
  while (!rest.empty()) {
    const auto end = rest.find('\n');
    if (const auto line = rest.substr(0, end); !line.empty()) rules.emplace_back(line);
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
  }
  return rules;
}
Result<void> allow(const std::string& cgroup, const std::vector<std::string>& rules) {
  const std::string path = cgroupfs::path_of(cgroup, file::kDevicesAllow);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno_error("open '" + path + "'");
  for (const auto& rule : rules) {
    if (::write(fd, rule.data(), rule.size()) != static_cast<ssize_t>(rule.size())) {
      const Error error = errno_error("write '" + rule + "' to '" + path + "'");
      ::close(fd);
      return error;
    }
  }
  ::close(fd);
  return {};
}
}  // namespace devices

}  // namespace dcos::isolation::cgroup1
