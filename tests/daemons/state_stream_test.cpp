// The master's state subscription, as the node services (dcos-dns,
// dcos-l4lb) use it: a real master, real agents running tasks, a scheduler
// over the HTTP API, and a StateSubscriber in this process following the
// state, through a proxy that can cut the network.
#include <signal.h>
#include <unistd.h>

#include <future>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "runtime/http_client.hpp"
#include "runtime/state_subscriber.hpp"
#include "tests/support/proxy.hpp"
#include "tests/support/task_cluster_test.hpp"

namespace dcos::testing {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using nlohmann::json;

// A node service's view: a StateSubscriber on an io thread of its own, and
// what it reported, for the test's thread to read.
class Follower {
 public:
  explicit Follower(uint16_t port) : guard_(io_.get_executor()) {
    StateSubscriberOptions options;
    options.master_port = port;
    options.peer = "test";
    options.backoff_min = 50ms;
    options.backoff_max = 200ms;
    options.connection.handshake_timeout = 1s;
    StateSubscriber::Handlers handlers;
    handlers.change = [this](const ClusterState&, const internal::StateChange& change) {
      std::lock_guard lock(mutex_);
      changes_.push_back(change);
    };
    handlers.link = [this](bool up, const std::string&) {
      std::lock_guard lock(mutex_);
      ++(up ? ups_ : downs_);
    };
    subscriber_ = std::make_unique<StateSubscriber>(io_.get_executor(), options, handlers);
    subscriber_->start();
    thread_ = std::thread([this] { io_.run(); });
  }

  ~Follower() {
    asio::post(io_, [this] { subscriber_->stop(); });
    guard_.reset();
    // The loop ends once the connection is closed and the pause cancelled.
    thread_.join();
  }

  // `read(state, subscriber)`, on the subscriber's thread.
  template <class Read>
  auto with(Read read) {
    std::packaged_task<decltype(read(std::declval<const ClusterState&>(), std::declval<const StateSubscriber&>()))()>
        task([&] { return read(subscriber_->state(), *subscriber_); });
    auto result = task.get_future();
    asio::post(io_, [&task] { task(); });
    return result.get();
  }

  bool wait_for(const std::function<bool(const ClusterState&)>& condition, std::chrono::milliseconds timeout = 10s) {
    return wait_until([&] { return with([&](const ClusterState& state, const StateSubscriber&) { return condition(state); }); },
                      timeout);
  }

  const internal::StateTask* task(const ClusterState& state, const std::string& id) const {
    for (const auto& [key, task] : state.tasks())
      if (key.second == id) return &task;
    return nullptr;
  }

  std::vector<internal::StateChange> changes() {
    std::lock_guard lock(mutex_);
    return changes_;
  }
  int ups() {
    std::lock_guard lock(mutex_);
    return ups_;
  }
  int downs() {
    std::lock_guard lock(mutex_);
    return downs_;
  }
  uint64_t snapshots() {
    return with([](const ClusterState&, const StateSubscriber& subscriber) { return subscriber.snapshots(); });
  }
  uint64_t resumes() {
    return with([](const ClusterState&, const StateSubscriber& subscriber) { return subscriber.resumes(); });
  }

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_;
  std::unique_ptr<StateSubscriber> subscriber_;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<internal::StateChange> changes_;
  int ups_ = 0;
  int downs_ = 0;
};

// A task with a named VIP on a host port, as Marathon would launch it.
json vip_task(const std::string& id, const json& offer, uint64_t port) {
  json task = command_task(id, offer, "sleep 1000");
  task["resources"].push_back(
      {{"name", "ports"}, {"type", "RANGES"}, {"ranges", {{"range", {{{"begin", port}, {"end", port}}}}}}});
  task["labels"] = json::parse(R"({"labels": [{"key": "owner", "value": "web-team"}]})");
  task["discovery"] = json::parse(R"({"visibility": "FRAMEWORK", "name": "web", "ports": {"ports": [
      {"name": "http", "protocol": "tcp", "labels": {"labels": [{"key": "VIP_0", "value": "/web:80"}]}}]}})");
  task["discovery"]["ports"]["ports"][0]["number"] = port;
  return task;
}

class StateStreamTest : public TaskClusterTest {
 protected:
  // Pings (and the subscription's heartbeats) every 200 ms, so a cut
  // network is noticed in about a second.
  std::vector<std::string> master_flags() const override { return {"--agent_ping_timeout=200ms"}; }

  std::string start_agent(const std::string& name) {
    return TaskClusterTest::start_agent(name, "cpus:2;mem:1024;ports:[31000-31010]").id;
  }
  // Launches one task with a VIP on `port` on an offer of the agent; false if no offer came.
  bool launch_vip_task(SubscribedScheduler& scheduler, std::size_t* cursor, const std::string& agent_id,
                       const std::string& id, uint64_t port) {
    const json offer = offer_on(scheduler, cursor, agent_id);
    if (offer.is_null()) return false;
    launch(scheduler, offer, json::array({vip_task(id, offer, port)}));
    return true;
  }
};

TEST_F(StateStreamTest, ASubscriberSeesAgentsFrameworksAndTasksAsTheyChange) {
  const std::string agent_id = start_agent("agent-a");
  ASSERT_FALSE(agent_id.empty()) << logs();
  Follower follower(port_);
  ASSERT_TRUE(follower.wait_for([&](const ClusterState& state) { return state.agent(agent_id) != nullptr; }))
      << logs();
  follower.with([&](const ClusterState& state, const StateSubscriber&) {
    const auto* agent = state.agent(agent_id);
    EXPECT_EQ(agent->hostname(), "agent-a");
    EXPECT_EQ(agent->ip(), "127.0.0.1");
    EXPECT_TRUE(agent->connected());
    EXPECT_FALSE(state.leader().id().empty());
  });

  auto scheduler = subscribe("web");
  const std::string framework_id = scheduler->framework_id();
  std::size_t cursor = 0;
  ASSERT_TRUE(launch_vip_task(*scheduler, &cursor, agent_id, "web-1", 31001)) << logs();
  std::size_t from = 0;
  follow(*scheduler, &from, "web-1", 30s, "TASK_RUNNING");

  ASSERT_TRUE(follower.wait_for([&](const ClusterState& state) {
    const auto* task = follower.task(state, "web-1");
    return task && task->state() == mesos::v1::TASK_RUNNING;
  })) << logs();
  follower.with([&](const ClusterState& state, const StateSubscriber&) {
    ASSERT_NE(state.framework(framework_id), nullptr);
    EXPECT_EQ(state.framework(framework_id)->name(), "web");
    const auto* task = follower.task(state, "web-1");
    EXPECT_EQ(task->agent_id().value(), agent_id);
    EXPECT_EQ(task->framework_id().value(), framework_id);
    EXPECT_EQ(task->discovery().name(), "web");
    ASSERT_EQ(task->discovery().ports().ports_size(), 1);
    EXPECT_EQ(task->discovery().ports().ports(0).number(), 31001u);
    EXPECT_EQ(task->discovery().ports().ports(0).labels().labels(0).value(), "/web:80");
    EXPECT_EQ(task->labels().labels(0).value(), "web-team");
    bool port_held = false;
    for (const auto& resource : task->resources())
      if (resource.name() == "ports" && resource.ranges().range_size() == 1)
        port_held = resource.ranges().range(0).begin() == 31001;
    EXPECT_TRUE(port_held);
    EXPECT_FALSE(task->killing());
  });

  // A kill takes the task out of balancing at once, then it ends and leaves.
  ASSERT_EQ(scheduler->call("KILL", {{"task_id", {{"value", "web-1"}}}}).status, 202u);
  follow(*scheduler, &from, "web-1");
  ASSERT_TRUE(follower.wait_for([&](const ClusterState& state) { return follower.task(state, "web-1") == nullptr; }))
      << logs();
  bool killing_seen = false, ended_seen = false;
  for (const auto& change : follower.changes()) {
    if (!change.has_task() || change.task().id().value() != "web-1") continue;
    EXPECT_FALSE(ended_seen) << "a change after the task's end";
    killing_seen |= change.task().killing();
    ended_seen = change.task().state() == mesos::v1::TASK_KILLED;
  }
  EXPECT_TRUE(killing_seen);
  EXPECT_TRUE(ended_seen);

  ASSERT_EQ(scheduler->call("TEARDOWN").status, 202u);
  EXPECT_TRUE(
      follower.wait_for([&](const ClusterState& state) { return state.framework(framework_id) == nullptr; }))
      << logs();
  // Every change came in order, one after another.
  const auto changes = follower.changes();
  for (std::size_t i = 1; i < changes.size(); ++i) EXPECT_EQ(changes[i].sequence(), changes[i - 1].sequence() + 1);
}

TEST_F(StateStreamTest, AReconnectingSubscriberResumesWithoutMissingAChange) {
  const std::string agent_id = start_agent("agent-a");
  ASSERT_FALSE(agent_id.empty()) << logs();
  CuttableProxy proxy(port_);
  Follower follower(proxy.port());
  ASSERT_TRUE(follower.wait_for([&](const ClusterState& state) { return state.agent(agent_id) != nullptr; }))
      << logs();
  auto scheduler = subscribe("web");
  std::size_t cursor = 0;
  ASSERT_TRUE(launch_vip_task(*scheduler, &cursor, agent_id, "web-1", 31001)) << logs();
  ASSERT_TRUE(follower.wait_for([&](const ClusterState& state) { return follower.task(state, "web-1") != nullptr; }))
      << logs();

  proxy.cut();
  ASSERT_TRUE(wait_until([&] { return follower.downs() == 1; }, 10s)) << logs();
  // Meanwhile the cluster changes: a second task starts, the first ends.
  ASSERT_TRUE(launch_vip_task(*scheduler, &cursor, agent_id, "web-2", 31002)) << logs();
  std::size_t from = 0;
  follow(*scheduler, &from, "web-2", 30s, "TASK_RUNNING");
  ASSERT_EQ(scheduler->call("KILL", {{"task_id", {{"value", "web-1"}}}}).status, 202u);
  from = 0;
  follow(*scheduler, &from, "web-1");
  // While cut off, the subscriber still holds the last state it knew.
  follower.with([&](const ClusterState& state, const StateSubscriber& subscriber) {
    EXPECT_FALSE(subscriber.connected());
    EXPECT_NE(follower.task(state, "web-1"), nullptr);
  });

  proxy.heal();
  ASSERT_TRUE(follower.wait_for([&](const ClusterState& state) {
    const auto* task = follower.task(state, "web-2");
    return follower.task(state, "web-1") == nullptr && task && task->state() == mesos::v1::TASK_RUNNING;
  })) << logs();
  EXPECT_EQ(follower.snapshots(), 1u);
  EXPECT_GE(follower.resumes(), 1u);
  // The master dropped the silent connection (its own heartbeat timeout) and
  // counts the resumed one; it sent one snapshot in all.
  std::string metrics;
  EXPECT_TRUE(wait_until([&] {
    auto reply = http::get("127.0.0.1", port_, "/metrics");
    metrics = reply ? reply->body : "";
    return metrics.find("dcos_master_state_subscribers 1\n") != std::string::npos;
  })) << metrics;
  EXPECT_NE(metrics.find("dcos_master_state_snapshots_total 1\n"), std::string::npos) << metrics;
  const auto changes = follower.changes();
  for (std::size_t i = 1; i < changes.size(); ++i) EXPECT_EQ(changes[i].sequence(), changes[i - 1].sequence() + 1);
}

class ShortHistoryTest : public StateStreamTest {
 protected:
  std::vector<std::string> master_flags() const override {
    return {"--agent_ping_timeout=200ms", "--state_history=2"};
  }
};

TEST_F(ShortHistoryTest, ASubscriberAwayLongerThanTheHistoryGetsAFreshSnapshot) {
  const std::string agent_id = start_agent("agent-a");
  ASSERT_FALSE(agent_id.empty()) << logs();
  CuttableProxy proxy(port_);
  Follower follower(proxy.port());
  ASSERT_TRUE(follower.wait_for([&](const ClusterState& state) { return state.agent(agent_id) != nullptr; }))
      << logs();
  proxy.cut();
  ASSERT_TRUE(wait_until([&] { return follower.downs() == 1; }, 10s)) << logs();
  // More changes than the master keeps: a framework, a task, its states.
  auto scheduler = subscribe("web");
  std::size_t cursor = 0;
  ASSERT_TRUE(launch_vip_task(*scheduler, &cursor, agent_id, "web-1", 31001)) << logs();
  std::size_t from = 0;
  follow(*scheduler, &from, "web-1", 30s, "TASK_RUNNING");
  proxy.heal();
  ASSERT_TRUE(follower.wait_for([&](const ClusterState& state) {
    const auto* task = follower.task(state, "web-1");
    return task && task->state() == mesos::v1::TASK_RUNNING;
  })) << logs();
  EXPECT_EQ(follower.snapshots(), 2u);
  EXPECT_EQ(follower.resumes(), 0u);
}

TEST_F(StateStreamTest, AMasterRestartKeepsTheLastStateThenSendsAFreshSnapshot) {
  const std::string agent_id = start_agent("agent-a");
  ASSERT_FALSE(agent_id.empty()) << logs();
  Follower follower(port_);
  ASSERT_TRUE(follower.wait_for([&](const ClusterState& state) { return state.agent(agent_id) != nullptr; }))
      << logs();
  const std::string first_stream =
      follower.with([](const ClusterState& state, const StateSubscriber&) { return state.stream_id(); });

  cluster_->master().kill(SIGKILL);
  ASSERT_TRUE(wait_until([&] { return follower.downs() == 1; }, 10s)) << logs();
  EXPECT_TRUE(follower.with([&](const ClusterState& state, const StateSubscriber&) {
    return state.agent(agent_id) != nullptr;
  })) << "the last known state is kept while the master is away";

  cluster_->master().start();
  ASSERT_TRUE(follower.wait_for(
      [&](const ClusterState& state) {
        const auto* agent = state.agent(agent_id);
        return state.stream_id() != first_stream && agent && agent->connected();
      },
      30s))
      << logs();
  EXPECT_GE(follower.snapshots(), 2u);
  EXPECT_EQ(follower.resumes(), 0u);
}

TEST_F(StateStreamTest, ASubscriberThatSpeaksOutOfTurnIsDisconnectedAndTheMasterServesOn) {
  asio::io_context io;
  std::optional<std::string> result;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<std::string> {
        auto connected = co_await net::connect_framed(io.get_executor(), "127.0.0.1", port_, "test", {});
        if (!connected) co_return "connect: " + connected.error().message;
        auto& master = **connected;
        internal::Envelope subscribe;
        // A stream this master never had: a snapshot, not a resume.
        subscribe.mutable_subscribe_state()->set_stream_id("no-such-stream");
        subscribe.mutable_subscribe_state()->set_sequence(99);
        master.send(subscribe);
        auto answer = co_await master.receive();
        if (!answer || !answer->has_state_subscribed() || answer->state_subscribed().resumed())
          co_return "no fresh subscription";
        auto snapshot = co_await master.receive();
        if (!snapshot || !snapshot->has_state_snapshot() || !snapshot->state_snapshot().last())
          co_return "no snapshot";
        internal::Envelope register_agent;
        register_agent.mutable_register_agent()->mutable_agent()->set_hostname("intruder");
        master.send(register_agent);
        for (int frames = 0; frames < 10; ++frames) {
          auto message = co_await master.receive();
          if (!message) co_return "closed without an error message";
          if (message->has_error()) co_return "error: " + message->error().message();
        }
        co_return "still connected";
      },
      [&](std::exception_ptr, std::string outcome) { result = std::move(outcome); });
  io.run_for(10s);
  ASSERT_TRUE(result.has_value()) << "the exchange did not end within 10 s";
  EXPECT_NE(result->find("error: a state subscriber sends only Pong"), std::string::npos) << *result;
  EXPECT_TRUE(get_json(port_, "/health").has_value());
  auto state = get_json(port_, "/master/state");
  ASSERT_TRUE(state);
  EXPECT_TRUE((*state)["slaves"].empty()) << "the out-of-turn registration must not admit an agent";
}

}  // namespace
}  // namespace dcos::testing
