// Recovery: the process that launched containers dies by kill -9; a new one
// re-attaches to those still running, still learns how they end, and
// destroys the cgroups that no record accounts for.
#include <signal.h>
#include <sys/wait.h>

#include <filesystem>
#include <thread>

#include "isolation/supervisors.hpp"
#include "tests/isolation/container_fixture.hpp"
#include "tests/support/held_child.hpp"

namespace dcos::isolation::testing {
namespace {

using namespace std::chrono_literals;

class RecoveryTest : public ContainerizerTest {
 protected:
  // Forks a launcher: it makes its own containerizer, launches `specs`,
  // says so on a pipe, and waits to be killed.
  pid_t launch_in_child(const std::vector<ContainerSpec>& specs) {
    int ready[2];
    EXPECT_EQ(::pipe2(ready, O_CLOEXEC), 0);
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::close(ready[0]);
      auto containerizer = LinuxContainerizer::create(options_);
      if (!containerizer) ::_exit(1);
      for (const auto& s : specs) {
        if (!(*containerizer)->launch(s)) ::_exit(2);
      }
      (void)!::write(ready[1], "k", 1);
      for (;;) ::pause();
    }
    ::close(ready[1]);
    char byte = 0;
    EXPECT_EQ(::read(ready[0], &byte, 1), 1) << "the launcher failed";
    ::close(ready[0]);
    return pid;
  }

  // A new containerizer, as after an agent restart, and its recovery.
  Result<RecoveryReport> restart_and_recover() {
    containerizer_.reset();
    auto restarted = LinuxContainerizer::create(options_);
    if (!restarted) return restarted.error();
    containerizer_ = std::move(*restarted);
    return containerizer_->recover();
  }
};

TEST_P(RecoveryTest, ReattachesAfterKillNineReportsLaterExitsAndDestroysStrays) {
  // The flag file is in the sandbox, the container's working directory
  // (its /tmp is private).
  auto exits = spec({payload(), "wait-file", "go", "7"});
  const std::string flag = exits.sandbox + "/go";
  auto sleeps = spec({"/bin/sleep", "1000"});
  auto ended = spec({"/bin/sh", "-c", "exit 4"});
  const pid_t launcher = launch_in_child({exits, sleeps, ended});
  ASSERT_EQ(::kill(launcher, SIGKILL), 0);
  ASSERT_EQ(::waitpid(launcher, nullptr, 0), launcher);

  // A stray: a cgroup with a process in it and no record.
  auto cgroups = open_cgroups(host_, root_);
  ASSERT_TRUE(cgroups);
  ASSERT_TRUE((*cgroups)->create("stray", {}));
  const pid_t stray = ::fork();
  if (stray == 0) {
    for (;;) ::pause();
  }
  ASSERT_TRUE((*cgroups)->add_process("stray", stray));

  auto report = restart_and_recover();
  ASSERT_TRUE(report) << report.error().message;
  std::sort(report->recovered.begin(), report->recovered.end());
  std::vector<std::string> expected = {exits.id, sleeps.id, ended.id};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(report->recovered, expected);
  EXPECT_EQ(report->destroyed, std::vector<std::string>{"stray"});
  EXPECT_EQ(::waitpid(stray, nullptr, 0), stray);

  // The one that ended while nobody watched.
  auto t = containerizer_->wait(ended.id);
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->exit_code, 4);
  // One that ends after the restart: its status still arrives.
  { std::ofstream(flag) << "go"; }
  t = containerizer_->wait(exits.id);
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->exit_code, 7);
  // And one destroyed by the new containerizer.
  ASSERT_TRUE(containerizer_->destroy(sleeps.id));
  t = containerizer_->wait(sleeps.id);
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_TRUE(t->destroyed);
  for (const auto& s : {exits, sleeps, ended}) expect_gone(s.id);
}

TEST_P(RecoveryTest, AContainerWhoseSupervisorDiedIsDestroyed) {
  auto sleeps = spec({"/bin/sleep", "1000"});
  const pid_t launcher = launch_in_child({sleeps});
  ASSERT_EQ(::kill(launcher, SIGKILL), 0);
  ASSERT_EQ(::waitpid(launcher, nullptr, 0), launcher);
  // Its supervisor is now this process's child (the subreaper): kill it too.
  // It is found as recover() finds it, by the status file it names.
  const auto running = find_supervisors();
  const auto found = running.find(options_.runtime_dir + "/" + sleeps.id + "/status");
  ASSERT_NE(found, running.end()) << "no supervisor names the container's status file";
  const pid_t supervisor = found->second.pid;
  const pid_t init = found->second.init;
  ASSERT_TRUE(dcos::testing::running(init));
  ASSERT_EQ(::kill(supervisor, SIGKILL), 0);
  ::waitpid(supervisor, nullptr, 0);

  auto report = restart_and_recover();
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_TRUE(report->recovered.empty());
  EXPECT_EQ(report->destroyed, std::vector<std::string>{sleeps.id});
  EXPECT_FALSE(dcos::testing::running(init)) << "the unsupervised container still runs";
  expect_gone(sleeps.id);
}

// The launcher records a container before it clones its supervisor: one
// killed in between leaves a record, a cgroup and a sandbox, and nothing
// running. The next one destroys that and reports it.
TEST_P(RecoveryTest, ARecordWhoseSupervisorNeverStartedIsDestroyed) {
  auto never = spec({"/bin/true"});
  auto cgroups = open_cgroups(host_, root_);
  ASSERT_TRUE(cgroups);
  ASSERT_TRUE((*cgroups)->create(never.id, never.limits));
  const std::string dir = options_.runtime_dir + "/" + never.id;
  ASSERT_TRUE(make_directories(dir, 0700));
  const nlohmann::json record = {
      {"id", never.id}, {"sandbox", never.sandbox}, {"cgroup", (*cgroups)->path(never.id)}, {"memory_max", nullptr}};
  ASSERT_TRUE(write_file_atomically(dir + "/container.json", record.dump(), 0600, false));

  auto report = restart_and_recover();
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_TRUE(report->recovered.empty());
  EXPECT_EQ(report->destroyed, std::vector<std::string>{never.id});
  EXPECT_FALSE(std::filesystem::exists(dir));
  expect_gone(never.id);
}

// Killed in the middle of a launch, as soon as the container's first
// process shows in its cgroup and its supervisor has exec'd (on v1 the
// init joins the cgroup only then; on v2 it is there from the clone, and
// a launcher killed before the supervisor's exec leaves a container that
// recovery rightly destroys): the record is there, and the restarted
// containerizer finds the supervisor by its command line and re-attaches.
// Whether a dcos-supervisor names a status file in the container's runtime dir.
bool supervisor_runs(const std::string& runtime_dir, const std::string& id) {
  const std::string prefix = runtime_dir + "/" + id + "/";
  for (const auto& [status, running] : find_supervisors())
    if (status.starts_with(prefix)) return true;
  return false;
}

TEST_P(RecoveryTest, ALauncherKilledMidLaunchLeavesItsContainerRecoverable) {
  auto sleeps = spec({"/bin/sleep", "1000"});
  const pid_t launcher = ::fork();
  if (launcher == 0) {
    auto containerizer = LinuxContainerizer::create(options_);
    if (!containerizer || !(*containerizer)->launch(sleeps)) ::_exit(1);
    for (;;) ::pause();
  }
  auto cgroups = open_cgroups(host_, root_);
  ASSERT_TRUE(cgroups);
  // Polled without sleeping, to catch the launch in its middle where it can.
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  bool started = false;
  while (!started && std::chrono::steady_clock::now() < deadline) {
    auto pids = (*cgroups)->processes(sleeps.id);
    started = pids && !pids->empty() && supervisor_runs(options_.runtime_dir, sleeps.id);
  }
  ASSERT_EQ(::kill(launcher, SIGKILL), 0);
  ASSERT_EQ(::waitpid(launcher, nullptr, 0), launcher);
  ASSERT_TRUE(started) << "the container's process never showed in its cgroup";

  auto report = restart_and_recover();
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->recovered, std::vector<std::string>{sleeps.id});
  EXPECT_TRUE(report->destroyed.empty());
  ASSERT_TRUE(containerizer_->destroy(sleeps.id));
  auto t = containerizer_->wait(sleeps.id);
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_TRUE(t->destroyed) << "ended by itself, exit code " << t->exit_code.value_or(-1);
  expect_gone(sleeps.id);
}

INSTANTIATE_TEST_SUITE_P(Hierarchies, RecoveryTest, ::testing::Values("detected", "unified"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace dcos::isolation::testing
