// Every task's status update stream, and their delivery to the master
// (Mesos' TaskStatusUpdateManager).
//
// update() checkpoints an update in its task's stream and queues the
// stream for the next group commit; then delivers the stream's head, never
// before everything appended to it is durable: sends it, and sends it
// again after a growing backoff (runtime/backoff.hpp, from retry_min up to
// retry_max) until the master relays the framework's acknowledgement.
// Group commit: one flush at a time runs on a worker thread (the io thread
// keeps serving) and covers every stream appended to since the last one
// began, with one syncfs(2) of the work dir's file system (flush_logs()):
// a burst of 1,000 updates costs a few disk flushes, not 1,000. Streams
// are independent: a slow framework holds back only its own tasks. While
// there is no master (set_sender(nullptr)) nothing is sent; resend_all()
// after a (re)registration sends every head at once and restarts the
// backoffs. When a terminal update is acknowledged the stream is closed
// and on_done(key) lets the owner forget the task.
//
// Runs on the agent's io thread; not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/thread_pool.hpp>

#include "daemons/agent/status_update_stream.hpp"
#include "runtime/asio.hpp"
#include "runtime/backoff.hpp"
#include "runtime/duration.hpp"
#include "runtime/unique_fd.hpp"

namespace dcos::agent {

// (framework id, task id)
using TaskKey = std::pair<std::string, std::string>;

struct StatusUpdateCounters {
  uint64_t sent = 0;          // first sends of an update
  uint64_t retried = 0;       // sends of an update already sent
  uint64_t acknowledged = 0;  // acknowledgements that advanced a stream
  uint64_t ignored_acks = 0;  // duplicate, stale or unknown acknowledgements
};

class StatusUpdateManager {
 public:
  using Sender = std::function<void(const internal::StatusUpdate&)>;
  using DoneHandler = std::function<void(const TaskKey&)>;

  // `work_dir` holds the logs: its file system is the one synced.
  StatusUpdateManager(boost::asio::io_context& io, boost::asio::thread_pool& workers, const std::string& work_dir,
                      Duration retry_min, Duration retry_max);
  ~StatusUpdateManager();

  void set_sender(Sender sender) { sender_ = std::move(sender); }
  void on_done(DoneHandler handler) { on_done_ = std::move(handler); }

  // Adopts a stream replayed from disk (recovery); its head goes out on the
  // next resend_all().
  void adopt(const TaskKey& key, std::unique_ptr<StatusUpdateStream> stream);
  // Checkpoints `update` in the task's stream (opening its log at
  // `log_path` the first time), then delivers it when it is the head.
  Result<void> update(const TaskKey& key, const std::string& log_path, const internal::StatusUpdate& update);
  // A framework's acknowledgement. Unknown tasks and uuids are ignored.
  Result<void> acknowledge(const TaskKey& key, const std::string& uuid);
  void resend_all();

  const StatusUpdateStream* stream(const TaskKey& key) const;
  const StatusUpdateCounters& counters() const { return counters_; }

 private:
  struct Delivery;
  boost::asio::awaitable<void> deliver(std::shared_ptr<Delivery> delivery);
  boost::asio::awaitable<void> flush();
  void start(const std::shared_ptr<Delivery>& delivery);
  void send(const internal::StatusUpdate& update, bool again);

  boost::asio::io_context& io_;
  boost::asio::thread_pool& workers_;
  Duration retry_min_;
  Duration retry_max_;
  Sender sender_;
  DoneHandler on_done_;
  std::map<TaskKey, std::shared_ptr<Delivery>> streams_;
  // Streams appended to since the running flush began: the next group.
  std::vector<std::shared_ptr<Delivery>> unflushed_;
  bool flushing_ = false;  // a flush() coroutine runs
  UniqueFd file_system_;   // the work dir, for syncfs; -1: fdatasyncs only
  // The backoffs' jitter seeds: a std::random_device per stream costs a
  // cpuid (a trap to the hypervisor in a VM) each.
  std::mt19937_64 seeds_{std::random_device{}()};
  StatusUpdateCounters counters_;
};

}  // namespace dcos::agent
