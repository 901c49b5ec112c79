// The Watch queue's delivery contract: increasing sequences, latest value per
// (channel, sku), snapshot first, and no two keys ever merged.
#include "daemon/server/watch_queue.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

namespace stockd::server {
namespace {

engine::PublishedChange Change(const std::string& channel, const std::string& sku, int64_t previous,
                               int64_t published) {
  engine::PublishedChange c;
  c.channel = channel;
  c.sku = sku;
  c.previous = previous;
  c.published = published;
  return c;
}

std::vector<WatchItem> Drain(WatchQueue& q) {
  std::vector<WatchItem> out;
  while (std::optional<WatchItem> item = q.Pop()) out.push_back(std::move(*item));
  return out;
}

// Regression: the merge key was StrCat(channel, "\x00", sku), and "\x00" is an empty C
// string, so (pos1, 0A) and (pos10, A) were one key and one change replaced the other.
TEST(WatchQueueTest, KeysThatConcatenateAlikeStayApart) {
  WatchQueue q;
  q.Push(Change("pos1", "0A", 0, 5), 1);
  q.Push(Change("pos10", "A", 0, 7), 2);
  std::vector<WatchItem> items = Drain(q);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].change.channel, "pos1");
  EXPECT_EQ(items[0].change.sku, "0A");
  EXPECT_EQ(items[0].change.published, 5);
  EXPECT_EQ(items[1].change.channel, "pos10");
  EXPECT_EQ(items[1].change.sku, "A");
  EXPECT_EQ(items[1].change.published, 7);
}

// Regression: a coalesced key kept the position of its first change, so a reader got
// sequences +1, +18, +16, ...; it must get them in increasing order.
TEST(WatchQueueTest, CoalescedKeyMovesToItsNewestSequence) {
  WatchQueue q;
  q.Push(Change("web", "A", 0, 1), 10);
  q.Push(Change("web", "B", 0, 2), 11);
  q.Push(Change("web", "A", 1, 3), 12);
  q.Push(Change("web", "C", 0, 4), 13);
  q.Push(Change("web", "B", 2, 5), 14);
  std::vector<WatchItem> items = Drain(q);
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0].sequence, 12u);
  EXPECT_EQ(items[0].change.sku, "A");
  EXPECT_EQ(items[0].change.published, 3);
  EXPECT_EQ(items[0].change.previous, 0);  // from what the reader last saw
  EXPECT_EQ(items[1].sequence, 13u);
  EXPECT_EQ(items[1].change.sku, "C");
  EXPECT_EQ(items[2].sequence, 14u);
  EXPECT_EQ(items[2].change.sku, "B");
  EXPECT_EQ(items[2].change.published, 5);
  EXPECT_EQ(items[2].change.previous, 0);
}

TEST(WatchQueueTest, SequencesNeverDecreaseUnderRandomCoalescing) {
  WatchQueue q;
  uint64_t seq = 100;
  uint64_t last = 0;
  unsigned state = 12345;
  for (int round = 0; round < 2000; ++round) {
    state = state * 1103515245u + 12345u;
    const std::string sku = "S" + std::to_string((state >> 8) % 17);
    q.Push(Change("c" + std::to_string((state >> 16) % 3), sku, 0, round), ++seq);
    if ((state >> 4) % 3 == 0) {
      std::optional<WatchItem> item = q.Pop();
      ASSERT_TRUE(item.has_value());
      EXPECT_GT(item->sequence, last);
      last = item->sequence;
    }
  }
  for (const WatchItem& item : Drain(q)) {
    EXPECT_GT(item.sequence, last);
    last = item.sequence;
  }
  EXPECT_EQ(last, seq);  // the newest change is always delivered
}

TEST(WatchQueueTest, SnapshotThenMarkerThenLiveChanges) {
  WatchQueue q;
  q.Push(Change("web", "A", 4, 5), 51);  // arrived while the snapshot was being read
  q.SetSnapshot({Change("web", "A", 4, 4), Change("web", "B", 0, 9)}, 50);
  EXPECT_EQ(q.size(), 4u);
  std::vector<WatchItem> items = Drain(q);
  ASSERT_EQ(items.size(), 4u);
  EXPECT_TRUE(items[0].snapshot);
  EXPECT_EQ(items[0].sequence, 50u);
  EXPECT_EQ(items[0].change.sku, "A");
  EXPECT_TRUE(items[1].snapshot);
  EXPECT_EQ(items[1].change.sku, "B");
  EXPECT_TRUE(items[2].snapshot_done);
  EXPECT_EQ(items[2].sequence, 50u);
  EXPECT_FALSE(items[3].snapshot);
  EXPECT_EQ(items[3].sequence, 51u);
  EXPECT_EQ(items[3].change.published, 5);
  EXPECT_TRUE(q.empty());
}

TEST(WatchQueueTest, EmptySnapshotStillSendsTheMarker) {
  WatchQueue q;
  q.SetSnapshot({}, 7);
  std::optional<WatchItem> item = q.Pop();
  ASSERT_TRUE(item.has_value());
  EXPECT_TRUE(item->snapshot_done);
  EXPECT_EQ(item->sequence, 7u);
  EXPECT_FALSE(q.Pop().has_value());
}

// Order problems are never coalesced: each one is written, in sequence order among the
// changes, even when a change of the same (channel, sku) replaces an earlier one.
TEST(WatchQueueTest, OrderProblemsAreKeptInSequenceAndNeverCoalesced) {
  WatchQueue q;
  auto problem = [](v1::OrderProblemKind kind, int64_t units) {
    auto e = std::make_shared<v1::WatchEvent>();
    e->mutable_order_problem()->set_kind(kind);
    e->mutable_order_problem()->set_channel("pos1");
    e->mutable_order_problem()->set_sku("C");
    e->mutable_order_problem()->set_units(units);
    return std::shared_ptr<const v1::WatchEvent>(std::move(e));
  };
  q.Push(Change("pos1", "C", 0, 1), 1);
  q.PushNotice(problem(v1::BREACH, 2), 2);
  q.PushNotice(problem(v1::BACKORDER, 2), 3);
  q.Push(Change("pos1", "C", 1, 0), 4);  // replaces sequence 1: now at 4, from 0
  q.PushNotice(problem(v1::BACKORDER, 3), 5);
  EXPECT_EQ(q.size(), 4u);
  std::vector<WatchItem> items = Drain(q);
  ASSERT_EQ(items.size(), 4u);
  EXPECT_EQ(items[0].sequence, 2u);
  ASSERT_NE(items[0].notice, nullptr);
  EXPECT_EQ(items[0].notice->order_problem().kind(), v1::BREACH);
  EXPECT_EQ(items[1].sequence, 3u);
  ASSERT_NE(items[1].notice, nullptr);
  EXPECT_EQ(items[1].notice->order_problem().units(), 2);
  EXPECT_EQ(items[2].sequence, 4u);
  EXPECT_EQ(items[2].notice, nullptr);
  EXPECT_EQ(items[2].change.previous, 0);
  EXPECT_EQ(items[2].change.published, 0);
  EXPECT_EQ(items[3].sequence, 5u);
  ASSERT_NE(items[3].notice, nullptr);
  EXPECT_EQ(items[3].notice->order_problem().units(), 3);
  EXPECT_TRUE(q.empty());
}

}  // namespace
}  // namespace stockd::server
