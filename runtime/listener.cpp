#include "runtime/listener.hpp"

#include "runtime/asio.hpp"

#include "runtime/log.hpp"

namespace dcos::net {

Result<std::unique_ptr<Listener>> Listener::bind(asio::any_io_executor executor, const tcp::endpoint& endpoint,
                                                 const http::Router& router, FramedHandler framed,
                                                 ListenerOptions options) {
  tcp::acceptor acceptor(executor);
  boost::system::error_code ec;
  const std::string where = endpoint_text(endpoint);
  acceptor.open(endpoint.protocol(), ec);
  if (ec) return Error{"socket for " + where + ": " + ec.message()};
  acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  acceptor.bind(endpoint, ec);
  if (ec) return Error{"bind " + where + ": " + ec.message()};
  acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Error{"listen " + where + ": " + ec.message()};
  return std::make_unique<Listener>(std::move(acceptor), router, std::move(framed), options);
}

Listener::Listener(tcp::acceptor acceptor, const http::Router& router, FramedHandler framed, ListenerOptions options)
    : acceptor_(std::move(acceptor)), router_(router), framed_(std::move(framed)), options_(options) {}

uint16_t Listener::port() const {
  boost::system::error_code ec;
  return acceptor_.local_endpoint(ec).port();
}

void Listener::start() { asio::co_spawn(acceptor_.get_executor(), accept_loop(), asio::detached); }

void Listener::stop() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
}

asio::awaitable<void> Listener::accept_loop() {
  while (acceptor_.is_open()) {
    boost::system::error_code ec;
    tcp::socket socket = co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted) break;
    if (ec) {
      // EMFILE and friends: say so, breathe, and keep accepting.
      log::warning("accept failed, retrying in 100ms: " + ec.message());
      asio::steady_timer pause(acceptor_.get_executor(), std::chrono::milliseconds(100));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    asio::co_spawn(acceptor_.get_executor(), sniff(std::move(socket)), asio::detached);
  }
}

asio::awaitable<void> Listener::sniff(tcp::socket socket) {
  // Read until the first bytes tell the protocol apart (or the peer gives up).
  std::string received(4096, '\0');
  std::size_t have = 0;
  asio::steady_timer timer(socket.get_executor());
  timer.expires_after(options_.sniff_timeout);
  // A timer that fired just as the read finished still runs its handler
  // after cancel(): it may touch the socket only while this frame sniffs.
  auto sniffing = std::make_shared<bool>(true);
  struct Done {
    std::shared_ptr<bool> flag;
    ~Done() { *flag = false; }
  } done{sniffing};
  timer.async_wait([&socket, sniffing](boost::system::error_code ec) {
    if (!ec && *sniffing) socket.cancel(ec);
  });
  while (have < wire::kPreamble.size()) {
    boost::system::error_code ec;
    const std::size_t n = co_await socket.async_read_some(asio::buffer(received.data() + have, received.size() - have),
                                                          asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      timer.cancel();
      co_return;  // closed or silent before saying anything: nothing to answer
    }
    have += n;
    if (std::string_view(received.data(), have) != wire::kPreamble.substr(0, std::min(have, wire::kPreamble.size())))
      break;  // not our preamble: HTTP (or garbage, which the HTTP parser rejects)
  }
  timer.cancel();
  *sniffing = false;
  received.resize(have);

  if (std::string_view(received).starts_with(wire::kPreamble)) {
    auto connection = std::make_shared<Connection>(std::move(socket), options_.framed,
                                                   std::string_view(received).substr(wire::kPreamble.size()));
    if (!framed_) {
      log::warning("refusing framed connection from " + connection->peer() + ": this port serves HTTP only");
      connection->close();
      co_return;
    }
    co_await framed_(std::move(connection));
  } else {
    co_await http::serve(std::move(socket), received, router_, options_.http);
  }
}

}  // namespace dcos::net
