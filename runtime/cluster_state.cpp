#include "runtime/cluster_state.hpp"

#include "runtime/task_states.hpp"

namespace dcos {

namespace {

constexpr std::size_t kMaxId = 1024;

Result<void> check_id(const std::string& id, const char* what) {
  if (id.empty() || id.size() > kMaxId) return Error{std::string(what) + " id is empty or longer than 1024 bytes"};
  return {};
}

// Adds or replaces one entry of a table, within the bound on all entries.
template <class Map>
Result<void> put_entry(Map& map, std::size_t entries, typename Map::key_type key,
                       const typename Map::mapped_type& value) {
  if (entries >= ClusterState::kMaxEntries && !map.count(key))
    return Error{"the cluster state holds more than " + std::to_string(ClusterState::kMaxEntries) + " entries"};
  map[std::move(key)] = value;
  return {};
}

}  // namespace

const internal::StateAgent* ClusterState::agent(const std::string& id) const {
  auto it = current_.agents.find(id);
  return it == current_.agents.end() ? nullptr : &it->second;
}

const internal::StateFramework* ClusterState::framework(const std::string& id) const {
  auto it = current_.frameworks.find(id);
  return it == current_.frameworks.end() ? nullptr : &it->second;
}

Result<void> ClusterState::put(Tables& tables, const internal::StateAgent& agent) {
  if (auto valid = check_id(agent.id().value(), "agent"); !valid) return valid;
  return put_entry(tables.agents, tables.size(), agent.id().value(), agent);
}

Result<void> ClusterState::put(Tables& tables, const internal::StateFramework& framework) {
  if (auto valid = check_id(framework.id().value(), "framework"); !valid) return valid;
  return put_entry(tables.frameworks, tables.size(), framework.id().value(), framework);
}

Result<void> ClusterState::put(Tables& tables, const internal::StateTask& task) {
  if (auto valid = check_id(task.framework_id().value(), "framework"); !valid) return valid;
  if (auto valid = check_id(task.id().value(), "task"); !valid) return valid;
  TaskKey key{task.framework_id().value(), task.id().value()};
  if (leaves_cluster_state(task.state())) {
    tables.tasks.erase(key);
    return {};
  }
  return put_entry(tables.tasks, tables.size(), std::move(key), task);
}

Result<void> ClusterState::subscribed(const internal::StateSubscribed& subscribed) {
  if (subscribed.stream_id().empty()) return Error{"the master's subscription answer has no stream id"};
  if (subscribed.resumed()) {
    if (!ready_ || subscribed.stream_id() != stream_id_ || subscribed.sequence() != sequence_)
      return Error{"the master resumed a stream this subscriber does not hold (" + subscribed.stream_id() + " at " +
                   std::to_string(subscribed.sequence()) + ")"};
    receiving_ = false;
    if (subscribed.has_leader()) leader_ = subscribed.leader();
    return {};
  }
  receiving_ = true;
  pending_ = subscribed;
  incoming_ = Tables{};
  return {};
}

Result<bool> ClusterState::add_snapshot(const internal::StateSnapshot& part) {
  if (!receiving_) return Error{"a snapshot part arrived that no subscription answer announced"};
  for (const auto& agent : part.agents())
    if (auto added = put(incoming_, agent); !added) return added.error();
  for (const auto& framework : part.frameworks())
    if (auto added = put(incoming_, framework); !added) return added.error();
  for (const auto& task : part.tasks())
    if (auto added = put(incoming_, task); !added) return added.error();
  if (!part.last()) return false;
  current_ = std::move(incoming_);
  incoming_ = Tables{};
  stream_id_ = pending_.stream_id();
  sequence_ = pending_.sequence();
  leader_ = pending_.leader();
  receiving_ = false;
  ready_ = true;
  return true;
}

Result<void> ClusterState::apply(const internal::StateChange& change) {
  if (!ready_ || receiving_) return Error{"a state change arrived before the snapshot was complete"};
  if (change.sequence() != sequence_ + 1)
    return Error{"state change " + std::to_string(change.sequence()) + " arrived after " + std::to_string(sequence_)};
  Result<void> applied;
  switch (change.change_case()) {
    case internal::StateChange::kAgent:
      applied = put(current_, change.agent());
      break;
    case internal::StateChange::kAgentRemoved:
      current_.agents.erase(change.agent_removed().value());
      break;
    case internal::StateChange::kFramework:
      applied = put(current_, change.framework());
      break;
    case internal::StateChange::kFrameworkRemoved: {
      const std::string& id = change.framework_removed().value();
      current_.frameworks.erase(id);
      // A framework's tasks go with it (the master also sends their ends).
      std::erase_if(current_.tasks, [&](const auto& entry) { return entry.first.first == id; });
      break;
    }
    case internal::StateChange::kTask:
      applied = put(current_, change.task());
      break;
    case internal::StateChange::CHANGE_NOT_SET:
      break;  // a kind a newer master sends and this subscriber does not know
  }
  if (!applied) return applied;
  sequence_ = change.sequence();
  return {};
}

}  // namespace dcos
