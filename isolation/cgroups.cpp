#include "isolation/cgroups.hpp"

#include <dirent.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>

#include "isolation/cgroups_internal.hpp"
#include "isolation/linux/cgroup2.hpp"
#include "isolation/linux/cgroupfs.hpp"
#include "runtime/atomic_file.hpp"

namespace dcos::isolation {

namespace {

constexpr double kMinCpus = 0.01;
constexpr double kMaxCpus = 65536;
constexpr uint64_t kMinMemory = 4u << 20;

std::string text_of(double value) {
  char buffer[64];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return ec == std::errc{} ? std::string(buffer, end) : std::string("?");
}

Result<void> check_cpus(std::string_view field, std::optional<double> value) {
  if (!value) return {};
  if (!std::isfinite(*value) || *value < kMinCpus || *value > kMaxCpus)
    return Error{std::string(field) + " " + text_of(*value) + " is outside " + text_of(kMinCpus) + "-" +
                 text_of(kMaxCpus)};
  return {};
}

// "/dcos/", "dcos" -> "/dcos"; "", "/", and ".." components are errors.
Result<std::string> normalized_root(const std::string& root) {
  std::string out;
  std::string_view rest = root;
  while (!rest.empty()) {
    const auto slash = rest.find('/');
    const std::string_view part = rest.substr(0, slash);
    if (part == "..") return Error{"cgroup root '" + root + "' must not contain '..'"};
    if (!part.empty() && part != ".") out.append("/").append(part);
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  if (out.empty()) return Error{"cgroup root '" + root + "' must be a cgroup below the mount, not the mount itself"};
  return out;
}

// The v2 implementation where v1 does not hold the memory controller.
bool uses_v2(const HostCgroups& host) {
  return host.layout == CgroupLayout::unified || (!host.mounts.v1.contains("memory") && !host.mounts.unified.empty());
}

std::string parent_of(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

// Moves every process of `from` into `to`, until none is left (a process
// may fork while we move its parent). Bounded.
Result<void> move_all(const std::string& from, const std::string& to) {
  for (int round = 0; round < 1000; ++round) {
    auto pids = cgroupfs::processes(from);
    if (!pids) return pids.error();
    if (pids->empty()) return {};
    for (pid_t pid : *pids) {
      auto moved = cgroup2::add_process(to, pid);
      // A process that exited meanwhile is gone (ESRCH); that is fine.
      if (!moved && cgroupfs::exists("/proc/" + std::to_string(pid))) return moved;
    }
  }
  return Error{"move the processes of '" + from + "' to '" + to + "': they keep coming"};
}

}  // namespace

Result<void> CgroupLimits::validate() const {
  if (auto checked = check_cpus("cpus", cpus); !checked) return checked;
  if (auto checked = check_cpus("cpu_quota", cpu_quota); !checked) return checked;
  if (memory_max && *memory_max < kMinMemory)
    return Error{"memory_max " + std::to_string(*memory_max) + " is below 4 MiB (" + std::to_string(kMinMemory) +
                 " bytes)"};
  if (memory_high && memory_max && *memory_high > *memory_max)
    return Error{"memory_high " + std::to_string(*memory_high) + " is above memory_max " + std::to_string(*memory_max)};
  if (pids_max && *pids_max < 1) return Error{"pids_max 0 is below 1"};
  if (io_weight && (*io_weight < 1 || *io_weight > 10000))
    return Error{"io_weight " + std::to_string(*io_weight) + " is outside 1-10000"};
  return {};
}

uint32_t cpu_weight(double cpus) { return static_cast<uint32_t>(std::clamp(std::llround(cpus * 100), 1LL, 10000LL)); }

uint64_t cpu_shares(double cpus) { return static_cast<uint64_t>(std::clamp(std::llround(cpus * 1024), 2LL, 262144LL)); }

std::chrono::microseconds cpu_quota(double cpus) { return std::chrono::microseconds(std::llround(cpus * 100000)); }

uint32_t blkio_weight(uint32_t io_weight) { return std::clamp(io_weight * 5u, 10u, 1000u); }

const std::vector<DeviceRule>& default_devices() {
  static const std::vector<DeviceRule> rules = {
      {'c', -1, -1, "m"}, {'b', -1, -1, "m"},     // mknod of anything
      {'c', 1, 3, "rwm"}, {'c', 1, 5, "rwm"},     // null, zero
      {'c', 1, 7, "rwm"}, {'c', 1, 8, "rwm"},     // full, random
      {'c', 1, 9, "rwm"}, {'c', 5, 0, "rwm"},     // urandom, tty
      {'c', 5, 2, "rwm"}, {'c', 136, -1, "rwm"},  // ptmx, pts/*
  };
  return rules;
}

std::string device_rule_text(const DeviceRule& rule) {
  const auto number = [](int64_t n) { return n < 0 ? std::string("*") : std::to_string(n); };
  return std::string(1, rule.type) + " " + number(rule.major) + ":" + number(rule.minor) + " " + rule.access;
}

Result<std::unique_ptr<Cgroups>> open_cgroups(const HostCgroups& host, const std::string& root) {
  auto relative = normalized_root(root);
  if (!relative) return relative.error();
  if (uses_v2(host)) {
    if (host.mounts.unified.empty()) return Error{"no cgroup2 mount on a unified host"};
    return cgroups_internal::open_v2(host.mounts.unified, *relative);
  }
  return cgroups_internal::open_v1(host.mounts, *relative);
}

Result<std::string> enter_delegated_leaf(const HostCgroups& host, const std::string& leaf) {
  if (auto checked = cgroups_internal::check_name(leaf); !checked) return checked.error();
  const bool v2 = uses_v2(host);
  auto own = cgroups_internal::own_cgroup(v2 ? "" : "memory");
  if (!own) return own.error();
  if (*own == "/")
    return Error{
        "this process sits in the root cgroup: no delegated cgroup to use (run it as a systemd unit "
        "with Delegate=yes, or give a root for containers)"};
  if (!v2) return *own;

  const std::string& mount = host.mounts.unified;
  if (own->ends_with("/" + leaf)) return parent_of(*own);
  const std::string leaf_dir = mount + *own + "/" + leaf;
  if (!cgroupfs::exists(leaf_dir))
    if (auto made = cgroup2::create(leaf_dir); !made) return made.error();
  if (auto moved = move_all(mount + *own, leaf_dir); !moved) return moved.error();
  return *own;
}

namespace cgroups_internal {

Result<void> check_name(const std::string& container) {
  if (container.empty() || container == "." || container == ".." || container.find('/') != std::string::npos ||
      container.find('\0') != std::string::npos)
    return Error{"'" + container + "' is not a cgroup name (one path component, not '.' or '..')"};
  return {};
}

Result<std::string> own_cgroup(std::string_view controller) {
  auto text = read_file("/proc/self/cgroup");
  if (!text) return text.error();
  auto entries = parse_process_cgroups(*text);
  if (!entries) return Error{"/proc/self/cgroup: " + entries.error().message};
  for (const auto& entry : *entries) {
    const bool match = controller.empty() ? entry.hierarchy == 0 && entry.controllers.empty()
                                          : std::find(entry.controllers.begin(), entry.controllers.end(), controller) !=
                                                entry.controllers.end();
    if (match) return entry.path;
  }
  const std::string name = controller.empty() ? std::string("cgroup2") : std::string(controller);
  return Error{"/proc/self/cgroup has no " + name + " hierarchy"};
}

Result<std::vector<std::string>> child_cgroups(const std::string& dir, const std::string& own) {
  std::unique_ptr<DIR, int (*)(DIR*)> handle(::opendir(dir.c_str()), &::closedir);
  if (!handle && errno == ENOENT) return std::vector<std::string>{};  // no container made yet
  if (!handle) return errno_error("opendir '" + dir + "'");
  std::vector<std::string> out;
  errno = 0;
  while (const dirent* entry = ::readdir(handle.get())) {
    const std::string name = entry->d_name;
    if (entry->d_type != DT_DIR || name == "." || name == "..") continue;
    const std::string child = dir + "/" + name;
    if (own == child || own.starts_with(child + "/")) continue;
    out.push_back(name);
  }
  if (errno != 0) return errno_error("readdir '" + dir + "'");
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace cgroups_internal

}  // namespace dcos::isolation
