// A real dcos-agent against a FakeMaster, for one test: its own work dir,
// runtime dir and cgroups root ("/dcos-test-agent-<pid>-<n>" in every
// hierarchy). TearDown stops the agent and then destroys every container it
// left (their supervisors outlive the agent on purpose) and the cgroups
// root, also when the test failed. Needs root.
#pragma once

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "isolation/cgroups.hpp"
#include "isolation/linux_containerizer.hpp"
#include "runtime/http_client.hpp"
#include "tests/support/cluster.hpp"
#include "tests/support/fake_master.hpp"

namespace dcos::testing {

// A task command's start: it waits in its sandbox (its working directory)
// for a file named "stop".
inline constexpr const char* kWaitForStop = "while [ ! -e stop ]; do sleep 0.05; done; ";

class AgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "ROOT: the agent's containers need root";
    static std::atomic<int> counter{0};
    cgroups_root_ = "/dcos-test-agent-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
    // Supervisors orphaned by a killed agent come back here to be reaped.
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);
    http_port_ = free_port();
    start_agent();
  }

  void TearDown() override {
    if (cgroups_root_.empty()) return;
    if (agent_) agent_->stop();
    // In a sanitizer build the agent reports into its log, not our exit code.
    for (const char* report : {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"})
      EXPECT_EQ(log().find(report), std::string::npos) << log();
    agent_.reset();
    destroy_leftovers();
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
  }

  std::string work_dir() const { return dir_.path() + "/work"; }

  // The task's one run directory (sandbox); its name is the container id.
  std::filesystem::path sandbox(const std::string& task_id) {
    const std::string runs = work_dir() + "/slaves/" + FakeMaster::kAgentId + "/frameworks/fw-1/executors/" +
                             task_id + "/runs";
    std::error_code error;
    for (const auto& run : std::filesystem::directory_iterator(runs, error)) return run.path();
    return {};
  }

  void touch(const std::filesystem::path& path) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    ASSERT_GE(fd, 0) << path;
    ::close(fd);
  }

  std::vector<pid_t> container_processes(const std::string& container_id) {
    auto host = isolation::detect_host_cgroups();
    if (!host) return {};
    auto cgroups = isolation::open_cgroups(*host, cgroups_root_);
    if (!cgroups) return {};
    auto processes = (*cgroups)->processes(container_id);
    return processes ? *processes : std::vector<pid_t>{};
  }


  void start_agent() {
    agent_ = std::make_unique<DaemonProcess>(
        agent_binary(),
        std::vector<std::string>{"--master=127.0.0.1:" + std::to_string(master_.port()), "--ip=127.0.0.1",
                                 "--port=" + std::to_string(http_port_), "--work_dir=" + work_dir(),
                                 "--runtime_dir=" + dir_.path() + "/run", "--cgroups_root=" + cgroups_root_,
                                 "--hostname=task-agent", "--resources=cpus:2;mem:1024;disk:1024",
                                 "--registration_backoff_factor=100ms", "--status_update_retry_interval=200ms"},
        dir_.path() + "/agent.log");
    const int before = master_.registrations();
    agent_->start();
    ASSERT_TRUE(wait_until([&] { return master_.registrations() > before; }, std::chrono::seconds(20)))
        << agent_->log();
  }

  // kill -9: the agent gets no chance to clean up or to say goodbye.
  void kill_agent() { agent_->kill(SIGKILL); }

  std::string log() const { return agent_ ? agent_->log() : ""; }

  // A metric's value from /metrics; -1 when it is not there.
  double metric(const std::string& name) const {
    auto reply = http::get("127.0.0.1", http_port_, "/metrics", std::chrono::seconds(5));
    if (!reply) return -1;
    const auto at = reply->body.find("\n" + name + " ");
    if (at == std::string::npos) return -1;
    return std::stod(reply->body.substr(at + name.size() + 2));
  }

  // The HTTP status of GET `target` on the agent; 0 when it does not answer.
  unsigned http_status(const std::string& target) const {
    auto reply = http::get("127.0.0.1", http_port_, target, std::chrono::seconds(5));
    return reply ? reply->status : 0;
  }

  void destroy_leftovers() {
    isolation::LinuxContainerizerOptions options;
    options.runtime_dir = dir_.path() + "/run";
    options.image_cache = work_dir() + "/images";
    options.scratch_dir = work_dir() + "/containers";
    options.cgroups_root = cgroups_root_;
    auto containerizer = isolation::LinuxContainerizer::create(options);
    ASSERT_TRUE(containerizer) << containerizer.error().message;
    (void)(*containerizer)->recover();
    for (const auto& info : (*containerizer)->containers()) {
      (void)(*containerizer)->destroy(info.id);
      (void)(*containerizer)->wait(info.id);
    }
    auto host = isolation::detect_host_cgroups();
    ASSERT_TRUE(host);
    std::vector<std::string> mounts;
    if (!host->mounts.unified.empty()) mounts.push_back(host->mounts.unified);
    for (const auto& [controller, mount] : host->mounts.v1) mounts.push_back(mount);
    for (const auto& mount : mounts) ::rmdir((mount + cgroups_root_).c_str());
  }

  FakeMaster master_;
  TempDir dir_;
  std::string cgroups_root_;
  uint16_t http_port_ = 0;
  std::unique_ptr<DaemonProcess> agent_;
};

// The states of `updates`, in order, as text: "TASK_STARTING TASK_RUNNING".
inline std::string states(const std::vector<internal::StatusUpdate>& updates) {
  std::string out;
  for (const auto& update : updates) out += (out.empty() ? "" : " ") + TaskState_Name(update.status().state());
  return out;
}

}  // namespace dcos::testing
