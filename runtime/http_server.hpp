// Serves HTTP/1.1 (Boost.Beast) on an accepted socket, with keep-alive,
// bounded headers and bodies, and timeouts, dispatching to a Router.
// Malformed requests get a 400 with the parser's reason and a close; a body
// over `max_body_bytes` gets a 413. Both answers may come before the client
// has sent its whole request, so the close lingers: the server ends its
// side, then reads and discards what still comes (at most `linger_bytes`,
// for at most `linger_time`) before it closes, so that the client's writes
// do not meet a reset and it reads the answer. A Response carrying a Stream (http.hpp)
// is sent with chunked transfer encoding until its owner closes it or the
// client goes away; it is the last answer on its connection.
#pragma once

#include <chrono>
#include <cstddef>
#include <string_view>

#include "runtime/asio.hpp"

#include "runtime/http.hpp"

namespace dcos::http {

struct ServerLimits {
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_body_bytes = 1024 * 1024;
  std::chrono::steady_clock::duration request_timeout = std::chrono::seconds(30);
  std::size_t linger_bytes = 64 * 1024 * 1024;
  std::chrono::steady_clock::duration linger_time = std::chrono::seconds(5);
};

// `received` holds bytes already read from the socket (by the Listener).
boost::asio::awaitable<void> serve(boost::asio::ip::tcp::socket socket, std::string_view received, const Router& router,
                                   ServerLimits limits = {});

}  // namespace dcos::http
