// A real dcos-agent killed with SIGKILL while its tasks run, then started
// again: the tasks keep running, the agent re-registers with them, reports
// their real ends (also of those that ended while it was down), and resends
// what was not acknowledged.
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "isolation/cgroups.hpp"
#include "tests/daemons/agent/agent_fixture.hpp"

namespace dcos::testing {
namespace {

class AgentRecoveryTest : public AgentTest {
 protected:
  const mesos::v1::Task* find_task(const internal::ReregisterAgent& message, const std::string& task_id) {
    for (const auto& task : message.tasks())
      if (task.task_id().value() == task_id) return &task;
    return nullptr;
  }
};

TEST_F(AgentRecoveryTest, ROOT_TaskSurvivesKill9AndItsLaterExitIsReported) {
  master_.run_task(test_framework(), shell_task("survivor", std::string(kWaitForStop) + "exit 7"));
  ASSERT_TRUE(master_.wait_for_state("survivor", mesos::v1::TASK_RUNNING)) << log();
  const auto run = sandbox("survivor");
  const std::string container_id = run.filename();

  kill_agent();
  const auto processes = container_processes(container_id);
  ASSERT_FALSE(processes.empty()) << "the task died with the agent";
  for (pid_t pid : processes) EXPECT_EQ(::kill(pid, 0), 0) << pid;

  start_agent();
  auto reregistered = master_.last_reregistration();
  ASSERT_TRUE(reregistered) << log();
  const auto* task = find_task(*reregistered, "survivor");
  ASSERT_NE(task, nullptr) << reregistered->DebugString();
  EXPECT_EQ(task->state(), mesos::v1::TASK_RUNNING);
  ASSERT_EQ(reregistered->frameworks_size(), 1);
  EXPECT_EQ(reregistered->frameworks(0).id().value(), "fw-1");

  touch(run / "stop");
  auto failed = master_.wait_for_end("survivor");
  ASSERT_TRUE(failed) << log();
  EXPECT_EQ(failed->status().state(), mesos::v1::TASK_FAILED);
  EXPECT_NE(failed->status().message().find("7"), std::string::npos) << failed->status().message();
}

TEST_F(AgentRecoveryTest, ROOT_TaskThatEndedWhileTheAgentWasDownIsReportedFinished) {
  master_.run_task(test_framework(), shell_task("quiet", std::string(kWaitForStop) + "touch done"));
  ASSERT_TRUE(master_.wait_for_state("quiet", mesos::v1::TASK_RUNNING)) << log();
  const auto run = sandbox("quiet");

  kill_agent();
  touch(run / "stop");
  ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(run / "done"); }));
  ASSERT_TRUE(wait_until([&] { return container_processes(run.filename()).empty(); }));

  start_agent();
  auto finished = master_.wait_for_end("quiet");
  ASSERT_TRUE(finished) << log();
  EXPECT_EQ(finished->status().state(), mesos::v1::TASK_FINISHED) << finished->status().message();
  EXPECT_TRUE(wait_until([&] { return !std::filesystem::exists(work_dir() + "/meta/frameworks/fw-1"); })) << log();
}

TEST_F(AgentRecoveryTest, ROOT_UnacknowledgedUpdatesAreResentAfterRestart) {
  master_.set_auto_acknowledge(false);
  master_.run_task(test_framework(), shell_task("patient", std::string(kWaitForStop) + "exit 0"));
  auto starting = master_.wait_for_state("patient", mesos::v1::TASK_STARTING);
  ASSERT_TRUE(starting) << log();
  const std::string uuid = starting->status().uuid();
  // Launched (RUNNING waits behind the unacknowledged STARTING).
  ASSERT_TRUE(wait_until([&] {
    const auto run = sandbox("patient");
    return !run.empty() && !container_processes(run.filename()).empty();
  })) << log();

  kill_agent();
  const std::size_t sent_before = master_.updates("patient").size();
  start_agent();
  auto reregistered = master_.last_reregistration();
  ASSERT_TRUE(reregistered);
  const auto* task = find_task(*reregistered, "patient");
  ASSERT_NE(task, nullptr) << reregistered->DebugString();
  EXPECT_EQ(task->status_update_state(), mesos::v1::TASK_STARTING);
  EXPECT_EQ(task->status_update_uuid(), uuid);

  // The same update, same uuid, again: it was never acknowledged.
  ASSERT_TRUE(master_.wait_for([&](const std::vector<internal::Envelope>& received) {
    std::size_t updates = 0;
    for (const auto& envelope : received) {
      if (!envelope.has_status_update() || envelope.status_update().status().task_id().value() != "patient") continue;
      if (++updates > sent_before && envelope.status_update().status().uuid() == uuid) return true;
    }
    return false;
  })) << log();

  touch(sandbox("patient") / "stop");
  master_.acknowledge(*starting);
  auto running = master_.wait_for_state("patient", mesos::v1::TASK_RUNNING);
  ASSERT_TRUE(running) << log();
  master_.acknowledge(*running);
  auto finished = master_.wait_for_state("patient", mesos::v1::TASK_FINISHED);
  ASSERT_TRUE(finished) << log();
  master_.acknowledge(*finished);
  EXPECT_TRUE(wait_until([&] { return !std::filesystem::exists(work_dir() + "/meta/frameworks/fw-1"); })) << log();

  // Three updates, each under one uuid, in order.
  std::vector<std::string> uuids;
  for (const auto& update : master_.updates("patient"))
    if (uuids.empty() || uuids.back() != update.status().uuid()) uuids.push_back(update.status().uuid());
  EXPECT_EQ(uuids.size(), 3u) << states(master_.updates("patient"));
}

TEST_F(AgentRecoveryTest, ROOT_KillInterruptedByARestartIsCarriedOut) {
  auto task = shell_task("doomed", "trap '' TERM; while :; do sleep 1; done");
  task.mutable_kill_policy()->mutable_grace_period()->set_nanoseconds(500'000'000);
  master_.run_task(test_framework("fw-1", true), task);
  ASSERT_TRUE(master_.wait_for_state("doomed", mesos::v1::TASK_RUNNING)) << log();
  // A grace period the agent does not live to see the end of.
  master_.kill_task("fw-1", "doomed", std::chrono::minutes(10));
  ASSERT_TRUE(master_.wait_for_state("doomed", mesos::v1::TASK_KILLING)) << log();
  kill_agent();
  start_agent();
  auto killed = master_.wait_for_end("doomed");
  ASSERT_TRUE(killed) << log();
  EXPECT_EQ(killed->status().state(), mesos::v1::TASK_KILLED) << killed->status().message();
}

TEST_F(AgentRecoveryTest, ROOT_TaskWhoseContainerVanishedIsLost) {
  master_.run_task(test_framework(), shell_task("vanished", "sleep 1000"));
  ASSERT_TRUE(master_.wait_for_state("vanished", mesos::v1::TASK_RUNNING)) << log();
  kill_agent();
  // What a reboot does: the container and its runtime state (in /run) gone.
  destroy_leftovers();
  start_agent();
  auto lost = master_.wait_for_end("vanished");
  ASSERT_TRUE(lost) << log();
  EXPECT_EQ(lost->status().state(), mesos::v1::TASK_LOST);
  EXPECT_EQ(lost->status().reason(), mesos::v1::TaskStatus::REASON_EXECUTOR_TERMINATED);
}

}  // namespace
}  // namespace dcos::testing
