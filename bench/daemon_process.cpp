#include "bench/daemon_process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <string_view>
#include <thread>

#include "runtime/http_client.hpp"

extern char** environ;

namespace dcos::bench {

namespace {

std::string errno_text(const std::string& what, int error) { return what + ": " + std::strerror(error); }

// Our environment minus what would change the daemon's flags or its log sink.
std::vector<std::string> child_environment() {
  std::vector<std::string> out;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    if (text.starts_with("DCOS_") || text.starts_with("JOURNAL_STREAM=")) continue;
    out.emplace_back(text);
  }
  return out;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return std::string("killed by signal ") + strsignal(WTERMSIG(status));
  return "ended with wait status " + std::to_string(status);
}

}  // namespace

Result<uint16_t> free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Error{errno_text("socket", errno)};
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    const int error = errno;
    ::close(fd);
    return Error{errno_text("bind 127.0.0.1:0", error)};
  }
  ::close(fd);
  return static_cast<uint16_t>(ntohs(address.sin_port));
}

Result<std::unique_ptr<DaemonProcess>> DaemonProcess::start(const std::string& binary,
                                                            const std::vector<std::string>& extra_flags,
                                                            const std::string& kind) {
  if (::access(binary.c_str(), X_OK) != 0) return Error{errno_text(kind + " binary '" + binary + "'", errno)};
  auto port = free_loopback_port();
  if (!port) return port.error();

  return spawn(kind, *port, [&](const std::string& work_dir) {
    std::vector<std::string> args = {binary, "--ip=127.0.0.1", "--port=" + std::to_string(*port),
                                     "--work_dir=" + work_dir};
    args.insert(args.end(), extra_flags.begin(), extra_flags.end());
    return args;
  });
}

Result<std::unique_ptr<DaemonProcess>> DaemonProcess::spawn(
    const std::string& kind, uint16_t http_port,
    const std::function<std::vector<std::string>(const std::string& work_dir)>& make_argv) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/dcos-bench-" + kind + "-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) return Error{errno_text("mkdtemp '" + pattern + "'", errno)};
  const std::string work_dir = pattern;
  const std::string log_path = work_dir + "/" + kind + ".log";

  std::vector<std::string> args = make_argv(work_dir);
  auto env = child_environment();
  auto argv = c_strings(args);
  auto envp = c_strings(env);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  pid_t pid = 0;
  const int error = ::posix_spawnp(&pid, args.at(0).c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (error != 0) {
    std::error_code ignored;
    std::filesystem::remove_all(work_dir, ignored);
    return Error{errno_text("spawn '" + args.at(0) + "'", error)};
  }
  return std::make_unique<DaemonProcess>(kind, work_dir, http_port, pid);
}

DaemonProcess::~DaemonProcess() {
  if (running_) (void)stop();
  std::error_code ignored;
  std::filesystem::remove_all(work_dir_, ignored);
}

bool DaemonProcess::reap(bool block) {
  if (!running_) return true;
  for (;;) {
    const pid_t done = ::waitpid(pid_, &wait_status_, block ? 0 : WNOHANG);
    if (done == pid_) break;
    if (done == 0) return false;
    if (errno == EINTR) continue;
    wait_status_ = 0;  // not our child any more (ECHILD): nothing to wait for
    break;
  }
  running_ = false;
  return true;
}

Result<void> DaemonProcess::wait_healthy(Clock::time_point deadline) {
  if (port_ == 0) return Error{kind_ + " serves no HTTP to ask for /health"};
  for (int attempt = 0; Clock::now() < deadline; ++attempt) {
    if (reap(false)) return Error{kind_ + " " + describe_status(wait_status_) + " before it was healthy"};
    auto reply = http::get("127.0.0.1", port_, "/health", std::chrono::milliseconds(500));
    if (reply && reply->status == 200) return {};
    std::this_thread::sleep_for(std::chrono::milliseconds(attempt < 50 ? 10 : 100));
  }
  return Error{kind_ + " did not answer GET /health on 127.0.0.1:" + std::to_string(port_) + " in time"};
}

namespace {

// The "<key>:   <n> kB" lines of a /proc file, for the keys asked (0 if absent).
Result<std::vector<long>> proc_kib_fields(const std::string& path, const std::vector<std::string_view>& keys) {
  std::ifstream in(path);
  if (!in) return Error{errno_text("open '" + path + "'", errno)};
  std::vector<long> values(keys.size(), 0);
  std::string line;
  while (std::getline(in, line)) {
    for (std::size_t i = 0; i < keys.size(); ++i) {
      if (line.size() <= keys[i].size() || !line.starts_with(keys[i]) || line[keys[i].size()] != ':') continue;
      const char* digits = line.c_str() + keys[i].size() + 1;
      char* end = nullptr;
      values[i] = std::strtol(digits, &end, 10);
      if (end == digits || values[i] < 0) return Error{"'" + path + "': cannot read '" + line + "'"};
    }
  }
  return values;
}

}  // namespace

Result<long> DaemonProcess::rss_kib() const {
  auto memory = this->memory();
  if (!memory) return memory.error();
  return memory->rss_kib;
}

Result<DaemonProcess::Memory> DaemonProcess::memory() const {
  const std::string proc = "/proc/" + std::to_string(pid_);
  auto status = proc_kib_fields(proc + "/status", {"VmRSS", "RssAnon", "RssFile"});
  if (!status) return status.error();
  if ((*status)[0] <= 0) return Error{"'" + proc + "/status' has no VmRSS"};
  auto rollup = proc_kib_fields(proc + "/smaps_rollup", {"Pss"});
  if (!rollup) return rollup.error();
  return Memory{(*status)[0], (*status)[1], (*status)[2], (*rollup)[0]};
}

Result<void> DaemonProcess::stop(std::chrono::milliseconds grace) {
  if (running_) {
    ::kill(pid_, SIGTERM);
    const auto deadline = Clock::now() + grace;
    while (!reap(false) && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (running_) {
      ::kill(pid_, SIGKILL);
      reap(true);
      return Error{kind_ + " did not stop within " + std::to_string(grace.count()) + " ms of SIGTERM; killed"};
    }
  }
  if (WIFEXITED(wait_status_) && WEXITSTATUS(wait_status_) == 0) return {};
  return Error{kind_ + " " + describe_status(wait_status_)};
}

std::string DaemonProcess::log_tail(std::size_t lines) const {
  std::ifstream in(work_dir_ + "/" + kind_ + ".log");
  std::deque<std::string> tail;
  std::string line;
  while (std::getline(in, line)) {
    tail.push_back(std::move(line));
    if (tail.size() > lines) tail.pop_front();
  }
  std::string out;
  for (const auto& l : tail) out += "  | " + l + "\n";
  return out;
}

}  // namespace dcos::bench
