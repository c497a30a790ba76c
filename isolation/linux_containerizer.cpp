#include "isolation/linux_containerizer.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "isolation/image.hpp"
#include "isolation/launch_plan.hpp"
#include "isolation/launcher.hpp"
#include "isolation/supervisors.hpp"
#include "runtime/atomic_file.hpp"
#include "runtime/log.hpp"

namespace dcos::isolation {

struct LinuxContainerizer::Container {
  ContainerInfo info;
  std::optional<uint64_t> memory_max;  // for the message of an OOM kill
  pid_t supervisor = 0;
  bool our_child = false;  // launched by this process: reap the supervisor
  // Readable once the container ended: the launcher's pipe, a pidfd of a
  // recovered supervisor, or an eventfd already set.
  UniqueFd ended;
  std::mutex mutex;  // guards what follows
  bool destroyed = false;
  std::optional<CgroupUsage> final_usage;  // read before destroy removed the cgroup
  std::optional<Termination> termination;
};

namespace {

constexpr const char* kCheckpoint = "container.json";
constexpr const char* kStatus = "status";

// mkdir(path), with its parents made (`mode`) only where it failed for
// want of them: a launch's directories usually have theirs, and walking
// every component costs a mkdir and a stat each. Returns the errno of the
// final mkdir (0, EEXIST, ...), or the error of making a parent.
Result<int> mkdir_with_parents(const std::string& path, int mode) {
  if (::mkdir(path.c_str(), static_cast<mode_t>(mode)) == 0) return 0;
  const auto slash = path.rfind('/');
  if (errno != ENOENT || slash == 0 || slash == std::string::npos) return errno;
  if (auto made = make_directories(path.substr(0, slash), mode); !made) return made.error();
  return ::mkdir(path.c_str(), static_cast<mode_t>(mode)) == 0 ? 0 : errno;
}

// Makes the sandbox and its tmp/ if missing. The task can write its
// sandbox, and an earlier task may have left tmp/ as a symbolic link: it is
// opened without following one, so that the mode is set on the directory
// itself and a link is an error before the launch. (The container's init
// opens it the same way again, in its own mount namespace, to mount it.)
Result<void> prepare_sandbox(const std::string& path, const std::optional<User>& user) {
  auto made = mkdir_with_parents(path, 0755);
  if (!made) return made.error();
  if (*made != 0 && *made != EEXIST) return Error{"mkdir '" + path + "': " + std::strerror(*made)};
  UniqueFd dir(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir) return errno_error("open sandbox '" + path + "'");
  if (::mkdirat(dir.get(), "tmp", 01777) < 0 && errno != EEXIST) return errno_error("mkdir '" + path + "/tmp'");
  UniqueFd tmp(::openat(dir.get(), "tmp", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!tmp) {
    if (errno == ELOOP || errno == ENOTDIR)
      return Error{"sandbox '" + path + "': tmp/ is not a directory (a symbolic link?); refusing to use it"};
    return errno_error("open '" + path + "/tmp'");
  }
  if (::fchmod(tmp.get(), 01777) < 0) return errno_error("chmod '" + path + "/tmp'");
  // The task's user owns its sandbox, as in Mesos.
  if (user && ::fchown(dir.get(), user->uid, user->gid) < 0) return errno_error("chown '" + path + "'");
  return {};
}

UniqueFd already_ended() {
  UniqueFd fd(::eventfd(1, EFD_CLOEXEC));
  return fd;
}

std::string mib(uint64_t bytes) { return std::to_string(bytes >> 20) + " MiB"; }

Termination termination_of(const std::optional<ExitStatus>& status, const CgroupUsage& usage, bool destroyed,
                           std::optional<uint64_t> memory_max) {
  Termination t;
  t.usage = usage;
  // A container that exited before destroy() reached it keeps its status.
  t.destroyed = destroyed && !(status && status->exit_code);
  if (status) {
    t.exit_code = status->exit_code;
    t.signal = status->signal;
  }
  t.oom_killed = usage.oom_kills > 0 && t.exit_code != 0;
  if (t.oom_killed) {
    t.message = "memory limit" + (memory_max ? " (" + mib(*memory_max) + ")" : std::string()) +
                " exceeded: the OOM killer ended " + (t.signal ? "it" : "a process of it");
  } else if (destroyed) {
    t.message = "destroyed";
  } else if (t.exit_code) {
    t.message = "exited with status " + std::to_string(*t.exit_code);
  } else if (t.signal) {
    t.message = std::string("killed by signal ") + std::to_string(*t.signal) + " (" + ::strsignal(*t.signal) + ")";
  } else {
    t.message = "ended, but its supervisor recorded no status";
  }
  return t;
}

}  // namespace

namespace {

// clone3 with CLONE_INTO_CGROUP (5.7), close_range with CLOSE_RANGE_CLOEXEC
// (5.11), mount_setattr (5.12): older kernels get one clear error here
// rather than a failure in a child.
Result<void> check_kernel() {
  utsname host{};
  ::uname(&host);
  unsigned major = 0, minor = 0;
  if (std::sscanf(host.release, "%u.%u", &major, &minor) != 2)
    return Error{"cannot read the kernel version from '" + std::string(host.release) + "'"};
  if (major < 5 || (major == 5 && minor < 12))
    return Error{"kernel " + std::string(host.release) + " is older than 5.12, which the containerizer needs"};
  return {};
}

}  // namespace

// Where dcos-supervisor is, unless the options say.
Result<std::string> find_supervisor(const std::string& configured) {
  if (!configured.empty()) {
    if (::access(configured.c_str(), X_OK) != 0) return errno_error("supervisor '" + configured + "'");
    return configured;
  }
  std::vector<std::string> candidates;
  std::error_code error;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", error);
  if (!error) candidates.push_back((self.parent_path() / "dcos-supervisor").string());
  candidates.push_back(DCOS_SUPERVISOR_BUILD_PATH);
  candidates.push_back("/usr/libexec/dcos/dcos-supervisor");
  for (const auto& candidate : candidates) {
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  std::string looked;
  for (const auto& candidate : candidates) looked += (looked.empty() ? "" : ", ") + candidate;
  return Error{"cannot find dcos-supervisor (looked in " + looked + ")"};
}

Result<std::unique_ptr<LinuxContainerizer>> LinuxContainerizer::create(const LinuxContainerizerOptions& options) {
  if (auto checked = check_kernel(); !checked) return checked.error();
  auto supervisor = find_supervisor(options.supervisor_binary);
  if (!supervisor) return supervisor.error();
  auto host = options.host ? Result<HostCgroups>(*options.host) : detect_host_cgroups();
  if (!host) return host.error();
  auto cgroups = open_cgroups(*host, options.cgroups_root);
  if (!cgroups) return cgroups.error();
  LinuxContainerizerOptions resolved = options;
  resolved.supervisor_binary = std::move(*supervisor);
  return std::unique_ptr<LinuxContainerizer>(new LinuxContainerizer(std::move(resolved), std::move(*cgroups)));
}

LinuxContainerizer::LinuxContainerizer(LinuxContainerizerOptions options, std::unique_ptr<Cgroups> cgroups)
    : options_(std::move(options)), cgroups_(std::move(cgroups)), scratch_(options_.scratch_dir) {}

LinuxContainerizer::~LinuxContainerizer() {
  // Containers outlive the containerizer (the agent restarts and recovers
  // them). Supervisors of ended containers are exiting: reap them.
  for (pid_t pid : exiting_) ::waitpid(pid, nullptr, 0);
}

void LinuxContainerizer::reap_exited(std::optional<pid_t> add) {
  std::lock_guard lock(mutex_);
  if (add) exiting_.push_back(*add);
  std::erase_if(exiting_, [](pid_t pid) { return ::waitpid(pid, nullptr, WNOHANG) != 0; });
}

std::string LinuxContainerizer::runtime_dir(const std::string& id) const { return options_.runtime_dir + "/" + id; }

std::shared_ptr<LinuxContainerizer::Container> LinuxContainerizer::find(const std::string& id) {
  std::lock_guard lock(mutex_);
  auto it = containers_.find(id);
  return it == containers_.end() ? nullptr : it->second;
}

// Compiling a profile costs about a millisecond; containers share filters.
constexpr std::size_t kMaxCachedFilters = 64;
Result<std::shared_ptr<const seccomp::Filter>> LinuxContainerizer::filter_for(const ContainerSpec& spec) {
  if (spec.seccomp_profile && *spec.seccomp_profile == "unconfined") return std::shared_ptr<const seccomp::Filter>();
  const std::string key = std::to_string(spec.capabilities) + "\n" + spec.seccomp_profile.value_or("default");
  {
    std::lock_guard lock(mutex_);
    if (auto it = filters_.find(key); it != filters_.end()) return it->second;
  }
  Result<seccomp::Profile> profile = seccomp::default_profile();
  if (spec.seccomp_profile) {
    profile = seccomp::parse_profile(*spec.seccomp_profile);
    if (!profile) return Error{"seccomp profile: " + profile.error().message};
  }
  seccomp::CompileOptions compile_options;
  for (int capability = 0; capability <= capabilities::kLast; ++capability) {
    if (spec.capabilities & capabilities::bit(capability)) compile_options.capabilities.insert(capability);
  }
  auto filter = seccomp::compile(*profile, compile_options);
  if (!filter) return Error{"seccomp profile: " + filter.error().message};
  auto shared = std::make_shared<const seccomp::Filter>(std::move(*filter));
  std::lock_guard lock(mutex_);
  // Bounded: profiles are up to 1 MiB of text each, and a caller could send
  // a new one with every launch. Containers running keep theirs (shared).
  if (filters_.size() >= kMaxCachedFilters) filters_.clear();
  filters_.emplace(key, shared);
  return shared;
}

Result<void> LinuxContainerizer::checkpoint(const Container& container) {
  // No pids: it is written before the clone (recovery finds the supervisor
  // by its command line, supervisors.hpp).
  const nlohmann::json record = {
      {"id", container.info.id},
      {"sandbox", container.info.sandbox},
      {"cgroup", container.info.cgroup},
      {"memory_max", container.memory_max ? nlohmann::json(*container.memory_max) : nlohmann::json()},
  };
  // Runtime state: it need not survive a power loss, the containers don't.
  return write_file_atomically(runtime_dir(container.info.id) + "/" + kCheckpoint, record.dump(), 0600, false);
}

Result<void> LinuxContainerizer::remove(const std::string& id) {
  auto destroyed = cgroups_->destroy(id);
  // The overlay of a container that died with its mount namespace is gone
  // with it; a retry covers a supervisor still writing its status.
  const std::string dir = runtime_dir(id);
  std::error_code error;
  // The usual contents, by name (a walk of the directory costs three times
  // the system calls); anything else (a status.tmp) takes the walk.
  for (const char* file : {kStatus, kCheckpoint}) ::unlink((dir + "/" + file).c_str());
  ::rmdir((dir + "/rootfs").c_str());
  const bool removed = ::rmdir(dir.c_str()) == 0;
  for (int attempt = 0; !removed && attempt < 3; ++attempt) {
    error.clear();
    std::filesystem::remove_all(dir, error);
    if (!error) break;
  }
  if (destroyed && error) destroyed = Error{"remove '" + dir + "': " + error.message()};
  auto discarded = scratch_.discard(id);
  if (destroyed && !discarded) destroyed = discarded;
  return destroyed;
}

Result<ContainerInfo> LinuxContainerizer::launch(const ContainerSpec& spec) {
  // Everything that can be checked is checked before anything is made.
  if (auto valid = validate_container_id(spec.id); !valid) return valid.error();
  if (auto valid = spec.limits.validate(); !valid) return valid.error();
  if (find(spec.id)) return Error{"container '" + spec.id + "' already exists"};
  auto filter = filter_for(spec);
  if (!filter) return filter.error();
  LaunchContext context;
  context.runtime_dir = runtime_dir(spec.id);
  context.scratch_dir = options_.scratch_dir + "/" + spec.id;
  context.supervisor = options_.supervisor_binary;
  context.seccomp = *filter;
  if (!spec.rootfs.empty()) {
    auto rootfs = prepare_rootfs(spec.rootfs, options_.image_cache);
    if (!rootfs) return rootfs.error();
    context.rootfs = *rootfs;
    context.cgroup_views = cgroups_->views(spec.id, spec.limits);
    context.cgroup_namespace = cgroups_->version() == "v2";
    if (spec.rootfs_read_only) {
      auto tree = scratch_.mount_points();
      if (!tree) return tree.error();
      context.mount_points = *tree;
    }
  }
  auto plan = plan_launch(spec, context);
  if (!plan) return plan.error();

  // Then the container's state: runtime directory, sandbox, cgroup.
  auto made = mkdir_with_parents(context.runtime_dir, 0700);
  if (!made) return made.error();
  if (*made == EEXIST) return Error{"container '" + spec.id + "' already exists in '" + options_.runtime_dir + "'"};
  if (*made != 0) return Error{"mkdir '" + context.runtime_dir + "': " + std::strerror(*made)};
  auto undo = [&](Error error) -> Result<ContainerInfo> {
    if (auto removed = remove(spec.id); !removed)
      log::error("container '" + spec.id + "': cleanup after a failed launch: " + removed.error().message);
    return error;
  };
  if (!context.rootfs.empty()) {
    // The mount point in the runtime directory (memory), the overlay's
    // upper and work directories on disk (a read-only root has none).
    if (::mkdir((context.runtime_dir + "/rootfs").c_str(), 0755) < 0)
      return undo(errno_error("mkdir '" + context.runtime_dir + "/rootfs'"));
    if (!spec.rootfs_read_only)
      if (auto taken = scratch_.take(spec.id); !taken) return undo(taken.error());
  }
  if (auto sandbox = prepare_sandbox(spec.sandbox, plan->user); !sandbox) return undo(sandbox.error());
  if (auto created = cgroups_->create(spec.id, spec.limits); !created) return undo(created.error());
  auto cgroup_fd = cgroups_->open_for_clone(spec.id);
  if (!cgroup_fd) return undo(cgroup_fd.error());
  plan->cgroup_fd = cgroup_fd->get();
  plan->cgroup_procs = cgroups_->procs_files(spec.id);

  auto container = std::make_shared<Container>();
  container->info = ContainerInfo{spec.id, 0, spec.sandbox, cgroups_->path(spec.id)};
  container->memory_max = spec.limits.memory_max;
  container->our_child = true;
  // Recorded before anything of it runs: an agent killed from the clone on
  // (the calling thread sleeps until the task has exec'd) leaves a record
  // for its successor, which finds the supervisor by it or destroys the
  // rest of the container.
  if (auto recorded = checkpoint(*container); !recorded) return undo(recorded.error());
  auto spawned = spawn(*plan);
  if (!spawned) return undo(Error{"container '" + spec.id + "': " + spawned.error().message});
  container->info.pid = spawned->init;
  container->supervisor = spawned->supervisor;
  container->ended = std::move(spawned->ended);
  std::lock_guard lock(mutex_);
  containers_.emplace(spec.id, container);
  return container->info;
}

Result<Termination> LinuxContainerizer::wait(const std::string& id) {
  auto container = find(id);
  if (!container) return Error{"no container '" + id + "'"};
  for (;;) {
    pollfd fd{container->ended.get(), POLLIN, 0};
    if (::poll(&fd, 1, -1) >= 0 || errno != EINTR) break;
  }
  std::lock_guard lock(container->mutex);
  if (container->termination) return *container->termination;
  // The supervisor wrote the status and is exiting; reaped without waiting.
  if (container->our_child) reap_exited(container->supervisor);

  std::optional<ExitStatus> status;
  if (auto text = read_file(runtime_dir(id) + "/" + kStatus)) {
    auto parsed = parse_exit_status(*text);
    if (parsed) status = *parsed;
  }
  CgroupUsage usage;
  if (container->final_usage) {
    usage = *container->final_usage;
  } else if (auto live = cgroups_->usage(id)) {
    usage = *live;
  }
  container->termination = termination_of(status, usage, container->destroyed, container->memory_max);
  if (auto removed = remove(id); !removed)
    log::warning("container '" + id + "': cleanup: " + removed.error().message + ", ignoring");
  {
    std::lock_guard map_lock(mutex_);
    containers_.erase(id);
  }
  return *container->termination;
}

Result<int> LinuxContainerizer::ended_fd(const std::string& id) {
  auto container = find(id);
  if (!container) return Error{"no container '" + id + "'"};
  return container->ended.get();
}

Result<void> LinuxContainerizer::destroy(const std::string& id) {
  auto container = find(id);
  if (!container) return Error{"no container '" + id + "'"};
  {
    std::lock_guard lock(container->mutex);
    if (container->termination) return {};
    container->destroyed = true;
    if (auto usage = cgroups_->usage(id)) container->final_usage = *usage;
  }
  if (auto destroyed = cgroups_->destroy(id); !destroyed) return destroyed;
  // The supervisor records the init's end and exits right after.
  pollfd fd{container->ended.get(), POLLIN, 0};
  if (::poll(&fd, 1, 10000) <= 0)
    return Error{"container '" + id + "': killed, but its supervisor did not record the end within 10 s"};
  return {};
}

Result<CgroupUsage> LinuxContainerizer::usage(const std::string& id) {
  if (!find(id)) return Error{"no container '" + id + "'"};
  return cgroups_->usage(id);
}

std::vector<ContainerInfo> LinuxContainerizer::containers() {
  std::lock_guard lock(mutex_);
  std::vector<ContainerInfo> out;
  for (const auto& [id, container] : containers_) out.push_back(container->info);
  return out;
}

Result<std::shared_ptr<LinuxContainerizer::Container>> LinuxContainerizer::reattach(
    const std::string& id, const std::map<std::string, RunningSupervisor>& running) {
  const std::string dir = runtime_dir(id);
  auto text = read_file(dir + "/" + kCheckpoint);
  if (!text) return text.error();
  const auto record = nlohmann::json::parse(*text, nullptr, false);
  if (record.is_discarded() || !record.is_object()) return Error{"'" + dir + "/" + kCheckpoint + "' is not JSON"};
  auto container = std::make_shared<Container>();
  try {
    container->info.id = id;
    container->info.sandbox = record.at("sandbox").get<std::string>();
    container->info.cgroup = record.at("cgroup").get<std::string>();
    if (record.contains("memory_max") && record["memory_max"].is_number_unsigned())
      container->memory_max = record["memory_max"].get<uint64_t>();
  } catch (const nlohmann::json::exception& e) {
    return Error{"'" + dir + "/" + kCheckpoint + "': " + e.what()};
  }
  // The supervisor names the status file it is to write (records of older
  // versions held its pid; the scan finds those supervisors too).
  const std::string status = dir + "/" + kStatus;
  if (auto found = running.find(status); found != running.end()) {
    container->ended = open_supervisor(found->second.pid, status);
    container->supervisor = found->second.pid;
    container->info.pid = found->second.init;
  }
  if (!container->ended) {
    // The supervisor is gone: fine if it recorded the end, else the
    // container's state is unknown (its supervisor never started, or died)
    // and it must not run unsupervised.
    if (::access(status.c_str(), F_OK) != 0) return Error{"its supervisor is gone without a status"};
    container->ended = already_ended();
  }
  return container;
}

Result<RecoveryReport> LinuxContainerizer::recover() {
  RecoveryReport report;
  std::error_code error;
  std::set<std::string> known;
  const auto running = find_supervisors();
  // A runtime directory that does not exist: nothing was launched yet.
  for (const auto& entry : std::filesystem::directory_iterator(options_.runtime_dir, error)) {
    const std::string id = entry.path().filename();
    if (!validate_container_id(id) || find(id)) continue;
    auto container = reattach(id, running);
    if (!container) {
      log::warning("container '" + id + "': cannot re-attach (" + container.error().message + "), destroying it");
      if (auto removed = remove(id); !removed)
        log::error("container '" + id + "': destroy: " + removed.error().message + ", ignoring");
      report.destroyed.push_back(id);
      continue;
    }
    known.insert(id);
    report.recovered.push_back(id);
    std::lock_guard lock(mutex_);
    containers_.emplace(id, *container);
  }
  if (error && error != std::errc::no_such_file_or_directory)
    return Error{"read '" + options_.runtime_dir + "': " + error.message()};
  auto cgroups = cgroups_->list();
  if (!cgroups) return cgroups.error();
  for (const auto& id : *cgroups) {
    if (known.count(id) || find(id)) continue;
    if (auto destroyed = cgroups_->destroy(id); !destroyed)
      log::error("container '" + id + "': destroy: " + destroyed.error().message + ", ignoring");
    report.destroyed.push_back(id);
  }
  // Root file system changes of containers that are gone.
  for (const auto& entry : std::filesystem::directory_iterator(options_.scratch_dir, error)) {
    const std::string id = entry.path().filename();
    if (known.count(id) || find(id) || Scratch::is_own(id)) continue;
    std::error_code ignored;
    std::filesystem::remove_all(entry.path(), ignored);
  }
  return report;
}

}  // namespace dcos::isolation
