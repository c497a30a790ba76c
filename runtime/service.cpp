#include "runtime/service.hpp"

#include <chrono>
#include <csignal>
#include <memory>

#include <boost/asio/signal_set.hpp>
#include "runtime/asio.hpp"

#include "runtime/log.hpp"
#include "runtime/notify.hpp"

namespace dcos {

namespace asio = boost::asio;

namespace {

void feed_watchdog(std::shared_ptr<asio::steady_timer> timer, std::chrono::microseconds interval) {
  notify::watchdog();
  timer->expires_after(interval);
  timer->async_wait([timer, interval](boost::system::error_code ec) {
    if (!ec) feed_watchdog(timer, interval);
  });
}

}  // namespace

double wall_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void run_until_signalled(asio::io_context& io, std::function<void()> on_stop) {
  asio::signal_set signals(io, SIGINT, SIGTERM);
  std::signal(SIGPIPE, SIG_IGN);
  auto watchdog = std::make_shared<asio::steady_timer>(io);
  if (auto interval = notify::watchdog_interval()) feed_watchdog(watchdog, *interval);

  signals.async_wait([&](boost::system::error_code ec, int signal) {
    if (ec) return;
    log::info(std::string("stopping on ") + (signal == SIGTERM ? "SIGTERM" : "SIGINT"));
    notify::stopping();
    watchdog->cancel();
    if (on_stop) on_stop();
    // Give queued writes (a last message to a peer) a moment, then end
    // whatever still runs.
    auto deadline = std::make_shared<asio::steady_timer>(io, std::chrono::milliseconds(100));
    deadline->async_wait([&io, deadline](boost::system::error_code) { io.stop(); });
  });
  io.run();
}

}  // namespace dcos
