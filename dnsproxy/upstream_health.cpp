#include "dnsproxy/upstream_health.hpp"

#include <algorithm>

namespace dcos::dns {

UpstreamHealth::UpstreamHealth(Options options) : options_(options) {
  // Zero would make every upstream sick from the start.
  options_.failures_to_sick = std::max<uint32_t>(options_.failures_to_sick, 1);
}

std::chrono::milliseconds UpstreamHealth::backoff() const {
  // Doubles with each failure past the threshold; the shift is bounded so
  // that it cannot overflow however long an upstream stays down.
  const uint32_t doublings = std::min<uint32_t>(consecutive_failures_ - options_.failures_to_sick, 20);
  const auto grown = options_.min_backoff * (int64_t{1} << doublings);
  return std::min<std::chrono::milliseconds>(grown, options_.max_backoff);
}

bool UpstreamHealth::take(Clock::time_point now) {
  if (healthy()) return true;
  if (now < retry_at_) return false;
  retry_at_ = now + backoff();
  return true;
}

void UpstreamHealth::succeeded() {
  consecutive_failures_ = 0;
  retry_at_ = {};
}

void UpstreamHealth::failed(Clock::time_point now) {
  if (consecutive_failures_ < UINT32_MAX) ++consecutive_failures_;
  if (!healthy()) retry_at_ = now + backoff();
}

}  // namespace dcos::dns
