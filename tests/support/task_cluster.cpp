#include "tests/support/task_cluster.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>

namespace dcos::testing {

using namespace std::chrono_literals;

TaskCluster::TaskCluster(const std::vector<std::string>& master_flags) {
  auto host = isolation::detect_host_cgroups();
  if (!host) {
    error_ = "cannot detect the host's cgroups: " + host.error().message;
    return;
  }
  host_ = *host;
  port_ = free_port();
  std::vector<std::string> args = {"--port=" + std::to_string(port_), "--work_dir=" + dir_.path() + "/master"};
  const auto given = [&](const std::string& prefix) {
    return std::any_of(master_flags.begin(), master_flags.end(),
                       [&](const std::string& flag) { return flag.starts_with(prefix); });
  };
  if (!given("--ip=")) args.push_back("--ip=127.0.0.1");
  // Quick cycles, so that tests do not wait for offers.
  if (!given("--allocation_interval=")) args.push_back("--allocation_interval=100ms");
  args.insert(args.end(), master_flags.begin(), master_flags.end());
  master_ = std::make_unique<DaemonProcess>(master_binary(), args, dir_.path() + "/master.log");
  master_->start();
  if (!wait_until([&] { return get_json(port_, "/health").has_value(); }))
    error_ = "the master did not become healthy:\n" + master_->log();
}

TaskCluster::~TaskCluster() {
  for (auto& node : agents_)
    if (node.process) node.process->stop();
  if (master_) master_->stop();
  // Tasks outlive their agent by design: kill what is left, remove the roots.
  for (const auto& node : agents_) {
    auto cgroups = isolation::open_cgroups(host_, node.cgroups_root);
    if (!cgroups) continue;
    if (auto names = (*cgroups)->list())
      for (const auto& name : *names) (void)(*cgroups)->destroy(name);
    std::vector<std::string> mounts;
    if (!host_.mounts.unified.empty()) mounts.push_back(host_.mounts.unified);
    for (const auto& [controller, mount] : host_.mounts.v1) mounts.push_back(mount);
    for (const auto& mount : mounts) ::rmdir((mount + node.cgroups_root).c_str());
  }
}

AgentNode& TaskCluster::start_agent(const std::string& name, const std::string& resources, const AgentPlace& place) {
  static std::atomic<int> counter{0};
  AgentNode node;
  node.name = name;
  node.port = free_port();
  node.cgroups_root = "/dcos-test-tasks-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  const std::string dir = dir_.path() + "/" + name;
  std::vector<std::string> args = {"--master=" + place.master_ip + ":" + std::to_string(port_), "--ip=" + place.ip,
                                   "--port=" + std::to_string(node.port), "--hostname=" + name,
                                   "--work_dir=" + dir + "/work", "--runtime_dir=" + dir + "/run",
                                   "--cgroups_root=" + node.cgroups_root, "--resources=" + resources};
  std::string binary = agent_binary();
  if (!place.netns.empty()) {  // nsenter execs the agent: the pid is the agent's
    args.insert(args.begin(), {"--net=/var/run/netns/" + place.netns, "--", binary});
    binary = "/usr/bin/nsenter";
  }
  node.process = std::make_unique<DaemonProcess>(binary, std::move(args), dir_.path() + "/" + name + ".log");
  node.process->start();
  agents_.push_back(std::move(node));
  AgentNode& added = agents_.back();
  wait_until([&] { return !(added.id = registered_id(name)).empty(); }, 20s);
  return added;
}

std::string TaskCluster::registered_id(const std::string& hostname) {
  auto state = get_json(port_, "/master/state");
  if (!state) return "";
  for (const auto& agent : (*state)["slaves"])
    if (agent.value("hostname", "") == hostname && agent.value("active", false)) return agent.value("id", "");
  return "";
}

std::string TaskCluster::task_visible_copy(const std::string& binary) {
  namespace fs = std::filesystem;
  if (!visible_dir_) {
    visible_dir_ = std::make_unique<TempDir>("/var/tmp");
    // mkdtemp's 0700 would keep a task of another user out.
    fs::permissions(visible_dir_->path(), fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                               fs::perms::others_read | fs::perms::others_exec);
  }
  const std::string copy = visible_dir_->path() + "/" + fs::path(binary).filename().string();
  fs::copy_file(binary, copy, fs::copy_options::overwrite_existing);
  return copy;
}

std::string TaskCluster::logs() {
  std::string out = "master:\n" + (master_ ? master_->log() : std::string());
  for (const auto& node : agents_) out += "\n" + node.name + ":\n" + node.process->log();
  return out;
}

}  // namespace dcos::testing
