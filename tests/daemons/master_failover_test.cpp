// The master killed with -9 and started again, every part real: a task
// keeps running on its agent, the agent re-registers with it, the
// scheduler re-subscribes with its framework id and reconciliation tells it
// the task's true state; then the task can still be killed. Root only
// (containers); the agent's cgroups root is removed afterwards.
#include <sys/wait.h>
#include <unistd.h>

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "isolation/cgroups.hpp"
#include "tests/support/cluster.hpp"
#include "tests/support/scheduler_client.hpp"

namespace dcos::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

class MasterFailoverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "ROOT: the agent runs tasks in containers, which needs root";
    auto host = isolation::detect_host_cgroups();
    ASSERT_TRUE(host) << host.error().message;
    host_ = *host;
    port_ = free_port();
    start_master();
    cgroups_root_ = "/dcos-test-master-failover-" + std::to_string(::getpid());
    agent_ = std::make_unique<DaemonProcess>(
        agent_binary(),
        std::vector<std::string>{"--master=127.0.0.1:" + std::to_string(port_), "--ip=127.0.0.1",
                                 "--port=" + std::to_string(free_port()), "--hostname=survivor-agent",
                                 "--work_dir=" + dir_.path() + "/agent", "--runtime_dir=" + dir_.path() + "/run",
                                 "--cgroups_root=" + cgroups_root_, "--resources=cpus:1;mem:256",
                                 "--registration_backoff_factor=100ms"},
        dir_.path() + "/agent.log");
    agent_->start();
  }

  void TearDown() override {
    if (agent_) agent_->stop();
    if (master_) master_->stop();
    auto cgroups = isolation::open_cgroups(host_, cgroups_root_);
    if (cgroups) {
      if (auto names = (*cgroups)->list())
        for (const auto& name : *names) (void)(*cgroups)->destroy(name);
    }
    std::vector<std::string> mounts;
    if (!host_.mounts.unified.empty()) mounts.push_back(host_.mounts.unified);
    for (const auto& [controller, mount] : host_.mounts.v1) mounts.push_back(mount);
    for (const auto& mount : mounts) ::rmdir((mount + cgroups_root_).c_str());
  }

  void start_master() {
    master_ = std::make_unique<DaemonProcess>(
        master_binary(),
        std::vector<std::string>{"--ip=127.0.0.1", "--port=" + std::to_string(port_),
                                 "--work_dir=" + dir_.path() + "/master", "--allocation_interval=100ms"},
        dir_.path() + "/master.log");
    master_->start();
    ASSERT_TRUE(wait_until([&] { return get_json(port_, "/health").has_value(); })) << master_->log();
  }

  // The master's view of the task, once it has one.
  std::string task_state(const std::string& framework_id, const std::string& task_id) {
    auto state = get_json(port_, "/master/state");
    if (!state) return "";
    for (const auto& framework : (*state)["frameworks"])
      if (framework.value("id", "") == framework_id)
        for (const auto& task : framework["tasks"])
          if (task.value("id", "") == task_id) return task.value("state", "");
    return "";
  }

  // Waits for `task_id`'s update in `state`, acknowledging every update of it on the way.
  bool until_state(SubscribedScheduler& scheduler, std::size_t* cursor, const std::string& task_id,
                   const std::string& state) {
    for (int updates = 0; updates < 20; ++updates) {
      // (The predicate runs under the client's lock: acknowledge outside it.)
      auto update = scheduler.next(
          [&](const json& e) {
            return e.value("type", "") == "UPDATE" && e["update"]["status"]["task_id"].value("value", "") == task_id;
          },
          cursor, 30s);
      if (!update) return false;
      const json status = (*update)["update"]["status"];
      if (status.contains("uuid"))
        scheduler.call("ACKNOWLEDGE",
                       {{"agent_id", status["agent_id"]}, {"task_id", status["task_id"]}, {"uuid", status["uuid"]}});
      if (status.value("state", "") == state) return true;
    }
    return false;
  }

  TempDir dir_;
  isolation::HostCgroups host_;
  uint16_t port_ = 0;
  std::string cgroups_root_;
  std::unique_ptr<DaemonProcess> master_;
  std::unique_ptr<DaemonProcess> agent_;
};

TEST_F(MasterFailoverTest, ARunningTaskSurvivesTheMastersKillNineAndReconciliationFindsIt) {
  const json info = {{"user", "root"}, {"name", "patient"}, {"failover_timeout", 3600}};
  auto scheduler = std::make_unique<SubscribedScheduler>(port_, info);
  ASSERT_EQ(scheduler->status(), 200u) << master_->log();
  const std::string framework_id = scheduler->framework_id();
  std::size_t cursor = 0;
  auto offers = scheduler->next_of_type("OFFERS", &cursor, 20s);
  ASSERT_TRUE(offers.has_value()) << master_->log() << agent_->log();
  const json offer = (*offers)["offers"]["offers"][0];
  const json task = {{"name", "sleeper"},
                     {"task_id", {{"value", "sleeper"}}},
                     {"agent_id", offer["agent_id"]},
                     {"command", {{"value", "sleep 1000"}}},
                     {"resources", json::parse(R"([{"name":"cpus","type":"SCALAR","scalar":{"value":0.1}},
                                                   {"name":"mem","type":"SCALAR","scalar":{"value":32}}])")}};
  ASSERT_EQ(scheduler
                ->call("ACCEPT", {{"offer_ids", {offer["id"]}},
                                  {"operations", {{{"type", "LAUNCH"}, {"launch", {{"task_infos", {task}}}}}}}})
                .status,
            202u);
  ASSERT_TRUE(until_state(*scheduler, &cursor, "sleeper", "TASK_RUNNING")) << master_->log() << agent_->log();

  master_->kill(SIGKILL);
  EXPECT_TRUE(wait_until([&] { return scheduler->ended(); })) << "the event stream should end with the master";
  scheduler.reset();
  start_master();

  // The agent comes back with the task; the master rebuilds it from that.
  ASSERT_TRUE(wait_until([&] { return task_state(framework_id, "sleeper") == "TASK_RUNNING"; }, 30s))
      << master_->log() << agent_->log();
  json again = info;
  again["id"] = {{"value", framework_id}};
  scheduler = std::make_unique<SubscribedScheduler>(port_, again);
  ASSERT_EQ(scheduler->status(), 200u) << master_->log();
  EXPECT_EQ(scheduler->framework_id(), framework_id);
  EXPECT_EQ(scheduler->call("RECONCILE", {{"tasks", json::array()}}).status, 202u);
  cursor = 0;
  // (The agent may also resend an update whose acknowledgement died with
  // the old master: the reconciliation answer is the one with its reason.)
  std::size_t reconcile_cursor = 0;
  auto reconciled = scheduler->next(
      [](const json& e) {
        return e.value("type", "") == "UPDATE" && e["update"]["status"]["task_id"].value("value", "") == "sleeper" &&
               e["update"]["status"].value("reason", "") == "REASON_RECONCILIATION";
      },
      &reconcile_cursor, 20s);
  ASSERT_TRUE(reconciled.has_value()) << master_->log();
  EXPECT_EQ((*reconciled)["update"]["status"].value("state", ""), "TASK_RUNNING");

  // Still the scheduler's task: it can be killed through the new master.
  EXPECT_EQ(scheduler->call("KILL", {{"task_id", {{"value", "sleeper"}}}}).status, 202u);
  EXPECT_TRUE(until_state(*scheduler, &cursor, "sleeper", "TASK_KILLED")) << master_->log() << agent_->log();
}

}  // namespace
}  // namespace dcos::testing
