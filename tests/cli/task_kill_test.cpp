// `dcos task kill`: its call, how it reads a task's place in /master/state,
// its usage errors and progress line, and then the command itself against a
// real cluster (a dcos-master, a dcos-agent running the task in a container,
// a scheduler owning it; root only): a running task is killed and the
// command exits 0, an ended one is said to be ended, an unknown one is an
// error naming it.
#include "daemons/cli/task_kill.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "daemons/cli/cli.hpp"
#include "daemons/cli/terminal.hpp"
#include "tests/cli/run_dcos.hpp"
#include "tests/support/task_cluster_test.hpp"

namespace dcos::cli {
namespace {

using nlohmann::json;
using testing::run_dcos;

TEST(TaskKillTest, TheCallNamesTheTaskAndWhatWasGiven) {
  TaskKillOptions options;
  options.task_id = "web.1";
  EXPECT_EQ(kill_task_call(options), json::parse(R"({"type":"KILL_TASK","kill_task":{"task_id":{"value":"web.1"}}})"));
  options.framework_id = "F1";
  options.grace = std::chrono::seconds(3);
  EXPECT_EQ(kill_task_call(options), json::parse(R"({"type":"KILL_TASK","kill_task":{
    "task_id":{"value":"web.1"},"framework_id":{"value":"F1"},
    "kill_policy":{"grace_period":{"nanoseconds":3000000000}}}})"));
}

TEST(TaskKillTest, FindTaskPrefersTheLiveRecordThenTheNewestEnded) {
  const json state = json::parse(R"({
    "frameworks": [
      {"id": "F1", "tasks": [{"id": "t", "state": "TASK_KILLING", "slave_id": "A1"}],
       "completed_tasks": [{"id": "t", "state": "TASK_FAILED", "slave_id": "A1"}]},
      {"id": "F2", "tasks": [], "completed_tasks": [{"id": "u", "state": "TASK_FINISHED", "slave_id": "A2"},
                                                    {"id": "u", "state": "TASK_KILLED", "slave_id": "A2"}]}],
    "completed_frameworks": [{"id": "F0", "completed_tasks": [{"id": "t", "state": "TASK_KILLED"}]}]})");
  auto live = find_task(state, "t");
  ASSERT_TRUE(live);
  EXPECT_EQ(live->framework_id, "F1");
  EXPECT_EQ(live->state, "TASK_KILLING");
  EXPECT_FALSE(live->ended);
  auto removed = find_task(state, "t", "F0");
  ASSERT_TRUE(removed);
  EXPECT_TRUE(removed->ended);
  EXPECT_EQ(removed->state, "TASK_KILLED");
  auto newest = find_task(state, "u");
  ASSERT_TRUE(newest);
  EXPECT_EQ(newest->state, "TASK_KILLED");
  EXPECT_EQ(newest->agent_id, "A2");
  EXPECT_FALSE(find_task(state, "u", "F1"));
  EXPECT_FALSE(find_task(state, "nope"));
}

TEST(TaskKillTest, ABadStateIsNotATask) {
  for (const auto* text : {R"([])", R"({"frameworks": 3})", R"({"frameworks": [7, {"id": 1, "tasks": "x"}]})",
                           R"({"frameworks": [{"tasks": [{"id": "t", "state": 5, "slave_id": []}]}]})"}) {
    const auto task = find_task(json::parse(text), "t");
    EXPECT_EQ(task ? task->state : "", "") << text;
  }
}

TEST(TaskKillTest, TheStatusLineRewritesInPlaceOrPrintsEachStepOnce) {
  std::ostringstream log;
  {
    StatusLine plain(log, false);
    plain.show("killing: TASK_RUNNING", "0.2s");
    plain.show("killing: TASK_RUNNING", "0.4s");
    plain.show("killing: TASK_KILLING\x1b", "0.6s");
  }
  EXPECT_EQ(log.str(), "killing: TASK_RUNNING\nkilling: TASK_KILLING?\n");
  std::ostringstream terminal;
  {
    StatusLine in_place(terminal, true);
    in_place.show("killing", "0.2s");
  }
  EXPECT_EQ(terminal.str(), "\rkilling  0.2s\x1b[K\r\x1b[K");
}

TEST(TaskKillTest, UsageErrorsAndAnUnreachableMaster) {
  std::string out, err;
  EXPECT_EQ(run_dcos({"task", "kill"}, out, err), 2);
  EXPECT_EQ(err, "dcos: 'dcos task kill' needs one task id (see --help)\n");
  EXPECT_EQ(run_dcos({"task", "kill", "a", "b"}, out, err), 2);
  EXPECT_EQ(run_dcos({"--timeout=0secs", "task", "kill", "a"}, out, err), 2);
  EXPECT_EQ(err, "dcos: --timeout must be more than 0\n");
  EXPECT_EQ(run_dcos({"--grace=soon", "task", "kill", "a"}, out, err), 2);
  // Port 1 on loopback: nothing listens there.
  EXPECT_EQ(run_dcos({"--master=127.0.0.1:1", "task", "kill", "a"}, out, err), 1);
  EXPECT_EQ(err, "dcos: cannot reach master at 127.0.0.1:1: Connection refused\n");
}

}  // namespace
}  // namespace dcos::cli

namespace dcos::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

using DcosTaskKillTest = TaskClusterTest;

TEST_F(DcosTaskKillTest, ARunningTaskIsKilledAndTheCommandExitsZero) {
  const std::string agent_id = start_agent("agent-a").id;
  auto scheduler = subscribe("owner");
  std::size_t offers = 0, updates = 0;
  ASSERT_TRUE(run_task(*scheduler, &offers, &updates, agent_id, "sleeper"));

  auto [code, output] = run_program({cli_binary(), master_flag(), "task", "kill", "sleeper", "--grace=1secs"});
  EXPECT_EQ(code, 0) << output << logs();
  EXPECT_NE(output.find("task sleeper killed (framework " + scheduler->framework_id() + ", agent " + agent_id + ")"),
            std::string::npos)
      << output;
  const auto seen = follow(*scheduler, &updates, "sleeper");
  ASSERT_FALSE(seen.empty()) << logs();
  EXPECT_EQ(seen.back().value("state", ""), "TASK_KILLED") << "the framework hears of it on its stream";

  // Killed already: said so, and still a success.
  std::tie(code, output) = run_program({cli_binary(), master_flag(), "--json", "task", "kill", "sleeper"});
  EXPECT_EQ(code, 0) << output;
  const json report = json::parse(output, nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << output;
  EXPECT_EQ(report.value("state", ""), "TASK_KILLED");
  EXPECT_TRUE(report.value("already_ended", false)) << output;
  EXPECT_EQ(report.value("framework_id", ""), scheduler->framework_id());
}

TEST_F(DcosTaskKillTest, AnUnknownTaskIsAnErrorNamingIt) {
  auto [code, output] = run_program({cli_binary(), master_flag(), "task", "kill", "nope"});
  EXPECT_EQ(code, 1) << output;
  EXPECT_EQ(output, "dcos: cannot kill task 'nope': master at 127.0.0.1:" + std::to_string(port_) +
                        " answered HTTP 404: No framework has a task nope\n");
}

}  // namespace
}  // namespace dcos::testing
