#include "runtime/notify.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>

#include "runtime/log.hpp"

namespace dcos::notify {
namespace {

// Plays the service manager: a real datagram socket named by $NOTIFY_SOCKET.
class NotifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/notify-test.XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr) << std::strerror(errno);
    dir_ = pattern;
    socket_path_ = dir_ + "/notify.sock";
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd_, 0) << std::strerror(errno);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    ASSERT_LT(socket_path_.size(), sizeof address.sun_path);
    std::strcpy(address.sun_path, socket_path_.c_str());
    ASSERT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0) << std::strerror(errno);
    ::setenv("NOTIFY_SOCKET", socket_path_.c_str(), 1);
  }

  void TearDown() override {
    ::unsetenv("NOTIFY_SOCKET");
    ::unsetenv("WATCHDOG_USEC");
    ::unsetenv("WATCHDOG_PID");
    if (fd_ >= 0) ::close(fd_);
    ::unlink(socket_path_.c_str());
    ::rmdir(dir_.c_str());
  }

  // The next datagram, or "<timeout>" when none arrives within two seconds.
  std::string receive() {
    pollfd waiting{fd_, POLLIN, 0};
    if (::poll(&waiting, 1, 2000) != 1) return "<timeout>";
    char buffer[4096];
    ssize_t got = ::recv(fd_, buffer, sizeof buffer, 0);
    if (got < 0) return std::string("<recv: ") + std::strerror(errno) + ">";
    return std::string(buffer, static_cast<size_t>(got));
  }

  bool nothing_pending() {
    char buffer[64];
    return ::recv(fd_, buffer, sizeof buffer, MSG_DONTWAIT) < 0 && errno == EAGAIN;
  }

  std::string dir_;
  std::string socket_path_;
  int fd_ = -1;
};

TEST_F(NotifyTest, ReadySendsReadyWithStatus) {
  ready("serving on 0.0.0.0:5050");
  EXPECT_EQ(receive(), "READY=1\nSTATUS=serving on 0.0.0.0:5050");
  EXPECT_TRUE(nothing_pending());
}

TEST_F(NotifyTest, StatusSendsOnlyStatus) {
  status("recovering 12 agents");
  EXPECT_EQ(receive(), "STATUS=recovering 12 agents");
}

TEST_F(NotifyTest, StoppingSendsStopping) {
  stopping();
  EXPECT_EQ(receive(), "STOPPING=1");
}

TEST_F(NotifyTest, WatchdogSendsKeepAlive) {
  watchdog();
  watchdog();
  EXPECT_EQ(receive(), "WATCHDOG=1");
  EXPECT_EQ(receive(), "WATCHDOG=1");
}

TEST_F(NotifyTest, StatusTextCannotAddAssignments) {
  // A status quoting peer input must not be able to claim READY=1.
  status("bad frame\nREADY=1");
  std::string datagram = receive();
  EXPECT_EQ(datagram.find('\n'), std::string::npos) << datagram;
  EXPECT_EQ(datagram, "STATUS=bad frame READY=1");
}

TEST_F(NotifyTest, AnAbstractNotifySocketIsReached) {
  // systemd may name its socket in the abstract namespace ("@...").
  const std::string name = "@dcos-notify-test-" + std::to_string(::getpid());
  const int abstract = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(abstract, 0) << std::strerror(errno);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path + 1, name.data() + 1, name.size() - 1);
  const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size());
  ASSERT_EQ(::bind(abstract, reinterpret_cast<sockaddr*>(&address), length), 0) << std::strerror(errno);
  ::setenv("NOTIFY_SOCKET", name.c_str(), 1);
  ready("serving");
  pollfd waiting{abstract, POLLIN, 0};
  char buffer[64] = {};
  ssize_t got = ::poll(&waiting, 1, 2000) == 1 ? ::recv(abstract, buffer, sizeof buffer, 0) : -1;
  ::close(abstract);
  EXPECT_EQ(std::string(buffer, got > 0 ? static_cast<size_t>(got) : 0), "READY=1\nSTATUS=serving");
}

TEST_F(NotifyTest, WithoutNotifySocketNothingIsSent) {
  ::unsetenv("NOTIFY_SOCKET");
  ready("serving");
  status("still serving");
  watchdog();
  EXPECT_TRUE(nothing_pending());
}

TEST_F(NotifyTest, UnreachableNotifySocketIsNotFatal) {
  std::string missing = dir_ + "/nobody-listens.sock";
  ::setenv("NOTIFY_SOCKET", missing.c_str(), 1);
  log::init("notify-test", log::Level::info, log::Sink::stderr_text);
  ::testing::internal::CaptureStderr();
  stopping();
  std::string logged = ::testing::internal::GetCapturedStderr();
  // The daemon carries on; the operator learns why systemd heard nothing.
  EXPECT_NE(logged.find(" W notify-test: notifying the service manager failed, ignoring STATE=STOPPING=1 SOCKET=" +
                        missing + " ERROR="),
            std::string::npos)
      << logged;
  EXPECT_NE(logged.find(std::strerror(ENOENT)), std::string::npos) << logged;
}

TEST_F(NotifyTest, WatchdogIntervalIsHalfOfWatchdogUsec) {
  ::setenv("WATCHDOG_USEC", "3000000", 1);
  ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
  auto interval = watchdog_interval();
  ASSERT_TRUE(interval.has_value());
  EXPECT_EQ(interval->count(), 1500000);
}

TEST_F(NotifyTest, WatchdogIntervalWithoutPidStillApplies) {
  ::setenv("WATCHDOG_USEC", "20000", 1);
  auto interval = watchdog_interval();
  ASSERT_TRUE(interval.has_value());
  EXPECT_EQ(interval->count(), 10000);
}

TEST_F(NotifyTest, NoWatchdogIntervalWhenUnset) { EXPECT_FALSE(watchdog_interval().has_value()); }

TEST_F(NotifyTest, NoWatchdogIntervalForAnotherProcess) {
  // The watchdog belongs to the main process, not to what it forks.
  ::setenv("WATCHDOG_USEC", "3000000", 1);
  ::setenv("WATCHDOG_PID", std::to_string(::getppid()).c_str(), 1);
  EXPECT_FALSE(watchdog_interval().has_value());
}

TEST_F(NotifyTest, NoWatchdogIntervalForGarbage) {
  ::setenv("WATCHDOG_USEC", "soon", 1);
  EXPECT_FALSE(watchdog_interval().has_value());
}

}  // namespace
}  // namespace dcos::notify
