#include "daemons/agent/task_runner.hpp"

#include <signal.h>
#include <unistd.h>

#include <boost/asio/posix/stream_descriptor.hpp>

#include "daemons/agent/workers.hpp"
#include "runtime/log.hpp"

namespace dcos::agent {

namespace asio = boost::asio;
using mesos::v1::TaskStatus;

namespace {

// A descriptor someone else owns, watched by the io thread: released (not
// closed) when the watch ends, also when the io_context drops the watch.
struct BorrowedDescriptor {
  BorrowedDescriptor(asio::io_context& io, int fd) : descriptor(io, fd) {}
  ~BorrowedDescriptor() {
    if (descriptor.is_open()) (void)descriptor.release();
  }
  asio::posix::stream_descriptor descriptor;
};

bool has_capability(const mesos::v1::FrameworkInfo& framework, mesos::v1::FrameworkInfo::Capability::Type type) {
  for (const auto& capability : framework.capabilities())
    if (capability.type() == type) return true;
  return false;
}

}  // namespace

TaskRunner::TaskRunner(asio::io_context& io, Threads threads, isolation::Containerizer& containerizer,
                       mesos::v1::FrameworkInfo framework, mesos::v1::TaskInfo task, TaskPlacement placement,
                       Reporter reporter)
    : io_(io),
      workers_(threads.workers),
      checkpointer_(threads.checkpointer),
      containerizer_(containerizer),
      framework_(std::move(framework)),
      task_(std::move(task)),
      placement_(std::move(placement)),
      reporter_(std::move(reporter)) {}

void TaskRunner::report(mesos::v1::TaskState state, std::optional<TaskStatus::Reason> reason, std::string message) {
  if (ended_) return;
  reporter_(*this, TaskReport{state, reason, std::move(message)});
}

void TaskRunner::start(Checkpoint checkpoint) {
  checkpoint_ = std::move(checkpoint);
  asio::co_spawn(io_, [self = shared_from_this()] { return self->launch(); }, asio::detached);
}

void TaskRunner::resume(mesos::v1::TaskState state) {
  checkpointed_ = true;
  launched_ = true;
  for (const auto& info : containerizer_.containers())
    if (info.id == placement_.container_id) pid_ = info.pid;
  if (state != mesos::v1::TASK_RUNNING && state != mesos::v1::TASK_KILLING) report(mesos::v1::TASK_RUNNING);
  asio::co_spawn(io_, [self = shared_from_this()] { return self->watch(); }, asio::detached);
  if (state == mesos::v1::TASK_KILLING) {
    killing_ = true;
    asio::co_spawn(io_, [self = shared_from_this()] { return self->terminate(grace_period(self->task_, nullptr)); },
                   asio::detached);
  }
}

bool TaskRunner::killed_before_launch() {
  if (!pending_kill_) return false;
  if (has_capability(framework_, mesos::v1::FrameworkInfo::Capability::TASK_KILLING_STATE))
    report(mesos::v1::TASK_KILLING);
  report(mesos::v1::TASK_KILLED, TaskStatus::REASON_TASK_KILLED_DURING_LAUNCH, "killed before it was launched");
  ended_ = true;
  return true;
}

asio::awaitable<void> TaskRunner::launch() {
  auto& checkpoint = checkpoint_;
  auto checkpointed = co_await on_workers(checkpointer_, [&checkpoint] { return checkpoint(); });
  checkpoint_ = nullptr;
  if (!checkpointed) {
    report(mesos::v1::TASK_DROPPED, TaskStatus::REASON_CONTAINER_LAUNCH_FAILED,
           "the agent cannot checkpoint the task: " + checkpointed.error().message);
    ended_ = true;
    co_return;
  }
  checkpointed_ = true;
  report(mesos::v1::TASK_STARTING);
  if (killed_before_launch()) co_return;
  const auto spec = container_spec(framework_, task_, placement_);
  auto& containerizer = containerizer_;
  auto launched = co_await on_workers(workers_, [&containerizer, &spec] { return containerizer.launch(spec); });
  if (!launched) {
    report(mesos::v1::TASK_FAILED, TaskStatus::REASON_CONTAINER_LAUNCH_FAILED, launched.error().message);
    ended_ = true;
    co_return;
  }
  launched_ = true;
  pid_ = launched->pid;
  if (pending_kill_) {
    // Killed while it launched: it goes from STARTING (or KILLING) to KILLED.
    killing_ = true;
    asio::co_spawn(io_, terminate(*pending_kill_), asio::detached);
  } else {
    report(mesos::v1::TASK_RUNNING);
  }
  co_await watch();
}

asio::awaitable<void> TaskRunner::watch() {
  auto self = shared_from_this();
  const std::string id = placement_.container_id;
  // Without a descriptor to poll, wait() blocks a worker until the end.
  if (auto fd = containerizer_.ended_fd(id); !fd) {
    log::warning("container " + id + ": " + fd.error().message + ", waiting on a worker thread",
                 {{"TASK_ID", task_.task_id().value()}, {"CONTAINER_ID", placement_.container_id}});
  } else {
    // The containerizer's own descriptor, borrowed (not a duplicate: every
    // descriptor the agent holds is copied into each container it
    // launches): released, never closed, before wait() closes it.
    BorrowedDescriptor ended(io_, *fd);
    boost::system::error_code ec;
    co_await ended.descriptor.async_wait(asio::posix::descriptor_base::wait_read,
                                         asio::redirect_error(asio::use_awaitable, ec));
    if (ec)
      log::warning("container " + id + ": polling for its end: " + ec.message() + ", waiting on a worker thread",
                   {{"TASK_ID", task_.task_id().value()}, {"CONTAINER_ID", placement_.container_id}});
  }
  auto& containerizer = containerizer_;
  auto termination = co_await on_workers(workers_, [&containerizer, &id] { return containerizer.wait(id); });
  const TaskReport end = ending(termination);
  report(end.state, end.reason, end.message);
  ended_ = true;
}

TaskReport TaskRunner::ending(const Result<isolation::Termination>& termination) const {
  if (!termination)
    return {mesos::v1::TASK_FAILED, TaskStatus::REASON_EXECUTOR_TERMINATED,
            "cannot tell how the container ended: " + termination.error().message};
  const auto& end = *termination;
  if (killing_) return {mesos::v1::TASK_KILLED, std::nullopt, "killed: " + end.message};
  if (end.oom_killed) return {mesos::v1::TASK_FAILED, TaskStatus::REASON_CONTAINER_LIMITATION_MEMORY, end.message};
  if (end.exit_code && *end.exit_code == 0) return {mesos::v1::TASK_FINISHED, std::nullopt, end.message};
  if (end.destroyed) return {mesos::v1::TASK_FAILED, TaskStatus::REASON_EXECUTOR_TERMINATED, end.message};
  return {mesos::v1::TASK_FAILED, TaskStatus::REASON_COMMAND_EXECUTOR_FAILED, end.message};
}

void TaskRunner::kill(const mesos::v1::KillPolicy* override) {
  if (ended_ || killing_ || pending_kill_) return;
  const auto grace = grace_period(task_, override);
  // Before the checkpoint there is no stream for TASK_KILLING yet:
  // killed_before_launch() reports it then.
  if (checkpointed_ && has_capability(framework_, mesos::v1::FrameworkInfo::Capability::TASK_KILLING_STATE))
    report(mesos::v1::TASK_KILLING);
  if (!launched_) {
    pending_kill_ = grace;
    return;
  }
  killing_ = true;
  asio::co_spawn(io_, [self = shared_from_this(), grace] { return self->terminate(grace); }, asio::detached);
}

asio::awaitable<void> TaskRunner::terminate(std::chrono::nanoseconds grace) {
  auto self = shared_from_this();
  if (pid_ > 0 && ::kill(pid_, SIGTERM) != 0 && errno != ESRCH)
    log::warning("task " + task_.task_id().value() + ": SIGTERM to pid " + std::to_string(pid_) + ": " +
                     std::strerror(errno) + ", ignoring",
                 {{"TASK_ID", task_.task_id().value()}, {"CONTAINER_ID", placement_.container_id}});
  asio::steady_timer timer(io_, grace);
  boost::system::error_code ec;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  if (ended_) co_return;
  const std::string id = placement_.container_id;
  auto& containerizer = containerizer_;
  auto destroyed = co_await on_workers(workers_, [&containerizer, &id] { return containerizer.destroy(id); });
  if (!destroyed && !ended_)
    log::error("task " + task_.task_id().value() + ": destroy container " + id + ": " + destroyed.error().message,
               {{"TASK_ID", task_.task_id().value()}, {"CONTAINER_ID", placement_.container_id}});
}

}  // namespace dcos::agent
