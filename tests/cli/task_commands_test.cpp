// `dcos task list` from a /master/state (its shape and bad shapes), and
// `dcos task run`'s usage errors. Running a task for real is in
// tests/daemons/tasks_test.cpp, against a real cluster.
#include "daemons/cli/task_commands.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "daemons/cli/cli.hpp"
#include "daemons/cli/task_log.hpp"
#include "tests/cli/run_dcos.hpp"

namespace dcos::cli {
namespace {

using nlohmann::json;

json state() {
  return json::parse(R"({
    "slaves": [{"id": "A1", "hostname": "agent-one"}],
    "frameworks": [
      {"id": "F2", "name": "web",
       "tasks": [{"id": "web.2", "name": "web", "state": "TASK_RUNNING", "slave_id": "A1"},
                 {"id": "web.1", "name": "web", "state": "TASK_STAGING", "slave_id": "A9"}],
       "completed_tasks": [{"id": "web.0", "name": "web", "state": "TASK_FAILED", "slave_id": "A1"}]},
      {"id": "F1", "name": "batch", "tasks": [{"id": "job", "name": "job\u001b[2J", "state": "TASK_RUNNING",
                                               "slave_id": "A1"}]}]})");
}

TEST(TaskListTest, RowsAreSortedByFrameworkThenIdWithTheAgentsHostname) {
  auto rows = tasks_from_state(state(), false);
  ASSERT_TRUE(rows) << rows.error().message;
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[0].id, "job");
  EXPECT_EQ((*rows)[1].id, "web.1");
  EXPECT_EQ((*rows)[1].agent, "A9") << "an agent the state does not list shows as its id";
  EXPECT_EQ((*rows)[2].agent, "agent-one");
  EXPECT_EQ(task_table(*rows),
            "ID     NAME     STATE         FRAMEWORK  AGENT\n"
            "job    job?[2J  TASK_RUNNING  batch      agent-one\n"
            "web.1  web      TASK_STAGING  web        A9\n"
            "web.2  web      TASK_RUNNING  web        agent-one\n");
  auto all = tasks_from_state(state(), true);
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), 4u);
  EXPECT_EQ(json::parse(task_json(*all))[1].value("state", ""), "TASK_FAILED");
}

TEST(TaskListTest, NoTasksSaysSo) {
  auto rows = tasks_from_state(json::parse(R"({"frameworks": []})"), true);
  ASSERT_TRUE(rows);
  EXPECT_EQ(task_table(*rows), "ID  NAME  STATE  FRAMEWORK  AGENT\nno tasks\n");
  EXPECT_EQ(task_json(*rows), "[]\n");
}

TEST(TaskListTest, ABadStateIsAnErrorNamingTheField) {
  EXPECT_EQ(tasks_from_state(json::array(), false).error().message, "the state is not a JSON object");
  EXPECT_EQ(tasks_from_state(json::parse(R"({"frameworks": {}})"), false).error().message,
            "frameworks is not an array");
  EXPECT_EQ(tasks_from_state(json::parse(R"({"frameworks": [{"tasks": [{"id": 3}]}]})"), false).error().message,
            "frameworks[0].tasks[0].id is not a string");
}

TEST(TaskLogTest, TheTasksAgentAndSandboxComeFromTheStates) {
  const json master = json::parse(R"({
    "slaves": [{"id": "A1", "pid": "slave(1)@10.0.0.5:5051"}],
    "frameworks": [{"tasks": [{"id": "t1", "slave_id": "A1"}, {"id": "t2", "slave_id": "A7"}]}],
    "completed_frameworks": [{"completed_tasks": [{"id": "t0", "slave_id": "A1"}]}]})");
  EXPECT_EQ(agent_of_task(master, "t1").value(), "10.0.0.5:5051");
  EXPECT_EQ(agent_of_task(master, "t0").value(), "10.0.0.5:5051");
  EXPECT_EQ(agent_of_task(master, "t2").error().message,
            "task 't2' ran on agent A7, which the master cannot reach now");
  EXPECT_EQ(agent_of_task(master, "nope").error().message, "the master knows no task 'nope'");

  const json agent = json::parse(R"({
    "frameworks": [{"executors": [{"directory": "/w/run1", "tasks": [{"id": "t1"}]}]}],
    "completed_frameworks": [{"completed_executors": [{"directory": "/w/run0", "completed_tasks": [{"id": "t0"}]}]}]})");
  EXPECT_EQ(sandbox_of_task(agent, "t1").value(), "/w/run1");
  EXPECT_EQ(sandbox_of_task(agent, "t0").value(), "/w/run0");
  EXPECT_FALSE(sandbox_of_task(agent, "t2"));
}

int run_dcos(std::vector<std::string> args, std::string& err) {
  std::string out;
  return testing::run_dcos(std::move(args), out, err);
}

TEST(TaskRunTest, UsageErrorsNameWhatIsMissing) {
  std::string err;
  EXPECT_EQ(run_dcos({"task"}, err), 2);
  EXPECT_EQ(err, "dcos: 'dcos task' needs a subcommand: kill, list, log, run (see --help)\n");
  EXPECT_EQ(run_dcos({"task", "log"}, err), 2);
  EXPECT_EQ(err, "dcos: 'dcos task log' needs one task id (see --help)\n");
  EXPECT_EQ(run_dcos({"task", "run", "--name", "x"}, err), 2);
  EXPECT_EQ(err, "dcos: 'dcos task run' needs a command after '--'\n");
  EXPECT_EQ(run_dcos({"task", "run", "--", "true"}, err), 2);
  EXPECT_EQ(err, "dcos: 'dcos task run' needs --name\n");
  EXPECT_EQ(run_dcos({"task", "run", "--name", "x", "--mem", "0", "--", "true"}, err), 2);
  EXPECT_EQ(err, "dcos: --cpus and --mem must be more than 0\n");
  EXPECT_EQ(run_dcos({"task", "list", "extra"}, err), 2);
  EXPECT_EQ(err, "dcos: unexpected argument 'extra' (see --help)\n");
}

TEST(TaskRunTest, AnUnreachableMasterIsOneLine) {
  std::string err;
  // Port 1 on loopback: nothing listens there.
  EXPECT_EQ(run_dcos({"--master=127.0.0.1:1", "task", "run", "--name", "x", "--", "true"}, err), 1);
  EXPECT_EQ(err, "dcos: cannot reach master at 127.0.0.1:1: Connection refused\n");
}

}  // namespace
}  // namespace dcos::cli
