#include "isolation/supervisor/supervisor.hpp"

#include <sys/stat.h>
#include <sys/wait.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <string_view>

#include "isolation/supervisor/sys.hpp"

namespace dcos::isolation::supervisor {
namespace {

// memcpy as the compiler's builtin, never _FORTIFY_SOURCE's wrapper: that
// calls __memcpy_chk, which a supervisor built without the C library lacks
// (a package's hardening flags may define _FORTIFY_SOURCE however the
// build undefines it).
void copy(char* to, const char* from, std::size_t size) { __builtin_memcpy(to, from, size); }

template <class T>
bool number(const char* text, T& out) {
  const std::string_view view(text);
  const auto [end, ec] = std::from_chars(view.data(), view.data() + view.size(), out);
  return ec == std::errc{} && end == view.data() + view.size();
}

// One of the container's output streams: copied from its pipe into a file
// that rotates to "<path>.1" once it would pass the bound.
struct LogStream {
  int pipe = -1;
  int file = -1;
  const char* path = nullptr;
  char rotated[4096];  // filled by rotated_name()
  uint64_t written = 0;
};

// The task can write its sandbox: what it put at the log's path is not
// trusted. No link is followed, and only a regular file is written (a FIFO
// opens without blocking and is dropped), so a task cannot stall this
// process or make it write elsewhere. Output with nowhere to go is dropped.
void open_log(LogStream& log, bool truncate) {
  log.file = sys::open(log.path,
                       O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | (truncate ? O_TRUNC : O_APPEND), 0644);
  struct statx st {};
  if (log.file >= 0 && (sys::stat_fd(log.file, st) != 0 || !S_ISREG(st.stx_mode))) {
    sys::close(log.file);
    log.file = -1;
  }
  log.written = log.file >= 0 ? st.stx_size : 0;
}

// Copies what the pipe holds; false at end of file (or error).
bool copy_log(LogStream& log, uint64_t max_bytes) {
  char buffer[65536];
  const long n = sys::read(log.pipe, buffer, sizeof buffer);
  if (n == -EINTR || n == -EAGAIN) return true;
  if (n <= 0) return false;
  if (max_bytes > 0 && log.written > 0 && log.written + static_cast<uint64_t>(n) > max_bytes) {
    if (log.file >= 0) sys::close(log.file);
    sys::rename(log.path, log.rotated);
    open_log(log, true);
  }
  if (log.file >= 0 && sys::write_all(log.file, buffer, static_cast<std::size_t>(n)))
    log.written += static_cast<uint64_t>(n);
  return true;
}

// "exited 3\n" / "signaled 9\n", replaced whole (rename) for the caller.
void record_status(const char* path, int status) {
  char text[32];
  const char* kind = WIFEXITED(status) ? "exited " : "signaled ";
  const int value = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  std::size_t length = std::strlen(kind);
  copy(text, kind, length);
  length = static_cast<std::size_t>(std::to_chars(text + length, text + sizeof text - 1, value).ptr - text);
  text[length++] = '\n';
  char temporary[4096];
  const std::size_t path_length = std::strlen(path);
  if (path_length + 5 >= sizeof temporary) return;
  copy(temporary, path, path_length);
  copy(temporary + path_length, ".tmp", 5);
  const int fd = sys::open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) return;
  const bool ok = sys::write_all(fd, text, length);
  sys::close(fd);
  if (ok) sys::rename(temporary, path);
}

bool rotated_name(const char* path, char (&out)[4096]) {
  const std::size_t length = std::strlen(path);
  if (length + 3 >= sizeof out) return false;
  copy(out, path, length);
  copy(out + length, ".1", 3);
  return true;
}

}  // namespace

bool parse(int argc, const char* const* argv, Args& args) {
  if (argc != kArgc) return false;
  args.stdout_path = argv[5];
  args.stderr_path = argv[6];
  args.status_path = argv[kStatusArg];
  return number(argv[kInitArg], args.init) && number(argv[2], args.stdout_fd) && number(argv[3], args.stderr_fd) &&
         number(argv[4], args.ended_fd) && number(argv[8], args.max_log_bytes) && args.init > 0;
}

int run(const Args& args) {
  LogStream logs[2];
  logs[0].pipe = args.stdout_fd;
  logs[0].path = args.stdout_path;
  logs[1].pipe = args.stderr_fd;
  logs[1].path = args.stderr_path;
  for (auto& log : logs) {
    if (!rotated_name(log.path, log.rotated)) return 2;
    open_log(log, false);
  }
  // The init is this process's child (exec kept it): its pidfd is race-free.
  const int pidfd = sys::pidfd_open(args.init);

  // Copy output until the init has ended; then drain what is left, for a
  // bounded time (the kernel kills the rest of the pid namespace with it,
  // but a process stuck in the kernel may hold a pipe a while).
  bool open[2] = {true, true};
  bool ended = pidfd < 0;
  for (int idle_polls = 0; (open[0] || open[1]) && idle_polls < 20;) {
    pollfd fds[3] = {{open[0] ? logs[0].pipe : -1, POLLIN, 0},
                     {open[1] ? logs[1].pipe : -1, POLLIN, 0},
                     {ended ? -1 : pidfd, POLLIN, 0}};
    const int ready = sys::poll(fds, 3, ended ? 100 : -1);
    if (ready < 0 && ready != -EINTR) break;
    if (ready == 0) ++idle_polls;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].revents) open[i] = copy_log(logs[i], args.max_log_bytes);
    }
    if (fds[2].revents) ended = true;
  }
  int status = 0;
  while (sys::wait(args.init, &status, __WALL) == -EINTR) {
  }
  record_status(args.status_path, status);
  // The caller wakes now, not after this process's teardown.
  sys::close(args.ended_fd);
  return 0;
}

}  // namespace dcos::isolation::supervisor
