// A node service's copy of the cluster's state, kept by applying what the
// master's state subscription sends (see SubscribeState in internal.proto).
//
// A snapshot arrives in parts and is built aside: the copy in use changes
// only when the last part is in, so a service keeps answering from the old
// state while a new snapshot streams. Changes must come in sequence; one
// out of sequence is an Error, after which the subscriber reconnects (and
// resumes or gets a fresh snapshot). Sizes are bounded.
//
// Pure data, no I/O; not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "internal.pb.h"
#include "runtime/result.hpp"

namespace dcos {

class ClusterState {
 public:
  using TaskKey = std::pair<std::string, std::string>;  // framework id, task id

  // Agents, frameworks and tasks held at most, together.
  static constexpr std::size_t kMaxEntries = 2'000'000;

  // The master's answer to a subscription. Unless it resumed our stream
  // (same stream id, our sequence), snapshot parts follow.
  Result<void> subscribed(const internal::StateSubscribed& subscribed);
  // One part of a snapshot; true once the snapshot is complete and in use.
  Result<bool> add_snapshot(const internal::StateSnapshot& part);
  Result<void> apply(const internal::StateChange& change);

  // What a resuming SubscribeState sends: empty until a snapshot is in use.
  const std::string& stream_id() const { return stream_id_; }
  uint64_t sequence() const { return sequence_; }
  // A complete snapshot is in use (changes may still be missing while the
  // subscriber is disconnected).
  bool ready() const { return ready_; }

  const mesos::v1::MasterInfo& leader() const { return leader_; }
  const std::map<std::string, internal::StateAgent>& agents() const { return current_.agents; }
  const std::map<std::string, internal::StateFramework>& frameworks() const { return current_.frameworks; }
  const std::map<TaskKey, internal::StateTask>& tasks() const { return current_.tasks; }

  const internal::StateAgent* agent(const std::string& id) const;
  const internal::StateFramework* framework(const std::string& id) const;

 private:
  struct Tables {
    std::map<std::string, internal::StateAgent> agents;
    std::map<std::string, internal::StateFramework> frameworks;
    std::map<TaskKey, internal::StateTask> tasks;
    std::size_t size() const { return agents.size() + frameworks.size() + tasks.size(); }
  };
  static Result<void> put(Tables& tables, const internal::StateAgent& agent);
  static Result<void> put(Tables& tables, const internal::StateFramework& framework);
  static Result<void> put(Tables& tables, const internal::StateTask& task);

  std::string stream_id_;
  uint64_t sequence_ = 0;
  bool ready_ = false;
  mesos::v1::MasterInfo leader_;
  Tables current_;

  // A snapshot being received: where it will start and what it holds so far.
  bool receiving_ = false;
  internal::StateSubscribed pending_;
  Tables incoming_;
};

}  // namespace dcos
