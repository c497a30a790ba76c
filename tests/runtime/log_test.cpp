#include "runtime/log.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace dcos::log {
namespace {

// Points stderr at an in-memory file for the capture's lifetime.
class StderrCapture {
 public:
  StderrCapture() {
    file_ = ::memfd_create("log-test", MFD_CLOEXEC);
    // O_APPEND so concurrent writers each land at the end, as on a terminal.
    ::fcntl(file_, F_SETFL, O_APPEND);
    ::fflush(stderr);
    saved_ = ::dup(STDERR_FILENO);
    ::dup2(file_, STDERR_FILENO);
  }
  ~StderrCapture() {
    ::dup2(saved_, STDERR_FILENO);
    ::close(saved_);
    ::close(file_);
  }

  std::string text() const {
    std::string out;
    char buffer[4096];
    ssize_t got;
    for (off_t at = 0; (got = ::pread(file_, buffer, sizeof buffer, at)) > 0; at += got) {
      out.append(buffer, static_cast<size_t>(got));
    }
    return out;
  }

 private:
  int file_ = -1;
  int saved_ = -1;
};

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

const std::string timestamp = R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)";

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override { ::unsetenv("JOURNAL_STREAM"); }
  void TearDown() override {
    ::unsetenv("JOURNAL_STREAM");
    init("log-test", Level::info, Sink::stderr_text);
  }
};

TEST_F(LogTest, WritesTheTextFormat) {
  init("dcos-master", Level::info, Sink::stderr_text);
  StderrCapture capture;
  info("agent registered", {{"AGENT_ID", "a1-S0"}, {"PEER", "10.0.0.7:5051"}});
  std::string text = capture.text();
  EXPECT_TRUE(std::regex_match(
      text, std::regex(timestamp + " I dcos-master: agent registered AGENT_ID=a1-S0 PEER=10.0.0.7:5051\n")))
      << text;
}

TEST_F(LogTest, TimestampIsCurrentUtc) {
  init("dcos-test", Level::info, Sink::stderr_text);
  StderrCapture capture;
  time_t before = ::time(nullptr);
  info("tick");
  time_t after = ::time(nullptr);
  std::string text = capture.text();
  tm parsed{};
  ASSERT_NE(::strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &parsed), nullptr) << text;
  time_t logged = ::timegm(&parsed);
  EXPECT_GE(logged, before) << text;
  EXPECT_LE(logged, after) << text;
}

TEST_F(LogTest, EachLevelHasItsLetter) {
  init("dcos-test", Level::debug, Sink::stderr_text);
  StderrCapture capture;
  debug("d");
  info("i");
  warning("w");
  error("e");
  auto lines = lines_of(capture.text());
  ASSERT_EQ(lines.size(), 4u);
  const char* expected[] = {" D dcos-test: d", " I dcos-test: i", " W dcos-test: w", " E dcos-test: e"};
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_TRUE(std::regex_match(lines[i], std::regex(timestamp + expected[i]))) << lines[i];
  }
}

TEST_F(LogTest, LinesBelowTheLevelAreDropped) {
  init("dcos-test", Level::warning, Sink::stderr_text);
  StderrCapture capture;
  debug("hidden debug");
  info("hidden info");
  warning("shown warning");
  error("shown error");
  std::string text = capture.text();
  EXPECT_EQ(text.find("hidden"), std::string::npos) << text;
  EXPECT_NE(text.find(" W dcos-test: shown warning\n"), std::string::npos) << text;
  EXPECT_NE(text.find(" E dcos-test: shown error\n"), std::string::npos) << text;
  EXPECT_EQ(lines_of(text).size(), 2u);
}

TEST_F(LogTest, QuotesValuesWithSpacesOrQuotes) {
  init("dcos-test", Level::info, Sink::stderr_text);
  StderrCapture capture;
  info("bad input", {{"REASON", R"(frame "size" too big)"},
                     {"PATH", R"(C:\plain)"},
                     {"BOTH", R"(a \ "b")"},
                     {"EMPTY", ""},
                     {"PLAIN", "x=y"}});
  std::string text = capture.text();
  EXPECT_NE(text.find(R"(: bad input REASON="frame \"size\" too big" PATH=C:\plain )"
                      R"(BOTH="a \\ \"b\"" EMPTY="" PLAIN=x=y)"
                      "\n"),
            std::string::npos)
      << text;
}

TEST_F(LogTest, ControlCharactersNeverSplitALine) {
  // Peer input in a message must not be able to forge a second record.
  init("dcos-test", Level::info, Sink::stderr_text);
  StderrCapture capture;
  info("first\nE forged: line", {{"VALUE", "a\nb\tc\x01"}});
  std::string text = capture.text();
  ASSERT_EQ(lines_of(text).size(), 1u) << text;
  EXPECT_NE(text.find(R"(: first\nE forged: line VALUE="a\nb\tc\x01")"
                      "\n"),
            std::string::npos)
      << text;
}

TEST_F(LogTest, ParsesLevelNames) {
  struct Case {
    const char* text;
    Level level;
  } cases[] = {{"debug", Level::debug}, {"info", Level::info}, {"warning", Level::warning},
               {"error", Level::error}, {"INFO", Level::info}, {"Warning", Level::warning}};
  for (const Case& each : cases) {
    Level parsed = each.level == Level::debug ? Level::error : Level::debug;
    EXPECT_TRUE(parse_level(each.text, &parsed)) << each.text;
    EXPECT_EQ(parsed, each.level) << each.text;
  }
}

TEST_F(LogTest, RejectsUnknownLevelNamesAndLeavesTheLevel) {
  for (const char* text : {"", "verbose", "warn", "infos", " info", "err"}) {
    Level level = Level::warning;
    EXPECT_FALSE(parse_level(text, &level)) << '"' << text << '"';
    EXPECT_EQ(level, Level::warning) << text;
  }
}

TEST_F(LogTest, AutomaticSinkIgnoresAJournalStreamThatIsNotStderr) {
  // $JOURNAL_STREAM inherited from a parent whose stderr went to the journal
  // while ours was redirected: the line belongs on our stderr.
  ::setenv("JOURNAL_STREAM", "1:1", 1);
  StderrCapture capture;
  init("dcos-test", Level::info, Sink::automatic);
  info("to stderr");
  EXPECT_NE(capture.text().find(" I dcos-test: to stderr\n"), std::string::npos) << capture.text();
}

TEST_F(LogTest, KeepsErrno) {
  init("dcos-test", Level::info, Sink::stderr_text);
  StderrCapture capture;
  errno = EADDRINUSE;
  error("bind failed");
  EXPECT_EQ(errno, EADDRINUSE);
}

TEST_F(LogTest, ConcurrentWritersDoNotInterleave) {
  init("dcos-test", Level::info, Sink::stderr_text);
  StderrCapture capture;
  constexpr int threads = 8, per_thread = 300;
  std::vector<std::thread> writers;
  for (int t = 0; t < threads; ++t) {
    writers.emplace_back([t] {
      std::string payload(200, static_cast<char>('a' + t));
      for (int i = 0; i < per_thread; ++i) info("line", {{"THREAD", std::to_string(t)}, {"DATA", payload}});
    });
  }
  for (auto& writer : writers) writer.join();
  auto lines = lines_of(capture.text());
  ASSERT_EQ(lines.size(), static_cast<size_t>(threads * per_thread));
  std::regex shape(timestamp + R"( I dcos-test: line THREAD=(\d) DATA=([a-h])\2{199})");
  std::vector<int> counts(threads);
  for (const std::string& line : lines) {
    std::smatch match;
    ASSERT_TRUE(std::regex_match(line, match, shape)) << line;
    int t = std::stoi(match[1]);
    EXPECT_EQ(match[2].str()[0], 'a' + t) << line;
    ++counts[t];
  }
  for (int t = 0; t < threads; ++t) EXPECT_EQ(counts[t], per_thread) << t;
}

// What a child saw after logging in a mount namespace with its own /run.
struct JournalRun {
  std::string skipped;   // why the child could not set up, if it could not
  std::string datagram;  // what reached /run/systemd/journal/socket
  std::string stderr_text;
};

void write_string(int fd, const std::string& text) {
  uint64_t size = text.size();
  (void)!::write(fd, &size, sizeof size);
  (void)!::write(fd, text.data(), text.size());
}

std::string read_string(int fd) {
  uint64_t size = 0;
  if (::read(fd, &size, sizeof size) != sizeof size) return "<short read>";
  std::string text(size, '\0');
  size_t got = 0;
  while (got < size) {
    ssize_t n = ::read(fd, text.data() + got, size - got);
    if (n <= 0) return "<short read>";
    got += static_cast<size_t>(n);
  }
  return text;
}

// Mounts a private tmpfs on /run so this child can play journald without
// touching the host's journal. Returns why it cannot, or "".
std::string become_journald(int* socket_fd) {
  if (::unshare(CLONE_NEWNS) < 0) return std::string("unshare(CLONE_NEWNS): ") + std::strerror(errno);
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0) {
    return std::string("mount --make-rprivate /: ") + std::strerror(errno);
  }
  if (::mount("tmpfs", "/run", "tmpfs", 0, "mode=0755") < 0) {
    return std::string("mount tmpfs /run: ") + std::strerror(errno);
  }
  ::mkdir("/run/systemd", 0755);
  ::mkdir("/run/systemd/journal", 0755);
  *socket_fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strcpy(address.sun_path, "/run/systemd/journal/socket");
  if (::bind(*socket_fd, reinterpret_cast<sockaddr*>(&address), sizeof address) < 0) {
    return std::string("bind journal socket: ") + std::strerror(errno);
  }
  return "";
}

enum class Journald { listening, not_reading, absent };

// Runs `scenario` in a forked child that owns a fake journald socket.
JournalRun run_with_journald(Journald state, const std::function<void()>& scenario) {
  int pipe_fds[2];
  EXPECT_EQ(::pipe2(pipe_fds, O_CLOEXEC), 0);
  pid_t child = ::fork();
  if (child == 0) {
    ::close(pipe_fds[0]);
    int journal = -1;
    std::string skipped = become_journald(&journal);
    // A bound but closed socket refuses datagrams (ECONNREFUSED): journald
    // dead. Without the socket file, journald was never there.
    bool listening = state == Journald::listening;
    if (!listening && journal >= 0) ::close(journal);
    if (state == Journald::absent) ::unlink("/run/systemd/journal/socket");
    std::string datagram, stderr_text;
    if (skipped.empty()) {
      StderrCapture capture;
      scenario();
      pollfd waiting{journal, POLLIN, 0};
      char buffer[8192];
      ssize_t got = listening && ::poll(&waiting, 1, 2000) == 1 ? ::recv(journal, buffer, sizeof buffer, 0) : 0;
      datagram.assign(buffer, got > 0 ? static_cast<size_t>(got) : 0);
      stderr_text = capture.text();
    }
    write_string(pipe_fds[1], skipped);
    write_string(pipe_fds[1], datagram);
    write_string(pipe_fds[1], stderr_text);
    ::_exit(0);
  }
  ::close(pipe_fds[1]);
  JournalRun run{read_string(pipe_fds[0]), read_string(pipe_fds[0]), read_string(pipe_fds[0])};
  ::close(pipe_fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  return run;
}

TEST_F(LogTest, ROOT_JournalSinkSendsStructuredFields) {
  JournalRun run = run_with_journald(Journald::listening, [] {
    init("dcos-agent", Level::info, Sink::journal);
    warning("task lost", {{"TASK_ID", "web.1"}, {"NOTE", "two\nlines"}});
  });
  if (!run.skipped.empty()) GTEST_SKIP() << "needs a private mount namespace: " << run.skipped;
  // journald's native protocol: KEY=value lines, and a length-prefixed
  // binary form for values holding a newline.
  std::string note_size("\x09\0\0\0\0\0\0\0", 8);
  EXPECT_EQ(run.datagram,
            "MESSAGE=task lost\nPRIORITY=4\nSYSLOG_IDENTIFIER=dcos-agent\nTASK_ID=web.1\n"
            "NOTE\n" +
                note_size + "two\nlines\n");
  EXPECT_EQ(run.stderr_text, "");
}

TEST_F(LogTest, ROOT_AutomaticSinkUsesTheJournalWhenItIsStderr) {
  JournalRun run = run_with_journald(Journald::listening, [] {
    struct stat st {};
    ::fstat(STDERR_FILENO, &st);
    std::string stream = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
    ::setenv("JOURNAL_STREAM", stream.c_str(), 1);
    init("dcos-agent", Level::info, Sink::automatic);
    info("recovered");
  });
  if (!run.skipped.empty()) GTEST_SKIP() << "needs a private mount namespace: " << run.skipped;
  EXPECT_EQ(run.datagram, "MESSAGE=recovered\nPRIORITY=6\nSYSLOG_IDENTIFIER=dcos-agent\n");
  EXPECT_EQ(run.stderr_text, "");
}

TEST_F(LogTest, ROOT_JournalFailureFallsBackToStderr) {
  JournalRun run = run_with_journald(Journald::not_reading, [] {
    init("dcos-agent", Level::info, Sink::journal);
    error("cannot reach journald", {{"AGENT_ID", "S1"}});
  });
  if (!run.skipped.empty()) GTEST_SKIP() << "needs a private mount namespace: " << run.skipped;
  EXPECT_EQ(run.datagram, "");
  EXPECT_TRUE(
      std::regex_match(run.stderr_text, std::regex(timestamp + " E dcos-agent: cannot reach journald AGENT_ID=S1\n")))
      << run.stderr_text;
}

TEST_F(LogTest, ROOT_JournalSinkWithoutJournaldWritesToStderr) {
  JournalRun run = run_with_journald(Journald::absent, [] {
    init("dcos-agent", Level::info, Sink::journal);
    info("no journald here");
  });
  if (!run.skipped.empty()) GTEST_SKIP() << "needs a private mount namespace: " << run.skipped;
  EXPECT_EQ(run.datagram, "");
  EXPECT_TRUE(std::regex_match(run.stderr_text, std::regex(timestamp + " I dcos-agent: no journald here\n")))
      << run.stderr_text;
}

}  // namespace
}  // namespace dcos::log
