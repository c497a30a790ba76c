// The Linux containerizer on this host's real kernel: each limit and each
// isolation proven by a process that runs into it. Runs on the detected
// hierarchy (v1 controllers on a hybrid host, v2 in the VM) and on the
// unified one alone.
#include <linux/capability.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "isolation/launch_plan.hpp"
#include "tests/isolation/container_fixture.hpp"
#include "tests/support/held_child.hpp"

namespace dcos::isolation::testing {
namespace {

using namespace std::chrono_literals;

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST_P(ContainerizerTest, RunsACommandAndReportsItsExitAndOutput) {
  auto s = spec({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"});
  const Termination t = run(s);
  EXPECT_EQ(t.exit_code, 3);
  EXPECT_FALSE(t.signal);
  EXPECT_FALSE(t.oom_killed);
  EXPECT_EQ(t.message, "exited with status 3");
  EXPECT_EQ(output(s), "out\n");
  EXPECT_EQ(output(s, "stderr"), "err\n");
  expect_gone(s.id);
}

TEST_P(ContainerizerTest, TheProcessIsPidOneWithItsOwnHostnameAndNoHostProcesses) {
  auto s = spec({payload(), "pidinfo"});
  s.hostname = "box-1";
  const Termination t = run(s);
  EXPECT_EQ(t.exit_code, 0) << t.message;
  // /proc shows the container's pid namespace: the payload alone.
  EXPECT_EQ(output(s), "pid=1 procs=1 host=box-1\n");
}

// Even as root with Docker's capabilities, the kernel's knobs are out of
// reach: no reboot through sysrq, no sysctl, no kernel memory or keys. (Which
// of these files exist depends on the kernel's configuration.)
TEST_P(ContainerizerTest, KernelFilesAreReadOnlyOrHidden) {
  int checked = 0;
  for (const char* path : {"/proc/sysrq-trigger", "/proc/sys/kernel/hostname", "/proc/sys/vm/drop_caches"}) {
    if (!std::filesystem::exists(path)) continue;
    auto s = spec({payload(), "poke", path});
    EXPECT_EQ(run(s).exit_code, EROFS) << path;
    ++checked;
  }
  for (const char* path : {"/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug"}) {
    if (!std::filesystem::exists(path)) continue;
    auto s = spec({payload(), "size", path});
    EXPECT_EQ(run(s).exit_code, 0) << path;
    EXPECT_EQ(output(s), "0\n") << path;
    ++checked;
  }
  EXPECT_GE(checked, 2);
  auto rooted = spec({"/bin/payload", "poke", "/proc/sys/kernel/hostname"});
  rooted.rootfs = dir_.path() + "/image";
  std::filesystem::create_directories(rooted.rootfs + "/bin");
  std::filesystem::copy_file(payload(), rooted.rootfs + "/bin/payload");
  EXPECT_EQ(run(rooted).exit_code, EROFS);
}

// A device node made in the container (CAP_MKNOD is in Docker's set) opens
// only if the device policy allows it: /dev/null does, the console (5:1,
// which root opens on the host) does not.
TEST_P(ContainerizerTest, OnlyAllowedDevicesOpen) {
  auto null = spec({payload(), "mknod-open", "c", "1", "3"});
  EXPECT_EQ(run(null).exit_code, 0);
  auto console = spec({payload(), "mknod-open", "c", "5", "1"});
  EXPECT_EQ(run(console).exit_code, EPERM);
  // With a root file system, writable places are also nodev.
  auto rooted = spec({"/bin/payload", "mknod-open", "c", "1", "3"});
  rooted.rootfs = dir_.path() + "/image";
  std::filesystem::create_directories(rooted.rootfs + "/bin");
  std::filesystem::copy_file(payload(), rooted.rootfs + "/bin/payload");
  EXPECT_EQ(run(rooted).exit_code, EACCES);
}

TEST_P(ContainerizerTest, TmpIsPrivateAndLandsInTheSandbox) {
  const std::string name = "dcos-private-tmp-" + std::to_string(::getpid());
  auto s = spec({payload(), "touch", "/tmp/" + name});
  EXPECT_EQ(run(s).exit_code, 0);
  EXPECT_FALSE(std::filesystem::exists("/tmp/" + name));
  EXPECT_TRUE(std::filesystem::exists(s.sandbox + "/tmp/" + name));
}

// The private /tmp hides the host's; a sandbox below /tmp stays where it was.
TEST_P(ContainerizerTest, ASandboxBelowTmpStaysVisibleAtItsPath) {
  auto s = spec({"/bin/sh", "-c", "cd \"$MESOS_SANDBOX\" && pwd && ls tmp | wc -l"});
  if (s.sandbox.rfind("/tmp/", 0) != 0) GTEST_SKIP() << "the test's sandbox is not below /tmp ($TMPDIR is set)";
  EXPECT_EQ(run(s).exit_code, 0) << output(s, "stderr");
  // pwd is the sandbox; its tmp/ holds only the mount point made for it.
  EXPECT_EQ(output(s), s.sandbox + "\n1\n");
}

TEST_P(ContainerizerTest, AMemoryHogIsOomKilledAndReportedAsSuch) {
  auto s = spec({payload(), "hog", "200"});
  s.limits.memory_max = 64u << 20;
  const Termination t = run(s);
  SKIP_IF_UNSUPPORTED();
  EXPECT_TRUE(t.oom_killed) << t.message;
  EXPECT_EQ(t.signal, SIGKILL);
  EXPECT_GE(t.usage.oom_kills, 1u);
  EXPECT_TRUE(contains(t.message, "memory limit (64 MiB) exceeded")) << t.message;
  expect_gone(s.id);
}

TEST_P(ContainerizerTest, AnOrdinaryFailureIsNotAnOomKill) {
  auto s = spec({payload(), "hog", "8"});
  s.limits.memory_max = 64u << 20;
  const Termination t = run(s);
  SKIP_IF_UNSUPPORTED();
  EXPECT_EQ(t.exit_code, 0);
  EXPECT_FALSE(t.oom_killed);
  EXPECT_EQ(t.usage.oom_kills, 0u);
  ASSERT_TRUE(t.usage.memory_peak);
  EXPECT_GE(*t.usage.memory_peak, 8u << 20);
}

TEST_P(ContainerizerTest, AForkBombStopsAtThePidsLimit) {
  auto s = spec({payload(), "forkbomb", "100"});
  s.limits.pids_max = 10;
  const Termination t = run(s);
  SKIP_IF_UNSUPPORTED();
  EXPECT_EQ(t.exit_code, 0) << t.message;
  // The payload itself is one of the ten.
  EXPECT_EQ(output(s), "forked=9\n");
}

TEST_P(ContainerizerTest, ACpuQuotaThrottles) {
  auto s = spec({payload(), "spin", "600"});
  s.limits.cpu_quota = 0.1;
  const auto started = std::chrono::steady_clock::now();
  const Termination t = run(s);
  SKIP_IF_UNSUPPORTED();
  const auto wall = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(t.exit_code, 0);
  EXPECT_GT(t.usage.cpu_throttled_periods, 0u);
  // A tenth of a CPU: far less CPU time than the wall time it spun.
  EXPECT_LT(t.usage.cpu_time * 2, wall);
}

TEST_P(ContainerizerTest, SeccompBlocksWithEpermAndNoNewPrivsIsSet) {
  for (const char* call : {"keyctl", "unshare", "mount", "kexec_load"}) {
    auto s = spec({payload(), "syscall", call});
    EXPECT_EQ(run(s).exit_code, EPERM) << call;
  }
  auto s = spec({payload(), "status"});
  EXPECT_EQ(run(s).exit_code, 0);
  const std::string status = output(s);
  EXPECT_TRUE(contains(status, "NoNewPrivs:\t1")) << status;
  EXPECT_TRUE(contains(status, "Seccomp:\t2")) << status;
}

TEST_P(ContainerizerTest, ADockerProfileIsEnforcedAndUnconfinedLoadsNone) {
  auto s = spec({payload(), "syscall", "mkdir"});
  s.seccomp_profile = R"({"defaultAction": "SCMP_ACT_ALLOW",
                         "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]})";
  EXPECT_EQ(run(s).exit_code, EPERM);
  auto unconfined = spec({payload(), "status"});
  unconfined.seccomp_profile = "unconfined";
  EXPECT_EQ(run(unconfined).exit_code, 0);
  EXPECT_TRUE(contains(output(unconfined), "Seccomp:\t0")) << output(unconfined);
}

TEST_P(ContainerizerTest, CapabilitiesAreReducedToTheConfiguredSet) {
  auto s = spec({payload(), "status"});
  EXPECT_EQ(run(s).exit_code, 0);
  // Docker's default set: 0x00000000a80425fb.
  EXPECT_TRUE(contains(output(s), "CapEff:\t00000000a80425fb")) << output(s);
  EXPECT_TRUE(contains(output(s), "CapBnd:\t00000000a80425fb")) << output(s);
  auto none = spec({payload(), "status"});
  none.capabilities = 0;
  EXPECT_EQ(run(none).exit_code, 0);
  EXPECT_TRUE(contains(output(none), "CapEff:\t0000000000000000")) << output(none);
}

TEST_P(ContainerizerTest, RunsAsTheConfiguredUserWithItsRlimits) {
  auto s = spec({payload(), "ids"});
  s.user = "nobody";
  EXPECT_EQ(run(s).exit_code, 0);
  EXPECT_EQ(output(s), "uid=65534 gid=65534\n");
  auto limited = spec({payload(), "rlimit-nofile"});
  limited.rlimits = {"nofile=100:200"};
  EXPECT_EQ(run(limited).exit_code, 0);
  EXPECT_EQ(output(limited), "100\n");
}

TEST_P(ContainerizerTest, ANewNetworkHasOnlyLoopback) {
  auto s = spec({payload(), "netdevs"});
  s.new_network = true;
  EXPECT_EQ(run(s).exit_code, 0);
  EXPECT_EQ(output(s), "lo\n");
}

TEST_P(ContainerizerTest, OutputIsBoundedByRotation) {
  auto s = spec({payload(), "write", "1000000"});
  s.log_max_bytes = 100000;
  EXPECT_EQ(run(s).exit_code, 0);
  const auto size = std::filesystem::file_size(s.sandbox + "/stdout");
  const auto rotated = std::filesystem::file_size(s.sandbox + "/stdout.1");
  // Each file stays within the bound plus one pipe read (64 KiB).
  EXPECT_LE(size, 100000u + 65536u);
  EXPECT_LE(rotated, 100000u + 65536u);
  EXPECT_GT(rotated, 0u);
}

TEST_P(ContainerizerTest, DestroyKillsTheWholeTreeAndLeavesNothing) {
  auto s = spec({"/bin/sh", "-c", "sleep 100 & sleep 100 & sleep 100"});
  auto info = containerizer_->launch(s);
  ASSERT_TRUE(info) << info.error().message;
  auto cgroups = open_cgroups(host_, root_);
  ASSERT_TRUE(cgroups);
  const std::vector<pid_t> tree =
      dcos::testing::wait_for_processes([&] { return (*cgroups)->processes(s.id).value(); }, 3);
  EXPECT_GE(tree.size(), 3u);
  ASSERT_TRUE(containerizer_->destroy(s.id));
  auto t = containerizer_->wait(s.id);
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_TRUE(t->destroyed);
  EXPECT_EQ(t->signal, SIGKILL);
  for (pid_t pid : tree) EXPECT_FALSE(dcos::testing::running(pid)) << pid << " survived";
  expect_gone(s.id);
}

// A root file system with nothing but the static payload in it.
std::string make_rootfs(const std::string& dir) {
  std::filesystem::create_directories(dir + "/bin");
  std::filesystem::copy_file(payload(), dir + "/bin/payload");
  return dir;
}

TEST_P(ContainerizerTest, ARootfsDirectoryIsTheWholeFileSystem) {
  auto s = spec({"/bin/payload", "exists", "/etc/hostname"});
  s.rootfs = make_rootfs(dir_.path() + "/image");
  EXPECT_EQ(run(s).exit_code, 1) << "the host's /etc shows through";
  auto pid = spec({"payload", "pidinfo"});
  pid.rootfs = s.rootfs;
  pid.hostname = "rooted";
  EXPECT_EQ(run(pid).exit_code, 0);
  EXPECT_EQ(output(pid), "pid=1 procs=1 host=rooted\n");
  // /dev holds the usual devices, writable and readable by anyone.
  for (const char* device : {"/dev/null", "/dev/zero", "/dev/full", "/dev/urandom"}) {
    auto poke = spec({"payload", "poke", device});
    poke.rootfs = s.rootfs;
    poke.user = "65534";
    EXPECT_EQ(run(poke).exit_code, std::string(device) == "/dev/full" ? ENOSPC : 0) << device;
  }
  auto size = spec({"payload", "size", "/dev/zero"});
  size.rootfs = s.rootfs;
  EXPECT_EQ(run(size).exit_code, 0);
  EXPECT_EQ(output(size), "1048576\n") << "reads stop at 1 MiB; /dev/zero never ends";
  // The sandbox is bind-mounted, and what the task writes there is the host's.
  auto touch = spec({"payload", "touch", std::string(kSandboxInRootfs) + "/made-inside"});
  touch.rootfs = s.rootfs;
  EXPECT_EQ(run(touch).exit_code, 0);
  EXPECT_TRUE(std::filesystem::exists(touch.sandbox + "/made-inside"));
  // Changes to the image stay in the container: the image is left as it was.
  auto write = spec({"payload", "touch", "/bin/added"});
  write.rootfs = s.rootfs;
  EXPECT_EQ(run(write).exit_code, 0);
  EXPECT_FALSE(std::filesystem::exists(s.rootfs + "/bin/added"));
  // Those changes leave with the container, into the trash, which the
  // containerizer empties (at the latest when it goes away).
  EXPECT_FALSE(std::filesystem::exists(options_.scratch_dir + "/" + write.id));
  containerizer_.reset();
  EXPECT_TRUE(std::filesystem::is_empty(options_.scratch_dir + "/.trash"));
}

// A read-only root: the image as it is, which nothing the task does
// changes; /tmp, /dev and the sandbox stay writable. An image with every
// mount point is bound as it is; one lacking some, or a task that could
// remount it (CAP_SYS_ADMIN), gets a read-only overlay, which has no upper
// layer for a remount to make writable.
TEST_P(ContainerizerTest, AReadOnlyRootfsLeavesTheImageAsItIs) {
  const std::string bare = make_rootfs(dir_.path() + "/bare");
  const std::string full = make_rootfs(dir_.path() + "/full");
  for (const char* dir : kRootMountPoints) std::filesystem::create_directories(full + dir);
  const std::string overlay_magic = "794c7630\n";  // OVERLAYFS_SUPER_MAGIC
  struct Case {
    std::string image;
    bool sys_admin;
    bool overlay;
  };
  for (const Case& c : {Case{bare, false, true}, Case{full, false, false}, Case{full, true, true}}) {
    SCOPED_TRACE(c.image + (c.sys_admin ? ", CAP_SYS_ADMIN" : ""));
    auto rooted = [&](std::vector<std::string> argv) {
      auto s = spec(std::move(argv));
      s.rootfs = c.image;
      s.rootfs_read_only = true;
      if (c.sys_admin) {
        s.capabilities |= capabilities::bit(CAP_SYS_ADMIN);
        s.seccomp_profile = "unconfined";
      }
      return s;
    };
    auto type = rooted({"/bin/payload", "fstype", "/"});
    EXPECT_EQ(run(type).exit_code, 0);
    EXPECT_EQ(output(type) == overlay_magic, c.overlay) << output(type);
    auto write = rooted({"/bin/payload", "touch", "/bin/added"});
    EXPECT_EQ(run(write).exit_code, EROFS);
    EXPECT_FALSE(std::filesystem::exists(options_.scratch_dir + "/" + write.id)) << "no copy-on-write layer";
    for (const std::string path : {"/tmp/made", "/dev/shm/made", "/mnt/mesos/sandbox/made"}) {
      auto touch = rooted({"/bin/payload", "touch", path});
      EXPECT_EQ(run(touch).exit_code, 0) << path;
    }
    auto remount = rooted({"/bin/payload", "remount-touch", "/bin/added"});
    EXPECT_EQ(run(remount).exit_code, EROFS) << output(remount);
    // With CAP_SYS_ADMIN the mount's read-only flag goes; the overlay stays read-only.
    if (c.sys_admin) {
      EXPECT_TRUE(contains(output(remount), "bind-remount=0 ")) << output(remount);
    }
    EXPECT_FALSE(std::filesystem::exists(c.image + "/bin/added"));
  }
  // Nothing was made in either image.
  EXPECT_EQ(std::distance(std::filesystem::recursive_directory_iterator(bare), {}), 2);
  EXPECT_EQ(std::distance(std::filesystem::recursive_directory_iterator(full), {}), 2 + std::size(kRootMountPoints));
}

// A container with a root file system sees its own cgroups at
// /sys/fs/cgroup, read-only: the limits its programs size themselves by (a
// JVM's heap). On v2 it has a cgroup namespace rooted at its cgroup.
TEST_P(ContainerizerTest, ARootfsSeesItsOwnCgroupsReadOnly) {
  const std::string image = make_rootfs(dir_.path() + "/image");
  const bool v2 = containerizer_->cgroups().version() == "v2";
  auto rooted = [&](std::vector<std::string> argv) {
    auto s = spec(std::move(argv));
    s.rootfs = image;
    return s;
  };
  auto self = rooted({"/bin/payload", "cat", "/proc/self/cgroup"});
  EXPECT_EQ(run(self).exit_code, 0);
  if (v2) {
    // (A hybrid host's v1 lines are rooted where the init was when it
    // unshared: "/" too.)
    EXPECT_TRUE(contains("\n" + output(self), "\n0::/\n")) << output(self);
  } else {
    EXPECT_TRUE(contains(output(self), ":memory:" + root_ + "/" + self.id + "\n")) << output(self);
  }
  const std::string dir = v2 ? "/sys/fs/cgroup" : "/sys/fs/cgroup/memory";
  auto procs = rooted({"/bin/payload", "cat", dir + "/cgroup.procs"});
  EXPECT_EQ(run(procs).exit_code, 0);
  EXPECT_EQ(output(procs), "1\n") << "its own cgroup holds the payload alone";
  auto poke = rooted({"/bin/payload", "poke", dir + "/cgroup.procs"});
  EXPECT_EQ(run(poke).exit_code, EROFS);

  auto limit = rooted({"/bin/payload", "cat", dir + (v2 ? "/memory.max" : "/memory.limit_in_bytes")});
  limit.limits.memory_max = 64u << 20;
  const Termination t = run(limit);
  if (!skipped_.empty()) GTEST_SKIP() << skipped_;
  EXPECT_EQ(t.exit_code, 0) << output(limit, "stderr");
  EXPECT_EQ(output(limit), "67108864\n");
}

TEST_P(ContainerizerTest, ARootfsTarballIsUnpackedOnceAndUsed) {
  const std::string tree = make_rootfs(dir_.path() + "/tree");
  const std::string tarball = dir_.path() + "/image.tar.gz";
  ASSERT_EQ(std::system(("tar -C " + tree + " -czf " + tarball + " .").c_str()), 0);
  for (int i = 0; i < 2; ++i) {
    auto s = spec({"payload", "pidinfo"});
    s.rootfs = tarball;
    EXPECT_EQ(run(s).exit_code, 0);
    EXPECT_TRUE(contains(output(s), "pid=1 procs=1")) << output(s);
  }
  int unpacked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(options_.image_cache)) unpacked += entry.is_directory();
  EXPECT_EQ(unpacked, 1);
}

// Each bad spec is an error before anything starts, and leaves nothing.
TEST_P(ContainerizerTest, BadInputIsAClearErrorAndLeavesNothingBehind) {
  struct Case {
    const char* name;
    std::function<void(ContainerSpec&)> spoil;
    const char* expected;
  };
  const std::vector<Case> cases = {
      {"tiny memory", [](ContainerSpec& s) { s.limits.memory_max = 1024; }, "memory"},
      {"high above max",
       [](ContainerSpec& s) {
         s.limits.memory_max = 64u << 20;
         s.limits.memory_high = 128u << 20;
       },
       "memory_high"},
      {"zero pids", [](ContainerSpec& s) { s.limits.pids_max = 0; }, "pids"},
      {"negative cpus", [](ContainerSpec& s) { s.limits.cpus = -1; }, "cpus"},
      {"missing image", [](ContainerSpec& s) { s.rootfs = "/nonexistent/image.tar"; },
       "image '/nonexistent/image.tar'"},
      {"read-only without an image", [](ContainerSpec& s) { s.rootfs_read_only = true; },
       "read-only root file system needs an image"},
      {"malformed profile", [](ContainerSpec& s) { s.seccomp_profile = "{\"defaultAction\": 3"; }, "seccomp profile"},
      {"unknown action", [](ContainerSpec& s) { s.seccomp_profile = R"({"defaultAction": "SCMP_ACT_NOPE"})"; },
       "SCMP_ACT_NOPE"},
      {"no such user", [](ContainerSpec& s) { s.user = "no-such-user-dcos"; },
       "user 'no-such-user-dcos' does not exist"},
      {"no such command", [](ContainerSpec& s) { s.argv = {"no-such-command-dcos"}; }, "not found on PATH"},
      {"bad rlimit", [](ContainerSpec& s) { s.rlimits = {"nofiles=1"}; }, "unknown resource"},
      {"bad id", [](ContainerSpec& s) { s.id = "../escape"; }, "container id"},
      {"bad hostname", [](ContainerSpec& s) { s.hostname = "a b"; }, "hostname"},
      {"uid -1", [](ContainerSpec& s) { s.user = "4294967295"; }, "user '4294967295' does not exist"},
  };
  for (const auto& c : cases) {
    auto s = spec({payload(), "pidinfo"});
    c.spoil(s);
    auto launched = containerizer_->launch(s);
    ASSERT_FALSE(launched) << c.name;
    EXPECT_TRUE(contains(launched.error().message, c.expected)) << c.name << ": " << launched.error().message;
    // Nothing made in the sandbox (the test put the payload there).
    EXPECT_FALSE(std::filesystem::exists(s.sandbox + "/tmp")) << c.name;
    EXPECT_FALSE(std::filesystem::exists(s.sandbox + "/stdout")) << c.name;
  }
  EXPECT_TRUE(!std::filesystem::exists(options_.runtime_dir) || std::filesystem::is_empty(options_.runtime_dir));
  auto cgroups = open_cgroups(host_, root_);
  ASSERT_TRUE(cgroups);
  EXPECT_TRUE((*cgroups)->list().value().empty());
}

// What an earlier task left in a sandbox, or an image, cannot redirect the
// mounts made for the next one.
TEST_P(ContainerizerTest, LinksInTheSandboxOrImageAreRefused) {
  auto s = spec({"/bin/true"});
  std::filesystem::create_directories(s.sandbox);
  std::filesystem::create_directories(dir_.path() + "/victim");
  std::filesystem::create_symlink(dir_.path() + "/victim", s.sandbox + "/tmp");
  auto launched = containerizer_->launch(s);
  ASSERT_FALSE(launched);
  EXPECT_TRUE(contains(launched.error().message, "tmp/ is not a directory")) << launched.error().message;
  EXPECT_EQ(std::filesystem::status(dir_.path() + "/victim").permissions() & std::filesystem::perms::others_write,
            std::filesystem::perms::none)
      << "the link's target was made world-writable";

  const std::string image = make_rootfs(dir_.path() + "/linked-image");
  std::filesystem::create_directories(dir_.path() + "/host-mnt");
  std::filesystem::create_directory_symlink(dir_.path() + "/host-mnt", image + "/mnt");
  auto rooted = spec({"/bin/payload", "pidinfo"});
  rooted.rootfs = image;
  launched = containerizer_->launch(rooted);
  ASSERT_FALSE(launched);
  EXPECT_TRUE(contains(launched.error().message, "'/mnt' is not a directory (a symbolic link)"))
      << launched.error().message;
  EXPECT_TRUE(std::filesystem::is_empty(dir_.path() + "/host-mnt"));

  const std::string colon = dir_.path() + "/a:b";
  make_rootfs(colon);
  auto injected = spec({"/bin/payload", "pidinfo"});
  injected.rootfs = colon;
  launched = containerizer_->launch(injected);
  ASSERT_FALSE(launched);
  EXPECT_TRUE(contains(launched.error().message, "overlay options cannot carry")) << launched.error().message;
  expect_gone(injected.id);
}

// Ids may hold '_', which hostnames may not: the default hostname is made valid.
TEST_P(ContainerizerTest, AnIdWithUnderscoresGetsAValidHostname) {
  auto s = spec({payload(), "pidinfo"});
  s.id = "task_web.1";
  EXPECT_EQ(run(s).exit_code, 0);
  EXPECT_EQ(output(s), "pid=1 procs=1 host=task-web-1\n");
}

TEST_P(ContainerizerTest, AFailureInTheChildIsReportedAndCleanedUp) {
  // Exists but cannot be exec'd by the user: the check passes, exec fails.
  const std::string script = dir_.path() + "/script";
  { std::ofstream(script) << "#!/nonexistent/interpreter\n"; }
  std::filesystem::permissions(script, std::filesystem::perms::owner_all);
  auto s = spec({script});
  auto launched = containerizer_->launch(s);
  ASSERT_FALSE(launched);
  EXPECT_TRUE(contains(launched.error().message, "exec '" + script + "'")) << launched.error().message;
  expect_gone(s.id);
}

INSTANTIATE_TEST_SUITE_P(Hierarchies, ContainerizerTest, ::testing::Values("detected", "unified"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace dcos::isolation::testing

namespace dcos::isolation::testing {
namespace {

TEST(LinuxContainerizerCreate, NamesAMissingSupervisor) {
  LinuxContainerizerOptions options;
  options.supervisor_binary = "/nonexistent/dcos-supervisor";
  auto created = LinuxContainerizer::create(options);
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().message, "supervisor '/nonexistent/dcos-supervisor': No such file or directory");
}

}  // namespace
}  // namespace dcos::isolation::testing
