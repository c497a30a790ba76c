#include "isolation/launch_plan.hpp"

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <utility>

#include "runtime/unique_fd.hpp"

namespace dcos::isolation {
namespace {

constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
constexpr std::size_t kMaxHostname = 63;
constexpr std::size_t kMaxArguments = 4096;
constexpr std::size_t kMaxArgumentBytes = 1 << 20;

// The value of NAME in "NAME=value" entries, if one is there.
std::optional<std::string> variable(const std::vector<std::string>& env, std::string_view name) {
  for (const auto& entry : env) {
    if (entry.size() > name.size() && entry.compare(0, name.size(), name) == 0 && entry[name.size()] == '=')
      return entry.substr(name.size() + 1);
  }
  return std::nullopt;
}

bool has_variable(const std::vector<std::string>& env, std::string_view name) {
  return variable(env, name).has_value();
}

// The default hostname: the id, cut to 63 characters, '_' and '.' (valid in
// ids) as '-'.
std::string hostname_from_id(const std::string& id) {
  std::string name = id.substr(0, kMaxHostname);
  for (char& c : name) {
    if (c == '_' || c == '.') c = '-';
  }
  return name;
}

Result<void> validate_hostname(std::string_view name) {
  if (name.empty() || name.size() > kMaxHostname)
    return Error{"hostname '" + std::string(name) + "' must be 1 to 63 characters"};
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.')
      return Error{"hostname '" + std::string(name) + "' may hold only letters, digits, '-' and '.'"};
  }
  return {};
}

// Whether `path` names an executable regular file inside `root` ("" for
// the host's root). Symbolic links resolve inside the root, as they will
// once the container runs there.
bool executable_in(const std::string& root, const std::string& path) {
  struct stat st {};
  if (root.empty()) {
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111) != 0;
  }
  UniqueFd root_fd(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root_fd) return false;
  open_how how{};
  how.flags = O_PATH | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT;
  UniqueFd file(static_cast<int>(::syscall(SYS_openat2, root_fd.get(), path.c_str(), &how, sizeof how)));
  return file && ::fstat(file.get(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111) != 0;
}

// The command as the container will exec it: a path as given, or the first
// match on the container's PATH.
Result<std::string> resolve_executable(const std::string& command, const std::string& root, const std::string& path,
                                       const std::string& workdir) {
  if (command.find('/') != std::string::npos) {
    const std::string absolute = command[0] == '/' ? command : workdir + "/" + command;
    if (!executable_in(root, absolute))
      return Error{"command '" + command + "' is not an executable file" + (root.empty() ? "" : " in the image")};
    return absolute;
  }
  std::string_view dirs = path;
  while (true) {
    const auto colon = dirs.find(':');
    std::string dir(dirs.substr(0, colon));
    if (dir.empty()) dir = ".";
    const std::string candidate = dir + "/" + command;
    if (dir[0] == '/' && executable_in(root, candidate)) return candidate;
    if (colon == std::string_view::npos) break;
    dirs.remove_prefix(colon + 1);
  }
  return Error{"command '" + command + "' not found on PATH (" + path + ")" + (root.empty() ? "" : " in the image")};
}

FsStep mount_step(std::string source, std::string target, std::string fstype, unsigned long flags,
                  std::string data = "") {
  return FsStep{FsStep::Kind::mount, std::move(source), std::move(target), std::move(fstype), flags, std::move(data)};
}
FsStep step(FsStep::Kind kind, std::string target, std::string source = "") {
  return FsStep{kind, std::move(source), std::move(target), "", 0, ""};
}
FsStep from(FsStep step, FsStep::From origin) {
  step.from = origin;
  return step;
}

// Writable places in a container get nodev: a device node made there (or
// unpacked from an image) opens nothing.
constexpr unsigned long kBindNoDev = MS_BIND | MS_NODEV | MS_NOSUID;

// What a task must not write or read even as root: the kernel's knobs under
// /proc and /sys read-only, its memory, keys and timers hidden (the paths
// Docker protects by default).
void protect_kernel_files(const std::string& root, std::vector<FsStep>& fs) {
  for (const char* path : {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"})
    fs.push_back(step(FsStep::Kind::read_only, root + path));
  // Each with what it is in Linux (the init tries that first, and the
  // other where the kernel says otherwise: no stat before each).
  for (const char* path : {"/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                           "/proc/sched_debug"})
    fs.push_back(step(FsStep::Kind::mask, root + path, "/dev/null"));
  for (const char* path : {"/proc/asound", "/proc/acpi", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap"})
    fs.push_back(step(FsStep::Kind::mask, root + path, "tmpfs"));
}

// What an image must look like for the mounts made into it before
// pivot_root: they resolve against the host's root, so no path they cross
// may be a symbolic link (an image's "/mnt -> /etc" would land the sandbox
// on the host's /etc). Returns the mount points the image lacks.
Result<std::vector<const char*>> check_image(const std::string& image) {
  std::vector<const char*> missing;
  for (const char* dir : kRootMountPoints) {
    struct stat st {};
    if (::lstat((image + dir).c_str(), &st) != 0) {
      missing.push_back(dir);
      continue;
    }
    if (!S_ISDIR(st.st_mode))
      return Error{"image '" + image + "': '" + dir + "' is not a directory (" +
                   (S_ISLNK(st.st_mode) ? "a symbolic link" : "a file") + "); the containerizer mounts there"};
  }
  return missing;
}

// The overlay's options are a comma- and colon-separated list: paths
// holding those would add options or layers.
Result<std::string> overlay_layer(const std::string& path) {
  if (path.find_first_of(",:\\") != std::string::npos)
    return Error{"overlay layer '" + path + "' holds ',', ':' or '\\', which overlay options cannot carry"};
  return path;
}

// The image as the container's root, mounted on `root`. Writable: an
// overlay with the image as its lower layer and the task's changes in the
// scratch directory. Read-only: the image bound as it is, where it has
// every mount point and the task cannot remount it (no CAP_SYS_ADMIN);
// else a read-only overlay of the mount points over the image, which no
// remount makes writable (it has no upper layer).
Result<void> plan_root_layer(const std::string& root, const std::string& image, const LaunchContext& context,
                             const ContainerSpec& spec, std::vector<FsStep>& fs) {
  auto missing = check_image(image);
  if (!missing) return missing.error();
  const bool may_remount = (spec.capabilities & capabilities::bit(CAP_SYS_ADMIN)) != 0;
  if (spec.rootfs_read_only && missing->empty() && !may_remount) {
    fs.push_back(mount_step(image, root, "", MS_BIND | MS_RDONLY | MS_NODEV | MS_NOSUID));
    return {};
  }
  auto lower = overlay_layer(image);
  if (!lower) return lower.error();
  if (spec.rootfs_read_only) {
    if (context.mount_points.empty()) return Error{"no mount point tree for a read-only root file system"};
    auto top = overlay_layer(context.mount_points);
    if (!top) return top.error();
    fs.push_back(mount_step("overlay", root, "overlay", MS_RDONLY | MS_NODEV | MS_NOSUID,
                            "lowerdir=" + *top + ":" + *lower));
    return {};
  }
  auto scratch = overlay_layer(context.scratch_dir);
  if (!scratch) return scratch.error();
  // volatile (Linux 5.10): its unmount, when the container's last process
  // is gone, does not sync the upper layer's file system (without it: a
  // syncfs of the whole host file system holding scratch_dir at every
  // container's end). The scratch directory is never mounted again, also
  // not after a crash: recovery destroys a container it cannot re-attach.
  fs.push_back(mount_step("overlay", root, "overlay", MS_NODEV | MS_NOSUID,
                          "lowerdir=" + *lower + ",upperdir=" + *scratch + "/upper,workdir=" + *scratch + "/work,volatile"));
  // The image is the overlay's lower layer, unchanged: the mount points it
  // lacks are made in the upper one (unpacked tarballs have them all).
  for (const char* dir : *missing) fs.push_back(step(FsStep::Kind::mkdir, root + dir));
  return {};
}

// The host's file system, with a fresh /proc (the container's pid
// namespace), /sys read-only, and the sandbox's tmp/ as /tmp.
void plan_host_fs(const std::string& sandbox, std::vector<FsStep>& fs) {
  fs.push_back(mount_step("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC));
  fs.push_back(step(FsStep::Kind::read_only, "/sys"));
  protect_kernel_files("", fs);
  fs.push_back(from(step(FsStep::Kind::chdir, sandbox), FsStep::From::sandbox));
  fs.push_back(from(mount_step(sandbox + "/tmp", "/tmp", "", kBindNoDev), FsStep::From::sandbox_tmp));
  // A sandbox below /tmp is now hidden by the new /tmp: show it again at
  // its path (mount points made in the sandbox's tmp/), bound from the
  // working directory, which still is the sandbox.
  if (sandbox.rfind("/tmp/", 0) == 0) {
    std::string path = "/tmp";
    std::string_view rest = std::string_view(sandbox).substr(5);
    while (!rest.empty()) {
      const auto slash = rest.find('/');
      path.append("/").append(rest.substr(0, slash));
      fs.push_back(step(FsStep::Kind::mkdir, path));
      rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
    }
    fs.push_back(from(mount_step(sandbox, sandbox, "", MS_BIND), FsStep::From::sandbox));
  }
}

// The nodes every container's /dev has, with the numbers Linux gives them
// (Documentation/admin-guide/devices.txt: the memory devices are major 1,
// the current tty 5:0); the device policy admits these.
const std::pair<const char*, dev_t> kDevices[] = {
    {"null", makedev(1, 3)},   {"zero", makedev(1, 5)},    {"full", makedev(1, 7)},
    {"random", makedev(1, 8)}, {"urandom", makedev(1, 9)}, {"tty", makedev(5, 0)},
};

// The container's own cgroups at /sys/fs/cgroup, read-only, where programs
// look for their limits: the cgroup2 file system seen from the init's
// cgroup namespace (v2), or each v1 hierarchy's directory of the container
// bound on a tmpfs, as Docker and Mesos show them.
void plan_cgroup_view(const std::string& root, const LaunchContext& context, std::vector<FsStep>& fs) {
  constexpr unsigned long kReadOnly = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
  const std::string dir = root + "/sys/fs/cgroup";
  if (context.cgroup_namespace) {
    fs.push_back(mount_step("cgroup2", dir, "cgroup2", kReadOnly));
    return;
  }
  if (context.cgroup_views.empty()) return;
  fs.push_back(mount_step("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755,size=4k"));
  for (const auto& view : context.cgroup_views) {
    fs.push_back(step(FsStep::Kind::mkdir, dir + "/" + view.name));
    fs.push_back(mount_step(view.dir, dir + "/" + view.name, "", MS_BIND | kReadOnly));
  }
  fs.push_back(mount_step("", dir, "", MS_REMOUNT | kReadOnly));
}

// A root file system of its own, mounted on <runtime_dir>/rootfs (see
// plan_root_layer), a minimal /dev, /proc, a read-only /sys, the sandbox,
// then pivot_root into it.
Result<void> plan_rootfs(const ContainerSpec& spec, const LaunchContext& context, std::vector<FsStep>& fs) {
  const std::string root = context.runtime_dir + "/rootfs";
  const std::string& sandbox = spec.sandbox;
  if (auto layer = plan_root_layer(root, context.rootfs, context, spec, fs); !layer) return layer;
  fs.push_back(mount_step("proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC));
  fs.push_back(mount_step("sysfs", root + "/sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC));
  protect_kernel_files(root, fs);
  plan_cgroup_view(root, context, fs);
  fs.push_back(mount_step("tmpfs", root + "/dev", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k"));
  for (const auto& [name, number] : kDevices) {
    FsStep node = step(FsStep::Kind::device, root + "/dev/" + name, std::string("/dev/") + name);
    node.device = number;
    fs.push_back(std::move(node));
  }
  fs.push_back(step(FsStep::Kind::mkdir, root + "/dev/pts"));
  fs.push_back(
      mount_step("devpts", root + "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620"));
  fs.push_back(step(FsStep::Kind::mkdir, root + "/dev/shm"));
  fs.push_back(
      mount_step("shm", root + "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k"));
  fs.push_back(step(FsStep::Kind::symlink, root + "/dev/ptmx", "pts/ptmx"));
  fs.push_back(step(FsStep::Kind::symlink, root + "/dev/fd", "/proc/self/fd"));
  fs.push_back(step(FsStep::Kind::symlink, root + "/dev/stdin", "/proc/self/fd/0"));
  fs.push_back(step(FsStep::Kind::symlink, root + "/dev/stdout", "/proc/self/fd/1"));
  fs.push_back(step(FsStep::Kind::symlink, root + "/dev/stderr", "/proc/self/fd/2"));
  fs.push_back(from(mount_step(sandbox, root + kSandboxInRootfs, "", kBindNoDev), FsStep::From::sandbox));
  fs.push_back(from(mount_step(sandbox + "/tmp", root + "/tmp", "", kBindNoDev), FsStep::From::sandbox_tmp));
  fs.push_back(step(FsStep::Kind::pivot_root, root));
  fs.push_back(step(FsStep::Kind::chdir, kSandboxInRootfs));
  return {};
}

}  // namespace

std::string FsStep::describe() const {
  switch (kind) {
    case Kind::mount:
      if (flags & MS_PRIVATE) return "make '" + target + "' private";
      if (flags & MS_REMOUNT) return "remount '" + target + "' read-only";
      return (fstype.empty() ? "bind-mount '" + source + "'" : "mount " + fstype) + " on '" + target + "'";
    case Kind::mkdir:
      return "mkdir '" + target + "'";
    case Kind::symlink:
      return "symlink '" + target + "' -> '" + source + "'";
    case Kind::pivot_root:
      return "pivot_root into '" + target + "'";
    case Kind::chdir:
      return "chdir '" + target + "'";
    case Kind::read_only:
      return "make '" + target + "' read-only";
    case Kind::mask:
      return "mask '" + target + "'";
    case Kind::device:
      return "make the device node '" + target + "' (" + std::to_string(major(device)) + ":" +
             std::to_string(minor(device)) + ", as the host's '" + source + "')";
  }
  return "file system step";
}

Result<void> validate_container_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return Error{"container id '" + std::string(id) + "' must be 1 to 128 characters"};
  if (!std::isalnum(static_cast<unsigned char>(id[0])))
    return Error{"container id '" + std::string(id) + "' must start with a letter or digit"};
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.')
      return Error{"container id '" + std::string(id) + "' may hold only letters, digits, '-', '_' and '.'"};
  }
  return {};
}

Result<LaunchPlan> plan_launch(const ContainerSpec& spec, const LaunchContext& context) {
  if (auto valid = validate_container_id(spec.id); !valid) return valid.error();
  if (spec.argv.empty() || spec.argv[0].empty()) return Error{"no command to run"};
  if (spec.argv.size() + spec.env.size() > kMaxArguments) return Error{"more than 4096 arguments and variables"};
  std::size_t bytes = 0;
  for (const auto& s : spec.argv) bytes += s.size() + 1;
  for (const auto& s : spec.env) bytes += s.size() + 1;
  if (bytes > kMaxArgumentBytes) return Error{"arguments and environment exceed 1 MiB"};
  for (const auto& entry : spec.env) {
    if (entry.find('=') == std::string::npos || entry[0] == '=')
      return Error{"environment entry '" + entry + "' is not NAME=value"};
  }
  if (spec.rootfs_read_only && context.rootfs.empty())
    return Error{"a read-only root file system needs an image (rootfs); the host's is not made read-only"};
  if (spec.sandbox.empty() || spec.sandbox[0] != '/')
    return Error{"sandbox '" + spec.sandbox + "' is not an absolute path"};

  LaunchPlan plan;
  plan.id = spec.id;
  plan.hostname = spec.hostname.empty() ? hostname_from_id(spec.id) : spec.hostname;
  if (auto valid = validate_hostname(plan.hostname); !valid) return valid.error();
  for (const auto& text : spec.rlimits) {
    auto limit = parse_rlimit(text);
    if (!limit) return limit.error();
    plan.rlimits.push_back(*limit);
  }
  if (!spec.user.empty()) {
    auto user = resolve_user(spec.user);
    if (!user) return user.error();
    plan.user = std::move(*user);
  }
  plan.capabilities = spec.capabilities;
  static const int last_capability = capabilities::last_capability();
  plan.last_capability = last_capability;
  plan.seccomp = context.seccomp;
  plan.cgroup_fd = context.cgroup_fd;
  plan.cgroup_procs = context.cgroup_procs;

  plan.namespaces = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | (spec.new_network ? CLONE_NEWNET : 0);
  const std::string workdir = context.rootfs.empty() ? spec.sandbox : kSandboxInRootfs;
  // Mounts made in the container stay there: nothing propagates back out.
  plan.fs.push_back(mount_step("", "/", "", MS_REC | MS_PRIVATE));
  if (context.rootfs.empty()) {
    plan_host_fs(spec.sandbox, plan.fs);
  } else {
    if (auto planned = plan_rootfs(spec, context, plan.fs); !planned) return planned.error();
    plan.cgroup_namespace = context.cgroup_namespace;
  }
  plan.env = spec.env;
  const std::string path = variable(spec.env, "PATH").value_or(kDefaultPath);
  if (!has_variable(plan.env, "PATH")) plan.env.push_back(std::string("PATH=") + kDefaultPath);
  if (!has_variable(plan.env, "HOME")) plan.env.push_back("HOME=" + (plan.user ? plan.user->home : std::string("/")));
  if (!has_variable(plan.env, "HOSTNAME")) plan.env.push_back("HOSTNAME=" + plan.hostname);
  if (!has_variable(plan.env, "MESOS_SANDBOX")) plan.env.push_back("MESOS_SANDBOX=" + workdir);

  auto executable = resolve_executable(spec.argv[0], context.rootfs, path, workdir);
  if (!executable) return executable.error();
  plan.executable = std::move(*executable);
  plan.argv = spec.argv;

  plan.sandbox = spec.sandbox;
  plan.stdout_path = spec.sandbox + "/stdout";
  plan.stderr_path = spec.sandbox + "/stderr";
  plan.log_max_bytes = spec.log_max_bytes;
  plan.status_path = context.runtime_dir + "/status";
  plan.supervisor = context.supervisor;
  return plan;
}

}  // namespace dcos::isolation
