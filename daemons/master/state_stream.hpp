// The master's side of the state subscription (SubscribeState in
// internal.proto): the node services that follow the cluster's state, and
// the numbered changes sent to them.
//
// publish() numbers a change, keeps it in a bounded history and sends it to
// every subscriber. subscribe() answers a new subscriber: if it asks to
// resume this stream from a sequence the history still covers, it gets the
// changes after that one; otherwise a snapshot, in parts that fit a frame.
// Either way it is a subscriber from then on, and nothing published in
// between can be missed: everything runs on the master's io thread, and
// sending only queues.
//
// A subscriber that stops reading is dropped by its connection's queue
// bound; it reconnects and resumes. Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "internal.pb.h"
#include "runtime/connection.hpp"

namespace dcos::master {

class StateStream {
 public:
  // `stream_id` names this master process's stream (a restarted master
  // starts a new one); `history` bounds the changes kept for resuming.
  StateStream(std::string stream_id, std::size_t history);

  void publish(internal::StateChange change);

  // Answers a SubscribeState and adds the subscriber. `snapshot` fills a
  // full snapshot when one is needed. `answer` is the StateSubscribed to
  // send (leader, heartbeat); its stream id, sequence and resumed are set here.
  void subscribe(const std::shared_ptr<net::Connection>& subscriber, const internal::SubscribeState& request,
                 internal::StateSubscribed answer, const std::function<internal::StateSnapshot()>& snapshot);
  void remove(const net::Connection* subscriber);
  // Sends a message (a heartbeat) to every subscriber.
  void broadcast(const internal::Envelope& message);
  void close_all();

  const std::string& stream_id() const { return stream_id_; }
  uint64_t sequence() const { return sequence_; }
  std::size_t subscribers() const { return subscribers_.size(); }
  uint64_t snapshots_sent() const { return snapshots_sent_; }
  uint64_t resumes() const { return resumes_; }

 private:
  bool can_resume(const internal::SubscribeState& request) const;
  void send_snapshot(net::Connection& subscriber, internal::StateSnapshot snapshot);

  std::string stream_id_;
  std::size_t history_limit_;
  uint64_t sequence_ = 0;
  std::deque<internal::StateChange> history_;  // sequences (sequence_ - size, sequence_]
  std::vector<std::shared_ptr<net::Connection>> subscribers_;
  uint64_t snapshots_sent_ = 0;
  uint64_t resumes_ = 0;
};

}  // namespace dcos::master
