// The woocommerce adapter plugin's order polling (poll_order_revisions) against the fake
// shop's orders: the lifecycle with its exact quantities and the shop's own stock
// movements, pages, a whole page within one second, an order changing while pages are
// read, the cursor and its re-read second, the daemon stopping early, statuses stockd does
// not take, lines without a SKU, malformed answers; and the fake's order webhooks.
#include <thread>

#include "tests/marketplace/woocommerce_test_support.h"

namespace stockd::woocommerce_test {
namespace {

using fakes::Fault;

std::string Rev(int64_t order, int64_t at_s, const char* status) {
  return std::to_string(order) + "@" + std::to_string(at_s * 1000) + ":" + status;
}

std::string Gmt(int64_t s) { return fakes::wp::FormatDate(s); }

std::string OrdersTarget(std::optional<int64_t> modified_after, int64_t per_page, int64_t page) {
  return "/wp-json/wc/v3/orders?" +
         (modified_after ? "modified_after=" + Gmt(*modified_after) + "&" : std::string()) +
         "dates_are_gmt=true&orderby=modified&order=asc&per_page=" + std::to_string(per_page) +
         "&page=" + std::to_string(page);
}

std::vector<std::string> Targets(const std::vector<FakeWooCommerce::Recorded>& requests) {
  std::vector<std::string> out;
  for (const auto& r : requests) out.push_back(r.target);
  return out;
}

class WooCommerceOrdersTest : public WooCommerceTest {
 protected:
  void SetUp() override {
    WooCommerceTest::SetUp();
    shop_->AddSimpleProduct("SHIRT", 10);
    const int64_t hoodie = shop_->AddVariableProduct("HOODIE");
    shop_->AddVariation(hoodie, "HOODIE-S", 5);
  }
};

TEST_F(WooCommerceOrdersTest, FollowsAnOrderThroughItsLifecycle) {
  auto woo = Create(Config());
  ASSERT_NE(woo, nullptr);
  const int64_t t0 = kStart;
  const int64_t id = shop_->PlaceOrder({{"SHIRT", 2}, {"HOODIE-S", 1}});
  ASSERT_NE(id, 0);
  EXPECT_EQ(shop_->Stock("SHIRT"), 10);  // a pending order holds no stock in WooCommerce

  PollResult p = woo->PollRevisions("");
  ASSERT_EQ(p.rc, 0) << p.error;
  EXPECT_EQ(Summary(p.orders), (std::vector<std::string>{Rev(id, t0, "pending")}));
  ASSERT_EQ(p.orders[0].lines.size(), 2u);
  EXPECT_EQ(p.orders[0].lines[0].listing_id, "SHIRT");
  EXPECT_EQ(p.orders[0].lines[0].quantity, 2);
  EXPECT_EQ(p.orders[0].lines[0].shipped, 0);
  EXPECT_EQ(p.orders[0].lines[0].cancelled, 0);
  EXPECT_EQ(p.orders[0].lines[1].listing_id, "HOODIE-S");
  EXPECT_EQ(p.orders[0].lines[1].quantity, 1);
  EXPECT_EQ(p.cursor, Gmt(t0));
  EXPECT_EQ(Targets(shop_->Requests()), (std::vector<std::string>{OrdersTarget({}, 100, 1)}));

  // Paid: WooCommerce takes the units from its stock; stockd commits.
  shop_->AdvanceSeconds(5);
  ASSERT_TRUE(shop_->SetOrderStatus(id, "processing"));
  EXPECT_EQ(shop_->Stock("SHIRT"), 8);
  EXPECT_EQ(shop_->Stock("HOODIE-S"), 4);
  shop_->ClearRequests();
  p = woo->PollRevisions(p.cursor);
  ASSERT_EQ(p.rc, 0) << p.error;
  EXPECT_EQ(Summary(p.orders), (std::vector<std::string>{Rev(id, t0 + 5, "accepted")}));
  EXPECT_EQ(p.orders[0].lines[0].shipped, 0);
  EXPECT_EQ(p.cursor, Gmt(t0 + 5));
  EXPECT_EQ(Targets(shop_->Requests()), (std::vector<std::string>{OrdersTarget(t0 - 1, 100, 1)}));

  // Completed: every line shipped wholly (WooCommerce has no partial shipping).
  shop_->AdvanceSeconds(60);
  ASSERT_TRUE(shop_->SetOrderStatus(id, "completed"));
  p = woo->PollRevisions(p.cursor);
  ASSERT_EQ(p.rc, 0) << p.error;
  EXPECT_EQ(Summary(p.orders), (std::vector<std::string>{Rev(id, t0 + 65, "shipped")}));
  EXPECT_EQ(p.orders[0].lines[0].shipped, 2);
  EXPECT_EQ(p.orders[0].lines[1].shipped, 1);
  EXPECT_EQ(shop_->Stock("SHIRT"), 8);

  // Refunded after shipping: cancelled, and what was shipped stays shipped.
  shop_->AdvanceSeconds(1);
  ASSERT_TRUE(shop_->RefundOrder(id, /*restock=*/false));
  p = woo->PollRevisions(p.cursor);
  ASSERT_EQ(p.rc, 0) << p.error;
  EXPECT_EQ(Summary(p.orders), (std::vector<std::string>{Rev(id, t0 + 66, "cancelled")}));
  EXPECT_EQ(p.orders[0].lines[0].shipped, 2);
  EXPECT_EQ(p.orders[0].lines[1].shipped, 1);

  // Paid, then cancelled before shipping: WooCommerce puts the units back.
  shop_->AdvanceSeconds(1);
  const int64_t second = shop_->PlaceOrder({{"SHIRT", 3}}, "processing");
  EXPECT_EQ(shop_->Stock("SHIRT"), 5);
  shop_->AdvanceSeconds(1);
  ASSERT_TRUE(shop_->SetOrderStatus(second, "cancelled"));
  EXPECT_EQ(shop_->Stock("SHIRT"), 8);
  const int64_t third = shop_->PlaceOrder({{"HOODIE-S", 1}}, "on-hold");
  EXPECT_EQ(shop_->Stock("HOODIE-S"), 3);  // on-hold takes stock too
  p = woo->PollRevisions(p.cursor);
  ASSERT_EQ(p.rc, 0) << p.error;
  // The order of the cursor's own second is read again (the daemon ignores it).
  EXPECT_EQ(Summary(p.orders), (std::vector<std::string>{Rev(id, t0 + 66, "cancelled"),
                                                         Rev(second, t0 + 68, "cancelled"),
                                                         Rev(third, t0 + 68, "pending")}));
  EXPECT_EQ(p.orders[1].lines[0].quantity, 3);
  EXPECT_EQ(p.orders[1].lines[0].shipped, 0);
  EXPECT_EQ(p.cursor, Gmt(t0 + 68));
  EXPECT_EQ(host_.Counter("orders_polled"), 7);
}

TEST_F(WooCommerceOrdersTest, ReadsEveryPageRestartingFromTheLatestTimestamp) {
  std::vector<int64_t> ids;
  for (int i = 1; i <= 25; ++i) {
    shop_->AdvanceSeconds(1);
    ids.push_back(shop_->PlaceOrder({{"SHIRT", 1}}));
  }
  auto woo = Create(Config({{"orders_page_size", 10}}));
  ASSERT_NE(woo, nullptr);
  const PollResult p = woo->PollRevisions("");
  ASSERT_EQ(p.rc, 0) << p.error;
  ASSERT_EQ(p.orders.size(), 25u);
  for (int i = 0; i < 25; ++i) {
    EXPECT_EQ(p.orders[i].order_id, std::to_string(ids[i]));
    EXPECT_EQ(p.orders[i].revision, (kStart + 1 + i) * 1000);
  }
  EXPECT_EQ(p.cursor, Gmt(kStart + 25));
  EXPECT_EQ(Targets(shop_->Requests()),
            (std::vector<std::string>{OrdersTarget({}, 10, 1), OrdersTarget(kStart + 9, 10, 1),
                                      OrdersTarget(kStart + 18, 10, 1)}));
}

TEST_F(WooCommerceOrdersTest, AWholePageWithinOneSecondGoesOnWithTheNextPage) {
  for (int i = 0; i < 15; ++i) shop_->PlaceOrder({{"SHIRT", 1}});
  auto woo = Create(Config({{"orders_page_size", 10}}));
  ASSERT_NE(woo, nullptr);
  const PollResult p = woo->PollRevisions("");
  ASSERT_EQ(p.rc, 0) << p.error;
  EXPECT_EQ(p.orders.size(), 15u);
  EXPECT_EQ(Targets(shop_->Requests()),
            (std::vector<std::string>{OrdersTarget({}, 10, 1), OrdersTarget(kStart - 1, 10, 1),
                                      OrdersTarget(kStart - 1, 10, 2)}));
}

TEST_F(WooCommerceOrdersTest, AnOrderChangingWhilePagesAreReadSkipsNoOther) {
  std::vector<int64_t> ids;
  for (int i = 1; i <= 20; ++i) {
    shop_->AdvanceSeconds(1);
    ids.push_back(shop_->PlaceOrder({{"SHIRT", 1}}));
  }
  auto woo = Create(Config({{"orders_page_size", 10}}));
  ASSERT_NE(woo, nullptr);
  // The second page waits; meanwhile an order of the first page changes and moves to the
  // end of the list. Walking page=2 would now skip the order that moved onto page 1.
  shop_->faults().Push(Fault::Latency(0));
  shop_->faults().Push(Fault::Latency(400));
  PollResult p;
  std::thread poller([&] { p = woo->PollRevisions(""); });
  ASSERT_TRUE(WaitFor([&] { return shop_->RequestCount() >= 1; }));
  shop_->AdvanceSeconds(100);
  ASSERT_TRUE(shop_->SetOrderStatus(ids[2], "processing"));
  poller.join();
  ASSERT_EQ(p.rc, 0) << p.error;
  std::vector<std::string> expected;
  for (int i = 0; i < 20; ++i) {
    if (i != 2) expected.push_back(Rev(ids[i], kStart + 1 + i, "pending"));
  }
  expected.push_back(Rev(ids[2], kStart + 120, "accepted"));
  EXPECT_EQ(Summary(p.orders), expected);
  EXPECT_EQ(p.cursor, Gmt(kStart + 120));
}

TEST_F(WooCommerceOrdersTest, ResumesFromTheCursorAndStopsWhereTheDaemonStops) {
  std::vector<int64_t> ids;
  for (int i = 1; i <= 3; ++i) {
    shop_->AdvanceSeconds(1);
    ids.push_back(shop_->PlaceOrder({{"SHIRT", 1}}));
  }
  auto woo = Create(Config());
  ASSERT_NE(woo, nullptr);
  PollResult p = woo->PollRevisions("", /*take=*/1);
  ASSERT_EQ(p.rc, 0) << p.error;
  EXPECT_EQ(Summary(p.orders), (std::vector<std::string>{Rev(ids[0], kStart + 1, "pending")}));
  EXPECT_EQ(p.cursor, Gmt(kStart + 1));
  p = woo->PollRevisions(p.cursor);
  ASSERT_EQ(p.rc, 0) << p.error;
  EXPECT_EQ(Summary(p.orders), (std::vector<std::string>{Rev(ids[0], kStart + 1, "pending"),
                                                         Rev(ids[1], kStart + 2, "pending"),
                                                         Rev(ids[2], kStart + 3, "pending")}));
  EXPECT_EQ(p.cursor, Gmt(kStart + 3));
  // Nothing changed: the cursor's second is read again, the cursor stays.
  p = woo->PollRevisions(p.cursor);
  ASSERT_EQ(p.rc, 0) << p.error;
  EXPECT_EQ(Summary(p.orders), (std::vector<std::string>{Rev(ids[2], kStart + 3, "pending")}));
  EXPECT_EQ(p.cursor, Gmt(kStart + 3));
  // The daemon takes none: the cursor does not move.
  p = woo->PollRevisions(Gmt(kStart), /*take=*/0);
  ASSERT_EQ(p.rc, 0) << p.error;
  EXPECT_TRUE(p.orders.empty());
  EXPECT_EQ(p.cursor, Gmt(kStart));
  EXPECT_NE(woo->PollRevisions("yesterday").rc, 0);
}

TEST_F(WooCommerceOrdersTest, MapsEveryStatusAndSkipsTheOnesStockdDoesNotTake) {
  auto woo = Create(Config());
  ASSERT_NE(woo, nullptr);
  const int64_t draft = shop_->PlaceOrder({{"SHIRT", 1}});
  ASSERT_TRUE(shop_->SetOrderStatus(draft, "checkout-draft"));
  shop_->AdvanceSeconds(1);
  const int64_t on_hold = shop_->PlaceOrder({{"SHIRT", 1}}, "on-hold");
  shop_->AdvanceSeconds(1);
  const int64_t failed = shop_->PlaceOrder({{"SHIRT", 1}});
  ASSERT_TRUE(shop_->SetOrderStatus(failed, "failed"));
  shop_->AdvanceSeconds(1);
  const int64_t trashed = shop_->PlaceOrder({{"SHIRT", 1}});
  ASSERT_TRUE(shop_->SetOrderStatus(trashed, "trash"));  // not listed by status=any
  const PollResult p = woo->PollRevisions("");
  ASSERT_EQ(p.rc, 0) << p.error;
  EXPECT_EQ(Summary(p.orders), (std::vector<std::string>{Rev(on_hold, kStart + 1, "pending"),
                                                         Rev(failed, kStart + 2, "cancelled")}));
  EXPECT_EQ(p.cursor, Gmt(kStart + 2));
  EXPECT_TRUE(Logged(STOCKD_LOG_DEBUG, "woocommerce order " + std::to_string(draft) +
                                           " has status \"checkout-draft\""));
}

TEST_F(WooCommerceOrdersTest, LinesWithoutASkuAreNamedByTheirIds) {
  auto woo = Create(Config());
  ASSERT_NE(woo, nullptr);
  shop_->faults().Push(Fault::Status(200, R"([{"id":77,"status":"processing",
      "date_modified_gmt":"2024-01-15T10:30:45","date_completed_gmt":null,"line_items":[
      {"id":1,"product_id":54,"variation_id":55,"quantity":2,"sku":""},
      {"id":2,"product_id":54,"variation_id":0,"quantity":1,"sku":null},
      {"id":3,"product_id":0,"variation_id":0,"quantity":4,"sku":""},
      {"id":4,"product_id":60,"variation_id":0,"quantity":0,"sku":"GONE"}],"refunds":[]}])",
                                     {{"X-WP-TotalPages", "1"}}));
  const PollResult p = woo->PollRevisions("");
  ASSERT_EQ(p.rc, 0) << p.error;
  ASSERT_EQ(p.orders.size(), 1u);
  EXPECT_EQ(p.orders[0].revision, 1705314645000);
  ASSERT_EQ(p.orders[0].lines.size(), 3u);
  EXPECT_EQ(p.orders[0].lines[0].listing_id, "variation:55");
  EXPECT_EQ(p.orders[0].lines[1].listing_id, "product:54");
  EXPECT_EQ(p.orders[0].lines[2].listing_id, "line_item:3");
  EXPECT_EQ(p.cursor, "2024-01-15T10:30:45");
}

TEST_F(WooCommerceOrdersTest, AFailedOrMalformedAnswerFailsThePoll) {
  auto woo = Create(Config());
  ASSERT_NE(woo, nullptr);
  shop_->faults().Push(Fault::Status(200, R"([{"id":12,"status":"processing","line_items":[]}])"));
  PollResult p = woo->PollRevisions("2024-01-15T10:30:45");
  EXPECT_NE(p.rc, 0);
  EXPECT_TRUE(Contains(p.error, "answer[0].date_modified_gmt is not a string"));
  shop_->faults().Push(Fault::Status(429, "<html>429</html>", {{"Retry-After", "1"}}));
  p = woo->PollRevisions("2024-01-15T10:30:45");
  EXPECT_NE(p.rc, 0);
  EXPECT_TRUE(Contains(p.error, "HTTP 429"));
  EXPECT_EQ(host_.Counter("throttled"), 1);
  shop_->faults().Push(Fault::Status(200, "{\"orders\":[]}"));
  p = woo->PollRevisions("");
  EXPECT_NE(p.rc, 0);
  EXPECT_TRUE(Contains(p.error, "the answer is not a list of orders"));
}

TEST_F(WooCommerceOrdersTest, TheFakeDeliversSignedOrderWebhooks) {
  std::mutex mu;
  std::vector<fakes::HttpRequest> received;
  fakes::FakeHttpServer receiver([&](const fakes::HttpRequest& r) {
    std::lock_guard<std::mutex> lock(mu);
    received.push_back(r);
    return fakes::HttpAnswer::Json(200, "{}");
  });
  std::string error;
  ASSERT_TRUE(receiver.Start(&error)) << error;
  const int64_t id = shop_->PlaceOrder({{"HOODIE-S", 2}}, "processing");
  EXPECT_EQ(shop_->DeliverOrderWebhook(id, receiver.base_url() + "/webhooks/woo", "whsec_1"), 200);
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_EQ(received.size(), 1u);
  const fakes::HttpRequest& r = received[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/webhooks/woo");
  EXPECT_EQ(r.Header("content-type"), "application/json");
  EXPECT_EQ(r.Header("x-wc-webhook-signature"),
            fakes::Base64(fakes::HmacSha256("whsec_1", r.body)));
  EXPECT_EQ(r.Header("x-wc-webhook-topic"), "order.updated");
  EXPECT_EQ(r.Header("x-wc-webhook-resource"), "order");
  EXPECT_EQ(r.Header("x-wc-webhook-event"), "updated");
  EXPECT_EQ(r.Header("x-wc-webhook-delivery-id"), "1");
  const Json order = Json::parse(r.body);
  EXPECT_EQ(order["id"], id);
  EXPECT_EQ(order["status"], "processing");
  EXPECT_EQ(order["date_modified_gmt"], Gmt(kStart));
  EXPECT_EQ(order["line_items"][0]["sku"], "HOODIE-S");
  EXPECT_EQ(order["line_items"][0]["quantity"], 2);
  EXPECT_NE(order["line_items"][0]["variation_id"], 0);
  EXPECT_EQ(order, shop_->OrderJson(id));
}

}  // namespace
}  // namespace stockd::woocommerce_test
