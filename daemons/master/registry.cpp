#include "daemons/master/registry.hpp"

#include <unistd.h>

#include <algorithm>

#include <boost/asio/post.hpp>

#include "runtime/atomic_file.hpp"
#include "runtime/ids.hpp"
#include "runtime/log.hpp"

namespace dcos::master {

namespace asio = boost::asio;

namespace {

constexpr uint64_t kMinRecordsBeforeSnapshot = 1000;

// Writes a snapshot that continues in a new, empty log, then removes the
// old log. A crash in between leaves the new snapshot naming the new log:
// the old one is only garbage.
Result<RecordLog> write_snapshot(const std::string& snapshot, const std::string& new_log, const std::string& old_log,
                                 const std::string& bytes) {
  ::unlink(new_log.c_str());  // a leftover of an earlier crash would hold stale records
  auto opened = RecordLog::open(new_log);
  if (!opened) return opened.error();
  if (auto written = write_file_atomically(snapshot, bytes, 0600); !written) return written.error();
  if (old_log != new_log) ::unlink(old_log.c_str());
  return std::move(opened->log);
}

}  // namespace

std::string Registry::snapshot_path() const { return work_dir_ + "/registry"; }

std::string Registry::log_path(uint64_t sequence) const {
  return work_dir_ + "/registry.log." + std::to_string(sequence);
}

Result<std::unique_ptr<Registry>> Registry::recover(asio::any_io_executor io, const std::string& work_dir) {
  if (auto made = make_directories(work_dir, 0755); !made) return made.error();
  const std::string path = work_dir + "/registry";
  internal::Registry state;
  if (::access(path.c_str(), F_OK) != 0) {
    state.set_cluster_id(random_uuid());
    state.set_next_agent_number(0);
    state.set_log_sequence(0);
    auto log =
        write_snapshot(path, work_dir + "/registry.log.0", work_dir + "/registry.log.0", state.SerializeAsString());
    if (!log) return log.error();
    return std::unique_ptr<Registry>(new Registry(io, work_dir, std::move(state), std::move(*log), 0));
  }

  auto bytes = read_file(path);
  if (!bytes) return bytes.error();
  if (!state.ParseFromString(*bytes) || !state.has_cluster_id())
    return Error{"registry '" + path + "' is corrupt (not a registry protobuf); move it away to start afresh"};
  const std::string log_file = work_dir + "/registry.log." + std::to_string(state.log_sequence());
  auto opened = RecordLog::open(log_file);
  if (!opened) return opened.error();
  if (opened->dropped_bytes > 0)
    log::warning("registry log '" + log_file + "' had a torn tail of " + std::to_string(opened->dropped_bytes) +
                 " bytes (a crash mid-write), ignoring it");
  if (state.log_sequence() > 0) {
    // Left by a crash between a snapshot and the removal of the log it replaced.
    ::unlink((work_dir + "/registry.log." + std::to_string(state.log_sequence() - 1)).c_str());
  }
  auto registry = std::unique_ptr<Registry>(
      new Registry(io, work_dir, std::move(state), std::move(opened->log), opened->records.size()));
  for (const auto& bytes_of_record : opened->records) {
    internal::RegistryOperation operation;
    if (!operation.ParseFromString(bytes_of_record))
      return Error{"registry log '" + log_file + "' holds a record that is not an operation"};
    registry->apply(operation);
  }
  return registry;
}

Registry::Registry(asio::any_io_executor io, std::string work_dir, internal::Registry state, RecordLog log,
                   uint64_t log_records)
    : io_(std::move(io)),
      work_dir_(std::move(work_dir)),
      state_(std::move(state)),
      log_(std::move(log)),
      log_records_(log_records) {
  for (int i = 0; i < state_.agents_size(); ++i) index_[state_.agents(i).info().id().value()] = i;
}

Registry::~Registry() {
  writer_.join();
  alive_.reset();
}

std::string Registry::next_agent_id() {
  const uint64_t number = state_.next_agent_number();
  state_.set_next_agent_number(number + 1);
  return state_.cluster_id() + "-S" + std::to_string(number);
}

void Registry::apply(const internal::RegistryOperation& operation) {
  state_.set_next_agent_number(std::max(state_.next_agent_number(), operation.next_agent_number()));
  if (operation.has_admit()) {
    const auto& admitted = operation.admit();
    const std::string& id = admitted.info().id().value();
    auto it = index_.find(id);
    if (it == index_.end()) {
      index_[id] = state_.agents_size();
      *state_.add_agents() = admitted;
    } else {
      auto* agent = state_.mutable_agents(it->second);
      *agent->mutable_info() = admitted.info();
      agent->clear_unreachable_time();
    }
  } else if (operation.has_mark_unreachable()) {
    auto it = index_.find(operation.mark_unreachable().agent_id());
    if (it != index_.end())
      state_.mutable_agents(it->second)->set_unreachable_time(operation.mark_unreachable().time());
  }
}

void Registry::admit(const mesos::v1::AgentInfo& info, double time, Done done) {
  internal::RegistryOperation operation;
  *operation.mutable_admit()->mutable_info() = info;
  auto it = index_.find(info.id().value());
  // A known agent keeps the time it was first admitted.
  operation.mutable_admit()->set_registered_time(it == index_.end() ? time
                                                                    : state_.agents(it->second).registered_time());
  record(std::move(operation), std::move(done));
}

void Registry::mark_unreachable(const std::string& agent_id, double time, Done done) {
  internal::RegistryOperation operation;
  operation.mutable_mark_unreachable()->set_agent_id(agent_id);
  operation.mutable_mark_unreachable()->set_time(time);
  record(std::move(operation), std::move(done));
}

void Registry::record(internal::RegistryOperation operation, Done done) {
  operation.set_next_agent_number(state_.next_agent_number());
  apply(operation);
  pending_ += RecordLog::encode(operation.SerializeAsString());
  ++log_records_;
  waiting_.push_back(std::move(done));
  if (!writing_) flush();
}

void Registry::flush() {
  writing_ = true;
  auto callbacks = std::make_shared<std::vector<Done>>(std::move(waiting_));
  waiting_.clear();
  std::function<Result<void>()> write;
  const bool snapshot = log_records_ > std::max<uint64_t>(kMinRecordsBeforeSnapshot, state_.agents_size());
  if (snapshot) {
    // The in-memory state already holds the pending operations: the snapshot
    // replaces them and the records of the current log.
    const uint64_t old_sequence = state_.log_sequence();
    state_.set_log_sequence(old_sequence + 1);
    write = [this, old_log = log_path(old_sequence), new_log = log_path(old_sequence + 1),
             bytes = state_.SerializeAsString()]() -> Result<void> {
      auto log = write_snapshot(snapshot_path(), new_log, old_log, bytes);
      if (!log) return log.error();
      log_ = std::move(*log);
      return {};
    };
    pending_.clear();
    log_records_ = 0;
  } else {
    write = [this, bytes = std::move(pending_)]() -> Result<void> {
      if (auto appended = log_.append(bytes); !appended) return appended;
      return log_.sync();
    };
    pending_.clear();
  }
  std::weak_ptr<int> alive = alive_;
  asio::post(writer_, [this, alive, callbacks, snapshot, write = std::move(write)] {
    auto result = write();
    asio::post(io_, [this, alive, callbacks, snapshot, result] {
      if (alive.expired()) return;
      ++writes_;
      if (result && snapshot) ++snapshots_;
      if (!result) {
        ++write_failures_;
        // Memory holds changes the disk may not: the next write is a
        // snapshot, into the log the snapshot on disk names.
        if (snapshot) state_.set_log_sequence(state_.log_sequence() - 1);
        log_records_ = std::max<uint64_t>(kMinRecordsBeforeSnapshot, state_.agents_size()) + 1;
      }
      for (auto& done : *callbacks)
        if (done) done(result);
      writing_ = false;
      if (!waiting_.empty()) flush();
    });
  });
}

}  // namespace dcos::master
