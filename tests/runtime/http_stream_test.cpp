// http::Stream, the streamed response: its queue and callbacks as a plain
// class, then through a real Listener on loopback with a blocking client
// (the io_context runs on its own thread; the stream is used only there).
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "runtime/http.hpp"
#include "runtime/listener.hpp"

namespace dcos::http {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;

TEST(Stream, QueuesUntilTakenAndEndsOnceWhenTheClientGoes) {
  Stream stream;
  int wakeups = 0, gone = 0;
  stream.set_wakeup([&] { ++wakeups; });
  stream.on_gone([&] { ++gone; });
  stream.write("a");
  stream.write("");  // nothing to send: no wakeup
  stream.write("b");
  EXPECT_EQ(wakeups, 2);
  EXPECT_EQ(stream.take(), "ab");
  EXPECT_EQ(stream.take(), "");
  stream.client_gone();
  stream.client_gone();
  EXPECT_EQ(gone, 1);
  EXPECT_FALSE(stream.is_open());
  stream.write("late");
  EXPECT_EQ(stream.take(), "");
}

TEST(Stream, CloseByTheOwnerNeverCallsOnGone) {
  Stream stream;
  bool gone = false;
  stream.on_gone([&] { gone = true; });
  stream.write("last");
  stream.close();
  EXPECT_TRUE(stream.closing());
  EXPECT_EQ(stream.take(), "last");
  stream.client_gone();  // the server finishing after the close
  EXPECT_FALSE(gone);
}

TEST(Stream, AClientThatDoesNotReadIsDroppedPastTheBound) {
  Stream stream(8);
  bool gone = false;
  stream.on_gone([&] { gone = true; });
  stream.write("12345678");
  EXPECT_FALSE(gone);
  stream.write("9");
  EXPECT_TRUE(gone);
  EXPECT_EQ(stream.take(), "");
}

class StreamServerTest : public ::testing::Test {
 protected:
  StreamServerTest() {
    router_.get("/events", [this](const Request&) {
      Response response;
      response.headers.emplace_back("Mesos-Stream-Id", "s-1");
      stream_ = std::make_shared<Stream>();
      stream_->on_gone([this] { gone_ = true; });
      stream_->write("first");
      response.stream = stream_;
      return response;
    });
    auto bound = net::Listener::bind(io_.get_executor(), {asio::ip::make_address("127.0.0.1"), 0}, router_, {});
    if (!bound) throw std::runtime_error(bound.error().message);
    listener_ = std::move(*bound);
    listener_->start();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~StreamServerTest() override {
    asio::post(io_, [this] { listener_->stop(); });
    work_.reset();
    io_.stop();
    thread_.join();
    if (fd_ >= 0) ::close(fd_);
  }

  // Runs `f` on the io thread and waits for it.
  void on_io(std::function<void()> f) {
    std::promise<void> done;
    asio::post(io_, [&] {
      f();
      done.set_value();
    });
    done.get_future().wait();
  }

  void connect_and_get() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(listener_->port());
    ASSERT_EQ(::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    const std::string get = "GET /events HTTP/1.1\r\nHost: t\r\n\r\n";
    ASSERT_EQ(::send(fd_, get.data(), get.size(), MSG_NOSIGNAL), static_cast<ssize_t>(get.size()));
  }

  // Reads until `text` arrived (true) or the server closed or 10 s passed.
  bool read_until(const std::string& text) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (received_.find(text) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      pollfd ready{fd_, POLLIN, 0};
      if (::poll(&ready, 1, 50) <= 0) continue;
      char chunk[4096];
      const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) {
        closed_ = true;
        break;
      }
      received_.append(chunk, static_cast<std::size_t>(n));
    }
    return received_.find(text) != std::string::npos;
  }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
  Router router_;
  std::unique_ptr<net::Listener> listener_;
  std::thread thread_;
  std::shared_ptr<Stream> stream_;
  std::atomic<bool> gone_ = false;
  int fd_ = -1;
  std::string received_;
  bool closed_ = false;
};

TEST_F(StreamServerTest, WritesArriveAsChunksAndCloseEndsTheResponse) {
  connect_and_get();
  ASSERT_TRUE(read_until("5\r\nfirst\r\n")) << received_;
  EXPECT_NE(received_.find("Transfer-Encoding: chunked"), std::string::npos) << received_;
  EXPECT_NE(received_.find("Mesos-Stream-Id: s-1"), std::string::npos) << received_;
  on_io([this] { stream_->write("second!"); });
  EXPECT_TRUE(read_until("7\r\nsecond!\r\n")) << received_;
  on_io([this] { stream_->close(); });
  EXPECT_TRUE(read_until("0\r\n\r\n")) << received_;
  read_until("never sent");
  EXPECT_TRUE(closed_);
  EXPECT_FALSE(gone_);
}

TEST_F(StreamServerTest, TheOwnerHearsWhenTheClientGoesAway) {
  connect_and_get();
  ASSERT_TRUE(read_until("first"));
  ::shutdown(fd_, SHUT_RDWR);
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!gone_ && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(10ms);
  EXPECT_TRUE(gone_);
  bool open = true;
  on_io([&] { open = stream_->is_open(); });
  EXPECT_FALSE(open);
}

}  // namespace
}  // namespace dcos::http
