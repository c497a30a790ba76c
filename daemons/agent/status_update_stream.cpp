#include "daemons/agent/status_update_stream.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/unique_fd.hpp"

namespace dcos::agent {

Result<std::unique_ptr<StatusUpdateStream>> StatusUpdateStream::open(const std::string& path) {
  auto opened = RecordLog::open(path);
  if (!opened) return opened.error();
  opened->log.close();
  std::unique_ptr<StatusUpdateStream> stream(new StatusUpdateStream(std::move(opened->log), path));
  for (const auto& bytes : opened->records) {
    internal::Envelope record;
    // A record that passed its checksum but does not parse was not written
    // by us: refusing the stream beats guessing the task's state.
    if (!record.ParseFromString(bytes)) return Error{"status update log '" + path + "' holds a record that is not ours"};
    stream->apply(record);
  }
  return stream;
}

void StatusUpdateStream::apply(const internal::Envelope& record) {
  if (record.has_status_update()) {
    pending_.push_back(record.status_update());
    latest_ = record.status_update().status();
  } else if (record.has_status_update_acknowledgement() && !pending_.empty() &&
             pending_.front().status().uuid() == record.status_update_acknowledgement().uuid()) {
    if (is_terminal(pending_.front().status().state())) done_ = true;
    pending_.pop_front();
  }
}

Result<void> StatusUpdateStream::write(const internal::Envelope& record, bool durable) {
  auto written = log_.append(RecordLog::encode(record.SerializeAsString()));
  if (written && durable) written = log_.sync();
  log_.close();
  if (!written) return written;
  apply(record);
  return {};
}

namespace {

Result<void> flush_log(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return errno_error("open '" + path + "'");
  if (::fdatasync(fd.get()) != 0) return errno_error("fdatasync '" + path + "'");
  return {};
}

// The logs of `paths` on the file system of `file_system` (st_dev equal).
std::vector<std::size_t> on_file_system(const std::vector<std::string>& paths, int file_system) {
  std::vector<std::size_t> on;
  struct stat fs {};
  if (file_system < 0 || ::fstat(file_system, &fs) != 0) return on;
  for (std::size_t i = 0; i < paths.size(); ++i) {
    struct stat st {};
    if (::stat(paths[i].c_str(), &st) == 0 && st.st_dev == fs.st_dev) on.push_back(i);
  }
  return on;
}

}  // namespace

FlushOutcome flush_logs(const std::vector<std::string>& paths, int file_system) {
  FlushOutcome outcome;
  outcome.durable.assign(paths.size(), false);
  if (paths.size() >= 2) {
    const auto on = on_file_system(paths, file_system);
    if (on.size() >= 2) {
      if (::syncfs(file_system) == 0) {
        for (std::size_t i : on) outcome.durable[i] = true;
      } else {
        outcome.errors.push_back(errno_error("syncfs of the work dir's file system").message +
                                 ", falling back to an fdatasync per log");
      }
    }
  }
  for (std::size_t i = 0; i < paths.size(); ++i) {
    if (outcome.durable[i]) continue;
    auto flushed = flush_log(paths[i]);
    outcome.durable[i] = bool(flushed);
    if (!flushed) outcome.errors.push_back(flushed.error().message);
  }
  return outcome;
}

Result<void> StatusUpdateStream::append(const internal::StatusUpdate& update, bool flush) {
  if (update.status().uuid().empty()) return Error{"a status update needs a uuid"};
  if (ended()) return Error{"the task already ended with " + mesos::v1::TaskState_Name(latest_->state())};
  internal::Envelope record;
  *record.mutable_status_update() = update;
  return write(record, flush);
}

Result<bool> StatusUpdateStream::acknowledge(const std::string& uuid) {
  if (pending_.empty() || pending_.front().status().uuid() != uuid) return false;
  internal::Envelope record;
  auto* ack = record.mutable_status_update_acknowledgement();
  ack->set_uuid(uuid);
  *ack->mutable_task_id() = pending_.front().status().task_id();
  *ack->mutable_framework_id() = pending_.front().framework_id();
  if (auto written = write(record, /*durable=*/false); !written) return written.error();
  return true;
}

}  // namespace dcos::agent
