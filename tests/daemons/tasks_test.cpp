// Tasks end to end, every part real: a dcos-master, two dcos-agents running
// tasks in containers (cgroups, namespaces, seccomp), and a scheduler
// speaking the v1 scheduler API in JSON over HTTP, as a framework written
// for Mesos would. Root only (containers); tests/support/task_cluster.hpp
// starts the daemons and removes what is left of the tasks afterwards.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/scheduler_client.hpp"
#include "tests/support/task_cluster.hpp"

namespace dcos::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

// Runs a program to its end (at most `timeout`, then SIGKILL): its exit
// status (-1 if it did not exit) and what it wrote to stdout and stderr.
std::pair<int, std::string> run_program(const std::vector<std::string>& argv, std::chrono::seconds timeout = 60s) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return {-1, "pipe failed"};
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], 1);
    ::dup2(fds[1], 2);
    std::vector<char*> args;
    for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  std::string output;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd fd{fds[0], POLLIN, 0};
    if (left.count() <= 0 || ::poll(&fd, 1, static_cast<int>(left.count())) <= 0) {
      ::kill(pid, SIGKILL);
      break;
    }
    char buffer[4096];
    const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
    if (n <= 0) break;
    output.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

json resource(const std::string& name, double value) {
  return {{"name", name}, {"type", "SCALAR"}, {"scalar", {{"value", value}}}};
}

json command_task(const std::string& id, const json& offer, const std::string& command, double mem = 64) {
  return {{"name", id},
          {"task_id", {{"value", id}}},
          {"agent_id", offer["agent_id"]},
          {"command", {{"value", command}}},
          {"resources", {resource("cpus", 0.1), resource("mem", mem)}}};
}

class TasksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "ROOT: agents run tasks in containers, which needs root";
    cluster_ = std::make_unique<TaskCluster>();
    ASSERT_EQ(cluster_->error(), "");
    port_ = cluster_->port();
  }

  AgentNode& start_agent(const std::string& name) {
    AgentNode& node = cluster_->start_agent(name);
    EXPECT_FALSE(node.id.empty()) << logs();
    return node;
  }
  std::string registered_id(const std::string& hostname) { return cluster_->registered_id(hostname); }
  std::string logs() { return cluster_->logs(); }

  std::unique_ptr<SubscribedScheduler> subscribe(const std::string& name) {
    auto scheduler =
        std::make_unique<SubscribedScheduler>(port_, json{{"user", "root"}, {"name", name}, {"failover_timeout", 60}});
    EXPECT_EQ(scheduler->status(), 200u) << logs();
    EXPECT_FALSE(scheduler->framework_id().empty()) << logs();
    return scheduler;
  }

  // An offer on the agent `agent_id`: one received earlier and not used
  // yet, or the next one.
  json offer_on(SubscribedScheduler& scheduler, std::size_t* cursor, const std::string& agent_id) {
    for (int events = 0; events < 100; ++events) {
      for (auto it = unused_offers_.begin(); it != unused_offers_.end(); ++it) {
        if ((*it)["agent_id"].value("value", "") != agent_id) continue;
        json offer = *it;
        unused_offers_.erase(it);
        return offer;
      }
      auto event = scheduler.next_of_type("OFFERS", cursor, 20s);
      if (!event) return {};
      for (const auto& offer : (*event)["offers"]["offers"]) unused_offers_.push_back(offer);
    }
    return {};
  }

  // Launches the tasks on the offer.
  void launch(SubscribedScheduler& scheduler, const json& offer, const json& tasks) {
    auto reply = scheduler.call("ACCEPT", {{"offer_ids", {offer["id"]}},
                                           {"operations", {{{"type", "LAUNCH"}, {"launch", {{"task_infos", tasks}}}}}},
                                           {"filters", {{"refuse_seconds", 1}}}});
    EXPECT_EQ(reply.status, 202u) << reply.body;
  }

  // Follows task `id`'s updates (acknowledging each, as a framework must for
  // the next to come) until a terminal state, or `until` if given; returns
  // them in order.
  std::vector<json> follow(SubscribedScheduler& scheduler, std::size_t* cursor, const std::string& id,
                           std::chrono::milliseconds timeout = 30s, const std::string& until = "") {
    std::vector<json> seen;
    for (int updates = 0; updates < 20; ++updates) {
      auto event = scheduler.next(
          [&](const json& e) {
            return e.value("type", "") == "UPDATE" && e["update"]["status"]["task_id"].value("value", "") == id;
          },
          cursor, timeout);
      if (!event) break;
      const json status = (*event)["update"]["status"];
      seen.push_back(status);
      if (status.contains("uuid")) {
        auto ack = scheduler.call(
            "ACKNOWLEDGE",
            {{"agent_id", status["agent_id"]}, {"task_id", status["task_id"]}, {"uuid", status["uuid"]}});
        EXPECT_EQ(ack.status, 202u) << ack.body;
      }
      const std::string state = status.value("state", "");
      if (state == until) break;
      if (state != "TASK_STAGING" && state != "TASK_STARTING" && state != "TASK_RUNNING" && state != "TASK_KILLING")
        break;
    }
    return seen;
  }

  static std::vector<std::string> states(const std::vector<json>& statuses) {
    std::vector<std::string> out;
    for (const auto& status : statuses) out.push_back(status.value("state", ""));
    return out;
  }

  std::unique_ptr<TaskCluster> cluster_;
  uint16_t port_ = 0;
  std::vector<json> unused_offers_;
};

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
