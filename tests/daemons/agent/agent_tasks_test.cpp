// Tasks on a real dcos-agent driven by a FakeMaster: launch, the states and
// reasons of how they end, reliable status updates, kills with a grace
// period, and the files API on their sandboxes.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <set>

#include <gtest/gtest.h>

#include "daemons/agent/status_update_stream.hpp"
#include "tests/daemons/agent/agent_fixture.hpp"

namespace dcos::testing {
namespace {

using mesos::v1::TaskStatus;

// One of each update: a resend (same uuid) that crossed its acknowledgement
// is legitimate.
std::vector<internal::StatusUpdate> distinct(const std::vector<internal::StatusUpdate>& updates) {
  std::vector<internal::StatusUpdate> out;
  std::set<std::string> seen;
  for (const auto& update : updates)
    if (seen.insert(update.status().uuid()).second) out.push_back(update);
  return out;
}

TEST_F(AgentTest, ROOT_TaskRunsAndFinishes) {
  master_.run_task(test_framework(), shell_task("hello", "echo hello from the task"));
  auto finished = master_.wait_for_state("hello", mesos::v1::TASK_FINISHED);
  ASSERT_TRUE(finished) << states(master_.updates("hello")) << log();
  EXPECT_EQ(states(distinct(master_.updates("hello"))), "TASK_STARTING TASK_RUNNING TASK_FINISHED");
  for (const auto& update : master_.updates("hello")) {
    EXPECT_EQ(update.framework_id().value(), "fw-1");
    EXPECT_EQ(update.status().uuid().size(), 16u);
    EXPECT_EQ(update.status().agent_id().value(), FakeMaster::kAgentId);
  }
  // Acknowledged terminal update: the task's checkpoints go, its sandbox stays.
  EXPECT_TRUE(wait_until([&] { return !std::filesystem::exists(work_dir() + "/meta/frameworks/fw-1"); }))
      << log();
  auto state = get_json(http_port_, "/state");
  ASSERT_TRUE(state);
  EXPECT_TRUE((*state)["frameworks"].empty()) << state->dump();
  ASSERT_EQ((*state)["completed_frameworks"].size(), 1u) << state->dump();
  const auto& executor = (*state)["completed_frameworks"][0]["completed_executors"][0];
  EXPECT_EQ(executor["completed_tasks"][0]["state"], "TASK_FINISHED");
  EXPECT_EQ(metric("dcos_agent_status_updates_acknowledged_total"), 3) << log();
  EXPECT_EQ(metric("dcos_agent_tasks_running"), 0);

  const std::string runs = work_dir() + "/slaves/" + FakeMaster::kAgentId + "/frameworks/fw-1/executors/hello/runs";
  ASSERT_TRUE(std::filesystem::exists(runs));
  EXPECT_EQ(executor["directory"].get<std::string>().rfind(runs, 0), 0u) << executor.dump();
  for (const auto& run : std::filesystem::directory_iterator(runs)) {
    std::ifstream stdout_file(run.path() / "stdout");
    std::string line;
    std::getline(stdout_file, line);
    EXPECT_EQ(line, "hello from the task");
  }
}

TEST_F(AgentTest, ROOT_FailingTaskReportsItsExitStatus) {
  master_.run_task(test_framework(), shell_task("fails", "exit 3"));
  auto failed = master_.wait_for_state("fails", mesos::v1::TASK_FAILED);
  ASSERT_TRUE(failed) << states(master_.updates("fails")) << log();
  EXPECT_NE(failed->status().message().find("3"), std::string::npos) << failed->status().message();
  EXPECT_EQ(states(distinct(master_.updates("fails"))), "TASK_STARTING TASK_RUNNING TASK_FAILED");
}

TEST_F(AgentTest, ROOT_OutOfMemoryFailsWithTheMemoryReason) {
  // tail keeps the current line in memory, and /dev/zero has no newline.
  master_.run_task(test_framework(), shell_task("hog", "tail /dev/zero", 32));
  auto end = master_.wait_for_end("hog");
  ASSERT_TRUE(end) << states(master_.updates("hog")) << log();
  ASSERT_EQ(end->status().state(), mesos::v1::TASK_FAILED);
  if (end->status().reason() == TaskStatus::REASON_CONTAINER_LAUNCH_FAILED &&
      end->status().message().find("not available") != std::string::npos)
    GTEST_SKIP() << "CGROUPS: " << end->status().message();
  EXPECT_EQ(end->status().reason(), TaskStatus::REASON_CONTAINER_LIMITATION_MEMORY) << end->status().message();
}

TEST_F(AgentTest, ROOT_TaskWithoutCommandIsAnError) {
  auto task = shell_task("nothing", "");
  task.clear_command();
  master_.run_task(test_framework(), task);
  auto error = master_.wait_for_state("nothing", mesos::v1::TASK_ERROR);
  ASSERT_TRUE(error) << log();
  EXPECT_EQ(error->status().reason(), TaskStatus::REASON_TASK_INVALID);
  EXPECT_EQ(states(distinct(master_.updates("nothing"))), "TASK_ERROR");
}

TEST_F(AgentTest, ROOT_TasksTheAgentCannotRunAreErrorsAndHarmNothing) {
  master_.run_task(test_framework(), shell_task("a/b", "true"));
  master_.run_task(test_framework(), shell_task("huge", "true", std::numeric_limits<double>::infinity()));
  auto with_executor = shell_task("custom", "true");
  with_executor.mutable_executor()->mutable_executor_id()->set_value("e");
  master_.run_task(test_framework(), with_executor);
  auto with_secret = shell_task("secret", "true");
  auto* variable = with_secret.mutable_command()->mutable_environment()->add_variables();
  variable->set_name("TOKEN");
  variable->set_type(mesos::v1::Environment::Variable::SECRET);
  master_.run_task(test_framework(), with_secret);
  master_.run_task(test_framework("../escape"), shell_task("escapee", "true"));
  for (const char* id : {"a/b", "huge", "custom", "secret"}) {
    auto error = master_.wait_for_end(id);
    ASSERT_TRUE(error) << id << log();
    EXPECT_EQ(error->status().state(), mesos::v1::TASK_ERROR) << id;
    EXPECT_EQ(error->status().reason(), TaskStatus::REASON_TASK_INVALID) << id;
  }
  // Still serving, and nothing was written outside the work dir.
  master_.run_task(test_framework(), shell_task("after", "true"));
  ASSERT_TRUE(master_.wait_for_state("after", mesos::v1::TASK_FINISHED)) << log();
  EXPECT_TRUE(master_.updates("escapee").empty());
  EXPECT_FALSE(std::filesystem::exists(work_dir() + "/meta/escape"));
  EXPECT_TRUE(agent_->running());
}

TEST_F(AgentTest, ROOT_UnlaunchableCommandFailsWithLaunchReason) {
  auto task = shell_task("missing", "/no/such/program");
  task.mutable_command()->set_shell(false);
  master_.run_task(test_framework(), task);
  auto failed = master_.wait_for_state("missing", mesos::v1::TASK_FAILED);
  ASSERT_TRUE(failed) << log();
  EXPECT_EQ(failed->status().reason(), TaskStatus::REASON_CONTAINER_LAUNCH_FAILED) << failed->status().message();
}

TEST_F(AgentTest, ROOT_UpdatesAreResentInOrderUntilAcknowledged) {
  master_.set_auto_acknowledge(false);
  master_.run_task(test_framework(), shell_task("slow-ack", "exit 0"));
  // No acknowledgement: the head (STARTING) comes again, and nothing after it.
  ASSERT_TRUE(master_.wait_for([&](const std::vector<internal::Envelope>& received) {
    return std::count_if(received.begin(), received.end(), [](const auto& e) { return e.has_status_update(); }) >= 3;
  })) << log();
  auto updates = master_.updates("slow-ack");
  for (const auto& update : updates) {
    EXPECT_EQ(update.status().state(), mesos::v1::TASK_STARTING);
    EXPECT_EQ(update.status().uuid(), updates[0].status().uuid());
  }
  // An acknowledgement for a uuid the agent never sent changes nothing.
  auto bogus = updates[0];
  bogus.mutable_status()->set_uuid("not-a-real-uuid!");
  master_.acknowledge(bogus);
  master_.acknowledge(updates[0]);
  auto running = master_.wait_for_state("slow-ack", mesos::v1::TASK_RUNNING);
  ASSERT_TRUE(running) << log();
  master_.acknowledge(*running);
  auto finished = master_.wait_for_state("slow-ack", mesos::v1::TASK_FINISHED);
  ASSERT_TRUE(finished) << log();
  master_.acknowledge(*finished);
  // Each state's updates are contiguous and in order: no update overtakes
  // an unacknowledged one.
  std::string order;
  for (const auto& update : master_.updates("slow-ack")) {
    const std::string state = TaskState_Name(update.status().state());
    if (order.size() < state.size() || order.compare(order.size() - state.size(), state.size(), state) != 0)
      order += (order.empty() ? "" : " ") + state;
  }
  EXPECT_EQ(order, "TASK_STARTING TASK_RUNNING TASK_FINISHED");
  EXPECT_GE(metric("dcos_agent_status_updates_retried_total"), 2) << log();
  EXPECT_GE(metric("dcos_agent_status_update_acks_ignored_total"), 1) << log();
}

TEST_F(AgentTest, ROOT_UnacknowledgedUpdateIsResentAfterReregistering) {
  master_.set_auto_acknowledge(false);
  master_.run_task(test_framework(), shell_task("reconnect", "exit 0"));
  auto starting = master_.wait_for_state("reconnect", mesos::v1::TASK_STARTING);
  ASSERT_TRUE(starting) << log();
  const int registrations = master_.registrations();
  master_.disconnect();
  ASSERT_TRUE(master_.wait_for([&](const std::vector<internal::Envelope>& received) {
    int seen = 0;
    bool resent = false;
    for (const auto& envelope : received) {
      seen += envelope.has_register_agent() || envelope.has_reregister_agent();
      resent = resent || (seen > registrations && envelope.has_status_update() &&
                          envelope.status_update().status().uuid() == starting->status().uuid());
    }
    return resent;
  })) << log();
  auto reregistered = master_.last_reregistration();
  ASSERT_TRUE(reregistered);
  ASSERT_EQ(reregistered->tasks_size(), 1) << reregistered->DebugString();
  EXPECT_EQ(reregistered->tasks(0).status_update_uuid(), starting->status().uuid());
  master_.set_auto_acknowledge(true);
  master_.acknowledge(*starting);
  ASSERT_TRUE(master_.wait_for_state("reconnect", mesos::v1::TASK_FINISHED)) << log();
}

TEST_F(AgentTest, ROOT_KillAfterGracePeriodWhenSigtermIsIgnored) {
  master_.run_task(test_framework("fw-1", true), shell_task("stubborn", "trap '' TERM; while :; do sleep 1; done"));
  ASSERT_TRUE(master_.wait_for_state("stubborn", mesos::v1::TASK_RUNNING)) << log();
  master_.kill_task("fw-1", "stubborn", std::chrono::milliseconds(300));
  auto killed = master_.wait_for_state("stubborn", mesos::v1::TASK_KILLED);
  ASSERT_TRUE(killed) << states(master_.updates("stubborn")) << log();
  EXPECT_EQ(states(distinct(master_.updates("stubborn"))), "TASK_STARTING TASK_RUNNING TASK_KILLING TASK_KILLED");
}

TEST_F(AgentTest, ROOT_KillWithoutKillingStateGoesStraightToKilled) {
  master_.run_task(test_framework(), shell_task("polite", "trap 'exit 0' TERM; while :; do sleep 0.1; done"));
  ASSERT_TRUE(master_.wait_for_state("polite", mesos::v1::TASK_RUNNING)) << log();
  master_.kill_task("fw-1", "polite");
  ASSERT_TRUE(master_.wait_for_state("polite", mesos::v1::TASK_KILLED)) << log();
  EXPECT_EQ(states(distinct(master_.updates("polite"))), "TASK_STARTING TASK_RUNNING TASK_KILLED");
}

TEST_F(AgentTest, ROOT_KillDuringLaunchNeverReportsRunning) {
  master_.run_task(test_framework(), shell_task("short-lived", "sleep 1000"));
  master_.kill_task("fw-1", "short-lived", std::chrono::milliseconds(0));
  auto killed = master_.wait_for_end("short-lived");
  ASSERT_TRUE(killed) << log();
  EXPECT_EQ(killed->status().state(), mesos::v1::TASK_KILLED);
  EXPECT_EQ(states(distinct(master_.updates("short-lived"))), "TASK_STARTING TASK_KILLED");
}

TEST_F(AgentTest, ROOT_TaskItCannotCheckpointIsDroppedOnceAndNeverRuns) {
  // A file where the task's checkpoint directory goes: its checkpoint fails
  // (on the agent's checkpointer thread, after the RunTask was handled).
  const std::string tasks = work_dir() + "/meta/frameworks/fw-1/tasks";
  std::filesystem::create_directories(tasks);
  std::ofstream(tasks + "/blocked") << "in the way";
  master_.run_task(test_framework(), shell_task("blocked", "sleep 1000"));
  auto dropped = master_.wait_for_end("blocked");
  ASSERT_TRUE(dropped) << log();
  EXPECT_EQ(dropped->status().state(), mesos::v1::TASK_DROPPED) << log();
  EXPECT_EQ(dropped->status().reason(), TaskStatus::REASON_CONTAINER_LAUNCH_FAILED);
  EXPECT_FALSE(dropped->status().has_uuid()) << "sent once: there is no stream to acknowledge";
  EXPECT_FALSE(std::filesystem::exists(work_dir() + "/slaves/" + FakeMaster::kAgentId +
                                       "/frameworks/fw-1/executors/blocked"))
      << "the container was launched";
  // The agent goes on, the same framework's next task included.
  master_.run_task(test_framework(), shell_task("after", "true"));
  ASSERT_TRUE(master_.wait_for_state("after", mesos::v1::TASK_FINISHED)) << log();
  EXPECT_EQ(states(master_.updates("blocked")), "TASK_DROPPED");
}

TEST_F(AgentTest, ROOT_KillOfAnUnknownTaskAnswersLost) {
  master_.kill_task("fw-1", "never-seen");
  auto lost = master_.wait_for_state("never-seen", mesos::v1::TASK_LOST);
  ASSERT_TRUE(lost) << log();
  EXPECT_EQ(lost->status().reason(), TaskStatus::REASON_TASK_UNKNOWN);
}

TEST_F(AgentTest, ROOT_ShutdownFrameworkKillsItsTasks) {
  master_.run_task(test_framework("fw-2"), shell_task("a", "sleep 1000"));
  master_.run_task(test_framework("fw-2"), shell_task("b", "sleep 1000"));
  ASSERT_TRUE(master_.wait_for_state("a", mesos::v1::TASK_RUNNING)) << log();
  ASSERT_TRUE(master_.wait_for_state("b", mesos::v1::TASK_RUNNING)) << log();
  internal::Envelope shutdown;
  shutdown.mutable_shutdown_framework()->mutable_framework_id()->set_value("fw-2");
  master_.send(shutdown);
  // sleep as pid 1 ignores SIGTERM: the default grace period (3 s) runs out.
  EXPECT_TRUE(master_.wait_for_state("a", mesos::v1::TASK_KILLED)) << log();
  EXPECT_TRUE(master_.wait_for_state("b", mesos::v1::TASK_KILLED)) << log();
}

TEST_F(AgentTest, ROOT_DuplicateRunTaskIsIgnored) {
  master_.run_task(test_framework(), shell_task("twice", "sleep 1000"));
  ASSERT_TRUE(master_.wait_for_state("twice", mesos::v1::TASK_RUNNING)) << log();
  master_.run_task(test_framework(), shell_task("twice", "exit 1"));
  master_.kill_task("fw-1", "twice", std::chrono::milliseconds(0));
  ASSERT_TRUE(master_.wait_for_state("twice", mesos::v1::TASK_KILLED)) << log();
  EXPECT_EQ(states(distinct(master_.updates("twice"))), "TASK_STARTING TASK_RUNNING TASK_KILLED");
}

TEST_F(AgentTest, ROOT_FilesReadServesSandboxesOnly) {
  master_.run_task(test_framework(), shell_task("talker", "echo 0123456789; ln -s /etc/passwd leak"));
  ASSERT_TRUE(master_.wait_for_state("talker", mesos::v1::TASK_FINISHED)) << log();
  std::string sandbox;
  const std::string runs = work_dir() + "/slaves/" + FakeMaster::kAgentId + "/frameworks/fw-1/executors/talker/runs";
  for (const auto& run : std::filesystem::directory_iterator(runs)) sandbox = run.path();
  ASSERT_FALSE(sandbox.empty());

  auto read = get_json(http_port_, "/files/read?path=" + sandbox + "/stdout&offset=2&length=4");
  ASSERT_TRUE(read) << log();
  EXPECT_EQ((*read)["data"], "2345");
  EXPECT_EQ((*read)["offset"], 2);
  auto size = get_json(http_port_, "/files/read?path=" + sandbox + "/stdout&offset=-1");
  ASSERT_TRUE(size);
  EXPECT_EQ((*size)["offset"], 11);
  EXPECT_EQ((*size)["data"], "");

  // Neither ../ nor a link the task planted leads out of the sandboxes.
  EXPECT_EQ(http_status("/files/read?path=" + sandbox + "/../../../../../../../meta/agent.info"), 404u);
  EXPECT_EQ(http_status("/files/read?path=" + sandbox + "/leak"), 404u);
  EXPECT_EQ(http_status("/files/read?path=/etc/passwd"), 404u);
  EXPECT_EQ(http_status("/files/read?path=" + sandbox + "/stdout&offset=x"), 400u);
  EXPECT_EQ(http_status("/files/read?path=" + sandbox), 400u);
  EXPECT_EQ(http_status("/files/read"), 400u);
}

TEST_F(AgentTest, ROOT_StateShowsFrameworksAndTasks) {
  master_.run_task(test_framework(), shell_task("shown", "sleep 1000"));
  ASSERT_TRUE(master_.wait_for_state("shown", mesos::v1::TASK_RUNNING)) << log();
  auto state = get_json(http_port_, "/state");
  ASSERT_TRUE(state);
  ASSERT_EQ((*state)["frameworks"].size(), 1u) << state->dump();
  const auto& framework = (*state)["frameworks"][0];
  EXPECT_EQ(framework["id"], "fw-1");
  ASSERT_EQ(framework["executors"].size(), 1u);
  const auto& executor = framework["executors"][0];
  EXPECT_TRUE(std::filesystem::is_directory(executor["directory"].get<std::string>()));
  ASSERT_EQ(executor["tasks"].size(), 1u);
  EXPECT_EQ(executor["tasks"][0]["id"], "shown");
  EXPECT_EQ(executor["tasks"][0]["state"], "TASK_RUNNING");
  EXPECT_EQ(executor["tasks"][0]["resources"]["mem"], 64);
}

TEST_F(AgentTest, ROOT_ManyTasksEachGetTheirOwnOrderedStream) {
  constexpr int kTasks = 100;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kTasks; ++i)
    master_.run_task(test_framework(), shell_task("many-" + std::to_string(i), "exit $((" + std::to_string(i) + " % 2))"));
  ASSERT_TRUE(master_.wait_for(
      [&](const std::vector<internal::Envelope>& received) {
        std::set<std::string> ended;  // by task: resends repeat updates
        for (const auto& envelope : received)
          if (envelope.has_status_update() && dcos::is_terminal(envelope.status_update().status().state()))
            ended.insert(envelope.status_update().status().task_id().value());
        return ended.size() >= kTasks;
      },
      std::chrono::seconds(60)))
      << log();
  std::cout << kTasks << " tasks launched and ended in "
            << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count()
            << " ms\n";
  for (int i = 0; i < kTasks; ++i) {
    const std::string id = "many-" + std::to_string(i);
    EXPECT_EQ(states(distinct(master_.updates(id))),
              std::string("TASK_STARTING TASK_RUNNING ") + (i % 2 ? "TASK_FAILED" : "TASK_FINISHED"))
        << id;
  }
}

}  // namespace
}  // namespace dcos::testing
