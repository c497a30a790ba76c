// The frameworks the master knows, with their tasks, in memory (not
// persisted: a restarted master learns them again from re-subscribing
// schedulers and re-registering agents).
//
// A framework is `connected` while its SUBSCRIBE stream is open and `active`
// while it is connected and has not been torn down; a disconnected framework
// keeps its tasks until `failover_deadline`, when the master removes it.
// Tasks are live (staging, starting, running, killing, or ended on the agent
// with the update not yet acknowledged) until their terminal update reaches
// the master; then they move to `completed`, a bounded list, newest last.
//
// Plain data and lookups, no I/O, no clock; the master's io thread only.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "mesos.pb.h"
#include "runtime/http.hpp"

namespace dcos::master {

// Whether the master no longer counts the task as running on its agent:
// Mesos' terminal states (runtime/task_states.hpp), and TASK_UNREACHABLE and
// TASK_UNKNOWN, which end a task's place in the master's books.
bool is_terminal(mesos::v1::TaskState state);

struct FrameworkRecord {
  mesos::v1::FrameworkInfo info;  // info.id() is set
  std::vector<std::string> roles;
  bool partition_aware = false;

  // The SUBSCRIBE stream; null while disconnected.
  std::shared_ptr<http::Stream> stream;
  std::string stream_id;
  bool protobuf = false;  // events as protobuf (else JSON)
  std::chrono::steady_clock::time_point last_event{};
  std::optional<std::chrono::steady_clock::time_point> failover_deadline;

  double registered_time = 0;
  double reregistered_time = 0;
  double unregistered_time = 0;

  std::map<std::string, mesos::v1::Task> tasks;  // live, by task id
  std::set<std::string> killing;                 // live tasks a kill was sent for
  std::deque<mesos::v1::Task> completed;

  bool connected() const { return stream != nullptr; }
  std::string id() const { return info.id().value(); }
  // The role a task's resources are accounted to.
  std::string task_role(const mesos::v1::Task& task) const;
};

class FrameworkRegistry {
 public:
  // Told of every live task that enters or leaves and every framework added
  // or removed here (for the master's state subscription). A change made to
  // a live task in place is its maker's to report.
  struct Observer {
    std::function<void(const FrameworkRecord&, const std::string& task_id)> task_added;
    std::function<void(const FrameworkRecord&, const mesos::v1::Task& task)> task_left;  // as it left
    std::function<void(const std::string& framework_id)> framework_changed;
  };

  explicit FrameworkRegistry(std::size_t max_completed_tasks = 1000, std::size_t max_completed_frameworks = 50)
      : max_completed_(max_completed_tasks), max_completed_frameworks_(max_completed_frameworks) {}

  FrameworkRecord* find(const std::string& framework_id);
  const FrameworkRecord* find(const std::string& framework_id) const;
  // Adds (or returns) the framework with `info.id()`.
  FrameworkRecord& add(const mesos::v1::FrameworkInfo& info);
  // Keeps it (without its stream) among the last `max_completed_frameworks`
  // removed frameworks, for /master/state's completed_frameworks.
  void remove(const std::string& framework_id);
  const std::deque<FrameworkRecord>& completed_frameworks() const { return completed_frameworks_; }

  mesos::v1::Task* find_task(const std::string& framework_id, const std::string& task_id);
  const mesos::v1::Task* find_task(const std::string& framework_id, const std::string& task_id) const;
  // Adds (or replaces) a live task. Live tasks enter only here and leave
  // only through complete_task() and remove(), which keep the index by agent.
  mesos::v1::Task& add_task(FrameworkRecord& framework, mesos::v1::Task task);
  // (framework id, task id) of the live tasks on an agent.
  std::vector<std::pair<std::string, std::string>> tasks_on(const std::string& agent_id) const;
  // Moves a live task to the completed list (bounded: the oldest is dropped).
  void complete_task(FrameworkRecord& framework, const std::string& task_id);

  void observe(Observer observer) { observer_ = std::move(observer); }

  std::map<std::string, FrameworkRecord>& all() { return frameworks_; }
  const std::map<std::string, FrameworkRecord>& all() const { return frameworks_; }
  std::size_t live_tasks() const;
  std::size_t completed_tasks() const;

 private:
  std::size_t max_completed_;
  std::size_t max_completed_frameworks_;
  std::map<std::string, FrameworkRecord> frameworks_;
  std::deque<FrameworkRecord> completed_frameworks_;
  Observer observer_;
  // Agent failover re-registers every agent: finding an agent's tasks must
  // not walk every task of the cluster.
  std::map<std::string, std::set<std::pair<std::string, std::string>>> by_agent_;
};

// The roles of a FrameworkInfo: `roles` (MULTI_ROLE) or else `role`.
std::vector<std::string> roles_of(const mesos::v1::FrameworkInfo& info);
// Whether the deprecated single `role` field is set.
bool has_legacy_role(const mesos::v1::FrameworkInfo& info);

}  // namespace dcos::master
