// The state subscription of the node services (dcos-dns, dcos-l4lb): what
// they see of the master's books, the snapshot a new subscriber gets, and
// the changes, gathered while the master works and published at the end of
// each turn of the io loop.
//
// Each change names what changed (a task, an agent, a framework) and is
// published with that thing's value at publishing time, so a task that went
// STARTING and RUNNING within one turn is one change. A task that left the
// master's live tasks is published as it left: its terminal state tells the
// subscriber it is gone.
#include "daemons/master/master.hpp"
#include "runtime/log.hpp"

namespace dcos::master {

namespace asio = boost::asio;

// A task that enters the live tasks is news even if one of its id left this turn.
void Master::task_entered(const std::string& framework_id, const std::string& task_id) {
  changed_tasks_[{framework_id, task_id}].reset();
  schedule_state_publish();
}

void Master::task_changed(const std::string& framework_id, const std::string& task_id) {
  // A task that already left this turn stays left: its exit is the news.
  changed_tasks_.try_emplace({framework_id, task_id});
  schedule_state_publish();
}

void Master::task_left(const FrameworkRecord& framework, const mesos::v1::Task& task) {
  changed_tasks_[{framework.id(), task.task_id().value()}] = state_task(framework, task);
  schedule_state_publish();
}

void Master::framework_changed(const std::string& framework_id) {
  changed_frameworks_.insert(framework_id);
  schedule_state_publish();
}

void Master::agent_changed(const std::string& agent_id) {
  changed_agents_.insert(agent_id);
  schedule_state_publish();
}

// Publishes once this turn's work is done.
void Master::schedule_state_publish() {
  if (publish_posted_) return;
  publish_posted_ = true;
  asio::post(io_, [this] { publish_state_changes(); });
}

// Frameworks and agents first, so a subscriber knows them before their
// tasks; removed frameworks last, after their tasks' ends.
void Master::publish_state_changes() {
  publish_posted_ = false;
  internal::StateChange change;
  for (const auto& id : changed_frameworks_) {
    if (const FrameworkRecord* framework = frameworks_.find(id)) {
      *change.mutable_framework() = state_framework(*framework);
      state_stream_.publish(change);
    }
  }
  for (const auto& id : changed_agents_) {
    auto it = agents_.find(id);
    auto agent = it == agents_.end() ? std::nullopt : state_agent(it->second);
    if (agent) {
      *change.mutable_agent() = std::move(*agent);
    } else {
      change.mutable_agent_removed()->set_value(id);
    }
    state_stream_.publish(change);
  }
  for (auto& [key, left] : changed_tasks_) {
    if (left) {
      *change.mutable_task() = std::move(*left);
    } else if (const mesos::v1::Task* task = frameworks_.find_task(key.first, key.second)) {
      *change.mutable_task() = state_task(*frameworks_.find(key.first), *task);
    } else {
      continue;  // added and removed again: its exit was recorded after
    }
    state_stream_.publish(change);
  }
  for (const auto& id : changed_frameworks_) {
    if (frameworks_.find(id)) continue;
    change.mutable_framework_removed()->set_value(id);
    state_stream_.publish(change);
  }
  changed_frameworks_.clear();
  changed_agents_.clear();
  changed_tasks_.clear();
}

internal::StateTask Master::state_task(const FrameworkRecord& framework, const mesos::v1::Task& task) const {
  internal::StateTask out;
  *out.mutable_id() = task.task_id();
  out.set_name(task.name());
  *out.mutable_framework_id() = task.framework_id();
  *out.mutable_agent_id() = task.agent_id();
  out.set_state(task.state());
  *out.mutable_resources() = task.resources();
  if (task.has_labels()) *out.mutable_labels() = task.labels();
  if (task.has_discovery()) *out.mutable_discovery() = task.discovery();
  for (auto status = task.statuses().rbegin(); status != task.statuses().rend(); ++status) {
    if (!status->has_healthy()) continue;
    out.set_healthy(status->healthy());
    break;
  }
  out.set_killing(task.state() == mesos::v1::TASK_KILLING || framework.killing.count(task.task_id().value()) > 0);
  return out;
}

// An unreachable agent is not part of the state: nothing there can be reached.
std::optional<internal::StateAgent> Master::state_agent(const AgentRecord& agent) const {
  if (agent.status == AgentStatus::unreachable) return std::nullopt;
  internal::StateAgent out;
  *out.mutable_id() = agent.info.id();
  out.set_hostname(agent.info.hostname());
  out.set_port(agent.info.port());
  // pid is "slave(1)@<ip>:<port>"; empty until the agent registers with this master.
  if (const auto at = agent.pid.find('@'), colon = agent.pid.rfind(':');
      at != std::string::npos && colon != std::string::npos && colon > at)
    out.set_ip(agent.pid.substr(at + 1, colon - at - 1));
  out.set_connected(agent.status == AgentStatus::connected);
  *out.mutable_attributes() = agent.info.attributes();
  return out;
}

internal::StateFramework Master::state_framework(const FrameworkRecord& framework) const {
  internal::StateFramework out;
  *out.mutable_id() = framework.info.id();
  out.set_name(framework.info.name());
  for (const auto& role : framework.roles) out.add_roles(role);
  out.set_connected(framework.connected());
  return out;
}

internal::StateSnapshot Master::state_snapshot() const {
  internal::StateSnapshot snapshot;
  for (const auto& [id, agent] : agents_)
    if (auto entry = state_agent(agent)) *snapshot.add_agents() = std::move(*entry);
  for (const auto& [id, framework] : frameworks_.all()) {
    *snapshot.add_frameworks() = state_framework(framework);
    for (const auto& [task_id, task] : framework.tasks) *snapshot.add_tasks() = state_task(framework, task);
  }
  return snapshot;
}

asio::awaitable<void> Master::serve_state_subscriber(std::shared_ptr<net::Connection> connection,
                                                     const internal::SubscribeState& request) {
  // Changes made before this subscriber came are published to the others
  // first: its snapshot (or resumed history) must line up with the sequence.
  publish_state_changes();
  internal::StateSubscribed answer;
  answer.set_heartbeat_interval_ns(options_.ping_interval.count());
  *answer.mutable_leader() = registered_message("").agent_registered().master();
  const uint64_t snapshots = state_stream_.snapshots_sent();
  state_stream_.subscribe(connection, request, std::move(answer), [this] { return state_snapshot(); });
  const bool resumed = state_stream_.snapshots_sent() == snapshots;
  log::info("state subscriber " + connection->peer() +
                (resumed ? " resumed its stream after change " + std::to_string(request.sequence())
                         : " got a snapshot at change " + std::to_string(state_stream_.sequence())),
            {{"PEER", connection->peer()}});
  for (;;) {
    auto message = co_await connection->receive();
    if (!message) {
      log::info("state subscriber " + connection->peer() + " left: " + message.error().message,
                {{"PEER", connection->peer()}});
      break;
    }
    if (message->has_pong()) continue;
    // A subscriber listens and answers pings; anything else is a mistake.
    ++counters_.bad_frames;
    log::warning("closing state subscriber " + connection->peer() + ": unexpected " + wire::body_name(*message) +
                     " message",
                 {{"PEER", connection->peer()}});
    connection->send(wire::make_error("a state subscriber sends only Pong, not " + wire::body_name(*message)));
    connection->close_after_flush();
    break;
  }
  state_stream_.remove(connection.get());
}

}  // namespace dcos::master
