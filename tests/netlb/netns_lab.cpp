#include "tests/netlb/netns_lab.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "tests/netlb/tcp_backend.hpp"

namespace dcos::netlb::testing {

namespace {

int shell(const std::string& command, std::string* output = nullptr) {
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return -1;
  std::array<char, 4096> buffer;
  std::string text;
  while (std::size_t n = fread(buffer.data(), 1, buffer.size(), pipe)) text.append(buffer.data(), n);
  const int status = pclose(pipe);
  if (output) *output = text;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int open_netns(const std::string& name) { return open(("/var/run/netns/" + name).c_str(), O_RDONLY | O_CLOEXEC); }

void set_timeouts(int fd) {
  timeval timeout{2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
}

// A connected socket and the backend's number it read, or -1.
int dial(const std::string& address, uint16_t port, int* backend) {
  *backend = 0;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  set_timeouts(fd);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  inet_pton(AF_INET, address.c_str(), &to.sin_addr);
  char id = 0;
  if (connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0 || read(fd, &id, 1) != 1) {
    close(fd);
    return -1;
  }
  *backend = id;
  return fd;
}

void close_with_reset(int fd) {
  linger reset{1, 0};  // no TIME_WAIT left behind to skew the next connections
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
  close(fd);
}

// Namespaces of an earlier run of ours whose process died before its
// destructor ran (a crash, SIGKILL): l4t<pid>-... with that pid gone.
void remove_stale_namespaces() {
  DIR* dir = opendir("/var/run/netns");
  if (!dir) return;
  std::vector<std::string> stale;
  while (dirent* entry = readdir(dir)) {
    const std::string name = entry->d_name;
    if (name.rfind("l4t", 0) != 0) continue;
    const long pid = std::strtol(name.c_str() + 3, nullptr, 10);
    if (pid > 0 && kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) stale.push_back(name);
  }
  closedir(dir);
  for (const std::string& name : stale) shell("ip netns del " + name);
}

}  // namespace

std::unique_ptr<NetnsLab> NetnsLab::make(int backends, std::string* why, bool servers) {
  if (geteuid() != 0) {
    *why = "not root";
    return nullptr;
  }
  remove_stale_namespaces();
  std::unique_ptr<NetnsLab> lab(new NetnsLab());
  lab->prefix_ = "l4t" + std::to_string(getpid()) + "-";
  if (auto built = lab->build(backends, servers); !built) {
    *why = built.error().message;
    return nullptr;
  }
  return lab;
}

Result<void> NetnsLab::build(int backends, bool servers) {
  std::string out;
  auto step = [&](const std::string& command) -> Result<void> {
    if (shell(command, &out) != 0) return Error{"'" + command + "': " + out};
    return {};
  };
  auto add_netns = [&](const std::string& name) -> Result<void> {
    if (auto made = step("ip netns add " + name); !made) return made;
    namespaces_.push_back(name);
    return step("ip -n " + name + " link set lo up");
  };
  const std::string lb = this->lb(), client = this->client();
  for (auto r : {add_netns(lb), step("ip -n " + lb + " route add local 11.0.0.0/8 dev lo"),
                 step("ip netns exec " + lb + " sysctl -qw net.ipv4.ip_forward=1"), add_netns(client),
                 step("ip link add vc netns " + lb + " type veth peer name eth0 netns " + client),
                 step("ip -n " + lb + " addr add 10.77.200.1/24 dev vc"), step("ip -n " + lb + " link set vc up"),
                 step("ip -n " + client + " addr add 10.77.200.2/24 dev eth0"),
                 step("ip -n " + client + " link set eth0 up"),
                 step("ip -n " + client + " route add default via 10.77.200.1")})
    if (!r) return r;
  for (int i = 1; i <= backends; ++i) {
    const std::string b = backend_netns(i), n = std::to_string(i), veth = "v" + n;
    for (auto r : {add_netns(b), step("ip link add " + veth + " netns " + lb + " type veth peer name eth0 netns " + b),
                   step("ip -n " + lb + " addr add 10.77." + n + ".1/24 dev " + veth),
                   step("ip -n " + lb + " link set " + veth + " up"),
                   step("ip -n " + b + " addr add 10.77." + n + ".2/24 dev eth0"),
                   step("ip -n " + b + " link set eth0 up"),
                   step("ip -n " + b + " route add default via 10.77." + n + ".1")})
      if (!r) return r;
    if (servers)
      if (auto started = start_server(i); !started) return started;
  }
  return {};
}

Result<void> NetnsLab::start_server(int i) {
  int ns = open_netns(backend_netns(i));
  if (ns < 0) return errno_error("open the backend's netns");
  int ready[2];
  if (pipe2(ready, O_CLOEXEC) != 0) return errno_error("pipe2");
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) return errno_error("fork");
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent || setns(ns, CLONE_NEWNET) != 0) _exit(1);
    auto listener = listen_tcp(8080);
    if (!listener) _exit(1);
    char ok = 1;
    if (write(ready[1], &ok, 1) != 1) _exit(1);
    serve_forever(*listener, static_cast<char>(i));
  }
  close(ns);
  close(ready[1]);
  servers_.push_back(pid);
  char ok = 0;
  const bool started = read(ready[0], &ok, 1) == 1;
  close(ready[0]);
  if (!started) return Error{"backend server " + std::to_string(i) + " did not start"};
  return {};
}

NetnsLab::~NetnsLab() {
  leave();
  for (pid_t pid : servers_) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
  for (const std::string& name : namespaces_) shell("ip netns del " + name);
}

Result<void> NetnsLab::enter_lb() {
  int ns = open_netns(lb());
  if (ns < 0) return errno_error("open the lb netns");
  home_ = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  const bool entered = home_ >= 0 && setns(ns, CLONE_NEWNET) == 0;
  close(ns);
  if (!entered) return errno_error("setns into " + lb());
  return {};
}

void NetnsLab::leave() {
  if (home_ < 0) return;
  setns(home_, CLONE_NEWNET);
  close(home_);
  home_ = -1;
}

int NetnsLab::run_in_lb(const std::string& command, std::string* output) const {
  return shell("ip netns exec " + lb() + " " + command, output);
}

int NetnsLab::connect_once(const std::string& address, uint16_t port) {
  int backend = 0;
  int fd = dial(address, port, &backend);
  if (fd >= 0) close_with_reset(fd);
  return backend;
}

void NetnsLab::in_netns(const std::string& name, const std::function<void()>& work) {
  std::thread([&] {
    int ns = open_netns(name);
    if (ns < 0) return;
    if (setns(ns, CLONE_NEWNET) == 0) work();
    close(ns);
  }).join();
}

int NetnsLab::connect_from_client(const std::string& address, uint16_t port) const {
  int backend = 0;
  in_client([&] { backend = connect_once(address, port); });
  return backend;
}

std::unique_ptr<HeldConnection> NetnsLab::hold_from_client(const std::string& address, uint16_t port) const {
  std::unique_ptr<HeldConnection> held;
  in_client([&] { held = std::make_unique<HeldConnection>(address, port); });
  return held;
}

HeldConnection::HeldConnection(const std::string& address, uint16_t port) { fd_ = dial(address, port, &backend_); }

HeldConnection::~HeldConnection() {
  if (fd_ >= 0) close_with_reset(fd_);
}

bool HeldConnection::echoes() {
  if (fd_ < 0) return false;
  const char ping[4] = {'p', 'i', 'n', 'g'};
  char pong[4] = {};
  return write(fd_, ping, 4) == 4 && read(fd_, pong, 4) == 4 && std::equal(ping, ping + 4, pong);
}

}  // namespace dcos::netlb::testing
