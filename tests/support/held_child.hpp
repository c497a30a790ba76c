// Test children for cgroup tests: a forked child held at a pipe until the
// test has moved it into its cgroups, so that what it does (fork, allocate,
// spin) happens inside them. Header-only; not thread-safe.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace dcos::testing {

// Whether `pid` still runs: it exists and is not a zombie.
inline bool running(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  const auto close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] != 'Z';
}

// A body for HeldChild: three processes that fork short-lived children
// without end, what a destroy must stop from escaping.
inline int forking_tree() {
  for (int i = 0; i < 3; ++i)
    if (::fork() == 0) break;
  for (;;) {
    const pid_t pid = ::fork();
    if (pid == 0) ::_exit(0);
    if (pid > 0) ::waitpid(pid, nullptr, 0);
  }
}

// Polls `list` (at most 2000 times, 1 ms apart) until it names at least
// `count` processes; returns what it last named.
inline std::vector<pid_t> wait_for_processes(const std::function<std::vector<pid_t>()>& list, std::size_t count) {
  std::vector<pid_t> out;
  for (int i = 0; i < 2000 && out.size() < count; ++i) {
    out = list();
    if (out.size() < count) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return out;
}

class HeldChild {
 public:
  // Forks; the child runs `body` once released and exits with what it
  // returns, or exits 100 if the test closed the pipe without releasing it.
  explicit HeldChild(const std::function<int()>& body) {
    int go[2];
    if (::pipe2(go, O_CLOEXEC) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::close(go[1]);
      char byte;
      if (::read(go[0], &byte, 1) != 1) ::_exit(100);
      ::_exit(body());
    }
    ::close(go[0]);
    go_ = go[1];
  }
  HeldChild(const HeldChild&) = delete;
  HeldChild& operator=(const HeldChild&) = delete;
  ~HeldChild() {
    if (go_ >= 0) ::close(go_);
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }

  pid_t pid() const { return pid_; }

  bool release() {
    const bool told = go_ >= 0 && ::write(go_, "x", 1) == 1;
    ::close(std::exchange(go_, -1));
    return told;
  }

  // The wait status, once the child ends.
  int wait() {
    int status = 0;
    if (::waitpid(std::exchange(pid_, -1), &status, 0) < 0) return -1;
    return status;
  }

 private:
  pid_t pid_ = -1;
  int go_ = -1;
};

}  // namespace dcos::testing
