#include "daemons/master/master.hpp"

#include <cmath>

#include "runtime/asio.hpp"

#include "runtime/ids.hpp"
#include "runtime/log.hpp"
#include "runtime/service.hpp"

namespace dcos::master {

namespace asio = boost::asio;

namespace {

constexpr int kMaxResources = 1024;
constexpr int kMaxAttributes = 1024;
// Messages kept for an agent between its (re-)registration and its answer.
constexpr std::size_t kMaxHeldMessages = 10000;

bool valid_value(const mesos::v1::Value::Scalar* scalar, const mesos::v1::Value::Ranges* ranges) {
  if (scalar && (!std::isfinite(scalar->value()) || scalar->value() < 0)) return false;
  if (ranges)
    for (const auto& range : ranges->range())
      if (range.begin() > range.end()) return false;
  return true;
}

// An agent's own description of itself is input from the network.
Result<void> validate(const mesos::v1::AgentInfo& info) {
  if (info.hostname().empty() || info.hostname().size() > 255) return Error{"hostname is empty or too long"};
  if (info.port() <= 0 || info.port() > 65535) return Error{"port " + std::to_string(info.port()) + " is invalid"};
  if (info.resources_size() > kMaxResources || info.attributes_size() > kMaxAttributes)
    return Error{"too many resources or attributes"};
  for (const auto& resource : info.resources()) {
    if (resource.name().empty()) return Error{"a resource has no name"};
    if (!valid_value(resource.has_scalar() ? &resource.scalar() : nullptr,
                     resource.has_ranges() ? &resource.ranges() : nullptr))
      return Error{"resource '" + resource.name() + "' has a negative, non-finite or reversed value"};
  }
  for (const auto& attribute : info.attributes())
    if (attribute.name().empty()) return Error{"an attribute has no name"};
  return {};
}

}  // namespace

Master::Master(asio::io_context& io, Options options, std::unique_ptr<Registry> registry)
    : io_(io),
      options_(std::move(options)),
      registry_(std::move(registry)),
      id_(random_uuid()),
      ping_timer_(io),
      state_stream_(id_, options_.state_history),
      frameworks_(options_.max_completed_tasks),
      offers_(id_),
      allocation_timer_(io),
      framework_timer_(io) {
  for (const auto& [role, weight] : options_.weights)
    if (auto set = allocator_.set_role_weight(role, weight); !set)
      log::warning("ignoring the weight of role " + role + ": " + set.error().message);
  frameworks_.observe({
      .task_added = [this](const FrameworkRecord& framework,
                           const std::string& task_id) { task_entered(framework.id(), task_id); },
      .task_left = [this](const FrameworkRecord& framework, const mesos::v1::Task& task) { task_left(framework, task); },
      .framework_changed = [this](const std::string& framework_id) { framework_changed(framework_id); },
  });
}

void Master::stop() {
  ping_timer_.cancel();
  allocation_timer_.cancel();
  framework_timer_.cancel();
  state_stream_.close_all();
  // Schedulers see their streams end rather than hang.
  for (auto& [id, framework] : frameworks_.all())
    if (auto stream = std::move(framework.stream)) stream->close();
}

std::string Master::pid() const { return "master@" + options_.ip + ":" + std::to_string(options_.port); }

void Master::start() {
  start_time_ = wall_seconds();
  for (const auto& entry : registry_->state().agents()) {
    AgentRecord record;
    record.info = entry.info();
    record.registered_time = entry.registered_time();
    record.unreachable_time = entry.unreachable_time();
    record.status = entry.has_unreachable_time() ? AgentStatus::unreachable : AgentStatus::recovered;
    agents_.emplace(entry.info().id().value(), std::move(record));
  }
  log::info("recovered " + std::to_string(agents_.size()) + " agents from the registry",
            {{"CLUSTER_ID", registry_->cluster_id()}, {"MASTER_ID", id_}});
  asio::co_spawn(io_, ping_loop(), asio::detached);
  asio::co_spawn(io_, allocation_loop(), asio::detached);
  asio::co_spawn(io_, framework_loop(), asio::detached);
}

void Master::send_to_agent(const std::string& agent_id, const internal::Envelope& message) {
  auto it = agents_.find(agent_id);
  if (it == agents_.end() || !it->second.connection) {
    // Kills and acks are retried by their senders (schedulers, agents).
    log::warning("not sending " + wire::body_name(message) + " to agent " + agent_id + ": it is not connected",
                 {{"AGENT_ID", agent_id}});
    return;
  }
  AgentRecord& agent = it->second;
  if (agent.told_registered) {
    agent.connection->send(message);
    return;
  }
  if (agent.held.size() >= kMaxHeldMessages) {
    log::warning("not sending " + wire::body_name(message) + " to agent " + agent_id + ": " +
                     std::to_string(kMaxHeldMessages) + " messages already wait for its registration",
                 {{"AGENT_ID", agent_id}});
    return;
  }
  agent.held.push_back(message);
}

asio::awaitable<void> Master::serve_framed(std::shared_ptr<net::Connection> connection) {
  auto hello = co_await net::accept_framed(*connection, "master");
  if (!hello) {
    log::warning("dropped connection from " + connection->peer() + ": " + hello.error().message);
    co_return;
  }
  // A peer silent for this long is gone even if TCP has not noticed yet.
  connection->set_idle_timeout(options_.ping_interval * (options_.max_missed_pings + 1));
  std::string agent_id;
  for (bool first = true;; first = false) {
    auto message = co_await connection->receive();
    if (first && message && message->has_subscribe_state()) {
      co_await serve_state_subscriber(connection, message->subscribe_state());
      co_return;
    }
    if (!message) {
      if (!agent_id.empty()) {
        disconnected(agent_id, connection.get(), message.error().message);
      } else {
        log::warning("dropped connection from " + connection->peer() + ": " + message.error().message);
      }
      co_return;
    }
    handle(connection, agent_id, *message);
    if (!connection->is_open()) co_return;
  }
}

void Master::handle(const std::shared_ptr<net::Connection>& connection, std::string& agent_id,
                    const internal::Envelope& message) {
  const bool registration = message.has_register_agent() || message.has_reregister_agent();
  if (registration && !agent_id.empty()) {
    // One agent per connection: a second registration would mint ids at will.
    ++counters_.bad_frames;
    log::warning("closing connection of agent " + agent_id + ": it registered twice", {{"AGENT_ID", agent_id}});
    connection->send(wire::make_error("this connection already registered agent " + agent_id));
    connection->close_after_flush();
    return;
  }
  switch (message.body_case()) {
    case internal::Envelope::kRegisterAgent:
      agent_id = register_agent(connection, message.register_agent().agent(), false);
      return;
    case internal::Envelope::kReregisterAgent:
      agent_id = register_agent(connection, message.reregister_agent().agent(), true);
      if (!agent_id.empty()) recover_agent_tasks(agent_id, message.reregister_agent());
      return;
    case internal::Envelope::kStatusUpdate:
      if (agent_id.empty()) break;
      status_update(agent_id, message.status_update());
      return;
    case internal::Envelope::kPong: {
      auto it = agents_.find(agent_id);
      if (it != agents_.end() && it->second.connection == connection) {
        it->second.missed_pings = 0;
        it->second.awaiting_pong = false;
      }
      return;
    }
    case internal::Envelope::kUpdateAgentResources: {
      auto it = agents_.find(agent_id);
      const auto& update = message.update_agent_resources();
      if (it == agents_.end() || update.agent_id().value() != agent_id) return;
      mesos::v1::AgentInfo info = it->second.info;
      *info.mutable_resources() = update.resources();
      *info.mutable_attributes() = update.attributes();
      if (auto valid = validate(info); !valid) {
        log::warning("ignoring resource update of agent " + agent_id + ": " + valid.error().message,
                     {{"AGENT_ID", agent_id}});
        return;
      }
      it->second.info = info;
      agent_changed(agent_id);
      registry_->admit(info, it->second.registered_time, nullptr);
      // Offers of the old total would pin it: take them back first.
      rescind_offers_of_agent(agent_id);
      add_agent_to_allocator(it->second, it->second.status == AgentStatus::connected);
      request_allocation();
      return;
    }
    default:
      break;
  }
  // A peer that speaks our framing but sends what it must not: say so, hang up.
  ++counters_.bad_frames;
  log::warning("closing connection from " + connection->peer() + ": unexpected " + wire::body_name(message) +
               " message");
  connection->send(wire::make_error("unexpected " + wire::body_name(message) + " message"));
  connection->close_after_flush();
}

std::string Master::register_agent(const std::shared_ptr<net::Connection>& connection, mesos::v1::AgentInfo info,
                                   bool reregister) {
  auto refuse = [&](const std::string& reason) {
    log::warning("refused registration from " + connection->peer() + ": " + reason);
    internal::Envelope reply;
    reply.mutable_registration_refused()->set_reason(reason);
    connection->send(reply);
    return std::string();
  };
  if (auto valid = validate(info); !valid) return refuse(valid.error().message);
  if (reregister && (!info.has_id() || info.id().value().empty())) return refuse("re-registration without an agent id");
  if (reregister && info.id().value().size() > 256) return refuse("agent id is too long");
  if (!reregister) info.mutable_id()->set_value(registry_->next_agent_id());
  const std::string agent_id = info.id().value();

  const double now = wall_seconds();
  auto [it, inserted] = agents_.try_emplace(agent_id);
  AgentRecord& agent = it->second;
  if (agent.connection && agent.connection != connection) {
    log::info("agent " + agent_id + " connected again from " + connection->peer() + "; closing its old connection",
              {{"AGENT_ID", agent_id}});
    agent.connection->close();
  }
  const bool known = !inserted && agent.registered_time > 0;
  agent.info = info;
  agent.connection = connection;
  agent.missed_pings = 0;
  agent.awaiting_pong = false;
  agent.told_registered = false;
  agent.held.clear();  // meant for the connection before; senders retry
  agent.status = AgentStatus::connected;
  agent.unreachable_time = 0;
  if (known) {
    agent.reregistered_time = now;
  } else {
    agent.registered_time = now;
  }
  agent.pid =
      "slave(1)@" + connection->peer().substr(0, connection->peer().rfind(':')) + ":" + std::to_string(info.port());
  agent_changed(agent_id);
  // Known to the allocator (its tasks are accounted at once) but offered
  // only once the agent has been told it is registered: a RunTask must not
  // overtake its AgentRegistered.
  add_agent_to_allocator(agent, /*active=*/false);

  const char* how = !reregister ? "registered"
                    : known     ? "re-registered"
                                : "re-registered (unknown to this registry, admitted)";
  std::weak_ptr<net::Connection> weak = connection;
  registry_->admit(info, agent.registered_time, [this, weak, agent_id, how](const Result<void>& written) {
    admitted(weak.lock(), agent_id, how, written);
  });
  return agent_id;
}

// The registry has (or has not) made the admission durable: answer the agent.
void Master::admitted(const std::shared_ptr<net::Connection>& link, const std::string& agent_id, const char* how,
                      const Result<void>& written) {
  if (!written) {
    log::error("could not admit agent " + agent_id + ": registry write failed: " + written.error().message,
               {{"AGENT_ID", agent_id}});
    if (link) {
      internal::Envelope reply;
      reply.mutable_registration_refused()->set_reason("master could not persist the registration");
      link->send(reply);
      link->close_after_flush();
    }
    return;
  }
  if (!link || !link->is_open()) return;
  link->send(registered_message(agent_id));
  if (auto it = agents_.find(agent_id); it != agents_.end() && it->second.connection == link) {
    it->second.told_registered = true;
    for (const auto& message : it->second.held) link->send(message);
    it->second.held.clear();
  }
  log::info("agent " + agent_id + " " + how + " from " + link->peer(),
            {{"AGENT_ID", agent_id}, {"PEER", link->peer()}});
  auto it = agents_.find(agent_id);
  if (it != agents_.end() && it->second.connection == link && it->second.status == AgentStatus::connected) {
    (void)allocator_.activate_agent(agent_id);
    request_allocation();
  }
}

internal::Envelope Master::registered_message(const std::string& agent_id) const {
  internal::Envelope reply;
  auto* registered = reply.mutable_agent_registered();
  registered->mutable_agent_id()->set_value(agent_id);
  auto* master = registered->mutable_master();
  master->set_id(id_);
  master->set_ip(0);  // IPv4-only in Mesos; `address` is what readers use
  master->set_port(options_.port);
  master->set_pid(pid());
  master->set_hostname(options_.hostname);
  master->set_version(DCOS_VERSION);
  auto* address = master->mutable_address();
  address->set_hostname(options_.hostname);
  address->set_ip(options_.ip);
  address->set_port(options_.port);
  registered->set_ping_interval_ns(options_.ping_interval.count());
  registered->set_max_missed_pings(options_.max_missed_pings);
  return reply;
}

void Master::disconnected(const std::string& agent_id, const net::Connection* connection, const std::string& reason) {
  auto it = agents_.find(agent_id);
  if (it == agents_.end() || it->second.connection.get() != connection) return;  // already replaced
  it->second.connection.reset();
  if (it->second.status == AgentStatus::connected) it->second.status = AgentStatus::disconnected;
  agent_changed(agent_id);
  // Nothing can launch there now: its offers are rescinded (as Mesos does).
  (void)allocator_.deactivate_agent(agent_id);
  rescind_offers_of_agent(agent_id);
  log::warning("agent " + agent_id + " disconnected: " + reason, {{"AGENT_ID", agent_id}});
}

void Master::mark_unreachable(AgentRecord& agent, const std::string& reason) {
  const std::string agent_id = agent.info.id().value();
  agent.status = AgentStatus::unreachable;
  agent.unreachable_time = wall_seconds();
  agent_changed(agent_id);
  if (agent.connection) {
    agent.connection->close();
    agent.connection.reset();
  }
  log::warning("agent " + agent_id + " (" + agent.info.hostname() + ") is unreachable: " + reason,
               {{"AGENT_ID", agent_id}});
  (void)allocator_.deactivate_agent(agent_id);
  rescind_offers_of_agent(agent_id);
  agent_tasks_lost(agent_id);
  // As Mesos: every framework hears that the agent is gone (FAILURE with
  // only agent_id set), after its tasks' updates.
  Event failure;
  failure.set_type(Event::FAILURE);
  *failure.mutable_failure()->mutable_agent_id() = agent.info.id();
  for (auto& [framework_id, framework] : frameworks_.all()) send_event(framework, failure);
  registry_->mark_unreachable(agent_id, agent.unreachable_time, [agent_id](const Result<void>& written) {
    if (!written)
      log::error("could not record agent " + agent_id + " as unreachable: " + written.error().message,
                 {{"AGENT_ID", agent_id}});
  });
}

asio::awaitable<void> Master::ping_loop() {
  for (;;) {
    ping_timer_.expires_after(options_.ping_interval);
    boost::system::error_code ec;
    co_await ping_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    ping_all();
  }
}

void Master::ping_all() {
  const double now = wall_seconds();
  const double reregister_deadline = start_time_ + std::chrono::duration<double>(options_.reregister_timeout).count();
  internal::Envelope ping;
  ping.mutable_ping()->set_sequence(++ping_sequence_);
  ping.mutable_ping()->set_connected(true);
  state_stream_.broadcast(ping);
  for (auto& [agent_id, agent] : agents_) {
    switch (agent.status) {
      case AgentStatus::unreachable:
        break;
      case AgentStatus::recovered:
        if (now >= reregister_deadline)
          mark_unreachable(agent, "did not re-register within " + format_duration(options_.reregister_timeout) +
                                      " of the master's start");
        break;
      case AgentStatus::connected:
      case AgentStatus::disconnected:
        if (agent.awaiting_pong || !agent.connection) ++agent.missed_pings;
        if (agent.missed_pings >= options_.max_missed_pings) {
          mark_unreachable(agent, "missed " + std::to_string(agent.missed_pings) + " pings");
          break;
        }
        if (agent.connection) {
          agent.connection->send(ping);
          agent.awaiting_pong = true;
        }
        break;
    }
  }
}

std::size_t Master::count(AgentStatus status) const {
  std::size_t n = 0;
  for (const auto& [id, agent] : agents_) n += agent.status == status ? 1 : 0;
  return n;
}

}  // namespace dcos::master

namespace dcos::master {

std::size_t Master::connected_frameworks() const {
  std::size_t n = 0;
  for (const auto& [id, framework] : frameworks_.all()) n += framework.connected() ? 1 : 0;
  return n;
}

}  // namespace dcos::master
