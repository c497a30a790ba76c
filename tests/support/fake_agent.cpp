#include "tests/support/fake_agent.hpp"

#include "runtime/ids.hpp"
#include "runtime/resources.hpp"

namespace dcos::testing {

namespace asio = boost::asio;

FakeAgent::FakeAgent(uint16_t master_port, const std::string& hostname, const std::string& resources,
                     std::optional<internal::ReregisterAgent> reregister) {
  internal::Envelope registration;
  mesos::v1::AgentInfo* info = nullptr;
  if (reregister) {
    *registration.mutable_reregister_agent() = *reregister;
    info = registration.mutable_reregister_agent()->mutable_agent();
  } else {
    info = registration.mutable_register_agent()->mutable_agent();
  }
  info->set_hostname(hostname);
  info->set_port(5051);
  auto parsed = parse_resources(resources);
  if (parsed)
    for (const auto& resource : *parsed) *info->add_resources() = resource;
  asio::co_spawn(io_, run(master_port, std::move(registration)), asio::detached);
  thread_ = std::thread([this] { io_.run(); });
}

FakeAgent::~FakeAgent() {
  io_.stop();
  thread_.join();
}

asio::awaitable<void> FakeAgent::run(uint16_t port, internal::Envelope registration) {
  auto fail = [this](const std::string& why) {
    std::lock_guard lock(mutex_);
    failure_ = why;
    changed_.notify_all();
  };
  auto connected = co_await net::connect_framed(io_.get_executor(), "127.0.0.1", port, "agent", {});
  if (!connected) co_return fail(connected.error().message);
  connection_ = *connected;
  connection_->send(registration);
  for (;;) {
    auto message = co_await connection_->receive();
    if (!message) co_return fail(message.error().message);
    if (message->has_ping()) {
      internal::Envelope pong;
      pong.mutable_pong()->set_sequence(message->ping().sequence());
      connection_->send(pong);
      continue;
    }
    std::lock_guard lock(mutex_);
    if (message->has_agent_registered()) agent_id_ = message->agent_registered().agent_id().value();
    received_.push_back(std::move(*message));
    changed_.notify_all();
  }
}

std::string FakeAgent::wait_registered(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [this] { return !agent_id_.empty() || !failure_.empty(); });
  return agent_id_;
}

void FakeAgent::send(const internal::Envelope& message) {
  asio::post(io_, [this, message] {
    if (connection_) connection_->send(message);
  });
}

void FakeAgent::disconnect() {
  asio::post(io_, [this] {
    if (connection_) connection_->close();
  });
}

std::optional<internal::Envelope> FakeAgent::wait_for(const std::function<bool(const internal::Envelope&)>& match,
                                                      std::chrono::milliseconds timeout, std::size_t from,
                                                      std::size_t* index) {
  std::unique_lock lock(mutex_);
  std::optional<internal::Envelope> found;
  changed_.wait_for(lock, timeout, [&] {
    for (std::size_t i = from; i < received_.size(); ++i)
      if (match(received_[i])) {
        found = received_[i];
        if (index) *index = i;
        return true;
      }
    return false;
  });
  return found;
}

std::vector<internal::Envelope> FakeAgent::received() const {
  std::lock_guard lock(mutex_);
  return received_;
}

std::string FakeAgent::failure() const {
  std::lock_guard lock(mutex_);
  return failure_;
}

internal::Envelope FakeAgent::status_update(const std::string& agent_id, const std::string& framework_id,
                                            const std::string& task_id, mesos::v1::TaskState state) {
  internal::Envelope envelope;
  auto* update = envelope.mutable_status_update();
  update->mutable_framework_id()->set_value(framework_id);
  auto* status = update->mutable_status();
  status->mutable_task_id()->set_value(task_id);
  status->set_state(state);
  status->set_source(mesos::v1::TaskStatus::SOURCE_EXECUTOR);
  status->mutable_agent_id()->set_value(agent_id);
  status->set_timestamp(1.0);
  status->set_uuid(random_uuid());
  return envelope;
}

}  // namespace dcos::testing
