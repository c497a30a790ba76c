#include "runtime/connection.hpp"

#include <array>
#include <cstdio>

#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>
#include "runtime/asio.hpp"

namespace dcos::net {

namespace {

// Reads wait for readiness first and then copy into one buffer per thread,
// so an idle connection (a master holds one per agent, thousands of them)
// owns no read buffer at all; frames accumulate in its decoder.
constexpr std::size_t kReadChunk = 64 * 1024;

std::string_view read_ready(tcp::socket& socket, boost::system::error_code& ec) {
  thread_local std::array<char, kReadChunk> scratch;
  const std::size_t n = socket.read_some(asio::buffer(scratch), ec);
  return std::string_view(scratch.data(), n);
}

std::string seconds_text(Clock::duration d) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1fs", std::chrono::duration<double>(d).count());
  return text;
}

}  // namespace

std::string endpoint_text(const tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  const std::string host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  return host + ":" + std::to_string(endpoint.port());
}

Connection::Connection(tcp::socket socket, ConnectionOptions options, std::string_view received)
    : socket_(std::move(socket)), options_(options), decoder_(options.max_frame), deadline_(socket_.get_executor()) {
  boost::system::error_code ec;
  const auto remote = socket_.remote_endpoint(ec);
  peer_ = ec ? "unknown peer" : endpoint_text(remote);
  socket_.set_option(tcp::no_delay(true), ec);
  socket_.non_blocking(true, ec);
  if (!received.empty()) {
    auto fed = decoder_.feed(received);
    if (!fed) {
      failure_ = fed.error().message;
      if (options_.counters) ++options_.counters->bad_frames;
    }
  }
}

Connection::~Connection() { close(); }

void Connection::close() {
  boost::system::error_code ignored;
  deadline_.cancel();
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

void Connection::arm_deadline(Clock::duration timeout) {
  deadline_fired_ = false;
  const uint64_t generation = ++deadline_generation_;
  if (timeout == Clock::duration::zero()) return;
  deadline_.expires_after(timeout);
  deadline_.async_wait([weak = weak_from_this(), generation](boost::system::error_code ec) {
    auto self = weak.lock();
    if (ec || !self || self->deadline_generation_ != generation) return;
    self->deadline_fired_ = true;
    boost::system::error_code ignored;
    self->socket_.cancel(ignored);
  });
}

void Connection::disarm_deadline() {
  ++deadline_generation_;
  deadline_.cancel();
}

asio::awaitable<Result<internal::Envelope>> Connection::receive() {
  auto count_bad = [this] {
    if (options_.counters) ++options_.counters->bad_frames;
  };
  // Closing after a last message: read nothing more, but let it go out.
  if (close_when_flushed_) co_return Error{failure_.empty() ? "connection is closing" : failure_};
  if (!failure_.empty()) {
    close();
    co_return Error{failure_};
  }
  for (;;) {
    auto next = decoder_.next();
    if (!next) {
      count_bad();
      failure_ = next.error().message;
      close();
      co_return Error{failure_};
    }
    if (next->has_value()) {
      if (options_.counters) ++options_.counters->frames_in;
      co_return std::move(**next);
    }

    const bool mid_frame = decoder_.mid_frame();
    arm_deadline(mid_frame ? options_.frame_timeout : options_.idle_timeout);
    boost::system::error_code ec;
    co_await socket_.async_wait(tcp::socket::wait_read, asio::redirect_error(asio::use_awaitable, ec));
    const bool timed_out = deadline_fired_;
    disarm_deadline();
    std::string_view bytes;
    if (!ec) bytes = read_ready(socket_, ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) continue;
    if (ec) {
      if (timed_out && mid_frame) {
        count_bad();
        failure_ = "stalled in the middle of a frame for " + seconds_text(options_.frame_timeout);
      } else if (timed_out) {
        failure_ = "nothing received for " + seconds_text(options_.idle_timeout);
      } else if (ec == asio::error::eof) {
        failure_ = mid_frame ? "closed by peer in the middle of a frame" : "closed by peer";
        if (mid_frame) count_bad();
      } else if (failure_.empty()) {
        failure_ = ec.message();
      }
      close();
      co_return Error{failure_};
    }
    auto fed = decoder_.feed(bytes);
    if (!fed) {
      count_bad();
      failure_ = fed.error().message;
      close();
      co_return Error{failure_};
    }
  }
}

void Connection::send(const internal::Envelope& envelope) {
  if (options_.counters) ++options_.counters->frames_out;
  queue(wire::encode_frame(envelope));
}

void Connection::send_raw(std::string_view bytes) { queue(std::string(bytes)); }

void Connection::queue(std::string bytes) {
  if (!socket_.is_open()) return;
  if (pending_.size() + bytes.size() > options_.max_queued_bytes) {
    failure_ = "peer does not read: over " + std::to_string(options_.max_queued_bytes) + " bytes queued";
    close();
    return;
  }
  pending_.append(bytes);
  if (!writing_) {
    writing_ = true;
    // The coroutine's parameter keeps this connection alive until the
    // writes are done, even if every other owner lets go first.
    asio::co_spawn(socket_.get_executor(), write_loop(shared_from_this()), asio::detached);
  }
}

void Connection::close_after_flush() {
  if (!writing_) {
    close();
    return;
  }
  close_when_flushed_ = true;
}

asio::awaitable<void> Connection::write_loop(std::shared_ptr<Connection> /*self: held, not used*/) {
  std::string batch;
  while (!pending_.empty() && socket_.is_open()) {
    batch.swap(pending_);
    boost::system::error_code ec;
    co_await asio::async_write(socket_, asio::buffer(batch), asio::redirect_error(asio::use_awaitable, ec));
    batch.clear();
    if (ec) {
      if (failure_.empty()) failure_ = "write failed: " + ec.message();
      close();
      break;
    }
  }
  pending_.clear();
  writing_ = false;
  if (close_when_flushed_) close();
}

asio::awaitable<Result<std::shared_ptr<Connection>>> connect_framed(asio::any_io_executor executor, std::string host,
                                                                    uint16_t port, std::string peer_name,
                                                                    ConnectionOptions options) {
  const std::string target = host + ":" + std::to_string(port);
  tcp::resolver resolver(executor);
  boost::system::error_code ec;
  auto endpoints =
      co_await resolver.async_resolve(host, std::to_string(port), asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return Error{"resolve " + target + ": " + ec.message()};

  // The timer's handler may run after this frame moved on: it shares the
  // socket and the flag instead of pointing into the frame.
  auto socket = std::make_shared<tcp::socket>(executor);
  auto timed_out = std::make_shared<bool>(false);
  asio::steady_timer timer(executor);
  timer.expires_after(options.handshake_timeout);
  timer.async_wait([socket, timed_out](boost::system::error_code wait_ec) {
    if (wait_ec || !socket->is_open()) return;
    *timed_out = true;
    boost::system::error_code ignored;
    socket->close(ignored);
  });
  co_await asio::async_connect(*socket, endpoints, asio::redirect_error(asio::use_awaitable, ec));
  timer.cancel();
  if (*timed_out) co_return Error{"connect " + target + ": timed out"};
  if (ec) co_return Error{"connect " + target + ": " + ec.message()};

  auto connection = std::make_shared<Connection>(std::move(*socket), options);
  connection->send_raw(wire::kPreamble);
  connection->send(wire::make_hello(peer_name));
  const auto idle = options.idle_timeout;
  connection->set_idle_timeout(options.handshake_timeout);
  auto reply = co_await connection->receive();
  connection->set_idle_timeout(idle);
  if (!reply) co_return Error{"handshake with " + target + ": " + reply.error().message};
  if (reply->has_error()) {
    connection->close();
    co_return Error{"handshake with " + target + ": refused: " + reply->error().message()};
  }
  if (auto hello = wire::check_hello(*reply); !hello) {
    connection->close();
    co_return Error{"handshake with " + target + ": " + hello.error().message};
  }
  co_return connection;
}

asio::awaitable<Result<internal::Hello>> accept_framed(Connection& connection, std::string_view our_name) {
  const auto idle = connection.options().idle_timeout;
  connection.set_idle_timeout(connection.options().handshake_timeout);
  auto first = co_await connection.receive();
  connection.set_idle_timeout(idle);
  if (!first) co_return first.error();
  if (auto hello = wire::check_hello(*first); !hello) {
    if (connection.options().counters) ++connection.options().counters->bad_frames;
    connection.send(wire::make_error(hello.error().message));
    connection.close_after_flush();
    co_return hello.error();
  }
  connection.send(wire::make_hello(our_name));
  co_return first->hello();
}

}  // namespace dcos::net
