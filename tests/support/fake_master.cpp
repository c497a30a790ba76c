#include "tests/support/fake_master.hpp"

#include <future>
#include <stdexcept>

#include <boost/asio/post.hpp>

#include "daemons/agent/status_update_stream.hpp"
#include "runtime/listener.hpp"

namespace dcos::testing {

namespace asio = boost::asio;

struct FakeMaster::Impl {
  asio::io_context io{1};
  http::Router router;
  std::unique_ptr<net::Listener> listener;
  std::shared_ptr<net::Connection> agent;  // io thread only

  std::mutex mutex;
  std::condition_variable changed;
  std::vector<internal::Envelope> received;
  bool auto_ack = true;

  void record(const internal::Envelope& envelope) {
    std::lock_guard lock(mutex);
    received.push_back(envelope);
    changed.notify_all();
  }

  bool should_ack() {
    std::lock_guard lock(mutex);
    return auto_ack;
  }

  asio::awaitable<void> serve(std::shared_ptr<net::Connection> connection) {
    if (!co_await net::accept_framed(*connection, "master")) co_return;
    agent = connection;
    for (;;) {
      auto message = co_await connection->receive();
      if (!message) break;
      record(*message);
      if (message->has_register_agent() || message->has_reregister_agent()) {
        internal::Envelope answer;
        answer.mutable_agent_registered()->mutable_agent_id()->set_value(kAgentId);
        auto* master = answer.mutable_agent_registered()->mutable_master();
        master->set_id("fake-master");
        master->set_ip(0x0100007f);
        master->set_port(5050);
        master->set_pid("master@127.0.0.1:5050");
        connection->send(answer);
      } else if (message->has_status_update() && message->status_update().status().has_uuid() && should_ack()) {
        connection->send(ack_for(message->status_update()));
      }
    }
    if (agent == connection) agent.reset();
  }

  static internal::Envelope ack_for(const internal::StatusUpdate& update) {
    internal::Envelope envelope;
    auto* ack = envelope.mutable_status_update_acknowledgement();
    ack->mutable_agent_id()->set_value(kAgentId);
    *ack->mutable_framework_id() = update.framework_id();
    *ack->mutable_task_id() = update.status().task_id();
    ack->set_uuid(update.status().uuid());
    return envelope;
  }
};

FakeMaster::FakeMaster() : impl_(std::make_unique<Impl>()) {
  auto listener = net::Listener::bind(
      impl_->io.get_executor(), {asio::ip::make_address("127.0.0.1"), 0}, impl_->router,
      [impl = impl_.get()](std::shared_ptr<net::Connection> connection) { return impl->serve(std::move(connection)); });
  if (!listener) throw std::runtime_error("fake master: " + listener.error().message);
  impl_->listener = std::move(*listener);
  impl_->listener->start();
  port_ = impl_->listener->port();
  thread_ = std::thread([this] {
    auto guard = asio::make_work_guard(impl_->io);
    impl_->io.run();
  });
}

FakeMaster::~FakeMaster() {
  asio::post(impl_->io, [this] {
    impl_->listener->stop();
    if (impl_->agent) impl_->agent->close();
    impl_->io.stop();
  });
  thread_.join();
}

void FakeMaster::set_auto_acknowledge(bool on) {
  std::lock_guard lock(impl_->mutex);
  impl_->auto_ack = on;
}

bool FakeMaster::send(const internal::Envelope& envelope) {
  std::promise<bool> sent;
  auto done = sent.get_future();
  asio::post(impl_->io, [this, &envelope, &sent] {
    if (!impl_->agent || !impl_->agent->is_open()) return sent.set_value(false);
    impl_->agent->send(envelope);
    sent.set_value(true);
  });
  return done.get();
}

void FakeMaster::acknowledge(const internal::StatusUpdate& update) { send(Impl::ack_for(update)); }

void FakeMaster::disconnect() {
  std::promise<void> done;
  auto closed = done.get_future();
  asio::post(impl_->io, [this, &done] {
    if (impl_->agent) impl_->agent->close();
    done.set_value();
  });
  closed.get();
}

void FakeMaster::run_task(const mesos::v1::FrameworkInfo& framework, const mesos::v1::TaskInfo& task,
                          const std::optional<internal::TaskGroup>& group) {
  internal::Envelope envelope;
  *envelope.mutable_run_task()->mutable_framework() = framework;
  *envelope.mutable_run_task()->mutable_task() = task;
  if (group) *envelope.mutable_run_task()->mutable_group() = *group;
  envelope.mutable_run_task()->mutable_task()->mutable_agent_id()->set_value(kAgentId);
  send(envelope);
}

void FakeMaster::kill_task(const std::string& framework_id, const std::string& task_id,
                           std::optional<std::chrono::milliseconds> grace) {
  internal::Envelope envelope;
  auto* kill = envelope.mutable_kill_task();
  kill->mutable_framework_id()->set_value(framework_id);
  kill->mutable_task_id()->set_value(task_id);
  if (grace)
    kill->mutable_kill_policy()->mutable_grace_period()->set_nanoseconds(
        std::chrono::duration_cast<std::chrono::nanoseconds>(*grace).count());
  send(envelope);
}

std::vector<internal::Envelope> FakeMaster::received() {
  std::lock_guard lock(impl_->mutex);
  return impl_->received;
}

std::vector<internal::StatusUpdate> FakeMaster::updates(const std::string& task_id) {
  std::vector<internal::StatusUpdate> out;
  for (const auto& envelope : received())
    if (envelope.has_status_update() && envelope.status_update().status().task_id().value() == task_id)
      out.push_back(envelope.status_update());
  return out;
}

bool FakeMaster::wait_for(const std::function<bool(const std::vector<internal::Envelope>&)>& condition,
                          std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->mutex);
  return impl_->changed.wait_for(lock, timeout, [&] { return condition(impl_->received); });
}

std::optional<internal::StatusUpdate> FakeMaster::wait_for_state(const std::string& task_id,
                                                                 mesos::v1::TaskState state,
                                                                 std::chrono::milliseconds timeout) {
  std::optional<internal::StatusUpdate> found;
  wait_for(
      [&](const std::vector<internal::Envelope>& received) {
        for (const auto& envelope : received) {
          const auto& status = envelope.status_update().status();
          if (envelope.has_status_update() && status.task_id().value() == task_id && status.state() == state) {
            found = envelope.status_update();
            return true;
          }
        }
        return false;
      },
      timeout);
  return found;
}

std::optional<internal::StatusUpdate> FakeMaster::wait_for_end(const std::string& task_id,
                                                               std::chrono::milliseconds timeout) {
  std::optional<internal::StatusUpdate> found;
  wait_for(
      [&](const std::vector<internal::Envelope>& received) {
        for (const auto& envelope : received) {
          const auto& status = envelope.status_update().status();
          if (envelope.has_status_update() && status.task_id().value() == task_id &&
              dcos::is_terminal(status.state())) {
            found = envelope.status_update();
            return true;
          }
        }
        return false;
      },
      timeout);
  return found;
}

int FakeMaster::registrations() {
  int count = 0;
  for (const auto& envelope : received()) count += envelope.has_register_agent() || envelope.has_reregister_agent();
  return count;
}

std::optional<internal::ReregisterAgent> FakeMaster::last_reregistration() {
  std::optional<internal::ReregisterAgent> last;
  for (const auto& envelope : received())
    if (envelope.has_reregister_agent()) last = envelope.reregister_agent();
  return last;
}

mesos::v1::FrameworkInfo test_framework(const std::string& id, bool killing_state) {
  mesos::v1::FrameworkInfo framework;
  framework.set_user("");
  framework.set_name("agent-test");
  framework.mutable_id()->set_value(id);
  if (killing_state)
    framework.add_capabilities()->set_type(mesos::v1::FrameworkInfo::Capability::TASK_KILLING_STATE);
  return framework;
}

mesos::v1::TaskInfo shell_task(const std::string& id, const std::string& command, double mem_mb) {
  mesos::v1::TaskInfo task;
  task.set_name(id);
  task.mutable_task_id()->set_value(id);
  task.mutable_command()->set_value(command);
  auto* cpus = task.add_resources();
  cpus->set_name("cpus");
  cpus->set_type(mesos::v1::Value::SCALAR);
  cpus->mutable_scalar()->set_value(0.1);
  auto* mem = task.add_resources();
  mem->set_name("mem");
  mem->set_type(mesos::v1::Value::SCALAR);
  mem->mutable_scalar()->set_value(mem_mb);
  return task;
}

}  // namespace dcos::testing
