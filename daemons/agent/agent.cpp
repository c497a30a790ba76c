#include "daemons/agent/agent.hpp"

#include <unistd.h>

#include "runtime/asio.hpp"

#include <boost/asio/post.hpp>

#include "runtime/atomic_file.hpp"
#include "runtime/log.hpp"
#include "runtime/notify.hpp"
#include "runtime/service.hpp"

namespace dcos::agent {

namespace asio = boost::asio;

Agent::Agent(asio::io_context& io, Options options, mesos::v1::AgentInfo info)
    : io_(io),
      options_(std::move(options)),
      info_(std::move(info)),
      info_path_(options_.work_dir + "/meta/agent.info"),
      backoff_(options_.backoff_factor, options_.backoff_max),
      start_time_(wall_seconds()) {}

Result<void> Agent::recover() {
  if (auto made = make_directories(options_.work_dir + "/meta"); !made) return made.error();
  if (::access(info_path_.c_str(), F_OK) != 0) return {};
  auto bytes = read_file(info_path_);
  if (!bytes) return bytes.error();
  mesos::v1::AgentInfo saved;
  if (!saved.ParseFromString(*bytes) || !saved.has_id())
    return Error{"agent checkpoint '" + info_path_ + "' is corrupt; remove it to register as a new agent"};
  *info_.mutable_id() = saved.id();
  log::info("recovered agent id " + info_.id().value(), {{"AGENT_ID", info_.id().value()}});
  return {};
}

Result<void> Agent::checkpoint(const std::string& agent_id) {
  info_.mutable_id()->set_value(agent_id);
  return write_file_atomically(info_path_, info_.SerializeAsString(), 0600);
}

void Agent::stop() {
  stopping_ = true;
  if (master_) master_->close();
}

asio::awaitable<void> Agent::run() {
  const std::string master = options_.master_host + ":" + std::to_string(options_.master_port);
  asio::steady_timer pause(io_);
  uint64_t failures = 0;
  while (!stopping_) {
    net::ConnectionOptions connection_options;
    connection_options.counters = &counters_;
    auto connected = co_await net::connect_framed(io_.get_executor(), options_.master_host, options_.master_port,
                                                  "agent", connection_options);
    Result<void> ended = Error{""};
    if (connected) {
      master_ = *connected;
      ended = co_await session(*master_);
      master_.reset();
    } else {
      ended = connected.error();
    }
    const bool was_registered = registered_;
    registered_ = false;
    if (tasks_) tasks_->set_sender(nullptr);
    if (stopping_) break;
    const auto delay = backoff_.next();
    // The first failure after a success is worth a warning; retries are noise.
    if (was_registered) failures = 0;
    const auto level = failures++ == 0 ? log::Level::warning : log::Level::debug;
    const std::string problem = std::string(was_registered ? "lost master " : "cannot register with master ") + master +
                                ": " + ended.error().message + "; retrying in " +
                                format_duration(std::chrono::duration_cast<std::chrono::milliseconds>(delay));
    log::write(level, problem);
    notify::status(problem);
    pause.expires_after(delay);
    boost::system::error_code ec;
    co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

asio::awaitable<Result<void>> Agent::session(net::Connection& master) {
  internal::Envelope hello;
  if (info_.has_id()) {
    *hello.mutable_reregister_agent()->mutable_agent() = info_;
    if (tasks_) tasks_->describe(hello.mutable_reregister_agent());
  } else {
    *hello.mutable_register_agent()->mutable_agent() = info_;
  }
  master.send(hello);

  for (;;) {
    auto message = co_await master.receive();
    if (!message) co_return message.error();
    switch (message->body_case()) {
      case internal::Envelope::kAgentRegistered: {
        const auto& registered = message->agent_registered();
        if (auto saved = checkpoint(registered.agent_id().value()); !saved)
          co_return Error{"cannot checkpoint agent id: " + saved.error().message};
        const bool again = registrations_++ > 0 || hello.has_reregister_agent();
        // Silence longer than the master's ping policy means the master is gone.
        const auto interval = std::chrono::nanoseconds(registered.ping_interval_ns());
        if (interval > Duration::zero()) master.set_idle_timeout(interval * (registered.max_missed_pings() + 1));
        log::info(std::string(again ? "re-registered" : "registered") + " with master " + registered.master().pid() +
                      " as agent " + info_.id().value(),
                  {{"AGENT_ID", info_.id().value()}});
        master_pid_ = registered.master().pid();
        notify::status("registered with master " + master_pid_ + " as agent " + info_.id().value());
        on_registered();
        break;
      }
      case internal::Envelope::kRegistrationRefused:
        co_return Error{"master refused registration: " + message->registration_refused().reason()};
      case internal::Envelope::kPing: {
        internal::Envelope pong;
        pong.mutable_pong()->set_sequence(message->ping().sequence());
        master.send(pong);
        break;
      }
      case internal::Envelope::kRunTask:
      case internal::Envelope::kKillTask:
      case internal::Envelope::kStatusUpdateAcknowledgement:
      case internal::Envelope::kShutdownFramework:
        on_task_message(*message);
        // A burst of RunTasks (an ACCEPT of many tasks) arrives buffered and
        // receive() does not suspend for it: a turn for the launches and
        // update flushes each task started, so that they do not all wait
        // for the whole burst to be checkpointed.
        if (message->body_case() == internal::Envelope::kRunTask)
          co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
        break;
      case internal::Envelope::kError:
        co_return Error{"master closed the connection: " + message->error().message()};
      default:
        log::warning("ignoring unexpected " + wire::body_name(*message) + " message from the master");
        break;
    }
  }
}

void Agent::on_registered() {
  registered_ = true;
  backoff_.reset();
  if (!tasks_) return;
  tasks_->set_agent_id(info_.id().value());
  // The connection outlives the session only while master_ holds it.
  tasks_->set_sender([this](const internal::StatusUpdate& update) {
    if (!master_ || !registered_) return;
    internal::Envelope envelope;
    *envelope.mutable_status_update() = update;
    master_->send(envelope);
  });
  tasks_->resend_all();
}

void Agent::on_task_message(const internal::Envelope& message) {
  if (!registered_ || !tasks_) {
    log::warning("ignoring " + wire::body_name(message) + " from the master: not registered yet");
    return;
  }
  switch (message.body_case()) {
    case internal::Envelope::kRunTask:
      tasks_->run_task(message.run_task());
      break;
    case internal::Envelope::kKillTask:
      tasks_->kill_task(message.kill_task());
      break;
    case internal::Envelope::kStatusUpdateAcknowledgement:
      tasks_->acknowledge(message.status_update_acknowledgement());
      break;
    case internal::Envelope::kShutdownFramework:
      tasks_->shutdown_framework(message.shutdown_framework().framework_id().value());
      break;
    default:
      break;
  }
}

}  // namespace dcos::agent
