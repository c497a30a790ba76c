// cgroup v1 primitives on this host's real v1 hierarchies. Each test works in
// child cgroups of its own (one per hierarchy) and removes them, also when it
// fails. Tests needing root or a hierarchy skip, naming what is missing.
#include "isolation/linux/cgroup1.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <thread>

#include <gtest/gtest.h>

#include "isolation/linux/cgroup_layout.hpp"
#include "runtime/atomic_file.hpp"
#include "tests/support/held_child.hpp"

namespace dcos::isolation::cgroup1 {
namespace {

using namespace std::chrono_literals;
using dcos::testing::HeldChild;
using dcos::testing::running;

// One child cgroup in each v1 hierarchy this host mounts of those below,
// removed at the end with everything in it.
class Cgroup1Test : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "ROOT: cgroup tests need root";
    auto host = detect_host_cgroups();
    if (!host) GTEST_SKIP() << "CGROUPS1: " << host.error().message;
    static std::atomic<int> counter{0};
    const std::string name = "/dcos-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
    for (const char* controller : {"memory", "freezer", "cpu", "cpuacct", "pids", "blkio"}) {
      auto mount = host->mounts.v1.find(controller);
      if (mount == host->mounts.v1.end()) continue;
      dirs_[controller] = mount->second + name;
    }
    for (const auto& [controller, dir] : dirs_)
      if (!std::filesystem::exists(dir)) {
        ASSERT_TRUE(create(dir)) << dir;
      }
    // Orphaned grandchildren come back to this process, which reaps them.
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  }

  void TearDown() override {
    EXPECT_TRUE(destroy(all(), dir("freezer")));
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
  }

  // Why a test needing `controllers` cannot run here, or "".
  std::string missing(std::initializer_list<const char*> controllers) {
    std::string out;
    for (const char* controller : controllers)
      if (!dirs_.contains(controller)) out += (out.empty() ? "" : ", ") + std::string(controller);
    return out.empty() ? "" : "CGROUPS1: no v1 hierarchy mounted for " + out;
  }

  std::string dir(const std::string& controller) { return dirs_.contains(controller) ? dirs_[controller] : ""; }

  std::vector<std::string> all() {
    std::vector<std::string> out;
    for (const auto& [controller, each] : dirs_)
      if (std::find(out.begin(), out.end(), each) == out.end()) out.push_back(each);
    return out;
  }

  void add_everywhere(pid_t pid) {
    for (const auto& each : all()) EXPECT_TRUE(add_process(each, pid)) << each;
  }

  std::map<std::string, std::string> dirs_;
};

TEST_F(Cgroup1Test, FreezesAndThawsItsProcesses) {
  if (auto why = missing({"freezer"}); !why.empty()) GTEST_SKIP() << why;
  HeldChild child([] {
    for (;;) ::pause();
    return 0;
  });
  ASSERT_TRUE(add_process(dir("freezer"), child.pid()));
  EXPECT_EQ(processes(dir("freezer")).value(), std::vector<pid_t>{child.pid()});
  EXPECT_EQ(freezer::state(dir("freezer")).value(), "THAWED");
  ASSERT_TRUE(freezer::freeze(dir("freezer")));
  EXPECT_EQ(freezer::state(dir("freezer")).value(), "FROZEN");
  ASSERT_TRUE(freezer::thaw(dir("freezer")));
  EXPECT_EQ(freezer::state(dir("freezer")).value(), "THAWED");
}

TEST_F(Cgroup1Test, DestroyKillsAForkingTreeAndRemovesEveryDirectory) {
  if (auto why = missing({"freezer"}); !why.empty()) GTEST_SKIP() << why;
  // Three children that fork short-lived children without end.
  HeldChild child(dcos::testing::forking_tree);
  add_everywhere(child.pid());
  ASSERT_TRUE(child.release());
  const std::vector<pid_t> tree =
      dcos::testing::wait_for_processes([&] { return processes(dir("freezer")).value(); }, 4);
  EXPECT_GE(tree.size(), 4u) << "the child and its three children should all be in the cgroup";

  ASSERT_TRUE(destroy(all(), dir("freezer")));
  for (const auto& each : all()) EXPECT_FALSE(std::filesystem::exists(each)) << each;
  const int status = child.wait();
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  for (pid_t member : tree) EXPECT_FALSE(running(member)) << member << " survived";
  // Destroying what is gone succeeds.
  EXPECT_TRUE(destroy(all(), dir("freezer")));
}

TEST_F(Cgroup1Test, DestroyWithoutAFreezerKillsUntilEmpty) {
  if (auto why = missing({"memory"}); !why.empty()) GTEST_SKIP() << why;
  const std::string memory = dir("memory");
  HeldChild child([] {
    for (;;) ::pause();
    return 0;
  });
  ASSERT_TRUE(add_process(memory, child.pid()));
  ASSERT_TRUE(destroy({memory}, ""));
  EXPECT_FALSE(std::filesystem::exists(memory));
  const int status = child.wait();
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

TEST_F(Cgroup1Test, MemoryLimitsReadBack) {
  if (auto why = missing({"memory"}); !why.empty()) GTEST_SKIP() << why;
  const std::string memory = dir("memory");
  ASSERT_TRUE(memory::set_limit(memory, 64u << 20));
  ASSERT_TRUE(memory::set_soft_limit(memory, 48u << 20));
  EXPECT_EQ(read_file(memory + "/memory.limit_in_bytes").value(), std::to_string(64u << 20) + "\n");
  EXPECT_EQ(read_file(memory + "/memory.soft_limit_in_bytes").value(), std::to_string(48u << 20) + "\n");
  EXPECT_EQ(memory::usage(memory).value(), 0u);
  EXPECT_EQ(memory::max_usage(memory).value(), 0u);
  EXPECT_EQ(memory::oom_kills(memory).value(), 0u);
  ASSERT_TRUE(memory::set_limit(memory, std::nullopt));
  EXPECT_GT(std::stoull(read_file(memory + "/memory.limit_in_bytes").value()), uint64_t{1} << 60);
}

TEST_F(Cgroup1Test, CpuAndPidsLimitsReadBack) {
  if (auto why = missing({"cpu", "cpuacct", "pids"}); !why.empty()) GTEST_SKIP() << why;
  const std::string cpu = dir("cpu");
  ASSERT_TRUE(cpu::set_shares(cpu, 512));
  EXPECT_EQ(read_file(cpu + "/cpu.shares").value(), "512\n");
  EXPECT_FALSE(cpu::set_shares(cpu, 1));
  ASSERT_TRUE(cpu::set_cfs_quota(cpu, 20000us, 100000us));
  EXPECT_EQ(read_file(cpu + "/cpu.cfs_quota_us").value(), "20000\n");
  EXPECT_EQ(read_file(cpu + "/cpu.cfs_period_us").value(), "100000\n");
  ASSERT_TRUE(cpu::set_cfs_quota(cpu, std::nullopt));
  EXPECT_EQ(read_file(cpu + "/cpu.cfs_quota_us").value(), "-1\n");
  EXPECT_EQ(cpu::nr_throttled(cpu).value(), 0u);
  EXPECT_EQ(cpu::throttled_time(cpu).value(), 0ns);
  EXPECT_EQ(cpuacct::usage(dir("cpuacct")).value(), 0ns);

  ASSERT_TRUE(pids::set_max(dir("pids"), 5));
  EXPECT_EQ(read_file(dir("pids") + "/pids.max").value(), "5\n");
  ASSERT_TRUE(pids::set_max(dir("pids"), std::nullopt));
  EXPECT_EQ(read_file(dir("pids") + "/pids.max").value(), "max\n");
  EXPECT_EQ(pids::current(dir("pids")).value(), 0u);
}

TEST_F(Cgroup1Test, BlkioWeightWhereTheSchedulerHasOne) {
  if (auto why = missing({"blkio"}); !why.empty()) GTEST_SKIP() << why;
  if (!blkio::has_weight(dir("blkio")))
    GTEST_SKIP() << "CGROUPS1: neither blkio.weight nor blkio.bfq.weight in " << dir("blkio");
  ASSERT_TRUE(blkio::set_weight(dir("blkio"), 250));
  const std::string file =
      std::filesystem::exists(dir("blkio") + "/blkio.weight") ? "/blkio.weight" : "/blkio.bfq.weight";
  EXPECT_EQ(read_file(dir("blkio") + file).value(), "250\n");
  EXPECT_FALSE(blkio::set_weight(dir("blkio"), 5));
}

TEST_F(Cgroup1Test, ErrorsNameTheFile) {
  if (auto why = missing({"freezer"}); !why.empty()) GTEST_SKIP() << why;
  auto frozen = freezer::freeze(dir("freezer") + "/nonexistent");
  ASSERT_FALSE(frozen);
  EXPECT_EQ(frozen.error().message,
            "open '" + dir("freezer") + "/nonexistent/freezer.state': No such file or directory");
  auto removed = remove(dir("freezer") + "/nonexistent");
  ASSERT_FALSE(removed);
  EXPECT_EQ(removed.error().message, "rmdir '" + dir("freezer") + "/nonexistent': No such file or directory");
}

}  // namespace
}  // namespace dcos::isolation::cgroup1
