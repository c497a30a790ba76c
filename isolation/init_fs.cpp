#include "isolation/init_fs.hpp"

#include <fcntl.h>
#include <linux/mount.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <string_view>

namespace dcos::isolation::init_fs {
namespace {

// "/proc/self/fd/N" into `buffer`, for a descriptor as a path.
const char* fd_path(int fd, char (&buffer)[32]) noexcept {
  constexpr std::string_view prefix = "/proc/self/fd/";
  std::memcpy(buffer, prefix.data(), prefix.size());
  char* end = std::to_chars(buffer + prefix.size(), buffer + sizeof buffer - 1, fd).ptr;
  *end = '\0';
  return buffer;
}

// The per-mount flags a bind mount does not take at once: set after it.
uint64_t mount_attributes(unsigned long flags) noexcept {
  return (flags & MS_RDONLY ? MOUNT_ATTR_RDONLY : 0) | (flags & MS_NOSUID ? MOUNT_ATTR_NOSUID : 0) |
         (flags & MS_NODEV ? MOUNT_ATTR_NODEV : 0) | (flags & MS_NOEXEC ? MOUNT_ATTR_NOEXEC : 0);
}

// Hides `path`: an empty read-only tmpfs over a directory, /dev/null over
// a file. -1 with errno when the mount fails.
int mask(const char* path, bool directory) noexcept {
  return directory ? ::mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0")
                   : ::mount("/dev/null", path, nullptr, MS_BIND, nullptr);
}

}  // namespace

int open_sandbox(const std::string& sandbox, SandboxFds& fds) noexcept {
  fds.dir = ::open(sandbox.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fds.dir < 0) return errno;
  fds.tmp = ::openat(fds.dir, "tmp", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  return fds.tmp < 0 ? errno : 0;
}

int run_step(const FsStep& step, const SandboxFds& sandbox) noexcept {
  auto c_or_null = [](const std::string& s) { return s.empty() ? nullptr : s.c_str(); };
  char buffer[32];
  const int from_fd = step.from == FsStep::From::sandbox       ? sandbox.dir
                      : step.from == FsStep::From::sandbox_tmp ? sandbox.tmp
                                                               : -1;
  const char* source = from_fd >= 0 ? fd_path(from_fd, buffer) : c_or_null(step.source);
  switch (step.kind) {
    case FsStep::Kind::mount: {
      if (::mount(source, step.target.c_str(), c_or_null(step.fstype), step.flags, c_or_null(step.data)) < 0)
        return errno;
      const uint64_t attributes = mount_attributes(step.flags);
      if (!(step.flags & MS_BIND) || attributes == 0) return 0;
      mount_attr attr{};
      attr.attr_set = attributes;
      return ::syscall(SYS_mount_setattr, AT_FDCWD, step.target.c_str(), 0, &attr, sizeof attr) < 0 ? errno : 0;
    }
    case FsStep::Kind::mkdir:
      return ::mkdir(step.target.c_str(), 0755) < 0 && errno != EEXIST ? errno : 0;
    case FsStep::Kind::symlink:
      return ::symlink(step.source.c_str(), step.target.c_str()) < 0 && errno != EEXIST ? errno : 0;
    case FsStep::Kind::pivot_root:
      // pivot_root(".", ".") stacks the old root under the new one; the
      // lazy unmount then drops it, without a put_old directory to clean.
      if (::chdir(step.target.c_str()) < 0) return errno;
      if (::syscall(SYS_pivot_root, ".", ".") < 0) return errno;
      if (::umount2(".", MNT_DETACH) < 0) return errno;
      return ::chdir("/") < 0 ? errno : 0;
    case FsStep::Kind::chdir:
      if (from_fd >= 0) return ::fchdir(from_fd) < 0 ? errno : 0;
      return ::chdir(step.target.c_str()) < 0 ? errno : 0;
    case FsStep::Kind::read_only: {
      if (::mount(step.target.c_str(), step.target.c_str(), nullptr, MS_BIND | MS_REC, nullptr) < 0)
        return errno == ENOENT ? 0 : errno;
      // mount_setattr (5.12+) makes the mounts below read-only too; a plain
      // remount only the top one.
      mount_attr attr{};
      attr.attr_set = MOUNT_ATTR_RDONLY;
      if (::syscall(SYS_mount_setattr, AT_FDCWD, step.target.c_str(), AT_RECURSIVE, &attr, sizeof attr) == 0) return 0;
      if (errno != ENOSYS) return errno;
      return ::mount(nullptr, step.target.c_str(), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr) < 0 ? errno : 0;
    }
    case FsStep::Kind::device:
      // 0666 as it stands: the init runs its steps with umask 0.
      return ::mknod(step.target.c_str(), S_IFCHR | 0666, step.device) < 0 ? errno : 0;
    case FsStep::Kind::mask: {
      // The kernel refuses a directory over a file and the reverse
      // (ENOTDIR): then the other one; a target that is not there, ENOENT.
      const bool directory = step.source == "tmpfs";
      if (mask(step.target.c_str(), directory) == 0 || errno == ENOENT) return 0;
      if (errno != ENOTDIR) return errno;
      return mask(step.target.c_str(), !directory) == 0 || errno == ENOENT ? 0 : errno;
    }
  }
  return EINVAL;
}

}  // namespace dcos::isolation::init_fs
