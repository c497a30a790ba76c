// A LinuxContainerizer for one test: its own runtime directory, image cache
// and cgroups root ("/dcos-test-<pid>-<n>" in every hierarchy), all removed
// afterwards, also when the test fails. Parameterized by the cgroup
// hierarchy: "detected" (what the host has) and "unified" (the host's
// cgroup2 mount alone, even on a hybrid host: no controllers there, so the
// tests needing limits skip). Not thread-safe.
#pragma once

#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "isolation/linux_containerizer.hpp"
#include "runtime/atomic_file.hpp"
#include "tests/support/cluster.hpp"

namespace dcos::isolation::testing {

inline const char* payload() { return DCOS_PAYLOAD_BINARY; }

class ContainerizerTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "ROOT: the containerizer needs root";
    auto host = detect_host_cgroups();
    ASSERT_TRUE(host) << host.error().message;
    host_ = *host;
    if (GetParam() == "unified") {
      if (host_.mounts.unified.empty()) GTEST_SKIP() << "CGROUPS2: no cgroup2 mount on this host";
      if (host_.layout == CgroupLayout::unified) GTEST_SKIP() << "the host is unified: 'detected' covers it";
      host_.mounts.v1.clear();
      host_.layout = CgroupLayout::unified;
    }
    static std::atomic<int> counter{0};
    root_ = "/dcos-test-containers-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
    options_.runtime_dir = dir_.path() + "/runtime";
    options_.image_cache = dir_.path() + "/images";
    options_.scratch_dir = dir_.path() + "/scratch";
    options_.cgroups_root = root_;
    options_.host = host_;
    auto containerizer = LinuxContainerizer::create(options_);
    ASSERT_TRUE(containerizer) << containerizer.error().message;
    containerizer_ = std::move(*containerizer);
    // Supervisors orphaned by a test come back here and are reaped below.
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  }

  void TearDown() override {
    if (containerizer_) {
      for (const auto& info : containerizer_->containers()) {
        (void)containerizer_->destroy(info.id);
        (void)containerizer_->wait(info.id);
      }
      containerizer_.reset();
    }
    if (!root_.empty()) {
      if (auto cgroups = open_cgroups(host_, root_)) {
        if (auto names = (*cgroups)->list()) {
          for (const auto& name : *names) EXPECT_TRUE((*cgroups)->destroy(name)) << "stray cgroup " << name;
        }
      }
      std::vector<std::string> mounts;
      if (!host_.mounts.unified.empty()) mounts.push_back(host_.mounts.unified);
      for (const auto& [controller, mount] : host_.mounts.v1) mounts.push_back(mount);
      for (const auto& mount : mounts) ::rmdir((mount + root_).c_str());
    }
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
  }

  // The payload runs from a copy in the sandbox: the build tree may lie
  // below /tmp (a clone in /tmp), which the container's private /tmp hides.
  ContainerSpec spec(std::vector<std::string> argv) {
    static std::atomic<int> counter{0};
    ContainerSpec s;
    s.id = "t" + std::to_string(counter++);
    s.sandbox = dir_.path() + "/sandbox-" + s.id;
    if (!argv.empty() && argv[0] == payload()) {
      std::filesystem::create_directories(s.sandbox);
      std::filesystem::copy_file(payload(), s.sandbox + "/payload");
      argv[0] = s.sandbox + "/payload";
    }
    s.argv = std::move(argv);
    return s;
  }

  // Launches and waits; a limit the host cannot enforce skips the test.
  Termination run(const ContainerSpec& s) {
    auto info = containerizer_->launch(s);
    if (!info && info.error().message.find("not available") != std::string::npos) {
      skipped_ = "CGROUPS: " + info.error().message;
      return {};
    }
    EXPECT_TRUE(info) << info.error().message;
    if (!info) return {};
    auto termination = containerizer_->wait(s.id);
    EXPECT_TRUE(termination) << termination.error().message;
    return termination ? *termination : Termination{};
  }

  std::string output(const ContainerSpec& s, const char* stream = "stdout") {
    auto text = read_file(s.sandbox + "/" + stream);
    return text ? *text : "";
  }

  // Nothing of the container is left: no cgroup, no runtime directory.
  void expect_gone(const std::string& id) {
    EXPECT_FALSE(std::filesystem::exists(options_.runtime_dir + "/" + id)) << id;
    auto cgroups = open_cgroups(host_, root_);
    ASSERT_TRUE(cgroups);
    auto names = (*cgroups)->list();
    ASSERT_TRUE(names);
    for (const auto& name : *names) EXPECT_NE(name, id);
  }

  dcos::testing::TempDir dir_;
  HostCgroups host_;
  std::string root_;
  LinuxContainerizerOptions options_;
  std::unique_ptr<LinuxContainerizer> containerizer_;
  std::string skipped_;  // set by run() when the host lacks a controller
};

#define SKIP_IF_UNSUPPORTED() \
  if (!skipped_.empty()) GTEST_SKIP() << skipped_

}  // namespace dcos::isolation::testing
