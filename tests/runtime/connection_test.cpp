// The framed transport through a real Listener on loopback, with
// well-behaved and misbehaving peers. The server, the framed clients and the
// raw peers all run on one io_context driven by the test thread, so there are
// no threads to join and the counters can be read directly; every wait is
// bounded (run_until).
#include "runtime/connection.hpp"

#include <gtest/gtest.h>

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "runtime/listener.hpp"
#include "tests/support/frames.hpp"

namespace dcos::net {
namespace {

using namespace std::chrono_literals;
using dcos::testing::decode_all;

constexpr Clock::duration kBound = 20s;  // the most any single wait may take

// Runs `io` until `done` holds or `bound` passes; returns `done()`.
bool run_until(asio::io_context& io, const std::function<bool()>& done, Clock::duration bound = kBound) {
  const auto deadline = Clock::now() + bound;
  while (!done() && Clock::now() < deadline) {
    if (io.stopped()) io.restart();
    io.run_one_until(deadline);
  }
  return done();
}

std::string frame_header(uint32_t size) {
  const char bytes[4] = {static_cast<char>(size >> 24), static_cast<char>(size >> 16), static_cast<char>(size >> 8),
                         static_cast<char>(size)};
  return std::string(bytes, 4);
}

internal::Envelope hello_with_version(uint32_t version) {
  auto envelope = wire::make_hello("test-peer");
  envelope.mutable_hello()->set_protocol_version(version);
  return envelope;
}

std::string valid_opening() { return std::string(wire::kPreamble) + wire::encode_frame(wire::make_hello("raw-peer")); }

// A TCP peer that writes exactly the bytes it is given and reads only when
// asked. Its state is shared with the pending operations, so destroying the
// peer while a read is in flight is safe.
class RawPeer {
 public:
  RawPeer(asio::io_context& io, uint16_t port, std::size_t receive_buffer = 0) : io_(io) {
    state_ = std::make_shared<State>(io);
    if (receive_buffer > 0) {
      state_->socket.open(tcp::v4());
      state_->socket.set_option(asio::socket_base::receive_buffer_size(static_cast<int>(receive_buffer)));
    }
    state_->socket.async_connect({asio::ip::make_address("127.0.0.1"), port},
                                 [state = state_](boost::system::error_code ec) {
                                   state->connected = !ec;
                                   state->closed = static_cast<bool>(ec);
                                 });
    run_until(io_, [state = state_] { return state->connected || state->closed; });
    EXPECT_TRUE(state_->connected) << "cannot connect to port " << port;
  }
  ~RawPeer() {
    boost::system::error_code ignored;
    state_->socket.close(ignored);
  }

  void send(std::string bytes) {
    auto state = state_;
    auto buffer = std::make_shared<std::string>(std::move(bytes));
    auto written = std::make_shared<bool>(false);
    asio::async_write(state->socket, asio::buffer(*buffer),
                      [state, buffer, written](boost::system::error_code, std::size_t) { *written = true; });
    EXPECT_TRUE(run_until(io_, [written] { return *written; })) << "cannot send " << buffer->size() << " bytes";
  }

  // Half-closes: the server sees end of stream.
  void finish_sending() {
    boost::system::error_code ignored;
    state_->socket.shutdown(tcp::socket::shutdown_send, ignored);
  }

  // Reads until the server closes the connection (or the bound passes).
  bool read_until_closed() {
    start_reading();
    return run_until(io_, [state = state_] { return state->closed; });
  }
  const std::string& received() const { return state_->received; }

 private:
  struct State {
    explicit State(asio::io_context& io) : socket(io) {}
    tcp::socket socket;
    std::string received;
    std::string chunk = std::string(64 * 1024, '\0');
    bool connected = false;
    bool reading = false;
    bool closed = false;
  };

  void start_reading() {
    if (state_->reading) return;
    state_->reading = true;
    read_more(state_);
  }
  static void read_more(const std::shared_ptr<State>& state) {
    state->socket.async_read_some(asio::buffer(state->chunk), [state](boost::system::error_code ec, std::size_t n) {
      state->received.append(state->chunk.data(), n);
      if (ec) {
        state->closed = true;
        return;
      }
      read_more(state);
    });
  }

  asio::io_context& io_;
  std::shared_ptr<State> state_;
};

class ConnectionTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (!listener_) return;
    listener_->stop();
    io_.restart();
    io_.poll();  // lets the accept loop see it was stopped
  }

  ListenerOptions options(Clock::duration frame_timeout = 200ms) {
    ListenerOptions o;
    o.framed.counters = &counters_;
    o.framed.max_frame = 2 * 1024 * 1024;
    o.framed.frame_timeout = frame_timeout;
    o.framed.handshake_timeout = 5s;
    o.sniff_timeout = 5s;
    return o;
  }

  uint16_t start(ListenerOptions listener_options, FramedHandler handler = {}) {
    if (!handler) handler = [this](std::shared_ptr<Connection> c) { return echo(std::move(c)); };
    router_.get("/ping", [](const http::Request&) { return http::Response::text("pong"); });
    auto bound = Listener::bind(io_.get_executor(), {asio::ip::make_address("127.0.0.1"), 0}, router_,
                                std::move(handler), listener_options);
    if (!bound) ADD_FAILURE() << bound.error().message;
    listener_ = std::move(*bound);
    listener_->start();
    return listener_->port();
  }

  // The framed handler under test: answers the hello, then echoes.
  asio::awaitable<void> echo(std::shared_ptr<Connection> connection) {
    auto hello = co_await accept_framed(*connection, "echo");
    if (!hello) {
      ended_.push_back(hello.error().message);
      co_return;
    }
    for (;;) {
      auto message = co_await connection->receive();
      if (!message) {
        ended_.push_back(message.error().message);
        co_return;
      }
      connection->send(*message);
    }
  }

  // A handler that sends 256 KiB frames for as long as the connection lasts.
  asio::awaitable<void> flood(std::shared_ptr<Connection> connection) {
    auto hello = co_await accept_framed(*connection, "flood");
    if (!hello) co_return;
    const auto big = wire::make_error(std::string(256 * 1024, 'f'));
    while (connection->is_open()) {
      connection->send(big);
      co_await asio::post(io_.get_executor(), asio::use_awaitable);  // let the writer run
    }
    auto reason = co_await connection->receive();
    ended_.push_back(reason ? "still open" : reason.error().message);
  }

  // Waits for the server to record why a connection ended; "" if it did not.
  std::string wait_for_end(std::size_t count = 1) {
    run_until(io_, [&] { return ended_.size() >= count; });
    return ended_.size() >= count ? ended_[count - 1] : "";
  }

  asio::io_context io_;
  http::Router router_;
  WireCounters counters_;
  std::vector<std::string> ended_;  // why each framed connection ended
  std::unique_ptr<Listener> listener_;
};

// A client on the same io_context: connect_framed, send everything, then
// expect every message back in order. Returns "" or what went wrong.
asio::awaitable<std::string> echo_session(uint16_t port, std::vector<internal::Envelope> messages) {
  ConnectionOptions client;
  client.max_frame = 2 * 1024 * 1024;
  auto connected = co_await connect_framed(co_await asio::this_coro::executor, "127.0.0.1", port, "client", client);
  if (!connected) co_return connected.error().message;
  auto connection = *connected;
  for (const auto& message : messages) connection->send(message);
  for (std::size_t i = 0; i < messages.size(); ++i) {
    auto back = co_await connection->receive();
    if (!back) co_return "message " + std::to_string(i) + ": " + back.error().message;
    if (back->SerializeAsString() != messages[i].SerializeAsString())
      co_return "message " + std::to_string(i) + " came back different";
  }
  connection->close();
  co_return "";
}

std::vector<internal::Envelope> mixed_messages(int count) {
  std::vector<internal::Envelope> out;
  for (int i = 0; i < count; ++i) {
    if (i % 50 == 7) {
      out.push_back(wire::make_error(std::to_string(i) + std::string(1024 * 1024, 'm')));  // ~1 MiB
    } else {
      internal::Envelope ping;
      ping.mutable_ping()->set_sequence(static_cast<uint64_t>(i));
      out.push_back(ping);
    }
  }
  return out;
}

TEST_F(ConnectionTest, HandshakeThenManyMessagesRoundTripBothWays) {
  const uint16_t port = start(options());
  const auto messages = mixed_messages(300);
  auto outcome = std::make_shared<std::optional<std::string>>();
  asio::co_spawn(io_, echo_session(port, messages),
                 [outcome](std::exception_ptr error, std::string result) { *outcome = error ? "exception" : result; });
  ASSERT_TRUE(run_until(
      io_, [&] { return outcome->has_value(); }, 60s))
      << "session did not finish";
  EXPECT_EQ(**outcome, "");
  EXPECT_EQ(wait_for_end(), "closed by peer");
  EXPECT_EQ(counters_.frames_in, messages.size() + 1);   // + the hello
  EXPECT_EQ(counters_.frames_out, messages.size() + 1);  // + our hello
  EXPECT_EQ(counters_.bad_frames, 0u);
}

TEST_F(ConnectionTest, WrongProtocolVersionGetsErrorFrameAndClose) {
  const uint16_t port = start(options());
  RawPeer peer(io_, port);
  peer.send(std::string(wire::kPreamble) + wire::encode_frame(hello_with_version(2)));
  ASSERT_TRUE(peer.read_until_closed());
  const auto frames = decode_all(peer.received());
  ASSERT_EQ(frames.size(), 1u);
  ASSERT_TRUE(frames[0].has_error()) << wire::body_name(frames[0]);
  EXPECT_NE(frames[0].error().message().find("version 2 is not supported"), std::string::npos);
  EXPECT_NE(wait_for_end().find("version"), std::string::npos);
  EXPECT_EQ(counters_.bad_frames, 1u);
}

TEST_F(ConnectionTest, OversizedFrameHeaderClosesAndCounts) {
  const uint16_t port = start(options());
  // At the handshake (the header arrives with the preamble) and after it.
  const std::vector<std::string> openings = {std::string(wire::kPreamble), valid_opening()};
  for (std::size_t i = 0; i < openings.size(); ++i) {
    RawPeer peer(io_, port);
    peer.send(openings[i] + frame_header(0x7fffffff));
    ASSERT_TRUE(peer.read_until_closed()) << "case " << i;
    for (const auto& frame : decode_all(peer.received())) EXPECT_TRUE(frame.has_hello());
    EXPECT_NE(wait_for_end(i + 1).find("exceeds the limit of 2097152 bytes"), std::string::npos) << ended_.back();
    EXPECT_EQ(counters_.bad_frames, i + 1);
  }
}

TEST_F(ConnectionTest, TruncatedFrameThenSilenceClosesAfterFrameTimeout) {
  const uint16_t port = start(options(200ms));
  RawPeer peer(io_, port);
  peer.send(valid_opening() + frame_header(100) + std::string(10, '\x0a'));
  ASSERT_TRUE(peer.read_until_closed());
  EXPECT_EQ(wait_for_end(), "stalled in the middle of a frame for 0.2s");
  EXPECT_EQ(counters_.bad_frames, 1u);
}

TEST_F(ConnectionTest, TruncatedFrameThenCloseCountsABadFrame) {
  const uint16_t port = start(options(10s));
  RawPeer peer(io_, port);
  peer.send(valid_opening() + frame_header(100) + std::string(10, '\x0a'));
  peer.finish_sending();
  ASSERT_TRUE(peer.read_until_closed());
  EXPECT_EQ(wait_for_end(), "closed by peer in the middle of a frame");
  EXPECT_EQ(counters_.bad_frames, 1u);
}

TEST_F(ConnectionTest, GarbageAfterThePreambleIsDropped) {
  const uint16_t port = start(options(200ms));
  {
    RawPeer peer(io_, port);
    peer.send(std::string(wire::kPreamble) + frame_header(8) + std::string(8, '\xff'));
    ASSERT_TRUE(peer.read_until_closed());
    EXPECT_EQ(peer.received(), "") << "garbage must not be answered";
    EXPECT_EQ(wait_for_end(1), "frame of 8 bytes is not a valid envelope");
  }
  // Whatever the bytes, the connection ends and one bad frame is counted.
  for (unsigned seed = 1; seed <= 8; ++seed) {
    std::mt19937 random(seed);
    std::string garbage(1 + random() % 300, '\0');
    for (auto& byte : garbage) byte = static_cast<char>(random());
    RawPeer peer(io_, port);
    peer.send(std::string(wire::kPreamble) + garbage);
    ASSERT_TRUE(peer.read_until_closed()) << "seed " << seed;
    EXPECT_FALSE(wait_for_end(seed + 1).empty()) << "seed " << seed;
    EXPECT_EQ(counters_.bad_frames, seed + 1) << "seed " << seed << ": " << ended_.back();
  }
}

TEST_F(ConnectionTest, SilentClientsAreClosedAfterTheirTimeouts) {
  auto o = options();
  o.sniff_timeout = 200ms;
  o.framed.handshake_timeout = 200ms;
  const uint16_t port = start(o);
  RawPeer silent(io_, port);
  RawPeer half_preamble(io_, port);
  half_preamble.send("DC");
  RawPeer no_hello(io_, port);
  no_hello.send(std::string(wire::kPreamble));
  EXPECT_TRUE(silent.read_until_closed());
  EXPECT_TRUE(half_preamble.read_until_closed());
  EXPECT_TRUE(no_hello.read_until_closed());
  EXPECT_EQ(wait_for_end(), "nothing received for 0.2s");
  EXPECT_EQ(ended_.size(), 1u) << "only the framed peer reaches the handler";
  EXPECT_EQ(counters_.bad_frames, 0u);
}

TEST_F(ConnectionTest, HttpOnTheSamePortWorksWhileFramedPeersMisbehave) {
  const uint16_t port = start(options(30s));
  RawPeer silent(io_, port);
  RawPeer half_preamble(io_, port);
  half_preamble.send("DCO");
  RawPeer stalled(io_, port);
  stalled.send(valid_opening() + frame_header(1000) + "x");
  RawPeer oversized(io_, port);
  oversized.send(std::string(wire::kPreamble) + frame_header(0xffffffff));
  ASSERT_TRUE(oversized.read_until_closed());

  for (int i = 0; i < 3; ++i) {
    RawPeer http(io_, port);
    http.send("GET /ping HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
    ASSERT_TRUE(http.read_until_closed());
    EXPECT_TRUE(http.received().starts_with("HTTP/1.1 200 OK\r\n")) << http.received();
    EXPECT_TRUE(http.received().ends_with("\r\n\r\npong")) << http.received();
  }
  EXPECT_EQ(counters_.bad_frames, 1u);
  EXPECT_EQ(ended_.size(), 1u) << "the stalled peer is still connected";
}

TEST_F(ConnectionTest, PeerThatNeverReadsIsClosedPastTheQueueBound) {
  auto o = options();
  o.framed.max_queued_bytes = 1024 * 1024;
  const uint16_t port = start(o, [this](std::shared_ptr<Connection> c) { return flood(std::move(c)); });
  RawPeer peer(io_, port, 4096);
  peer.send(valid_opening());  // and never reads
  EXPECT_EQ(wait_for_end(), "peer does not read: over 1048576 bytes queued");
  ASSERT_TRUE(peer.read_until_closed());
  const auto frames = decode_all(peer.received());
  ASSERT_FALSE(frames.empty());
  EXPECT_TRUE(frames[0].has_hello());
  EXPECT_EQ(counters_.bad_frames, 0u) << "a peer that does not read sent no bad frame";
}

}  // namespace
}  // namespace dcos::net
