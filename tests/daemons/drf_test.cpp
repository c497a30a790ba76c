// Two frameworks share agents by DRF, and their shares converge to their
// roles' weights; every part real: a dcos-master started with --weights,
// two dcos-agents running the tasks in containers, and two frameworks in
// different roles speaking the v1 scheduler API in JSON over HTTP. Root only
// (containers).
//
// Each framework wants as much as it can get: it launches one small
// long-running task on every offer (declining the rest of the offer with
// refuse_seconds 0, so that it comes straight back) until the cluster is
// full. Filling alone does not prove the weights, here as in Mesos: an
// offer is a whole agent's free resources and what is offered counts as
// held, so while each framework holds an offer of a different agent each
// fills "its" agent whatever the weights, and DRF decides slot by slot only
// once one agent has room left; how close the fill comes depends on the
// order in which the frameworks answer. In a full cluster DRF decides every
// slot: a task's end frees one task's worth, offered to the role of lowest
// weighted share alone. So once full, the frameworks take turns ending
// their oldest task (as a rolling restart would), and the freed slot goes
// where DRF sends it. Each pair of turns moves the shares one task towards
// the weights (the role above its weighted share loses its slot to the
// other, the role below gets its own back), so they converge, and stay,
// within one task: the last slot went to the role of lower weighted share,
// which then exceeds the other's by at most the weighted share of one task.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/scheduler_client.hpp"
#include "tests/support/task_cluster.hpp"

namespace dcos::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

// Each agent holds 20 tasks by cpus and by mem alike, so a full agent has
// nothing left to offer (Mesos offers 32 MB of memory without cpus too).
constexpr const char* kAgentResources = "cpus:2;mem:320";
constexpr double kTaskCpus = 0.1, kTaskMem = 16;
constexpr int kClusterTasks = 40;
// Bounds, in turns of one framework: each pair of turns moves the shares one
// task towards the weights and no fill is more than 20 tasks off, so 30
// pairs converge; then kStableTurns pairs more show they stay there.
constexpr int kMaxTurns = 60, kStableTurns = 2;

json scalar(const std::string& name, double value) {
  return {{"name", name}, {"type", "SCALAR"}, {"scalar", {{"value", value}}}};
}

double offered(const json& offer, const std::string& name) {
  double total = 0;
  for (const auto& resource : offer.value("resources", json::array()))
    if (resource.value("name", "") == name) total += resource["scalar"].value("value", 0.0);
  return total;
}

// A framework in one role that takes every task's worth it is offered.
class GreedyFramework {
 public:
  GreedyFramework(uint16_t port, std::string name, std::string role)
      : name_(std::move(name)),
        role_(std::move(role)),
        scheduler_(port, json{{"user", "root"}, {"name", name_}, {"roles", {role_}}, {"failover_timeout", 0},
                               {"capabilities", {{{"type", "MULTI_ROLE"}}}}}) {}

  SubscribedScheduler& scheduler() { return scheduler_; }
  const std::string& role() const { return role_; }
  std::size_t running() const { return running_.size(); }
  std::size_t launched() const { return launched_; }

  // Handles what has arrived (waiting up to `wait` for the first event):
  // one task per offer, acknowledgements, and the tasks' states.
  void pump(std::chrono::milliseconds wait) {
    for (int handled = 0; handled < 1000; ++handled) {
      auto event = scheduler_.next([](const json&) { return true; }, &cursor_, handled == 0 ? wait : 0ms);
      if (!event) return;
      const std::string type = event->value("type", "");
      if (type == "OFFERS") {
        for (const auto& offer : (*event)["offers"]["offers"]) answer(offer);
      } else if (type == "UPDATE") {
        track((*event)["update"]["status"]);
      }
    }
  }

  void kill_oldest() {
    ASSERT_FALSE(running_.empty()) << name_ << " has no running task";
    const json& task = running_.front();
    auto reply = scheduler_.call("KILL", {{"task_id", task["task_id"]}, {"agent_id", task["agent_id"]}});
    EXPECT_EQ(reply.status, 202u) << reply.body;
    running_.pop_front();
  }

  void teardown() { EXPECT_EQ(scheduler_.call("TEARDOWN").status, 202u); }

 private:
  void answer(const json& offer) {
    if (offered(offer, "cpus") < kTaskCpus - 1e-9 || offered(offer, "mem") < kTaskMem - 1e-9) {
      // Nothing of ours fits: a framework filters such an offer for a while.
      auto reply = scheduler_.call("DECLINE", {{"offer_ids", {offer["id"]}}, {"filters", {{"refuse_seconds", 60}}}});
      EXPECT_EQ(reply.status, 202u) << reply.body;
      return;
    }
    const std::string id = name_ + "-" + std::to_string(launched_++);
    const json task = {{"name", id},
                       {"task_id", {{"value", id}}},
                       {"agent_id", offer["agent_id"]},
                       {"command", {{"value", "sleep 600"}}},
                       {"resources", {scalar("cpus", kTaskCpus), scalar("mem", kTaskMem)}},
                       // Killed at once: `sleep` as a container's init ignores
                       // SIGTERM and would wait out a grace period.
                       {"kill_policy", {{"grace_period", {{"nanoseconds", 0}}}}}};
    auto reply =
        scheduler_.call("ACCEPT", {{"offer_ids", {offer["id"]}},
                                   {"operations", {{{"type", "LAUNCH"}, {"launch", {{"task_infos", {task}}}}}}},
                                   {"filters", {{"refuse_seconds", 0}}}});
    EXPECT_EQ(reply.status, 202u) << reply.body;
  }

  void track(const json& status) {
    if (status.contains("uuid")) {
      auto ack = scheduler_.call("ACKNOWLEDGE", {{"agent_id", status["agent_id"]},
                                                 {"task_id", status["task_id"]},
                                                 {"uuid", status["uuid"]}});
      EXPECT_EQ(ack.status, 202u) << ack.body;
    }
    const std::string state = status.value("state", "");
    const auto same_task = [&](const json& task) { return task["task_id"] == status["task_id"]; };
    if (state == "TASK_RUNNING" && std::none_of(running_.begin(), running_.end(), same_task)) {
      running_.push_back(status);
    } else if (state != "TASK_STARTING" && state != "TASK_STAGING" && state != "TASK_RUNNING") {
      running_.erase(std::remove_if(running_.begin(), running_.end(), same_task), running_.end());
      // Only kills end tasks here: anything else is a failure to see.
      EXPECT_EQ(state, "TASK_KILLED") << status.dump();
    }
  }

  std::string name_;
  std::string role_;
  SubscribedScheduler scheduler_;
  std::size_t cursor_ = 0;
  std::size_t launched_ = 0;
  std::deque<json> running_;  // by the time they started running
};

// What /master/state says of the cluster: each role's dominant share and
// weight, and whether everything is in use with no offer outstanding.
struct Shares {
  std::map<std::string, double> share, weight;
  bool full = false;
  double task_share = 0;  // one task's dominant share
};

std::optional<Shares> shares_of(uint16_t port) {
  auto state = get_json(port, "/master/state");
  if (!state) return std::nullopt;
  std::map<std::string, double> total, used;
  for (const auto& agent : (*state)["slaves"]) {
    for (const char* name : {"cpus", "mem"}) {
      total[name] += agent["resources"].value(name, 0.0);
      used[name] += agent["used_resources"].value(name, 0.0);
    }
  }
  if (total["cpus"] <= 0 || total["mem"] <= 0) return std::nullopt;
  Shares out;
  bool offers_outstanding = false;
  for (const auto& framework : (*state)["frameworks"]) {
    const auto& resources = framework["used_resources"];
    out.share[framework.value("role", "")] +=
        std::max(resources.value("cpus", 0.0) / total["cpus"], resources.value("mem", 0.0) / total["mem"]);
    offers_outstanding = offers_outstanding || !framework["offers"].empty();
  }
  for (const auto& entry : (*state)["weights"]) out.weight[entry.value("role", "")] = entry.value("weight", 1.0);
  out.full = !offers_outstanding && std::abs(used["cpus"] - total["cpus"]) < 1e-6 &&
             std::abs(used["mem"] - total["mem"]) < 1e-6;
  out.task_share = std::max(kTaskCpus / total["cpus"], kTaskMem / total["mem"]);
  return out;
}

class DrfTest : public ::testing::Test {
 protected:
  // A cluster whose roles "a" and "b" have these weights (none: the flag is not given).
  void start(const std::string& weights) {
    if (::geteuid() != 0) GTEST_SKIP() << "ROOT: agents run tasks in containers, which needs root";
    std::vector<std::string> flags;
    if (!weights.empty()) flags.push_back("--weights=" + weights);
    cluster_ = std::make_unique<TaskCluster>(flags);
    ASSERT_EQ(cluster_->error(), "");
    for (const char* name : {"agent-1", "agent-2"})
      ASSERT_FALSE(cluster_->start_agent(name, kAgentResources).id.empty()) << cluster_->logs();
    for (const auto& [name, role] : {std::pair{"fw-a", "a"}, std::pair{"fw-b", "b"}}) {
      frameworks_.push_back(std::make_unique<GreedyFramework>(cluster_->port(), name, role));
      ASSERT_EQ(frameworks_.back()->scheduler().status(), 200u) << cluster_->logs();
      ASSERT_FALSE(frameworks_.back()->scheduler().framework_id().empty()) << cluster_->logs();
    }
  }

  void TearDown() override {
    if (!cluster_) return;
    for (auto& framework : frameworks_) framework->teardown();
    // The master kills a torn-down framework's tasks; wait for the agents to
    // have none left, so that the cluster's end finds no container to clean.
    EXPECT_TRUE(wait_until([&] { return live_tasks_on_agents() == 0; }, 30s, 100ms)) << cluster_->logs();
    frameworks_.clear();
  }

  // Tasks the agents have not seen end (their /state's frameworks[].executors[].tasks).
  std::size_t live_tasks_on_agents() {
    std::size_t live = 0;
    for (const auto& agent : cluster_->agents()) {
      auto state = get_json(agent.port, "/state");
      if (!state) return SIZE_MAX;
      for (const auto& framework : (*state)["frameworks"])
        for (const auto& executor : framework["executors"]) live += executor["tasks"].size();
    }
    return live;
  }

  // Pumps both frameworks until the cluster is full, with every launched
  // task running or ended (bounded: 600 pumps, 30 s at most); the shares then.
  Shares until_full() {
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    std::optional<Shares> shares;
    for (int pumps = 0; pumps < 600 && std::chrono::steady_clock::now() < deadline; ++pumps) {
      for (auto& framework : frameworks_) framework->pump(25ms);
      std::size_t running = 0;
      for (auto& framework : frameworks_) running += framework->running();
      if (running != kClusterTasks) continue;
      shares = shares_of(cluster_->port());
      if (shares && shares->full) return *shares;
    }
    ADD_FAILURE() << "the cluster did not fill up: " << (shares ? "" : "no /master/state ") << cluster_->logs();
    return shares.value_or(Shares{});
  }

  // |share(a)/weight(a) - share(b)/weight(b)|, and its bound: one task's share over the smaller weight.
  static std::pair<double, double> imbalance(const Shares& shares) {
    const auto weight = [&](const std::string& role) {
      return shares.weight.contains(role) ? shares.weight.at(role) : 1.0;
    };
    const double a = shares.share.at("a") / weight("a"), b = shares.share.at("b") / weight("b");
    return {std::abs(a - b), shares.task_share / std::min(weight("a"), weight("b")) + 1e-9};
  }

  // Fills the cluster, then lets the frameworks end their oldest task in
  // turns until the weighted shares are within one task and have stayed so
  // for kStableTurns more turns. The shares at the end.
  Shares converge() {
    Shares shares = until_full();
    int stable = 0;
    for (int turn = 0; turn < kMaxTurns && stable <= kStableTurns && !HasFailure(); ++turn) {
      frameworks_[turn % 2]->kill_oldest();
      shares = until_full();
      if (turn % 2 == 0) continue;  // a whole turn each
      const auto [gap, bound] = imbalance(shares);
      stable = gap <= bound ? stable + 1 : 0;
    }
    EXPECT_GT(stable, kStableTurns) << "the shares did not settle in " << kMaxTurns << " turns";
    return shares;
  }

  std::unique_ptr<TaskCluster> cluster_;
  std::vector<std::unique_ptr<GreedyFramework>> frameworks_;
};

TEST_F(DrfTest, SharesConvergeToTheRolesWeights) {
  start("a=2,b=1");
  if (IsSkipped() || HasFatalFailure()) return;
  const Shares shares = converge();
  ASSERT_EQ(shares.weight, (std::map<std::string, double>{{"a", 2}, {"b", 1}}));
  // 40 tasks split 2:1 is 26.7 to 13.3: 27/13 or 26/14, within one task.
  const auto [gap, bound] = imbalance(shares);
  EXPECT_LE(gap, bound) << "a: " << shares.share.at("a") << ", b: " << shares.share.at("b");
  EXPECT_NEAR(shares.share.at("a") / shares.share.at("b"), 2.0, 0.2)
      << "a: " << shares.share.at("a") << ", b: " << shares.share.at("b");
  EXPECT_NEAR(shares.share.at("a") + shares.share.at("b"), 1.0, 1e-6);
}

TEST_F(DrfTest, WithEqualWeightsTheSharesAreEqual) {
  start("");
  if (IsSkipped() || HasFatalFailure()) return;
  const Shares shares = converge();
  EXPECT_TRUE(shares.weight.empty());
  const auto [gap, bound] = imbalance(shares);
  EXPECT_LE(gap, bound) << "a: " << shares.share.at("a") << ", b: " << shares.share.at("b");
  EXPECT_NEAR(shares.share.at("a") + shares.share.at("b"), 1.0, 1e-6);
}

}  // namespace
}  // namespace dcos::testing
