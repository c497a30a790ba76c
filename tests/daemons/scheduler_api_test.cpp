// The master's v1 scheduler API with a real dcos-master: schedulers speak
// JSON over HTTP (tests/support/scheduler_client.hpp) and agents are
// simulated in the test over the framed transport (fake_agent.hpp), so the
// test sees exactly what the master sends each side.
#include <gtest/gtest.h>

#include <memory>

#include "runtime/http_client.hpp"
#include "runtime/resources.hpp"
#include "tests/support/cluster.hpp"
#include "tests/support/fake_agent.hpp"
#include "tests/support/scheduler_client.hpp"

namespace dcos::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

json framework(const std::string& name, double failover_timeout = 0) {
  return {{"user", "root"}, {"name", name}, {"failover_timeout", failover_timeout}};
}

double scalar(const json& offer, const std::string& name) {
  for (const auto& resource : offer["resources"])
    if (resource.value("name", "") == name) return resource["scalar"].value("value", 0.0);
  return 0;
}

json task(const std::string& id, const json& offer, double cpus, double mem) {
  return {{"name", "task-" + id},
          {"task_id", {{"value", id}}},
          {"agent_id", offer["agent_id"]},
          {"command", {{"value", "sleep 1000"}}},
          {"resources",
           {{{"name", "cpus"}, {"type", "SCALAR"}, {"scalar", {{"value", cpus}}}},
            {{"name", "mem"}, {"type", "SCALAR"}, {"scalar", {{"value", mem}}}}}}};
}

json launch(const json& offer, const json& tasks, double refuse_seconds = 5) {
  return {{"offer_ids", {offer["id"]}},
          {"operations", {{{"type", "LAUNCH"}, {"launch", {{"task_infos", tasks}}}}}},
          {"filters", {{"refuse_seconds", refuse_seconds}}}};
}

bool is_update(const json& event, const std::string& task_id, const std::string& state) {
  return event.value("type", "") == "UPDATE" && event["update"]["status"]["task_id"].value("value", "") == task_id &&
         event["update"]["status"].value("state", "") == state;
}

class SchedulerApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    port_ = free_port();
    std::vector<std::string> flags{"--ip=127.0.0.1", "--port=" + std::to_string(port_),
                                   "--work_dir=" + dir_.path() + "/master", "--allocation_interval=100ms",
                                   "--heartbeat_interval=1secs"};
    for (const auto& flag : extra_flags()) flags.push_back(flag);
    master_ = std::make_unique<DaemonProcess>(master_binary(), flags, dir_.path() + "/master.log");
    master_->start();
    ASSERT_TRUE(wait_until([&] { return get_json(port_, "/health").has_value(); })) << master_->log();
  }

  virtual std::vector<std::string> extra_flags() const { return {}; }

  std::unique_ptr<FakeAgent> agent(const std::string& hostname, const std::string& resources) {
    auto fake = std::make_unique<FakeAgent>(port_, hostname, resources);
    EXPECT_FALSE(fake->wait_registered().empty()) << fake->failure() << master_->log();
    return fake;
  }

  std::unique_ptr<SubscribedScheduler> subscribe(const json& info) {
    auto scheduler = std::make_unique<SubscribedScheduler>(port_, info);
    EXPECT_EQ(scheduler->status(), 200u) << master_->log();
    EXPECT_FALSE(scheduler->framework_id().empty()) << master_->log();
    return scheduler;
  }

  // The next offer to `scheduler` on the agent named `agent_id`.
  json offer_on(SubscribedScheduler& scheduler, std::size_t* cursor, const std::string& agent_id) {
    for (;;) {
      auto event = scheduler.next_of_type("OFFERS", cursor);
      if (!event) return {};
      for (const auto& offer : (*event)["offers"]["offers"])
        if (offer["agent_id"].value("value", "") == agent_id) return offer;
    }
  }

  std::optional<json> framework_state(const std::string& framework_id) {
    auto state = get_json(port_, "/master/state");
    if (!state) return std::nullopt;
    for (const auto& entry : (*state)["frameworks"])
      if (entry.value("id", "") == framework_id) return entry;
    return std::nullopt;
  }

  TempDir dir_;
  uint16_t port_ = 0;
  std::unique_ptr<DaemonProcess> master_;
};

TEST_F(SchedulerApiTest, SubscribeGetsSubscribedThenOffersOfTheAgentsResources) {
  auto fake = agent("agent-one", "cpus:2;mem:1024;ports:[31000-31010]");
  auto scheduler = subscribe(framework("first"));
  EXPECT_FALSE(scheduler->stream_id().empty());
  const auto events = scheduler->events();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events[0].value("type", ""), "SUBSCRIBED");
  EXPECT_EQ(events[0]["subscribed"].value("heartbeat_interval_seconds", 0.0), 1.0);
  EXPECT_TRUE(events[0]["subscribed"]["master_info"].contains("id"));

  std::size_t cursor = 0;
  const json offer = offer_on(*scheduler, &cursor, fake->wait_registered());
  ASSERT_FALSE(offer.is_null()) << master_->log();
  EXPECT_EQ(scalar(offer, "cpus"), 2.0);
  EXPECT_EQ(scalar(offer, "mem"), 1024.0);
  EXPECT_EQ(offer.value("hostname", ""), "agent-one");
  EXPECT_EQ(offer["framework_id"].value("value", ""), scheduler->framework_id());
  EXPECT_TRUE(scheduler->next_of_type("HEARTBEAT", &cursor).has_value());
  const auto listed = get_json(port_, "/master/frameworks");
  ASSERT_TRUE(listed.has_value());
  ASSERT_EQ((*listed)["frameworks"].size(), 1u);
  EXPECT_EQ((*listed)["frameworks"][0].value("name", ""), "first");
  EXPECT_TRUE((*listed)["frameworks"][0].value("active", false));
  EXPECT_EQ((*listed)["frameworks"][0]["offered_resources"].value("cpus", 0.0), 2.0);
}

TEST_F(SchedulerApiTest, LaunchRunsTheTaskOnTheAgentRelaysUpdatesAndAcknowledgements) {
  auto fake = agent("agent-one", "cpus:2;mem:1024;ports:[31000-31010]");
  const std::string agent_id = fake->wait_registered();
  auto scheduler = subscribe(framework("launcher"));
  const std::string framework_id = scheduler->framework_id();
  std::size_t cursor = 0;
  const json offer = offer_on(*scheduler, &cursor, agent_id);
  ASSERT_FALSE(offer.is_null());

  json info = task("web-1", offer, 0.5, 128);
  info["labels"] = {{"labels", {{{"key", "owner"}, {"value", "tests"}}}}};
  info["discovery"] = json::parse(R"({"visibility": "CLUSTER", "name": "web", "ports": {"ports": [
      {"number": 31000, "name": "http", "protocol": "tcp",
       "labels": {"labels": [{"key": "VIP_0", "value": "/web:80"}]}}]}})");
  auto reply = scheduler->call("ACCEPT", launch(offer, json::array({info})));
  EXPECT_EQ(reply.status, 202u) << reply.body;

  auto run = fake->wait_for([](const internal::Envelope& e) { return e.has_run_task(); });
  ASSERT_TRUE(run.has_value()) << master_->log();
  EXPECT_EQ(run->run_task().task().task_id().value(), "web-1");
  EXPECT_EQ(run->run_task().task().command().value(), "sleep 1000");
  EXPECT_EQ(run->run_task().framework().id().value(), framework_id);
  EXPECT_EQ(run->run_task().task().discovery().ports().ports(0).labels().labels(0).key(), "VIP_0");

  const auto running = FakeAgent::status_update(agent_id, framework_id, "web-1", mesos::v1::TASK_RUNNING);
  fake->send(running);
  auto update = scheduler->next([](const json& e) { return is_update(e, "web-1", "TASK_RUNNING"); }, &cursor);
  ASSERT_TRUE(update.has_value()) << master_->log();
  const std::string uuid = (*update)["update"]["status"].value("uuid", "");
  EXPECT_FALSE(uuid.empty());

  reply = scheduler->call("ACKNOWLEDGE",
                          {{"agent_id", {{"value", agent_id}}}, {"task_id", {{"value", "web-1"}}}, {"uuid", uuid}});
  EXPECT_EQ(reply.status, 202u) << reply.body;
  auto ack = fake->wait_for([](const internal::Envelope& e) { return e.has_status_update_acknowledgement(); });
  ASSERT_TRUE(ack.has_value()) << master_->log();
  EXPECT_EQ(ack->status_update_acknowledgement().uuid(), running.status_update().status().uuid());
  EXPECT_EQ(ack->status_update_acknowledgement().task_id().value(), "web-1");

  // /master/state shows the task in Mesos' shape, with labels and discovery.
  json state_task;
  ASSERT_TRUE(wait_until([&] {
    auto entry = framework_state(framework_id);
    if (!entry || (*entry)["tasks"].empty()) return false;
    state_task = (*entry)["tasks"][0];
    return state_task.value("state", "") == "TASK_RUNNING";
  }));
  EXPECT_EQ(state_task.value("id", ""), "web-1");
  EXPECT_EQ(state_task.value("slave_id", ""), agent_id);
  EXPECT_EQ(state_task["resources"].value("cpus", 0.0), 0.5);
  EXPECT_EQ(state_task["labels"][0].value("key", ""), "owner");
  EXPECT_EQ(state_task["discovery"]["ports"]["ports"][0]["labels"]["labels"][0].value("value", ""), "/web:80");
  EXPECT_EQ(state_task["statuses"][0].value("state", ""), "TASK_RUNNING");
  EXPECT_EQ((*framework_state(framework_id))["used_resources"].value("cpus", 0.0), 0.5);
  const auto state = get_json(port_, "/master/state");
  ASSERT_TRUE(state.has_value());
  EXPECT_EQ((*state)["slaves"][0]["used_resources"].value("cpus", 0.0), 0.5);

  // A terminal update moves the task to completed_tasks.
  fake->send(FakeAgent::status_update(agent_id, framework_id, "web-1", mesos::v1::TASK_FINISHED));
  ASSERT_TRUE(scheduler->next([](const json& e) { return is_update(e, "web-1", "TASK_FINISHED"); }, &cursor));
  EXPECT_TRUE(wait_until([&] {
    auto entry = framework_state(framework_id);
    return entry && (*entry)["tasks"].empty() && (*entry)["completed_tasks"].size() == 1 &&
           (*entry)["completed_tasks"][0].value("state", "") == "TASK_FINISHED";
  })) << get_json(port_, "/master/state")->dump();
}

TEST_F(SchedulerApiTest, InvalidTasksGetTaskErrorAndNothingIsLaunched) {
  auto fake = agent("agent-one", "cpus:1;mem:512");
  const std::string agent_id = fake->wait_registered();
  auto scheduler = subscribe(framework("careless"));
  std::size_t cursor = 0;
  json offer = offer_on(*scheduler, &cursor, agent_id);
  ASSERT_FALSE(offer.is_null());

  json too_big = task("too-big", offer, 4, 128);
  json no_command = task("no-command", offer, 0.1, 32);
  no_command.erase("command");
  json unnamed = task("unnamed", offer, 0.1, 32);
  unnamed["name"] = "";
  auto reply = scheduler->call("ACCEPT", launch(offer, json::array({too_big, no_command, unnamed}), 0));
  EXPECT_EQ(reply.status, 202u) << reply.body;
  for (const char* id : {"too-big", "no-command", "unnamed"}) {
    std::size_t from = cursor;
    auto error = scheduler->next([&](const json& e) { return is_update(e, id, "TASK_ERROR"); }, &from);
    ASSERT_TRUE(error.has_value()) << id << "\n" << master_->log();
    EXPECT_EQ((*error)["update"]["status"].value("reason", ""), "REASON_TASK_INVALID");
    EXPECT_FALSE((*error)["update"]["status"].value("message", "").empty());
  }
  std::size_t from = cursor;
  auto error = scheduler->next([](const json& e) { return is_update(e, "too-big", "TASK_ERROR"); }, &from);
  EXPECT_NE((*error)["update"]["status"].value("message", "").find("not in the offers"), std::string::npos);

  // The offer's resources come back: the same agent is offered again whole.
  const json again = offer_on(*scheduler, &cursor, agent_id);
  ASSERT_FALSE(again.is_null());
  EXPECT_EQ(scalar(again, "cpus"), 1.0);
  // An offer used once is gone: accepting it again launches nothing.
  reply = scheduler->call("ACCEPT", launch(offer, json::array({task("late", offer, 0.1, 32)})));
  EXPECT_EQ(reply.status, 202u);
  ASSERT_TRUE(scheduler->next([](const json& e) { return is_update(e, "late", "TASK_LOST"); }, &cursor));
  // Another framework's offer is not ours to accept; the offer stays with its owner.
  auto other = subscribe(framework("other"));
  reply = other->call("ACCEPT", launch(again, json::array({task("stolen", again, 0.1, 32)})));
  EXPECT_EQ(reply.status, 202u);
  std::size_t other_cursor = 0;
  auto stolen = other->next([](const json& e) { return is_update(e, "stolen", "TASK_LOST"); }, &other_cursor);
  ASSERT_TRUE(stolen.has_value());
  EXPECT_EQ((*stolen)["update"]["status"].value("reason", ""), "REASON_INVALID_OFFERS");
  EXPECT_NE((*stolen)["update"]["status"].value("message", "").find("not offered to framework"), std::string::npos);
  EXPECT_EQ(scheduler->call("ACCEPT", launch(again, json::array({task("mine", again, 0.1, 32)}))).status, 202u);
  auto run = fake->wait_for([](const internal::Envelope& e) { return e.has_run_task(); });
  ASSERT_TRUE(run.has_value());
  EXPECT_EQ(run->run_task().task().task_id().value(), "mine");
  std::size_t runs = 0;
  for (const auto& message : fake->received()) runs += message.has_run_task() ? 1 : 0;
  EXPECT_EQ(runs, 1u);
}

TEST_F(SchedulerApiTest, DeclineWithRefuseSecondsHoldsTheAgentBackUntilRevive) {
  auto fake = agent("agent-one", "cpus:1;mem:512");
  const std::string agent_id = fake->wait_registered();
  auto first = subscribe(framework("first"));
  std::size_t first_cursor = 0;
  json offer = offer_on(*first, &first_cursor, agent_id);
  ASSERT_FALSE(offer.is_null());
  auto reply = first->call("DECLINE", {{"offer_ids", {offer["id"]}}, {"filters", {{"refuse_seconds", 3600}}}});
  EXPECT_EQ(reply.status, 202u) << reply.body;

  // The declined agent goes to the other framework, not back to the first.
  auto second = subscribe(framework("second"));
  std::size_t second_cursor = 0;
  json to_second = offer_on(*second, &second_cursor, agent_id);
  ASSERT_FALSE(to_second.is_null()) << master_->log();
  EXPECT_FALSE(first->next_of_type("OFFERS", &first_cursor, 0ms).has_value());
  reply = second->call("DECLINE", {{"offer_ids", {to_second["id"]}}, {"filters", {{"refuse_seconds", 3600}}}});
  EXPECT_EQ(reply.status, 202u);

  // REVIVE drops the first framework's filter.
  reply = first->call("REVIVE", json::object());
  EXPECT_EQ(reply.status, 202u) << reply.body;
  EXPECT_FALSE(offer_on(*first, &first_cursor, agent_id).is_null()) << master_->log();
}

TEST_F(SchedulerApiTest, TheFrameworkWithTheLowerDominantShareGetsTheNextAgent) {
  auto a = agent("agent-a", "cpus:1;mem:512");
  auto b = agent("agent-b", "cpus:1;mem:512");
  const std::string a_id = a->wait_registered(), b_id = b->wait_registered();
  auto first = subscribe(framework("first"));
  std::size_t cursor = 0;
  json offer_a = offer_on(*first, &cursor, a_id);
  ASSERT_FALSE(offer_a.is_null());
  std::size_t b_cursor = 0;
  json offer_b = offer_on(*first, &b_cursor, b_id);
  ASSERT_FALSE(offer_b.is_null());
  // The first framework uses all of agent A and gives B back without a filter.
  auto reply = first->call("ACCEPT", launch(offer_a, json::array({task("big", offer_a, 1, 512)})));
  EXPECT_EQ(reply.status, 202u);
  ASSERT_TRUE(a->wait_for([](const internal::Envelope& e) { return e.has_run_task(); }).has_value());
  auto second = subscribe(framework("second"));
  reply = first->call("DECLINE", {{"offer_ids", {offer_b["id"]}}, {"filters", {{"refuse_seconds", 0}}}});
  EXPECT_EQ(reply.status, 202u);
  // Shares: first 0.5 (all of A), second 0: B goes to the second.
  std::size_t second_cursor = 0;
  EXPECT_FALSE(offer_on(*second, &second_cursor, b_id).is_null()) << master_->log();
}

TEST_F(SchedulerApiTest, KillSendsKillTaskAndAnUnknownTaskIsLost) {
  auto fake = agent("agent-one", "cpus:1;mem:512");
  const std::string agent_id = fake->wait_registered();
  auto scheduler = subscribe(framework("killer"));
  std::size_t cursor = 0;
  json offer = offer_on(*scheduler, &cursor, agent_id);
  ASSERT_FALSE(offer.is_null());
  EXPECT_EQ(scheduler->call("ACCEPT", launch(offer, json::array({task("victim", offer, 0.5, 64)}))).status, 202u);
  ASSERT_TRUE(fake->wait_for([](const internal::Envelope& e) { return e.has_run_task(); }));

  auto reply = scheduler->call("KILL", {{"task_id", {{"value", "victim"}}}});
  EXPECT_EQ(reply.status, 202u) << reply.body;
  auto kill = fake->wait_for([](const internal::Envelope& e) { return e.has_kill_task(); });
  ASSERT_TRUE(kill.has_value()) << master_->log();
  EXPECT_EQ(kill->kill_task().task_id().value(), "victim");
  EXPECT_EQ(kill->kill_task().framework_id().value(), scheduler->framework_id());

  reply = scheduler->call("KILL", {{"task_id", {{"value", "nobody"}}}});
  EXPECT_EQ(reply.status, 202u);
  EXPECT_TRUE(scheduler->next([](const json& e) { return is_update(e, "nobody", "TASK_LOST"); }, &cursor));
}

TEST_F(SchedulerApiTest, ReconcileAnswersExplicitlyAndImplicitly) {
  auto fake = agent("agent-one", "cpus:1;mem:512");
  const std::string agent_id = fake->wait_registered();
  auto scheduler = subscribe(framework("reconciler"));
  const std::string framework_id = scheduler->framework_id();
  std::size_t cursor = 0;
  json offer = offer_on(*scheduler, &cursor, agent_id);
  ASSERT_FALSE(offer.is_null());
  EXPECT_EQ(scheduler->call("ACCEPT", launch(offer, json::array({task("kept", offer, 0.5, 64)}))).status, 202u);
  ASSERT_TRUE(fake->wait_for([](const internal::Envelope& e) { return e.has_run_task(); }));
  fake->send(FakeAgent::status_update(agent_id, framework_id, "kept", mesos::v1::TASK_RUNNING));
  ASSERT_TRUE(scheduler->next([](const json& e) { return is_update(e, "kept", "TASK_RUNNING"); }, &cursor));

  auto reply = scheduler->call("RECONCILE", {{"tasks", json::array()}});
  EXPECT_EQ(reply.status, 202u) << reply.body;
  auto implicit = scheduler->next([](const json& e) { return is_update(e, "kept", "TASK_RUNNING"); }, &cursor);
  ASSERT_TRUE(implicit.has_value());
  EXPECT_EQ((*implicit)["update"]["status"].value("reason", ""), "REASON_RECONCILIATION");
  EXPECT_FALSE((*implicit)["update"]["status"].contains("uuid"));

  reply = scheduler->call("RECONCILE", {{"tasks",
                                         {{{"task_id", {{"value", "kept"}}}},
                                          {{"task_id", {{"value", "ghost"}}}, {"agent_id", {{"value", agent_id}}}}}}});
  EXPECT_EQ(reply.status, 202u);
  EXPECT_TRUE(scheduler->next([](const json& e) { return is_update(e, "kept", "TASK_RUNNING"); }, &cursor));
  EXPECT_TRUE(scheduler->next([](const json& e) { return is_update(e, "ghost", "TASK_LOST"); }, &cursor));

  // An ended task is reported as it ended.
  fake->send(FakeAgent::status_update(agent_id, framework_id, "kept", mesos::v1::TASK_FAILED));
  ASSERT_TRUE(scheduler->next([](const json& e) { return is_update(e, "kept", "TASK_FAILED"); }, &cursor));
  reply = scheduler->call("RECONCILE", {{"tasks", {{{"task_id", {{"value", "kept"}}}}}}});
  EXPECT_EQ(reply.status, 202u);
  auto ended = scheduler->next([](const json& e) { return is_update(e, "kept", "TASK_FAILED"); }, &cursor);
  ASSERT_TRUE(ended.has_value());
  EXPECT_EQ((*ended)["update"]["status"].value("reason", ""), "REASON_RECONCILIATION");
}

TEST_F(SchedulerApiTest, BadCallsGetTheStatusesAndMessagesMesosGives) {
  auto scheduler = subscribe(framework("strict"));
  const std::string id = scheduler->framework_id();
  const std::string call = json{{"type", "REVIVE"}, {"framework_id", {{"value", id}}}}.dump();

  auto reply = post_call(port_, "{not json", scheduler->stream_id());
  EXPECT_EQ(reply.status, 400u);
  EXPECT_NE(reply.body.find("Failed to parse body into Call"), std::string::npos) << reply.body;
  reply = post_call(port_, R"({"type":"REVIVE","framework_id":{"value":")" + id + R"("},"typo":1})",
                    scheduler->stream_id());
  EXPECT_EQ(reply.status, 400u);
  EXPECT_NE(reply.body.find("typo"), std::string::npos) << reply.body;
  reply = post_call(port_, call);
  EXPECT_EQ(reply.status, 400u);
  EXPECT_NE(reply.body.find("Mesos-Stream-Id"), std::string::npos) << reply.body;
  reply = post_call(port_, call, "not-the-stream");
  EXPECT_EQ(reply.status, 400u);
  EXPECT_NE(reply.body.find("didn't match"), std::string::npos) << reply.body;
  reply = post_call(port_, json{{"type", "REVIVE"}, {"framework_id", {{"value", "nobody"}}}}.dump(),
                    scheduler->stream_id());
  EXPECT_EQ(reply.status, 403u);
  EXPECT_NE(reply.body.find("nobody"), std::string::npos) << reply.body;
  reply = post_call(port_, json{{"type", "KILL"}, {"framework_id", {{"value", id}}}}.dump(), scheduler->stream_id());
  EXPECT_EQ(reply.status, 400u);
  EXPECT_NE(reply.body.find("'kill'"), std::string::npos) << reply.body;
  reply = post_call(port_, json{{"type", "LAUNCH_ROCKETS"}, {"framework_id", {{"value", id}}}}.dump(),
                    scheduler->stream_id());
  EXPECT_EQ(reply.status, 400u);
  EXPECT_NE(reply.body.find("LAUNCH_ROCKETS"), std::string::npos) << reply.body;
  reply = post_call(port_, call, scheduler->stream_id(), "text/plain");
  EXPECT_EQ(reply.status, 415u);
  reply = post_call(port_, std::string(2 * 1024 * 1024, ' '), scheduler->stream_id());
  EXPECT_EQ(reply.status, 413u);
  EXPECT_NE(reply.body.find("body limit"), std::string::npos) << reply.body;

  // None of it disturbed the framework.
  reply = post_call(port_, call, scheduler->stream_id());
  EXPECT_EQ(reply.status, 202u) << reply.body;
  EXPECT_FALSE(scheduler->ended());
}

TEST_F(SchedulerApiTest, ResubscribingFailsOverTheOldStream) {
  auto old_instance = subscribe(framework("phoenix", 3600));
  const std::string id = old_instance->framework_id();
  json info = framework("phoenix", 3600);
  info["id"] = {{"value", id}};
  auto new_instance = subscribe(info);
  EXPECT_EQ(new_instance->framework_id(), id);
  EXPECT_NE(new_instance->stream_id(), old_instance->stream_id());
  std::size_t cursor = 0;
  auto error = old_instance->next_of_type("ERROR", &cursor);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ((*error)["error"].value("message", ""), "Framework failed over");
  EXPECT_TRUE(wait_until([&] { return old_instance->ended(); }));
  const std::string call = json{{"type", "REVIVE"}, {"framework_id", {{"value", id}}}}.dump();
  EXPECT_EQ(post_call(port_, call, old_instance->stream_id()).status, 400u);
  EXPECT_EQ(post_call(port_, call, new_instance->stream_id()).status, 202u);
}

TEST_F(SchedulerApiTest, AFrameworkGoneLongerThanItsFailoverTimeoutIsRemovedAndShutDownOnAgents) {
  auto fake = agent("agent-one", "cpus:1;mem:512");
  const std::string agent_id = fake->wait_registered();
  auto scheduler = subscribe(framework("short-lived", 0.5));
  const std::string framework_id = scheduler->framework_id();
  std::size_t cursor = 0;
  json offer = offer_on(*scheduler, &cursor, agent_id);
  ASSERT_FALSE(offer.is_null());
  EXPECT_EQ(scheduler->call("ACCEPT", launch(offer, json::array({task("orphan", offer, 0.5, 64)}))).status, 202u);
  ASSERT_TRUE(fake->wait_for([](const internal::Envelope& e) { return e.has_run_task(); }));

  scheduler->disconnect();
  EXPECT_TRUE(wait_until([&] {
    auto entry = framework_state(framework_id);
    return entry && !entry->value("connected", true) && (*entry)["tasks"].size() == 1;
  })) << master_->log();
  auto shutdown = fake->wait_for([](const internal::Envelope& e) { return e.has_shutdown_framework(); });
  ASSERT_TRUE(shutdown.has_value()) << master_->log();
  EXPECT_EQ(shutdown->shutdown_framework().framework_id().value(), framework_id);
  EXPECT_TRUE(wait_until([&] { return !framework_state(framework_id).has_value(); }));
}

TEST_F(SchedulerApiTest, TeardownShutsTheFrameworkDownAndEndsItsStream) {
  auto fake = agent("agent-one", "cpus:1;mem:512");
  fake->wait_registered();
  auto scheduler = subscribe(framework("done"));
  const std::string framework_id = scheduler->framework_id();
  EXPECT_EQ(scheduler->call("TEARDOWN").status, 202u);
  EXPECT_TRUE(fake->wait_for([](const internal::Envelope& e) { return e.has_shutdown_framework(); }).has_value());
  EXPECT_TRUE(wait_until([&] { return scheduler->ended(); }));
  EXPECT_FALSE(framework_state(framework_id).has_value());
  const auto state = get_json(port_, "/master/state");
  ASSERT_TRUE(state.has_value());
  ASSERT_EQ((*state)["completed_frameworks"].size(), 1u);
  EXPECT_EQ((*state)["completed_frameworks"][0].value("id", ""), framework_id);
  EXPECT_FALSE((*state)["completed_frameworks"][0].value("active", true));
  EXPECT_EQ(scheduler->call("REVIVE").status, 403u);
}

TEST_F(SchedulerApiTest, ALostAgentsOffersAreRescinded) {
  auto fake = agent("agent-one", "cpus:1;mem:512");
  const std::string agent_id = fake->wait_registered();
  auto scheduler = subscribe(framework("watcher"));
  std::size_t cursor = 0;
  json offer = offer_on(*scheduler, &cursor, agent_id);
  ASSERT_FALSE(offer.is_null());
  fake->disconnect();
  auto rescind = scheduler->next_of_type("RESCIND", &cursor);
  ASSERT_TRUE(rescind.has_value()) << master_->log();
  EXPECT_EQ((*rescind)["rescind"]["offer_id"], offer["id"]);
}

TEST_F(SchedulerApiTest, AnAgentReregisteringWithTasksRebuildsThemForTheReturningFramework) {
  const std::string framework_id = "fw-from-before";
  internal::ReregisterAgent reregister;
  reregister.mutable_agent()->mutable_id()->set_value("agent-from-before");
  auto* info = reregister.add_frameworks();
  info->set_user("root");
  info->set_name("returning");
  info->mutable_id()->set_value(framework_id);
  info->set_failover_timeout(3600);
  auto* running = reregister.add_tasks();
  running->set_name("survivor");
  running->mutable_task_id()->set_value("survivor");
  running->mutable_framework_id()->set_value(framework_id);
  running->mutable_agent_id()->set_value("agent-from-before");
  running->set_state(mesos::v1::TASK_RUNNING);
  const auto resources = parse_resources("cpus:0.5;mem:128");
  ASSERT_TRUE(resources);
  for (const auto& resource : *resources) *running->add_resources() = resource;
  FakeAgent fake(port_, "agent-back", "cpus:1;mem:512", reregister);
  ASSERT_EQ(fake.wait_registered(), "agent-from-before") << fake.failure() << master_->log();

  ASSERT_TRUE(wait_until([&] {
    auto entry = framework_state(framework_id);
    return entry && (*entry)["tasks"].size() == 1 && (*entry)["tasks"][0].value("state", "") == "TASK_RUNNING";
  })) << master_->log();
  json returning = framework("returning", 3600);
  returning["id"] = {{"value", framework_id}};
  auto scheduler = subscribe(returning);
  EXPECT_EQ(scheduler->call("RECONCILE", {{"tasks", json::array()}}).status, 202u);
  std::size_t cursor = 0;
  EXPECT_TRUE(scheduler->next([](const json& e) { return is_update(e, "survivor", "TASK_RUNNING"); }, &cursor));
  // Only what the task does not use is offered.
  std::size_t offers_cursor = 0;
  json offer = offer_on(*scheduler, &offers_cursor, "agent-from-before");
  ASSERT_FALSE(offer.is_null());
  EXPECT_EQ(scalar(offer, "cpus"), 0.5);
  EXPECT_EQ(scalar(offer, "mem"), 384.0);
}

// Agents that stop answering pings become unreachable quickly here.
class SchedulerApiAgentLossTest : public SchedulerApiTest {
 protected:
  std::vector<std::string> extra_flags() const override {
    return {"--agent_ping_timeout=100ms", "--max_agent_ping_timeouts=2"};
  }
};

TEST_F(SchedulerApiAgentLossTest, TasksOfAnUnreachableAgentAreLostOrUnreachableAndFrameworksHearOfTheFailure) {
  auto fake = agent("agent-one", "cpus:2;mem:1024");
  const std::string agent_id = fake->wait_registered();
  auto plain = subscribe(framework("plain"));
  json aware_info = framework("aware");
  aware_info["capabilities"] = json::parse(R"([{"type": "PARTITION_AWARE"}])");
  auto aware = subscribe(aware_info);

  std::size_t plain_cursor = 0, aware_cursor = 0;
  json plain_offer = offer_on(*plain, &plain_cursor, agent_id);
  ASSERT_FALSE(plain_offer.is_null()) << master_->log();
  EXPECT_EQ(plain->call("ACCEPT", launch(plain_offer, json::array({task("p", plain_offer, 0.5, 64)}), 0)).status, 202u);
  // The rest of the agent goes to whichever framework DRF picks next; wait
  // until the partition-aware one holds an offer there.
  json aware_offer = offer_on(*aware, &aware_cursor, agent_id);
  ASSERT_FALSE(aware_offer.is_null()) << master_->log();
  EXPECT_EQ(aware->call("ACCEPT", launch(aware_offer, json::array({task("a", aware_offer, 0.5, 64)}))).status, 202u);
  std::size_t runs = 0;
  ASSERT_TRUE(wait_until([&] {
    runs = 0;
    for (const auto& message : fake->received()) runs += message.has_run_task() ? 1 : 0;
    return runs == 2;
  })) << master_->log();

  fake->disconnect();
  auto lost = plain->next([](const json& e) { return is_update(e, "p", "TASK_LOST"); }, &plain_cursor);
  ASSERT_TRUE(lost.has_value()) << master_->log();
  EXPECT_EQ((*lost)["update"]["status"].value("reason", ""), "REASON_AGENT_REMOVED");
  EXPECT_TRUE(aware->next([](const json& e) { return is_update(e, "a", "TASK_UNREACHABLE"); }, &aware_cursor))
      << master_->log();
  // Then each framework hears that the agent itself failed.
  for (auto* scheduler : {plain.get(), aware.get()}) {
    auto failure = scheduler->next_of_type("FAILURE", scheduler == plain.get() ? &plain_cursor : &aware_cursor);
    ASSERT_TRUE(failure.has_value()) << master_->log();
    EXPECT_EQ((*failure)["failure"]["agent_id"].value("value", ""), agent_id);
    EXPECT_FALSE((*failure)["failure"].contains("executor_id"));
  }

  auto metrics = http::get("127.0.0.1", port_, "/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("dcos_master_frameworks_connected 2"), std::string::npos) << metrics->body;
  EXPECT_NE(metrics->body.find("dcos_master_tasks_launched_total 2"), std::string::npos) << metrics->body;
}

class SchedulerApiLimitTest : public SchedulerApiTest {
 protected:
  std::vector<std::string> extra_flags() const override { return {"--max_frameworks=1"}; }
};

TEST_F(SchedulerApiLimitTest, ASubscribeBeyondMaxFrameworksGets503AndTheFirstKeepsItsPlace) {
  auto first = subscribe(framework("first", 3600));
  SubscribedScheduler second(port_, framework("second"));
  EXPECT_EQ(second.status(), 503u);
  // Re-subscribing a known framework is not a new one.
  json again = framework("first", 3600);
  again["id"] = {{"value", first->framework_id()}};
  SubscribedScheduler failover(port_, again);
  EXPECT_EQ(failover.status(), 200u);
}

// A scheduler that speaks protobuf: the Call as application/x-protobuf, the
// events back as protobuf records.
TEST_F(SchedulerApiTest, SubscribeInProtobufStreamsProtobufEvents) {
  auto fake = agent("agent-one", "cpus:1;mem:512");
  const std::string agent_id = fake->wait_registered();
  SubscribedScheduler scheduler(port_, framework("binary"), /*protobuf=*/true);
  ASSERT_EQ(scheduler.status(), 200u) << master_->log();
  EXPECT_EQ(scheduler.content_type(), "application/x-protobuf");
  const std::string framework_id = scheduler.framework_id();
  ASSERT_FALSE(framework_id.empty());
  std::size_t cursor = 0;
  json offer = offer_on(scheduler, &cursor, agent_id);
  ASSERT_FALSE(offer.is_null());
  const std::string decline = call_as_protobuf(
      {{"type", "DECLINE"}, {"framework_id", {{"value", framework_id}}}, {"decline", {{"offer_ids", {offer["id"]}}}}});
  ASSERT_FALSE(decline.empty());
  auto reply = post_call(port_, decline, scheduler.stream_id(), "application/x-protobuf");
  EXPECT_EQ(reply.status, 202u) << reply.body;
  reply = post_call(port_, "\xff\xff garbage", scheduler.stream_id(), "application/x-protobuf");
  EXPECT_EQ(reply.status, 400u);
  EXPECT_NE(reply.body.find("Failed to parse body into Call"), std::string::npos) << reply.body;
}

}  // namespace
}  // namespace dcos::testing
