// The order benchmark's reflection tracker (bench/order_acks.h): an order counts as
// reflected at the first acknowledgement, on every watched channel, of a quantity at or
// below its threshold; pushes of other SKUs or channels, and quantities above the
// threshold, do not count.
#include "bench/order_acks.h"

#include <gtest/gtest.h>

namespace stockd::bench {
namespace {

TEST(OrderAcksTest, AnOrderIsReflectedWhenTheLastWatchedChannelAcknowledgesItsQuantity) {
  OrderAcks acks({"web", "ebay"});
  const int64_t order = acks.Expect("A", 99);
  EXPECT_EQ(order, 0);
  acks.Ack("web", "A", 100, 10);    // before the order: not reflected
  acks.Ack("amazon", "A", 99, 11);  // a channel nobody watches
  acks.Ack("web", "B", 99, 12);     // another SKU
  acks.Ack("web", "A", 99, 20);     // web reflects it
  EXPECT_EQ(acks.DoneAtNs(order), -1);
  EXPECT_EQ(acks.Pending(), 1);
  acks.Ack("ebay", "A", 99, 35);
  EXPECT_EQ(acks.DoneAtNs(order), 35);
  EXPECT_EQ(acks.Pending(), 0);
  acks.Ack("web", "A", 99, 50);  // later pushes change nothing
  EXPECT_EQ(acks.DoneAtNs(order), 35);
}

TEST(OrderAcksTest, OnePushThatCoalescesLaterOrdersReflectsEveryEarlierOne) {
  OrderAcks acks({"web"});
  const int64_t first = acks.Expect("A", 99);
  const int64_t second = acks.Expect("A", 98);
  const int64_t third = acks.Expect("A", 97);
  acks.Ack("web", "A", 98, 40);  // the first two orders, coalesced
  EXPECT_EQ(acks.DoneAtNs(first), 40);
  EXPECT_EQ(acks.DoneAtNs(second), 40);
  EXPECT_EQ(acks.DoneAtNs(third), -1);
  EXPECT_FALSE(acks.AwaitAllReflected(absl::ZeroDuration()));
  acks.Ack("web", "A", 97, 70);
  EXPECT_EQ(acks.DoneAtNs(third), 70);
  EXPECT_TRUE(acks.AwaitAllReflected(absl::ZeroDuration()));
  EXPECT_EQ(acks.DoneAtNs(3), -1);  // no such order
}

TEST(OrderAcksTest, CountsTheDistinctSkusEachChannelAcknowledged) {
  OrderAcks acks({"web"});
  acks.Ack("web", "A", 5, 1);
  acks.Ack("web", "A", 4, 2);
  acks.Ack("web", "B", 5, 3);
  acks.Ack("ebay", "A", 5, 4);
  EXPECT_EQ(acks.AckedSkus("web"), 2);
  EXPECT_EQ(acks.AckedSkus("ebay"), 1);
  EXPECT_EQ(acks.AckedSkus("amazon"), 0);
}

}  // namespace
}  // namespace stockd::bench
