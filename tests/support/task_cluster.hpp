// Test support: a cluster that runs tasks, every part a real process on
// loopback: one dcos-master and dcos-agents that run tasks in containers
// (cgroups, namespaces, seccomp), so root only. Each agent gets its own work
// dir, runtime dir and cgroups root; the destructor stops the daemons and
// destroys whatever task is left in those roots (tasks outlive their agent
// by design), also when a test failed half way. Not thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "isolation/cgroups.hpp"
#include "tests/support/cluster.hpp"

namespace dcos::testing {

struct AgentNode {
  std::string name;  // also its --hostname
  uint16_t port = 0;
  std::string cgroups_root;
  std::unique_ptr<DaemonProcess> process;
  std::string id;  // the master's id for it, once registered
};

// Where an agent runs: by default beside the master on 127.0.0.1; or in
// the network namespace `netns` (one the test made, by its name under
// /var/run/netns), listening on `ip` (the address the master's state gives
// its tasks) and reaching the master at `master_ip` (the master then needs
// --ip=0.0.0.0).
struct AgentPlace {
  std::string netns;
  std::string ip = "127.0.0.1";
  std::string master_ip = "127.0.0.1";
};

class TaskCluster {
 public:
  // Starts the master with `master_flags` added (--ip=127.0.0.1 and an
  // --allocation_interval of 100ms unless given) and waits for /health;
  // check error() after.
  explicit TaskCluster(const std::vector<std::string>& master_flags = {});
  ~TaskCluster();
  TaskCluster(const TaskCluster&) = delete;
  TaskCluster& operator=(const TaskCluster&) = delete;

  // What went wrong starting the master or detecting the host's cgroups; "" if nothing.
  const std::string& error() const { return error_; }
  const isolation::HostCgroups& host() const { return host_; }
  uint16_t port() const { return port_; }
  DaemonProcess& master() { return *master_; }
  const std::deque<AgentNode>& agents() const { return agents_; }

  // Starts an agent and waits (20 s at most) until the master lists it
  // active; its id stays empty if it did not.
  AgentNode& start_agent(const std::string& name, const std::string& resources = "cpus:2;mem:1024",
                         const AgentPlace& place = {});
  // The id the master gave the active agent with this hostname, "" before it registered.
  std::string registered_id(const std::string& hostname);
  // Every daemon's log, for failure messages.
  std::string logs();

  // A copy of `binary` (a program of the build tree) at a path tasks see,
  // for their commands: containers get a private /tmp, so a build tree
  // below /tmp (a clone there) is hidden from them. The copy is in a
  // directory of the cluster's below /var/tmp, which containers share with
  // the host, removed with the cluster. (The agent has no fetcher for
  // CommandInfo.uris yet, the way a user would ship a program.)
  std::string task_visible_copy(const std::string& binary);

 private:
  TempDir dir_;
  isolation::HostCgroups host_;
  uint16_t port_ = 0;
  std::unique_ptr<DaemonProcess> master_;
  std::deque<AgentNode> agents_;  // a deque: references to nodes stay valid
  std::unique_ptr<TempDir> visible_dir_;  // task_visible_copy()'s, made on first use
  std::string error_;
};

}  // namespace dcos::testing
