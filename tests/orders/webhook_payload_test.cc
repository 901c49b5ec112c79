// Order webhook bodies (daemon/orders/webhook_payload.h): sample Shopify and WooCommerce
// payloads and the fake marketplace's own events decode to the exact order; every bad
// field is named.
#include "daemon/orders/webhook_payload.h"

#include <map>
#include <string>

#include "gtest/gtest.h"
#include "tests/fakes/fake_order_book.h"

namespace stockd::orders {
namespace {

using plugins::Order;
using plugins::OrderLine;

// Headers of one request.
struct Headers {
  std::map<std::string, std::string> values;
  std::string operator()(const char* name) const {
    const auto it = values.find(name);
    return it == values.end() ? std::string() : it->second;
  }
};

absl::StatusOr<WebhookDelivery> Decode(SignatureScheme scheme, const std::string& body,
                                       const Headers& headers = {}, std::string channel = "c1") {
  return DecodeWebhook(scheme, channel, body, headers);
}

void ExpectLine(const OrderLine& l, const std::string& listing, int64_t quantity, int64_t shipped,
                int64_t cancelled, const std::string& location = "") {
  EXPECT_EQ(l.listing_id, listing);
  EXPECT_EQ(l.quantity, quantity) << listing;
  EXPECT_EQ(l.quantity_shipped, shipped) << listing;
  EXPECT_EQ(l.quantity_cancelled, cancelled) << listing;
  EXPECT_EQ(l.location, location) << listing;
}

// An orders/updated body as Shopify sends it (trimmed of the fields stockd does not read):
// paid, partly fulfilled; the second line has no SKU and was cancelled whole by a refund.
constexpr char kShopifyPartial[] = R"({
  "id": 820982911946154508, "name": "#9999", "email": "jon@example.com",
  "created_at": "2024-01-15T10:00:00-05:00", "updated_at": "2024-01-15T10:30:45-05:00",
  "cancelled_at": null, "cancel_reason": null,
  "financial_status": "paid", "fulfillment_status": "partial", "currency": "USD",
  "line_items": [
    {"id": 866550311766439020, "variant_id": 808950810, "sku": "IPOD2008PINK",
     "quantity": 3, "fulfillable_quantity": 1, "fulfillment_status": "partial",
     "name": "IPod Nano - 8GB - Pink", "price": "199.00"},
    {"id": 141249953214522974, "variant_id": 49148385, "sku": "",
     "quantity": 2, "fulfillable_quantity": 0, "fulfillment_status": null}],
  "refunds": [{"id": 509562969, "restock": true, "refund_line_items": [
    {"id": 104689539, "line_item_id": 141249953214522974, "quantity": 2,
     "restock_type": "cancel", "location_id": 487838322}]}]
})";

TEST(WebhookPayloadTest, ShopifyPartlyFulfilledOrder) {
  absl::StatusOr<WebhookDelivery> d =
      Decode(SignatureScheme::kShopify, kShopifyPartial,
             Headers{{{"X-Shopify-Event-Id", "ev-1"}, {"X-Shopify-Webhook-Id", "wh-1"}}});
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->event_id, "ev-1");
  EXPECT_EQ(d->order.order_id, "820982911946154508");
  EXPECT_EQ(d->order.revision, 1705332645000);  // 2024-01-15T15:30:45Z
  EXPECT_EQ(d->order.status, Order::Status::kShipped);
  ASSERT_EQ(d->order.lines.size(), 2u);
  ExpectLine(d->order.lines[0], "IPOD2008PINK", 3, 2, 0);
  ExpectLine(d->order.lines[1], "variant:49148385", 2, 0, 2);
}

std::string ShopifyOrder(const std::string& financial, const std::string& fulfillment,
                         const std::string& cancelled_at, int fulfillable) {
  return R"({"id": 450789469, "updated_at": "2024-01-15T15:30:45.123Z", "cancelled_at": )" +
         cancelled_at + R"(, "financial_status": )" + financial + R"(, "fulfillment_status": )" +
         fulfillment +
         R"(, "line_items": [{"id": 1, "variant_id": 7, "sku": "S-1", "quantity": 2,
              "fulfillable_quantity": )" +
         std::to_string(fulfillable) + "}]}";
}

TEST(WebhookPayloadTest, ShopifyStatuses) {
  struct Case {
    std::string financial, fulfillment, cancelled_at;
    int fulfillable;
    Order::Status status;
    int64_t shipped;
  };
  const Case cases[] = {
      {R"("pending")", "null", "null", 2, Order::Status::kPending, 0},
      {R"("authorized")", "null", "null", 2, Order::Status::kPending, 0},
      {R"("paid")", "null", "null", 2, Order::Status::kAccepted, 0},
      {R"("partially_paid")", "null", "null", 2, Order::Status::kAccepted, 0},
      {R"("partially_refunded")", "null", "null", 2, Order::Status::kAccepted, 0},
      {R"("paid")", R"("fulfilled")", "null", 0, Order::Status::kShipped, 2},
      {R"("paid")", R"("partial")", "null", 1, Order::Status::kShipped, 1},
      {R"("voided")", "null", R"("2024-01-15T15:00:00Z")", 2, Order::Status::kCancelled, 0},
      {R"("paid")", "null", R"("2024-01-15T15:00:00Z")", 2, Order::Status::kCancelled, 0},
  };
  for (const Case& c : cases) {
    const std::string body =
        ShopifyOrder(c.financial, c.fulfillment, c.cancelled_at, c.fulfillable);
    absl::StatusOr<WebhookDelivery> d =
        Decode(SignatureScheme::kShopify, body, Headers{{{"X-Shopify-Webhook-Id", "wh-9"}}});
    ASSERT_TRUE(d.ok()) << d.status() << body;
    EXPECT_EQ(d->event_id, "wh-9");  // no X-Shopify-Event-Id: the webhook id
    EXPECT_EQ(d->order.order_id, "450789469");
    EXPECT_EQ(d->order.revision, 1705332645123);
    EXPECT_EQ(d->order.status, c.status) << body;
    ExpectLine(d->order.lines[0], "S-1", 2, c.shipped, 0);
  }
  absl::StatusOr<WebhookDelivery> bad =
      Decode(SignatureScheme::kShopify, ShopifyOrder(R"("bogus")", "null", "null", 2));
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(),
            "financial_status: 'bogus' (pending, authorized, paid, partially_paid, "
            "partially_refunded, refunded, voided or expired)");
}

// An order.updated body as WooCommerce sends it (trimmed): lines by SKU, by variation and
// by product.
std::string WooOrder(const std::string& status) {
  return R"({"id": 727, "parent_id": 0, "status": ")" + status + R"(", "currency": "USD",
    "date_created_gmt": "2024-03-02T07:55:00", "date_modified_gmt": "2024-03-02T08:00:01",
    "billing": {"first_name": "John"},
    "line_items": [
      {"id": 315, "name": "Woo Single #1", "product_id": 93, "variation_id": 0,
       "quantity": 2, "sku": "WOO-1", "price": 3},
      {"id": 316, "name": "Ship Your Idea - Color: Black", "product_id": 22,
       "variation_id": 23, "quantity": 1, "sku": ""},
      {"id": 317, "name": "Poster", "product_id": 40, "variation_id": 0, "quantity": 4,
       "sku": null}]})";
}

TEST(WebhookPayloadTest, WooCommerceOrder) {
  struct Case {
    std::string status;
    Order::Status expected;
  };
  const Case cases[] = {
      {"pending", Order::Status::kPending},     {"on-hold", Order::Status::kPending},
      {"processing", Order::Status::kAccepted}, {"completed", Order::Status::kShipped},
      {"cancelled", Order::Status::kCancelled}, {"refunded", Order::Status::kCancelled},
      {"failed", Order::Status::kCancelled}};
  for (const Case& c : cases) {
    absl::StatusOr<WebhookDelivery> d = Decode(SignatureScheme::kWooCommerce, WooOrder(c.status),
                                               Headers{{{"X-WC-Webhook-Delivery-ID", "d-42"}}});
    ASSERT_TRUE(d.ok()) << d.status();
    EXPECT_EQ(d->event_id, "d-42");
    EXPECT_EQ(d->order.order_id, "727");
    EXPECT_EQ(d->order.revision, 1709366401000);  // 2024-03-02T08:00:01Z
    EXPECT_EQ(d->order.status, c.expected) << c.status;
    const bool shipped = c.expected == Order::Status::kShipped;
    ASSERT_EQ(d->order.lines.size(), 3u);
    ExpectLine(d->order.lines[0], "WOO-1", 2, shipped ? 2 : 0, 0);
    ExpectLine(d->order.lines[1], "variation:23", 1, shipped ? 1 : 0, 0);
    ExpectLine(d->order.lines[2], "product:40", 4, shipped ? 4 : 0, 0);
  }
  // Completed, then refunded: cancelled, and what was shipped stays shipped.
  std::string refunded = WooOrder("refunded");
  refunded.insert(refunded.find("\"billing\""), R"("date_completed_gmt": "2024-03-02T07:58:00", )");
  absl::StatusOr<WebhookDelivery> after = Decode(SignatureScheme::kWooCommerce, refunded);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->order.status, Order::Status::kCancelled);
  ExpectLine(after->order.lines[0], "WOO-1", 2, 2, 0);
  // Not completed (null): nothing shipped.
  std::string cancelled = WooOrder("cancelled");
  cancelled.insert(cancelled.find("\"billing\""), R"("date_completed_gmt": null, )");
  absl::StatusOr<WebhookDelivery> before = Decode(SignatureScheme::kWooCommerce, cancelled);
  ASSERT_TRUE(before.ok()) << before.status();
  ExpectLine(before->order.lines[0], "WOO-1", 2, 0, 0);
  absl::StatusOr<WebhookDelivery> draft =
      Decode(SignatureScheme::kWooCommerce, WooOrder("checkout-draft"));
  EXPECT_EQ(draft.status().message(),
            "status: 'checkout-draft' (pending, on-hold, processing, completed, cancelled, "
            "refunded or failed)");
}

TEST(WebhookPayloadTest, StockdEventsAsTheFakeMarketplaceSendsThem) {
  fakes::FakeOrder fake{"A-1001",
                        3,
                        fakes::FakeOrderStatus::kShipped,
                        {{"B000123", 2, 1, 1, "wh-1"}, {"SKU-2", 5, 0, 0, ""}}};
  const std::string body = nlohmann::ordered_json{
      {"event_id", "c1/A-1001/3"},
      {"channel", "c1"},
      {"sent_at_ms", 1700000000000},
      {"order", fakes::FakeOrderToJson(
                    fake)}}.dump();
  absl::StatusOr<WebhookDelivery> d =
      Decode(SignatureScheme::kStockd, body, Headers{{{"X-Stockd-Event-Id", "c1/A-1001/3"}}});
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->event_id, "c1/A-1001/3");
  EXPECT_EQ(d->order.order_id, "A-1001");
  EXPECT_EQ(d->order.revision, 3);
  EXPECT_EQ(d->order.status, Order::Status::kShipped);
  ASSERT_EQ(d->order.lines.size(), 2u);
  ExpectLine(d->order.lines[0], "B000123", 2, 1, 1, "wh-1");
  ExpectLine(d->order.lines[1], "SKU-2", 5, 0, 0);

  // The route names the channel; the body must not name another, and the unsigned header
  // must not contradict the signed event id.
  EXPECT_EQ(Decode(SignatureScheme::kStockd, body, {}, "c2").status().message(),
            "channel: 'c1' but delivered to /orders/c2");
  EXPECT_EQ(Decode(SignatureScheme::kStockd, body, Headers{{{"X-Stockd-Event-Id", "x"}}})
                .status()
                .message(),
            "X-Stockd-Event-Id: 'x' but the body's event_id is 'c1/A-1001/3'");
}

TEST(WebhookPayloadTest, NamesTheBadField) {
  struct Case {
    SignatureScheme scheme;
    std::string body;
    std::string message;
  };
  const std::string lines_ok = R"([{"listing_id": "L", "quantity": 1}])";
  const Case cases[] = {
      {SignatureScheme::kShopify, "{\"id\": 1,", "body: not valid JSON"},
      {SignatureScheme::kShopify, "[1]", "body: not an object"},
      {SignatureScheme::kShopify, R"({"updated_at": "2024-01-15T10:30:45Z", "line_items": []})",
       "id: missing"},
      {SignatureScheme::kShopify, R"({"id": 1, "updated_at": "yesterday", "line_items": []})",
       "updated_at: 'yesterday' is not an ISO-8601 time (2024-01-15T10:30:45Z)"},
      {SignatureScheme::kShopify, R"({"id": 1, "updated_at": "2024-01-15T10:30:45Z"})",
       "line_items: missing"},
      {SignatureScheme::kShopify,
       R"({"id": 1, "updated_at": "2024-01-15T10:30:45Z", "line_items": [{"sku": "A", "quantity": 1}, {"sku": "B", "quantity": 1}, {"sku": "C", "quantity": -1}]})",
       "line_items[2].quantity: -1 (must be 1..1000000000)"},
      {SignatureScheme::kShopify,
       R"({"id": 1, "updated_at": "2024-01-15T10:30:45Z", "line_items": [{"quantity": 1}]})",
       "line_items[0]: neither sku nor variant_id"},
      {SignatureScheme::kShopify,
       R"({"id": 1, "updated_at": "2024-01-15T10:30:45Z", "line_items": [{"id": 5, "sku": "A", "quantity": 1}], "refunds": [{"refund_line_items": [{"line_item_id": 5, "quantity": 2, "restock_type": "cancel"}]}]})",
       "line_items[0].quantity: 1 but refunds cancel 2 units of it"},
      {SignatureScheme::kShopify,
       R"({"id": 1, "updated_at": "2024-01-15T10:30:45Z", "line_items": [{"sku": "A", "quantity": "1"}]})",
       "line_items[0].quantity: not an integer"},
      {SignatureScheme::kWooCommerce,
       R"({"id": 7, "status": "processing", "date_modified_gmt": "2024-03-02T08:00:01", "line_items": [{"product_id": 0, "quantity": 1}]})",
       "line_items[0]: neither sku, variation_id nor product_id"},
      {SignatureScheme::kWooCommerce,
       R"({"id": 7, "status": "processing", "date_modified_gmt": "2024-03-02T08:00:01", "line_items": []})",
       "order '7': no lines"},
      {SignatureScheme::kStockd, R"({"channel": "c1"})", "order: missing"},
      {SignatureScheme::kStockd,
       R"({"order": {"order_id": "A", "revision": 0, "status": "accepted", "lines": )" + lines_ok +
           "}}",
       "order.revision: 0 (must be >= 1)"},
      {SignatureScheme::kStockd,
       R"({"order": {"order_id": "A", "revision": 1, "status": "paid", "lines": )" + lines_ok +
           "}}",
       "order.status: 'paid' (pending, accepted, shipped or cancelled)"},
      {SignatureScheme::kStockd,
       R"({"order": {"order_id": "A", "revision": 1, "status": "shipped", "lines": [{"listing_id": "L", "quantity": 2, "quantity_shipped": 3}]}})",
       "order 'A': line 0: quantity_shipped 3 (must be 0..2)"},
      {SignatureScheme::kStockd,
       R"({"order": {"order_id": "A", "revision": 1, "status": "pending", "lines": [{"quantity": 2}]}})",
       "order.lines[0].listing_id: missing"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<WebhookDelivery> d = Decode(c.scheme, c.body);
    EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument) << c.body;
    EXPECT_EQ(d.status().message(), c.message) << c.body;
  }
}

TEST(WebhookPayloadTest, ParsesIsoTimes) {
  EXPECT_EQ(*ParseIsoTimeMs("2024-01-15T10:30:45-05:00"), 1705332645000);
  EXPECT_EQ(*ParseIsoTimeMs("2024-01-15T15:30:45Z"), 1705332645000);
  EXPECT_EQ(*ParseIsoTimeMs("2024-01-15T15:30:45.123+00:00"), 1705332645123);
  EXPECT_EQ(*ParseIsoTimeMs("2024-01-15T15:30:45"), 1705332645000);  // no offset: UTC
  EXPECT_FALSE(ParseIsoTimeMs("2024-01-15").ok());
  EXPECT_FALSE(ParseIsoTimeMs("2024-01-15T15:30:45+0500 junk").ok());
}

}  // namespace
}  // namespace stockd::orders
