// The operator API (POST /api/v1), every part real: a dcos-master, a
// dcos-agent running tasks in containers, and schedulers owning them. An
// operator's KILL_TASK ends a task of a framework it is not, and the
// framework hears TASK_KILLED as if it had asked; TEARDOWN removes a
// framework and its tasks; every bad call gets its status and a message,
// and changes nothing. Root only (containers), as tests/support/task_cluster_test.hpp.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "master.pb.h"
#include "runtime/http_client.hpp"
#include "tests/support/task_cluster_test.hpp"

namespace dcos::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

class OperatorApiTest : public TaskClusterTest {
 protected:
  http::Reply post(const std::string& body, const std::string& content_type = "application/json") {
    auto reply = http::fetch("POST", "127.0.0.1", port_, "/api/v1", body, content_type);
    EXPECT_TRUE(reply) << reply.error().message;
    return reply ? *reply : http::Reply{};
  }

  http::Reply kill_task(const std::string& task_id, const std::string& framework_id = {}) {
    json kill = {{"task_id", {{"value", task_id}}}};
    if (!framework_id.empty()) kill["framework_id"] = {{"value", framework_id}};
    return post(json{{"type", "KILL_TASK"}, {"kill_task", kill}}.dump());
  }

  http::Reply teardown(const std::string& framework_id) {
    return post(json{{"type", "TEARDOWN"}, {"teardown", {{"framework_id", {{"value", framework_id}}}}}}.dump());
  }

  // The task's state in /master/state: "" if not listed (or the named framework's).
  std::string task_state(const std::string& task_id, const std::string& framework_id = {}) {
    auto state = get_json(port_, "/master/state");
    if (!state) return "";
    std::string found;
    for (const std::string group : {"frameworks", "completed_frameworks"})
      for (const auto& framework : (*state)[group])
        for (const std::string list : {"completed_tasks", "tasks"})  // live last: it wins
          for (const auto& task : framework[list])
            if (task.value("id", "") == task_id && (framework_id.empty() || framework.value("id", "") == framework_id))
              found = task.value("state", "");
    return found;
  }

  // A counter's value in /metrics (-1 if absent).
  double metric(const std::string& name) {
    auto reply = http::get("127.0.0.1", port_, "/metrics");
    if (!reply) return -1;
    const auto at = reply->body.find("\n" + name + " ");
    return at == std::string::npos ? -1 : std::stod(reply->body.substr(at + name.size() + 2));
  }

  // Whether the scheduler heard of its task anything but starting and running.
  static bool heard_an_end(SubscribedScheduler& scheduler, const std::string& task_id) {
    for (const auto& event : scheduler.events()) {
      if (event.value("type", "") != "UPDATE") continue;
      const json& status = event["update"]["status"];
      const std::string state = status.value("state", "");
      if (status["task_id"].value("value", "") == task_id && state != "TASK_STARTING" && state != "TASK_RUNNING")
        return true;
    }
    return false;
  }

  // How many tasks the agent's /state lists as live.
  int live_tasks_on(const AgentNode& node) {
    auto state = get_json(node.port, "/state");
    if (!state) return -1;
    int count = 0;
    for (const auto& framework : (*state)["frameworks"])
      for (const auto& executor : framework["executors"]) count += static_cast<int>(executor["tasks"].size());
    return count;
  }
};

TEST_F(OperatorApiTest, KillTaskEndsARunningTaskAndItsFrameworkHearsTaskKilled) {
  const std::string agent_id = start_agent("agent-a").id;
  auto scheduler = subscribe("owner");
  std::size_t offers = 0, updates = 0;
  ASSERT_TRUE(run_task(*scheduler, &offers, &updates, agent_id, "sleeper"));

  const auto reply = kill_task("sleeper");
  ASSERT_EQ(reply.status, 202u) << reply.body << logs();
  const json answer = json::parse(reply.body, nullptr, false);
  EXPECT_EQ(answer.value("type", ""), "KILL_TASK") << reply.body;
  EXPECT_EQ(answer["kill_task"]["framework_id"].value("value", ""), scheduler->framework_id()) << reply.body;
  EXPECT_EQ(answer["kill_task"]["agent_id"].value("value", ""), agent_id) << reply.body;
  EXPECT_EQ(answer["kill_task"].value("state", ""), "TASK_RUNNING") << reply.body;

  const auto seen = follow(*scheduler, &updates, "sleeper");
  ASSERT_FALSE(seen.empty()) << logs();
  EXPECT_EQ(seen.back().value("state", ""), "TASK_KILLED") << logs();
  EXPECT_TRUE(wait_until([&] { return task_state("sleeper") == "TASK_KILLED"; })) << task_state("sleeper");

  // Once ended, a kill says so instead of pretending.
  const auto again = kill_task("sleeper");
  EXPECT_EQ(again.status, 409u) << again.body;
  EXPECT_NE(again.body.find("has already ended: TASK_KILLED"), std::string::npos) << again.body;
  EXPECT_EQ(metric("dcos_master_operator_task_kills_total"), 1);
  EXPECT_EQ(metric("dcos_master_operator_calls_total"), 2);
  EXPECT_EQ(metric("dcos_master_operator_bad_calls_total"), 1);
  EXPECT_NE(master_log().find("operator kills task sleeper"), std::string::npos) << master_log();
  EXPECT_NE(master_log().find("TASK_ID=sleeper"), std::string::npos) << master_log();
}

TEST_F(OperatorApiTest, BadCallsGetTheirStatusAndChangeNothing) {
  const std::string agent_id = start_agent("agent-a").id;
  auto first = subscribe("first");
  auto second = subscribe("second");
  std::size_t offers_1 = 0, updates_1 = 0, offers_2 = 0, updates_2 = 0;
  // The same task id in two frameworks: only the framework tells them apart.
  ASSERT_TRUE(run_task(*first, &offers_1, &updates_1, agent_id, "twin"));
  ASSERT_TRUE(run_task(*second, &offers_2, &updates_2, agent_id, "twin"));

  struct Case {
    std::string body;
    std::string content_type;
    unsigned status;
    std::string says;
  };
  mesos::v1::master::Call protobuf;
  protobuf.set_type(mesos::v1::master::Call::KILL_TASK);
  protobuf.mutable_kill_task()->mutable_task_id()->set_value("nobody");
  const std::string json_type = "application/json";
  const std::vector<Case> cases = {
      {"{", json_type, 400, "Failed to parse body into Call"},
      {"{}", json_type, 400, "Expecting 'type' to be present"},
      {R"({"type":"EXPLODE"})", json_type, 400, "Failed to parse body into Call"},
      {R"({"type":"KILL_TASK"})", json_type, 400, "Expecting 'kill_task' to be present"},
      {R"({"type":"TEARDOWN"})", json_type, 400, "Expecting 'teardown' to be present"},
      {R"({"type":"KILL_TASK","kill_task":{}})", json_type, 400, "task_id"},
      {R"({"type":"KILL_TASK","kill_task":{"task_id":{"value":""}}})", json_type, 400, "non-empty"},
      {R"({"type":"KILL_TASK","kill_task":{"task_id":{"value":"twin"},"colour":1}})", json_type, 400, "colour"},
      {R"({"type":"KILL_TASK","kill_task":{"task_id":{"value":"twin"},"kill_policy":{"grace_period":{"nanoseconds":-1}}}})",
       json_type, 400, "negative"},
      {R"({"type":"TEARDOWN","teardown":{"framework_id":{"value":""}}})", json_type, 400, "non-empty"},
      {R"({"type":"GET_STATE"})", json_type, 501, "GET_STATE is not supported"},
      {R"({"type":"KILL_TASK","kill_task":{"task_id":{"value":"twin"}}})", "text/plain", 415, "Content-Type"},
      {R"({"type":"KILL_TASK","kill_task":{"task_id":{"value":"nobody"}}})", json_type, 404,
       "No framework has a task nobody"},
      {protobuf.SerializeAsString(), "application/x-protobuf", 404, "No framework has a task nobody"},
      {R"({"type":"KILL_TASK","kill_task":{"task_id":{"value":"twin"},"framework_id":{"value":"nope"}}})", json_type,
       404, "Framework nope is not known"},
      {R"({"type":"TEARDOWN","teardown":{"framework_id":{"value":"nope"}}})", json_type, 404,
       "Framework nope is not known"},
      {R"({"type":"KILL_TASK","kill_task":{"task_id":{"value":"twin"}}})", json_type, 409,
       "exists in frameworks " + std::min(first->framework_id(), second->framework_id()) + ", " +
           std::max(first->framework_id(), second->framework_id())},
  };
  for (const auto& c : cases) {
    const auto reply = post(c.body, c.content_type);
    EXPECT_EQ(reply.status, c.status) << c.body.substr(0, 200) << "\n" << reply.body;
    EXPECT_NE(reply.body.find(c.says), std::string::npos) << c.body.substr(0, 200) << "\n" << reply.body;
  }
  EXPECT_EQ(metric("dcos_master_operator_bad_calls_total"), static_cast<double>(cases.size()));
  // A body over the bound: the HTTP server's own limit (the same size)
  // answers it before the API sees it.
  const auto huge = post(std::string(2 * 1024 * 1024, ' '));
  EXPECT_EQ(huge.status, 413u) << huge.body;
  EXPECT_EQ(metric("dcos_master_operator_task_kills_total"), 0);
  EXPECT_TRUE(get_json(port_, "/health")) << "the master keeps serving";
  EXPECT_EQ(task_state("twin", first->framework_id()), "TASK_RUNNING");
  EXPECT_EQ(task_state("twin", second->framework_id()), "TASK_RUNNING");
  EXPECT_FALSE(heard_an_end(*first, "twin"));
  EXPECT_FALSE(heard_an_end(*second, "twin"));

  // Named, the first framework's task is killed and the second's is not.
  const auto reply = kill_task("twin", first->framework_id());
  ASSERT_EQ(reply.status, 202u) << reply.body;
  const auto seen = follow(*first, &updates_1, "twin");
  ASSERT_FALSE(seen.empty()) << logs();
  EXPECT_EQ(seen.back().value("state", ""), "TASK_KILLED") << logs();
  EXPECT_EQ(task_state("twin", second->framework_id()), "TASK_RUNNING");
  EXPECT_FALSE(heard_an_end(*second, "twin"));
}

TEST_F(OperatorApiTest, TeardownRemovesTheFrameworkAndKillsItsTasks) {
  AgentNode& node = start_agent("agent-a");
  auto scheduler = subscribe("doomed");
  std::size_t offers = 0, updates = 0;
  ASSERT_TRUE(run_task(*scheduler, &offers, &updates, node.id, "victim"));
  const std::string framework_id = scheduler->framework_id();

  const auto reply = teardown(framework_id);
  EXPECT_EQ(reply.status, 200u) << reply.body;
  EXPECT_TRUE(wait_until([&] { return scheduler->ended(); })) << "the master closes the framework's stream";
  auto state = get_json(port_, "/master/state");
  ASSERT_TRUE(state);
  ASSERT_EQ((*state)["frameworks"].size(), 0u) << state->dump();
  ASSERT_EQ((*state)["completed_frameworks"].size(), 1u) << state->dump();
  EXPECT_EQ(task_state("victim"), "TASK_KILLED");
  EXPECT_TRUE(wait_until([&] { return live_tasks_on(node) == 0; }, 30s)) << logs();

  const auto again = teardown(framework_id);
  EXPECT_EQ(again.status, 409u) << again.body;
  EXPECT_NE(again.body.find("has already been removed"), std::string::npos) << again.body;
  const auto kill = kill_task("victim", framework_id);
  EXPECT_EQ(kill.status, 409u) << kill.body;
  EXPECT_NE(kill.body.find("has already ended: TASK_KILLED"), std::string::npos) << kill.body;
  EXPECT_EQ(metric("dcos_master_operator_teardowns_total"), 1);
  EXPECT_NE(master_log().find("operator tears down framework " + framework_id), std::string::npos);
}

}  // namespace
}  // namespace dcos::testing
