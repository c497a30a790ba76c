// The parsers behind a launch: capability names, rlimits, users, container
// ids, the supervisor's status file. Pure functions of their input (users
// read this host's database, where root and nobody exist on Debian).
#include <sys/resource.h>

#include <gtest/gtest.h>

#include "isolation/launch_plan.hpp"
#include "isolation/launcher.hpp"
#include "isolation/linux/capabilities.hpp"
#include "isolation/linux/rlimits.hpp"
#include "isolation/linux/user.hpp"

namespace dcos::isolation {
namespace {

TEST(Capabilities, ParseNamesWithOrWithoutPrefixInAnyCase) {
  EXPECT_EQ(capabilities::parse("CAP_SYS_ADMIN").value(), 21);
  EXPECT_EQ(capabilities::parse("sys_admin").value(), 21);
  EXPECT_EQ(capabilities::parse("checkpoint_restore").value(), capabilities::kLast);
  EXPECT_EQ(capabilities::parse("CAP_NOPE").error().message, "unknown capability 'CAP_NOPE'");
  EXPECT_EQ(capabilities::parse_list("CHOWN, kill").value(), capabilities::bit(0) | capabilities::bit(5));
  EXPECT_EQ(capabilities::parse_list("").value(), 0u);
  EXPECT_EQ(capabilities::parse_list("ALL").value(), (capabilities::bit(capabilities::kLast) << 1) - 1);
  EXPECT_FALSE(capabilities::parse_list("CHOWN,,BOGUS"));
}

TEST(Capabilities, DockersDefaultSetIsTheKnownMask) {
  // What `grep CapEff /proc/self/status` shows in a default Docker container.
  EXPECT_EQ(capabilities::docker_default(), 0xa80425fbu);
  EXPECT_EQ(capabilities::names(capabilities::bit(0) | capabilities::bit(21)),
            (std::vector<std::string>{"CAP_CHOWN", "CAP_SYS_ADMIN"}));
}

TEST(Rlimits, ParseSoftHardAndUnlimited) {
  auto limit = parse_rlimit("nofile=1024:4096");
  ASSERT_TRUE(limit) << limit.error().message;
  EXPECT_EQ(limit->resource, RLIMIT_NOFILE);
  EXPECT_EQ(limit->soft, 1024u);
  EXPECT_EQ(limit->hard, 4096u);
  EXPECT_EQ(parse_rlimit("core=0")->hard, 0u);
  EXPECT_EQ(parse_rlimit("memlock=unlimited")->soft, RLIM_INFINITY);
  EXPECT_EQ(parse_rlimit("nofiles=1").error().message, "rlimit 'nofiles=1': unknown resource 'nofiles'");
  EXPECT_EQ(parse_rlimit("nofile").error().message, "rlimit 'nofile' is not NAME=SOFT[:HARD]");
  EXPECT_EQ(parse_rlimit("nofile=9:8").error().message, "rlimit 'nofile=9:8': soft limit above hard limit");
  EXPECT_FALSE(parse_rlimit("nofile=-1"));
  EXPECT_EQ(rlimit_name(RLIMIT_NPROC), "nproc");
}

TEST(Users, ResolveNamesIdsAndGroups) {
  auto root = resolve_user("root");
  ASSERT_TRUE(root) << root.error().message;
  EXPECT_EQ(root->uid, 0u);
  EXPECT_EQ(root->home, "/root");
  auto nobody = resolve_user("nobody:nogroup");
  ASSERT_TRUE(nobody) << nobody.error().message;
  EXPECT_EQ(nobody->uid, 65534u);
  EXPECT_EQ(nobody->gid, 65534u);
  auto numeric = resolve_user("4242:4343");
  ASSERT_TRUE(numeric);
  EXPECT_EQ(numeric->uid, 4242u);
  EXPECT_EQ(numeric->gid, 4343u);
  EXPECT_EQ(resolve_user("no-such-user-dcos").error().message, "user 'no-such-user-dcos' does not exist");
  EXPECT_EQ(resolve_user("root:no-such-group-dcos").error().message, "group 'no-such-group-dcos' does not exist");
  EXPECT_FALSE(resolve_user(""));
}

TEST(ContainerIds, AreOnePathComponentOfSafeCharacters) {
  EXPECT_TRUE(validate_container_id("3f6c1a2e-0b9d-4c7e-9f00-1c2d3e4f5a6b"));
  EXPECT_TRUE(validate_container_id("task.web_1"));
  for (const char* bad : {"", "../x", "a/b", ".hidden", "-dash", "sp ace"})
    EXPECT_FALSE(validate_container_id(bad)) << bad;
  EXPECT_FALSE(validate_container_id(std::string(129, 'a')));
}

TEST(ExitStatus, ParsesWhatTheSupervisorWrites) {
  EXPECT_EQ(parse_exit_status("exited 3\n")->exit_code, 3);
  EXPECT_EQ(parse_exit_status("signaled 9\n")->signal, 9);
  for (const char* bad : {"", "exited", "exited x", "stopped 1", "exited -1"})
    EXPECT_FALSE(parse_exit_status(bad)) << bad;
}

}  // namespace
}  // namespace dcos::isolation
