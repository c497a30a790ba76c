// The master's registry: every agent ever admitted, with the time it was
// admitted and whether it is unreachable, so a restarted master knows its
// agents and keeps their ids.
//
// On disk (in the work directory): a snapshot, `registry`, replaced
// atomically, and the operations since it, `registry.log.<N>` (a RecordLog
// of RegistryOperation). A change costs one small appended record, not a
// rewrite of every agent; once the log holds more records than there are
// agents (and at least a thousand), the next write is a fresh snapshot that
// starts log N+1, so the cost per change stays constant.
//
// Changes apply to the in-memory copy at once and become durable on a
// writer thread. Changes that arrive while a write is in flight are batched
// into the next one. Each change's callback runs on the io thread once the
// write that includes it has finished (or failed): an agent is told it is
// registered only once its admission is on disk.
//
// An operation reported as failed may still reach the disk: memory keeps
// it, and the write after a failure is a snapshot of memory, so what is on
// disk and what the master serves agree again.
//
// Use from the io thread only. Destroy after the io_context has stopped:
// completions still queued there are then dropped, not run.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/thread_pool.hpp>

#include "internal.pb.h"
#include "runtime/record_log.hpp"
#include "runtime/result.hpp"

namespace dcos::master {

class Registry {
 public:
  using Done = std::function<void(const Result<void>&)>;

  // Loads the snapshot and replays its log, or starts an empty registry
  // with a new cluster id.
  static Result<std::unique_ptr<Registry>> recover(boost::asio::any_io_executor io, const std::string& work_dir);

  ~Registry();

  const internal::Registry& state() const { return state_; }
  const std::string& cluster_id() const { return state_.cluster_id(); }

  // A new agent id: "<cluster id>-S<n>", never handed out twice (the counter
  // is persisted with the admission that uses it).
  std::string next_agent_id();

  // Adds the agent, or replaces the info of an agent with the same id and
  // clears its unreachable mark.
  void admit(const mesos::v1::AgentInfo& info, double time, Done done);
  void mark_unreachable(const std::string& agent_id, double time, Done done);

  uint64_t writes() const { return writes_; }
  uint64_t write_failures() const { return write_failures_; }
  uint64_t snapshots() const { return snapshots_; }

 private:
  Registry(boost::asio::any_io_executor io, std::string work_dir, internal::Registry state, RecordLog log,
           uint64_t log_records);
  void apply(const internal::RegistryOperation& operation);
  void record(internal::RegistryOperation operation, Done done);
  void flush();
  std::string snapshot_path() const;
  std::string log_path(uint64_t sequence) const;

  boost::asio::any_io_executor io_;
  std::string work_dir_;
  internal::Registry state_;
  std::unordered_map<std::string, int> index_;  // agent id -> position in state_.agents

  // Touched only by the writer thread once the registry runs.
  RecordLog log_;
  boost::asio::thread_pool writer_{1};

  uint64_t log_records_ = 0;   // records in the current log
  std::string pending_;        // encoded records not yet handed to a write
  std::vector<Done> waiting_;  // their callbacks
  bool writing_ = false;
  uint64_t writes_ = 0;
  uint64_t write_failures_ = 0;
  uint64_t snapshots_ = 0;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // completions check it
};

}  // namespace dcos::master
