#include "bench/container_launch_peers.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "isolation/linux/capabilities.hpp"
#include "isolation/linux/seccomp.hpp"
#include "runtime/atomic_file.hpp"
#include "runtime/unique_fd.hpp"

extern char** environ;

namespace dcos::bench {
namespace {

namespace seccomp = isolation::seccomp;
namespace capabilities = isolation::capabilities;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

std::string tail_lines(const std::string& text, int lines) {
  std::size_t at = text.size();
  while (at > 0 && text[at - 1] == '\n') --at;
  const std::size_t end = at;
  for (int n = 0; n < lines && at > 0; ++n) {
    at = text.rfind('\n', at - 1);
    if (at == std::string::npos) {
      at = 0;
      break;
    }
  }
  return text.substr(at == 0 ? 0 : at + 1, end - (at == 0 ? 0 : at + 1));
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return std::string("killed by signal ") + ::strsignal(WTERMSIG(status));
  return "wait status " + std::to_string(status);
}

// The host as the seccomp profile's selectors name it.
struct HostArch {
  std::string docker;   // "amd64"
  std::string libseccomp;  // "SCMP_ARCH_X86_64"
  seccomp::KernelVersion kernel;
};

HostArch host_arch() {
  HostArch host;
  utsname names{};
  ::uname(&names);
  const std::string machine = names.machine;
  if (machine == "x86_64") host = {"amd64", "SCMP_ARCH_X86_64", {}};
  if (machine == "aarch64") host = {"arm64", "SCMP_ARCH_AARCH64", {}};
  std::sscanf(names.release, "%u.%u", &host.kernel.major, &host.kernel.minor);
  return host;
}

bool has_all(capabilities::Set set, const std::vector<int>& caps) {
  return std::all_of(caps.begin(), caps.end(), [&](int cap) { return (set & capabilities::bit(cap)) != 0; });
}
bool has_any(capabilities::Set set, const std::vector<int>& caps) {
  return std::any_of(caps.begin(), caps.end(), [&](int cap) { return (set & capabilities::bit(cap)) != 0; });
}
bool names_arch(const std::vector<std::string>& arches, const std::string& arch) {
  return std::find(arches.begin(), arches.end(), arch) != arches.end();
}

// Whether a profile entry applies to a container with `caps` on this host:
// OCI profiles have no includes/excludes, so they are resolved here, as
// Docker does before it hands a profile to runc.
bool applies(const seccomp::Rule& rule, capabilities::Set caps, const HostArch& host) {
  const auto& in = rule.includes;
  if (!has_all(caps, in.caps)) return false;
  if (!in.arches.empty() && !names_arch(in.arches, host.docker)) return false;
  if (in.min_kernel && host.kernel < *in.min_kernel) return false;
  const auto& out = rule.excludes;
  if (has_any(caps, out.caps) || names_arch(out.arches, host.docker)) return false;
  if (out.min_kernel && host.kernel >= *out.min_kernel) return false;
  return true;
}

// Our default profile for a container with `caps`, as an OCI linux.seccomp.
json oci_seccomp(const seccomp::Profile& profile, capabilities::Set caps) {
  const HostArch host = host_arch();
  json arches = json::array();
  for (const auto& entry : profile.arch_map) {
    if (entry.architecture != host.libseccomp) continue;
    arches.push_back(entry.architecture);
    for (const auto& sub : entry.sub_architectures) arches.push_back(sub);
  }
  json syscalls = json::array();
  for (const auto& rule : profile.syscalls) {
    if (!applies(rule, caps, host)) continue;
    json entry = {{"names", rule.names}, {"action", seccomp::action_name(rule.action)}};
    if (rule.errno_ret) entry["errnoRet"] = *rule.errno_ret;
    if (!rule.args.empty()) {
      json args = json::array();
      for (const auto& arg : rule.args)
        args.push_back({{"index", arg.index},
                        {"value", arg.value},
                        {"valueTwo", arg.value_two},
                        {"op", seccomp::op_name(arg.op)}});
      entry["args"] = args;
    }
    syscalls.push_back(entry);
  }
  json out = {{"defaultAction", seccomp::action_name(profile.default_action)},
              {"architectures", arches},
              {"syscalls", syscalls}};
  if (profile.default_errno_ret) out["defaultErrnoRet"] = *profile.default_errno_ret;
  return out;
}

}  // namespace

std::string find_program(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  std::size_t at = 0;
  while (at <= dirs.size()) {
    const std::size_t colon = std::min(dirs.find(':', at), dirs.size());
    const std::string candidate = dirs.substr(at, colon - at) + "/" + name;
    if (colon > at && ::access(candidate.c_str(), X_OK) == 0) return candidate;
    at = colon + 1;
  }
  return "";
}

Result<double> run_timed(const std::vector<std::string>& argv, const std::string& log_path,
                         std::chrono::milliseconds timeout) {
  std::vector<char*> args;
  for (const auto& each : argv) args.push_back(const_cast<char*>(each.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attributes;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setpgroup(&attributes, 0);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);

  const auto started = Clock::now();
  pid_t pid = 0;
  const int spawned = ::posix_spawn(&pid, args[0], &actions, &attributes, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (spawned != 0) return Error{"spawn '" + argv[0] + "': " + std::strerror(spawned)};

  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (pidfd) {
    pollfd fd{pidfd.get(), POLLIN, 0};
    int ready;
    do {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(started + timeout - Clock::now());
      ready = ::poll(&fd, 1, static_cast<int>(std::max<int64_t>(left.count(), 0)));
    } while (ready < 0 && errno == EINTR);
    if (ready == 0) ::kill(-pid, SIGKILL);  // its whole process group
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return errno_error("waitpid '" + argv[0] + "'");
  }
  const double ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return ms;
  auto log = read_file(log_path);
  std::string command;
  for (const auto& each : argv) command += (command.empty() ? "" : " ") + each;
  return Error{"'" + command + "' " + describe_status(status) + (log && !log->empty() ? ":\n" + tail_lines(*log, 5) : "")};
}

json oci_config(const BundleSpec& spec) {
  const capabilities::Set caps = capabilities::docker_default();
  const auto cap_names = capabilities::names(caps);
  auto mount = [](const char* destination, const char* type, const char* source, std::vector<std::string> options) {
    return json{{"destination", destination}, {"type", type}, {"source", source}, {"options", options}};
  };
  json namespaces = {{{"type", "pid"}}, {{"type", "ipc"}}, {{"type", "uts"}}, {{"type", "mount"}}};
  if (spec.cgroup_namespace) namespaces.push_back({{"type", "cgroup"}});
  return {
      {"ociVersion", "1.0.2"},
      {"process",
       {{"terminal", false},
        {"user", {{"uid", 0}, {"gid", 0}}},
        {"args", {"/bin/true"}},
        {"env", {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOSTNAME=" + spec.hostname}},
        {"cwd", "/"},
        {"capabilities",
         {{"bounding", cap_names}, {"effective", cap_names}, {"permitted", cap_names}, {"inheritable", cap_names}}},
        {"noNewPrivileges", true}}},
      {"root", {{"path", spec.rootfs}, {"readonly", spec.read_only}}},
      {"hostname", spec.hostname},
      // What our containerizer mounts in a root file system of its own.
      {"mounts",
       {mount("/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}),
        mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}),
        mount("/dev/pts", "devpts", "devpts", {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}),
        mount("/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}),
        mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}),
        mount("/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "noexec", "nodev", "relatime", "ro"})}},
      {"linux",
       {{"namespaces", namespaces},
        {"cgroupsPath", spec.cgroups_path},
        {"resources",
         {{"memory", {{"limit", spec.memory_bytes}}},
          {"pids", {{"limit", spec.pids}}},
          {"cpu", {{"shares", spec.cpu_shares}}}}},
        {"seccomp", oci_seccomp(seccomp::default_profile(), caps)},
        // The kernel files our containerizer protects (isolation/launch_plan.cpp),
        // as Docker passes them: the same work on both sides.
        {"readonlyPaths", {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}},
        {"maskedPaths",
         {"/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
          "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap"}}}},
  };
}

}  // namespace dcos::bench
