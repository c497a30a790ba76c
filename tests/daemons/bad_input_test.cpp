// A real dcos-master on loopback gets bad input from one client after
// another while a well-behaved (simulated, in-process) agent stays
// registered. After each: the master still runs, /health answers, the agent
// is still active, /metrics counted the bad frame where there was one, and
// the log says why the connection was dropped.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <functional>
#include <mutex>
#include <random>
#include <string>
#include <thread>

#include "runtime/connection.hpp"
#include "runtime/http_client.hpp"
#include "tests/support/cluster.hpp"
#include "tests/support/frames.hpp"

namespace dcos::testing {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;

std::string frame_header(uint32_t size) {
  const char bytes[4] = {static_cast<char>(size >> 24), static_cast<char>(size >> 16), static_cast<char>(size >> 8),
                         static_cast<char>(size)};
  return std::string(bytes, 4);
}

std::string random_bytes(unsigned seed, std::size_t size) {
  std::mt19937 random(seed);
  std::string out(size, '\0');
  for (auto& byte : out) byte = static_cast<char>(random());
  return out;
}

std::string opening(uint32_t version = wire::kProtocolVersion) {
  auto hello = wire::make_hello("bad-client");
  hello.mutable_hello()->set_protocol_version(version);
  return std::string(wire::kPreamble) + wire::encode_frame(hello);
}

// A blocking loopback client that sends exactly what it is told; reads wait
// at most `kBound`.
class RawClient {
 public:
  static constexpr auto kBound = 15s;

  explicit RawClient(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
      ADD_FAILURE() << "cannot connect to 127.0.0.1:" << port;
  }
  ~RawClient() { close(); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  void send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return;  // the master hung up: what it said is still readable
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
  }
  void finish_sending() { ::shutdown(fd_, SHUT_WR); }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  // Reads until the master closes the connection; false if it did not.
  bool read_until_closed() {
    return read_until([this] { return closed_; });
  }
  // Reads until `count` whole frames arrived (the connection may stay open).
  std::vector<internal::Envelope> read_frames(std::size_t count) {
    read_until([&] { return decode_all(received_).size() >= count; });
    return decode_all(received_);
  }
  const std::string& received() const { return received_; }

 private:
  bool read_until(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + kBound;
    while (!done() && !closed_ && std::chrono::steady_clock::now() < deadline) {
      pollfd ready{fd_, POLLIN, 0};
      if (::poll(&ready, 1, 100) <= 0) continue;
      char chunk[64 * 1024];
      const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) closed_ = true;  // end of stream, or reset after the master's last words
      if (n > 0) received_.append(chunk, static_cast<std::size_t>(n));
    }
    return done();
  }

  int fd_ = -1;
  std::string received_;
  bool closed_ = false;
};

// A well-behaved agent in this process: registers, then answers every ping,
// on its own io thread until destroyed.
class SimulatedAgent {
 public:
  explicit SimulatedAgent(uint16_t master_port) {
    asio::co_spawn(io_, run(master_port), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~SimulatedAgent() {
    io_.stop();
    thread_.join();
  }
  std::string agent_id() const {
    std::lock_guard lock(mutex_);
    return agent_id_;
  }
  std::string failure() const {
    std::lock_guard lock(mutex_);
    return failure_;
  }

 private:
  static internal::Envelope registration() {
    internal::Envelope envelope;
    auto* info = envelope.mutable_register_agent()->mutable_agent();
    info->set_hostname("good-agent");
    info->set_port(5051);
    for (const auto& [name, value] : {std::pair{"cpus", 2.0}, std::pair{"mem", 1024.0}}) {
      auto* resource = info->add_resources();
      resource->set_name(name);
      resource->set_type(mesos::v1::Value::SCALAR);
      resource->mutable_scalar()->set_value(value);
    }
    return envelope;
  }

  asio::awaitable<void> run(uint16_t port) {
    auto connected = co_await net::connect_framed(io_.get_executor(), "127.0.0.1", port, "agent", {});
    if (!connected) co_return fail(connected.error().message);
    auto connection = *connected;
    connection->send(registration());
    for (;;) {
      auto message = co_await connection->receive();
      if (!message) co_return fail(message.error().message);
      if (message->has_agent_registered()) {
        std::lock_guard lock(mutex_);
        agent_id_ = message->agent_registered().agent_id().value();
      } else if (message->has_ping()) {
        internal::Envelope pong;
        pong.mutable_pong()->set_sequence(message->ping().sequence());
        connection->send(pong);
      } else {
        co_return fail("unexpected " + wire::body_name(*message));
      }
    }
  }
  void fail(const std::string& why) {
    std::lock_guard lock(mutex_);
    failure_ = why;
  }

  asio::io_context io_;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::string agent_id_;
  std::string failure_;
};

class MasterBadInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    port_ = free_port();
    master_ = std::make_unique<DaemonProcess>(
        master_binary(),
        std::vector<std::string>{"--ip=127.0.0.1", "--port=" + std::to_string(port_),
                                 "--work_dir=" + dir_.path() + "/master", "--agent_ping_timeout=200ms"},
        dir_.path() + "/master.log");
    master_->start();
    ASSERT_TRUE(wait_until([&] { return get_json(port_, "/health").has_value(); })) << master_->log();
    agent_ = std::make_unique<SimulatedAgent>(port_);
    ASSERT_TRUE(wait_until([&] { return agent_active(); })) << agent_->failure() << "\n" << master_->log();
  }
  void TearDown() override {
    agent_.reset();
    if (master_) master_->stop();
  }

  // What to compare against after a bad client.
  struct Mark {
    uint64_t bad_frames;
    std::size_t log_size;
  };
  Mark mark() { return {bad_frames(), master_->log().size()}; }

  uint64_t bad_frames() {
    auto reply = http::get("127.0.0.1", port_, "/metrics", 2s);
    if (!reply || reply->status != 200) return 0;
    const std::string name = "\ndcos_master_bad_frames_total ";
    const auto at = reply->body.find(name);
    return at == std::string::npos ? 0 : std::stoull(reply->body.substr(at + name.size()));
  }

  bool agent_active() {
    const auto state = get_json(port_, "/master/state");
    if (!state || !agent_ || agent_->agent_id().empty()) return false;
    for (const auto& agent : (*state)["slaves"])
      if (agent.value("id", "") == agent_->agent_id()) return agent.value("active", false);
    return false;
  }

  bool log_since(const Mark& mark, const std::string& phrase) {
    const std::string log = master_->log();
    return log.size() > mark.log_size && log.find(phrase, mark.log_size) != std::string::npos;
  }

  // The master survived: it runs, answers, keeps the agent, and (where the
  // client sent a bad frame) counted it and logged `phrase`.
  void expect_master_unharmed(const Mark& mark, bool bad_frame, const std::string& phrase) {
    ASSERT_TRUE(master_->running()) << "the master died:\n" << master_->log().substr(mark.log_size);
    EXPECT_TRUE(wait_until([&] { return get_json(port_, "/health").value_or(nullptr)["healthy"] == true; }));
    EXPECT_TRUE(agent_active()) << agent_->failure();
    EXPECT_EQ(agent_->failure(), "");
    if (bad_frame) {
      EXPECT_TRUE(wait_until([&] { return bad_frames() > mark.bad_frames; })) << "bad frame not counted";
    } else {
      EXPECT_EQ(bad_frames(), mark.bad_frames);
    }
    if (!phrase.empty()) {
      EXPECT_TRUE(wait_until([&] { return log_since(mark, phrase); })) << "no '" << phrase << "' in:\n"
                                                                       << master_->log().substr(mark.log_size);
    }
  }

  TempDir dir_;
  uint16_t port_ = 0;
  std::unique_ptr<DaemonProcess> master_;
  std::unique_ptr<SimulatedAgent> agent_;
};

// Clients that send bytes and are hung up on.
TEST_F(MasterBadInputTest, GarbageClientsOneAfterAnotherAreDropped) {
  std::string not_dcos = random_bytes(7, 300);
  not_dcos[0] = 'Z';  // not the preamble: this is (bad) HTTP
  struct Case {
    std::string name;
    std::string bytes;
    bool half_close;
    bool bad_frame;
    std::string log_phrase;
  };
  const std::vector<Case> cases = {
      {"random bytes", not_dcos, false, false, ""},
      {"preamble then random payload", std::string(wire::kPreamble) + frame_header(64) + random_bytes(8, 64), false,
       true, "dropped connection from"},
      {"oversized frame header", std::string(wire::kPreamble) + frame_header(0x7fffffff), false, true,
       "frame of 2147483647 bytes exceeds the limit"},
      {"oversized header after hello", opening() + frame_header(0x7fffffff), false, true, "exceeds the limit"},
      {"truncated frame then close", opening() + frame_header(100) + "0123456789", true, true,
       "closed by peer in the middle of a frame"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const Mark before = mark();
    RawClient client(port_);
    client.send(c.bytes);
    if (c.half_close) client.finish_sending();
    EXPECT_TRUE(client.read_until_closed()) << "the master did not hang up";
    const std::string& reply = client.received();
    if (c.name == "random bytes") {
      EXPECT_TRUE(reply.empty() || reply.starts_with("HTTP/1.1 400 ")) << reply;
    } else {
      for (const auto& frame : decode_all(reply)) EXPECT_FALSE(frame.has_agent_registered());
    }
    expect_master_unharmed(before, c.bad_frame, c.log_phrase);
  }
}

TEST_F(MasterBadInputTest, StalledFrameDoesNotStopTheMaster) {
  const Mark before = mark();
  RawClient client(port_);
  client.send(opening() + frame_header(100) + "0123456789");  // and nothing more
  ASSERT_EQ(client.read_frames(1).size(), 1u);                // the master's hello: it is waiting for the rest
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(get_json(port_, "/health").has_value());
    EXPECT_TRUE(agent_active());
  }
  client.close();
  expect_master_unharmed(before, true, "closed by peer in the middle of a frame");
}

TEST_F(MasterBadInputTest, WrongProtocolVersionGetsAnErrorAndClose) {
  const Mark before = mark();
  RawClient client(port_);
  client.send(opening(2));
  EXPECT_TRUE(client.read_until_closed());
  const auto frames = decode_all(client.received());
  ASSERT_EQ(frames.size(), 1u);
  ASSERT_TRUE(frames[0].has_error()) << wire::body_name(frames[0]);
  EXPECT_NE(frames[0].error().message().find("version 2 is not supported"), std::string::npos);
  expect_master_unharmed(before, true, "version 2 is not supported");
}

TEST_F(MasterBadInputTest, InvalidAgentInfoIsRefused) {
  {
    const Mark before = mark();
    RawClient client(port_);
    internal::Envelope reg;
    reg.mutable_register_agent()->mutable_agent()->set_hostname("");  // set, but empty
    client.send(opening() + wire::encode_frame(reg));
    const auto frames = client.read_frames(2);
    ASSERT_EQ(frames.size(), 2u);
    EXPECT_TRUE(frames[0].has_hello());
    ASSERT_TRUE(frames[1].has_registration_refused()) << wire::body_name(frames[1]);
    EXPECT_NE(frames[1].registration_refused().reason().find("hostname"), std::string::npos);
    expect_master_unharmed(before, false, "refused registration from");
  }
  {
    // A required field missing altogether: not a valid envelope, and the log
    // names the field.
    const Mark before = mark();
    RawClient client(port_);
    internal::Envelope reg;
    reg.mutable_register_agent()->mutable_agent()->set_port(5051);  // no hostname
    client.send(opening() + wire::encode_frame(reg));
    EXPECT_TRUE(client.read_until_closed());
    expect_master_unharmed(before, true, "missing required fields: register_agent.agent.hostname");
  }
}

TEST_F(MasterBadInputTest, MessageTheMasterMustNotGetIsAnErrorAndClose) {
  const Mark before = mark();
  RawClient client(port_);
  internal::Envelope ping;
  ping.mutable_ping()->set_sequence(1);
  client.send(opening() + wire::encode_frame(ping));
  EXPECT_TRUE(client.read_until_closed());
  const auto frames = decode_all(client.received());
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_TRUE(frames[0].has_hello());
  ASSERT_TRUE(frames[1].has_error()) << wire::body_name(frames[1]);
  EXPECT_EQ(frames[1].error().message(), "unexpected ping message");
  expect_master_unharmed(before, true, "unexpected ping message");
}

TEST_F(MasterBadInputTest, NothingAfterAForbiddenMessageIsActedOn) {
  const Mark before = mark();
  RawClient client(port_);
  internal::Envelope ping;
  ping.mutable_ping()->set_sequence(1);
  internal::Envelope reg;
  auto* info = reg.mutable_register_agent()->mutable_agent();
  info->set_hostname("sneaky-agent");
  info->set_port(5051);
  client.send(opening() + wire::encode_frame(ping) + wire::encode_frame(reg));  // one write
  EXPECT_TRUE(client.read_until_closed());
  for (const auto& frame : decode_all(client.received()))
    EXPECT_FALSE(frame.has_agent_registered()) << "a connection being closed registered an agent";
  expect_master_unharmed(before, true, "unexpected ping message");
  EXPECT_FALSE(log_since(before, "registered from")) << master_->log().substr(before.log_size);
  const auto state = get_json(port_, "/master/state");
  ASSERT_TRUE(state.has_value());
  EXPECT_EQ((*state)["slaves"].size(), 1u) << (*state)["slaves"].dump();
}

TEST_F(MasterBadInputTest, OversizedHttpBodyIs4xxAndTheMasterKeepsServing) {
  for (const std::string method : {"GET", "POST"}) {
    SCOPED_TRACE(method);
    const Mark before = mark();
    RawClient client(port_);
    client.send(method + " /master/state HTTP/1.1\r\nHost: t\r\nContent-Length: 2000000\r\n\r\n" +
                std::string(4096, 'b'));
    EXPECT_TRUE(client.read_until_closed());
    const std::string& reply = client.received();
    EXPECT_TRUE(reply.starts_with("HTTP/1.1 400 ") || reply.starts_with("HTTP/1.1 413 ")) << reply;
    EXPECT_NE(reply.find("body limit"), std::string::npos) << reply;
    expect_master_unharmed(before, false, "");
  }
  const auto state = get_json(port_, "/master/state");
  ASSERT_TRUE(state.has_value());
  EXPECT_EQ((*state)["activated_slaves"], 1);
}

}  // namespace
}  // namespace dcos::testing
