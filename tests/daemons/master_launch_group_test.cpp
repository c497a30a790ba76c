// LAUNCH_GROUP through the v1 scheduler HTTP API (JSON), every part real:
// a task group goes to one agent as one unit, all of its tasks or none
// (Mesos' semantics: one invalid task gives the whole group TASK_ERROR with
// REASON_TASK_GROUP_INVALID, and nothing of it runs), and its tasks die
// together (one that fails takes the rest with it). Root only. The agent's
// side in detail: tests/daemons/agent/agent_task_group_test.cpp.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/task_cluster_test.hpp"

namespace dcos::testing {
namespace {

using nlohmann::json;

using LaunchGroupTest = TaskClusterTest;

void launch_group(SubscribedScheduler& scheduler, const json& offer, const json& tasks,
                  const std::string& executor_id = "group-executor") {
  const json executor = {{"type", "DEFAULT"}, {"executor_id", {{"value", executor_id}}}};
  auto reply = scheduler.call(
      "ACCEPT", {{"offer_ids", {offer["id"]}},
                 {"operations",
                  {{{"type", "LAUNCH_GROUP"},
                    {"launch_group", {{"executor", executor}, {"task_group", {{"tasks", tasks}}}}}}}},
                 {"filters", {{"refuse_seconds", 1}}}});
  EXPECT_EQ(reply.status, 202u) << reply.body;
}

TEST_F(LaunchGroupTest, EveryTaskOfTheGroupRunsOnTheOffersAgent) {
  const std::string agent_id = start_agent("agent-a").id;
  ASSERT_FALSE(agent_id.empty());
  auto scheduler = subscribe("group");
  std::size_t cursor = 0;
  const json offer = offer_on(*scheduler, &cursor, agent_id);
  ASSERT_FALSE(offer.is_null()) << logs();
  launch_group(*scheduler, offer,
               json::array({command_task("first", offer, "sleep 0.2"), command_task("second", offer, "sleep 0.2")}));
  for (const std::string task_id : {"first", "second"}) {
    std::size_t from = 0;
    const auto seen = follow(*scheduler, &from, task_id);
    EXPECT_EQ(states(seen), (std::vector<std::string>{"TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED"}))
        << task_id << "\n"
        << logs();
    ASSERT_FALSE(seen.empty());
    EXPECT_EQ(seen.back()["agent_id"].value("value", ""), agent_id);
  }
}

TEST_F(LaunchGroupTest, ATaskThatFailsTakesTheRestOfItsGroupWithIt) {
  const std::string agent_id = start_agent("agent-a").id;
  ASSERT_FALSE(agent_id.empty());
  auto scheduler = subscribe("failing-group");
  std::size_t cursor = 0;
  const json offer = offer_on(*scheduler, &cursor, agent_id);
  ASSERT_FALSE(offer.is_null()) << logs();
  launch_group(*scheduler, offer,
               json::array({command_task("server", offer, "trap 'exit 0' TERM; while :; do sleep 0.05; done"),
                            command_task("crasher", offer, "sleep 0.3; exit 3")}));
  std::size_t from = 0;
  const auto crashed = follow(*scheduler, &from, "crasher");
  EXPECT_EQ(states(crashed), (std::vector<std::string>{"TASK_STARTING", "TASK_RUNNING", "TASK_FAILED"})) << logs();
  from = 0;
  const auto killed = follow(*scheduler, &from, "server");
  ASSERT_FALSE(killed.empty()) << logs();
  EXPECT_EQ(killed.back().value("state", ""), "TASK_KILLED") << killed.back().dump();
  EXPECT_EQ(killed.back()["executor_id"].value("value", ""), "group-executor") << killed.back().dump();

  // The master shows both under the group's executor.
  const auto state = get_json(port_, "/master/state");
  ASSERT_TRUE(state.has_value());
  std::size_t shown = 0;
  for (const auto& framework : (*state)["frameworks"])
    for (const char* list : {"tasks", "completed_tasks"})
      for (const auto& task : framework[list]) {
        EXPECT_EQ(task.value("executor_id", ""), "group-executor") << task.dump();
        ++shown;
      }
  EXPECT_EQ(shown, 2u) << state->dump();
}

TEST_F(LaunchGroupTest, OneInvalidTaskFailsTheWholeGroupAndNothingRuns) {
  const std::string agent_id = start_agent("agent-a").id;
  ASSERT_FALSE(agent_id.empty());
  auto scheduler = subscribe("bad-group");
  std::size_t cursor = 0;
  const json offer = offer_on(*scheduler, &cursor, agent_id);
  ASSERT_FALSE(offer.is_null()) << logs();
  // The agent offers 1024 MiB: the second task cannot fit.
  launch_group(*scheduler, offer,
               json::array({command_task("fits", offer, "sleep 0.2"), command_task("too-big", offer, "true", 4096)}));
  for (const std::string task_id : {"fits", "too-big"}) {
    std::size_t from = 0;
    const auto seen = follow(*scheduler, &from, task_id);
    ASSERT_EQ(states(seen), std::vector<std::string>{"TASK_ERROR"}) << task_id << "\n" << logs();
    EXPECT_EQ(seen.back().value("reason", ""), "REASON_TASK_GROUP_INVALID") << seen.back().dump();
    EXPECT_NE(seen.back().value("message", "").find("too-big"), std::string::npos) << seen.back().dump();
  }
  // The group's resources went back: the whole agent is offered again.
  const json again = offer_on(*scheduler, &cursor, agent_id);
  ASSERT_FALSE(again.is_null()) << logs();
  double mem = 0;
  for (const auto& resource : again["resources"])
    if (resource.value("name", "") == "mem") mem += resource["scalar"].value("value", 0.0);
  EXPECT_EQ(mem, 1024.0) << again.dump();

  // A group's executor without an id (it names the group to the agent).
  launch_group(*scheduler, again, json::array({command_task("unnamed", again, "true")}), "");
  std::size_t from = 0;
  const auto unnamed = follow(*scheduler, &from, "unnamed");
  ASSERT_EQ(states(unnamed), std::vector<std::string>{"TASK_ERROR"}) << logs();
  EXPECT_NE(unnamed.back().value("message", "").find("executor_id"), std::string::npos) << unnamed.back().dump();
}

}  // namespace
}  // namespace dcos::testing
