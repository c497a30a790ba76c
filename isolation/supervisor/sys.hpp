// The system calls dcos-supervisor makes, without the C library.
//
// A supervisor starts with every container, on the launch's path. A static
// glibc program spends most of its start asking the CPU about its features
// and caches: some 40 cpuid instructions, each a trap to the hypervisor on a
// virtual machine (~10 µs each on the machine the benchmark runs on: 0.3 ms
// of the 0.42 ms a start and exit of an empty static glibc program costs
// there, against 0.12 ms without glibc). So on x86-64 and arm64 the
// supervisor is built without it (start.cpp has the entry point); elsewhere
// these wrappers call glibc's syscall(). Each returns the result or -errno,
// as the kernel does. Async-signal-safe; no state.
#pragma once

#include <fcntl.h>
#include <linux/stat.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>

#if !defined(__x86_64__) && !defined(__aarch64__)
#include <unistd.h>
#endif

namespace dcos::isolation::supervisor::sys {

inline long call(long number, long a = 0, long b = 0, long c = 0, long d = 0, long e = 0) noexcept {
#if defined(__x86_64__)
  long result;
  register long r10 asm("r10") = d;
  register long r8 asm("r8") = e;
  asm volatile("syscall"
               : "=a"(result)
               : "a"(number), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8)
               : "rcx", "r11", "memory");
  return result;
#elif defined(__aarch64__)
  register long x8 asm("x8") = number;
  register long x0 asm("x0") = a;
  register long x1 asm("x1") = b;
  register long x2 asm("x2") = c;
  register long x3 asm("x3") = d;
  register long x4 asm("x4") = e;
  asm volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4) : "memory");
  return x0;
#else
  const long result = ::syscall(number, a, b, c, d, e);
  return result < 0 ? -errno : result;
#endif
}

inline int open(const char* path, int flags, int mode = 0) noexcept {
  return static_cast<int>(call(SYS_openat, AT_FDCWD, reinterpret_cast<long>(path), flags, mode));
}
inline int close(int fd) noexcept { return static_cast<int>(call(SYS_close, fd)); }
inline long read(int fd, void* buffer, std::size_t size) noexcept {
  return call(SYS_read, fd, reinterpret_cast<long>(buffer), static_cast<long>(size));
}
inline long write(int fd, const void* data, std::size_t size) noexcept {
  return call(SYS_write, fd, reinterpret_cast<long>(data), static_cast<long>(size));
}
inline int rename(const char* from, const char* to) noexcept {
  return static_cast<int>(
      call(SYS_renameat, AT_FDCWD, reinterpret_cast<long>(from), AT_FDCWD, reinterpret_cast<long>(to)));
}
// statx of an open descriptor: mode and size.
inline int stat_fd(int fd, struct statx& st) noexcept {
  return static_cast<int>(
      call(SYS_statx, fd, reinterpret_cast<long>(""), AT_EMPTY_PATH, STATX_TYPE | STATX_SIZE, reinterpret_cast<long>(&st)));
}
// poll(2) as ppoll(2), which every architecture has; timeout_ms < 0 waits.
inline int poll(pollfd* fds, unsigned count, int timeout_ms) noexcept {
  timespec timeout{timeout_ms / 1000, (timeout_ms % 1000) * 1000000L};
  return static_cast<int>(call(SYS_ppoll, reinterpret_cast<long>(fds), count,
                               timeout_ms < 0 ? 0 : reinterpret_cast<long>(&timeout), 0, 8));
}
inline int wait(int pid, int* status, int options) noexcept {
  return static_cast<int>(call(SYS_wait4, pid, reinterpret_cast<long>(status), options, 0));
}
inline int pidfd_open(int pid) noexcept { return static_cast<int>(call(SYS_pidfd_open, pid, 0)); }
// The kernel's struct sigaction (the same on x86-64 and arm64); for
// SIG_IGN and SIG_DFL, which need no restorer.
inline int set_signal(int signal, void (*handler)(int)) noexcept {
  struct {
    void (*handler)(int);
    unsigned long flags;
    void (*restorer)();
    uint64_t mask;
  } action{handler, 0, nullptr, 0};
  return static_cast<int>(call(SYS_rt_sigaction, signal, reinterpret_cast<long>(&action), 0, 8));
}
[[noreturn]] inline void exit(int code) noexcept {
  for (;;) call(SYS_exit_group, code);
}

// write(2) until all of it is written; false on an error or a write of
// nothing.
inline bool write_all(int fd, const char* data, std::size_t size) noexcept {
  while (size > 0) {
    const long n = write(fd, data, size);
    if (n == -EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace dcos::isolation::supervisor::sys
