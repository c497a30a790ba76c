// The CLI as a framework: one session of the master's v1 scheduler API, in
// JSON, for commands such as `dcos task run` (a one-shot framework, like
// mesos-execute).
//
// subscribe() sends SUBSCRIBE and keeps its response open: the master's
// event stream (chunked HTTP carrying RecordIO records). next() reads the
// next event; call() sends any other call on a connection of its own with
// the stream's id, as the API wants. Errors are sentences naming the master
// ("master at 127.0.0.1:5050 refused SUBSCRIBE: 400 ..."). Blocking; one
// thread at a time.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "daemons/cli/master_client.hpp"
#include "runtime/result.hpp"
#include "scheduler.pb.h"

namespace dcos::cli {

class SchedulerSession {
 public:
  static Result<std::unique_ptr<SchedulerSession>> subscribe(
      const MasterAddress& master, const mesos::v1::FrameworkInfo& framework,
      std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~SchedulerSession();
  SchedulerSession(const SchedulerSession&) = delete;
  SchedulerSession& operator=(const SchedulerSession&) = delete;

  const std::string& framework_id() const { return framework_id_; }

  // The next event, or nullopt when none came within `timeout`. An error
  // when the master ended the stream or sent something that is not one.
  Result<std::optional<mesos::v1::scheduler::Event>> next(std::chrono::milliseconds timeout);

  // Sends `call` with this framework's id; the master answers 202.
  Result<void> call(mesos::v1::scheduler::Call call);

 private:
  struct Stream;
  SchedulerSession(MasterAddress master, std::unique_ptr<Stream> stream);

  MasterAddress master_;
  std::unique_ptr<Stream> stream_;
  std::string stream_id_;
  std::string framework_id_;
};

}  // namespace dcos::cli
