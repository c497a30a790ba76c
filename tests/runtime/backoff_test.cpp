#include "runtime/backoff.hpp"

#include <gtest/gtest.h>

#include <set>

namespace dcos {
namespace {

using std::chrono::milliseconds;

TEST(Backoff, DelaysDoubleWithJitterUpToTheCap) {
  Backoff backoff(milliseconds(100), milliseconds(1000), /*seed=*/42);
  const milliseconds ceilings[] = {milliseconds(100), milliseconds(200),  milliseconds(400),
                                   milliseconds(800), milliseconds(1000), milliseconds(1000)};
  for (const auto ceiling : ceilings) {
    const auto delay = backoff.next();
    EXPECT_GE(delay, ceiling / 2);
    EXPECT_LE(delay, ceiling);
  }
}

TEST(Backoff, ResetStartsOver) {
  Backoff backoff(milliseconds(100), milliseconds(1000), 7);
  for (int i = 0; i < 5; ++i) backoff.next();
  backoff.reset();
  EXPECT_LE(backoff.next(), milliseconds(100));
}

TEST(Backoff, AgentsWithDifferentSeedsSpreadOut) {
  // A herd that lost its master at once must not come back in lock-step.
  std::set<Backoff::Duration::rep> first_delays;
  for (uint64_t seed = 0; seed < 50; ++seed)
    first_delays.insert(Backoff(milliseconds(1000), milliseconds(60000), seed).next().count());
  EXPECT_GT(first_delays.size(), 45u);
}

}  // namespace
}  // namespace dcos
