#include "tests/support/cluster.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "runtime/http_client.hpp"

namespace dcos::testing {

TempDir::TempDir(const std::string& parent) {
  const std::filesystem::path base = parent.empty() ? std::filesystem::temp_directory_path() : std::filesystem::path(parent);
  std::string pattern = (base / "dcos-test-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp in '" + base.string() + "' failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

DaemonProcess::DaemonProcess(std::string binary, std::vector<std::string> args, std::string log_path)
    : binary_(std::move(binary)), args_(std::move(args)), log_path_(std::move(log_path)) {}

DaemonProcess::~DaemonProcess() { stop(); }

void DaemonProcess::start() {
  if (pid_ > 0) return;
  std::vector<char*> argv;
  argv.push_back(binary_.data());
  for (auto& arg : args_) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const int log_fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) throw std::runtime_error("open " + log_path_);
  pid_ = ::fork();
  if (pid_ == 0) {
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    ::setpgid(0, 0);
    ::execv(binary_.c_str(), argv.data());
    ::_exit(127);
  }
  ::close(log_fd);
  if (pid_ < 0) throw std::runtime_error("fork failed");
}

void DaemonProcess::kill(int signal) {
  if (pid_ <= 0) return;
  ::kill(pid_, signal);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

void DaemonProcess::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  for (int i = 0; i < 250; ++i) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(SIGKILL);
}

bool DaemonProcess::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

std::string DaemonProcess::log() const {
  std::ifstream in(log_path_);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

namespace {

// Whether `port` on 127.0.0.1 can be bound now with `type` (no SO_REUSEADDR).
bool bindable(uint16_t port, int type) {
  const int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  const bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return free;
}

}  // namespace

uint16_t free_port() {
  // Below the ephemeral range (Linux's default starts at 32768), never one
  // this process handed out before; random, so that parallel test
  // processes seldom try the same one.
  static std::mutex mutex;
  static std::set<uint16_t> given;
  static std::mt19937 random(static_cast<unsigned>(::getpid()) ^
                             static_cast<unsigned>(std::chrono::steady_clock::now().time_since_epoch().count()));
  std::lock_guard lock(mutex);
  std::uniform_int_distribution<int> pick(12000, 32000);
  for (int tries = 0; tries < 1000; ++tries) {
    const auto port = static_cast<uint16_t>(pick(random));
    if (given.count(port) || !bindable(port, SOCK_STREAM) || !bindable(port, SOCK_DGRAM)) continue;
    given.insert(port);
    return port;
  }
  throw std::runtime_error("cannot find a free port in 12000-32000");
}

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
                std::chrono::milliseconds interval) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(interval);
  }
  return condition();
}

std::optional<nlohmann::json> get_json(uint16_t port, const std::string& target) {
  auto reply = http::get("127.0.0.1", port, target, std::chrono::seconds(2));
  if (!reply || reply->status != 200) return std::nullopt;
  auto parsed = nlohmann::json::parse(reply->body, nullptr, false);
  if (parsed.is_discarded()) return std::nullopt;
  return parsed;
}

std::string master_binary() { return DCOS_MASTER_BINARY; }
std::string agent_binary() { return DCOS_AGENT_BINARY; }
std::string cli_binary() { return DCOS_CLI_BINARY; }
std::string dns_binary() { return DCOS_DNS_BINARY; }
std::string l4lb_binary() { return DCOS_L4LB_BINARY; }

}  // namespace dcos::testing
