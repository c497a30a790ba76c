// Tasks end to end, every part real: a dcos-master, two dcos-agents running
// tasks in containers (cgroups, namespaces, seccomp), and a scheduler
// speaking the v1 scheduler API in JSON over HTTP, as a framework written
// for Mesos would. Root only (containers); tests/support/task_cluster.hpp
// starts the daemons and removes what is left of the tasks afterwards,
// task_cluster_test.hpp plays the schedulers.
#include <signal.h>

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/task_cluster_test.hpp"

namespace dcos::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

using TasksTest = TaskClusterTest;

TEST_F(TasksTest, TasksOnTwoAgentsGoFromStartingThroughRunningToFinished) {
  const std::string first = start_agent("agent-a").id, second = start_agent("agent-b").id;
  ASSERT_FALSE(first.empty() || second.empty());
  auto scheduler = subscribe("two-agents");
  std::size_t cursor = 0;
  for (const auto& [agent_id, task_id] : {std::pair{first, "on-a"}, std::pair{second, "on-b"}}) {
    const json offer = offer_on(*scheduler, &cursor, agent_id);
    ASSERT_FALSE(offer.is_null()) << logs();
    launch(*scheduler, offer, json::array({command_task(task_id, offer, "sleep 0.2; echo done")}));
  }
  for (const std::string task_id : {"on-a", "on-b"}) {
    std::size_t from = 0;
    const auto seen = follow(*scheduler, &from, task_id);
    EXPECT_EQ(states(seen), (std::vector<std::string>{"TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED"}))
        << task_id << "\n"
        << logs();
  }
}

TEST_F(TasksTest, AFailingCommandIsFailedWithItsExitStatus) {
  const std::string agent_id = start_agent("agent-a").id;
  auto scheduler = subscribe("failing");
  std::size_t cursor = 0;
  const json offer = offer_on(*scheduler, &cursor, agent_id);
  ASSERT_FALSE(offer.is_null()) << logs();
  launch(*scheduler, offer, json::array({command_task("fails", offer, "exit 3")}));
  std::size_t from = 0;
  const auto seen = follow(*scheduler, &from, "fails");
  ASSERT_FALSE(seen.empty()) << logs();
  EXPECT_EQ(seen.back().value("state", ""), "TASK_FAILED") << logs();
  EXPECT_NE(seen.back().value("message", "").find('3'), std::string::npos) << seen.back().dump();
}

TEST_F(TasksTest, AMemoryHogIsFailedWithTheMemoryLimitationReason) {
  const auto& host = cluster_->host();
  if (host.layout != isolation::CgroupLayout::unified && !host.mounts.v1.contains("memory"))
    GTEST_SKIP() << "CGROUPS: no memory controller on this host";
  const std::string agent_id = start_agent("agent-a").id;
  auto scheduler = subscribe("hog");
  std::size_t cursor = 0;
  const json offer = offer_on(*scheduler, &cursor, agent_id);
  ASSERT_FALSE(offer.is_null()) << logs();
  // 32 MiB allowed; the shell holds 256 MiB in a variable.
  launch(*scheduler, offer,
         json::array({command_task("hog", offer, "x=$(head -c 268435456 /dev/zero | tr '\\0' x); echo ${#x}", 32)}));
  std::size_t from = 0;
  const auto seen = follow(*scheduler, &from, "hog");
  ASSERT_FALSE(seen.empty()) << logs();
  if (seen.back().value("message", "").find("not available") != std::string::npos)
    GTEST_SKIP() << "CGROUPS: " << seen.back().value("message", "");
  EXPECT_EQ(seen.back().value("state", ""), "TASK_FAILED") << logs();
  EXPECT_EQ(seen.back().value("reason", ""), "REASON_CONTAINER_LIMITATION_MEMORY") << seen.back().dump();
}

TEST_F(TasksTest, KillEndsARunningTaskAsKilled) {
  const std::string agent_id = start_agent("agent-a").id;
  auto scheduler = subscribe("killer");
  std::size_t cursor = 0;
  const json offer = offer_on(*scheduler, &cursor, agent_id);
  ASSERT_FALSE(offer.is_null()) << logs();
  launch(*scheduler, offer, json::array({command_task("sleeper", offer, "sleep 1000")}));
  std::size_t acked = 0;
  const auto first = follow(*scheduler, &acked, "sleeper", 30s, "TASK_RUNNING");
  ASSERT_EQ(states(first), (std::vector<std::string>{"TASK_STARTING", "TASK_RUNNING"})) << logs();
  auto reply = scheduler->call("KILL", {{"task_id", {{"value", "sleeper"}}}, {"agent_id", {{"value", agent_id}}}});
  EXPECT_EQ(reply.status, 202u) << reply.body;
  const auto seen = follow(*scheduler, &acked, "sleeper");
  ASSERT_FALSE(seen.empty()) << logs();
  EXPECT_EQ(seen.back().value("state", ""), "TASK_KILLED") << logs();
}

// kill -9 of the agent while a task runs: the task keeps running (or ends
// while no agent watches), the new agent re-attaches and reports its end
// with its real status; what was acknowledged is not sent again.
TEST_F(TasksTest, ATaskSurvivesItsAgentsKillNineAndItsEndIsReported) {
  AgentNode& node = start_agent("agent-a");
  auto scheduler = subscribe("survivor");
  std::size_t cursor = 0;
  const json offer = offer_on(*scheduler, &cursor, node.id);
  ASSERT_FALSE(offer.is_null()) << logs();
  // (The task's /tmp is its own: it cannot wait for a file the test makes.)
  launch(*scheduler, offer, json::array({command_task("survivor", offer, "sleep 2; exit 7")}));
  std::size_t acked = 0;
  const auto first = follow(*scheduler, &acked, "survivor", 30s, "TASK_RUNNING");
  ASSERT_EQ(states(first), (std::vector<std::string>{"TASK_STARTING", "TASK_RUNNING"})) << logs();

  node.process->kill(SIGKILL);
  node.process->start();
  ASSERT_TRUE(wait_until([&] { return !registered_id("agent-a").empty(); }, 20s)) << logs();
  const auto rest = follow(*scheduler, &acked, "survivor");
  ASSERT_FALSE(rest.empty()) << logs();
  EXPECT_EQ(rest.back().value("state", ""), "TASK_FAILED") << logs();
  EXPECT_NE(rest.back().value("message", "").find('7'), std::string::npos) << rest.back().dump();
  // Only an update whose acknowledgement the kill may have beaten comes
  // again, with its uuid: nothing acknowledged, nothing new but the end.
  for (std::size_t i = 0; i + 1 < rest.size(); ++i)
    EXPECT_EQ(rest[i].value("uuid", ""), first.back().value("uuid", "")) << rest[i].dump();
}

// The CLI as a one-shot framework: `dcos task run` prints the states and
// exits with the task's outcome; `dcos task list` shows what ran.
TEST_F(TasksTest, DcosTaskRunRunsATaskAndExitsWithItsOutcome) {
  start_agent("agent-a");
  const std::string master = "--master=127.0.0.1:" + std::to_string(port_);
  auto [code, output] = run_program({cli_binary(), master, "task", "run", "--name", "hello", "--", "echo hi"});
  EXPECT_EQ(code, 0) << output << logs();
  EXPECT_NE(output.find("TASK_RUNNING"), std::string::npos) << output;
  EXPECT_NE(output.find("TASK_FINISHED"), std::string::npos) << output;
  // "launched <task id> on agent <agent id>"
  const auto launched = output.find("launched ");
  ASSERT_NE(launched, std::string::npos) << output;
  const std::string task_id = output.substr(launched + 9, output.find(' ', launched + 9) - launched - 9);
  auto [log_code, log] = run_program({cli_binary(), master, "task", "log", task_id});
  EXPECT_EQ(log_code, 0) << log;
  EXPECT_EQ(log, "hi\n");

  std::tie(code, output) =
      run_program({cli_binary(), master, "--json", "task", "run", "--name", "fails", "--mem", "16", "--", "exit 4"});
  EXPECT_EQ(code, 1) << output << logs();
  const json report = json::parse(output, nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << output;
  EXPECT_EQ(report.value("state", ""), "TASK_FAILED");

  std::tie(code, output) = run_program({cli_binary(), master, "task", "list", "--all"});
  EXPECT_EQ(code, 0) << output;
  EXPECT_NE(output.find("TASK_FINISHED"), std::string::npos) << output;
  EXPECT_NE(output.find("agent-a"), std::string::npos) << output;
}

}  // namespace
}  // namespace dcos::testing
