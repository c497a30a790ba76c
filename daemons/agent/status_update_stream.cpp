#include "daemons/agent/status_update_stream.hpp"

#include <fcntl.h>
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

Result<void> flush_log(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return errno_error("open '" + path + "'");
  if (::fdatasync(fd.get()) != 0) return errno_error("fdatasync '" + path + "'");
  return {};
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
