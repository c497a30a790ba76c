#include "dnsproxy/upstream_health.hpp"

#include <gtest/gtest.h>

namespace dcos::dns {
namespace {

using namespace std::chrono_literals;
using Clock = UpstreamHealth::Clock;

UpstreamHealth::Options options() {
  return {.failures_to_sick = 2, .min_backoff = 1000ms, .max_backoff = 4000ms};
}

TEST(UpstreamHealthTest, StaysUsableUntilEnoughFailuresInARow) {
  UpstreamHealth health(options());
  const Clock::time_point t0{};
  EXPECT_TRUE(health.take(t0));
  health.failed(t0);
  EXPECT_TRUE(health.healthy());
  EXPECT_TRUE(health.take(t0));
  health.succeeded();  // an answer resets the count
  health.failed(t0);
  EXPECT_TRUE(health.healthy());
  health.failed(t0);
  EXPECT_FALSE(health.healthy());
  EXPECT_FALSE(health.take(t0 + 999ms));
}

TEST(UpstreamHealthTest, ASickUpstreamGetsOneProbePerBackoffDoublingToTheMaximum) {
  UpstreamHealth health(options());
  const Clock::time_point t0{};
  health.failed(t0);
  health.failed(t0);  // sick: retry at t0 + 1s
  EXPECT_FALSE(health.take(t0 + 500ms));
  EXPECT_TRUE(health.take(t0 + 1s));   // the probe
  EXPECT_FALSE(health.take(t0 + 1s));  // a burst sends one probe, not the burst
  health.failed(t0 + 1s);              // the probe failed: 2 s now
  EXPECT_EQ(health.retry_at(), t0 + 3s);
  health.failed(t0 + 3s);  // 4 s
  EXPECT_EQ(health.retry_at(), t0 + 7s);
  for (int i = 0; i < 100; ++i) health.failed(t0 + 7s);  // capped, and no overflow
  EXPECT_EQ(health.retry_at(), t0 + 11s);
  EXPECT_TRUE(health.take(t0 + 11s));
  health.succeeded();
  EXPECT_TRUE(health.healthy());
  EXPECT_TRUE(health.take(t0 + 11s));
  EXPECT_EQ(health.consecutive_failures(), 0u);
}

TEST(UpstreamHealthTest, ZeroFailuresToSickMeansOne) {
  UpstreamHealth health({.failures_to_sick = 0, .min_backoff = 1000ms, .max_backoff = 1000ms});
  EXPECT_TRUE(health.healthy());
  health.failed(Clock::time_point{});
  EXPECT_FALSE(health.healthy());
}

}  // namespace
}  // namespace dcos::dns
