// RedisOrderStore against a real redis-server: cursors and parked orders under the
// daemon's hash tag ({stockd}:orders:cursor, {stockd}:orders:unmapped), exactly as
// documented; they survive a reconnect; a corrupt parked record is DATA_LOSS; an
// unreachable Redis is UNAVAILABLE.
#include "daemon/orders/order_store.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/orders/orders_test_support.h"
#include "tests/support/redis_fixture.h"

namespace stockd::orders {
namespace {

using testing::Line;
using testing::MakeOrder;

TEST(RedisOrderStoreTest, CursorsAndParkedOrdersRoundTripUnderTheDaemonsKeys) {
  stockd::testing::TestRedis redis;
  ASSERT_TRUE(redis.ok());
  RedisOrderStore store(redis.address(), 2000);
  ASSERT_TRUE(store.SaveCursor("amazon", "c-17").ok());
  ASSERT_TRUE(store.SaveCursor("ebay", "").ok());
  ASSERT_TRUE(store.SaveCursor("amazon", "c-18").ok());
  absl::StatusOr<std::vector<std::string>> raw =
      redis.Command({"HGET", "{stockd}:orders:cursor", "amazon"});
  ASSERT_TRUE(raw.ok()) << raw.status();
  EXPECT_EQ(*raw, std::vector<std::string>{"c-18"});

  ParkedOrder p;
  p.channel = "amazon";
  p.order = MakeOrder("O 1/x", 4, plugins::Order::Status::kShipped,
                      {Line("L-1", 3, 1, 1), Line("L-9", 1)});
  p.order.lines[0].location = "wh";
  p.missing = {"L-9"};
  p.since_ms = 1234;
  ASSERT_TRUE(store.Park(p).ok());
  raw = redis.Command({"HEXISTS", "{stockd}:orders:unmapped", "amazon O 1/x"});
  ASSERT_TRUE(raw.ok()) << raw.status();
  EXPECT_EQ(*raw, std::vector<std::string>{"1"});

  RedisOrderStore reopened(redis.address(), 2000);
  absl::StatusOr<std::map<std::string, std::string>> cursors = reopened.LoadCursors();
  ASSERT_TRUE(cursors.ok()) << cursors.status();
  EXPECT_EQ(*cursors, (std::map<std::string, std::string>{{"amazon", "c-18"}, {"ebay", ""}}));
  absl::StatusOr<std::vector<ParkedOrder>> parked = reopened.LoadParked();
  ASSERT_TRUE(parked.ok()) << parked.status();
  ASSERT_EQ(parked->size(), 1u);
  const ParkedOrder& q = (*parked)[0];
  EXPECT_EQ(q.channel, "amazon");
  EXPECT_EQ(q.order.order_id, "O 1/x");
  EXPECT_EQ(q.order.revision, 4);
  EXPECT_EQ(q.order.status, plugins::Order::Status::kShipped);
  ASSERT_EQ(q.order.lines.size(), 2u);
  EXPECT_EQ(q.order.lines[0].quantity, 3);
  EXPECT_EQ(q.order.lines[0].quantity_shipped, 1);
  EXPECT_EQ(q.order.lines[0].quantity_cancelled, 1);
  EXPECT_EQ(q.order.lines[0].location, "wh");
  EXPECT_EQ(q.order.lines[1].listing_id, "L-9");
  EXPECT_EQ(q.missing, std::vector<std::string>{"L-9"});
  EXPECT_EQ(q.since_ms, 1234);

  ASSERT_TRUE(reopened.Unpark("amazon", "O 1/x").ok());
  ASSERT_TRUE(reopened.Unpark("amazon", "never-parked").ok());
  parked = store.LoadParked();
  ASSERT_TRUE(parked.ok()) << parked.status();
  EXPECT_TRUE(parked->empty());

  ASSERT_TRUE(redis.Command({"HSET", "{stockd}:orders:unmapped", "amazon O-2", "{\"x\":1}"}).ok());
  EXPECT_EQ(store.LoadParked().status().code(), absl::StatusCode::kDataLoss);

  redis.Stop();
  EXPECT_EQ(store.SaveCursor("amazon", "c-19").code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace stockd::orders
