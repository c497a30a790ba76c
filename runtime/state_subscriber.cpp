#include "runtime/state_subscriber.hpp"

#include "runtime/duration.hpp"
#include "runtime/log.hpp"

namespace dcos {

namespace asio = boost::asio;

StateSubscriber::StateSubscriber(asio::any_io_executor executor, StateSubscriberOptions options, Handlers handlers)
    : executor_(executor),
      options_(std::move(options)),
      handlers_(std::move(handlers)),
      backoff_(options_.backoff_min, options_.backoff_max),
      pause_(executor) {}

void StateSubscriber::start() { asio::co_spawn(executor_, run(), asio::detached); }

void StateSubscriber::stop() {
  stopping_ = true;
  pause_.cancel();
  if (master_) master_->close();
}

asio::awaitable<void> StateSubscriber::run() {
  const std::string master = options_.master_host + ":" + std::to_string(options_.master_port);
  uint64_t failures = 0;
  while (!stopping_) {
    auto connected = co_await net::connect_framed(executor_, options_.master_host, options_.master_port,
                                                  options_.peer, options_.connection);
    Result<void> ended = Error{""};
    if (connected) {
      master_ = *connected;
      ended = co_await session(*master_);
      master_->close();
      master_.reset();
    } else {
      ended = connected.error();
    }
    const bool was_up = connected_;
    if (was_up) {
      connected_ = false;
      failures = 0;
      if (handlers_.link) handlers_.link(false, ended.error().message);
    }
    if (stopping_) break;
    const auto delay = backoff_.next();
    // The first failure after a success is worth a warning; retries are noise.
    log::write(failures++ == 0 ? log::Level::warning : log::Level::debug,
               std::string(was_up ? "lost the state subscription of master " : "cannot subscribe to master ") +
                   master + ": " + ended.error().message + "; retrying in " +
                   format_duration(std::chrono::duration_cast<std::chrono::milliseconds>(delay)));
    pause_.expires_after(delay);
    boost::system::error_code ec;
    co_await pause_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

asio::awaitable<Result<void>> StateSubscriber::session(net::Connection& master) {
  internal::Envelope subscribe;
  auto* request = subscribe.mutable_subscribe_state();
  if (state_.ready()) {
    request->set_stream_id(state_.stream_id());
    request->set_sequence(state_.sequence());
  }
  master.send(subscribe);
  for (;;) {
    auto message = co_await master.receive();
    if (!message) co_return message.error();
    if (auto handled = handle(master, *message); !handled) co_return handled;
  }
}

Result<void> StateSubscriber::handle(net::Connection& master, const internal::Envelope& message) {
  auto up = [&](const char* how) {
    connected_ = true;
    backoff_.reset();
    log::info("following the state of master " + options_.master_host + ":" + std::to_string(options_.master_port) +
              " (" + how + " at change " + std::to_string(state_.sequence()) + ")");
    if (handlers_.link) handlers_.link(true, how);
  };
  switch (message.body_case()) {
    case internal::Envelope::kStateSubscribed: {
      if (auto answered = state_.subscribed(message.state_subscribed()); !answered) return answered;
      const auto heartbeat = std::chrono::nanoseconds(message.state_subscribed().heartbeat_interval_ns());
      // Several heartbeats missed in a row: the master is gone.
      if (heartbeat > std::chrono::nanoseconds::zero()) master.set_idle_timeout(heartbeat * 4);
      if (message.state_subscribed().resumed()) {
        ++resumes_;
        up("resumed");
      }
      return {};
    }
    case internal::Envelope::kStateSnapshot: {
      auto complete = state_.add_snapshot(message.state_snapshot());
      if (!complete) return complete.error();
      if (!*complete) return {};
      ++snapshots_;
      if (handlers_.snapshot) handlers_.snapshot(state_);
      if (!connected_) up("snapshot");
      return {};
    }
    case internal::Envelope::kStateChange:
      if (auto applied = state_.apply(message.state_change()); !applied) return applied;
      ++changes_;
      if (handlers_.change) handlers_.change(state_, message.state_change());
      return {};
    case internal::Envelope::kPing: {
      internal::Envelope pong;
      pong.mutable_pong()->set_sequence(message.ping().sequence());
      master.send(pong);
      return {};
    }
    case internal::Envelope::kError:
      return Error{"master closed the subscription: " + message.error().message()};
    default:
      return Error{"unexpected " + wire::body_name(message) + " message from the master"};
  }
}

}  // namespace dcos
