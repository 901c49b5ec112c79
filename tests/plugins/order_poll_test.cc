// Polling orders through a loaded plugin (daemon/plugins/loader.cc): the lifecycle
// entry point preferred, the original one still served, errors per order and per poll.
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "daemon/plugins/adapter.h"
#include "gtest/gtest.h"

namespace stockd::plugins {
namespace {

const std::string kTestPlugins = std::string(STOCKD_BINARY_DIR) + "/test-plugins";

struct Polled {
  std::vector<Order> orders;
  std::vector<std::string> errors;
};

OrderSink Collect(Polled* out, size_t stop_after = 100) {
  return [out, stop_after](absl::StatusOr<Order> order) {
    if (order.ok()) {
      out->orders.push_back(*std::move(order));
    } else {
      out->errors.push_back(std::string(order.status().message()));
    }
    return out->orders.size() + out->errors.size() < stop_after;
  };
}

std::unique_ptr<Adapter> Load(const std::string& plugin) {
  absl::StatusOr<std::unique_ptr<Adapter>> adapter = LoadPlugin(kTestPlugins, plugin, "{}", {});
  EXPECT_TRUE(adapter.ok()) << adapter.status();
  return adapter.ok() ? *std::move(adapter) : nullptr;
}

TEST(OrderPollTest, RevisionsFromLinesOfNewerAndOlderHeaders) {
  std::unique_ptr<Adapter> adapter = Load("orders");
  ASSERT_NE(adapter, nullptr);
  EXPECT_TRUE(adapter->can_poll_orders());
  Polled polled;
  absl::StatusOr<std::string> cursor = adapter->PollOrders("c7", Collect(&polled));
  ASSERT_TRUE(cursor.ok()) << cursor.status();
  EXPECT_EQ(*cursor, "c7+4");
  // The malformed order arrives as its error, and the orders after it still arrive.
  EXPECT_EQ(polled.errors,
            (std::vector<std::string>{"order 'bad-1': line 0: quantity_shipped 3 (must be 0..2)"}));
  ASSERT_EQ(polled.orders.size(), 3u);  // never the original entry point's order

  const Order& newer = polled.orders[0];
  EXPECT_EQ(newer.order_id, "newer-1");
  EXPECT_EQ(newer.revision, 1700000000123);
  EXPECT_EQ(newer.status, Order::Status::kShipped);
  ASSERT_EQ(newer.lines.size(), 2u);
  EXPECT_EQ(newer.lines[0].listing_id, "L-1");
  EXPECT_EQ(newer.lines[0].quantity, 3);
  EXPECT_EQ(newer.lines[0].quantity_shipped, 1);
  EXPECT_EQ(newer.lines[0].quantity_cancelled, 1);
  EXPECT_EQ(newer.lines[0].location, "store-2");
  EXPECT_EQ(newer.lines[1].listing_id, "L-2");
  EXPECT_EQ(newer.lines[1].location, "");

  const Order& older = polled.orders[1];
  EXPECT_EQ(older.order_id, "older-1");
  EXPECT_EQ(older.revision, 7);
  EXPECT_EQ(older.status, Order::Status::kPending);
  ASSERT_EQ(older.lines.size(), 1u);
  EXPECT_EQ(older.lines[0].listing_id, "L-4");
  EXPECT_EQ(older.lines[0].quantity, 2);
  EXPECT_EQ(older.lines[0].quantity_shipped, 0);

  const Order& cancel = polled.orders[2];
  EXPECT_EQ(cancel.order_id, "older-1");
  EXPECT_EQ(cancel.revision, 8);
  EXPECT_EQ(cancel.status, Order::Status::kCancelled);
  EXPECT_TRUE(cancel.lines.empty());
}

TEST(OrderPollTest, TheSinkStopsThePollEarly) {
  std::unique_ptr<Adapter> adapter = Load("orders");
  ASSERT_NE(adapter, nullptr);
  Polled polled;
  absl::StatusOr<std::string> cursor = adapter->PollOrders("c", Collect(&polled, 1));
  ASSERT_TRUE(cursor.ok()) << cursor.status();
  EXPECT_EQ(polled.orders.size(), 1u);
  EXPECT_TRUE(polled.errors.empty());
  EXPECT_EQ(*cursor, "c+1");  // the plugin moved its cursor only past what it delivered
}

// A sink that throws must not unwind through the plugin's C frames: the throw stops the
// poll as "no more" would.
TEST(OrderPollTest, ASinkThatThrowsStopsThePoll) {
  std::unique_ptr<Adapter> adapter = Load("orders");
  ASSERT_NE(adapter, nullptr);
  int calls = 0;
  absl::StatusOr<std::string> cursor =
      adapter->PollOrders("t", [&calls](absl::StatusOr<Order>) -> bool {
        ++calls;
        throw std::runtime_error("the sink failed");
      });
  ASSERT_TRUE(cursor.ok()) << cursor.status();
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(*cursor, "t+1");
}

TEST(OrderPollTest, AFailedPollIsUnavailableWithThePluginsText) {
  std::unique_ptr<Adapter> adapter = Load("orders");
  ASSERT_NE(adapter, nullptr);
  Polled polled;
  absl::StatusOr<std::string> cursor = adapter->PollOrders("fail", Collect(&polled));
  EXPECT_EQ(cursor.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(cursor.status().message(), "adapter 'orders' poll_orders: the channel answered 503");
  EXPECT_TRUE(polled.orders.empty());
}

// A plugin built before poll_order_revisions: its original poll_orders still serves,
// read as the only lifecycle it can express.
TEST(OrderPollTest, APluginWithOnlyTheOriginalEntryPointStillDeliversOrders) {
  std::unique_ptr<Adapter> adapter = Load("v1old");
  ASSERT_NE(adapter, nullptr);
  EXPECT_TRUE(adapter->can_poll_orders());
  Polled polled;
  absl::StatusOr<std::string> cursor = adapter->PollOrders("k", Collect(&polled));
  ASSERT_TRUE(cursor.ok()) << cursor.status();
  EXPECT_EQ(*cursor, "k+v1");
  ASSERT_EQ(polled.orders.size(), 2u);
  EXPECT_EQ(polled.orders[0].order_id, "v1-order");
  EXPECT_EQ(polled.orders[0].status, Order::Status::kAccepted);
  EXPECT_EQ(polled.orders[0].revision, 1);
  ASSERT_EQ(polled.orders[0].lines.size(), 2u);
  EXPECT_EQ(polled.orders[0].lines[1].quantity, 1);
  EXPECT_EQ(polled.orders[1].status, Order::Status::kCancelled);
  EXPECT_EQ(polled.orders[1].revision, 2);
  EXPECT_EQ(polled.errors,
            (std::vector<std::string>{"order 'v1-odd': status 'shipped' (placed or cancelled)"}));
}

}  // namespace
}  // namespace stockd::plugins
