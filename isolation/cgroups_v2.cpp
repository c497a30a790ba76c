// Containers' cgroups on cgroup v2: one directory "<mount><root>/<name>".
#include <fcntl.h>

#include <algorithm>
#include <mutex>

#include "isolation/cgroups_internal.hpp"
#include "isolation/linux/cgroup2.hpp"
#include "isolation/linux/cgroupfs.hpp"
#include "runtime/atomic_file.hpp"

namespace dcos::isolation::cgroups_internal {

namespace {

// The controllers containers may need, enabled in the root where possible.
const std::set<std::string> kWanted = {"cpu", "io", "memory", "pids"};

// The controller each requested limit needs; io is best effort.
std::vector<std::string_view> required_controllers(const CgroupLimits& limits) {
  std::vector<std::string_view> out;
  if (limits.cpus || limits.cpu_quota) out.push_back("cpu");
  if (limits.memory_max || limits.memory_high) out.push_back("memory");
  if (limits.pids_max) out.push_back("pids");
  return out;
}

Result<void> apply(const std::string& cgroup, const CgroupLimits& limits, bool has_io) {
  if (limits.cpus)
    if (auto done = cgroup2::cpu::set_weight(cgroup, cpu_weight(*limits.cpus)); !done) return done;
  if (limits.cpu_quota)
    if (auto done = cgroup2::cpu::set_max(cgroup, cpu_quota(*limits.cpu_quota)); !done) return done;
  if (limits.memory_max)
    if (auto done = cgroup2::memory::set_max(cgroup, *limits.memory_max); !done) return done;
  if (limits.memory_high)
    if (auto done = cgroup2::memory::set_high(cgroup, *limits.memory_high); !done) return done;
  if (limits.pids_max)
    if (auto done = cgroup2::pids::set_max(cgroup, *limits.pids_max); !done) return done;
  // io.weight exists only with a weight-based IO policy (blk-iocost).
  if (limits.io_weight && has_io && cgroupfs::exists(cgroupfs::path_of(cgroup, cgroup2::file::kIoWeight)))
    if (auto done = cgroup2::io::set_weight(cgroup, *limits.io_weight); !done) return done;
  return {};
}

void enable_wanted(const std::string& mount, const std::string& root);

class CgroupsV2 final : public Cgroups {
 public:
  CgroupsV2(std::string mount, std::string root) : mount_(std::move(mount)), dir_(mount_ + root) {}

  std::string_view version() const override { return "v2"; }
  std::string path(const std::string& container) const override { return dir_ + "/" + container; }

  Result<void> create(const std::string& container, const CgroupLimits& limits) override {
    if (auto valid = limits.validate(); !valid) return valid;
    if (auto valid = check_name(container); !valid) return valid;
    const std::string cgroup = path(container);
    // The root is made with the first container, so that opening changes
    // nothing on the host.
    if (!cgroupfs::exists(dir_)) {
      if (auto made = make_directories(dir_); !made) return made;
      enable_wanted(mount_, dir_.substr(mount_.size()));
    }
    // What the children of the root get is the root's subtree_control.
    auto enabled = cgroup2::subtree_control(dir_);
    if (!enabled) return enabled.error();
    for (std::string_view controller : required_controllers(limits))
      if (!enabled->contains(std::string(controller)))
        return Error{std::string(controller) + " limit requested but the " + std::string(controller) +
                     " controller is not available in " + dir_ + " (not in its " +
                     std::string(cgroup2::file::kSubtreeControl) + ")"};
    if (cgroupfs::exists(cgroup)) return Error{"cgroup '" + cgroup + "' already exists"};
    if (auto made = cgroup2::create(cgroup); !made) return made;
    if (auto applied = apply(cgroup, limits, enabled->contains("io")); !applied) {
      (void)cgroup2::remove(cgroup);
      return applied;
    }
    if (auto limited = limit_devices(cgroup); !limited) {
      (void)cgroup2::remove(cgroup);
      return Error{"cgroup '" + cgroup + "': " + limited.error().message};
    }
    return {};
  }

  Result<UniqueFd> open_for_clone(const std::string& container) override {
    if (auto valid = check_name(container); !valid) return valid.error();
    const std::string cgroup = path(container);
    UniqueFd fd(::open(cgroup.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) return errno_error("open '" + cgroup + "'");
    return fd;
  }

  std::vector<View> views(const std::string&, const CgroupLimits&) const override { return {}; }

  std::vector<std::string> procs_files(const std::string& container) const override {
    return {path(container) + "/" + std::string(cgroup2::file::kProcs)};
  }

  Result<void> add_process(const std::string& container, pid_t pid) override {
    if (auto valid = check_name(container); !valid) return valid;
    return cgroup2::add_process(path(container), pid);
  }

  Result<std::vector<pid_t>> processes(const std::string& container) override {
    if (auto valid = check_name(container); !valid) return valid.error();
    return cgroup2::processes(path(container));
  }

  Result<CgroupUsage> usage(const std::string& container) override {
    if (auto valid = check_name(container); !valid) return valid.error();
    const std::string cgroup = path(container);
    auto controllers = cgroup2::controllers(cgroup);
    if (!controllers) return controllers.error();
    CgroupUsage out;
    // cpu.stat usage_usec is there with or without the cpu controller.
    auto cpu_time = cgroup2::cpu::usage(cgroup);
    if (!cpu_time) return cpu_time.error();
    out.cpu_time = *cpu_time;
    if (controllers->contains("cpu")) {
      auto throttled = cgroup2::cpu::nr_throttled(cgroup);
      if (!throttled) return throttled.error();
      out.cpu_throttled_periods = *throttled;
    }
    if (controllers->contains("memory")) {
      auto current = cgroup2::memory::current(cgroup);
      if (!current) return current.error();
      out.memory_current = *current;
      if (cgroupfs::exists(cgroupfs::path_of(cgroup, cgroup2::file::kMemoryPeak))) {
        auto peak = cgroup2::memory::peak(cgroup);
        if (!peak) return peak.error();
        out.memory_peak = *peak;
      }
      auto kills = cgroup2::memory::oom_kills(cgroup);
      if (!kills) return kills.error();
      auto group_kills = cgroup2::memory::oom_group_kills(cgroup);
      if (!group_kills) return group_kills.error();
      out.oom_kills = std::max(*kills, group_kills->value_or(0));
    }
    if (controllers->contains("pids")) {
      auto current = cgroup2::pids::current(cgroup);
      if (!current) return current.error();
      out.pids_current = *current;
    }
    return out;
  }

  Result<void> destroy(const std::string& container, std::chrono::milliseconds timeout) override {
    if (auto valid = check_name(container); !valid) return valid;
    const std::string cgroup = path(container);
    if (!cgroupfs::exists(cgroup)) return {};
    auto destroyed = cgroup2::destroy(cgroup, timeout);
    // Gone meanwhile (another destroy won the race) is what we wanted.
    if (!destroyed && !cgroupfs::exists(cgroup)) return {};
    return destroyed;
  }

  Result<std::vector<std::string>> list() override {
    auto own = own_cgroup("");
    if (!own) return own.error();
    return child_cgroups(dir_, mount_ + *own);
  }

 private:
  // The default device policy (cgroups.hpp) as a BPF program, loaded with
  // the first container and attached to each.
  Result<void> limit_devices(const std::string& cgroup) {
    int program = -1;
    {
      std::lock_guard lock(program_mutex_);
      if (!program_) {
        auto loaded = device_filter::load(device_filter::program(default_devices()));
        if (!loaded) return loaded.error();
        program_ = std::move(*loaded);
      }
      program = program_.get();
    }
    UniqueFd dir(::open(cgroup.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir) return errno_error("open '" + cgroup + "'");
    return device_filter::attach(dir.get(), program);
  }

  std::string mount_;
  std::string dir_;
  std::mutex program_mutex_;
  UniqueFd program_;
};

// Enables the wanted controllers level by level from the mount down to the
// root, each where it is available but not yet enabled. A level that
// refuses (a non-root cgroup with processes of its own, or controllers
// systemd has not delegated) is left as it is: create() names what is
// missing when a limit needs it.
void enable_wanted(const std::string& mount, const std::string& root) {
  std::string level = mount;
  std::string_view rest = root;
  for (;;) {
    auto available = cgroup2::controllers(level);
    auto enabled = cgroup2::subtree_control(level);
    if (!available || !enabled) return;
    for (const auto& name : kWanted)
      if (available->contains(name) && !enabled->contains(name)) (void)cgroup2::enable_controllers(level, {name});
    if (rest.empty()) return;
    rest.remove_prefix(1);  // the '/'
    const auto slash = rest.find('/');
    level.append("/").append(rest.substr(0, slash));
    rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
  }
}

}  // namespace

Result<std::unique_ptr<Cgroups>> open_v2(const std::string& mount, const std::string& root) {
  if (cgroupfs::exists(mount + root)) enable_wanted(mount, root);
  return std::unique_ptr<Cgroups>(std::make_unique<CgroupsV2>(mount, root));
}

}  // namespace dcos::isolation::cgroups_internal
