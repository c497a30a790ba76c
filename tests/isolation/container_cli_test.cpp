// dcos-container, the binary: flags in both spellings, the container's
// output and exit status passed through, the --json report, and one-line
// errors with status 125 for what cannot start.
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "isolation/cgroups.hpp"
#include "tests/support/cluster.hpp"

namespace dcos::isolation::testing {
namespace {

struct Ran {
  int status = -1;
  std::string out;
};

class ContainerCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "ROOT: dcos-container needs root";
    root_ = "/dcos-test-cli-" + std::to_string(::getpid());
  }
  void TearDown() override {
    auto host = detect_host_cgroups();
    if (!host || root_.empty()) return;
    if (auto cgroups = open_cgroups(*host, root_)) {
      auto names = (*cgroups)->list();
      for (const auto& name : names ? *names : std::vector<std::string>{})
        EXPECT_TRUE((*cgroups)->destroy(name)) << name;
    }
    if (!host->mounts.unified.empty()) ::rmdir((host->mounts.unified + root_).c_str());
    for (const auto& [controller, mount] : host->mounts.v1) ::rmdir((mount + root_).c_str());
  }

  // Runs dcos-container with the test's runtime dir and cgroups root;
  // stdout is captured, stderr appended to it.
  Ran run(const std::string& args) {
    const std::string command = std::string(DCOS_CONTAINER_BINARY) + " run --runtime-dir=" + dir_.path() +
                                "/runtime --cgroups-root=" + root_ + " " + args + " 2>&1";
    Ran ran;
    FILE* pipe = ::popen(command.c_str(), "r");
    if (!pipe) return ran;
    std::array<char, 4096> buffer;
    while (std::size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe)) ran.out.append(buffer.data(), n);
    const int status = ::pclose(pipe);
    ran.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return ran;
  }

  // The payload, copied into a sandbox of the test's: the build tree may lie
  // below /tmp, which the container's private /tmp hides.
  std::string sandboxed_payload(const std::string& name) {
    const std::string sandbox = dir_.path() + "/" + name;
    std::filesystem::create_directories(sandbox);
    std::filesystem::copy_file(DCOS_PAYLOAD_BINARY, sandbox + "/payload");
    return "--sandbox=" + sandbox + " -- " + sandbox + "/payload";
  }

  dcos::testing::TempDir dir_;
  std::string root_;
};

TEST_F(ContainerCliTest, PassesOutputAndExitStatusThrough) {
  const Ran ran = run("-- /bin/sh -c 'echo hello; exit 5'");
  EXPECT_EQ(ran.status, 5);
  EXPECT_EQ(ran.out, "hello\n");
}

TEST_F(ContainerCliTest, RepeatsEnvAndRlimitFlags) {
  const Ran ran = run("--env A=1 --env=B=2 --rlimit nofile=64 --rlimit=core=0 -- /bin/sh -c 'echo $A$B; ulimit -n'");
  EXPECT_EQ(ran.status, 0) << ran.out;
  EXPECT_EQ(ran.out, "12\n64\n");
}

TEST_F(ContainerCliTest, TakesFlagsSpacedOrWithEquals) {
  Ran ran = run("--hostname spaced --pids 20 " + sandboxed_payload("a") + " pidinfo");
  EXPECT_EQ(ran.status, 0) << ran.out;
  EXPECT_EQ(ran.out, "pid=1 procs=1 host=spaced\n");
  ran = run("--hostname=equals " + sandboxed_payload("b") + " pidinfo");
  EXPECT_EQ(ran.out, "pid=1 procs=1 host=equals\n");
}

TEST_F(ContainerCliTest, JsonReportsAnOomKill) {
  const Ran ran = run("--json --mem 64 " + sandboxed_payload("hog") + " hog 200");
  const auto report = nlohmann::json::parse(ran.out, nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << ran.out;
  if (report.value("oom_killed", false) == false && ran.status == 125) GTEST_SKIP() << "CGROUPS: " << ran.out;
  EXPECT_EQ(ran.status, 128 + 9);
  EXPECT_TRUE(report["oom_killed"].get<bool>());
  EXPECT_EQ(report["signal"], 9);
  EXPECT_TRUE(report["exit_code"].is_null());
  EXPECT_GE(report["usage"]["oom_kills"].get<int>(), 1);
  EXPECT_TRUE(report["usage"].contains("cpu_time_us"));
}

TEST_F(ContainerCliTest, WhatCannotStartIsOneLineAndStatus125) {
  for (const std::string args : {"--mem abc -- /bin/true", "--seccomp-profile /nonexistent.json -- /bin/true",
                                 "--user no-such-user-dcos -- /bin/true", "-- no-such-command-dcos",
                                 "--mem 1 -- /bin/true", "--network bridge -- /bin/true", "--read-only -- /bin/true", "--"}) {
    const Ran ran = run(args);
    EXPECT_EQ(ran.status, 125) << args << ": " << ran.out;
    EXPECT_EQ(ran.out.rfind("dcos-container: ", 0), 0u) << args << ": " << ran.out;
    EXPECT_EQ(std::count(ran.out.begin(), ran.out.end(), '\n'), 1) << args << ": " << ran.out;
  }
}

}  // namespace
}  // namespace dcos::isolation::testing
