// The tasks of a LAUNCH_GROUP on a real dcos-agent driven by a FakeMaster:
// each runs in its own container, and they die together as under Mesos'
// default executor (a task that ends other than TASK_FINISHED, or a kill of
// one, kills the rest of its group and of no other group), also across a
// kill -9 of the agent.
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "tests/daemons/agent/agent_fixture.hpp"

namespace dcos::testing {
namespace {

// Ends at once on SIGTERM (sh as pid 1 would ignore it).
constexpr const char* kPolite = "trap 'exit 0' TERM; while :; do sleep 0.05; done";

internal::TaskGroup group(const std::string& name, const std::string& executor = "group-executor") {
  internal::TaskGroup out;
  out.set_name(name);
  out.mutable_executor()->mutable_executor_id()->set_value(executor);
  out.mutable_executor()->set_type(mesos::v1::ExecutorInfo::DEFAULT);
  return out;
}

using TaskGroupTest = AgentTest;

TEST_F(TaskGroupTest, ROOT_ATaskThatFailsKillsTheRestOfItsGroup) {
  master_.run_task(test_framework(), shell_task("web", kPolite), group("web"));
  master_.run_task(test_framework(), shell_task("sidecar", std::string(kWaitForStop) + "exit 3"), group("web"));
  master_.run_task(test_framework(), shell_task("bystander", kPolite), group("other"));
  for (const char* task : {"web", "sidecar", "bystander"})
    ASSERT_TRUE(master_.wait_for_state(task, mesos::v1::TASK_RUNNING)) << task << "\n" << log();

  touch(sandbox("sidecar") / "stop");
  auto failed = master_.wait_for_end("sidecar");
  ASSERT_TRUE(failed) << log();
  EXPECT_EQ(failed->status().state(), mesos::v1::TASK_FAILED);
  auto killed = master_.wait_for_end("web");
  ASSERT_TRUE(killed) << log();
  EXPECT_EQ(killed->status().state(), mesos::v1::TASK_KILLED) << killed->status().message();
  EXPECT_EQ(killed->status().executor_id().value(), "group-executor");
  EXPECT_EQ(master_.wait_for_end("bystander", std::chrono::milliseconds(500)), std::nullopt)
      << "a task of another group was killed";
  // Groups of one executor show under that executor, as in Mesos.
  auto state = get_json(http_port_, "/state");
  ASSERT_TRUE(state);
  ASSERT_EQ((*state)["frameworks"].size(), 1u) << state->dump();
  const auto& executors = (*state)["frameworks"][0]["executors"];
  ASSERT_EQ(executors.size(), 1u) << state->dump();
  EXPECT_EQ(executors[0]["id"], "group-executor");
  ASSERT_EQ(executors[0]["tasks"].size(), 1u) << state->dump();
  EXPECT_EQ(executors[0]["tasks"][0]["id"], "bystander");
  EXPECT_EQ(executors[0]["tasks"][0]["executor_id"], "group-executor");
}

TEST_F(TaskGroupTest, ROOT_AKillOfOneTaskKillsItsGroup) {
  master_.run_task(test_framework(), shell_task("first", kPolite), group("first"));
  master_.run_task(test_framework(), shell_task("second", kPolite), group("first"));
  master_.run_task(test_framework(), shell_task("alone", kPolite));
  for (const char* task : {"first", "second", "alone"})
    ASSERT_TRUE(master_.wait_for_state(task, mesos::v1::TASK_RUNNING)) << task << "\n" << log();
  master_.kill_task("fw-1", "second");
  for (const char* task : {"first", "second"}) {
    auto ended = master_.wait_for_end(task);
    ASSERT_TRUE(ended) << task << "\n" << log();
    EXPECT_EQ(ended->status().state(), mesos::v1::TASK_KILLED) << task;
  }
  EXPECT_EQ(master_.wait_for_end("alone", std::chrono::milliseconds(500)), std::nullopt)
      << "a task outside the group was killed";
}

TEST_F(TaskGroupTest, ROOT_TasksThatFinishLeaveTheirGroupRunning) {
  master_.run_task(test_framework(), shell_task("batch", "true"), group("batch"));
  master_.run_task(test_framework(), shell_task("server", kPolite), group("batch"));
  auto finished = master_.wait_for_end("batch");
  ASSERT_TRUE(finished) << log();
  EXPECT_EQ(finished->status().state(), mesos::v1::TASK_FINISHED);
  ASSERT_TRUE(master_.wait_for_state("server", mesos::v1::TASK_RUNNING)) << log();
  EXPECT_EQ(master_.wait_for_end("server", std::chrono::milliseconds(500)), std::nullopt)
      << "a finished task killed its group";
}

// The group is checkpointed with each task: a task that fails while the
// agent is down takes the rest of its group with it once the agent is back.
TEST_F(TaskGroupTest, ROOT_AGroupThatLostATaskWhileTheAgentWasDownLosesTheRest) {
  master_.run_task(test_framework(), shell_task("keeper", kPolite), group("pair"));
  master_.run_task(test_framework(), shell_task("quitter", std::string(kWaitForStop) + "exit 4"), group("pair"));
  for (const char* task : {"keeper", "quitter"})
    ASSERT_TRUE(master_.wait_for_state(task, mesos::v1::TASK_RUNNING)) << task << "\n" << log();
  const auto quitter = sandbox("quitter");

  kill_agent();
  touch(quitter / "stop");
  ASSERT_TRUE(wait_until([&] { return container_processes(quitter.filename()).empty(); }));

  start_agent();
  auto reregistered = master_.last_reregistration();
  ASSERT_TRUE(reregistered) << log();
  for (const auto& task : reregistered->tasks())
    EXPECT_EQ(task.executor_id().value(), "group-executor") << task.task_id().value();
  auto failed = master_.wait_for_end("quitter");
  ASSERT_TRUE(failed) << log();
  EXPECT_EQ(failed->status().state(), mesos::v1::TASK_FAILED);
  auto killed = master_.wait_for_end("keeper");
  ASSERT_TRUE(killed) << log();
  EXPECT_EQ(killed->status().state(), mesos::v1::TASK_KILLED) << killed->status().message();
}

}  // namespace
}  // namespace dcos::testing
