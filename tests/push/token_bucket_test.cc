// The channel rate limit (push/token_bucket.h) on a manual clock: starts full, refills at
// the rate up to its size, and says exactly how long until N tokens are there.
#include "daemon/push/token_bucket.h"

#include <gtest/gtest.h>

#include <limits>

#include "daemon/engine/clock.h"

namespace stockd::push {
namespace {

TEST(PushTokenBucketTest, StartsFullWithTheBurst) {
  engine::ManualClock clock;
  TokenBucket bucket(/*rate_per_second=*/10, /*burst=*/40, clock.NowMs());
  EXPECT_FALSE(bucket.unlimited());
  EXPECT_EQ(bucket.Available(clock.NowMs()), 40);
  EXPECT_EQ(bucket.MsUntil(40, clock.NowMs()), 0);
}

TEST(PushTokenBucketTest, WithoutABurstItHoldsOneSecondOfRateAndAtLeastOne) {
  engine::ManualClock clock;
  EXPECT_EQ(TokenBucket(20, 0, clock.NowMs()).Available(clock.NowMs()), 20);
  EXPECT_EQ(TokenBucket(0.5, 0, clock.NowMs()).Available(clock.NowMs()), 1);
}

TEST(PushTokenBucketTest, RefillsAtTheRate) {
  engine::ManualClock clock;
  TokenBucket bucket(10, 40, clock.NowMs());
  bucket.Take(40);
  EXPECT_EQ(bucket.Available(clock.NowMs()), 0);
  // 0 tokens, 1 wanted: 100 ms at 10/s, plus the 1 ms that rounds the wait up.
  EXPECT_EQ(bucket.MsUntil(1, clock.NowMs()), 101);
  clock.Advance(99);
  EXPECT_EQ(bucket.Available(clock.NowMs()), 0);
  clock.Advance(1);
  EXPECT_EQ(bucket.Available(clock.NowMs()), 1);
  EXPECT_EQ(bucket.MsUntil(1, clock.NowMs()), 0);
  clock.Advance(1'000);
  EXPECT_EQ(bucket.Available(clock.NowMs()), 11);
}

TEST(PushTokenBucketTest, SaysHowLongUntilNTokensFromAFraction) {
  engine::ManualClock clock;
  TokenBucket bucket(10, 40, clock.NowMs());
  bucket.Take(40);
  clock.Advance(50);  // 0.5 tokens
  EXPECT_EQ(bucket.Available(clock.NowMs()), 0);
  EXPECT_EQ(bucket.MsUntil(1, clock.NowMs()), 51);
  EXPECT_EQ(bucket.MsUntil(3, clock.NowMs()), 251);
  clock.Advance(51);
  EXPECT_EQ(bucket.Available(clock.NowMs()), 1);
}

TEST(PushTokenBucketTest, NeverRefillsAboveItsSize) {
  engine::ManualClock clock;
  TokenBucket bucket(10, 40, clock.NowMs());
  bucket.Take(5);
  EXPECT_EQ(bucket.Available(clock.NowMs()), 35);
  clock.Advance(60'000);
  EXPECT_EQ(bucket.Available(clock.NowMs()), 40);
  bucket.Take(1);
  EXPECT_EQ(bucket.Available(clock.NowMs()), 39);
}

TEST(PushTokenBucketTest, ARateOfZeroIsUnlimited) {
  engine::ManualClock clock;
  TokenBucket bucket(0, 5, clock.NowMs());
  EXPECT_TRUE(bucket.unlimited());
  bucket.Take(1'000'000);
  EXPECT_EQ(bucket.Available(clock.NowMs()), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(bucket.MsUntil(1'000'000, clock.NowMs()), 0);
}

}  // namespace
}  // namespace stockd::push
