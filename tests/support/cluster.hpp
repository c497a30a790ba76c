// Test support: real daemons as child processes on loopback.
//
// DaemonProcess starts one of our binaries with flags, captures its log in
// a file, and stops it (SIGTERM, then SIGKILL) when destroyed, so a failing
// test never leaves a daemon behind. free_port() finds a loopback port free
// for TCP and UDP below the kernel's ephemeral range (a port the kernel
// hands out for bind(0) is also what it picks for the next outgoing
// connection: a daemon that bound it a moment later found it taken). wait_until() polls a condition with a bounded
// deadline. TempDir is a directory removed with everything in it (made in
// the temporary directory, or in `parent`).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace dcos::testing {

class TempDir {
 public:
  explicit TempDir(const std::string& parent = "");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class DaemonProcess {
 public:
  // `binary` is a path; `log_path` receives stdout and stderr.
  DaemonProcess(std::string binary, std::vector<std::string> args, std::string log_path);
  ~DaemonProcess();
  DaemonProcess(const DaemonProcess&) = delete;
  DaemonProcess& operator=(const DaemonProcess&) = delete;

  void start();
  void kill(int signal);  // sends the signal and reaps the process
  void stop();            // SIGTERM, then SIGKILL after 5 s
  bool running();
  pid_t pid() const { return pid_; }
  std::string log() const;  // what it has written so far

 private:
  std::string binary_;
  std::vector<std::string> args_;
  std::string log_path_;
  pid_t pid_ = -1;
};

uint16_t free_port();

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout = std::chrono::seconds(10),
                std::chrono::milliseconds interval = std::chrono::milliseconds(20));

// GET http://127.0.0.1:<port><target> parsed as JSON; nullopt when the
// daemon is not answering (yet) or the body is not JSON.
std::optional<nlohmann::json> get_json(uint16_t port, const std::string& target);

// Paths of the binaries under test, from the build (see tests/CMakeLists.txt).
std::string master_binary();
std::string agent_binary();
std::string cli_binary();
std::string dns_binary();
std::string l4lb_binary();

}  // namespace dcos::testing
