#include "daemons/cli/node_facts.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <map>
#include <set>

#include "isolation/linux/cgroup_layout.hpp"
#include "runtime/atomic_file.hpp"
#include "runtime/http_client.hpp"
#include "runtime/unique_fd.hpp"

extern char** environ;

namespace dcos::cli {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

// The files shown beside each cgroup of the agent's subtree, where present.
constexpr const char* kCgroupFiles[] = {"memory.current", "memory.max",    "memory.usage_in_bytes",
                                        "memory.limit_in_bytes", "pids.current", "pids.max",
                                        "cpu.max",        "cpu.cfs_quota_us"};
constexpr size_t kMaxCgroupValue = 64;

// The first line of a small file, "" when it cannot be read.
std::string first_line(const std::string& path) {
  auto text = read_file(path);
  if (!text) return "";
  std::string line = text->substr(0, text->find('\n'));
  return line.size() > kMaxCgroupValue ? line.substr(0, kMaxCgroupValue) + "..." : line;
}

std::string cgroup_line(const std::string& label, const std::string& mount, const std::string& path) {
  const std::string dir = mount + path;
  std::string line = label + " " + (path.empty() ? "/" : path);
  if (auto procs = read_file(dir + "/cgroup.procs")) {
    size_t count = 0;
    for (char c : *procs) count += c == '\n';
    line += "  procs=" + std::to_string(count);
  }
  for (const char* file : kCgroupFiles) {
    if (::access((dir + "/" + file).c_str(), R_OK) != 0) continue;
    line += std::string("  ") + file + "=" + first_line(dir + "/" + file);
  }
  return line + "\n";
}

// Depth-first below `path`, each child's name sorted; bounded by depth and count.
void walk(const std::string& label, const std::string& mount, const std::string& path, int depth,
          const SubtreeLimits& limits, size_t& listed, std::string& out) {
  if (listed >= limits.cgroups) return;
  ++listed;
  out += cgroup_line(label, mount, path);
  if (depth >= limits.depth) return;
  std::set<std::string> children;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(mount + path, error)) {
    std::error_code type_error;
    if (entry.is_directory(type_error) && !entry.is_symlink(type_error)) children.insert(entry.path().filename());
    if (children.size() > limits.cgroups) break;
  }
  for (const auto& child : children) walk(label, mount, path + "/" + child, depth + 1, limits, listed, out);
}

}  // namespace

Probe probe(const std::string& daemon, const std::string& host, uint16_t port, const std::string& path,
            std::chrono::milliseconds timeout) {
  Probe out;
  out.daemon = daemon;
  out.address = (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
  out.path = path;
  const auto start = Clock::now();
  auto reply = http::get(host, port, path, timeout);
  out.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (!reply) {
    // http's message names the request ("GET http://h:p/path: why"): keep the why.
    out.error = reply.error().message;
    if (const auto colon = out.error.find(": "); out.error.starts_with("GET ") && colon != std::string::npos)
      out.error.erase(0, colon + 2);
    return out;
  }
  out.answered = true;
  out.status = reply->status;
  out.body = std::move(reply->body);
  return out;
}

json probe_json(const Probe& probe) {
  json out = {{"daemon", probe.daemon},
              {"url", "http://" + probe.address + probe.path},
              {"answered", probe.answered},
              {"seconds", probe.seconds}};
  if (probe.answered) {
    out["status"] = probe.status;
    out["bytes"] = probe.body.size();
  } else {
    out["error"] = probe.error;
  }
  return out;
}

Result<json> cgroup_layout_json() {
  auto host = isolation::detect_host_cgroups();
  if (!host) return host.error();
  json out = {{"layout", isolation::layout_name(host->layout)},
              {"unified", host->mounts.unified},
              {"v1", json::object()},
              {"mountinfo", json::array()}};
  for (const auto& [controller, mount] : host->mounts.v1) out["v1"][controller] = mount;
  if (auto mountinfo = read_file("/proc/self/mountinfo")) {
    size_t start = 0;
    while (start < mountinfo->size()) {
      const size_t end = std::min(mountinfo->find('\n', start), mountinfo->size());
      const std::string line = mountinfo->substr(start, end - start);
      if (line.find(" - cgroup ") != std::string::npos || line.find(" - cgroup2 ") != std::string::npos)
        out["mountinfo"].push_back(line);
      start = end + 1;
    }
  }
  return out;
}

std::string cgroup_subtree_text(const std::vector<std::string>& roots, const SubtreeLimits& limits) {
  auto host = isolation::detect_host_cgroups();
  if (!host) return "cannot read the cgroup layout: " + host.error().message + "\n";
  // Each hierarchy once, named by its controllers (co-mounted ones joined).
  std::map<std::string, std::string> labels;  // mount -> label
  if (!host->mounts.unified.empty()) labels[host->mounts.unified] = "cgroup2";
  for (const auto& [controller, mount] : host->mounts.v1) {
    std::string& label = labels[mount];
    label += (label.empty() ? "" : ",") + controller;
  }
  std::string out;
  size_t listed = 0;
  for (std::string root : roots) {
    while (root.size() > 1 && root.ends_with('/')) root.pop_back();
    if (root == "/") root.clear();
    bool found = false;
    for (const auto& [mount, label] : labels) {
      if (::access((mount + root).c_str(), F_OK) != 0) continue;
      found = true;
      walk(label, mount, root, 0, limits, listed, out);
    }
    if (!found) out += "# " + (root.empty() ? "/" : root) + ": in no hierarchy\n";
  }
  if (listed >= limits.cgroups) out += "# stopped at " + std::to_string(limits.cgroups) + " cgroups\n";
  return out;
}

std::string process_cgroups_text(const std::string& comm, size_t max_processes) {
  std::string out;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return "cannot list /proc\n";
  size_t found = 0;
  // Bounded by the number of processes (the kernel's pid_max at most).
  while (struct dirent* entry = ::readdir(proc)) {
    const std::string pid = entry->d_name;
    if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) continue;
    if (first_line("/proc/" + pid + "/comm") != comm) continue;
    auto cgroups = read_file("/proc/" + pid + "/cgroup");
    if (!cgroups) continue;
    out += "pid " + pid + ":\n" + *cgroups;
    if (++found >= max_processes) break;
  }
  ::closedir(proc);
  return out.empty() ? "no process named " + comm + "\n" : out;
}

Result<ProgramOutput> run_program_output(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                                         size_t max_output) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return errno_error("pipe");
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, write_end.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, write_end.get(), 2);
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int spawned = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    errno = spawned;
    return errno_error("run " + argv[0]);
  }
  write_end.reset();
  ProgramOutput out;
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) break;
    pollfd readable{read_end.get(), POLLIN, 0};
    if (::poll(&readable, 1, static_cast<int>(left)) <= 0) continue;
    char buffer[4096];
    const ssize_t n = ::read(read_end.get(), buffer, sizeof buffer);
    if (n <= 0) break;
    if (out.output.size() < max_output)
      out.output.append(buffer, std::min(static_cast<size_t>(n), max_output - out.output.size()));
  }
  // Its output ended: it has exited or is about to (or it closed its end).
  int status = 0;
  pid_t done = 0;
  while ((done = ::waitpid(pid, &status, WNOHANG)) == 0 && Clock::now() < deadline) ::usleep(5000);
  if (done == 0) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    return Error{argv[0] + " did not finish within " + std::to_string(timeout.count()) + " ms"};
  }
  out.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

json package_versions() {
  auto listed = run_program_output({"dpkg-query", "-W", "-f", "${Package}\t${Version}\t${db:Status-Abbrev}\n", "dcos-*"},
                                   std::chrono::seconds(10));
  if (!listed) return {{"error", listed.error().message}};
  json packages = json::object();
  size_t start = 0;
  const std::string& text = listed->output;
  while (start < text.size()) {
    const size_t end = std::min(text.find('\n', start), text.size());
    const std::string line = text.substr(start, end - start);
    start = end + 1;
    const auto tab = line.find('\t');
    if (tab == std::string::npos) continue;
    const auto second = line.find('\t', tab + 1);
    const std::string version = line.substr(tab + 1, second == std::string::npos ? std::string::npos : second - tab - 1);
    // Known to dpkg but not installed (removed, config files left): no version worth naming.
    const std::string status = second == std::string::npos ? "" : line.substr(second + 1);
    if (version.empty()) continue;
    packages[line.substr(0, tab)] = version + (status.starts_with("ii") ? "" : " (dpkg status " + status + ")");
  }
  if (packages.empty()) return {{"error", "dpkg-query knows no dcos-* package (exit " + std::to_string(listed->status) +
                                              "): " + listed->output.substr(0, 200)}};
  return packages;
}

}  // namespace dcos::cli
