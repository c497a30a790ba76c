// Integration tests of agent registration and liveness: a real dcos-master
// and three dcos-agents as processes on loopback. Daemons are killed with
// SIGKILL and restarted on the same work_dir to check what Mesos promises:
// a lost agent becomes unreachable, and an agent keeps its id across
// restarts of either side.
//
// Every wait is bounded (wait_until) and returns as soon as its condition
// holds; nothing here asserts on elapsed time. On failure, TearDown prints
// every daemon's log so a CI failure can be read without a rerun.
#include <signal.h>

#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/http_client.hpp"
#include "tests/support/cluster.hpp"

namespace dcos::testing {
namespace {

using nlohmann::json;
using ::testing::AssertionFailure;
using ::testing::AssertionResult;
using ::testing::AssertionSuccess;
using namespace std::chrono_literals;

// Generous, so that a loaded CI machine turns a slow success into a slow
// success and not a failure; a passing wait returns as soon as it can.
constexpr std::chrono::milliseconds kWait = 30s;
constexpr int kAgents = 3;

struct AgentNode {
  std::string hostname;
  uint16_t port = 0;
  json resources;   // what the master must list for this agent's --resources
  json attributes;  // and for its --attributes
  std::unique_ptr<DaemonProcess> process;
};

// The entry with this id in a JSON array of agents, or nullptr.
const json* find_agent(const json& list, const std::string& id) {
  if (!list.is_array()) return nullptr;
  for (const json& agent : list)
    if (agent.value("id", "") == id) return &agent;
  return nullptr;
}

// One of /master/state's agent lists; empty while the master is not answering.
json agents_in(const json& state, const char* list) {
  return state.is_object() && state.contains(list) ? state[list] : json::array();
}

bool active_in(const json& state, const std::string& id) {
  const json slaves = agents_in(state, "slaves");
  const json* agent = find_agent(slaves, id);
  return agent != nullptr && agent->value("active", false);
}

// Whether one line of `log` mentions both `a` and `b`.
bool log_line_has(const std::string& log, const std::string& a, const std::string& b) {
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);)
    if (line.find(a) != std::string::npos && line.find(b) != std::string::npos) return true;
  return false;
}

class ClusterTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (!HasFailure()) return;
    if (master_) std::cout << "---- dcos-master log ----\n" << master_->log();
    for (const AgentNode& agent : agents_)
      std::cout << "---- dcos-agent " << agent.hostname << " log ----\n" << agent.process->log();
    std::cout << std::flush;
  }

  ~ClusterTest() override {
    // A daemon takes about a second to stop after SIGTERM; signalling all
    // of them first lets the destructors below wait one second, not one each.
    std::vector<DaemonProcess*> all{master_.get()};
    for (AgentNode& agent : agents_) all.push_back(agent.process.get());
    for (DaemonProcess* daemon : all)
      if (daemon && daemon->running()) ::kill(daemon->pid(), SIGTERM);
  }

  // Starts the master, or restarts it with the same port and work_dir.
  AssertionResult start_master() {
    if (!master_) {
      master_ = std::make_unique<DaemonProcess>(
          master_binary(),
          std::vector<std::string>{"--ip=127.0.0.1", "--port=" + std::to_string(master_port_),
                                   "--work_dir=" + dir_.path() + "/master", "--agent_ping_timeout=200ms",
                                   "--max_agent_ping_timeouts=3", "--log_level=info"},
          dir_.path() + "/master.log");
    }
    master_->start();
    if (wait_until([&] { return get_json(master_port_, "/health").has_value(); }, kWait)) return AssertionSuccess();
    return AssertionFailure() << "the master never served /health on port " << master_port_;
  }

  // Starts agent `n`, each with its own resources and attributes.
  void add_agent(int n) {
    AgentNode agent;
    agent.hostname = "agent-" + std::to_string(n);
    agent.port = free_port();
    const int first_port = 31000 + 100 * n;
    const std::string ports = "[" + std::to_string(first_port) + "-" + std::to_string(first_port + 99) + "]";
    agent.resources = {{"cpus", n + 1}, {"mem", 1024 * (n + 1)}, {"disk", 2048}, {"ports", ports}};
    agent.attributes = {{"rack", "r" + std::to_string(n)}, {"level", n}};
    const std::string resources =
        "cpus:" + std::to_string(n + 1) + ";mem:" + std::to_string(1024 * (n + 1)) + ";disk:2048;ports:" + ports;
    agent.process = std::make_unique<DaemonProcess>(
        agent_binary(),
        std::vector<std::string>{"--master=127.0.0.1:" + std::to_string(master_port_), "--ip=127.0.0.1",
                                 "--port=" + std::to_string(agent.port),
                                 "--work_dir=" + dir_.path() + "/" + agent.hostname, "--hostname=" + agent.hostname,
                                 "--resources=" + resources,
                                 "--attributes=rack:r" + std::to_string(n) + ";level:" + std::to_string(n),
                                 "--registration_backoff_factor=100ms", "--log_level=info"},
        dir_.path() + "/" + agent.hostname + ".log");
    agent.process->start();
    agents_.push_back(std::move(agent));
  }

  // The master's /master/state, or null while it is not answering.
  json state() const { return get_json(master_port_, "/master/state").value_or(json()); }

  // Agent `n`'s own /state, or null while it is not answering.
  json agent_state(int n) const { return get_json(agents_[n].port, "/state").value_or(json()); }

  // Whether agent `n` says it is registered under `id`.
  bool agent_registered_as(int n, const std::string& id) const {
    json own = agent_state(n);
    return own.is_object() && own.value("registered", false) && own.value("id", "") == id;
  }

  // Master and three agents, all registered; fills ids_ from the agents.
  AssertionResult start_cluster() {
    if (auto started = start_master(); !started) return started;
    for (int n = 0; n < kAgents; ++n) add_agent(n);
    const bool registered = wait_until(
        [&] {
          json s = state();
          if (!s.is_object() || s["slaves"].size() != std::size_t{kAgents}) return false;
          std::vector<std::string> ids;
          for (int n = 0; n < kAgents; ++n) {
            json own = agent_state(n);
            if (!own.is_object() || !own.value("registered", false) || !active_in(s, own.value("id", ""))) return false;
            ids.push_back(own["id"]);
          }
          ids_ = std::move(ids);
          return true;
        },
        kWait);
    if (!registered) return AssertionFailure() << "three agents did not register; master state: " << state().dump();
    return AssertionSuccess();
  }

  // Kills agent `n` with SIGKILL and follows it to unreachable_agents: first
  // inactive (or straight to unreachable), never in two lists or in none.
  AssertionResult kill_until_unreachable(int n) {
    const std::string id = ids_[n];
    agents_[n].process->kill(SIGKILL);
    int misplaced = 0;
    const auto where = [&](const json& s) {
      const bool in_slaves = find_agent(agents_in(s, "slaves"), id) != nullptr;
      const bool unreachable = find_agent(agents_in(s, "unreachable_agents"), id) != nullptr;
      if (s.is_object() && in_slaves == unreachable) ++misplaced;
      return std::pair{in_slaves, unreachable};
    };
    if (!wait_until(
            [&] {
              json s = state();
              return !active_in(s, id) && where(s) != std::pair{false, false};
            },
            kWait))
      return AssertionFailure() << "agent " << id << " was never shown inactive: " << state().dump();
    if (!wait_until([&] { return where(state()) == std::pair{false, true}; }, kWait))
      return AssertionFailure() << "agent " << id << " never became unreachable: " << state().dump();
    if (misplaced > 0)
      return AssertionFailure() << "agent " << id << " was in both or neither list " << misplaced << " times";
    // The state is served after the log line is written; wait anyway, the
    // log is read through a file.
    if (!wait_until([&] { return log_line_has(master_->log(), id, "unreachable"); }, kWait))
      return AssertionFailure() << "the master's log has no line naming " << id << " unreachable";
    return AssertionSuccess();
  }

  // After a master restart: a new master id, every agent back in slaves,
  // active, re-registered, with its old id, and none left recovered.
  AssertionResult all_reregistered(const std::string& old_master_id) {
    const bool back = wait_until(
        [&] {
          json s = state();
          if (!s.is_object() || s.value("id", old_master_id) == old_master_id) return false;
          if (s["slaves"].size() != std::size_t{kAgents} || !s["recovered_slaves"].empty()) return false;
          for (int n = 0; n < kAgents; ++n)
            if (!active_in(s, ids_[n]) || !agent_registered_as(n, ids_[n])) return false;
          return true;
        },
        kWait);
    if (!back) return AssertionFailure() << "agents did not all re-register: " << state().dump();
    json s = state();
    for (const std::string& id : ids_)
      if (const json* listed = find_agent(s["slaves"], id); !listed || !listed->contains("reregistered_time"))
        return AssertionFailure() << "agent " << id << " has no reregistered_time: " << s.dump();
    if (!s["unreachable_agents"].empty()) return AssertionFailure() << "unreachable agents remain: " << s.dump();
    return AssertionSuccess();
  }

  TempDir dir_;  // declared first: destroyed after the daemons that use it
  uint16_t master_port_ = free_port();
  std::unique_ptr<DaemonProcess> master_;
  std::vector<AgentNode> agents_;
  std::vector<std::string> ids_;  // agent n's id, as the agent reports it
};

TEST_F(ClusterTest, ThreeAgentsRegister) {
  ASSERT_TRUE(start_cluster());
  json s = state();
  ASSERT_TRUE(s.is_object());
  ASSERT_EQ(s["slaves"].size(), 3u) << s.dump();
  EXPECT_EQ(s["activated_slaves"], 3) << s.dump();
  EXPECT_TRUE(s["recovered_slaves"].empty()) << s.dump();
  EXPECT_TRUE(s["unreachable_agents"].empty()) << s.dump();
  EXPECT_EQ(std::set<std::string>(ids_.begin(), ids_.end()).size(), 3u) << "agent ids are not distinct";

  const std::string cluster_id = s.value("cluster_id", "");
  ASSERT_FALSE(cluster_id.empty()) << s.dump();
  for (int n = 0; n < kAgents; ++n) {
    SCOPED_TRACE("agent-" + std::to_string(n));
    const AgentNode& agent = agents_[n];
    const json* listed = find_agent(s["slaves"], ids_[n]);
    ASSERT_NE(listed, nullptr) << s.dump();
    EXPECT_EQ(ids_[n].rfind(cluster_id + "-S", 0), 0u) << ids_[n];
    EXPECT_EQ((*listed)["hostname"], agent.hostname);
    EXPECT_EQ((*listed)["port"], agent.port);
    EXPECT_EQ((*listed)["pid"], "slave(1)@127.0.0.1:" + std::to_string(agent.port));
    EXPECT_EQ((*listed)["active"], true);
    EXPECT_EQ((*listed)["resources"], agent.resources);
    EXPECT_EQ((*listed)["attributes"], agent.attributes);
    EXPECT_GT((*listed).value("registered_time", 0.0), 0.0);
    EXPECT_FALSE(listed->contains("reregistered_time")) << listed->dump();

    json own = agent_state(n);
    EXPECT_EQ(own["registered"], true) << own.dump();
    EXPECT_EQ(own["id"], ids_[n]) << own.dump();
  }

  auto metrics = http::get("127.0.0.1", master_port_, "/metrics");
  ASSERT_TRUE(metrics) << metrics.error().message;
  EXPECT_NE(metrics->body.find("\ndcos_master_agents_registered 3\n"), std::string::npos) << metrics->body;
}

TEST_F(ClusterTest, KilledAgentBecomesUnreachable) {
  ASSERT_TRUE(start_cluster());
  ASSERT_TRUE(kill_until_unreachable(0));
  json s = state();
  EXPECT_EQ(s["slaves"].size(), 2u) << s.dump();
  EXPECT_EQ(s["unreachable_slaves"], 1) << s.dump();
  const json* lost = find_agent(s["unreachable_agents"], ids_[0]);
  ASSERT_NE(lost, nullptr) << s.dump();
  EXPECT_GT(lost->value("unreachable_time", 0.0), 0.0) << lost->dump();
  for (int n = 1; n < kAgents; ++n) {
    EXPECT_TRUE(active_in(s, ids_[n])) << "agent-" << n << " should stay active: " << s.dump();
    EXPECT_TRUE(agent_registered_as(n, ids_[n])) << agent_state(n).dump();
  }
}

TEST_F(ClusterTest, RestartedAgentKeepsItsId) {
  ASSERT_TRUE(start_cluster());
  ASSERT_TRUE(kill_until_unreachable(0));
  agents_[0].process->start();  // same flags, same work_dir
  ASSERT_TRUE(wait_until([&] { return active_in(state(), ids_[0]) && agent_registered_as(0, ids_[0]); }, kWait))
      << "agent-0 did not re-register as " << ids_[0] << ": " << state().dump() << "\nagent: " << agent_state(0).dump();
  json s = state();
  EXPECT_EQ(s["slaves"].size(), 3u) << s.dump();
  EXPECT_TRUE(s["unreachable_agents"].empty()) << s.dump();
  const json* listed = find_agent(s["slaves"], ids_[0]);
  ASSERT_NE(listed, nullptr);
  EXPECT_GT(listed->value("reregistered_time", 0.0), 0.0) << listed->dump();
  EXPECT_GE(listed->value("reregistered_time", 0.0), listed->value("registered_time", 0.0)) << listed->dump();
  for (int n = 1; n < kAgents; ++n) EXPECT_TRUE(active_in(s, ids_[n])) << s.dump();
}

TEST_F(ClusterTest, MasterRestartKeepsAgents) {
  ASSERT_TRUE(start_cluster());
  json before = state();
  ASSERT_TRUE(before.is_object());
  master_->kill(SIGKILL);
  ASSERT_TRUE(start_master());  // same port, same work_dir
  ASSERT_TRUE(all_reregistered(before.value("id", "")));
  json after = state();
  EXPECT_EQ(after["cluster_id"], before["cluster_id"]);
  EXPECT_NE(after["id"], before["id"]);
}

TEST_F(ClusterTest, AgentRestartWhileMasterDown) {
  ASSERT_TRUE(start_cluster());
  json before = state();
  ASSERT_TRUE(before.is_object());
  master_->kill(SIGKILL);
  agents_[0].process->kill(SIGKILL);
  agents_[0].process->start();
  // With no master to talk to, the agent still knows its id from its checkpoint.
  ASSERT_TRUE(wait_until(
      [&] {
        json own = agent_state(0);
        return own.is_object() && own.value("id", "") == ids_[0] && !own.value("registered", true);
      },
      kWait))
      << "restarted agent-0 does not report its old id unregistered: " << agent_state(0).dump();
  ASSERT_TRUE(start_master());
  ASSERT_TRUE(all_reregistered(before.value("id", "")));
  EXPECT_EQ(state()["cluster_id"], before["cluster_id"]);
}

}  // namespace
}  // namespace dcos::testing
