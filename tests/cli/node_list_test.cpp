#include "daemons/cli/node_list.hpp"

#include <gtest/gtest.h>

#include "daemons/cli/master_client.hpp"
#include "daemons/cli/terminal.hpp"

namespace dcos::cli {
namespace {

using nlohmann::json;

// An agent object in the shape daemons/master/endpoints.cpp gives it.
json agent(const std::string& id, const std::string& hostname, const std::string& ip, bool active = true) {
  return {{"id", id},
          {"pid", "slave(1)@" + ip + ":5051"},
          {"hostname", hostname},
          {"port", 5051},
          {"registered_time", 1700000000.5},
          {"resources", {{"cpus", 4}, {"mem", 15360.5}, {"disk", 102400}, {"ports", "[31000-32000]"}}},
          {"attributes", {{"rack", "r1"}}},
          {"active", active}};
}

json state(json slaves, json recovered = json::array(), json unreachable = json::array()) {
  return {{"id", "master-1"},
          {"slaves", std::move(slaves)},
          {"recovered_slaves", std::move(recovered)},
          {"unreachable_agents", std::move(unreachable)},
          {"frameworks", json::array()}};
}

std::vector<Agent> agents_of(const json& s) {
  auto agents = agents_from_state(s);
  EXPECT_TRUE(agents.ok()) << agents.error().message;
  return agents.ok() ? *agents : std::vector<Agent>{};
}

std::string error_of(const json& s) {
  auto agents = agents_from_state(s);
  EXPECT_FALSE(agents.ok());
  return agents.ok() ? "" : agents.error().message;
}

TEST(NodeListTest, TableColumnsAreAlignedNumbersToTheRight) {
  json small = agent("S1", "a.example", "10.0.0.1");
  small["resources"] = {{"cpus", 0.5}, {"mem", 512}, {"disk", 0}};
  const auto agents = agents_of(state({agent("S22", "agent-long-name.example", "10.0.0.22"), small}));
  EXPECT_EQ(node_table(agents),
            "HOSTNAME                 IP         ID   TYPE   STATUS  CPUS  MEM (MiB)  DISK (MiB)\n"
            "a.example                10.0.0.1   S1   agent  active   0.5        512           0\n"
            "agent-long-name.example  10.0.0.22  S22  agent  active     4    15360.5      102400\n");
}

TEST(NodeListTest, AgentsWithSlavePublicReservationsArePublic) {
  json public_agent = agent("S2", "b", "10.0.0.2");
  public_agent["reserved_resources"] = {{"slave_public", {{"cpus", 1}}}};
  json other_role = agent("S3", "c", "10.0.0.3");
  other_role["reserved_resources"] = {{"analytics", {{"cpus", 1}}}};
  const auto agents = agents_of(state({agent("S1", "a", "10.0.0.1"), public_agent, other_role}));
  ASSERT_EQ(agents.size(), 3u);
  EXPECT_EQ(agents[0].type, "agent");
  EXPECT_EQ(agents[1].type, "agent (public)");
  EXPECT_EQ(agents[2].type, "agent");
}

TEST(NodeListTest, StatusComesFromTheListAndActive) {
  json unreachable = agent("S4", "d", "10.0.0.4", false);
  unreachable["unreachable_time"] = 1700000100.0;
  const auto agents = agents_of(state({agent("S1", "a", "10.0.0.1", true), agent("S2", "b", "10.0.0.2", false)},
                                      {agent("S3", "c", "10.0.0.3", false)}, {unreachable}));
  ASSERT_EQ(agents.size(), 4u);
  EXPECT_EQ(agents[0].status, "active");
  EXPECT_EQ(agents[1].status, "inactive");
  EXPECT_EQ(agents[2].status, "recovered");
  EXPECT_EQ(agents[3].status, "unreachable");
  EXPECT_EQ(agents[3].ip, "10.0.0.4");
  EXPECT_EQ(agents[3].type, "agent");
}

TEST(NodeListTest, SortedByHostnameThenId) {
  const auto agents = agents_of(state({agent("S9", "b", "10.0.0.1"), agent("S2", "a", "10.0.0.2")},
                                      {agent("S1", "b", "10.0.0.3")}, {agent("S0", "c", "10.0.0.4")}));
  std::vector<std::string> order;
  for (const Agent& a : agents) order.push_back(a.hostname + "/" + a.id);
  EXPECT_EQ(order, (std::vector<std::string>{"a/S2", "b/S1", "b/S9", "c/S0"}));
}

TEST(NodeListTest, EmptyClusterPrintsHeaderAndNoAgents) {
  const auto agents = agents_of(state(json::array()));
  EXPECT_EQ(node_table(agents), "HOSTNAME  IP  ID  TYPE  STATUS  CPUS  MEM (MiB)  DISK (MiB)\nno agents\n");
  EXPECT_EQ(node_json(agents), "[]\n");
}

TEST(NodeListTest, RecoveredAgentsWithoutPidHaveNoIp) {
  json empty_pid = agent("S1", "a", "10.0.0.1", false);
  empty_pid["pid"] = "";  // as our master sends agents known only from its registry
  json no_pid = agent("S2", "b", "10.0.0.2", false);
  no_pid.erase("pid");  // as Mesos does
  const auto agents = agents_of(state(json::array(), {empty_pid, no_pid}));
  ASSERT_EQ(agents.size(), 2u);
  EXPECT_EQ(agents[0].ip, "");
  EXPECT_EQ(agents[1].ip, "");
  EXPECT_EQ(node_table(agents),
            "HOSTNAME  IP  ID  TYPE   STATUS     CPUS  MEM (MiB)  DISK (MiB)\n"
            "a         -   S1  agent  recovered     4    15360.5      102400\n"
            "b         -   S2  agent  recovered     4    15360.5      102400\n");
}

TEST(NodeListTest, MissingOptionalListsAndResourcesCountAsNone) {
  json bare = agent("S1", "a", "10.0.0.1");
  bare.erase("resources");
  const auto agents = agents_of(json{{"slaves", {bare}}});
  ASSERT_EQ(agents.size(), 1u);
  EXPECT_EQ(agents[0].cpus, 0);
  EXPECT_EQ(agents[0].disk, 0);
}

TEST(NodeListTest, JsonIsTheAgentObjectsWithStatus) {
  const auto agents = agents_of(state({agent("S2", "b", "10.0.0.2", false)}, {agent("S1", "a", "10.0.0.1")}));
  const std::string text = node_json(agents);
  ASSERT_TRUE(text.ends_with("]\n"));
  EXPECT_TRUE(text.starts_with("[\n  {\n    \"")) << text;  // 2-space indent
  const json array = json::parse(text);
  ASSERT_TRUE(array.is_array());
  ASSERT_EQ(array.size(), 2u);
  EXPECT_EQ(array[0]["id"], "S1");
  EXPECT_EQ(array[0]["status"], "recovered");
  EXPECT_EQ(array[1]["status"], "inactive");
  json expected = agent("S2", "b", "10.0.0.2", false);
  expected["status"] = "inactive";
  EXPECT_EQ(array[1], expected);  // every field the master sent is kept
}

TEST(NodeListTest, MalformedStateIsAnErrorNamingTheField) {
  EXPECT_EQ(error_of(json::array()), "the state is not a JSON object");
  EXPECT_EQ(error_of(json{{"healthy", true}}), "the state has no 'slaves'");
  EXPECT_EQ(error_of(json{{"slaves", "none"}}), "slaves is not an array");
  EXPECT_EQ(error_of(state(json::array(), json::object())), "recovered_slaves is not an array");
  EXPECT_EQ(error_of(state({42})), "slaves[0] is not an object");

  json no_id = agent("S1", "a", "10.0.0.1");
  no_id.erase("id");
  EXPECT_EQ(error_of(state({agent("S0", "z", "10.0.0.9"), no_id})), "slaves[1].id is missing");
  json bad_cpus = agent("S1", "a", "10.0.0.1");
  bad_cpus["resources"]["cpus"] = "four";
  EXPECT_EQ(error_of(state(json::array(), json::array(), {bad_cpus})),
            "unreachable_agents[0].resources.cpus is not a number");
  json bad_pid = agent("S1", "a", "10.0.0.1");
  bad_pid["pid"] = "slave(1)";
  EXPECT_EQ(error_of(state({bad_pid})), "slaves[0].pid 'slave(1)' has no '@'");
  bad_pid["pid"] = 7;
  EXPECT_EQ(error_of(state({bad_pid})), "slaves[0].pid is not a string");
  json no_active = agent("S1", "a", "10.0.0.1");
  no_active.erase("active");
  EXPECT_EQ(error_of(state({no_active})), "slaves[0].active is missing or not a boolean");
  // Recovered agents are not connected; their "active" says nothing.
  EXPECT_TRUE(agents_from_state(state(json::array(), {no_active})).ok());
}

TEST(NodeListTest, HostileTextCannotReachTheTerminal) {
  const auto agents = agents_of(state({agent("S1", "evil\x1b[2J\xc2\x9bhost", "10.0.0.1")}));
  const std::string table = node_table(agents);
  EXPECT_NE(table.find("evil?[2J??host"), std::string::npos) << table;
  EXPECT_EQ(table.find('\x1b'), std::string::npos);
}

TEST(NodeListTest, AmountsHaveAtMostTwoDecimals) {
  EXPECT_EQ(format_amount(4), "4");
  EXPECT_EQ(format_amount(0.5), "0.5");
  EXPECT_EQ(format_amount(1.257), "1.26");
  EXPECT_EQ(format_amount(1024.001), "1024");
  EXPECT_EQ(format_amount(-0.001), "0");
}

TEST(StateReplyTest, Non200IsAnErrorQuotingTheMaster) {
  const MasterAddress master{"10.0.0.1", 5050};
  auto state = parse_state_reply(master, {503, "text/plain", "not the leader\nmore"});
  ASSERT_FALSE(state.ok());
  EXPECT_EQ(state.error().message, "master at 10.0.0.1:5050 answered GET /master/state with HTTP 503: not the leader");
}

TEST(StateReplyTest, BadJsonIsAnError) {
  auto state = parse_state_reply({"::1", 5050}, {200, "application/json", "{\"slaves\": [\x1b"});
  ASSERT_FALSE(state.ok());
  EXPECT_TRUE(state.error().message.starts_with("master at [::1]:5050 sent state that is not JSON: parse error"))
      << state.error().message;
  EXPECT_EQ(state.error().message.find('\x1b'), std::string::npos);
}

TEST(StateReplyTest, GoodJsonIsParsed) {
  auto state = parse_state_reply({"m", 1}, {200, "application/json", R"({"slaves":[]})"});
  ASSERT_TRUE(state.ok()) << state.error().message;
  EXPECT_EQ((*state)["slaves"], json::array());
}

}  // namespace
}  // namespace dcos::cli
