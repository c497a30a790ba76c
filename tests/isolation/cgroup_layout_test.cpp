#include "isolation/linux/cgroup_layout.hpp"

#include <linux/magic.h>
#include <sys/vfs.h>

#include <gtest/gtest.h>

#include "runtime/atomic_file.hpp"

namespace dcos::isolation {
namespace {

// A hybrid host (Debian 12 under a v1-era init), as /proc/self/mountinfo shows it.
constexpr std::string_view kHybrid =
    "22 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n"
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:9 - cgroup cgroup rw,cpu,cpuacct\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids,clone_children\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate\n";

// A pure v2 host (systemd's default since v247).
constexpr std::string_view kUnified =
    "22 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n"
    "26 22 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 "
    "rw,nsdelegate,memory_recursiveprot\n";

TEST(CgroupMounts, HybridHostHasV1ControllersAndAUnifiedMount) {
  auto mounts = parse_cgroup_mounts(kHybrid);
  ASSERT_TRUE(mounts) << mounts.error().message;
  EXPECT_EQ(mounts->unified, "/sys/fs/cgroup/unified");
  EXPECT_EQ(mounts->v1.size(), 5u);  // cpu, cpuacct, memory, pids, name=systemd
  EXPECT_EQ(mounts->v1.at("cpu"), "/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_EQ(mounts->v1.at("cpuacct"), "/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_EQ(mounts->v1.at("memory"), "/sys/fs/cgroup/memory");
  EXPECT_EQ(mounts->v1.at("name=systemd"), "/sys/fs/cgroup/systemd");
  EXPECT_FALSE(mounts->v1.contains("clone_children"));
  EXPECT_FALSE(mounts->v1.contains("xattr"));
}

TEST(CgroupMounts, UnifiedHostHasNoV1Hierarchies) {
  auto mounts = parse_cgroup_mounts(kUnified);
  ASSERT_TRUE(mounts) << mounts.error().message;
  EXPECT_EQ(mounts->unified, "/sys/fs/cgroup");
  EXPECT_TRUE(mounts->v1.empty());
}

TEST(CgroupMounts, MountPointsAreUnescaped) {
  auto mounts = parse_cgroup_mounts("50 1 0:40 / /tmp/my\\040cgroups rw - cgroup2 cgroup2 rw\n");
  ASSERT_TRUE(mounts) << mounts.error().message;
  EXPECT_EQ(mounts->unified, "/tmp/my cgroups");
}

TEST(CgroupMounts, MalformedLinesAreErrorsNamingTheLine) {
  for (std::string_view bad : {"31 23 0:28 / /sys/fs/cgroup rw\n", "31 23 0:28 / /x rw - cgroup2\n", "garbage"}) {
    auto mounts = parse_cgroup_mounts(bad);
    ASSERT_FALSE(mounts) << bad;
    EXPECT_NE(mounts.error().message.find("mountinfo line 1 is malformed"), std::string::npos);
  }
}

TEST(ProcessCgroups, ParsesV1AndV2Lines) {
  auto entries = parse_process_cgroups("9:name=systemd:/\n4:memory:/process_api/d3b8\n2:cpu,cpuacct:/a b\n0::/\n");
  ASSERT_TRUE(entries) << entries.error().message;
  ASSERT_EQ(entries->size(), 4u);
  EXPECT_EQ((*entries)[0].controllers, std::vector<std::string>{"name=systemd"});
  EXPECT_EQ((*entries)[1].hierarchy, 4u);
  EXPECT_EQ((*entries)[1].path, "/process_api/d3b8");
  EXPECT_EQ((*entries)[2].controllers, (std::vector<std::string>{"cpu", "cpuacct"}));
  EXPECT_EQ((*entries)[2].path, "/a b");
  EXPECT_EQ((*entries)[3].hierarchy, 0u);
  EXPECT_TRUE((*entries)[3].controllers.empty());
  EXPECT_EQ((*entries)[3].path, "/");
}

TEST(ProcessCgroups, MalformedLinesAreErrors) {
  for (std::string_view bad : {"x::/\n", "1:memory\n", "1:memory:relative\n", "-1::/\n"}) {
    auto entries = parse_process_cgroups(bad);
    ASSERT_FALSE(entries) << bad;
    EXPECT_NE(entries.error().message.find("cgroup line 1 is malformed"), std::string::npos);
  }
}

// The live host: what detect says must agree with the kernel's own view.
TEST(HostCgroups, DetectionAgreesWithStatfsAndThisProcessCgroups) {
  struct statfs fs {};
  if (::statfs("/sys/fs/cgroup", &fs) != 0) GTEST_SKIP() << "no /sys/fs/cgroup on this host";
  auto host = detect_host_cgroups();
  ASSERT_TRUE(host) << host.error().message;
  if (static_cast<unsigned long>(fs.f_type) == CGROUP2_SUPER_MAGIC) {
    EXPECT_EQ(host->layout, CgroupLayout::unified);
    EXPECT_EQ(host->mounts.unified, "/sys/fs/cgroup");
  } else {
    EXPECT_NE(host->layout, CgroupLayout::unified);
    EXPECT_FALSE(host->mounts.v1.empty()) << "a tmpfs at /sys/fs/cgroup with no v1 hierarchy";
  }
  auto own = read_file("/proc/self/cgroup");
  ASSERT_TRUE(own) << own.error().message;
  auto entries = parse_process_cgroups(*own);
  ASSERT_TRUE(entries) << entries.error().message;
  for (const auto& entry : *entries)
    for (const auto& controller : entry.controllers)
      EXPECT_TRUE(host->mounts.v1.contains(controller)) << controller << " is in /proc/self/cgroup but not mounted";
}

}  // namespace
}  // namespace dcos::isolation
