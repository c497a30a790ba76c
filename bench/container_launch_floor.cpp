#include "bench/container_launch_floor.hpp"

#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

namespace dcos::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr uint64_t kNamespaces = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC;
// Exit codes of the floor's child, told apart from /bin/true's.
constexpr int kJoinFailed = 126;
constexpr int kExecFailed = 127;

double elapsed_ms(Clock::time_point since) {
  return std::chrono::duration<double, std::milli>(Clock::now() - since).count();
}

// 0 or the errno of open/write.
int write_file(const char* path, const char* text) {
  const int fd = ::open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  const auto length = std::strlen(text);
  const ssize_t n = ::write(fd, text, length);
  const int error = n == static_cast<ssize_t>(length) ? 0 : (n < 0 ? errno : EIO);
  ::close(fd);
  return error;
}

Result<void> write_control(const std::string& path, const std::string& value) {
  if (int error = write_file(path.c_str(), value.c_str()))
    return Error{"write '" + value + "' to '" + path + "': " + std::strerror(error)};
  return {};
}

Result<void> make_dir(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) < 0 && errno != EEXIST) return errno_error("mkdir '" + path + "'");
  return {};
}

// A cgroup whose last task was just reaped can still be busy for a moment
// (its css is released after the exit); retry briefly.
Result<void> remove_cgroup(const std::string& path) {
  for (int attempt = 0;; ++attempt) {
    if (::rmdir(path.c_str()) == 0) return {};
    if (errno != EBUSY || attempt == 1000) return errno_error("rmdir '" + path + "'");
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
}

// "memory.max" -> "memory": the controller a v2 control file belongs to.
std::string controller_of(const std::string& file) { return file.substr(0, file.find('.')); }

}  // namespace

Result<double> fork_exec_true(const std::string& program) {
  char* const argv[] = {const_cast<char*>(program.c_str()), nullptr};
  char* const envp[] = {nullptr};
  const auto started = Clock::now();
  const pid_t pid = ::fork();
  if (pid < 0) return errno_error("fork");
  if (pid == 0) {
    ::execve(argv[0], argv, envp);
    ::_exit(kExecFailed);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return errno_error("waitpid");
  }
  const double ms = elapsed_ms(started);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return Error{"fork+exec '" + program + "': ended with wait status " + std::to_string(status)};
  return ms;
}

Result<void> FloorLauncher::prepare() {
  for (const auto& hierarchy : setup_.hierarchies) {
    std::string controllers;
    for (const auto& [file, value] : hierarchy.limits) controllers += (controllers.empty() ? "+" : " +") + controller_of(file);
    std::string dir = hierarchy.mount;
    for (std::size_t at = 1; at <= hierarchy.root.size(); ++at) {
      if (at != hierarchy.root.size() && hierarchy.root[at] != '/') continue;
      dir = hierarchy.mount + hierarchy.root.substr(0, at);
      if (auto made = make_dir(dir); !made) return made;
      // v2: a child gets only the controllers its parent enables for it.
      if (setup_.v2 && !controllers.empty())
        if (auto enabled = write_control(dir + "/cgroup.subtree_control", controllers); !enabled) return enabled;
    }
  }
  return {};
}

Result<double> FloorLauncher::launch(int index) {
  // Everything the child uses is ready before the clock starts: names are
  // not what is measured.
  const std::string name = "/floor-" + std::to_string(index);
  std::vector<std::string> dirs, procs;
  for (const auto& hierarchy : setup_.hierarchies) {
    dirs.push_back(hierarchy.mount + hierarchy.root + name);
    procs.push_back(dirs.back() + "/cgroup.procs");
  }
  std::vector<const char*> proc_paths;
  for (const auto& each : procs) proc_paths.push_back(each.c_str());
  char* const argv[] = {const_cast<char*>(setup_.program.c_str()), nullptr};
  char* const envp[] = {nullptr};

  const auto started = Clock::now();
  std::size_t made = 0;
  auto fail = [&](Error error) -> Result<double> {
    while (made > 0) ::rmdir(dirs[--made].c_str());
    return error;
  };
  for (std::size_t i = 0; i < dirs.size(); ++i) {
    if (::mkdir(dirs[i].c_str(), 0755) < 0) return fail(errno_error("mkdir '" + dirs[i] + "'"));
    ++made;
    for (const auto& [file, value] : setup_.hierarchies[i].limits)
      if (auto written = write_control(dirs[i] + "/" + file, value); !written) return fail(written.error());
  }
  int cgroup_fd = -1;
  if (setup_.v2) {
    cgroup_fd = ::open(dirs[0].c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (cgroup_fd < 0) return fail(errno_error("open '" + dirs[0] + "'"));
  }
  clone_args args{};
  args.flags = kNamespaces;
  args.exit_signal = SIGCHLD;
  if (cgroup_fd >= 0) {
    args.flags |= CLONE_INTO_CGROUP;
    args.cgroup = static_cast<uint64_t>(cgroup_fd);
  }
  const long pid = ::syscall(SYS_clone3, &args, sizeof args);
  if (pid == 0) {
    if (cgroup_fd < 0)
      for (const char* path : proc_paths)
        if (write_file(path, "0") != 0) ::_exit(kJoinFailed);
    ::execve(argv[0], argv, envp);
    ::_exit(kExecFailed);
  }
  const int clone_errno = errno;
  if (cgroup_fd >= 0) ::close(cgroup_fd);
  if (pid < 0) return fail(Error{std::string("clone3 into new pid, mount, uts and ipc namespaces: ") +
                                 std::strerror(clone_errno)});
  int status = 0;
  while (::waitpid(static_cast<pid_t>(pid), &status, 0) < 0) {
    if (errno != EINTR) return fail(errno_error("waitpid"));
  }
  for (; made > 0; --made)
    if (auto removed = remove_cgroup(dirs[made - 1]); !removed) return fail(removed.error());
  const double ms = elapsed_ms(started);
  if (WIFEXITED(status) && WEXITSTATUS(status) == kJoinFailed)
    return Error{"the floor's child could not write '0' into a cgroup.procs file (" + procs[0] + ", ...)"};
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return Error{"the floor's child ('" + setup_.program + "') ended with wait status " + std::to_string(status)};
  return ms;
}

}  // namespace dcos::bench
