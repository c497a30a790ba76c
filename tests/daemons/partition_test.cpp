// A network cut between an agent and its master, with real daemons: the
// master marks the silent agent unreachable, the agent notices the silent
// master and reconnects with backoff, and once the network heals the agent
// re-registers under its old id.
#include <gtest/gtest.h>

#include "tests/support/cluster.hpp"
#include "tests/support/proxy.hpp"

namespace dcos::testing {
namespace {

using nlohmann::json;

bool agent_listed_in(uint16_t master_port, const char* list, const std::string& id, bool want_active) {
  auto state = get_json(master_port, "/master/state");
  if (!state) return false;
  for (const auto& agent : (*state)[list])
    if (agent.value("id", "") == id && (!want_active || agent.value("active", false))) return true;
  return false;
}

TEST(Partition, AgentCutOffFromMasterBecomesUnreachableAndComesBackWithItsId) {
  TempDir dir;
  const uint16_t master_port = free_port();
  const uint16_t agent_port = free_port();
  DaemonProcess master(master_binary(),
                       {"--ip=127.0.0.1", "--port=" + std::to_string(master_port), "--work_dir=" + dir.path() + "/m",
                        "--agent_ping_timeout=200ms", "--max_agent_ping_timeouts=3"},
                       dir.path() + "/master.log");
  master.start();
  CuttableProxy network(master_port);
  DaemonProcess agent(
      agent_binary(),
      {"--master=127.0.0.1:" + std::to_string(network.port()), "--ip=127.0.0.1", "--port=" + std::to_string(agent_port),
       "--work_dir=" + dir.path() + "/a", "--hostname=cut-agent", "--resources=cpus:1;mem:512;disk:512",
       "--registration_backoff_factor=100ms"},
      dir.path() + "/agent.log");
  agent.start();

  std::string id;
  ASSERT_TRUE(wait_until([&] {
    auto state = get_json(agent_port, "/state");
    if (!state || !state->value("registered", false)) return false;
    id = state->value("id", "");
    return true;
  })) << agent.log()
      << master.log();
  ASSERT_TRUE(agent_listed_in(master_port, "slaves", id, true));

  network.cut();
  EXPECT_TRUE(wait_until([&] { return agent_listed_in(master_port, "unreachable_agents", id, false); }))
      << master.log();
  EXPECT_TRUE(wait_until([&] {
    auto state = get_json(agent_port, "/state");
    return state && !state->value("registered", true);
  })) << agent.log();

  network.heal();
  EXPECT_TRUE(wait_until([&] { return agent_listed_in(master_port, "slaves", id, true); }, std::chrono::seconds(20)))
      << agent.log() << master.log();
  EXPECT_FALSE(agent_listed_in(master_port, "unreachable_agents", id, false));
  EXPECT_NE(master.log().find("agent " + id + " (cut-agent) is unreachable"), std::string::npos) << master.log();
  EXPECT_NE(agent.log().find("lost master"), std::string::npos) << agent.log();
  EXPECT_TRUE(master.running());
  EXPECT_TRUE(agent.running());
}

}  // namespace
}  // namespace dcos::testing
