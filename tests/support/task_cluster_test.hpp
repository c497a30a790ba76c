// Test support: a gtest fixture over TaskCluster (task_cluster.hpp) with a
// scheduler's side: frameworks speaking the v1 scheduler API in JSON over
// HTTP (scheduler_client.hpp), as a framework written for Mesos would, that
// take offers, launch tasks and follow their updates. Root only (the
// agents run containers): SetUp skips otherwise, saying so.
//
// run_program() runs one of our binaries (the dcos CLI) to its end. Every
// wait is bounded.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/scheduler_client.hpp"
#include "tests/support/task_cluster.hpp"

namespace dcos::testing {

// Runs a program to its end (at most `timeout`, then SIGKILL): its exit
// status (-1 if it did not exit) and what it wrote to stdout and stderr.
std::pair<int, std::string> run_program(const std::vector<std::string>& argv,
                                        std::chrono::seconds timeout = std::chrono::seconds(60));

// A command task of 0.1 cpus and `mem` MiB on `offer`, in the API's JSON.
nlohmann::json command_task(const std::string& id, const nlohmann::json& offer, const std::string& command,
                            double mem = 64);

class TaskClusterTest : public ::testing::Test {
 protected:
  void SetUp() override;
  // Flags the master gets besides those TaskCluster gives it.
  virtual std::vector<std::string> master_flags() const { return {}; }

  // Starts an agent; a test failure if it did not register.
  AgentNode& start_agent(const std::string& name, const std::string& resources = "cpus:2;mem:1024",
                         const AgentPlace& place = {});
  std::unique_ptr<SubscribedScheduler> subscribe(const std::string& name);
  // An offer on the agent `agent_id`: one received earlier and not used
  // yet, or the next one (null if none came).
  nlohmann::json offer_on(SubscribedScheduler& scheduler, std::size_t* cursor, const std::string& agent_id);
  // Launches the tasks on the offer.
  void launch(SubscribedScheduler& scheduler, const nlohmann::json& offer, const nlohmann::json& tasks);
  // Follows task `id`'s updates (acknowledging each, as a framework must for
  // the next to come) until a terminal state, or `until` if given; returns
  // them in order.
  std::vector<nlohmann::json> follow(SubscribedScheduler& scheduler, std::size_t* cursor, const std::string& id,
                                     std::chrono::milliseconds timeout = std::chrono::seconds(30),
                                     const std::string& until = "");
  // Launches `command` as task `id` on an offer of the agent and follows
  // it to TASK_RUNNING (the cursors as for offer_on and follow); false,
  // with the reason as a test failure, otherwise.
  bool run_task(SubscribedScheduler& scheduler, std::size_t* offers, std::size_t* updates, const std::string& agent_id,
                const std::string& id, const std::string& command = "sleep 1000");

  // The id the master gave the active agent with this hostname, "" before it registered.
  std::string registered_id(const std::string& hostname) { return cluster_->registered_id(hostname); }
  // The states of `statuses`, in order.
  static std::vector<std::string> states(const std::vector<nlohmann::json>& statuses);
  std::string logs() { return cluster_->logs(); }
  std::string master_log() { return cluster_->master().log(); }
  // "--master=127.0.0.1:<port>", for the CLI.
  std::string master_flag() const { return "--master=127.0.0.1:" + std::to_string(port_); }

  std::unique_ptr<TaskCluster> cluster_;
  uint16_t port_ = 0;
  std::vector<nlohmann::json> unused_offers_;
};

}  // namespace dcos::testing
