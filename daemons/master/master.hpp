// The master: admits agents, tracks their liveness by ping, and tells
// operators about them (/master/state, /metrics, /health).
//
// Each agent connection is one coroutine (serve_agent) that reads the
// agent's messages top to bottom; one ticker pings every agent each
// `ping_interval` and marks unreachable the ones that missed
// `max_missed_pings` in a row. Agents are admitted durably through the
// Registry before they are told they are registered.
//
// Agent states, as in Mesos:
//   recovered    in the registry, not yet re-registered since this master
//                started; unreachable after `reregister_timeout`
//   connected    registered, its connection is up ("active")
//   disconnected registered, connection lost, pings still counted
//   unreachable  missed too many pings; re-registering makes it connected
//
// Runs on one io thread; not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>

#include <nlohmann/json_fwd.hpp>
#include "runtime/asio.hpp"

#include "daemons/master/registry.hpp"
#include "runtime/connection.hpp"
#include "runtime/duration.hpp"
#include "runtime/http.hpp"

namespace dcos::master {

struct Options {
  std::string ip = "127.0.0.1";
  uint16_t port = 5050;
  std::string hostname;
  std::string work_dir;
  Duration ping_interval = std::chrono::seconds(15);  // --agent_ping_timeout
  uint32_t max_missed_pings = 5;                      // --max_agent_ping_timeouts
  Duration reregister_timeout = std::chrono::minutes(10);
  std::size_t max_frame = wire::kDefaultMaxFrame;
  std::map<std::string, std::string> flags;  // as given, for /master/state
};

enum class AgentStatus { recovered, connected, disconnected, unreachable };

struct AgentRecord {
  mesos::v1::AgentInfo info;  // info.id() is set
  AgentStatus status = AgentStatus::recovered;
  std::string pid;  // "slave(1)@ip:port", as Mesos names agents
  std::string version;
  double registered_time = 0;
  double reregistered_time = 0;
  double unreachable_time = 0;
  std::shared_ptr<net::Connection> connection;
  uint32_t missed_pings = 0;
  bool awaiting_pong = false;
};

class Master {
 public:
  Master(boost::asio::io_context& io, Options options, std::unique_ptr<Registry> registry);

  // Loads agents from the registry and starts the ping ticker.
  void start();
  // Stops pinging (a stopping master must not mark agents unreachable).
  void stop();

  // The framed-connection handler for the Listener.
  boost::asio::awaitable<void> serve_agent(std::shared_ptr<net::Connection> connection);

  void install_routes(http::Router& router);

  net::WireCounters& counters() { return counters_; }
  const std::string& id() const { return id_; }
  std::string pid() const;

 private:
  void handle(const std::shared_ptr<net::Connection>& connection, std::string& agent_id,
              const internal::Envelope& message);
  std::string register_agent(const std::shared_ptr<net::Connection>& connection, mesos::v1::AgentInfo info,
                             bool reregister);
  void admitted(const std::shared_ptr<net::Connection>& link, const std::string& agent_id, const char* how,
                const Result<void>& written);
  internal::Envelope registered_message(const std::string& agent_id) const;
  void disconnected(const std::string& agent_id, const net::Connection* connection, const std::string& reason);
  void mark_unreachable(AgentRecord& agent, const std::string& reason);
  boost::asio::awaitable<void> ping_loop();
  void ping_all();

  nlohmann::json state_json() const;
  nlohmann::json agent_json(const AgentRecord& agent) const;
  std::string metrics_text() const;
  std::size_t count(AgentStatus status) const;

  boost::asio::io_context& io_;
  Options options_;
  std::unique_ptr<Registry> registry_;
  std::string id_;
  double start_time_ = 0;
  std::unordered_map<std::string, AgentRecord> agents_;
  net::WireCounters counters_;
  uint64_t ping_sequence_ = 0;
  boost::asio::steady_timer ping_timer_;
};

}  // namespace dcos::master
