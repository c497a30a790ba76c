// dcos-agent as a systemd unit with Delegate=yes: before it reports ready it
// moves into the leaf "<unit>/agent", so that its containers can be siblings
// of that leaf. Needs systemd as PID 1: in the VM (scripts/test-vm.sh); on a
// host without it the test skips, saying so.
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "isolation/linux/cgroup_layout.hpp"
#include "runtime/atomic_file.hpp"
#include "tests/support/cluster.hpp"

namespace dcos::testing {
namespace {

using namespace std::chrono_literals;

std::string shell(const std::string& command) {
  std::string out;
  if (FILE* pipe = ::popen((command + " 2>&1").c_str(), "r")) {
    std::array<char, 512> buffer;
    while (std::size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe)) out.append(buffer.data(), n);
    ::pclose(pipe);
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

bool systemd_is_pid1() { return std::filesystem::exists("/run/systemd/system"); }

class AgentUnitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "ROOT: starting a unit needs root";
    if (!systemd_is_pid1()) GTEST_SKIP() << "SYSTEMD: PID 1 is not systemd here (this test runs in scripts/test-vm.sh)";
    unit_ = "dcos-agent-test-" + std::to_string(::getpid()) + ".service";
  }
  void TearDown() override {
    if (unit_.empty()) return;
    shell("systemctl stop " + unit_);
    shell("systemctl reset-failed " + unit_);
  }
  std::string unit_;
  TempDir dir_;
};

TEST_F(AgentUnitTest, MovesIntoALeafOfItsDelegatedCgroupBeforeReady) {
  const std::string command = "systemd-run --unit=" + unit_ +
                              " -p Type=notify -p Delegate=yes -p KillMode=process " + agent_binary() +
                              " --master=127.0.0.1:" + std::to_string(free_port()) +
                              " --port=" + std::to_string(free_port()) + " --work_dir=" + dir_.path() +
                              "/work --runtime_dir=" + dir_.path() + "/run";
  // Type=notify: systemd-run returns once the agent said READY=1.
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  const std::string pid = shell("systemctl show -p MainPID --value " + unit_);
  ASSERT_NE(pid, "0");
  auto text = read_file("/proc/" + pid + "/cgroup");
  ASSERT_TRUE(text) << text.error().message;
  auto host = isolation::detect_host_cgroups();
  ASSERT_TRUE(host);
  const std::string unit_cgroup = shell("systemctl show -p ControlGroup --value " + unit_);
  if (host->layout == isolation::CgroupLayout::unified) {
    EXPECT_EQ(*text, "0::" + unit_cgroup + "/agent\n");
    // Nothing is left in the unit's own cgroup, so controllers can be enabled there.
    auto procs = read_file(host->mounts.unified + unit_cgroup + "/cgroup.procs");
    ASSERT_TRUE(procs);
    EXPECT_EQ(*procs, "");
    auto enabled = read_file(host->mounts.unified + unit_cgroup + "/cgroup.subtree_control");
    ASSERT_TRUE(enabled);
    EXPECT_NE(enabled->find("memory"), std::string::npos) << *enabled;
    EXPECT_NE(enabled->find("pids"), std::string::npos) << *enabled;
  } else {
    // v1 has no no-internal-process rule: the agent stays where systemd put it.
    EXPECT_NE(text->find(unit_cgroup), std::string::npos) << *text;
  }
  EXPECT_NE(shell("journalctl -o cat -u " + unit_).find("containerizer ready"), std::string::npos);
}

}  // namespace
}  // namespace dcos::testing
