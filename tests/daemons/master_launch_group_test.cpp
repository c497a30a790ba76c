// LAUNCH_GROUP through the v1 scheduler HTTP API (JSON), every part real:
// a task group goes to one agent as one unit, all of its tasks or none
// (Mesos' semantics: one invalid task gives the whole group TASK_ERROR with
// REASON_TASK_GROUP_INVALID, and nothing of it runs). Root only.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/task_cluster_test.hpp"

namespace dcos::testing {
namespace {

using nlohmann::json;

using LaunchGroupTest = TaskClusterTest;

void launch_group(SubscribedScheduler& scheduler, const json& offer, const json& tasks) {
  const json executor = {{"type", "DEFAULT"}, {"executor_id", {{"value", "group-executor"}}}};
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
}

}  // namespace
}  // namespace dcos::testing
