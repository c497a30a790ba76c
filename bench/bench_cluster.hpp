// A one-agent cluster for benchmarks: a real dcos-master and a real
// dcos-agent as child processes on loopback (bench/daemon_process.hpp).
//
// The agent gets its runtime directory on a tmpfs (/dev/shm, as /run is on
// a systemd host) and its containers under a cgroups root of the
// benchmark's own; start() returns once the agent has registered. The
// destructor stops both and removes the agent's directories and any
// container cgroup left behind (containers outlive their agent by design).
// Root only: the agent runs containers. Not thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "bench/daemon_process.hpp"
#include "runtime/flags.hpp"
#include "runtime/result.hpp"

namespace dcos::bench {

class BenchCluster {
 public:
  struct Options {
    std::string master_binary, agent_binary;
    std::string agent_resources;
    Clock::time_point deadline;
  };
  // `agent_flags`: more flags for the agent ("--name=value").
  static Result<std::unique_ptr<BenchCluster>> start(const Options& options,
                                                     const std::vector<std::string>& agent_flags = {});
  ~BenchCluster();
  BenchCluster(const BenchCluster&) = delete;
  BenchCluster& operator=(const BenchCluster&) = delete;

  DaemonProcess& master() { return *master_; }
  DaemonProcess& agent() { return *agent_; }
  // `what`, with the last lines of both daemons' logs.
  Error fail(const std::string& what) const;

 private:
  BenchCluster() = default;

  std::unique_ptr<DaemonProcess> master_;
  std::string runtime_dir_, cgroups_root_;
  std::unique_ptr<DaemonProcess> agent_;
};

// The build tree's binary at `relative` (e.g. "daemons/master/dcos-master"),
// found from this program's own path (<build>/bench/<program>).
std::string sibling_binary(const std::string& relative);

// --master_binary and --agent_binary, defaulting to the build tree's.
void add_cluster_binary_flags(FlagSet& flags, std::string* master_binary, std::string* agent_binary);

}  // namespace dcos::bench
