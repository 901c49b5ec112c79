// The bounded latency sample ring behind push-status (push/latency_ring.h): exact ranks
// for p50/p99/max, and the oldest sample giving way once full.
#include "daemon/push/latency_ring.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <vector>

namespace stockd::push {
namespace {

TEST(PushLatencyRingTest, EmptyIsAllZero) {
  const LatencyRing::Summary s = LatencyRing().Summarize();
  EXPECT_EQ(s.samples, 0);
  EXPECT_EQ(s.p50_ms, 0);
  EXPECT_EQ(s.p99_ms, 0);
  EXPECT_EQ(s.max_ms, 0);
}

TEST(PushLatencyRingTest, OneSampleIsEveryFigure) {
  LatencyRing ring;
  ring.Add(7);
  const LatencyRing::Summary s = ring.Summarize();
  EXPECT_EQ(s.samples, 1);
  EXPECT_EQ(s.p50_ms, 7);
  EXPECT_EQ(s.p99_ms, 7);
  EXPECT_EQ(s.max_ms, 7);
}

TEST(PushLatencyRingTest, RanksOfAHundredSamplesInAnyOrder) {
  std::vector<int64_t> values(100);
  std::iota(values.begin(), values.end(), 1);  // 1..100
  std::shuffle(values.begin(), values.end(), std::mt19937(3));
  LatencyRing ring;
  for (int64_t v : values) ring.Add(v);
  const LatencyRing::Summary s = ring.Summarize();
  EXPECT_EQ(s.samples, 100);
  EXPECT_EQ(s.p50_ms, 51);   // rank 50
  EXPECT_EQ(s.p99_ms, 100);  // rank 99
  EXPECT_EQ(s.max_ms, 100);
}

TEST(PushLatencyRingTest, OnceFullTheOldestSampleGivesWay) {
  LatencyRing ring(4);
  for (int64_t v : {100, 1, 2, 3}) ring.Add(v);
  EXPECT_EQ(ring.Summarize().max_ms, 100);
  ring.Add(4);  // replaces 100
  LatencyRing::Summary s = ring.Summarize();
  EXPECT_EQ(s.samples, 4);
  EXPECT_EQ(s.max_ms, 4);
  ring.Add(5);  // replaces 1: {2, 3, 4, 5}
  s = ring.Summarize();
  EXPECT_EQ(s.samples, 4);
  EXPECT_EQ(s.p50_ms, 4);
  EXPECT_EQ(s.p99_ms, 5);
  EXPECT_EQ(s.max_ms, 5);
}

TEST(PushLatencyRingTest, KeepsTheLastTenThousandByDefault) {
  LatencyRing ring;
  for (int64_t v = 0; v < 10'500; ++v) ring.Add(v);
  const LatencyRing::Summary s = ring.Summarize();
  EXPECT_EQ(s.samples, 10'000);
  EXPECT_EQ(s.p50_ms, 500 + 5'000);
  EXPECT_EQ(s.p99_ms, 500 + 9'900);
  EXPECT_EQ(s.max_ms, 10'499);
}

}  // namespace
}  // namespace stockd::push
