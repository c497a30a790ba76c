// One task's status updates: an ordered, durable stream (Mesos'
// StatusUpdateStream).
//
// Every update is appended to the stream's log (runtime/record_log.hpp,
// fdatasync'd) before anyone may send it, and so is every acknowledgement,
// without the fdatasync: after a crash of the agent, open() replays the log
// and the stream is exactly where it was; after a power loss an
// acknowledgement may be missing, and its update is sent once more (the
// same uuid: a duplicate the framework ignores), which costs less than a
// disk flush per acknowledgement. Only the head (the oldest unacknowledged update) is in flight; an
// acknowledgement advances the stream only when it names the head's uuid,
// so duplicate and stale acknowledgements change nothing. Once a terminal
// update is acknowledged the stream is done and the task can be forgotten.
//
// Records are dcos.internal.Envelope messages holding a status_update or a
// status_update_acknowledgement: the same types as on the wire. The log's
// file is open only while a record is written: an agent with thousands of
// tasks would otherwise hold a descriptor per task, and every container
// launch copies (and closes) the agent's descriptor table.
// Not thread-safe.
#pragma once

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "internal.pb.h"
#include "runtime/record_log.hpp"
#include "runtime/result.hpp"
#include "runtime/task_states.hpp"

namespace dcos::agent {

// What flush_logs() made durable: durable[i] for paths[i]; `errors` says
// why each of the others is not (and why a syncfs fell back to fdatasyncs).
struct FlushOutcome {
  std::vector<bool> durable;
  std::vector<std::string> errors;
};

// Group commit: makes everything written so far to the logs at `paths`
// durable, with one syncfs(2) of the file system that `file_system` (a
// descriptor of a directory, or -1) is on for the logs on that file system
// when there are two or more, else an fdatasync of each log through a
// descriptor of its own. A failed syncfs falls back to the fdatasyncs, so
// that an error elsewhere on the file system holds up no log and an error
// of a log's own writeback is reported for that log. Blocks on the disk;
// callable from any thread while the streams keep appending.
FlushOutcome flush_logs(const std::vector<std::string>& paths, int file_system);

class StatusUpdateStream {
 public:
  // Opens the log at `path`, creating it, and replays what it holds.
  static Result<std::unique_ptr<StatusUpdateStream>> open(const std::string& path);

  // Checkpoints `update` (whose status.uuid must be set and new) and queues it.
  // Refused after a terminal update: a task ends once. With flush=false
  // the caller flushes the log (flush_log) before it sends the update.
  Result<void> append(const internal::StatusUpdate& update, bool flush = true);
  const std::string& path() const { return path_; }

  // Checkpoints the acknowledgement when `uuid` is the head's; true then.
  // False (and nothing written) for any other uuid.
  Result<bool> acknowledge(const std::string& uuid);

  // The update in flight, or nullptr when every update was acknowledged.
  const internal::StatusUpdate* head() const { return pending_.empty() ? nullptr : &pending_.front(); }
  std::size_t pending() const { return pending_.size(); }
  // The newest update appended, acknowledged or not.
  const std::optional<mesos::v1::TaskStatus>& latest() const { return latest_; }
  // A terminal update was appended (the task ended) / acknowledged (done).
  bool ended() const { return latest_ && is_terminal(latest_->state()); }
  bool done() const { return done_; }

 private:
  StatusUpdateStream(RecordLog log, std::string path) : log_(std::move(log)), path_(std::move(path)) {}
  Result<void> write(const internal::Envelope& record, bool durable);
  void apply(const internal::Envelope& record);

  RecordLog log_;
  std::string path_;
  std::deque<internal::StatusUpdate> pending_;
  std::optional<mesos::v1::TaskStatus> latest_;
  bool done_ = false;
};

}  // namespace dcos::agent
