// The agent: registers this node with the master and stays registered.
//
// run() is one loop, top to bottom: connect to the master, register (or
// re-register with the id checkpointed in <work_dir>/meta/agent.info),
// answer pings, and on any loss of the master (connection closed, garbage,
// silence past the master's ping policy) wait a jittered, growing backoff
// and start again. The agent id is checkpointed before the agent counts
// itself registered, so it survives restarts of either side.
//
// Task messages from the master go to the TaskBook; once (re)registered the
// agent lets it send status updates and resend every unacknowledged one. A
// re-registration carries the book's tasks and frameworks.
//
// Runs on one io thread; not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include <nlohmann/json_fwd.hpp>
#include "runtime/asio.hpp"

#include "daemons/agent/task_book.hpp"
#include "mesos.pb.h"
#include "runtime/backoff.hpp"
#include "runtime/connection.hpp"
#include "runtime/duration.hpp"
#include "runtime/http.hpp"

namespace dcos::agent {

struct Options {
  std::string master_host = "127.0.0.1";
  uint16_t master_port = 5050;
  std::string ip = "0.0.0.0";
  uint16_t port = 5051;
  std::string hostname;
  std::string work_dir;
  std::string default_role = "*";
  Duration backoff_factor = std::chrono::seconds(1);  // --registration_backoff_factor
  Duration backoff_max = std::chrono::minutes(1);
  // First resend of an unacknowledged status update; doubles up to the max
  // (Mesos' STATUS_UPDATE_RETRY_INTERVAL_MIN and _MAX).
  Duration status_update_retry = std::chrono::seconds(10);  // --status_update_retry_interval
  Duration status_update_retry_max = std::chrono::minutes(10);
  int64_t launcher_threads = 2;  // --launcher_threads
  std::map<std::string, std::string> flags;  // as given, for /state
};

class Agent {
 public:
  // `info` has hostname, port, resources and attributes; recover() adds the id.
  Agent(boost::asio::io_context& io, Options options, mesos::v1::AgentInfo info);

  // Loads the checkpointed agent id, if any.
  Result<void> recover();
  const mesos::v1::AgentInfo& info() const { return info_; }
  // Where task messages go; set before run().
  void set_tasks(TaskBook* tasks) { tasks_ = tasks; }
  boost::asio::awaitable<void> run();
  void stop();

  void install_routes(http::Router& router);
  net::WireCounters& counters() { return counters_; }

 private:
  boost::asio::awaitable<Result<void>> session(net::Connection& master);
  void on_registered();
  void on_task_message(const internal::Envelope& message);
  Result<void> checkpoint(const std::string& agent_id);
  nlohmann::json state_json() const;
  std::string metrics_text() const;

  boost::asio::io_context& io_;
  Options options_;
  mesos::v1::AgentInfo info_;
  std::string info_path_;
  Backoff backoff_;
  std::shared_ptr<net::Connection> master_;
  bool registered_ = false;
  bool stopping_ = false;
  std::string master_pid_;
  double start_time_ = 0;
  uint64_t registrations_ = 0;
  net::WireCounters counters_;
  TaskBook* tasks_ = nullptr;
};

}  // namespace dcos::agent
