#include "tests/support/task_cluster_test.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace dcos::testing {

using namespace std::chrono_literals;
using nlohmann::json;

namespace {

json scalar(const std::string& name, double value) {
  return {{"name", name}, {"type", "SCALAR"}, {"scalar", {{"value", value}}}};
}

}  // namespace

std::pair<int, std::string> run_program(const std::vector<std::string>& argv, std::chrono::seconds timeout) {
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

json command_task(const std::string& id, const json& offer, const std::string& command, double mem) {
  return {{"name", id},
          {"task_id", {{"value", id}}},
          {"agent_id", offer["agent_id"]},
          {"command", {{"value", command}}},
          {"resources", {scalar("cpus", 0.1), scalar("mem", mem)}}};
}

void TaskClusterTest::SetUp() {
  if (::geteuid() != 0) GTEST_SKIP() << "ROOT: agents run tasks in containers, which needs root";
  cluster_ = std::make_unique<TaskCluster>(master_flags());
  ASSERT_EQ(cluster_->error(), "");
  port_ = cluster_->port();
}

AgentNode& TaskClusterTest::start_agent(const std::string& name, const std::string& resources, const AgentPlace& place) {
  AgentNode& node = cluster_->start_agent(name, resources, place);
  EXPECT_FALSE(node.id.empty()) << logs();
  return node;
}

std::unique_ptr<SubscribedScheduler> TaskClusterTest::subscribe(const std::string& name) {
  auto scheduler =
      std::make_unique<SubscribedScheduler>(port_, json{{"user", "root"}, {"name", name}, {"failover_timeout", 60}});
  EXPECT_EQ(scheduler->status(), 200u) << logs();
  EXPECT_FALSE(scheduler->framework_id().empty()) << logs();
  return scheduler;
}

json TaskClusterTest::offer_on(SubscribedScheduler& scheduler, std::size_t* cursor, const std::string& agent_id) {
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

void TaskClusterTest::launch(SubscribedScheduler& scheduler, const json& offer, const json& tasks) {
  auto reply = scheduler.call("ACCEPT", {{"offer_ids", {offer["id"]}},
                                         {"operations", {{{"type", "LAUNCH"}, {"launch", {{"task_infos", tasks}}}}}},
                                         {"filters", {{"refuse_seconds", 1}}}});
  EXPECT_EQ(reply.status, 202u) << reply.body;
}

std::vector<json> TaskClusterTest::follow(SubscribedScheduler& scheduler, std::size_t* cursor, const std::string& id,
                                          std::chrono::milliseconds timeout, const std::string& until) {
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
          "ACKNOWLEDGE", {{"agent_id", status["agent_id"]}, {"task_id", status["task_id"]}, {"uuid", status["uuid"]}});
      EXPECT_EQ(ack.status, 202u) << ack.body;
    }
    const std::string state = status.value("state", "");
    if (state == until) break;
    if (state != "TASK_STAGING" && state != "TASK_STARTING" && state != "TASK_RUNNING" && state != "TASK_KILLING")
      break;
  }
  return seen;
}

bool TaskClusterTest::run_task(SubscribedScheduler& scheduler, std::size_t* offers, std::size_t* updates,
                               const std::string& agent_id, const std::string& id, const std::string& command) {
  const json offer = offer_on(scheduler, offers, agent_id);
  if (offer.is_null()) {
    ADD_FAILURE() << "no offer on agent " << agent_id << "\n" << logs();
    return false;
  }
  launch(scheduler, offer, json::array({command_task(id, offer, command)}));
  const auto seen = follow(scheduler, updates, id, 30s, "TASK_RUNNING");
  if (seen.empty() || seen.back().value("state", "") != "TASK_RUNNING") {
    ADD_FAILURE() << "task " << id << " is not running: " << json(seen).dump() << "\n" << logs();
    return false;
  }
  return true;
}

std::vector<std::string> TaskClusterTest::states(const std::vector<json>& statuses) {
  std::vector<std::string> out;
  for (const auto& status : statuses) out.push_back(status.value("state", ""));
  return out;
}

}  // namespace dcos::testing
