// adapters/common/pacing.h: the token bucket's arithmetic (rate, burst, the server's view,
// pauses) and the backoff's bounds. Waits are asserted as computed figures, never timed.
#include "common/pacing.h"

#include <gtest/gtest.h>

#include "tests/fakes/plugin_under_test.h"

namespace stockd::adapters {
namespace {

TEST(TokenBucketTest, StartsFullAndChargesWhatACallCosts) {
  fakes::TestHost host;
  TokenBucket bucket(/*rate=*/10, /*burst=*/5, stockd::sdk::Host(host.host()));
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(bucket.Acquire(1, /*max_wait_ms=*/0)) << i;
  // Empty: one token is 100 ms away at 10/s, so a call that may not wait is refused.
  EXPECT_FALSE(bucket.Acquire(1, 0));
  EXPECT_GT(bucket.WaitMs(1), 50);
  EXPECT_LE(bucket.WaitMs(1), 100);
  EXPECT_LE(bucket.WaitMs(3), 300);
  EXPECT_GT(bucket.WaitMs(3), 250);
}

TEST(TokenBucketTest, AdoptsTheServersView) {
  fakes::TestHost host;
  TokenBucket bucket(1, 1, stockd::sdk::Host(host.host()));
  // Shopify: 1000 points, 40 left, 50 restored a second.
  bucket.Observe(/*available=*/40, /*maximum=*/1000, /*restore_rate=*/50);
  EXPECT_EQ(bucket.burst(), 1000);
  EXPECT_EQ(bucket.rate(), 50);
  EXPECT_EQ(bucket.WaitMs(40), 0);
  // 100 points: 60 missing at 50/s is 1.2 s.
  EXPECT_GT(bucket.WaitMs(100), 1150);
  EXPECT_LE(bucket.WaitMs(100), 1200);
}

TEST(TokenBucketTest, APauseHoldsEveryToken) {
  fakes::TestHost host;
  TokenBucket bucket(100, 100, stockd::sdk::Host(host.host()));
  bucket.PauseFor(2000);
  EXPECT_FALSE(bucket.Acquire(1, 500));
  EXPECT_GT(bucket.WaitMs(1), 1900);
  EXPECT_LE(bucket.WaitMs(1), 2010);
}

TEST(TokenBucketTest, AStoppingDaemonIsNotHeldUp) {
  fakes::TestHost host;
  TokenBucket bucket(1, 1, stockd::sdk::Host(host.host()));
  ASSERT_TRUE(bucket.Acquire(1, 0));
  host.SetCancelled(true);
  EXPECT_FALSE(bucket.Acquire(1, 60'000));  // returns within a slice, not a second
}

TEST(BackoffTest, GrowsWithJitterUpToTheCapAndResets) {
  Backoff backoff(/*initial_ms=*/100, /*max_ms=*/1000);
  const int64_t expected[] = {100, 200, 400, 800, 1000, 1000};
  for (const int64_t current : expected) {
    const int64_t wait = backoff.NextMs();
    EXPECT_GE(wait, current / 2);
    EXPECT_LE(wait, current);
  }
  EXPECT_EQ(backoff.attempts(), 6);
  backoff.Reset();
  EXPECT_LE(backoff.NextMs(), 100);
}

}  // namespace
}  // namespace stockd::adapters
