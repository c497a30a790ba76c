#include "runtime/http_server.hpp"

#include <cstring>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include "runtime/asio.hpp"

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
    if (ec) {
      // The request cannot be understood; say why and hang up.
      auto response = to_beast(Response::error(400, "bad request: " + ec.message()), 11, false, false);
      stream.expires_after(limits.request_timeout);
      co_await bhttp::async_write(stream, response, asio::redirect_error(asio::use_awaitable, ec));
      break;
    }
    const auto& request = parser.get();
    const Response reply = router.dispatch(to_request(request));
    auto response = to_beast(reply, request.version(), request.keep_alive(), request.method() == bhttp::verb::head);
    stream.expires_after(limits.request_timeout);
    co_await bhttp::async_write(stream, response, asio::redirect_error(asio::use_awaitable, ec));
    if (ec || !response.keep_alive()) break;
  }
  boost::system::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
}

}  // namespace dcos::http
