#include "daemons/master/state_stream.hpp"

#include <algorithm>

namespace dcos::master {

StateStream::StateStream(std::string stream_id, std::size_t history)
    : stream_id_(std::move(stream_id)), history_limit_(std::max<std::size_t>(history, 1)) {}

void StateStream::publish(internal::StateChange change) {
  change.set_sequence(++sequence_);
  internal::Envelope message;
  *message.mutable_state_change() = change;
  for (const auto& subscriber : subscribers_) subscriber->send(message);
  history_.push_back(std::move(change));
  while (history_.size() > history_limit_) history_.pop_front();
}

bool StateStream::can_resume(const internal::SubscribeState& request) const {
  if (request.stream_id() != stream_id_ || request.sequence() > sequence_) return false;
  // The history holds (sequence_ - size, sequence_]: the next change the
  // subscriber needs, request.sequence() + 1, must be in it or be the next.
  return request.sequence() + history_.size() >= sequence_;
}

void StateStream::subscribe(const std::shared_ptr<net::Connection>& subscriber,
                            const internal::SubscribeState& request, internal::StateSubscribed answer,
                            const std::function<internal::StateSnapshot()>& snapshot) {
  const bool resume = can_resume(request);
  answer.set_stream_id(stream_id_);
  answer.set_sequence(resume ? request.sequence() : sequence_);
  answer.set_resumed(resume);
  internal::Envelope reply;
  *reply.mutable_state_subscribed() = std::move(answer);
  subscriber->send(reply);
  if (resume) {
    ++resumes_;
    const std::size_t missed = sequence_ - request.sequence();
    internal::Envelope message;
    for (auto it = history_.end() - static_cast<std::ptrdiff_t>(missed); it != history_.end(); ++it) {
      *message.mutable_state_change() = *it;
      subscriber->send(message);
    }
  } else {
    ++snapshots_sent_;
    send_snapshot(*subscriber, snapshot());
  }
  subscribers_.push_back(subscriber);
}

// One frame holds at most half the frame bound of the snapshot's entries,
// so a large cluster's snapshot is many frames, never a refused one.
void StateStream::send_snapshot(net::Connection& subscriber, internal::StateSnapshot snapshot) {
  const std::size_t budget = subscriber.options().max_frame / 2;
  internal::Envelope message;
  auto* part = message.mutable_state_snapshot();
  std::size_t bytes = 0;
  auto add = [&](auto& entry, auto slot) {
    const std::size_t size = entry.ByteSizeLong() + 8;  // + its tag and length
    if (bytes > 0 && bytes + size > budget) {
      subscriber.send(message);
      part->Clear();
      bytes = 0;
    }
    *slot() = std::move(entry);
    bytes += size;
  };
  for (auto& agent : *snapshot.mutable_agents()) add(agent, [&] { return part->add_agents(); });
  for (auto& framework : *snapshot.mutable_frameworks()) add(framework, [&] { return part->add_frameworks(); });
  for (auto& task : *snapshot.mutable_tasks()) add(task, [&] { return part->add_tasks(); });
  part->set_last(true);
  subscriber.send(message);
}

void StateStream::remove(const net::Connection* subscriber) {
  std::erase_if(subscribers_, [&](const auto& held) { return held.get() == subscriber; });
}

void StateStream::broadcast(const internal::Envelope& message) {
  for (const auto& subscriber : subscribers_) subscriber->send(message);
}

void StateStream::close_all() {
  for (const auto& subscriber : subscribers_) subscriber->close();
  subscribers_.clear();
}

}  // namespace dcos::master
