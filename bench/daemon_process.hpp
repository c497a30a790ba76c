// A real daemon (dcos-master, dcos-agent; or any program, through spawn():
// dcos-dns, unbound) started as a child process for a benchmark.
//
// start() picks a free loopback port, makes a fresh work directory
// (mkdtemp under $TMPDIR or /tmp), and spawns the binary with
// --ip=127.0.0.1 --port=<port> --work_dir=<dir> plus the caller's flags; the
// daemon's stdout and stderr go to <dir>/<kind>.log, and the environment is
// passed on without DCOS_* (flags from the environment) and JOURNAL_STREAM,
// so the run depends only on what the benchmark says. The destructor stops
// the daemon (SIGTERM, SIGKILL after a grace period) and removes the work
// directory, also when the benchmark failed half way.
//
// Every wait is bounded by the deadline it is given. Not thread-safe.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "runtime/result.hpp"

namespace dcos::bench {

using Clock = std::chrono::steady_clock;

class DaemonProcess {
 public:
  // `kind` ("master", "agent") names the work directory, the log and the
  // daemon in errors.
  static Result<std::unique_ptr<DaemonProcess>> start(const std::string& binary,
                                                      const std::vector<std::string>& extra_flags,
                                                      const std::string& kind = "master");
  // Any program, `argv` as given (argv[0] the binary, found on PATH if it
  // has no slash), with a fresh work directory made first and handed to
  // `make_argv`, its output to <dir>/<kind>.log; `http_port` is what
  // wait_healthy() polls (0: the program serves no HTTP).
  static Result<std::unique_ptr<DaemonProcess>> spawn(
      const std::string& kind, uint16_t http_port,
      const std::function<std::vector<std::string>(const std::string& work_dir)>& make_argv);
  ~DaemonProcess();
  DaemonProcess(const DaemonProcess&) = delete;
  DaemonProcess& operator=(const DaemonProcess&) = delete;

  // Polls GET /health until it answers 200, the daemon exits, or `deadline`.
  Result<void> wait_healthy(Clock::time_point deadline);

  // The daemon's resident memory (VmRSS of /proc/<pid>/status), in KiB.
  Result<long> rss_kib() const;

  // Its resident memory in parts, in KiB: VmRSS, RssAnon and RssFile of
  // /proc/<pid>/status, and Pss of /proc/<pid>/smaps_rollup (shared pages
  // divided among the processes that map them).
  struct Memory {
    long rss_kib = 0, anon_kib = 0, file_kib = 0, pss_kib = 0;
  };
  Result<Memory> memory() const;

  // SIGTERM, then waits up to `grace` (SIGKILL after). Returns how it ended:
  // an Error unless it exited with status 0.
  Result<void> stop(std::chrono::milliseconds grace = std::chrono::seconds(10));

  // The last `lines` lines of the daemon's log, for error reports.
  std::string log_tail(std::size_t lines = 20) const;

  uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::string& work_dir() const { return work_dir_; }

  DaemonProcess(std::string kind, std::string work_dir, uint16_t port, pid_t pid)
      : kind_(std::move(kind)), work_dir_(std::move(work_dir)), port_(port), pid_(pid) {}

 private:
  // Reaps the child if it has exited (or waits for it when `block`); true
  // once it is gone, with its status in wait_status_.
  bool reap(bool block);

  std::string kind_;
  std::string work_dir_;
  uint16_t port_;
  pid_t pid_;
  bool running_ = true;
  int wait_status_ = 0;
};

// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0).
Result<uint16_t> free_loopback_port();

}  // namespace dcos::bench
