#include "runtime/http_client.hpp"

#include "runtime/flags.hpp"

#include <charconv>

#include <boost/asio/connect.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include "runtime/asio.hpp"

namespace dcos::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

void add_host_port_flag(FlagSet& flags, std::string name, std::string help, std::string* host, uint16_t* port,
                        uint16_t default_port) {
  const std::string shown = (host->find(':') != std::string::npos ? "[" + *host + "]" : *host) + ":" + std::to_string(*port);
  flags.add(std::move(name), std::move(help), shown, [host, port, default_port](std::string_view text) -> Result<void> {
    auto address = split_host_port(std::string(text), default_port);
    if (!address) return address.error();
    std::tie(*host, *port) = *address;
    return {};
  });
}

Result<std::pair<std::string, uint16_t>> split_host_port(const std::string& text, uint16_t default_port) {
  std::string host = text;
  std::string port_text;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string::npos) return Error{"'" + text + "' has no closing ']'"};
    host = text.substr(1, close - 1);
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':') return Error{"'" + text + "': expected ':' after ']'"};
      port_text = text.substr(close + 2);
    }
  } else if (const auto colon = text.rfind(':'); colon != std::string::npos) {
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  if (host.empty()) return Error{"'" + text + "' has no host"};
  uint16_t port = default_port;
  if (!port_text.empty() || text.ends_with(':')) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || value > 65535)
      return Error{"'" + text + "': '" + port_text + "' is not a port number (0-65535)"};
    port = static_cast<uint16_t>(value);
  }
  return std::pair{host, port};
}

Result<Reply> fetch(const std::string& method, const std::string& host, uint16_t port, const std::string& target,
                    const std::string& body, const std::string& content_type, std::chrono::milliseconds timeout) {
  const std::string where = method + " http://" + host + ":" + std::to_string(port) + target;
  asio::io_context io;
  asio::ip::tcp::resolver resolver(io);
  beast::tcp_stream stream(io);
  // A large cluster's /master/state is many megabytes: allow up to 256 MiB.
  bhttp::response_parser<bhttp::string_body> response;
  response.body_limit(256 * 1024 * 1024);
  beast::flat_buffer buffer;
  boost::system::error_code result;

  // Asynchronous operations run to completion on a private io_context, so
  // the whole exchange shares one deadline.
  stream.expires_after(timeout);
  bhttp::request<bhttp::string_body> request{bhttp::string_to_verb(method), target, 11};
  request.set(bhttp::field::host, host + ":" + std::to_string(port));
  request.set(bhttp::field::user_agent, "dcos/" DCOS_VERSION);
  request.set(bhttp::field::connection, "close");
  if (!body.empty() || method == "POST") {
    request.set(bhttp::field::content_type, content_type);
    request.body() = body;
    request.prepare_payload();
  }
  resolver.async_resolve(host, std::to_string(port), [&](boost::system::error_code ec, auto endpoints) {
    if (ec) {
      result = ec;
      return;
    }
    stream.async_connect(endpoints, [&](boost::system::error_code ec, auto) {
      if (ec) {
        result = ec;
        return;
      }
      // A server may answer (a 413, say) and close before the whole body
      // is sent: after a failed write, its answer may still be there to
      // read. Only if it is not does the write's error stand.
      bhttp::async_write(stream, request, [&](boost::system::error_code write_ec, std::size_t) {
        if (write_ec == beast::error::timeout) {
          result = write_ec;
          return;
        }
        bhttp::async_read(stream, buffer, response, [&, write_ec](boost::system::error_code ec, std::size_t) {
          result = ec && write_ec ? write_ec : ec;
        });
      });
    });
  });
  io.run();
  if (result) return Error{where + ": " + result.message()};
  Reply reply;
  reply.status = response.get().result_int();
  reply.content_type = std::string(response.get()[bhttp::field::content_type]);
  reply.body = std::move(response.get().body());
  boost::system::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  return reply;
}

}  // namespace dcos::http
