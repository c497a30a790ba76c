// Exponential backoff with jitter, for reconnecting clients.
//
// The n-th delay is drawn uniformly from [d/2, d] where d = min(max,
// initial * 2^n): a herd of agents that lost their master at the same
// moment spreads out instead of reconnecting in lock-step. reset() after a
// success. Not thread-safe.
#pragma once

#include <algorithm>
#include <chrono>
#include <random>

namespace dcos {

class Backoff {
 public:
  using Duration = std::chrono::nanoseconds;

  Backoff(Duration initial, Duration max, uint64_t seed = std::random_device{}())
      : initial_(initial), max_(max), current_(initial), random_(seed) {}

  Duration next() {
    const Duration ceiling = current_;
    current_ = std::min(max_, current_ * 2);
    std::uniform_int_distribution<int64_t> pick(ceiling.count() / 2, ceiling.count());
    return Duration(pick(random_));
  }

  void reset() { current_ = initial_; }

 private:
  Duration initial_;
  Duration max_;
  Duration current_;
  std::mt19937_64 random_;
};

}  // namespace dcos
