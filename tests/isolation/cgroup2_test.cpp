// cgroup v2 primitives on this host's real cgroup2 hierarchy. Each test works
// in a child cgroup of its own and removes it, also when it fails. Tests
// needing root, a cgroup2 mount or a controller skip, naming what is missing.
#include "isolation/linux/cgroup2.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "isolation/linux/cgroup_layout.hpp"
#include "tests/support/held_child.hpp"

namespace dcos::isolation::cgroup2 {
namespace {

using namespace std::chrono_literals;

TEST(FlatKeyed, ParsesEventsAndStatFiles) {
  auto values = parse_flat_keyed("populated 1\nfrozen 0\n");
  ASSERT_TRUE(values) << values.error().message;
  EXPECT_EQ(values->at("populated"), 1u);
  EXPECT_EQ(values->at("frozen"), 0u);
  auto stat = parse_flat_keyed("usage_usec 18446744073709551615\nuser_usec 5\n");
  ASSERT_TRUE(stat) << stat.error().message;
  EXPECT_EQ(stat->at("usage_usec"), 18446744073709551615u);
}

TEST(FlatKeyed, RejectsLinesThatAreNotKeyAndNumber) {
  for (std::string_view bad : {"populated\n", " 1\n", "oom_kill x\n", "low 18446744073709551616\n"}) {
    auto values = parse_flat_keyed(bad);
    EXPECT_FALSE(values) << bad;
  }
}

using dcos::testing::running;

// A child cgroup under this host's cgroup2 mount, removed at the end.
class Cgroup2Test : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "ROOT: cgroup tests need root";
    auto host = detect_host_cgroups();
    if (!host || host->mounts.unified.empty())
      GTEST_SKIP() << "CGROUPS2: no cgroup2 mount on this host" << (host ? "" : " (" + host.error().message + ")");
    root_ = host->mounts.unified;
    static std::atomic<int> counter{0};
    path_ = root_ + "/dcos-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
    ASSERT_TRUE(create(path_));
    // Orphaned grandchildren come back to this process, which reaps them,
    // instead of piling up as zombies of an init that may not reap.
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  }

  void TearDown() override {
    if (!path_.empty() && std::filesystem::exists(path_)) {
      EXPECT_TRUE(destroy(path_)) << path_;
    }
    for (pid_t pid : children_) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
  }

  // A child process that waits for signals, moved into the test cgroup.
  pid_t start_sleeper() {
    const pid_t pid = ::fork();
    if (pid == 0) {
      for (;;) ::pause();
    }
    children_.push_back(pid);
    EXPECT_TRUE(add_process(path_, pid));
    return pid;
  }

  // How the process ended: the signal that killed it, or -1.
  int reap(pid_t pid) {
    int status = 0;
    if (::waitpid(pid, &status, 0) != pid) return -1;
    std::erase(children_, pid);
    return WIFSIGNALED(status) ? WTERMSIG(status) : -1;
  }

  // Why a test that needs `names` cannot run here, or "" when it can.
  std::string missing_controllers(const std::set<std::string>& names) {
    auto available = controllers(root_);
    std::string missing;
    for (const auto& name : names)
      if (!available || !available->contains(name)) missing += (missing.empty() ? "" : ", ") + name;
    if (missing.empty()) return "";
    return "CGROUPS2: controllers not available under " + root_ + ": " + missing +
           " (a hybrid host keeps them in v1; run on a pure v2 host or in the VM)";
  }

  std::string root_;
  std::string path_;
  std::vector<pid_t> children_;
};

TEST_F(Cgroup2Test, ProcessesJoinFreezeAndAreKilledWithTheCgroup) {
  const pid_t pid = start_sleeper();
  auto pids = processes(path_);
  ASSERT_TRUE(pids) << pids.error().message;
  EXPECT_EQ(*pids, std::vector<pid_t>{pid});
  EXPECT_EQ(populated(path_).value(), true);

  ASSERT_TRUE(freeze(path_, true));
  bool is_frozen = false;
  for (int i = 0; i < 1000 && !is_frozen; ++i) {
    is_frozen = frozen(path_).value();
    if (!is_frozen) std::this_thread::sleep_for(1ms);
  }
  EXPECT_TRUE(is_frozen) << "cgroup.events never said frozen 1";
  ASSERT_TRUE(freeze(path_, false));

  ASSERT_TRUE(destroy(path_));
  EXPECT_FALSE(std::filesystem::exists(path_));
  EXPECT_EQ(reap(pid), SIGKILL);
}

TEST_F(Cgroup2Test, DestroyKillsAWholeProcessTree) {
  int go[2];
  ASSERT_EQ(::pipe2(go, O_CLOEXEC), 0);
  const pid_t pid = ::fork();
  if (pid == 0) {
    // Only once inside the cgroup: fork children, which must die with it.
    char byte;
    if (::read(go[0], &byte, 1) != 1) ::_exit(1);
    for (int i = 0; i < 3; ++i)
      if (::fork() == 0) break;
    for (;;) ::pause();
  }
  ::close(go[0]);
  children_.push_back(pid);
  // Not moved: closing the pipe unwritten makes the child exit, forking nothing.
  const bool moved = add_process(path_, pid).ok();
  const bool told = moved && ::write(go[1], "x", 1) == 1;
  ::close(go[1]);
  ASSERT_TRUE(moved && told);
  const std::vector<pid_t> tree = dcos::testing::wait_for_processes([&] { return processes(path_).value(); }, 4);
  EXPECT_EQ(tree.size(), 4u) << "the child and its three children should all be in the cgroup";
  ASSERT_TRUE(destroy(path_));
  EXPECT_FALSE(std::filesystem::exists(path_));
  EXPECT_EQ(reap(pid), SIGKILL);
  // The orphaned grandchildren are zombies until TearDown reaps them.
  for (pid_t member : tree) EXPECT_FALSE(running(member)) << member << " survived";
}

TEST_F(Cgroup2Test, RemovingABusyCgroupFailsNamingIt) {
  start_sleeper();
  auto removed = remove(path_);
  ASSERT_FALSE(removed);
  EXPECT_EQ(removed.error().message, "rmdir '" + path_ + "': Device or resource busy");
}

TEST_F(Cgroup2Test, WritesToAMissingControlFileNameThePath) {
  auto written = add_process(path_ + "/nonexistent", 1);
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().message, "open '" + path_ + "/nonexistent/cgroup.procs': No such file or directory");
  EXPECT_FALSE(cpu::set_weight(path_, 0));
  EXPECT_FALSE(cpu::set_weight(path_, 10001));
}

TEST_F(Cgroup2Test, MemoryAndPidsLimitsReadBack) {
  if (auto missing = missing_controllers({"memory", "pids"}); !missing.empty()) GTEST_SKIP() << missing;
  ASSERT_TRUE(enable_controllers(root_, {"memory", "pids"}));
  ASSERT_TRUE(enable_controllers(path_, {"memory", "pids"}));
  const std::string limited = path_ + "/limited";
  ASSERT_TRUE(create(limited));
  EXPECT_TRUE(memory::set_max(limited, 64u << 20));
  EXPECT_TRUE(memory::set_high(limited, 48u << 20));
  EXPECT_TRUE(pids::set_max(limited, 5));
  EXPECT_EQ(memory::oom_kills(limited).value(), 0u);
  EXPECT_TRUE(remove(limited));
}

}  // namespace
}  // namespace dcos::isolation::cgroup2
