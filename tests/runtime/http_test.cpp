// HTTP routing and query parsing as plain functions, then the server through
// a real Listener on loopback with a Beast client. Server and client share
// one io_context driven by the test thread; every wait is bounded.
#include "runtime/http.hpp"

#include <gtest/gtest.h>

#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "runtime/http_client.hpp"
#include "runtime/listener.hpp"

namespace dcos::http {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

Request request(std::string method, std::string path) {
  Request r;
  r.method = std::move(method);
  r.path = path;
  r.target = std::move(path);
  return r;
}

Router sample_router() {
  Router router;
  router.get("/state", [](const Request&) { return Response::json(R"({"ok":true})"); });
  router.post("/state", [](const Request& r) { return Response::text("posted " + r.body); });
  router.get("/only-get", [](const Request&) { return Response::text("got"); });
  return router;
}

std::string header(const Response& response, std::string_view name) {
  for (const auto& [key, value] : response.headers)
    if (key == name) return value;
  return "";
}

TEST(Router, UnknownPathIs404WithAMessage) {
  const auto response = sample_router().dispatch(request("GET", "/nope"));
  EXPECT_EQ(response.status, 404u);
  EXPECT_EQ(response.body, "no such endpoint: /nope\n");
  EXPECT_TRUE(response.content_type.starts_with("text/plain"));
}

TEST(Router, OtherMethodIs405WithAllow) {
  const Router router = sample_router();
  auto response = router.dispatch(request("DELETE", "/state"));
  EXPECT_EQ(response.status, 405u);
  EXPECT_EQ(header(response, "Allow"), "GET, POST");
  EXPECT_NE(response.body.find("DELETE is not allowed on /state"), std::string::npos) << response.body;

  response = router.dispatch(request("POST", "/only-get"));
  EXPECT_EQ(response.status, 405u);
  EXPECT_EQ(header(response, "Allow"), "GET");
}

TEST(Router, DispatchesByMethodAndServesHeadAsGet) {
  const Router router = sample_router();
  auto post = request("POST", "/state");
  post.body = "x";
  EXPECT_EQ(router.dispatch(post).body, "posted x");
  EXPECT_EQ(router.dispatch(request("GET", "/state")).body, R"({"ok":true})");
  const auto head = router.dispatch(request("HEAD", "/only-get"));
  EXPECT_EQ(head.status, 200u);
  EXPECT_EQ(head.body, "got");  // the server drops the body of a HEAD answer
}

TEST(ParseQuery, DecodesEscapesAndPlus) {
  const auto query = parse_query("a=1&b=x%20y&c=a+b&flag&&e=%zz&f=%4&g=%2B%2b&k%3D=v=w");
  EXPECT_EQ(query.at("a"), "1");
  EXPECT_EQ(query.at("b"), "x y");
  EXPECT_EQ(query.at("c"), "a b");
  EXPECT_EQ(query.at("flag"), "");
  EXPECT_EQ(query.at("e"), "%zz");  // malformed escapes are kept
  EXPECT_EQ(query.at("f"), "%4");
  EXPECT_EQ(query.at("g"), "++");
  EXPECT_EQ(query.at("k="), "v=w");
  EXPECT_EQ(query.size(), 8u);
  EXPECT_TRUE(parse_query("").empty());
  EXPECT_EQ(parse_query("x=1&x=2").at("x"), "2");
}

TEST(SplitHostPort, AcceptsHostsAddressesAndDefaults) {
  using Pair = std::pair<std::string, uint16_t>;
  const std::vector<std::pair<std::string, Pair>> good = {
      {"10.0.0.1:5050", {"10.0.0.1", 5050}},  {"[::1]:5051", {"::1", 5051}},           {"[fe80::1]", {"fe80::1", 80}},
      {"master.mesos", {"master.mesos", 80}}, {"master.mesos:0", {"master.mesos", 0}}, {"h:65535", {"h", 65535}},
  };
  for (const auto& [text, expected] : good) {
    auto split = split_host_port(text, 80);
    ASSERT_TRUE(split) << text << ": " << split.error().message;
    EXPECT_EQ(*split, expected) << text;
  }
}

TEST(SplitHostPort, RejectsBadPortsAndHosts) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"h:65536", "is not a port number"},
      {"h:-1", "is not a port number"},
      {"h:80x", "is not a port number"},
      {"h:", "is not a port number"},
      {":5050", "has no host"},
      {"[::1", "no closing ']'"},
      {"[::1]5050", "expected ':'"},
      {"", "has no host"},
  };
  for (const auto& [text, reason] : bad) {
    auto split = split_host_port(text, 80);
    ASSERT_FALSE(split) << "'" << text << "' was accepted";
    EXPECT_NE(split.error().message.find(reason), std::string::npos) << text << ": " << split.error().message;
  }
}

// ---- through a real Listener ----

// Runs `io` until `done` holds or the bound passes; returns `done()`.
bool run_until(asio::io_context& io, const std::function<bool()>& done, Clock::duration bound = 20s) {
  const auto deadline = Clock::now() + bound;
  while (!done() && Clock::now() < deadline) {
    if (io.stopped()) io.restart();
    io.run_one_until(deadline);
  }
  return done();
}

// One client connection: Beast writes and reads with a deadline each.
class Client {
 public:
  Client(asio::io_context& io, uint16_t port) : io_(io), state_(std::make_shared<State>(io)) {
    state_->stream.expires_after(10s);
    auto done = std::make_shared<std::optional<boost::system::error_code>>();
    state_->stream.async_connect(tcp::endpoint{asio::ip::make_address("127.0.0.1"), port},
                                 [state = state_, done](boost::system::error_code ec) { *done = ec; });
    run_until(io_, [done] { return done->has_value(); });
    EXPECT_TRUE(done->has_value() && !**done) << "cannot connect to port " << port;
  }

  // Writes bytes as they are (to send what no well-behaved client would).
  boost::system::error_code send_raw(std::string bytes) {
    auto buffer = std::make_shared<std::string>(std::move(bytes));
    return wait([&](auto done) {
      asio::async_write(state_->stream, asio::buffer(*buffer), [buffer, done](auto ec, std::size_t) { *done = ec; });
    });
  }

  // Writes the whole request; the write's error, if any.
  boost::system::error_code send(std::string method, std::string target, std::string body = {},
                                 bool keep_alive = true) {
    auto message = std::make_shared<bhttp::request<bhttp::string_body>>(bhttp::string_to_verb(method), target, 11);
    message->set(bhttp::field::host, "test");
    message->keep_alive(keep_alive);
    message->body() = std::move(body);
    message->prepare_payload();
    return wait([&](auto done) {
      bhttp::async_write(state_->stream, *message, [message, done](auto ec, std::size_t) { *done = ec; });
    });
  }

  // The next response; its status is 0 when none could be read.
  bhttp::response<bhttp::string_body> read() {
    auto response = std::make_shared<bhttp::response<bhttp::string_body>>();
    const auto ec = wait([&](auto done) {
      bhttp::async_read(state_->stream, state_->buffer, *response,
                        [state = state_, response, done](auto ec, std::size_t) { *done = ec; });
    });
    return ec ? bhttp::response<bhttp::string_body>{} : *response;
  }

  // True once the server has closed its side.
  bool closed_by_server() {
    const auto ec = wait([&](auto done) {
      state_->stream.async_read_some(state_->buffer.prepare(1),
                                     [state = state_, done](auto ec, std::size_t) { *done = ec; });
    });
    return ec == asio::error::eof || ec == asio::error::connection_reset;
  }

 private:
  struct State {
    explicit State(asio::io_context& io) : stream(io) {}
    beast::tcp_stream stream;
    beast::flat_buffer buffer;
  };
  using Done = std::shared_ptr<std::optional<boost::system::error_code>>;

  boost::system::error_code wait(const std::function<void(Done)>& start) {
    auto done = std::make_shared<std::optional<boost::system::error_code>>();
    state_->stream.expires_after(10s);
    start(done);
    run_until(io_, [done] { return done->has_value(); });
    return done->value_or(asio::error::timed_out);
  }

  asio::io_context& io_;
  std::shared_ptr<State> state_;
};

class HttpServerTest : public ::testing::Test {
 protected:
  HttpServerTest() {
    router_.get("/ping", [](const Request&) { return Response::text("pong"); });
    router_.post("/echo", [](const Request& r) { return Response::text(r.body); });
    net::ListenerOptions options;
    options.http.max_body_bytes = 1024;
    // Room for a loaded machine to move kHugeBody through loopback.
    options.http.linger_time = 30s;
    listen(options);
  }
  ~HttpServerTest() override { stop(); }

  void listen(const net::ListenerOptions& options) {
    auto bound =
        net::Listener::bind(io_.get_executor(), {asio::ip::make_address("127.0.0.1"), 0}, router_, {}, options);
    if (!bound) throw std::runtime_error(bound.error().message);
    listener_ = std::move(*bound);
    listener_->start();
    port_ = listener_->port();
  }

  void stop() {
    if (!listener_) return;
    listener_->stop();
    io_.restart();
    io_.poll();  // lets the accept loop see it was stopped
    listener_.reset();
  }

  void expect_still_serving() {
    Client client(io_, port_);
    client.send("GET", "/ping");
    const auto response = client.read();
    EXPECT_EQ(response.result_int(), 200u);
    EXPECT_EQ(response.body(), "pong");
  }

  asio::io_context io_;
  Router router_;
  std::unique_ptr<net::Listener> listener_;
  uint16_t port_ = 0;
};

TEST_F(HttpServerTest, BodyWithinTheLimitIsServed) {
  Client client(io_, port_);
  client.send("POST", "/echo", std::string(1024, 'b'), false);
  const auto response = client.read();
  EXPECT_EQ(response.result_int(), 200u);
  EXPECT_EQ(response.body(), std::string(1024, 'b'));
}

TEST_F(HttpServerTest, BodyOverTheLimitIs4xxAndTheServerKeepsServing) {
  // Declared too long (refused from the header), then chunked past the limit.
  const std::vector<std::string> requests = {
      "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1000000\r\n\r\n" + std::string(512, 'x'),
      "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n" + std::string(2048, 'x') +
          "\r\n0\r\n\r\n",
  };
  for (const auto& bytes : requests) {
    Client client(io_, port_);
    client.send_raw(bytes);
    const auto response = client.read();
    EXPECT_TRUE(response.result_int() == 413 || response.result_int() == 400) << response.result_int();
    EXPECT_NE(response.body().find("body limit"), std::string::npos) << response.body();
    EXPECT_TRUE(client.closed_by_server());
    expect_still_serving();
  }
}

// Far over the limit, and more than loopback's socket buffers hold.
constexpr std::size_t kHugeBody = 48 * 1024 * 1024;

// A client that writes its whole request before it reads, as most do (curl,
// http::fetch): the 413 comes after the header, the server drains the rest
// of the body (a lingering close), so the write completes and the answer is
// read. (A server closing at once reset the connection under the write:
// EPIPE or ECONNRESET, and no answer.)
TEST_F(HttpServerTest, BodyFarOverTheLimitWrittenWholeThenReadGets413) {
  Client client(io_, port_);
  const auto written = client.send("POST", "/echo", std::string(kHugeBody, 'x'));
  EXPECT_FALSE(written) << written.message();
  const auto response = client.read();
  EXPECT_EQ(response.result_int(), 413u);
  EXPECT_NE(response.body().find("body limit"), std::string::npos) << response.body();
  EXPECT_FALSE(response.keep_alive());
  EXPECT_TRUE(client.closed_by_server());
  expect_still_serving();
}

// The blocking client of runtime/http_client.hpp, in a thread of its own
// against the server on the test's thread: the same 413.
TEST_F(HttpServerTest, FetchOfABodyFarOverTheLimitGets413) {
  std::optional<Result<Reply>> reply;
  std::atomic<bool> fetched{false};
  std::thread fetcher([&] {
    reply = fetch("POST", "127.0.0.1", port_, "/echo", std::string(kHugeBody, 'x'), "text/plain", 60s);
    fetched = true;
  });
  // The fetcher's last step (its close) may be the server's last event:
  // look at `fetched` every 20 ms, not only after an event.
  const auto deadline = Clock::now() + 60s;
  while (!fetched && Clock::now() < deadline) {
    if (io_.stopped()) io_.restart();
    io_.run_one_for(20ms);
  }
  fetcher.join();
  ASSERT_TRUE(reply.has_value());
  ASSERT_TRUE(*reply) << reply->error().message;
  EXPECT_EQ((*reply)->status, 413u) << (*reply)->body;
}

// The linger is bounded in bytes: past linger_bytes the server closes, and
// the rest of the client's write meets a reset.
TEST_F(HttpServerTest, LingerEndsAfterLingerBytes) {
  stop();
  net::ListenerOptions options;
  options.http.max_body_bytes = 1024;
  options.http.linger_bytes = 64 * 1024;
  listen(options);
  Client client(io_, port_);
  EXPECT_TRUE(client.send("POST", "/echo", std::string(kHugeBody, 'x')));
  expect_still_serving();
}

// And in time: a client still sending after linger_time is cut off.
TEST_F(HttpServerTest, LingerEndsAfterLingerTime) {
  stop();
  net::ListenerOptions options;
  options.http.max_body_bytes = 1024;
  options.http.linger_time = 100ms;
  listen(options);
  Client client(io_, port_);
  client.send_raw("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10000000\r\n\r\n");
  EXPECT_EQ(client.read().result_int(), 413u);
  // 1 KiB every 20 ms (far below linger_bytes) until a write fails: 10 s at most.
  bool cut_off = false;
  for (int i = 0; i < 500 && !cut_off; ++i) {
    std::this_thread::sleep_for(20ms);
    cut_off = static_cast<bool>(client.send_raw(std::string(1024, 'x')));
  }
  EXPECT_TRUE(cut_off);
  expect_still_serving();
}

TEST_F(HttpServerTest, MalformedRequestLineIs400) {
  for (const std::string bytes : {"NOT A REQUEST\r\n\r\n", "\x01\x02\x03 / HTTP/1.1\r\n\r\n", "GET /\r\n\r\n",
                                  "GET / HTTP/1.1\r\nNo colon here\r\n\r\n"}) {
    Client client(io_, port_);
    client.send_raw(bytes);
    const auto response = client.read();
    EXPECT_EQ(response.result_int(), 400u) << bytes;
    EXPECT_TRUE(response.body().starts_with("bad request: ")) << response.body();
    EXPECT_TRUE(client.closed_by_server()) << bytes;
  }
  expect_still_serving();
}

TEST_F(HttpServerTest, KeepAliveServesTwoRequestsOnOneConnection) {
  Client client(io_, port_);
  client.send("GET", "/ping");
  const auto first = client.read();
  EXPECT_EQ(first.result_int(), 200u);
  EXPECT_TRUE(first.keep_alive());
  client.send("POST", "/echo", "again", false);
  const auto second = client.read();
  EXPECT_EQ(second.result_int(), 200u);
  EXPECT_EQ(second.body(), "again");
  EXPECT_FALSE(second.keep_alive());
  EXPECT_TRUE(client.closed_by_server());
}

TEST_F(HttpServerTest, UnknownPathAndWrongMethodOverTheWire) {
  Client client(io_, port_);
  client.send("GET", "/missing?x=1");
  const auto missing = client.read();
  EXPECT_EQ(missing.result_int(), 404u);
  EXPECT_EQ(missing.body(), "no such endpoint: /missing\n");
  client.send("DELETE", "/ping", {}, false);
  const auto wrong = client.read();
  EXPECT_EQ(wrong.result_int(), 405u);
  EXPECT_EQ(wrong[bhttp::field::allow], "GET");
}

}  // namespace
}  // namespace dcos::http
