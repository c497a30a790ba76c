// The Cgroups interface: limits' validation and conversions as unit tests;
// the v1 implementation proven on this host's v1 hierarchies (OOM kills,
// pids and CPU limits, destroy) and the v2 one on its cgroup2 mount without
// controllers (processes, clone into the cgroup, destroy, list, the
// delegated leaf). Each test works under a root of its own, removed at the
// end also when it fails; tests skip naming what is missing.
#include "isolation/cgroups.hpp"

#include <linux/sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "isolation/linux/cgroup1.hpp"
#include "isolation/linux/cgroup2.hpp"
#include "isolation/linux/cgroupfs.hpp"
#include "runtime/atomic_file.hpp"
#include "tests/support/held_child.hpp"

namespace dcos::isolation {
namespace {

using namespace std::chrono_literals;
using dcos::testing::HeldChild;
using dcos::testing::running;

constexpr uint64_t kMiB = 1u << 20;

std::string rejection(const CgroupLimits& limits) {
  auto valid = limits.validate();
  return valid ? "" : valid.error().message;
}

TEST(CgroupLimits, ValidationNamesTheFieldAndValue) {
  EXPECT_TRUE(CgroupLimits{}.validate());
  EXPECT_TRUE((CgroupLimits{
      .cpus = 0.01, .cpu_quota = 4, .memory_max = 4 * kMiB, .memory_high = 4 * kMiB, .pids_max = 1, .io_weight = 10000}
                   .validate()));
  EXPECT_EQ(rejection({.cpus = 0.001}), "cpus 0.001 is outside 0.01-65536");
  EXPECT_EQ(rejection({.cpus = std::nan("")}), "cpus nan is outside 0.01-65536");
  EXPECT_EQ(rejection({.cpu_quota = HUGE_VAL}), "cpu_quota inf is outside 0.01-65536");
  EXPECT_EQ(rejection({.cpu_quota = 0}), "cpu_quota 0 is outside 0.01-65536");
  EXPECT_EQ(rejection({.memory_max = kMiB}), "memory_max 1048576 is below 4 MiB (4194304 bytes)");
  EXPECT_EQ(rejection({.memory_max = 64 * kMiB, .memory_high = 100 * kMiB}),
            "memory_high 104857600 is above memory_max 67108864");
  EXPECT_EQ(rejection({.pids_max = 0}), "pids_max 0 is below 1");
  EXPECT_EQ(rejection({.io_weight = 0}), "io_weight 0 is outside 1-10000");
  EXPECT_EQ(rejection({.io_weight = 10001}), "io_weight 10001 is outside 1-10000");
}

TEST(CgroupLimits, ConvertsToEachVersionsUnits) {
  EXPECT_EQ(cpu_weight(1), 100u);
  EXPECT_EQ(cpu_weight(0.01), 1u);
  EXPECT_EQ(cpu_weight(0.004), 1u);
  EXPECT_EQ(cpu_weight(2.5), 250u);
  EXPECT_EQ(cpu_weight(1000), 10000u);
  EXPECT_EQ(cpu_shares(1), 1024u);
  EXPECT_EQ(cpu_shares(0.5), 512u);
  EXPECT_EQ(cpu_shares(0.001), 2u);
  EXPECT_EQ(cpu_shares(1000), 262144u);
  EXPECT_EQ(cpu_quota(0.1), 10000us);
  EXPECT_EQ(cpu_quota(2), 200000us);
  EXPECT_EQ(blkio_weight(1), 10u);
  EXPECT_EQ(blkio_weight(100), 500u);
  EXPECT_EQ(blkio_weight(10000), 1000u);
}

TEST(OpenCgroups, RejectsARootThatIsNotBelowTheMount) {
  HostCgroups host;
  host.layout = CgroupLayout::unified;
  host.mounts.unified = "/nonexistent";
  for (const char* root : {"", "/", "//", "/a/../b"}) {
    auto opened = open_cgroups(host, root);
    EXPECT_FALSE(opened) << root;
  }
}

// The test's root, "/dcos-test-<pid>-<n>", and its cleanup.
class CgroupsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "ROOT: cgroup tests need root";
    auto host = detect_host_cgroups();
    if (!host) GTEST_SKIP() << "CGROUPS: " << host.error().message;
    host_ = *host;
    static std::atomic<int> counter{0};
    root_ = "/dcos-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
    // Orphaned grandchildren come back to this process, which reaps them.
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  }

  void TearDown() override {
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
  }

  HostCgroups host_;
  std::string root_;
  std::unique_ptr<Cgroups> cgroups_;
};

class CgroupsV1Test : public CgroupsTest {
 protected:
  void SetUp() override {
    CgroupsTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    if (!host_.mounts.v1.contains("memory") || !host_.mounts.v1.contains("freezer"))
      GTEST_SKIP() << "CGROUPS1: no v1 memory and freezer hierarchies on this host";
    for (const char* controller : {"memory", "freezer", "cpu", "cpuacct", "pids", "blkio", "devices"})
      if (auto mount = host_.mounts.v1.find(controller); mount != host_.mounts.v1.end())
        mounts_.emplace(controller, mount->second);
    auto opened = open_cgroups(host_, root_);
    ASSERT_TRUE(opened) << opened.error().message;
    cgroups_ = std::move(*opened);
    ASSERT_EQ(cgroups_->version(), "v1");
  }

  void TearDown() override {
    if (!root_.empty() && !mounts_.empty()) {
      std::vector<std::string> dirs;
      for (const auto& [controller, mount] : mounts_)
        if (std::find(dirs.begin(), dirs.end(), mount + root_) == dirs.end()) dirs.push_back(mount + root_);
      EXPECT_TRUE(cgroup1::destroy(dirs, mounts_.at("freezer") + root_));
    }
    CgroupsTest::TearDown();
  }

  std::string missing(std::initializer_list<const char*> controllers) {
    std::string out;
    for (const char* controller : controllers)
      if (!mounts_.contains(controller)) out += (out.empty() ? "" : ", ") + std::string(controller);
    return out.empty() ? "" : "CGROUPS1: no v1 hierarchy mounted for " + out;
  }

  // Whether any hierarchy has a directory for `container`.
  bool exists_anywhere(const std::string& container) {
    for (const auto& [controller, mount] : mounts_)
      if (std::filesystem::exists(mount + root_ + "/" + container)) return true;
    return false;
  }

  std::map<std::string, std::string> mounts_;
};

TEST_F(CgroupsV1Test, AMemoryHogIsOomKilledAndCounted) {
  ASSERT_TRUE(cgroups_->create("hog", {.memory_max = 64 * kMiB}));
  HeldChild hog([] {
    const std::size_t size = 200 * kMiB;
    void* memory = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) return 2;
    for (std::size_t at = 0; at < size; at += 4096) static_cast<volatile char*>(memory)[at] = 1;
    return 0;
  });
  ASSERT_TRUE(cgroups_->add_process("hog", hog.pid()));
  ASSERT_TRUE(hog.release());
  const int status = hog.wait();
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "wait status " << status;
  auto usage = cgroups_->usage("hog");
  ASSERT_TRUE(usage) << usage.error().message;
  EXPECT_GE(usage->oom_kills, 1u);
  ASSERT_TRUE(usage->memory_peak.has_value());
  EXPECT_LE(*usage->memory_peak, 64 * kMiB);
  EXPECT_TRUE(cgroups_->destroy("hog"));
}

TEST_F(CgroupsV1Test, AForkLoopStopsAtPidsMax) {
  if (auto why = missing({"pids"}); !why.empty()) GTEST_SKIP() << why;
  ASSERT_TRUE(cgroups_->create("forks", {.pids_max = 8}));
  // Exits with the number of children it could fork; they stay, paused.
  HeldChild forker([] {
    int forked = 0;
    for (int i = 0; i < 100; ++i) {
      const pid_t pid = ::fork();
      if (pid == 0) {
        for (;;) ::pause();
      }
      if (pid < 0) break;
      ++forked;
    }
    return forked;
  });
  ASSERT_TRUE(cgroups_->add_process("forks", forker.pid()));
  ASSERT_TRUE(forker.release());
  const int status = forker.wait();
  ASSERT_TRUE(WIFEXITED(status)) << "wait status " << status;
  EXPECT_EQ(WEXITSTATUS(status), 7) << "8 pids: the forker and 7 children";
  auto usage = cgroups_->usage("forks");
  ASSERT_TRUE(usage) << usage.error().message;
  EXPECT_EQ(usage->pids_current, 7u);
  EXPECT_EQ(cgroups_->processes("forks").value().size(), 7u);
  ASSERT_TRUE(cgroups_->destroy("forks"));
  EXPECT_FALSE(exists_anywhere("forks"));
}

TEST_F(CgroupsV1Test, ACpuQuotaThrottles) {
  if (auto why = missing({"cpu", "cpuacct"}); !why.empty()) GTEST_SKIP() << why;
  ASSERT_TRUE(cgroups_->create("spin", {.cpu_quota = 0.1}));
  // Spins for half a second of wall time.
  HeldChild spinner([] {
    const auto end = std::chrono::steady_clock::now() + 500ms;
    while (std::chrono::steady_clock::now() < end) {
    }
    return 0;
  });
  ASSERT_TRUE(cgroups_->add_process("spin", spinner.pid()));
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(spinner.release());
  const int status = spinner.wait();
  const auto wall = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "wait status " << status;
  auto usage = cgroups_->usage("spin");
  ASSERT_TRUE(usage) << usage.error().message;
  EXPECT_GT(usage->cpu_throttled_periods, 0u);
  EXPECT_GT(usage->cpu_time, 0us);
  EXPECT_LT(usage->cpu_time, wall / 2) << "a tenth of a CPU should not spin half the wall time";
}

TEST_F(CgroupsV1Test, LimitsLandInEachHierarchyAndProcessesJoinAll) {
  if (auto why = missing({"cpu", "pids"}); !why.empty()) GTEST_SKIP() << why;
  const CgroupLimits limits{.cpus = 0.5,
                            .cpu_quota = 2,
                            .memory_max = 128 * kMiB,
                            .memory_high = 64 * kMiB,
                            .pids_max = 100,
                            .io_weight = 50};
  ASSERT_TRUE(cgroups_->create("c", limits));
  EXPECT_EQ(cgroups_->path("c"), mounts_.at("memory") + root_ + "/c");
  const std::string memory = mounts_.at("memory") + root_ + "/c";
  const std::string cpu = mounts_.at("cpu") + root_ + "/c";
  EXPECT_EQ(read_file(memory + "/memory.limit_in_bytes").value(), std::to_string(128 * kMiB) + "\n");
  EXPECT_EQ(read_file(memory + "/memory.soft_limit_in_bytes").value(), std::to_string(64 * kMiB) + "\n");
  EXPECT_EQ(read_file(cpu + "/cpu.shares").value(), "512\n");
  EXPECT_EQ(read_file(cpu + "/cpu.cfs_quota_us").value(), "200000\n");
  EXPECT_EQ(read_file(mounts_.at("pids") + root_ + "/c/pids.max").value(), "100\n");
  if (mounts_.contains("blkio") && cgroup1::blkio::has_weight(mounts_.at("blkio") + root_ + "/c")) {
    const std::string blkio = mounts_.at("blkio") + root_ + "/c";
    const std::string file = std::filesystem::exists(blkio + "/blkio.weight") ? "/blkio.weight" : "/blkio.bfq.weight";
    EXPECT_EQ(read_file(blkio + file).value(), "250\n");
  }

  auto fd = cgroups_->open_for_clone("c");
  ASSERT_TRUE(fd);
  EXPECT_FALSE(*fd) << "v1 has no CLONE_INTO_CGROUP";
  HeldChild child([] {
    for (;;) ::pause();
    return 0;
  });
  ASSERT_TRUE(cgroups_->add_process("c", child.pid()));
  EXPECT_EQ(cgroups_->processes("c").value(), std::vector<pid_t>{child.pid()});
  const std::string lines = read_file("/proc/" + std::to_string(child.pid()) + "/cgroup").value();
  for (const auto& [controller, mount] : mounts_) EXPECT_NE(lines.find(controller), std::string::npos);
  auto entries = parse_process_cgroups(lines).value();
  // Every hierarchy but the freezer's (destroy makes that one when it
  // finds processes, and moves them there to freeze them) and the devices'
  // (its policy is on the root, which the process joins).
  const auto alone = [&](const char* controller) {
    return mounts_.contains(controller) && std::count_if(mounts_.begin(), mounts_.end(), [&](const auto& each) {
                                             return each.second == mounts_.at(controller);
                                           }) == 1;
  };
  for (const auto& entry : entries)
    for (const auto& controller : entry.controllers)
      if (mounts_.contains(controller) && controller != "freezer") {
        EXPECT_EQ(entry.path, controller == "devices" && alone("devices") ? root_ : root_ + "/c") << controller;
      }
  const bool freezer_alone = alone("freezer");
  if (freezer_alone) {
    EXPECT_FALSE(std::filesystem::exists(mounts_.at("freezer") + root_ + "/c"));
  }
  auto usage = cgroups_->usage("c");
  ASSERT_TRUE(usage) << usage.error().message;
  EXPECT_EQ(usage->pids_current, 1u);
  EXPECT_EQ(usage->oom_kills, 0u);
  ASSERT_TRUE(cgroups_->destroy("c"));
  EXPECT_FALSE(exists_anywhere("c"));
  const int status = child.wait();
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

TEST_F(CgroupsV1Test, DestroyKillsAForkingTreeAndLeavesNoDirectory) {
  ASSERT_TRUE(cgroups_->create("tree", {}));
  HeldChild child(dcos::testing::forking_tree);
  ASSERT_TRUE(cgroups_->add_process("tree", child.pid()));
  ASSERT_TRUE(child.release());
  const std::vector<pid_t> tree =
      dcos::testing::wait_for_processes([&] { return cgroups_->processes("tree").value(); }, 4);
  EXPECT_GE(tree.size(), 4u);
  auto destroyed = cgroups_->destroy("tree");
  ASSERT_TRUE(destroyed) << destroyed.error().message;
  EXPECT_FALSE(exists_anywhere("tree"));
  const int status = child.wait();
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  for (pid_t member : tree) EXPECT_FALSE(running(member)) << member << " survived";
  EXPECT_TRUE(cgroups_->destroy("tree")) << "destroying what is gone succeeds";
}

// The device policy is written once, on the root, and every container
// joins the root (a devices cgroup of its own would copy the same rules at
// its mkdir). A root that already has children and other rules cannot
// change its default: each container gets a cgroup with the rules.
TEST_F(CgroupsV1Test, TheDevicePolicyIsSetOnTheRootOnceAndInherited) {
  if (auto why = missing({"devices"}); !why.empty()) GTEST_SKIP() << why;
  std::vector<std::string> policy;
  for (const auto& rule : default_devices()) policy.push_back(device_rule_text(rule));
  std::sort(policy.begin(), policy.end());
  const auto rules = [](const std::string& cgroup) {
    auto listed = cgroup1::devices::list(cgroup).value();
    std::sort(listed.begin(), listed.end());
    return listed;
  };
  const std::string devices = mounts_.at("devices") + root_;
  ASSERT_TRUE(cgroups_->create("a", {}));
  EXPECT_EQ(rules(devices), policy);
  EXPECT_FALSE(cgroupfs::exists(devices + "/a"));
  const auto procs = cgroups_->procs_files("a");
  EXPECT_NE(std::find(procs.begin(), procs.end(), devices + "/cgroup.procs"), procs.end());
  ASSERT_TRUE(cgroups_->destroy("a"));

  // A root left by an older version: children, and the host's "allow all".
  // (Refused while the kernel still counts the removed child as online.)
  auto all = cgroup1::devices::allow(devices, "a");
  for (int attempt = 0; !all && attempt < 200; ++attempt) {
    std::this_thread::sleep_for(10ms);
    all = cgroup1::devices::allow(devices, "a");
  }
  ASSERT_TRUE(all) << all.error().message;
  ASSERT_TRUE(cgroup1::create(devices + "/older"));
  auto reopened = open_cgroups(host_, root_);
  ASSERT_TRUE(reopened) << reopened.error().message;
  ASSERT_TRUE((*reopened)->create("b", {}));
  EXPECT_EQ(rules(devices), std::vector<std::string>{"a *:* rwm"});
  EXPECT_EQ(rules(devices + "/b"), policy);
  const auto b_procs = (*reopened)->procs_files("b");
  EXPECT_NE(std::find(b_procs.begin(), b_procs.end(), devices + "/b/cgroup.procs"), b_procs.end());
  ASSERT_TRUE((*reopened)->destroy("b"));
  EXPECT_FALSE(cgroupfs::exists(devices + "/b"));
  ASSERT_TRUE(cgroup1::remove(devices + "/older"));
}

TEST_F(CgroupsV1Test, ListFindsCreatedContainers) {
  EXPECT_EQ(cgroups_->list().value(), std::vector<std::string>{});
  ASSERT_TRUE(cgroups_->create("a", {}));
  ASSERT_TRUE(cgroups_->create("b", {.memory_max = 64 * kMiB}));
  EXPECT_EQ(cgroups_->list().value(), (std::vector<std::string>{"a", "b"}));
  ASSERT_TRUE(cgroups_->destroy("a"));
  EXPECT_EQ(cgroups_->list().value(), std::vector<std::string>{"b"});
  // Left in one hierarchy only (a crash between two mkdirs): still listed.
  ASSERT_TRUE(cgroup1::create(mounts_.at("memory") + root_ + "/half"));
  EXPECT_EQ(cgroups_->list().value(), (std::vector<std::string>{"b", "half"}));
  EXPECT_TRUE(cgroups_->destroy("half"));
  EXPECT_FALSE(exists_anywhere("half"));
}

TEST_F(CgroupsV1Test, CreateIsFreshAndRejectsBadInputBeforeMakingAnything) {
  ASSERT_TRUE(cgroups_->create("c", {}));
  auto again = cgroups_->create("c", {});
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().message.find("already exists"), std::string::npos) << again.error().message;

  const std::vector<CgroupLimits> invalid = {{.cpus = 0},          {.cpu_quota = std::nan("")},
                                             {.memory_max = kMiB}, {.memory_max = 8 * kMiB, .memory_high = 9 * kMiB},
                                             {.pids_max = 0},      {.io_weight = 0}};
  for (const auto& limits : invalid) {
    auto created = cgroups_->create("bad", limits);
    ASSERT_FALSE(created);
    EXPECT_EQ(created.error().message, limits.validate().error().message);
    EXPECT_FALSE(exists_anywhere("bad")) << created.error().message;
  }
  for (const char* name : {"", ".", "..", "a/b"}) {
    auto created = cgroups_->create(name, {});
    EXPECT_FALSE(created) << name;
  }
  EXPECT_EQ(cgroups_->list().value(), std::vector<std::string>{"c"});
  EXPECT_TRUE(cgroups_->destroy("never-made"));
}

TEST_F(CgroupsV1Test, ALimitWithoutItsControllerIsAnErrorNamingIt) {
  // This host as if only memory and freezer were mounted.
  HostCgroups partial = host_;
  std::erase_if(partial.mounts.v1, [](const auto& each) { return each.first != "memory" && each.first != "freezer"; });
  auto opened = open_cgroups(partial, root_);
  ASSERT_TRUE(opened) << opened.error().message;
  auto created = (*opened)->create("c", {.cpus = 1});
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().message,
            "cpu limit requested but the cpu controller is not available: no v1 hierarchy of it is mounted "
            "(/proc/self/mountinfo)");
  created = (*opened)->create("c", {.pids_max = 10});
  ASSERT_FALSE(created);
  EXPECT_TRUE(created.error().message.starts_with("pids limit requested")) << created.error().message;
  EXPECT_FALSE(exists_anywhere("c"));
  // IO weight is best effort: without blkio it is not applied.
  EXPECT_TRUE((*opened)->create("c", {.io_weight = 100}));
  EXPECT_TRUE((*opened)->destroy("c"));

  std::erase_if(partial.mounts.v1, [](const auto& each) { return each.first == "freezer"; });
  auto without_freezer = open_cgroups(partial, root_);
  ASSERT_FALSE(without_freezer);
  EXPECT_NE(without_freezer.error().message.find("'freezer'"), std::string::npos);
}

TEST_F(CgroupsV1Test, TheDelegatedRootIsTheMemoryCgroup) {
  const auto own = [] {
    const auto entries = parse_process_cgroups(read_file("/proc/self/cgroup").value()).value();
    for (const auto& entry : entries)
      if (std::find(entry.controllers.begin(), entry.controllers.end(), "memory") != entry.controllers.end())
        return entry.path;
    return std::string();
  }();
  auto root = enter_delegated_leaf(host_);
  if (own == "/") {
    ASSERT_FALSE(root);
    EXPECT_NE(root.error().message.find("root cgroup"), std::string::npos);
  } else {
    ASSERT_TRUE(root) << root.error().message;
    EXPECT_EQ(*root, own);
  }
}

// The v2 implementation on this host's cgroup2 mount, with whatever
// controllers it has (none on a hybrid host).
class CgroupsV2Test : public CgroupsTest {
 protected:
  void SetUp() override {
    CgroupsTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    if (host_.mounts.unified.empty()) GTEST_SKIP() << "CGROUPS2: no cgroup2 mount on this host";
    mount_ = host_.mounts.unified;
    v2_host_.layout = CgroupLayout::unified;
    v2_host_.mounts.unified = mount_;
    auto opened = open_cgroups(v2_host_, root_);
    ASSERT_TRUE(opened) << opened.error().message;
    cgroups_ = std::move(*opened);
    ASSERT_EQ(cgroups_->version(), "v2");
  }

  void TearDown() override {
    if (!mount_.empty() && std::filesystem::exists(mount_ + root_)) {
      EXPECT_TRUE(cgroup2::destroy(mount_ + root_));
    }
    CgroupsTest::TearDown();
  }

  std::string mount_;
  HostCgroups v2_host_;
};

TEST_F(CgroupsV2Test, AChildClonedIntoTheCgroupDiesWithIt) {
  ASSERT_TRUE(cgroups_->create("c", {}));
  EXPECT_EQ(cgroups_->path("c"), mount_ + root_ + "/c");
  auto fd = cgroups_->open_for_clone("c");
  ASSERT_TRUE(fd) << fd.error().message;
  ASSERT_TRUE(*fd);
  clone_args args{};
  args.flags = CLONE_INTO_CGROUP;
  args.exit_signal = SIGCHLD;
  args.cgroup = static_cast<uint64_t>(fd->get());
  const long pid = ::syscall(SYS_clone3, &args, sizeof args);
  if (pid == 0) {
    for (;;) ::pause();
  }
  if (pid < 0 && errno == ENOSYS) GTEST_SKIP() << "CGROUPS2: no clone3 on this kernel";
  ASSERT_GT(pid, 0) << "clone3: " << std::strerror(errno);
  EXPECT_EQ(cgroups_->processes("c").value(), std::vector<pid_t>{static_cast<pid_t>(pid)});
  auto usage = cgroups_->usage("c");
  ASSERT_TRUE(usage) << usage.error().message;
  ASSERT_TRUE(cgroups_->destroy("c"));
  EXPECT_FALSE(std::filesystem::exists(mount_ + root_ + "/c"));
  int status = 0;
  ASSERT_EQ(::waitpid(static_cast<pid_t>(pid), &status, 0), pid);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

TEST_F(CgroupsV2Test, DestroyKillsAForkingTreeAndNestedCgroups) {
  ASSERT_TRUE(cgroups_->create("tree", {}));
  HeldChild child(dcos::testing::forking_tree);
  ASSERT_TRUE(cgroups_->add_process("tree", child.pid()));
  ASSERT_TRUE(child.release());
  const std::vector<pid_t> tree =
      dcos::testing::wait_for_processes([&] { return cgroups_->processes("tree").value(); }, 4);
  EXPECT_GE(tree.size(), 4u);
  // A cgroup the task made below its own.
  ASSERT_TRUE(cgroup2::create(mount_ + root_ + "/tree/nested"));
  auto destroyed = cgroups_->destroy("tree");
  ASSERT_TRUE(destroyed) << destroyed.error().message;
  EXPECT_FALSE(std::filesystem::exists(mount_ + root_ + "/tree"));
  const int status = child.wait();
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  for (pid_t member : tree) EXPECT_FALSE(running(member)) << member << " survived";
  EXPECT_TRUE(cgroups_->destroy("tree"));
}

TEST_F(CgroupsV2Test, ALimitWithoutItsControllerIsAnErrorNamingIt) {
  // The root is made with the first container; what it can get is its parent's.
  auto enabled = cgroup2::subtree_control(mount_);
  ASSERT_TRUE(enabled) << enabled.error().message;
  if (enabled->contains("memory")) GTEST_SKIP() << "CGROUPS2: this host has the memory controller in v2";
  auto created = cgroups_->create("c", {.memory_max = 64 * kMiB});
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().message, "memory limit requested but the memory controller is not available in " + mount_ +
                                         root_ + " (not in its cgroup.subtree_control)");
  EXPECT_FALSE(std::filesystem::exists(mount_ + root_ + "/c"));
  EXPECT_FALSE(cgroups_->create("c", {.memory_max = kMiB})) << "invalid limits fail first";
  EXPECT_FALSE(std::filesystem::exists(mount_ + root_ + "/c"));
  EXPECT_TRUE(cgroups_->create("c", {.io_weight = 100})) << "io weight is best effort";
  auto again = cgroups_->create("c", {});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().message, "cgroup '" + mount_ + root_ + "/c' already exists");
}

TEST_F(CgroupsV2Test, ListFindsContainersButNotTheAgentsLeaf) {
  auto own = [] {
    const auto entries = parse_process_cgroups(read_file("/proc/self/cgroup").value()).value();
    for (const auto& entry : entries)
      if (entry.hierarchy == 0 && entry.controllers.empty()) return entry.path;
    return std::string();
  }();
  ASSERT_FALSE(own.empty());
  if (own == "/") {
    auto refused = enter_delegated_leaf(v2_host_);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find("root cgroup"), std::string::npos);
  }
  // This process in a "service" cgroup of the test's root, moved back at the end.
  const std::string service = root_ + "/service";
  ASSERT_TRUE(make_directories(mount_ + service));
  struct MoveBack {
    std::string to;
    ~MoveBack() { EXPECT_TRUE(cgroup2::add_process(to, ::getpid())) << to; }
  } move_back{mount_ + own};
  ASSERT_TRUE(cgroup2::add_process(mount_ + service, ::getpid()));

  auto root = enter_delegated_leaf(v2_host_, "agent");
  ASSERT_TRUE(root) << root.error().message;
  EXPECT_EQ(*root, service);
  EXPECT_EQ(cgroup2::processes(mount_ + service + "/agent").value(), std::vector<pid_t>{::getpid()});
  EXPECT_EQ(cgroup2::processes(mount_ + service).value(), std::vector<pid_t>{});
  EXPECT_EQ(enter_delegated_leaf(v2_host_, "agent").value(), service) << "already in the leaf";

  auto opened = open_cgroups(v2_host_, *root);
  ASSERT_TRUE(opened) << opened.error().message;
  auto& cgroups = **opened;
  EXPECT_EQ(cgroups.list().value(), std::vector<std::string>{});
  ASSERT_TRUE(cgroups.create("c1", {}));
  ASSERT_TRUE(cgroups.create("c2", {}));
  EXPECT_EQ(cgroups.list().value(), (std::vector<std::string>{"c1", "c2"}));
  ASSERT_TRUE(cgroups.destroy("c1"));
  EXPECT_EQ(cgroups.list().value(), std::vector<std::string>{"c2"});
}

}  // namespace
}  // namespace dcos::isolation
