#include "daemons/agent/status_update_manager.hpp"

#include <fcntl.h>

#include <algorithm>

#include "daemons/agent/workers.hpp"
#include "runtime/log.hpp"

namespace dcos::agent {

namespace asio = boost::asio;

struct StatusUpdateManager::Delivery {
  Delivery(asio::io_context& io, std::unique_ptr<StatusUpdateStream> s, Duration min, Duration max, uint64_t seed)
      : stream(std::move(s)), timer(io), backoff(min, max, seed) {}
  std::unique_ptr<StatusUpdateStream> stream;
  asio::steady_timer timer;
  Backoff backoff;
  bool running = false;  // a deliver() coroutine owns this stream
  bool closed = false;   // forgotten: deliver() must stop
  // Updates appended, and how many of them are durable.
  uint64_t appended = 0;
  uint64_t flushed = 0;
  bool queued = false;          // in unflushed_
  bool awaiting_flush = false;  // deliver() sleeps until flush() wakes it
};

StatusUpdateManager::StatusUpdateManager(asio::io_context& io, asio::thread_pool& workers, const std::string& work_dir,
                                         Duration retry_min, Duration retry_max)
    : io_(io),
      workers_(workers),
      retry_min_(retry_min),
      retry_max_(retry_max),
      file_system_(::open(work_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) {
  // Kept open: syncfs reports a writeback error once per descriptor, and
  // this one has seen every error since the agent started.
  if (!file_system_)
    log::warning(errno_error("open work dir '" + work_dir + "' for syncfs").message +
                 ": status updates are flushed with an fdatasync each");
}

StatusUpdateManager::~StatusUpdateManager() {
  for (auto& [key, delivery] : streams_) {
    delivery->closed = true;
    delivery->timer.cancel();
  }
}

void StatusUpdateManager::adopt(const TaskKey& key, std::unique_ptr<StatusUpdateStream> stream) {
  streams_[key] = std::make_shared<Delivery>(io_, std::move(stream), retry_min_, retry_max_, seeds_());
}

Result<void> StatusUpdateManager::update(const TaskKey& key, const std::string& log_path,
                                         const internal::StatusUpdate& update) {
  auto found = streams_.find(key);
  if (found == streams_.end()) {
    auto stream = StatusUpdateStream::open(log_path);
    if (!stream) return stream.error();
    found = streams_.emplace(key, std::make_shared<Delivery>(io_, std::move(*stream), retry_min_, retry_max_, seeds_())).first;
  }
  auto delivery = found->second;
  if (auto appended = delivery->stream->append(update, /*flush=*/false); !appended) return appended;
  delivery->appended++;
  if (!delivery->queued) {
    delivery->queued = true;
    unflushed_.push_back(delivery);
  }
  if (!flushing_) {
    flushing_ = true;
    asio::co_spawn(io_, flush(), asio::detached);
  }
  start(delivery);
  return {};
}

// Group commit: takes every stream appended to so far, makes them durable
// together on a worker (flush_logs), wakes their deliver(), and goes on
// while more were appended meanwhile. A log that could not be flushed is
// queued again and retried after a pause: sending an update that a crash
// could lose would let the framework see a state the agent forgets.
asio::awaitable<void> StatusUpdateManager::flush() {
  asio::steady_timer pause(io_);
  // The rest of this turn's appends (a RunTask burst) join the first group.
  co_await asio::post(io_, asio::use_awaitable);
  while (!unflushed_.empty()) {
    std::vector<std::shared_ptr<Delivery>> group;
    group.swap(unflushed_);
    std::vector<std::string> paths;
    std::vector<uint64_t> targets;
    for (const auto& delivery : group) {
      delivery->queued = false;
      paths.push_back(delivery->stream->path());
      targets.push_back(delivery->appended);
    }
    const int file_system = file_system_.get();
    // By reference: g++ 12 destroys a co_await operand's non-trivial
    // temporaries twice, so the lambda holds nothing to destroy.
    FlushOutcome outcome = co_await on_workers(workers_, [&paths, file_system] { return flush_logs(paths, file_system); });
    for (const auto& error : outcome.errors) log::error("status updates: " + error);
    bool failed = false;
    for (std::size_t i = 0; i < group.size(); ++i) {
      auto& delivery = group[i];
      if (delivery->closed) continue;
      if (!outcome.durable[i]) {
        failed = true;
        if (!delivery->queued) {
          delivery->queued = true;
          unflushed_.push_back(delivery);
        }
        continue;
      }
      delivery->flushed = std::max(delivery->flushed, targets[i]);
      if (delivery->awaiting_flush) delivery->timer.cancel();
    }
    if (failed) {
      log::error("status updates: retrying the logs that could not be flushed in 1s");
      pause.expires_after(std::chrono::seconds(1));
      boost::system::error_code ec;
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }
  flushing_ = false;
}

void StatusUpdateManager::start(const std::shared_ptr<Delivery>& delivery) {
  if (delivery->running || delivery->stream->head() == nullptr) return;
  delivery->running = true;
  asio::co_spawn(io_, deliver(delivery), asio::detached);
}

// One coroutine per stream with updates in flight: sends the head, waits
// for its acknowledgement (which cancels the timer) or the backoff, and
// resends or moves to the next head.
asio::awaitable<void> StatusUpdateManager::deliver(std::shared_ptr<Delivery> delivery) {
  std::string last_sent;
  while (!delivery->closed && delivery->stream->head() != nullptr) {
    if (delivery->flushed < delivery->appended) {
      delivery->awaiting_flush = true;
      delivery->timer.expires_after(std::chrono::hours(1));
      boost::system::error_code ec;
      co_await delivery->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      delivery->awaiting_flush = false;
      continue;
    }
    internal::StatusUpdate head = *delivery->stream->head();
    // The master shows a task's newest state, not the one being retried.
    if (const auto& latest = delivery->stream->latest(); latest && latest->state() != head.status().state())
      head.set_latest_state(latest->state());
    const bool again = head.status().uuid() == last_sent;
    if (!again) delivery->backoff.reset();
    send(head, again);
    last_sent = head.status().uuid();
    delivery->timer.expires_after(delivery->backoff.next());
    boost::system::error_code ec;
    co_await delivery->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  delivery->running = false;
}

void StatusUpdateManager::send(const internal::StatusUpdate& update, bool again) {
  if (!sender_) return;
  (again ? counters_.retried : counters_.sent)++;
  sender_(update);
}

Result<void> StatusUpdateManager::acknowledge(const TaskKey& key, const std::string& uuid) {
  auto found = streams_.find(key);
  if (found == streams_.end()) {
    counters_.ignored_acks++;
    return {};
  }
  auto delivery = found->second;
  auto advanced = delivery->stream->acknowledge(uuid);
  if (!advanced) return advanced.error();
  if (!*advanced) {
    counters_.ignored_acks++;
    return {};
  }
  counters_.acknowledged++;
  if (delivery->stream->done()) {
    delivery->closed = true;
    delivery->timer.cancel();
    streams_.erase(found);
    if (on_done_) on_done_(key);
    return {};
  }
  // Wakes deliver(), which sends the next head at once.
  delivery->timer.cancel();
  return {};
}

void StatusUpdateManager::resend_all() {
  for (auto& [key, delivery] : streams_) {
    delivery->backoff.reset();
    if (delivery->running) {
      delivery->timer.cancel();
    } else {
      start(delivery);
    }
  }
}

const StatusUpdateStream* StatusUpdateManager::stream(const TaskKey& key) const {
  auto found = streams_.find(key);
  return found == streams_.end() ? nullptr : found->second->stream.get();
}

}  // namespace dcos::agent
