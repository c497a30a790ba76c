// The health of one upstream resolver, as the forwarder sees it: how many
// queries in a row it failed (a timeout, a refused connection, SERVFAIL,
// REFUSED, a reply that does not parse) and, once that reaches
// `failures_to_sick`, when it may be tried again.
//
// A sick upstream is skipped until its backoff ends; then one query is let
// through as a probe (take() moves the next try a backoff further on, so
// a burst of queries sends one probe, not the burst). A failed probe
// doubles the backoff up to `max_backoff`; any answer makes it healthy.
// The clock is passed in, so tests need no sleeping. Not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>

namespace dcos::dns {

class UpstreamHealth {
 public:
  using Clock = std::chrono::steady_clock;

  struct Options {
    uint32_t failures_to_sick = 3;
    std::chrono::milliseconds min_backoff{1000};
    std::chrono::milliseconds max_backoff{30000};
  };

  explicit UpstreamHealth(Options options);

  // Whether a query may go to this upstream now; for a sick one whose
  // backoff has ended this is the probe, and the next is a backoff away.
  bool take(Clock::time_point now);
  void succeeded();
  void failed(Clock::time_point now);

  bool healthy() const { return consecutive_failures_ < options_.failures_to_sick; }
  uint32_t consecutive_failures() const { return consecutive_failures_; }
  Clock::time_point retry_at() const { return retry_at_; }

 private:
  std::chrono::milliseconds backoff() const;

  Options options_;
  uint32_t consecutive_failures_ = 0;
  Clock::time_point retry_at_{};
};

}  // namespace dcos::dns
