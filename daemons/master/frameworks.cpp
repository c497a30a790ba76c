// Framework lifecycle: SUBSCRIBE (new, re-subscribe, failover), the event
// stream, deactivation when the stream closes, removal after
// failover_timeout or TEARDOWN, and heartbeats.
#include <algorithm>
#include <cstdio>

#include "daemons/master/master.hpp"
#include "runtime/ids.hpp"
#include "runtime/log.hpp"
#include "runtime/proto_json.hpp"
#include "runtime/recordio.hpp"
#include "runtime/service.hpp"

namespace dcos::master {

namespace asio = boost::asio;

std::string Master::next_framework_id() {
  char suffix[32];
  std::snprintf(suffix, sizeof suffix, "-%04llu", static_cast<unsigned long long>(next_framework_++));
  return id_ + suffix;
}

FrameworkRecord& Master::subscribe_framework(mesos::v1::FrameworkInfo info, const Call::Subscribe& call,
                                             bool protobuf_out, std::shared_ptr<http::Stream> stream) {
  const std::string id = info.id().value();
  const double now = wall_seconds();
  FrameworkRecord* existing = frameworks_.find(id);
  const bool known = existing != nullptr;
  if (existing && existing->stream) {
    // Failover: the new scheduler instance wins, the old one is told so.
    Event error;
    error.set_type(Event::ERROR);
    error.mutable_error()->set_message("Framework failed over");
    send_event(*existing, error);
    auto old = std::move(existing->stream);
    old->close();
  }
  rescind_offers_of_framework(id);

  FrameworkRecord& framework = frameworks_.add(info);
  framework.stream = stream;
  framework.stream_id = random_uuid();
  framework.protobuf = protobuf_out;
  framework.failover_deadline.reset();
  framework.last_event = Clock::now();
  framework.unregistered_time = 0;
  (known ? framework.reregistered_time : framework.registered_time) = now;
  if (framework.registered_time == 0) framework.registered_time = now;

  const std::vector<std::string> suppressed(call.suppressed_roles().begin(), call.suppressed_roles().end());
  if (!allocator_.add_framework(id, framework.roles, suppressed)) {
    // Known to the allocator already (recovered from an agent, or failing over).
    (void)allocator_.activate_framework(id);
    (void)allocator_.revive(id);
    for (const auto& role : suppressed) (void)allocator_.suppress(id, role);
  }
  stream->on_gone([this, id, raw = stream.get()] { stream_gone(id, raw); });

  Event subscribed;
  subscribed.set_type(Event::SUBSCRIBED);
  auto* body = subscribed.mutable_subscribed();
  body->mutable_framework_id()->set_value(id);
  body->set_heartbeat_interval_seconds(std::chrono::duration<double>(options_.heartbeat_interval).count());
  *body->mutable_master_info() = registered_message("").agent_registered().master();
  send_event(framework, subscribed);
  log::info(std::string(known ? "framework re-subscribed: " : "framework subscribed: ") + info.name(),
            {{"FRAMEWORK_ID", id}});
  request_allocation();
  return framework;
}

void Master::send_event(FrameworkRecord& framework, const Event& event) {
  if (!framework.stream) return;
  std::string record;
  if (framework.protobuf) {
    record = event.SerializeAsString();
  } else {
    auto printed = proto_json::print(event);
    if (!printed) {
      log::error("cannot print " + Event::Type_Name(event.type()) + " event: " + printed.error().message,
                 {{"FRAMEWORK_ID", framework.id()}});
      return;
    }
    record = std::move(*printed);
  }
  auto stream = framework.stream;  // a write can end the stream (on_gone)
  stream->write(recordio::encode(record));
}

void Master::stream_gone(const std::string& framework_id, const http::Stream* stream) {
  FrameworkRecord* framework = frameworks_.find(framework_id);
  if (!framework || framework->stream.get() != stream) return;  // replaced already
  log::warning("framework disconnected: its event stream closed", {{"FRAMEWORK_ID", framework_id}});
  deactivate_framework(*framework);
}

// Keeps the tasks; offers go back; the scheduler has failover_timeout to return.
void Master::deactivate_framework(FrameworkRecord& framework) {
  framework.stream.reset();
  framework.unregistered_time = wall_seconds();
  framework_changed(framework.id());
  (void)allocator_.deactivate_framework(framework.id());
  rescind_offers_of_framework(framework.id());
  const auto timeout = std::chrono::duration<double>(std::min(framework.info.failover_timeout(), 1e9));
  framework.failover_deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(timeout);
  request_allocation();
}

void Master::remove_framework(const std::string& framework_id, const std::string& reason) {
  FrameworkRecord* framework = frameworks_.find(framework_id);
  if (!framework) return;
  log::info("removing framework " + framework->info.name() + ": " + reason, {{"FRAMEWORK_ID", framework_id}});
  internal::Envelope shutdown;
  shutdown.mutable_shutdown_framework()->mutable_framework_id()->set_value(framework_id);
  // Every connected agent: one that re-registered while the framework was
  // away may hold tasks of it that the master has not seen yet.
  for (auto& [agent_id, agent] : agents_)
    if (agent.connection) agent.connection->send(shutdown);
  rescind_offers_of_framework(framework_id);
  std::vector<std::string> live;
  for (const auto& [task_id, task] : framework->tasks) live.push_back(task_id);
  for (const auto& task_id : live) {
    auto& task = framework->tasks.at(task_id);
    task.set_state(mesos::v1::TASK_KILLED);
    frameworks_.complete_task(*framework, task_id);
  }
  (void)allocator_.remove_framework(framework_id);
  if (auto stream = std::move(framework->stream)) stream->close();
  framework->unregistered_time = wall_seconds();
  frameworks_.remove(framework_id);
  request_allocation();
}

asio::awaitable<void> Master::framework_loop() {
  for (;;) {
    framework_timer_.expires_after(
        std::min<Clock::duration>(options_.heartbeat_interval, std::chrono::milliseconds(250)));
    boost::system::error_code ec;
    co_await framework_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    framework_tick();
  }
}

void Master::framework_tick() {
  const auto now = Clock::now();
  std::vector<std::string> expired;
  Event heartbeat;
  heartbeat.set_type(Event::HEARTBEAT);
  for (auto& [id, framework] : frameworks_.all()) {
    if (framework.connected() && now - framework.last_event >= options_.heartbeat_interval) {
      framework.last_event = now;
      send_event(framework, heartbeat);
    }
    if (!framework.connected() && framework.failover_deadline && now >= *framework.failover_deadline)
      expired.push_back(id);
  }
  for (const auto& id : expired) remove_framework(id, "did not re-subscribe within its failover_timeout");
}

}  // namespace dcos::master
