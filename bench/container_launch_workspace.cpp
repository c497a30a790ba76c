#include "bench/container_launch_workspace.hpp"

#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "isolation/launch_plan.hpp"
#include "runtime/atomic_file.hpp"

namespace dcos::bench {

namespace fs = std::filesystem;

namespace {

// The cgroups in `top` and below, deepest first.
void collect_cgroups(const std::string& top, std::vector<std::string>& out) {
  if (DIR* dir = ::opendir(top.c_str())) {
    while (const dirent* entry = ::readdir(dir)) {
      if (entry->d_type == DT_DIR && std::strcmp(entry->d_name, ".") != 0 && std::strcmp(entry->d_name, "..") != 0)
        collect_cgroups(top + "/" + entry->d_name, out);
    }
    ::closedir(dir);
    out.push_back(top);
  }
}

}  // namespace

std::vector<std::string> remove_cgroup_tree(const std::string& top) {
  std::vector<std::string> cgroups;
  collect_cgroups(top, cgroups);
  for (const auto& cgroup : cgroups) {
    // A launch interrupted in the middle of a v1 destroy may leave it frozen.
    if (::access((cgroup + "/freezer.state").c_str(), F_OK) == 0) (void)write_file_atomically(cgroup + "/freezer.state", "THAWED");
    std::ifstream procs(cgroup + "/cgroup.procs");
    for (pid_t pid; procs >> pid;) ::kill(pid, SIGKILL);
  }
  std::vector<std::string> left;
  for (const auto& cgroup : cgroups) {
    bool removed = false;
    for (int attempt = 0; attempt < 200 && !removed; ++attempt) {
      removed = ::rmdir(cgroup.c_str()) == 0 || errno == ENOENT;
      if (!removed) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (!removed) left.push_back(cgroup + ": " + std::strerror(errno));
  }
  return left;
}

Workspace::Workspace(const isolation::HostCgroups& host) : cgroup_root_("/dcos-bench-" + std::to_string(::getpid())) {
  if (!host.mounts.unified.empty()) mounts_.insert(host.mounts.unified);
  for (const auto& [controller, mount] : host.mounts.v1) mounts_.insert(mount);
}

Workspace::~Workspace() {
  for (const auto& mount : mounts_)
    for (const auto& left : remove_cgroup_tree(mount + cgroup_root_))
      std::cerr << "container-launch-bench: could not remove cgroup " << left << "\n";
  if (!run_.empty() && ::umount2(run_.c_str(), MNT_DETACH) < 0)
    std::cerr << "container-launch-bench: umount '" << run_ << "': " << std::strerror(errno) << "\n";
  if (!dir_.empty()) {
    std::error_code error;
    fs::remove_all(dir_, error);
    if (error) std::cerr << "container-launch-bench: remove '" << dir_ << "': " << error.message() << "\n";
  }
}

Result<void> Workspace::make_dir() {
  // Not below /tmp: a sandbox there costs each container three mount
  // points and a bind mount more (its /tmp is the sandbox's tmp/, and the
  // sandbox is bound back at its path inside it), which the agent's
  // sandboxes, under its work_dir, never pay.
  const char* tmp = std::getenv("TMPDIR");
  std::string dir = std::string(tmp && *tmp ? tmp : "/var/tmp") + "/container-launch-bench-XXXXXX";
  if (!::mkdtemp(dir.data())) return errno_error("mkdtemp '" + dir + "'");
  dir_ = dir;
  for (const char* sub : {"/sandboxes", "/rootfs", "/crun-bundle", "/runc-bundle", "/run"})
    if (::mkdir((dir_ + sub).c_str(), 0700) < 0) return errno_error("mkdir '" + dir_ + sub + "'");
  // Runtime state (ours, crun's and runc's) lives in /run, a tmpfs on a
  // systemd host; this one's /run may not be: the same, here, for all.
  if (::mount("tmpfs", (dir_ + "/run").c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700,size=64m") < 0)
    return errno_error("mount a tmpfs on '" + dir_ + "/run'");
  run_ = dir_ + "/run";
  for (const char* sub : {"/containers", "/cli", "/crun", "/runc"})
    if (::mkdir((run_ + sub).c_str(), 0700) < 0) return errno_error("mkdir '" + run_ + sub + "'");
  return {};
}

Result<void> Workspace::make_rootfs(const std::string& true_binary) {
  const std::string root = rootfs();
  // Every directory a container is mounted on, as our image cache leaves
  // an unpacked tarball (isolation/image.hpp).
  if (::mkdir((root + "/bin").c_str(), 0755) < 0) return errno_error("mkdir '" + root + "/bin'");
  for (const char* sub : isolation::kRootMountPoints)
    if (::mkdir((root + sub).c_str(), 0755) < 0) return errno_error("mkdir '" + root + sub + "'");
  std::error_code error;
  fs::copy_file(true_binary, root + "/bin/true", error);
  if (error) return Error{"copy '" + true_binary + "' to '" + root + "/bin/true': " + error.message()};
  if (::chmod((root + "/bin/true").c_str(), 0755) < 0) return errno_error("chmod '" + root + "/bin/true'");
  return {};
}

}  // namespace dcos::bench
