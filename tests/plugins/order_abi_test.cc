// Orders decoded from the plugin ABI's C structs (daemon/plugins/order_abi.h): every field,
// structs laid out by older and newer headers, and every rule of the model.
#include "daemon/plugins/order_abi.h"

#include <cstring>
#include <string>

#include "gtest/gtest.h"

namespace stockd::plugins {
namespace {

stockd_order_revision Revision(const stockd_order_revision_line* lines, size_t count,
                               int32_t status = STOCKD_ORDER_ACCEPTED, int64_t revision = 3) {
  return stockd_order_revision{
      sizeof(stockd_order_revision),     "o-1", revision, status, lines, count,
      sizeof(stockd_order_revision_line)};
}

stockd_order_revision_line Line(const char* listing, int64_t qty, int64_t shipped = 0,
                                int64_t cancelled = 0, const char* location = nullptr) {
  return stockd_order_revision_line{
      sizeof(stockd_order_revision_line), listing, qty, shipped, cancelled, location};
}

TEST(OrderAbiTest, DecodesEveryField) {
  const stockd_order_revision_line lines[] = {Line("L-1", 5, 2, 1, "store-1"), Line("L-2", 1)};
  absl::StatusOr<Order> order = DecodeOrderRevision(Revision(lines, 2, STOCKD_ORDER_SHIPPED, 42));
  ASSERT_TRUE(order.ok()) << order.status();
  EXPECT_EQ(order->order_id, "o-1");
  EXPECT_EQ(order->revision, 42);
  EXPECT_EQ(order->status, Order::Status::kShipped);
  ASSERT_EQ(order->lines.size(), 2u);
  EXPECT_EQ(order->lines[0].listing_id, "L-1");
  EXPECT_EQ(order->lines[0].quantity, 5);
  EXPECT_EQ(order->lines[0].quantity_shipped, 2);
  EXPECT_EQ(order->lines[0].quantity_cancelled, 1);
  EXPECT_EQ(order->lines[0].location, "store-1");
  EXPECT_EQ(order->lines[1].location, "");
}

TEST(OrderAbiTest, StatusCodes) {
  const stockd_order_revision_line line = Line("L", 1);
  const std::pair<int32_t, Order::Status> cases[] = {
      {STOCKD_ORDER_PENDING, Order::Status::kPending},
      {STOCKD_ORDER_ACCEPTED, Order::Status::kAccepted},
      {STOCKD_ORDER_SHIPPED, Order::Status::kShipped},
      {STOCKD_ORDER_CANCELLED, Order::Status::kCancelled}};
  for (const auto& [code, status] : cases) {
    absl::StatusOr<Order> order = DecodeOrderRevision(Revision(&line, 1, code));
    ASSERT_TRUE(order.ok()) << code << ": " << order.status();
    EXPECT_EQ(order->status, status);
  }
  for (int32_t bad : {0, 5, -1}) {
    absl::StatusOr<Order> order = DecodeOrderRevision(Revision(&line, 1, bad));
    EXPECT_EQ(order.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(order.status().message(),
              "order 'o-1': status " + std::to_string(bad) +
                  " (STOCKD_ORDER_PENDING 1, ACCEPTED 2, SHIPPED 3 or CANCELLED 4)");
  }
}

// A line struct from a newer header (a trailing field this daemon does not know): the
// daemon steps by line_size and reads the fields it knows.
TEST(OrderAbiTest, LinesOfANewerHeaderAreSteppedByLineSize) {
  struct Newer {
    stockd_order_revision_line base;
    int64_t unknown;
  };
  Newer lines[2];
  std::memset(lines, 0, sizeof lines);
  lines[0].base = Line("L-1", 4, 1, 0, "loc");
  lines[0].base.struct_size = sizeof(Newer);
  lines[0].unknown = -77;
  lines[1].base = Line("L-2", 2);
  lines[1].base.struct_size = sizeof(Newer);
  stockd_order_revision rev = Revision(&lines[0].base, 2);
  rev.line_size = sizeof(Newer);
  absl::StatusOr<Order> order = DecodeOrderRevision(rev);
  ASSERT_TRUE(order.ok()) << order.status();
  ASSERT_EQ(order->lines.size(), 2u);
  EXPECT_EQ(order->lines[0].quantity_shipped, 1);
  EXPECT_EQ(order->lines[0].location, "loc");
  EXPECT_EQ(order->lines[1].listing_id, "L-2");
  EXPECT_EQ(order->lines[1].quantity, 2);
}

// A line struct from an older header (listing id and quantity only): the rest reads as
// 0 / "", and the next line starts line_size bytes on.
TEST(OrderAbiTest, LinesOfAnOlderHeaderReadAsZeroWhereTheyEnd) {
  struct Older {
    uint32_t struct_size;
    const char* listing_id;
    int64_t quantity;
  };
  const Older lines[] = {{sizeof(Older), "L-1", 3}, {sizeof(Older), "L-2", 1}};
  stockd_order_revision rev =
      Revision(reinterpret_cast<const stockd_order_revision_line*>(lines), 2);
  rev.line_size = sizeof(Older);
  absl::StatusOr<Order> order = DecodeOrderRevision(rev);
  ASSERT_TRUE(order.ok()) << order.status();
  ASSERT_EQ(order->lines.size(), 2u);
  EXPECT_EQ(order->lines[0].quantity, 3);
  EXPECT_EQ(order->lines[0].quantity_shipped, 0);
  EXPECT_EQ(order->lines[0].quantity_cancelled, 0);
  EXPECT_EQ(order->lines[1].listing_id, "L-2");
}

TEST(OrderAbiTest, TooSmallStructsAreRefused) {
  const stockd_order_revision_line line = Line("L", 1);
  stockd_order_revision rev = Revision(&line, 1);
  rev.struct_size = offsetof(stockd_order_revision, lines);
  EXPECT_EQ(DecodeOrderRevision(rev).status().code(), absl::StatusCode::kInvalidArgument);
  rev = Revision(&line, 1);
  rev.line_size = offsetof(stockd_order_revision_line, quantity);
  absl::StatusOr<Order> order = DecodeOrderRevision(rev);
  EXPECT_EQ(order.status().message(), "order 'o-1': line_size " + std::to_string(rev.line_size) +
                                          ": too small for a listing id and a quantity");
}

TEST(OrderAbiTest, TheModelsRulesNameTheOrderAndTheLine) {
  struct Case {
    stockd_order_revision_line line;
    int64_t revision;
    const char* message;
  };
  const Case cases[] = {
      {Line("L", 0), 1, "order 'o-1': line 0: quantity 0 (must be >= 1)"},
      {Line("", 1), 1, "order 'o-1': line 0: no listing_id"},
      {Line(nullptr, 1), 1, "order 'o-1': line 0: no listing_id"},
      {Line("L", 2, 3), 1, "order 'o-1': line 0: quantity_shipped 3 (must be 0..2)"},
      {Line("L", 2, -1), 1, "order 'o-1': line 0: quantity_shipped -1 (must be 0..2)"},
      {Line("L", 5, 2, 4), 1,
       "order 'o-1': line 0: quantity_cancelled 4 (must be 0..3: quantity - shipped)"},
      {Line("L", 1), 0, "order 'o-1': revision 0 (must be >= 1)"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<Order> order = DecodeOrderRevision(Revision(&c.line, 1, 2, c.revision));
    EXPECT_EQ(order.status().code(), absl::StatusCode::kInvalidArgument) << c.message;
    EXPECT_EQ(order.status().message(), c.message);
  }
  stockd_order_revision no_id = Revision(nullptr, 0);
  no_id.order_id = nullptr;
  EXPECT_EQ(DecodeOrderRevision(no_id).status().message(), "an order without order_id");
  EXPECT_EQ(DecodeOrderRevision(Revision(nullptr, 0)).status().message(), "order 'o-1': no lines");
  stockd_order_revision missing = Revision(nullptr, 2);
  EXPECT_EQ(DecodeOrderRevision(missing).status().message(),
            "order 'o-1': line_count > 0 and no lines");
}

TEST(OrderAbiTest, ACancellationMayLeaveTheLinesOut) {
  absl::StatusOr<Order> order = DecodeOrderRevision(Revision(nullptr, 0, STOCKD_ORDER_CANCELLED));
  ASSERT_TRUE(order.ok()) << order.status();
  EXPECT_EQ(order->status, Order::Status::kCancelled);
  EXPECT_TRUE(order->lines.empty());
}

TEST(OrderAbiTest, OriginalOrdersArePlacedAtOneAndCancelledAtTwo) {
  const stockd_order_line lines[] = {{"L-1", 2}, {"L-2", 1}};
  absl::StatusOr<Order> placed = DecodeOriginalOrder(stockd_order{"o-9", "placed", lines, 2});
  ASSERT_TRUE(placed.ok()) << placed.status();
  EXPECT_EQ(placed->status, Order::Status::kAccepted);
  EXPECT_EQ(placed->revision, 1);
  ASSERT_EQ(placed->lines.size(), 2u);
  EXPECT_EQ(placed->lines[1].listing_id, "L-2");
  EXPECT_EQ(placed->lines[0].quantity_cancelled, 0);

  absl::StatusOr<Order> cancelled = DecodeOriginalOrder(stockd_order{"o-9", "cancelled", lines, 2});
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  EXPECT_EQ(cancelled->status, Order::Status::kCancelled);
  EXPECT_EQ(cancelled->revision, 2);
  EXPECT_EQ(cancelled->lines[0].quantity_cancelled, 2);  // the whole line

  absl::StatusOr<Order> odd = DecodeOriginalOrder(stockd_order{"o-9", "shipped", lines, 1});
  EXPECT_EQ(odd.status().message(), "order 'o-9': status 'shipped' (placed or cancelled)");
  absl::StatusOr<Order> empty = DecodeOriginalOrder(stockd_order{"o-9", "placed", nullptr, 0});
  EXPECT_EQ(empty.status().message(), "order 'o-9': no lines");
}

}  // namespace
}  // namespace stockd::plugins
