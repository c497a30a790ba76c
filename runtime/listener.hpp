// One TCP port, two protocols: a Listener accepts connections and looks at
// their first bytes. "DCOS" (the framed transport's preamble) hands the
// socket to the framed handler; anything else is HTTP and goes to the
// router. So every daemon serves its agents and its HTTP API on one port,
// as Mesos does. A connection that sends nothing for `sniff_timeout` is
// closed.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include "runtime/asio.hpp"

#include "runtime/connection.hpp"
#include "runtime/http.hpp"
#include "runtime/http_server.hpp"
#include "runtime/result.hpp"

namespace dcos::net {

using FramedHandler = std::function<asio::awaitable<void>(std::shared_ptr<Connection>)>;

struct ListenerOptions {
  ConnectionOptions framed;
  http::ServerLimits http;
  Clock::duration sniff_timeout = std::chrono::seconds(10);
};

class Listener {
 public:
  // Binds and listens (port 0 picks a free port, see port()). `router` must
  // outlive the Listener. `framed` may be empty: framed peers are refused.
  static Result<std::unique_ptr<Listener>> bind(asio::any_io_executor executor, const tcp::endpoint& endpoint,
                                                const http::Router& router, FramedHandler framed,
                                                ListenerOptions options = {});

  void start();
  void stop();
  uint16_t port() const;

  Listener(tcp::acceptor acceptor, const http::Router& router, FramedHandler framed, ListenerOptions options);

 private:
  asio::awaitable<void> accept_loop();
  asio::awaitable<void> sniff(tcp::socket socket);

  tcp::acceptor acceptor_;
  const http::Router& router_;
  FramedHandler framed_;
  ListenerOptions options_;
};

}  // namespace dcos::net
