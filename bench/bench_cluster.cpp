#include "bench/bench_cluster.hpp"

#include <unistd.h>

#include <filesystem>
#include <thread>

#include <nlohmann/json.hpp>

#include "isolation/cgroups.hpp"
#include "runtime/http_client.hpp"

namespace dcos::bench {

namespace {

bool agent_registered(uint16_t master_port) {
  auto reply = http::get("127.0.0.1", master_port, "/master/state", std::chrono::seconds(5));
  if (!reply || reply->status != 200) return false;
  const auto state = nlohmann::json::parse(reply->body, nullptr, false);
  return !state.is_discarded() && state.value("activated_slaves", 0) == 1;
}

// The agent's containers' cgroups under `root`, and the root itself.
void remove_cgroups(const std::string& root) {
  auto host = isolation::detect_host_cgroups();
  if (!host) return;
  if (auto cgroups = isolation::open_cgroups(*host, root)) {
    if (auto names = (*cgroups)->list())
      for (const auto& name : *names) (void)(*cgroups)->destroy(name);
  }
  std::vector<std::string> mounts;
  if (!host->mounts.unified.empty()) mounts.push_back(host->mounts.unified);
  for (const auto& [controller, mount] : host->mounts.v1) mounts.push_back(mount);
  for (const auto& mount : mounts) ::rmdir((mount + root).c_str());
}

}  // namespace

Result<std::unique_ptr<BenchCluster>> BenchCluster::start(const Options& options,
                                                          const std::vector<std::string>& agent_flags) {
  std::unique_ptr<BenchCluster> cluster(new BenchCluster());
  auto master = DaemonProcess::start(options.master_binary, {});
  if (!master) return master.error();
  cluster->master_ = std::move(*master);
  if (auto healthy = cluster->master_->wait_healthy(options.deadline); !healthy) return healthy.error();

  std::string runtime_dir = "/dev/shm/dcos-bench-agent-run-XXXXXX";
  if (::mkdtemp(runtime_dir.data()) == nullptr) return errno_error("mkdtemp '" + runtime_dir + "'");
  cluster->runtime_dir_ = runtime_dir;
  cluster->cgroups_root_ = "/dcos-bench-tasks-" + std::to_string(::getpid());
  std::vector<std::string> flags = {"--master=127.0.0.1:" + std::to_string(cluster->master_->port()),
                                    "--hostname=bench-agent", "--runtime_dir=" + runtime_dir,
                                    "--cgroups_root=" + cluster->cgroups_root_,
                                    "--resources=" + options.agent_resources};
  flags.insert(flags.end(), agent_flags.begin(), agent_flags.end());
  auto agent = DaemonProcess::start(options.agent_binary, flags, "agent");
  if (!agent) return agent.error();
  cluster->agent_ = std::move(*agent);
  if (auto healthy = cluster->agent_->wait_healthy(options.deadline); !healthy)
    return cluster->fail(healthy.error().message);
  while (!agent_registered(cluster->master_->port())) {
    if (Clock::now() >= options.deadline) return cluster->fail("the agent did not register in time");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return cluster;
}

BenchCluster::~BenchCluster() {
  if (agent_) (void)agent_->stop();
  if (!cgroups_root_.empty()) remove_cgroups(cgroups_root_);
  if (!runtime_dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(runtime_dir_, ignored);
  }
}

Error BenchCluster::fail(const std::string& what) const {
  std::string text = what;
  if (master_) text += "\nmaster log:\n" + master_->log_tail(8);
  if (agent_) text += "agent log:\n" + agent_->log_tail(8);
  return Error{text};
}

std::string sibling_binary(const std::string& relative) {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return relative;
  return (self.parent_path().parent_path() / relative).string();
}

void add_cluster_binary_flags(FlagSet& flags, std::string* master_binary, std::string* agent_binary) {
  *master_binary = sibling_binary("daemons/master/dcos-master");
  *agent_binary = sibling_binary("daemons/agent/dcos-agent");
  flags.add("master_binary", "The dcos-master to start", master_binary);
  flags.add("agent_binary", "The dcos-agent to start", agent_binary);
}

}  // namespace dcos::bench
