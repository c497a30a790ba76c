// Containers' cgroups on cgroup v1: one directory "<mount><root>/<name>" in
// each hierarchy used (memory, cpu, cpuacct, pids; blkio for an IO weight;
// freezer made by destroy only when processes are left to kill; devices
// only where the device policy cannot be on the root: see dirs_for).
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <mutex>
#include <optional>
#include <set>

#include "isolation/cgroups_internal.hpp"
#include "isolation/linux/cgroup1.hpp"
#include "isolation/linux/cgroupfs.hpp"
#include "runtime/atomic_file.hpp"

namespace dcos::isolation::cgroups_internal {

namespace {

// The controllers used, required ones first.
constexpr std::string_view kRequired[] = {"memory", "freezer"};
constexpr std::string_view kOptional[] = {"cpu", "cpuacct", "pids", "blkio", "devices"};

struct Hierarchy {
  std::string mount;
  std::set<std::string, std::less<>> controllers;  // those of ours it holds
};

class CgroupsV1 final : public Cgroups {
 public:
  CgroupsV1(std::vector<Hierarchy> hierarchies, std::string root)
      : hierarchies_(std::move(hierarchies)), root_(std::move(root)) {}

  std::string_view version() const override { return "v1"; }
  std::string path(const std::string& container) const override { return dir_of("memory", container); }

  Result<void> create(const std::string& container, const CgroupLimits& limits) override {
    if (auto valid = limits.validate(); !valid) return valid;
    if (auto valid = check_name(container); !valid) return valid;
    if (auto available = check_controllers(limits); !available) return available;
    auto inherited = devices_policy_on_root();
    if (!inherited) return inherited.error();
    std::vector<std::string> made;
    Result<void> done = [&]() -> Result<void> {
      for (const auto& dir : dirs_for(container, limits, *inherited)) {
        if (::mkdir(dir.c_str(), 0755) != 0) {
          if (errno == EEXIST) return Error{"cgroup '" + dir + "' already exists"};
          // The root is made with the first container, so that opening
          // changes nothing on the host.
          if (errno != ENOENT) return errno_error("mkdir '" + dir + "'");
          if (auto root = make_directories(dir.substr(0, dir.rfind('/'))); !root) return root;
          if (auto created = cgroup1::create(dir); !created) return created;
        }
        made.push_back(dir);
      }
      return apply(container, limits, *inherited);
    }();
    if (!done)
      for (auto it = made.rbegin(); it != made.rend(); ++it) (void)cgroup1::remove(*it);
    return done;
  }

  Result<UniqueFd> open_for_clone(const std::string& container) override {
    if (auto valid = check_name(container); !valid) return valid.error();
    return UniqueFd();
  }

  std::vector<View> views(const std::string& container, const CgroupLimits& limits) const override {
    std::vector<View> out;
    for (const auto& each : hierarchies_) {
      // A devices cgroup of its own holds no limit a program reads.
      if (alone(each, "devices") || !made_for(each, limits, false)) continue;
      out.push_back({each.mount.substr(each.mount.rfind('/') + 1), each.mount + root_ + "/" + container});
    }
    return out;
  }

  std::vector<std::string> procs_files(const std::string& container) const override {
    std::vector<std::string> out;
    for (const auto& dir : joined(container)) out.push_back(dir + "/" + std::string(cgroup1::file::kProcs));
    return out;
  }

  Result<void> add_process(const std::string& container, pid_t pid) override {
    if (auto valid = check_name(container); !valid) return valid;
    for (const auto& dir : joined(container))
      if (auto added = cgroup1::add_process(dir, pid); !added && cgroupfs::exists(dir)) return added;
    return {};
  }

  Result<std::vector<pid_t>> processes(const std::string& container) override {
    if (auto valid = check_name(container); !valid) return valid.error();
    std::vector<pid_t> out;
    for (const auto& dir : dirs(container)) {
      auto pids = cgroup1::processes(dir);
      if (!pids && !cgroupfs::exists(dir)) continue;  // a container made half (list() finds those)
      if (!pids) return pids.error();
      out.insert(out.end(), pids->begin(), pids->end());
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }

  Result<CgroupUsage> usage(const std::string& container) override {
    if (auto valid = check_name(container); !valid) return valid.error();
    CgroupUsage out;
    if (has("cpuacct")) {
      auto time = cgroup1::cpuacct::usage(dir_of("cpuacct", container));
      if (!time) return time.error();
      out.cpu_time = std::chrono::duration_cast<std::chrono::microseconds>(*time);
    }
    if (has("cpu")) {
      auto throttled = cgroup1::cpu::nr_throttled(dir_of("cpu", container));
      if (!throttled) return throttled.error();
      out.cpu_throttled_periods = *throttled;
    }
    const std::string memory = dir_of("memory", container);
    auto current = cgroup1::memory::usage(memory);
    if (!current) return current.error();
    out.memory_current = *current;
    auto peak = cgroup1::memory::max_usage(memory);
    if (!peak) return peak.error();
    out.memory_peak = *peak;
    auto kills = cgroup1::memory::oom_kills(memory);
    if (!kills) return kills.error();
    out.oom_kills = *kills;
    if (has("pids")) {
      auto pids = cgroup1::pids::current(dir_of("pids", container));
      if (!pids) return pids.error();
      out.pids_current = *pids;
    }
    return out;
  }

  Result<void> destroy(const std::string& container, std::chrono::milliseconds timeout) override {
    if (auto valid = check_name(container); !valid) return valid;
    return cgroup1::destroy(dirs(container), dir_of("freezer", container), timeout);
  }

  Result<std::vector<std::string>> list() override {
    std::set<std::string> names;
    for (const auto& hierarchy : hierarchies_) {
      auto own = own_cgroup(*hierarchy.controllers.begin());
      if (!own) return own.error();
      auto children = child_cgroups(hierarchy.mount + root_, hierarchy.mount + *own);
      if (!children) return children.error();
      names.insert(children->begin(), children->end());
    }
    return std::vector<std::string>(names.begin(), names.end());
  }

 private:
  bool has(std::string_view controller) const {
    return std::any_of(hierarchies_.begin(), hierarchies_.end(),
                       [&](const Hierarchy& each) { return each.controllers.contains(controller); });
  }

  // The container's directory in the hierarchy of `controller`, which exists.
  std::string dir_of(std::string_view controller, const std::string& container) const {
    for (const auto& each : hierarchies_)
      if (each.controllers.contains(controller)) return each.mount + root_ + "/" + container;
    return "";
  }

  // The container's directories that exist: create made those dirs_for
  // names; blkio, the freezer and devices, where alone in their hierarchy,
  // are looked for (one stat each: a container of an older version has a
  // devices cgroup of its own).
  std::vector<std::string> dirs(const std::string& container) const {
    std::vector<std::string> out;
    for (const auto& each : hierarchies_) {
      std::string dir = each.mount + root_ + "/" + container;
      if (!made_on_demand(each) || cgroupfs::exists(dir)) out.push_back(std::move(dir));
    }
    return out;
  }

  // The cgroups a container's process joins: its directories, and the
  // root where the device policy is on it and the container has no devices
  // cgroup of its own.
  std::vector<std::string> joined(const std::string& container) const {
    std::vector<std::string> out;
    for (const auto& each : hierarchies_) {
      std::string dir = each.mount + root_ + "/" + container;
      if (!made_on_demand(each) || cgroupfs::exists(dir))
        out.push_back(std::move(dir));
      else if (alone(each, "devices"))
        out.push_back(each.mount + root_);
    }
    return out;
  }

  static bool alone(const Hierarchy& hierarchy, std::string_view controller) {
    return hierarchy.controllers.size() == 1 && hierarchy.controllers.contains(controller);
  }

  bool made_on_demand(const Hierarchy& hierarchy) const {
    return alone(hierarchy, "blkio") || alone(hierarchy, "freezer") ||
           (alone(hierarchy, "devices") && devices_on_root());
  }

  // The directories a container with these limits gets (each costs a
  // mkdir, a join and an rmdir at every launch): a blkio cgroup only for an
  // IO weight; none in a hierarchy of the freezer alone: destroy makes that
  // one if processes are left to kill (cgroup1::destroy); none in one of
  // the devices controller alone when the policy is on the root: the
  // container joins the root, whose rules are the same as its own would be.
  std::vector<std::string> dirs_for(const std::string& container, const CgroupLimits& limits,
                                    bool devices_inherited) const {
    std::vector<std::string> out;
    for (const auto& each : hierarchies_)
      if (made_for(each, limits, devices_inherited)) out.push_back(each.mount + root_ + "/" + container);
    return out;
  }

  // Whether dirs_for makes a directory in `hierarchy`.
  static bool made_for(const Hierarchy& hierarchy, const CgroupLimits& limits, bool devices_inherited) {
    if (alone(hierarchy, "blkio") && !limits.io_weight) return false;
    if (alone(hierarchy, "freezer")) return false;
    return !(alone(hierarchy, "devices") && devices_inherited);
  }

  bool devices_on_root() const {
    std::lock_guard lock(devices_mutex_);
    return devices_on_root_.value_or(false);
  }

  std::string devices_root() const {
    std::string root = dir_of("devices", "");
    root.pop_back();  // the "/" before the (empty) container name
    return root;
  }

  Result<void> check_controllers(const CgroupLimits& limits) const {
    const auto need = [&](bool wanted, std::string_view controller) -> Result<void> {
      if (!wanted || has(controller)) return {};
      return Error{std::string(controller) + " limit requested but the " + std::string(controller) +
                   " controller is not available: no v1 hierarchy of it is mounted (/proc/self/mountinfo)"};
    };
    if (auto ok = need(limits.cpus || limits.cpu_quota, "cpu"); !ok) return ok;
    return need(limits.pids_max.has_value(), "pids");
  }

  static const std::vector<std::string>& device_rules() {
    static const std::vector<std::string> rules = [] {
      std::vector<std::string> out;
      for (const auto& rule : default_devices()) out.push_back(device_rule_text(rule));
      std::sort(out.begin(), out.end());
      return out;
    }();
    return rules;
  }

  static Result<void> limit_devices(const std::string& cgroup) {
    if (auto done = cgroup1::devices::deny(cgroup, "a"); !done) return done;
    return cgroup1::devices::allow(cgroup, device_rules());
  }

  // A v1 devices cgroup starts with a copy of its parent's rules: with the
  // policy on our root, a container's cgroup has it from its mkdir and a
  // launch writes no rules. The kernel refuses to change a default while
  // the cgroup has children, so a root that has children and other rules
  // (from an older version) leaves the rules to each container. Decided
  // once; false without a devices hierarchy.
  Result<bool> devices_policy_on_root() {
    std::lock_guard lock(devices_mutex_);
    if (devices_on_root_) return *devices_on_root_;
    if (!has("devices")) return *(devices_on_root_ = false);
    const std::string root = devices_root();
    if (!cgroupfs::exists(root))
      if (auto made = make_directories(root); !made) return made.error();
    const auto rules = [&]() -> Result<std::vector<std::string>> {
      auto listed = cgroup1::devices::list(root);
      if (listed) std::sort(listed->begin(), listed->end());
      return listed;
    };
    auto listed = rules();
    if (!listed) return listed.error();
    if (*listed != device_rules()) {
      auto below = cgroupfs::subtree(root);
      if (!below) return below.error();
      if (below->size() > 1) return *(devices_on_root_ = false);
      // Refused while the kernel still counts a just removed child as
      // online: this launch writes its own rules, the next one tries again.
      if (auto done = limit_devices(root); !done) {
        (void)cgroup1::devices::allow(root, "a");  // as it was, should "deny a" have passed
        return false;
      }
      listed = rules();
      if (!listed) return listed.error();
      if (*listed != device_rules())
        return Error{"'" + root + "': devices.list does not show the rules just written to it"};
    }
    return *(devices_on_root_ = true);
  }

  Result<void> apply(const std::string& container, const CgroupLimits& limits, bool devices_inherited) const {
    const std::string memory = dir_of("memory", container);
    if (limits.memory_max)
      if (auto done = cgroup1::memory::set_limit(memory, *limits.memory_max); !done) return done;
    if (limits.memory_high)
      if (auto done = cgroup1::memory::set_soft_limit(memory, *limits.memory_high); !done) return done;
    if (limits.cpus)
      if (auto done = cgroup1::cpu::set_shares(dir_of("cpu", container), cpu_shares(*limits.cpus)); !done) return done;
    if (limits.cpu_quota)
      if (auto done = cgroup1::cpu::set_cfs_quota(dir_of("cpu", container), cpu_quota(*limits.cpu_quota)); !done)
        return done;
    if (limits.pids_max)
      if (auto done = cgroup1::pids::set_max(dir_of("pids", container), *limits.pids_max); !done) return done;
    if (has("devices") && !devices_inherited)
      if (auto done = limit_devices(dir_of("devices", container)); !done) return done;
    if (limits.io_weight && has("blkio") && cgroup1::blkio::has_weight(dir_of("blkio", container)))
      if (auto done = cgroup1::blkio::set_weight(dir_of("blkio", container), blkio_weight(*limits.io_weight)); !done)
        return done;
    return {};
  }

  std::vector<Hierarchy> hierarchies_;
  std::string root_;
  mutable std::mutex devices_mutex_;
  std::optional<bool> devices_on_root_;
};

}  // namespace

Result<std::unique_ptr<Cgroups>> open_v1(const CgroupMounts& mounts, const std::string& root) {
  std::vector<Hierarchy> hierarchies;
  const auto add = [&](std::string_view controller, bool required) -> Result<void> {
    auto mount = mounts.v1.find(controller);
    if (mount == mounts.v1.end()) {
      if (!required) return {};
      return Error{"no v1 '" + std::string(controller) +
                   "' hierarchy is mounted (/proc/self/mountinfo); the v1 containerizer needs memory and freezer"};
    }
    auto same = std::find_if(hierarchies.begin(), hierarchies.end(),
                             [&](const Hierarchy& each) { return each.mount == mount->second; });
    if (same == hierarchies.end()) same = hierarchies.insert(hierarchies.end(), Hierarchy{mount->second, {}});
    same->controllers.emplace(controller);
    return {};
  };
  for (std::string_view controller : kRequired)
    if (auto added = add(controller, true); !added) return added.error();
  for (std::string_view controller : kOptional)
    if (auto added = add(controller, false); !added) return added.error();
  return std::unique_ptr<Cgroups>(std::make_unique<CgroupsV1>(std::move(hierarchies), root));
}

}  // namespace dcos::isolation::cgroups_internal
