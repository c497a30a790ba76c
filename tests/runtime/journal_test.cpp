#include "runtime/journal.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

namespace dcos::journal {
namespace {

using namespace std::string_literals;

TEST(JournalFieldTest, OneLineValuesAreKeyEqualsValue) {
  std::string entry;
  append_field(entry, "MESSAGE", "agent registered");
  append_field(entry, "AGENT_ID", "");
  EXPECT_EQ(entry, "MESSAGE=agent registered\nAGENT_ID=\n");
}

TEST(JournalFieldTest, ValuesWithNewlinesAreSizedLittleEndian) {
  std::string entry;
  std::string value = "a\n" + std::string(300, 'b');  // 302 = 0x012e
  append_field(entry, "NOTE", value);
  EXPECT_EQ(entry, "NOTE\n\x2e\x01\0\0\0\0\0\0"s + value + "\n");
}

// Plays journald: a datagram socket in a directory of its own.
class JournalSendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/journal-test.XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr) << std::strerror(errno);
    dir_ = pattern;
    path_ = dir_ + "/socket";
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd_, 0) << std::strerror(errno);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strcpy(address.sun_path, path_.c_str());
    ASSERT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0) << std::strerror(errno);
  }

  void TearDown() override {
    if (fd_ >= 0) ::close(fd_);
    ::unlink(path_.c_str());
    ::rmdir(dir_.c_str());
  }

  // The next entry: a datagram's bytes, or those of the descriptor it
  // carried ("<...>" when nothing usable came within two seconds).
  std::string receive(int* seals = nullptr) {
    pollfd waiting{fd_, POLLIN, 0};
    if (::poll(&waiting, 1, 2000) != 1) return "<timeout>";
    std::string payload(256 * 1024, '\0');
    iovec part{payload.data(), payload.size()};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr message{};
    message.msg_iov = &part;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    const ssize_t got = ::recvmsg(fd_, &message, MSG_CMSG_CLOEXEC);
    if (got < 0) return "<recvmsg: "s + std::strerror(errno) + ">";
    payload.resize(static_cast<size_t>(got));
    cmsghdr* header = CMSG_FIRSTHDR(&message);
    if (header == nullptr) return payload;
    if (got != 0) return "<a descriptor and a payload>";
    int passed = -1;
    std::memcpy(&passed, CMSG_DATA(header), sizeof passed);
    if (seals != nullptr) *seals = ::fcntl(passed, F_GET_SEALS);
    struct stat st {};
    ::fstat(passed, &st);
    std::string contents(static_cast<size_t>(st.st_size), '\0');
    const ssize_t read = ::pread(passed, contents.data(), contents.size(), 0);
    ::close(passed);
    return read == st.st_size ? contents : "<short read of the descriptor>";
  }

  std::string dir_, path_;
  int fd_ = -1;
};

TEST_F(JournalSendTest, AnEntryIsOneDatagram) {
  std::string entry;
  append_field(entry, "MESSAGE", "task lost");
  append_field(entry, "TASK_ID", "web.1");
  ASSERT_EQ(send(entry, path_), 0);
  EXPECT_EQ(receive(), entry);
}

TEST_F(JournalSendTest, AnEntryTooLargeForADatagramGoesAsASealedMemfd) {
  // Larger than any datagram the default socket buffers let through
  // (net.core.wmem_max is 208 KiB by default).
  std::string entry;
  append_field(entry, "MESSAGE", "a large one");
  append_field(entry, "DATA", std::string(4 << 20, 'x'));
  ASSERT_EQ(send(entry, path_), 0);
  int seals = 0;
  EXPECT_EQ(receive(&seals), entry);
  // journald refuses a memfd that the sender could still change.
  EXPECT_EQ(seals, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
}

TEST_F(JournalSendTest, FailuresAreTheErrno) {
  EXPECT_EQ(send("MESSAGE=x\n", dir_ + "/nobody"), ENOENT);
  ::close(fd_);  // the socket file stays, nobody reads it: journald died
  fd_ = -1;
  EXPECT_EQ(send("MESSAGE=x\n", path_), ECONNREFUSED);
  EXPECT_EQ(send("MESSAGE=x\n", "relative/socket"), EINVAL);
}

}  // namespace
}  // namespace dcos::journal
