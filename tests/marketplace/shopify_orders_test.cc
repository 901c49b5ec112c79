// The Shopify adapter's order polling against the fake's order book: the lifecycle of an
// order (pending, accepted, partly shipped, cancelled) with its exact quantities, pages,
// cursors, a sink that stops early, long orders, lines without SKU, the status mapping,
// and the REST webhook the fake delivers for the same orders.
#include <set>

#include "tests/fakes/http_server.h"
#include "tests/marketplace/shopify_test_util.h"

namespace stockd::shopify_test {
namespace {

constexpr int64_t kT0 = 1'776'999'600'000;  // 2026-04-24T03:00:00Z

std::string Iso(int64_t ms) {
  const time_t s = ms / 1000;
  struct tm tm {};
  gmtime_r(&s, &tm);
  char buffer[32];
  strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

class ShopifyOrdersTest : public ShopifyTest {
 protected:
  void SetUp() override {
    ShopifyTest::SetUp();
    fake_->SetNowMs(kT0);
    a_ = fake_->AddStockedItem("SKU-A", location_, 10);
    b_ = fake_->AddStockedItem("SKU-B", location_, 10);
  }
  int64_t a_ = 0;
  int64_t b_ = 0;
};

TEST_F(ShopifyOrdersTest, AnOrderIsPolledThroughItsWholeLifecycle) {
  auto shopify = Create(Config());
  const int64_t id = fake_->PlaceOrder({{"SKU-A", 3}, {"SKU-B", 1}}, location_);
  EXPECT_EQ(fake_->Quantity(a_, location_), 7);  // the order committed 3 units
  EXPECT_EQ(fake_->Quantity(a_, location_, "committed"), 3);

  PollResult poll = shopify->PollRevisions("");
  ASSERT_EQ(poll.rc, 0) << poll.error;
  ASSERT_EQ(poll.orders.size(), 1u);
  EXPECT_EQ(poll.orders[0].order_id, std::to_string(id));
  EXPECT_EQ(poll.orders[0].status, STOCKD_ORDER_PENDING);
  EXPECT_EQ(poll.orders[0].revision, kT0);
  ASSERT_EQ(poll.orders[0].lines.size(), 2u);
  ExpectLine(poll.orders[0].lines[0], "SKU-A", 3, 0, 0);
  ExpectLine(poll.orders[0].lines[1], "SKU-B", 1, 0, 0);
  EXPECT_EQ(poll.cursor, Iso(kT0));
  // The first poll reads every order: no search.
  EXPECT_TRUE(Json::parse(RequestsOf("orders")[0].body)["variables"]["query"].is_null());

  fake_->AdvanceMs(60'000);
  fake_->Pay(id);
  poll = shopify->PollRevisions(poll.cursor);
  ASSERT_EQ(poll.orders.size(), 1u);
  EXPECT_EQ(poll.orders[0].status, STOCKD_ORDER_ACCEPTED);
  EXPECT_EQ(poll.orders[0].revision, kT0 + 60'000);
  EXPECT_EQ(Json::parse(RequestsOf("orders").back().body)["variables"]["query"],
            "updated_at:>='" + Iso(kT0) + "'");

  fake_->AdvanceMs(60'000);
  fake_->Fulfill(id, "SKU-A", 2);
  EXPECT_EQ(fake_->Quantity(a_, location_, "on_hand"), 8);
  poll = shopify->PollRevisions(poll.cursor);
  ASSERT_EQ(poll.orders.size(), 1u);
  EXPECT_EQ(poll.orders[0].status, STOCKD_ORDER_SHIPPED);
  EXPECT_EQ(poll.orders[0].revision, kT0 + 120'000);
  ExpectLine(poll.orders[0].lines[0], "SKU-A", 3, 2, 0);
  ExpectLine(poll.orders[0].lines[1], "SKU-B", 1, 0, 0);

  fake_->AdvanceMs(60'000);
  fake_->Cancel(id);
  EXPECT_EQ(fake_->Quantity(a_, location_), 8);  // the unshipped unit is restocked
  EXPECT_EQ(fake_->Quantity(b_, location_), 10);
  poll = shopify->PollRevisions(poll.cursor);
  ASSERT_EQ(poll.orders.size(), 1u);
  EXPECT_EQ(poll.orders[0].status, STOCKD_ORDER_CANCELLED);
  EXPECT_EQ(poll.orders[0].revision, kT0 + 180'000);
  ExpectLine(poll.orders[0].lines[0], "SKU-A", 3, 2, 1);
  ExpectLine(poll.orders[0].lines[1], "SKU-B", 1, 0, 1);
  EXPECT_EQ(poll.cursor, Iso(kT0 + 180'000));

  // The boundary is read again (>=): the same revision, a no-op for the daemon.
  const PollResult again = shopify->PollRevisions(poll.cursor);
  ASSERT_EQ(again.orders.size(), 1u);
  EXPECT_EQ(again.orders[0].revision, kT0 + 180'000);
  EXPECT_EQ(again.cursor, poll.cursor);
  EXPECT_EQ(host_.Counter("orders_polled"), 5);
}

TEST_F(ShopifyOrdersTest, PagesAreFollowedAndAPollStopsAtItsPageLimit) {
  auto shopify = Create(Config({{"orders_page_size", 2}, {"orders_max_pages", 2}}));
  std::vector<int64_t> ids;
  for (int i = 0; i < 7; ++i) {
    ids.push_back(fake_->PlaceOrder({{"SKU-A", 1}}, location_, /*paid=*/true));
    fake_->AdvanceMs(1000);
  }
  PollResult poll = shopify->PollRevisions("");
  ASSERT_EQ(poll.rc, 0) << poll.error;
  ASSERT_EQ(poll.orders.size(), 4u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(poll.orders[i].order_id, std::to_string(ids[i]));
  EXPECT_EQ(RequestsOf("orders").size(), 2u);
  EXPECT_EQ(poll.cursor.rfind("|", 0), 0u) << poll.cursor;  // "" query, resumed after order 4

  poll = shopify->PollRevisions(poll.cursor);
  ASSERT_EQ(poll.orders.size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(poll.orders[i].order_id, std::to_string(ids[4 + i]));
  EXPECT_EQ(poll.cursor, Iso(kT0 + 6000));
  EXPECT_EQ(RequestsOf("orders").size(), 4u);

  // Every requested cost stays under Shopify's 1,000-point limit, even at 50 a page.
  auto big = Create(Config({{"orders_page_size", 50}}));
  ASSERT_EQ(big->PollRevisions("").orders.size(), 7u);
  for (const auto& r : RequestsOf("orders")) {
    EXPECT_LE(Json::parse(r.answer)["extensions"]["cost"]["requestedQueryCost"].get<int>(), 1000);
  }
  EXPECT_EQ(
      Json::parse(RequestsOf("orders").back().answer)["extensions"]["cost"]["requestedQueryCost"],
      952);
}

TEST_F(ShopifyOrdersTest, OrdersOfOneSecondBeyondAPollsPagesAreNotLost) {
  auto shopify = Create(Config({{"orders_page_size", 2}, {"orders_max_pages", 1}}));
  std::set<std::string> seen;
  for (int i = 0; i < 5; ++i) fake_->PlaceOrder({{"SKU-A", 1}}, location_);  // one second
  std::string cursor;
  for (int poll = 0; poll < 3; ++poll) {
    const PollResult out = shopify->PollRevisions(cursor);
    ASSERT_EQ(out.rc, 0) << out.error;
    for (const auto& o : out.orders) seen.insert(o.order_id);
    cursor = out.cursor;
  }
  EXPECT_EQ(seen.size(), 5u);
  EXPECT_EQ(cursor, Iso(kT0));
}

TEST_F(ShopifyOrdersTest, ASinkThatStopsGetsTheRestNextTime) {
  auto shopify = Create(Config());
  const int64_t first = fake_->PlaceOrder({{"SKU-A", 1}}, location_);
  fake_->AdvanceMs(1000);
  const int64_t second = fake_->PlaceOrder({{"SKU-B", 2}}, location_);
  PollResult poll = shopify->PollRevisions("", /*take=*/1);
  ASSERT_EQ(poll.rc, 0) << poll.error;
  ASSERT_EQ(poll.orders.size(), 1u);
  EXPECT_EQ(poll.orders[0].order_id, std::to_string(first));
  poll = shopify->PollRevisions(poll.cursor);
  ASSERT_EQ(poll.orders.size(), 1u);
  EXPECT_EQ(poll.orders[0].order_id, std::to_string(second));
  // A sink that takes nothing keeps the cursor.
  EXPECT_EQ(shopify->PollRevisions("", 0).cursor, "");
}

TEST_F(ShopifyOrdersTest, AnOrderWithManyLinesIsReadWhole) {
  std::vector<fakes::ShopifyLineSpec> lines;
  for (int i = 0; i < 12; ++i) {
    const std::string sku = "L" + std::to_string(i);
    fake_->AddStockedItem(sku, location_, 5);
    lines.push_back({sku, i + 1});
  }
  lines.push_back({"", 1});  // a line of a product without SKU
  const int64_t id = fake_->PlaceOrder(lines, location_, true);
  auto shopify = Create(Config());
  const PollResult poll = shopify->PollRevisions("");
  ASSERT_EQ(poll.rc, 0) << poll.error;
  ASSERT_EQ(poll.orders.size(), 1u);
  ASSERT_EQ(poll.orders[0].lines.size(), 13u);
  for (int i = 0; i < 12; ++i)
    ExpectLine(poll.orders[0].lines[i], "L" + std::to_string(i), i + 1, 0, 0);
  EXPECT_EQ(poll.orders[0].lines[12].listing_id.rfind("variant:", 0), 0u);
  EXPECT_EQ(RequestsOf("orders").size(), 1u);
  ASSERT_EQ(RequestsOf("order").size() - RequestsOf("orders").size(), 1u);  // order(id)
  (void)id;
}

TEST_F(ShopifyOrdersTest, FinancialStatusesMapToTheOrderModel) {
  auto shopify = Create(Config());
  const std::vector<std::pair<std::string, int32_t>> cases = {
      {"PENDING", STOCKD_ORDER_PENDING},
      {"AUTHORIZED", STOCKD_ORDER_PENDING},
      {"PAID", STOCKD_ORDER_ACCEPTED},
      {"PARTIALLY_PAID", STOCKD_ORDER_ACCEPTED},
      {"PARTIALLY_REFUNDED", STOCKD_ORDER_ACCEPTED},
      {"REFUNDED", STOCKD_ORDER_ACCEPTED},
      {"VOIDED", STOCKD_ORDER_CANCELLED},
      {"EXPIRED", STOCKD_ORDER_CANCELLED}};
  std::string cursor;
  for (const auto& [financial, status] : cases) {
    fake_->AdvanceMs(1000);
    const int64_t id = fake_->PlaceOrder({{"SKU-A", 1}}, location_);
    fake_->SetFinancialStatus(id, financial);
    const PollResult poll = shopify->PollRevisions(cursor);
    ASSERT_FALSE(poll.orders.empty()) << financial;
    EXPECT_EQ(poll.orders.back().order_id, std::to_string(id));
    EXPECT_EQ(poll.orders.back().status, status) << financial;
    cursor = poll.cursor;
  }
}

TEST_F(ShopifyOrdersTest, TheFakeDeliversTheSameOrderAsASignedRestWebhook) {
  std::mutex mu;
  std::vector<fakes::HttpRequest> received;
  fakes::FakeHttpServer receiver([&](const fakes::HttpRequest& r) {
    std::lock_guard<std::mutex> lock(mu);
    received.push_back(r);
    return fakes::HttpAnswer::Json(200, "{\"status\":\"applied\"}");
  });
  std::string error;
  ASSERT_TRUE(receiver.Start(&error)) << error;
  const int64_t id = fake_->PlaceOrder({{"SKU-A", 3}, {"", 1}}, location_, /*paid=*/true);
  fake_->AdvanceMs(5000);
  fake_->Fulfill(id, "SKU-A", 1);
  fake_->AdvanceMs(5000);
  fake_->RemoveUnits(id, "SKU-A", 1);
  EXPECT_EQ(fake_->DeliverOrderWebhook(id, receiver.base_url() + "/orders/shopify", "whsec",
                                       "orders/updated", "evt-1"),
            200);
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_EQ(received.size(), 1u);
  const fakes::HttpRequest& r = received[0];
  EXPECT_EQ(r.path, "/orders/shopify");
  EXPECT_EQ(r.Header("content-type"), "application/json");
  EXPECT_EQ(r.Header("x-shopify-hmac-sha256"), fakes::Base64(fakes::HmacSha256("whsec", r.body)));
  EXPECT_EQ(r.Header("x-shopify-topic"), "orders/updated");
  EXPECT_EQ(r.Header("x-shopify-event-id"), "evt-1");
  EXPECT_EQ(r.Header("x-shopify-triggered-at"), Iso(kT0 + 10'000));
  const Json order = Json::parse(r.body);
  EXPECT_EQ(order["id"], id);
  EXPECT_EQ(order["updated_at"], "2026-04-23T22:00:10-05:00");  // kT0 + 10 s, shop time
  EXPECT_EQ(order["financial_status"], "partially_refunded");
  EXPECT_EQ(order["fulfillment_status"], "partial");
  EXPECT_TRUE(order["cancelled_at"].is_null());
  const Json& line = order["line_items"][0];
  EXPECT_EQ(line["sku"], "SKU-A");
  EXPECT_EQ(line["quantity"], 3);
  EXPECT_EQ(line["fulfillable_quantity"], 1);
  EXPECT_TRUE(order["line_items"][1]["sku"].is_null());
  EXPECT_TRUE(order["line_items"][1]["variant_id"].is_number_integer());
  const Json& refund = order["refunds"][0]["refund_line_items"][0];
  EXPECT_EQ(refund["line_item_id"], line["id"]);
  EXPECT_EQ(refund["quantity"], 1);
  EXPECT_EQ(refund["restock_type"], "cancel");

  // docs/orders.md's mapping of that payload gives the poll's numbers: shipped =
  // quantity - fulfillable - cancelled = 1, cancelled = 1.
  auto shopify = Create(Config());
  const PollResult poll = shopify->PollRevisions("");
  ASSERT_EQ(poll.orders.size(), 1u);
  EXPECT_EQ(poll.orders[0].revision, kT0 + 10'000);
  EXPECT_EQ(poll.orders[0].status, STOCKD_ORDER_SHIPPED);
  ExpectLine(poll.orders[0].lines[0], "SKU-A", 3, 1, 1);
}

}  // namespace
}  // namespace stockd::shopify_test
