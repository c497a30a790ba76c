#include "isolation/linux/cgroup2.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

namespace dcos::isolation::cgroup2 {

using cgroupfs::path_of;
using cgroupfs::read_key;
using cgroupfs::read_number;
using cgroupfs::write_control;

namespace {

std::string limit_text(std::optional<uint64_t> value) { return value ? std::to_string(*value) : "max"; }

}  // namespace

Result<void> create(const std::string& cgroup) { return cgroupfs::create(cgroup); }

Result<void> remove(const std::string& cgroup) { return cgroupfs::remove(cgroup); }

namespace {

// A space-separated list of controller names, as in cgroup.controllers.
Result<std::set<std::string>> read_names(const std::string& cgroup, std::string_view file) {
  auto text = cgroupfs::read_control(cgroup, file);
  if (!text) return text.error();
  std::set<std::string> out;
  std::string_view rest = *text;
  while (!rest.empty()) {
    const auto end = rest.find_first_of(" \n");
    if (end != 0) out.emplace(rest.substr(0, end));
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end + 1);
  }
  return out;
}

}  // namespace

Result<std::set<std::string>> controllers(const std::string& cgroup) { return read_names(cgroup, file::kControllers); }

Result<std::set<std::string>> subtree_control(const std::string& cgroup) {
  return read_names(cgroup, file::kSubtreeControl);
}

Result<void> enable_controllers(const std::string& cgroup, const std::set<std::string>& names) {
  std::string request;
  for (const auto& name : names) request += (request.empty() ? "+" : " +") + name;
  return write_control(cgroup, file::kSubtreeControl, request);
}

Result<void> add_process(const std::string& cgroup, pid_t pid) {
  return write_control(cgroup, file::kProcs, std::to_string(pid));
}

Result<std::vector<pid_t>> processes(const std::string& cgroup) { return cgroupfs::processes(cgroup); }

Result<bool> populated(const std::string& cgroup) {
  auto value = read_key(cgroup, file::kEvents, "populated");
  if (!value) return value.error();
  return *value != 0;
}

Result<void> freeze(const std::string& cgroup, bool frozen) {
  return write_control(cgroup, file::kFreeze, frozen ? "1" : "0");
}

Result<bool> frozen(const std::string& cgroup) {
  auto value = read_key(cgroup, file::kEvents, "frozen");
  if (!value) return value.error();
  return *value != 0;
}

Result<void> kill(const std::string& cgroup) { return write_control(cgroup, file::kKill, "1"); }

Result<void> destroy(const std::string& cgroup, std::chrono::milliseconds timeout) {
  // Empty (the usual case: the task's init ended and took its pid namespace
  // with it): nothing to kill.
  if (auto busy = populated(cgroup); busy && !*busy) return cgroupfs::remove_subtree(cgroup);
  const bool has_kill = ::access(path_of(cgroup, file::kKill).c_str(), F_OK) == 0;
  if (has_kill) {
    if (auto killed = kill(cgroup); !killed) return killed;
  } else {
    // Frozen, nothing can fork between our reading the list and the kills.
    if (auto done = freeze(cgroup, true); !done) return done;
    auto pids = cgroupfs::subtree_processes(cgroup);
    if (!pids) return pids.error();
    for (pid_t pid : *pids) ::kill(pid, SIGKILL);
    if (auto done = freeze(cgroup, false); !done) return done;
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto busy = populated(cgroup);
    if (!busy) return busy.error();
    if (!*busy) break;
    if (std::chrono::steady_clock::now() >= deadline)
      return Error{"destroy '" + cgroup + "': processes remain after " + std::to_string(timeout.count()) + "ms"};
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return cgroupfs::remove_subtree(cgroup);
}

namespace memory {
Result<void> set_max(const std::string& cgroup, std::optional<uint64_t> bytes) {
  return write_control(cgroup, file::kMemoryMax, limit_text(bytes));
}
Result<void> set_high(const std::string& cgroup, std::optional<uint64_t> bytes) {
  return write_control(cgroup, file::kMemoryHigh, limit_text(bytes));
}
Result<uint64_t> current(const std::string& cgroup) { return read_number(cgroup, file::kMemoryCurrent); }
Result<uint64_t> peak(const std::string& cgroup) { return read_number(cgroup, file::kMemoryPeak); }
Result<uint64_t> oom_kills(const std::string& cgroup) { return read_key(cgroup, file::kMemoryEvents, "oom_kill"); }
Result<std::optional<uint64_t>> oom_group_kills(const std::string& cgroup) {
  auto events = cgroupfs::read_flat_keyed(cgroup, file::kMemoryEvents);
  if (!events) return events.error();
  auto it = events->find("oom_group_kill");
  if (it == events->end()) return std::optional<uint64_t>{};
  return std::optional<uint64_t>{it->second};
}
}  // namespace memory

namespace cpu {
Result<void> set_weight(const std::string& cgroup, uint32_t weight) {
  if (weight < 1 || weight > 10000) return Error{"cpu weight " + std::to_string(weight) + " is outside 1-10000"};
  return write_control(cgroup, file::kCpuWeight, std::to_string(weight));
}
Result<void> set_max(const std::string& cgroup, std::optional<std::chrono::microseconds> quota,
                     std::chrono::microseconds period) {
  const std::string value =
      (quota ? std::to_string(quota->count()) : std::string("max")) + " " + std::to_string(period.count());
  return write_control(cgroup, file::kCpuMax, value);
}
Result<std::chrono::microseconds> usage(const std::string& cgroup) {
  auto value = read_key(cgroup, file::kCpuStat, "usage_usec");
  if (!value) return value.error();
  return std::chrono::microseconds(*value);
}
Result<uint64_t> nr_throttled(const std::string& cgroup) { return read_key(cgroup, file::kCpuStat, "nr_throttled"); }
}  // namespace cpu

namespace pids {
Result<void> set_max(const std::string& cgroup, std::optional<uint64_t> max) {
  return write_control(cgroup, file::kPidsMax, limit_text(max));
}
Result<uint64_t> current(const std::string& cgroup) { return read_number(cgroup, file::kPidsCurrent); }
}  // namespace pids

namespace io {
Result<void> set_weight(const std::string& cgroup, uint32_t weight) {
  if (weight < 1 || weight > 10000) return Error{"io weight " + std::to_string(weight) + " is outside 1-10000"};
  return write_control(cgroup, file::kIoWeight, "default " + std::to_string(weight));
}
}  // namespace io

}  // namespace dcos::isolation::cgroup2
