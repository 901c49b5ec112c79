// The dirty SKUs of a channel (push/dirty_queue.h) on a manual clock: latest value wins,
// the sold-out priority lane, the coalescing window, and what each push outcome does.
#include "daemon/push/dirty_queue.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "daemon/engine/clock.h"
#include "daemon/push/backoff.h"

namespace stockd::push {
namespace {

// The caller's longest wait; Take only lowers it (to when a waiting SKU is due).
constexpr int64_t kLook = 60'000;

class PushDirtyQueueTest : public ::testing::Test {
 protected:
  explicit PushDirtyQueueTest(int64_t window_ms = 1'000) : queue_(window_ms) {}

  bool Offer(const std::string& sku, int64_t desired, bool force = false) {
    return queue_.Offer(sku, desired, force, shown_, clock_.NowMs());
  }
  std::vector<DirtyQueue::Item> Take(int limit = 100) {
    wait_ms_ = kLook;
    return queue_.Take(clock_.NowMs(), limit, shown_, &wait_ms_);
  }
  // Pushes the only due SKU and has the channel acknowledge it.
  void PushAndAck(const std::string& sku) {
    std::vector<DirtyQueue::Item> batch = Take();
    ASSERT_EQ(batch.size(), 1u);
    ASSERT_EQ(batch[0].sku, sku);
    shown_[sku] = batch[0].quantity;
    queue_.Acknowledged(sku, batch[0].quantity, clock_.NowMs(), shown_);
  }
  static std::vector<std::string> Skus(const std::vector<DirtyQueue::Item>& batch) {
    std::vector<std::string> skus;
    for (const DirtyQueue::Item& item : batch) skus.push_back(item.sku);
    return skus;
  }

  engine::ManualClock clock_;
  ShownMap shown_;
  DirtyQueue queue_;
  int64_t wait_ms_ = kLook;
};

class PushDirtyQueueNoWindowTest : public PushDirtyQueueTest {
 protected:
  PushDirtyQueueNoWindowTest() : PushDirtyQueueTest(0) {}
};

TEST_F(PushDirtyQueueTest, ANewSkuIsDueAtOnce) {
  const int64_t offered = clock_.NowMs();
  EXPECT_TRUE(Offer("a", 5));
  EXPECT_EQ(queue_.size(), 1u);
  std::vector<DirtyQueue::Item> batch = Take();
  ASSERT_EQ(batch.size(), 1u);
  EXPECT_EQ(batch[0].sku, "a");
  EXPECT_EQ(batch[0].quantity, 5);
  EXPECT_EQ(batch[0].first_dirty_ms, offered);
  EXPECT_FALSE(batch[0].priority);
  EXPECT_EQ(wait_ms_, kLook);
  EXPECT_EQ(queue_.size(), 1u);  // in flight
  EXPECT_TRUE(Take().empty());
  shown_["a"] = 5;
  queue_.Acknowledged("a", 5, clock_.NowMs(), shown_);
  EXPECT_TRUE(queue_.empty());
}

TEST_F(PushDirtyQueueTest, TheLatestValueWinsAndTheFirstDirtyTimeStays) {
  const int64_t first = clock_.NowMs();
  EXPECT_TRUE(Offer("a", 1));
  clock_.Advance(10);
  EXPECT_FALSE(Offer("a", 2));
  EXPECT_FALSE(Offer("a", 3));
  std::vector<DirtyQueue::Item> batch = Take();
  ASSERT_EQ(batch.size(), 1u);
  EXPECT_EQ(batch[0].quantity, 3);
  EXPECT_EQ(batch[0].first_dirty_ms, first);
}

TEST_F(PushDirtyQueueTest, WhatTheChannelShowsStaysCleanUnlessForced) {
  shown_["a"] = 5;
  EXPECT_FALSE(Offer("a", 5));
  EXPECT_TRUE(queue_.empty());
  EXPECT_TRUE(Offer("a", 5, /*force=*/true));
  std::vector<DirtyQueue::Item> batch = Take();
  ASSERT_EQ(batch.size(), 1u);
  EXPECT_EQ(batch[0].quantity, 5);
}

TEST_F(PushDirtyQueueTest, ASkuTheChannelCaughtUpWithIsDroppedAtTake) {
  EXPECT_TRUE(Offer("a", 5));
  shown_["a"] = 5;  // e.g. a resync learnt the channel shows it
  EXPECT_TRUE(Take().empty());
  EXPECT_TRUE(queue_.empty());
}

TEST_F(PushDirtyQueueTest, BatchesAreOldestFirstUpToTheLimit) {
  for (const char* sku : {"a", "b", "c", "d", "e"}) Offer(sku, 1);
  EXPECT_EQ(Skus(Take(2)), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(Skus(Take(2)), (std::vector<std::string>{"c", "d"}));
  EXPECT_EQ(Skus(Take(2)), (std::vector<std::string>{"e"}));
}

TEST_F(PushDirtyQueueTest, SoldOutCrossingsOvertakeTheBacklog) {
  shown_ = {{"b1", 3}, {"b2", 3}, {"out", 4}, {"back", 0}};
  Offer("b1", 2);
  Offer("b2", 2);
  Offer("out", 0);      // shows 4, must show 0
  Offer("back", 6);     // shows 0, must show 6
  Offer("unknown", 0);  // never acknowledged: showing 0 is urgent
  std::vector<DirtyQueue::Item> batch = Take(3);
  EXPECT_EQ(Skus(batch), (std::vector<std::string>{"out", "back", "unknown"}));
  for (const DirtyQueue::Item& item : batch) EXPECT_TRUE(item.priority) << item.sku;
  batch = Take(3);
  EXPECT_EQ(Skus(batch), (std::vector<std::string>{"b1", "b2"}));
  for (const DirtyQueue::Item& item : batch) EXPECT_FALSE(item.priority) << item.sku;
}

TEST_F(PushDirtyQueueTest, AWaitingSkuThatNowCrossesMovesToThePriorityLane) {
  shown_ = {{"a", 5}, {"b", 5}};
  Offer("a", 3);
  Offer("b", 3);
  EXPECT_TRUE(Offer("b", 0));  // a new key in the priority lane
  std::vector<DirtyQueue::Item> batch = Take(1);
  ASSERT_EQ(batch.size(), 1u);
  EXPECT_EQ(batch[0].sku, "b");
  EXPECT_EQ(batch[0].quantity, 0);
  EXPECT_TRUE(batch[0].priority);
  // b's stale normal-lane key is skipped: only a is left.
  EXPECT_EQ(Skus(Take()), (std::vector<std::string>{"a"}));
}

TEST_F(PushDirtyQueueTest, ARecentlyPushedSkuWaitsOutTheWindow) {
  Offer("a", 1);
  PushAndAck("a");
  clock_.Advance(100);
  EXPECT_TRUE(Offer("a", 2));
  EXPECT_TRUE(Take().empty());
  EXPECT_EQ(wait_ms_, 900);
  clock_.Advance(899);
  EXPECT_TRUE(Take().empty());
  EXPECT_EQ(wait_ms_, 1);
  EXPECT_FALSE(Offer("a", 3));  // latest value wins while it waits
  clock_.Advance(1);
  std::vector<DirtyQueue::Item> batch = Take();
  ASSERT_EQ(batch.size(), 1u);
  EXPECT_EQ(batch[0].quantity, 3);
  EXPECT_EQ(wait_ms_, kLook);
}

TEST_F(PushDirtyQueueTest, AWaitingSkuDoesNotHoldUpOthers) {
  Offer("a", 1);
  PushAndAck("a");
  Offer("a", 2);
  Offer("b", 1);
  EXPECT_EQ(Skus(Take()), (std::vector<std::string>{"b"}));
  EXPECT_EQ(wait_ms_, 1'000);
}

TEST_F(PushDirtyQueueTest, TheWindowIsLongGoneAfterAWhile) {
  Offer("a", 1);
  PushAndAck("a");
  clock_.Advance(20'000);
  Offer("a", 2);
  EXPECT_EQ(Skus(Take()), (std::vector<std::string>{"a"}));
}

TEST_F(PushDirtyQueueTest, CrossingsIgnoreTheWindow) {
  Offer("a", 5);
  PushAndAck("a");
  clock_.Advance(100);
  EXPECT_TRUE(Offer("a", 0));
  std::vector<DirtyQueue::Item> batch = Take();
  ASSERT_EQ(batch.size(), 1u);
  EXPECT_EQ(batch[0].quantity, 0);
  EXPECT_TRUE(batch[0].priority);
}

TEST_F(PushDirtyQueueNoWindowTest, WithoutAWindowARepeatGoesAtOnce) {
  Offer("a", 1);
  PushAndAck("a");
  Offer("a", 2);
  EXPECT_EQ(Skus(Take()), (std::vector<std::string>{"a"}));
}

TEST_F(PushDirtyQueueTest, AValueChangedInFlightGoesOutAfterTheAck) {
  Offer("a", 1);
  ASSERT_EQ(Take().size(), 1u);
  clock_.Advance(30);
  EXPECT_FALSE(Offer("a", 2));  // in flight: only the desired value changes
  EXPECT_TRUE(Take().empty());
  const int64_t acked_at = clock_.NowMs();
  shown_["a"] = 1;
  queue_.Acknowledged("a", 1, acked_at, shown_);
  EXPECT_EQ(queue_.size(), 1u);
  EXPECT_TRUE(Take().empty());  // the ack opened the window
  EXPECT_EQ(wait_ms_, 1'000);
  clock_.Advance(1'000);
  std::vector<DirtyQueue::Item> batch = Take();
  ASSERT_EQ(batch.size(), 1u);
  EXPECT_EQ(batch[0].quantity, 2);
  EXPECT_EQ(batch[0].first_dirty_ms, acked_at);
}

TEST_F(PushDirtyQueueTest, ARejectedValueIsDroppedUnlessItChangedMeanwhile) {
  Offer("a", 5);
  ASSERT_EQ(Take().size(), 1u);
  EXPECT_TRUE(queue_.Rejected("a", 5, shown_));
  EXPECT_TRUE(queue_.empty());

  Offer("b", 5);
  ASSERT_EQ(Take().size(), 1u);
  Offer("b", 6);
  EXPECT_FALSE(queue_.Rejected("b", 5, shown_));
  std::vector<DirtyQueue::Item> batch = Take();
  ASSERT_EQ(batch.size(), 1u);
  EXPECT_EQ(batch[0].quantity, 6);  // a rejection opens no window
}

TEST_F(PushDirtyQueueTest, ARetryWaitsForRetryAfter) {
  Backoff backoff(200, 60'000, 1);
  Offer("a", 5);
  ASSERT_EQ(Take().size(), 1u);
  queue_.Retry("a", /*retry_after_ms=*/300, backoff, clock_.NowMs(), shown_);
  EXPECT_TRUE(Take().empty());
  EXPECT_EQ(wait_ms_, 300);
  clock_.Advance(300);
  EXPECT_EQ(Skus(Take()), (std::vector<std::string>{"a"}));
}

TEST_F(PushDirtyQueueTest, RetriesBackOffByTheSkusConsecutiveFailures) {
  Backoff backoff(200, 60'000, 9);
  Backoff same(200, 60'000, 9);  // draws the same delays
  Offer("a", 5);
  for (int attempts = 1; attempts <= 3; ++attempts) {
    ASSERT_EQ(Take().size(), 1u) << attempts;
    queue_.Retry("a", 0, backoff, clock_.NowMs(), shown_);
    const int64_t delay = same.DelayMs(attempts);
    EXPECT_TRUE(Take().empty());
    EXPECT_EQ(wait_ms_, std::min(kLook, delay)) << attempts;
    clock_.Advance(delay - 1);
    EXPECT_TRUE(Take().empty()) << attempts;
    EXPECT_EQ(wait_ms_, 1);
    clock_.Advance(1);
  }
  EXPECT_EQ(Take().size(), 1u);
}

TEST_F(PushDirtyQueueTest, ARetriedSoldOutStaysInThePriorityLane) {
  Backoff backoff(200, 60'000, 1);
  shown_ = {{"a", 4}, {"b", 4}};
  Offer("a", 0);
  ASSERT_EQ(Take().size(), 1u);
  queue_.Retry("a", 50, backoff, clock_.NowMs(), shown_);
  Offer("b", 3);
  clock_.Advance(50);
  std::vector<DirtyQueue::Item> batch = Take();
  EXPECT_EQ(Skus(batch), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(batch[0].priority);
}

}  // namespace
}  // namespace stockd::push
