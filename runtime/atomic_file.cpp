#include "runtime/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <utility>

namespace dcos {
namespace {

std::string quoted(const std::string& path) { return "'" + path + "'"; }

// Closes on scope exit so that every early error return releases the fd.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd = -1) : fd_(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() { reset(); }

  int get() const { return fd_; }

  // close(2) reports deferred write errors (NFS), so writers check it.
  int close() {
    int fd = fd_;
    fd_ = -1;
    return fd < 0 ? 0 : ::close(fd);
  }

 private:
  void reset() {
    if (fd_ >= 0) {
      int saved_errno = errno;
      ::close(fd_);
      errno = saved_errno;
    }
    fd_ = -1;
  }

  int fd_;
};

// Removes the temporary file unless the rename consumed it. Runs after the
// returned Error was built, so errno in the message is the original failure.
class TemporaryFile {
 public:
  explicit TemporaryFile(std::string path) : path_(std::move(path)) {}
  TemporaryFile(const TemporaryFile&) = delete;
  TemporaryFile& operator=(const TemporaryFile&) = delete;
  ~TemporaryFile() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }

  const std::string& path() const { return path_; }
  void release() { path_.clear(); }

 private:
  std::string path_;
};

std::string directory_of(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// "<path>.tmp.<pid>.<n>": unique per process and per call, so two threads
// replacing the same file never share a temporary file.
std::string temporary_name(const std::string& path) {
  static std::atomic<unsigned long> counter{0};
  return path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
}

// Returns the fd, or -1 with errno set.
int open_exclusive(const std::string& path, int mode) {
  const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
  int fd = ::open(path.c_str(), flags, static_cast<mode_t>(mode));
  if (fd < 0 && errno == EEXIST) {
    // Left by a crashed process that had our pid; O_EXCL keeps us from
    // writing through whatever it is, so remove it and try once more.
    ::unlink(path.c_str());
    fd = ::open(path.c_str(), flags, static_cast<mode_t>(mode));
  }
  return fd;
}

Result<void> write_all(int fd, std::string_view content, const std::string& path) {
  const char* data = content.data();
  size_t left = content.size();
  while (left > 0) {
    ssize_t written = ::write(fd, data, left);
    if (written < 0) {
      if (errno == EINTR) continue;
      return errno_error("write " + quoted(path));
    }
    data += written;
    left -= static_cast<size_t>(written);
  }
  return {};
}

// Without this the rename itself may be lost on a crash: the directory entry
// is metadata of the directory, not of the file.
Result<void> sync_directory(const std::string& directory) {
  FileDescriptor fd(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return errno_error("open " + quoted(directory));
  if (::fsync(fd.get()) < 0) return errno_error("fsync " + quoted(directory));
  return {};
}

}  // namespace

Result<void> write_file_atomically(const std::string& path, std::string_view content, int mode, bool durable) {
  TemporaryFile temporary(temporary_name(path));
  const std::string& tmp = temporary.path();
  // The mode goes through open(2) and so through the umask, like any file a
  // daemon creates; an O_EXCL create always applies it, even on overwrite.
  FileDescriptor fd(open_exclusive(tmp, mode));
  if (fd.get() < 0) return errno_error("open " + quoted(tmp));
  if (auto written = write_all(fd.get(), content, tmp); !written) return written;
  if (durable && ::fsync(fd.get()) < 0) return errno_error("fsync " + quoted(tmp));
  if (fd.close() < 0) return errno_error("close " + quoted(tmp));
  if (::rename(tmp.c_str(), path.c_str()) < 0) {
    return errno_error("rename " + quoted(tmp) + " to " + quoted(path));
  }
  temporary.release();
  return durable ? sync_directory(directory_of(path)) : Result<void>{};
}

Result<std::string> read_file(const std::string& path) {
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return errno_error("open " + quoted(path));
  // st_size is only a hint: files under /proc and /sys report 0 or a guess,
  // and a file may grow while we read. Read until end of file regardless.
  struct stat st {};
  size_t capacity = 4096;
  if (::fstat(fd.get(), &st) == 0 && st.st_size > 0) capacity = static_cast<size_t>(st.st_size) + 1;
  std::string content(capacity, '\0');
  size_t used = 0;
  for (;;) {
    if (used == content.size()) content.resize(content.size() * 2);
    ssize_t got = ::read(fd.get(), content.data() + used, content.size() - used);
    if (got < 0) {
      if (errno == EINTR) continue;
      return errno_error("read " + quoted(path));
    }
    if (got == 0) break;
    used += static_cast<size_t>(got);
  }
  content.resize(used);
  return content;
}

Result<void> make_directories(const std::string& path, int mode) {
  if (path.empty()) {
    errno = ENOENT;
    return errno_error("mkdir " + quoted(path));
  }
  // Most calls make one directory in a parent that exists (or none): one
  // mkdir, not a mkdir and a stat per component.
  if (::mkdir(path.c_str(), static_cast<mode_t>(mode)) == 0) return {};
  if (errno == EEXIST) {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return {};
  }
  // Walk the components from the root so each missing parent is created
  // before its child; existing ones are accepted if they are directories.
  size_t end = 0;
  while (end != std::string::npos) {
    end = path.find('/', end + 1);
    std::string prefix = path.substr(0, end);
    if (prefix.empty() || prefix.back() == '/') continue;  // "/" itself, or "a//b"
    if (::mkdir(prefix.c_str(), static_cast<mode_t>(mode)) == 0) continue;
    if (errno != EEXIST) return errno_error("mkdir " + quoted(prefix));
    struct stat st {};
    if (::stat(prefix.c_str(), &st) < 0) return errno_error("stat " + quoted(prefix));
    if (!S_ISDIR(st.st_mode)) {
      errno = ENOTDIR;
      return errno_error("mkdir " + quoted(prefix));
    }
  }
  return {};
}

}  // namespace dcos
