#include "runtime/http_server.hpp"

#include <cstring>
#include <string>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include "runtime/asio.hpp"

#include <boost/asio/write.hpp>

namespace dcos::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

namespace {

Request to_request(const bhttp::request<bhttp::string_body>& in) {
  Request out;
  out.method = std::string(in.method_string());
  out.target = std::string(in.target());
  const auto question = out.target.find('?');
  out.path = out.target.substr(0, question);
  if (question != std::string::npos) out.query = parse_query(std::string_view(out.target).substr(question + 1));
  for (const auto& field : in) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers[name] = std::string(field.value());
  }
  out.body = in.body();
  return out;
}

bhttp::response<bhttp::string_body> to_beast(const Response& in, unsigned version, bool keep_alive, bool head) {
  bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(in.status), version};
  out.set(bhttp::field::server, "dcos/" DCOS_VERSION);
  out.set(bhttp::field::content_type, in.content_type);
  for (const auto& [name, value] : in.headers) out.set(name, value);
  out.keep_alive(keep_alive);
  out.body() = in.body;
  out.prepare_payload();
  if (head) out.body().clear();
  return out;
}

// Waits for the client to go away while a stream is written: a streaming
// client sends nothing more, so end of stream or an error means it is gone.
struct StreamWatch {
  explicit StreamWatch(asio::any_io_executor executor) : wake(executor) {}
  asio::steady_timer wake;  // cancelled to wake the writer
  bool gone = false;
  bool reader_done = false;
};

asio::awaitable<void> watch_client(asio::ip::tcp::socket& socket, StreamWatch& watch) {
  char discard[4096];
  boost::system::error_code ec;
  while (!ec) co_await socket.async_read_some(asio::buffer(discard), asio::redirect_error(asio::use_awaitable, ec));
  watch.gone = true;
  watch.reader_done = true;
  watch.wake.cancel();
}

asio::awaitable<void> sleep_until_woken(StreamWatch& watch) {
  watch.wake.expires_at(asio::steady_timer::time_point::max());
  boost::system::error_code ignored;
  co_await watch.wake.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
}

// Sends the status and headers, then each write of the stream as a chunk
// until the owner closes it (last chunk) or the client goes away. Always
// ends the connection: a stream is the last answer on it.
asio::awaitable<void> send_stream(beast::tcp_stream& stream, const Response& reply, unsigned version,
                                  const ServerLimits& limits) {
  Stream& body = *reply.stream;
  StreamWatch watch(stream.get_executor());
  body.set_wakeup([&watch] { watch.wake.cancel(); });
  asio::co_spawn(stream.get_executor(), watch_client(stream.socket(), watch), asio::detached);

  bhttp::response<bhttp::empty_body> head{static_cast<bhttp::status>(reply.status), version};
  head.set(bhttp::field::server, "dcos/" DCOS_VERSION);
  head.set(bhttp::field::content_type, reply.content_type);
  for (const auto& [name, value] : reply.headers) head.set(name, value);
  head.chunked(true);
  bhttp::response_serializer<bhttp::empty_body> serializer{head};
  boost::system::error_code ec;
  stream.expires_after(limits.request_timeout);
  co_await bhttp::async_write_header(stream, serializer, asio::redirect_error(asio::use_awaitable, ec));
  while (!ec && !watch.gone) {
    std::string data = body.take();
    // A client that stops reading is dropped after request_timeout.
    stream.expires_after(limits.request_timeout);
    if (!data.empty()) {
      co_await asio::async_write(stream, bhttp::make_chunk(asio::buffer(data)),
                                 asio::redirect_error(asio::use_awaitable, ec));
    } else if (body.closing()) {
      co_await asio::async_write(stream, bhttp::make_chunk_last(), asio::redirect_error(asio::use_awaitable, ec));
      break;
    } else {
      stream.expires_never();
      co_await sleep_until_woken(watch);
    }
  }
  body.set_wakeup(nullptr);
  body.client_gone();  // tells the owner, unless it closed the stream itself
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  stream.socket().cancel(ec);
  // The watcher uses `watch` and the socket: outlive it.
  while (!watch.reader_done) co_await sleep_until_woken(watch);
}

// Ends a connection after an error answered before the whole request was
// read (a "lingering close"). Closing at once, with the client's bytes
// still arriving, makes the kernel answer them with a reset, and a client
// that writes its whole body before it reads (most do) gets EPIPE or
// ECONNRESET from its write and never reads the answer, which may itself
// be discarded by the reset. So: end our side (the answer, then FIN, which
// the client reads after the answer), read and discard until the client
// closes, up to `linger_bytes` or `linger_time`, then close.
asio::awaitable<void> linger_close(beast::tcp_stream& stream, beast::flat_buffer& buffer, const ServerLimits& limits) {
  boost::system::error_code ec;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  std::size_t discarded = buffer.size();
  buffer.consume(buffer.size());
  // The stream closes the socket when the deadline passes, ending the read.
  stream.expires_after(limits.linger_time);
  char discard[16384];
  while (!ec && discarded < limits.linger_bytes)
    discarded += co_await stream.async_read_some(asio::buffer(discard), asio::redirect_error(asio::use_awaitable, ec));
  stream.expires_never();
}

// Answers a request that cannot be served (`status`, `message`), then ends
// the connection with a lingering close.
asio::awaitable<void> refuse(beast::tcp_stream& stream, beast::flat_buffer& buffer, const ServerLimits& limits,
                             unsigned status, const std::string& message) {
  auto response = to_beast(Response::error(status, message), 11, false, false);
  boost::system::error_code ec;
  stream.expires_after(limits.request_timeout);
  co_await bhttp::async_write(stream, response, asio::redirect_error(asio::use_awaitable, ec));
  if (!ec) co_await linger_close(stream, buffer, limits);
}

}  // namespace

asio::awaitable<void> serve(asio::ip::tcp::socket socket, std::string_view received, const Router& router,
                            ServerLimits limits) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  if (!received.empty()) {
    auto space = buffer.prepare(received.size());
    std::memcpy(space.data(), received.data(), received.size());
    buffer.commit(received.size());
  }
  for (;;) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
    parser.body_limit(limits.max_body_bytes);
    stream.expires_after(limits.request_timeout);
    boost::system::error_code ec;
    co_await bhttp::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::eof ||
        ec == asio::error::connection_reset || ec == asio::error::operation_aborted) {
      break;
    }
    if (ec == bhttp::error::body_limit) {
      co_await refuse(stream, buffer, limits, 413,
                      "request body over the body limit of " + std::to_string(limits.max_body_bytes) + " bytes");
      co_return;
    }
    if (ec) {
      // The request cannot be understood; say why and hang up.
      co_await refuse(stream, buffer, limits, 400, "bad request: " + ec.message());
      co_return;
    }
    const auto& request = parser.get();
    const Response reply = router.dispatch(to_request(request));
    if (reply.stream) {
      co_await send_stream(stream, reply, request.version(), limits);
      co_return;
    }
    auto response = to_beast(reply, request.version(), request.keep_alive(), request.method() == bhttp::verb::head);
    stream.expires_after(limits.request_timeout);
    co_await bhttp::async_write(stream, response, asio::redirect_error(asio::use_awaitable, ec));
    if (ec || !response.keep_alive()) break;
  }
  boost::system::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
}

}  // namespace dcos::http
