// DNS over TCP (RFC 7766): one coroutine reads a connection's queries in
// turn; replies are queued as they complete (forwarded ones may overtake
// local ones, as the RFC allows: each carries its query's id) and one
// writer sends them.
#include "runtime/asio.hpp"

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <deque>

#include "dnsproxy/server.hpp"
#include "runtime/log.hpp"

namespace dcos::dns {

namespace {

class TcpSession : public std::enable_shared_from_this<TcpSession> {
 public:
  TcpSession(Server& server, tcp::socket socket)
      : server_(server), socket_(std::move(socket)), idle_(socket_.get_executor()) {
    boost::system::error_code ec;
    const auto peer = socket_.remote_endpoint(ec);
    peer_ = ec ? "?" : peer.address().to_string() + ":" + std::to_string(peer.port());
  }

  asio::awaitable<void> run();
  void send(std::string reply);

 private:
  // `self` keeps the session alive while the coroutine runs.
  asio::awaitable<void> write_loop(std::shared_ptr<TcpSession> self);
  asio::awaitable<void> watch_idle(std::shared_ptr<TcpSession> self);
  // Closes once nothing is left to do for a client that stopped sending.
  void close_when_done();
  void close(std::string_view why);

  Server& server_;
  tcp::socket socket_;
  asio::steady_timer idle_;
  std::string peer_;
  std::deque<std::string> queue_;
  std::size_t queued_ = 0;
  std::size_t pending_ = 0;  // forwarded, awaiting the reply
  bool writing_ = false;
  bool reading_done_ = false;
};

asio::awaitable<void> TcpSession::run() {
  auto self = shared_from_this();
  ServerCounters& counters = server_.mutable_counters();
  const ServerOptions& options = server_.options();
  ++counters.tcp_connections;
  asio::co_spawn(socket_.get_executor(), watch_idle(self), asio::detached);
  std::string query, out;
  while (socket_.is_open()) {
    idle_.expires_after(options.tcp_idle_timeout);
    std::array<unsigned char, 2> length{};
    boost::system::error_code ec;
    co_await asio::async_read(socket_, asio::buffer(length), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;  // closed (possibly half: what is pending is still sent), or timed out
    const std::size_t size = std::size_t{length[0]} << 8 | length[1];
    if (size > options.max_tcp_query) {
      // Skipping it would mean reading a stream we no longer trust.
      ++counters.malformed;
      close("a query of " + std::to_string(size) + " bytes (at most " + std::to_string(options.max_tcp_query) + ")");
      break;
    }
    query.resize(size);
    co_await asio::async_read(socket_, asio::buffer(query), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
    std::size_t max_size = 0;
    switch (server_.handle(query, /*tcp=*/true, out, max_size)) {
      case Server::Outcome::reply:
        send(out);
        break;
      case Server::Outcome::drop:
        // Not a query (too short to have a header, or a response): no
        // client of ours sends that.
        close("a message that is not a query");
        break;
      case Server::Outcome::forward:
        ++pending_;
        server_.forward(out, max_size, [weak = std::weak_ptr<TcpSession>(self)](std::string reply) {
          auto session = weak.lock();
          if (!session) return;
          --session->pending_;
          if (!reply.empty()) session->send(std::move(reply));
          session->close_when_done();
        });
        break;
    }
  }
  reading_done_ = true;
  --counters.tcp_connections;
  close_when_done();
}

void TcpSession::send(std::string reply) {
  if (!socket_.is_open()) return;
  if (queued_ + reply.size() > server_.options().max_tcp_queued) {
    close("the client does not read its replies");
    return;
  }
  queued_ += reply.size();
  queue_.push_back(std::move(reply));
  if (!writing_) asio::co_spawn(socket_.get_executor(), write_loop(shared_from_this()), asio::detached);
}

asio::awaitable<void> TcpSession::write_loop([[maybe_unused]] std::shared_ptr<TcpSession> self) {
  writing_ = true;
  while (!queue_.empty() && socket_.is_open()) {
    std::string reply = std::move(queue_.front());
    queue_.pop_front();
    queued_ -= reply.size();
    const std::array<unsigned char, 2> length = {static_cast<unsigned char>(reply.size() >> 8),
                                                 static_cast<unsigned char>(reply.size())};
    const std::array<asio::const_buffer, 2> buffers = {asio::buffer(length), asio::buffer(reply)};
    boost::system::error_code ec;
    co_await asio::async_write(socket_, buffers, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      close("writing: " + ec.message());
      break;
    }
    idle_.expires_after(server_.options().tcp_idle_timeout);
  }
  writing_ = false;
  close_when_done();
}

asio::awaitable<void> TcpSession::watch_idle([[maybe_unused]] std::shared_ptr<TcpSession> self) {
  // The reader and writer push the deadline on; this waits for it to pass.
  while (socket_.is_open()) {
    boost::system::error_code ec;
    co_await idle_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (socket_.is_open() && idle_.expiry() <= asio::steady_timer::clock_type::now())
      close("idle for " +
            std::to_string(std::chrono::duration_cast<std::chrono::seconds>(server_.options().tcp_idle_timeout).count()) +
            "s");
  }
}

void TcpSession::close_when_done() {
  if (reading_done_ && pending_ == 0 && !writing_ && queue_.empty() && socket_.is_open()) close({});
}

void TcpSession::close(std::string_view why) {
  if (!why.empty()) log::debug("dns: closing the TCP connection of " + peer_ + ": " + std::string(why));
  boost::system::error_code ignored;
  socket_.close(ignored);
  idle_.cancel();
}

}  // namespace

asio::awaitable<void> serve_tcp(Server& server, tcp::socket socket) {
  auto session = std::make_shared<TcpSession>(server, std::move(socket));
  co_await session->run();
}

}  // namespace dcos::dns
