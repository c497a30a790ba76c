// A framework for benchmarks: the Mesos v1 scheduler API over HTTP/1.1 in
// protobuf, on Asio coroutines, built to cost the master as little as a
// framework can, so that what a benchmark measures is the cluster.
//
// subscribe() sends SUBSCRIBE and keeps its response as the event stream
// (chunked HTTP carrying RecordIO records), read by next_event(). Every
// other call goes through send(): queued, and written by `connections`
// workers, each with a keep-alive connection of its own and one call in
// flight (as Mesos' scheduler library keeps its connection), so calls go in
// parallel but each worker's in order. A call the master does not answer
// with 202 is counted in failures() with its reason kept in last_failure().
//
// Everything runs on the io_context given; not thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/asio.hpp"
#include "runtime/result.hpp"
#include "scheduler.pb.h"

namespace dcos::bench {

class HttpScheduler {
 public:
  using Call = mesos::v1::scheduler::Call;
  using Event = mesos::v1::scheduler::Event;

  HttpScheduler(boost::asio::io_context& io, uint16_t port, std::size_t connections);
  ~HttpScheduler();
  HttpScheduler(const HttpScheduler&) = delete;
  HttpScheduler& operator=(const HttpScheduler&) = delete;

  // SUBSCRIBE, then waits for SUBSCRIBED; starts the call workers.
  boost::asio::awaitable<Result<void>> subscribe(const mesos::v1::FrameworkInfo& framework);
  // The next event of the stream; an error once the stream ended or broke.
  boost::asio::awaitable<Result<Event>> next_event();
  // The first offer of the next OFFERS event (other events skipped).
  boost::asio::awaitable<Result<mesos::v1::Offer>> next_offer();
  // The next status update (other events skipped), its acknowledgement
  // queued at once when it carries a uuid.
  boost::asio::awaitable<Result<mesos::v1::TaskStatus>> next_update();
  // Queues `call` with our framework id; does not wait for the answer.
  void send(Call call);
  // Waits until every queued call was answered.
  boost::asio::awaitable<void> drain();
  // Closes the stream and the workers' connections.
  void close();

  const std::string& framework_id() const { return framework_id_; }
  uint64_t calls_answered() const { return answered_; }
  uint64_t failures() const { return failures_; }
  const std::string& last_failure() const { return last_failure_; }

 private:
  struct Stream;
  boost::asio::awaitable<void> worker();
  void wake();

  boost::asio::io_context& io_;
  uint16_t port_;
  std::size_t connections_;
  std::unique_ptr<Stream> stream_;
  std::string stream_id_;
  std::string framework_id_;
  std::deque<std::string> pending_;  // serialised calls
  std::size_t in_flight_ = 0;
  bool closed_ = false;
  boost::asio::steady_timer wake_;  // never expires: cancelled to wake the waiters
  uint64_t answered_ = 0;
  uint64_t failures_ = 0;
  std::string last_failure_;
};

}  // namespace dcos::bench
