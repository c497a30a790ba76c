// The master's registry: every agent ever admitted, with the time it was
// admitted and whether it is unreachable, kept in <work_dir>/registry so a
// restarted master knows its agents and keeps their ids.
//
// Changes apply to the in-memory copy at once and become durable by a write
// of the whole file (atomically replaced, see runtime/atomic_file.hpp) on a
// writer thread. Changes that arrive while a write is in flight are batched
// into the next one, so a burst of registrations costs a few writes, not one
// each. Each change's callback runs on the io thread once the write that
// includes it has finished (or failed): an agent is told it is registered
// only once its admission is on disk.
//
// Use from the io thread only.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/thread_pool.hpp>

#include "internal.pb.h"
#include "runtime/result.hpp"

namespace dcos::master {

class Registry {
 public:
  using Done = std::function<void(const Result<void>&)>;

  // Loads <work_dir>/registry, or starts an empty one with a new cluster id.
  static Result<std::unique_ptr<Registry>> recover(boost::asio::any_io_executor io, const std::string& work_dir);

  Registry(boost::asio::any_io_executor io, std::string path, internal::Registry state);
  ~Registry();

  const internal::Registry& state() const { return state_; }
  const std::string& cluster_id() const { return state_.cluster_id(); }

  // A new agent id: "<cluster id>-S<n>", never handed out twice.
  std::string next_agent_id();

  // Adds the agent, or replaces the info of an agent with the same id and
  // clears its unreachable mark.
  void admit(const mesos::v1::AgentInfo& info, double time, Done done);
  void mark_unreachable(const std::string& agent_id, double time, Done done);

  uint64_t writes() const { return writes_; }
  uint64_t write_failures() const { return write_failures_; }

 private:
  internal::Registry::Agent* find(const std::string& agent_id);
  void changed(Done done);
  void flush();

  boost::asio::any_io_executor io_;
  std::string path_;
  internal::Registry state_;
  std::unordered_map<std::string, int> index_;  // agent id -> position in state_.agents
  boost::asio::thread_pool writer_{1};
  std::vector<Done> waiting_;   // changes not yet handed to a write
  bool writing_ = false;
  uint64_t writes_ = 0;
  uint64_t write_failures_ = 0;
};

}  // namespace dcos::master
