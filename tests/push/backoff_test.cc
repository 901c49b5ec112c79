// Exponential backoff with jitter (push/backoff.h): the exact ceilings, the jitter range,
// the seeded sequence, and Retry-After overriding the schedule without drawing.
#include "daemon/push/backoff.h"

#include <gtest/gtest.h>

#include <set>

namespace stockd::push {
namespace {

TEST(PushBackoffTest, CeilingDoublesFromInitialUpToMax) {
  Backoff backoff(/*initial_ms=*/200, /*max_ms=*/60'000, /*seed=*/1);
  EXPECT_EQ(backoff.CeilingMs(1), 200);
  EXPECT_EQ(backoff.CeilingMs(2), 400);
  EXPECT_EQ(backoff.CeilingMs(3), 800);
  EXPECT_EQ(backoff.CeilingMs(9), 51'200);
  EXPECT_EQ(backoff.CeilingMs(10), 60'000);  // 102,400 capped
  EXPECT_EQ(backoff.CeilingMs(1'000), 60'000);
}

TEST(PushBackoffTest, MaxBelowInitialCaps) {
  Backoff backoff(1'000, 300, 1);
  EXPECT_EQ(backoff.CeilingMs(1), 300);
  EXPECT_EQ(backoff.CeilingMs(5), 300);
}

TEST(PushBackoffTest, DelayIsDrawnBetweenHalfTheCeilingAndTheCeiling) {
  Backoff backoff(200, 60'000, 42);
  for (int attempts = 1; attempts <= 12; ++attempts) {
    const int64_t ceiling = backoff.CeilingMs(attempts);
    std::set<int64_t> seen;
    for (int i = 0; i < 1'000; ++i) {
      const int64_t delay = backoff.DelayMs(attempts);
      ASSERT_GE(delay, ceiling / 2) << attempts;
      ASSERT_LE(delay, ceiling) << attempts;
      seen.insert(delay);
    }
    EXPECT_GT(seen.size(), 50u) << "retries of many SKUs must spread out: " << attempts;
  }
}

TEST(PushBackoffTest, TheSameSeedGivesTheSameDelays) {
  Backoff a(200, 60'000, 7);
  Backoff b(200, 60'000, 7);
  for (int attempts = 1; attempts <= 20; ++attempts) {
    EXPECT_EQ(a.DelayMs(attempts), b.DelayMs(attempts));
  }
}

TEST(PushBackoffTest, RetryAfterOverridesAndDrawsNothing) {
  Backoff a(200, 60'000, 7);
  Backoff b(200, 60'000, 7);
  EXPECT_EQ(a.DelayMs(1, /*retry_after_ms=*/1'234), 1'234);
  EXPECT_EQ(a.DelayMs(30, 5), 5);  // even below the schedule
  EXPECT_EQ(a.DelayMs(3), b.DelayMs(3));
  EXPECT_EQ(a.DelayMs(1, 0), b.DelayMs(1));  // 0: no Retry-After
}

}  // namespace
}  // namespace stockd::push
