// The master: admits agents, tracks their liveness by ping, offers their
// resources to frameworks (the v1 scheduler API, POST /api/v1/scheduler)
// by DRF, launches and kills their tasks on the agents, relays the agents'
// status updates and the frameworks' acknowledgements, and tells operators
// about all of it (/master/state, /master/frameworks, /metrics, /health),
// whose calls (POST /api/v1) may tear a framework down or kill a task.
//
// The composition lives in this class; each concern is its own file:
//   master.cpp            agents: registration, pings, loss
//   scheduler_api.cpp     HTTP calls of the scheduler API: decode, check, answer
//   operator_api.cpp      HTTP calls of the operator API (POST /api/v1): TEARDOWN, KILL_TASK
//   frameworks.cpp        framework lifecycle: subscribe, failover, removal, events
//   offers.cpp            allocation cycles, OFFERS, RESCIND, declines
//   tasks.cpp             launch, kill, status updates, reconciliation, agent tasks
//   endpoints.cpp         /master/state, /metrics
//   state_feed.cpp        the state subscription of the node services
//                         (dcos-dns, dcos-l4lb): snapshot, then changes
// with their data in framework_registry.hpp, offer_book.hpp, allocator.hpp
// and the checks of a LAUNCH in task_validation.hpp.
//
// Each framed connection is one coroutine (serve_framed) that reads its
// messages top to bottom: an agent's, or a state subscriber's; one ticker pings every agent each
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
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json_fwd.hpp>
#include "runtime/asio.hpp"

#include "daemons/master/allocator.hpp"
#include "daemons/master/framework_registry.hpp"
#include "daemons/master/offer_book.hpp"
#include "daemons/master/registry.hpp"
#include "daemons/master/state_stream.hpp"
#include "master.pb.h"
#include "runtime/connection.hpp"
#include "runtime/duration.hpp"
#include "runtime/http.hpp"
#include "scheduler.pb.h"

namespace dcos::master {

struct LaunchCheck;  // task_validation.hpp

struct Options {
  std::string ip = "127.0.0.1";
  uint16_t port = 5050;
  std::string hostname;
  std::string work_dir;
  Duration ping_interval = std::chrono::seconds(15);  // --agent_ping_timeout
  uint32_t max_missed_pings = 5;                      // --max_agent_ping_timeouts
  Duration reregister_timeout = std::chrono::minutes(10);
  std::size_t max_frame = wire::kDefaultMaxFrame;
  std::map<std::string, std::string> flags;                // as given, for /master/state
  Duration allocation_interval = std::chrono::seconds(1);  // --allocation_interval
  Duration heartbeat_interval = std::chrono::seconds(15);  // --heartbeat_interval
  std::size_t max_completed_tasks = 1000;                  // per framework
  std::size_t max_call_bytes = 1024 * 1024;                // a scheduler call's body
  // Frameworks kept at once (each SUBSCRIBE without an id makes one, and a
  // disconnected one stays for its failover_timeout).
  std::size_t max_frameworks = 10000;
  std::map<std::string, double> weights;  // --weights: role -> weight in DRF (others 1)
  // State changes kept for state subscribers that reconnect and resume.
  std::size_t state_history = 10000;  // --state_history
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
  // Messages for the agent wait until its connection has been answered with
  // AgentRegistered (the registry write comes first): an agent ignores task
  // messages before it knows it is registered, so a kill sent earlier would
  // be lost.
  bool told_registered = false;
  std::vector<internal::Envelope> held;
};

class Master {
 public:
  Master(boost::asio::io_context& io, Options options, std::unique_ptr<Registry> registry);

  // Loads agents from the registry and starts the ping ticker.
  void start();
  // Stops pinging (a stopping master must not mark agents unreachable).
  void stop();

  // The framed-connection handler for the Listener: agents and state subscribers.
  boost::asio::awaitable<void> serve_framed(std::shared_ptr<net::Connection> connection);

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
  void send_to_agent(const std::string& agent_id, const internal::Envelope& message);

  // scheduler_api.cpp
  using Call = mesos::v1::scheduler::Call;
  using Event = mesos::v1::scheduler::Event;
  http::Response scheduler_call(const http::Request& request);
  http::Response dispatch_call(const Call& call, const http::Request& request, bool protobuf_out);
  http::Response subscribe(const Call& call, bool protobuf_out);
  void decline(FrameworkRecord& framework, const Call::Decline& decline);
  void revive(FrameworkRecord& framework, const Call::Revive& revive);
  void suppress(FrameworkRecord& framework, const Call::Suppress& suppress);

  // operator_api.cpp
  http::Response operator_call(const http::Request& request);
  http::Response operator_teardown(const std::string& framework_id);
  http::Response operator_kill(const mesos::v1::master::Call::KillTask& call, bool protobuf_out);

  // frameworks.cpp
  FrameworkRecord& subscribe_framework(mesos::v1::FrameworkInfo info, const Call::Subscribe& call, bool protobuf_out,
                                       std::shared_ptr<http::Stream> stream);
  void send_event(FrameworkRecord& framework, const Event& event);
  void stream_gone(const std::string& framework_id, const http::Stream* stream);
  void deactivate_framework(FrameworkRecord& framework);
  void remove_framework(const std::string& framework_id, const std::string& reason);
  boost::asio::awaitable<void> framework_loop();
  void framework_tick();
  std::string next_framework_id();

  // offers.cpp
  void request_allocation();
  boost::asio::awaitable<void> allocation_loop();
  void allocate();
  mesos::v1::Offer to_offer(const Offer& allocation) const;
  void rescind(const std::string& offer_id, bool tell_framework);
  void rescind_offers_of_agent(const std::string& agent_id);
  void rescind_offers_of_framework(const std::string& framework_id);
  // Adds or updates the agent's total; `active` decides whether it is offered.
  void add_agent_to_allocator(const AgentRecord& agent, bool active);
  // A DECLINE's or ACCEPT's filter duration, defaulted and bounded as Mesos does.
  static double refuse_seconds(const mesos::v1::Filters& filters);

  // tasks.cpp
  void accept(FrameworkRecord& framework, const Call::Accept& accept);
  // `group`: the LAUNCH_GROUP the task is part of (validated, not empty).
  void launch(FrameworkRecord& framework, const mesos::v1::TaskInfo& task, const std::string& role,
              const mesos::v1::Offer::Operation::LaunchGroup* group = nullptr);
  void launch_group(FrameworkRecord& framework, const mesos::v1::Offer::Operation::LaunchGroup& group,
                    LaunchCheck& check, const std::string& role);
  void drop_launch(FrameworkRecord& framework, const Call::Accept& accept, mesos::v1::TaskState state,
                   mesos::v1::TaskStatus::Reason reason, const std::string& message);
  void master_update(FrameworkRecord& framework, const mesos::v1::TaskID& task_id, const std::string& agent_id,
                     mesos::v1::TaskState state, mesos::v1::TaskStatus::Reason reason, const std::string& message);
  void kill(FrameworkRecord& framework, const Call::Kill& kill);
  void acknowledge(FrameworkRecord& framework, const Call::Acknowledge& acknowledge);
  void reconcile(FrameworkRecord& framework, const Call::Reconcile& reconcile);
  void status_update(const std::string& agent_id, const internal::StatusUpdate& update);
  void end_task(FrameworkRecord& framework, const std::string& task_id);
  void recover_agent_tasks(const std::string& agent_id, const internal::ReregisterAgent& message);
  void agent_tasks_lost(const std::string& agent_id);

  // state_feed.cpp: what changed, published once per turn of the io loop
  // (a burst of changes to one task is one change to its subscribers).
  boost::asio::awaitable<void> serve_state_subscriber(std::shared_ptr<net::Connection> connection,
                                                      const internal::SubscribeState& request);
  void task_entered(const std::string& framework_id, const std::string& task_id);
  void task_changed(const std::string& framework_id, const std::string& task_id);
  void task_left(const FrameworkRecord& framework, const mesos::v1::Task& task);
  void agent_changed(const std::string& agent_id);
  void framework_changed(const std::string& framework_id);
  void schedule_state_publish();
  void publish_state_changes();
  internal::StateSnapshot state_snapshot() const;
  internal::StateTask state_task(const FrameworkRecord& framework, const mesos::v1::Task& task) const;
  std::optional<internal::StateAgent> state_agent(const AgentRecord& agent) const;
  internal::StateFramework state_framework(const FrameworkRecord& framework) const;

  nlohmann::json state_json() const;
  nlohmann::json frameworks_json() const;
  nlohmann::json weights_json() const;
  nlohmann::json completed_frameworks_json() const;
  nlohmann::json framework_json(const FrameworkRecord& framework) const;
  nlohmann::json agent_json(const AgentRecord& agent) const;
  std::string metrics_text() const;
  std::size_t count(AgentStatus status) const;
  std::size_t connected_frameworks() const;

  boost::asio::io_context& io_;
  Options options_;
  std::unique_ptr<Registry> registry_;
  std::string id_;
  double start_time_ = 0;
  std::unordered_map<std::string, AgentRecord> agents_;
  net::WireCounters counters_;
  uint64_t ping_sequence_ = 0;
  boost::asio::steady_timer ping_timer_;

  StateStream state_stream_;
  // Changed since the last publish_state_changes(); a task that left is
  // kept as it left (it is no longer in frameworks_ to look up).
  std::map<std::pair<std::string, std::string>, std::optional<internal::StateTask>> changed_tasks_;
  std::set<std::string> changed_agents_;
  std::set<std::string> changed_frameworks_;
  bool publish_posted_ = false;

  Allocator allocator_;
  FrameworkRegistry frameworks_;
  OfferBook offers_;
  uint64_t next_framework_ = 0;
  bool allocation_requested_ = false;
  boost::asio::steady_timer allocation_timer_;
  boost::asio::steady_timer framework_timer_;
  struct SchedulerCounters {
    uint64_t calls = 0;
    uint64_t bad_calls = 0;
    uint64_t offers_declined = 0;
    uint64_t offers_rescinded = 0;
    uint64_t tasks_launched = 0;
    uint64_t tasks_invalid = 0;
    uint64_t status_updates = 0;
  } scheduler_counters_;
  struct OperatorCounters {
    uint64_t calls = 0;
    uint64_t bad_calls = 0;
    uint64_t task_kills = 0;
    uint64_t teardowns = 0;
  } operator_counters_;
};

}  // namespace dcos::master
