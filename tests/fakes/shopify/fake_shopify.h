// A faithful fake of one Shopify shop's Admin GraphQL API (2026-04) for the Shopify
// adapter's tests, its drain benchmark and the demo. It listens on 127.0.0.1 and answers
//   POST /admin/api/<YYYY-MM | unstable>/graphql.json
// the way Shopify does:
//  * X-Shopify-Access-Token must be the shop's token: 401
//    {"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}
//    otherwise; Content-Type must be application/json (or application/graphql): 415
//    otherwise; a body without "query" is 400; another path 404, another method 405.
//  * The query text is parsed (graphql_doc.h) and checked against the part of the schema
//    the fake serves (fake_shopify_schema.h): an unknown field, an argument a field does
//    not take, a missing required argument, an undeclared or unused variable, a variable
//    of the wrong type, a malformed gid, a list over 250 entries, a connection without
//    first/last or with more than 250 are refused with Shopify's error shapes.
//  * Cost: objects 1, connections 2 + first x node, the mutation 10; a query over 1,000
//    points is refused (MAX_COST_EXCEEDED); a leaky bucket (Options: size, restore rate)
//    answers THROTTLED (HTTP 200, or 429 when configured) when the requested cost is not
//    available, and every answer carries extensions.cost with the throttleStatus.
//  * inventorySetQuantities requires @idempotent(key:) (an error otherwise) and
//    changeFromQuantity on every quantity; it checks every quantity (item, location,
//    stocked there, 0..1,000,000,000, no duplicate pair, compare-and-set) and applies all
//    or none, answering userErrors with Shopify's codes and field paths. A key replayed
//    with the same input answers the first result; with another input
//    IDEMPOTENCY_KEY_PARAMETER_MISMATCH; after a failed first attempt
//    IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED.
//  * inventoryItems (search by sku), nodes / node, inventoryItem, order, orders (search by
//    updated_at/created_at, sortKey ID / UPDATED_AT / CREATED_AT, cursors) read the state.
//
// State a test sets and reads: locations, inventory items with SKUs stocked at locations
// (available, committed, on_hand = available + committed), and an order book with the
// lifecycle of a real shop (a placed order commits units: available goes down; fulfilment
// takes them from on_hand; cancelling restocks what was not fulfilled). Every change
// stamps the order's updatedAt from the fake's clock (whole seconds, as Shopify's
// DateTime). DeliverOrderWebhook POSTs an order as Shopify's REST webhook (orders/updated
// ...) signed X-Shopify-Hmac-SHA256 = base64(HMAC-SHA256(secret, body)).
//
// Faults: a FaultQueue (latency, status, reset, hold) played before each API request, and
// Shopify's own: a changed access token (expired/revoked), a drained bucket, an injected
// userError, an answer lost after the mutation was applied.
//
// Thread safety: every public method may be called from any thread; requests are served
// concurrently on the server's connection threads, the shop's state under one mutex.
#ifndef STOCKD_TESTS_FAKES_SHOPIFY_FAKE_SHOPIFY_H_
#define STOCKD_TESTS_FAKES_SHOPIFY_FAKE_SHOPIFY_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "tests/fakes/http_server.h"

namespace stockd::fakes {

struct ShopState;  // fake_shopify_state.h

// One request as the fake saw it, and its answer.
struct ShopifyRequestRecord {
  std::string method;
  std::string path;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  int status = 0;  // 0: no answer (reset, hold)
  std::string answer;
  std::string operation;  // the root field(s) asked, e.g. "inventorySetQuantities"
};

// An order line as a test places it.
struct ShopifyLineSpec {
  std::string sku;  // "" = a line without SKU (it keeps its variant)
  int64_t quantity = 1;
};

// An order as the fake holds it (Order(), for assertions).
struct ShopifyOrderView {
  int64_t id = 0;
  std::string name;                // "#1001"
  std::string financial_status;    // PENDING, AUTHORIZED, PAID, ... (displayFinancialStatus)
  std::string fulfillment_status;  // UNFULFILLED, PARTIALLY_FULFILLED, FULFILLED
  bool cancelled = false;
  int64_t updated_at_ms = 0;
  struct Line {
    int64_t id = 0;
    std::string sku;
    int64_t quantity = 0;
    int64_t fulfilled = 0;
    int64_t removed = 0;  // refunded or cancelled before fulfilment
  };
  std::vector<Line> lines;
};

class FakeShopify {
 public:
  struct Options {
    uint16_t port = 0;  // 0: an ephemeral port
    std::string access_token = "shpat_test_token";
    double bucket_size = 1000;  // maximumAvailable
    double restore_rate = 50;   // points a second
    int throttle_status = 200;  // HTTP status of a THROTTLED answer (200 or 429)
    std::string shop_domain = "stockd-test.myshopify.com";
    // A dated version before this one is served as this one (Shopify falls forward to the
    // oldest supported version), and X-Shopify-API-Version says so.
    std::string oldest_supported_version = "2026-04";
    int utc_offset_minutes = -300;  // the shop's time zone, in REST webhook times
  };

  explicit FakeShopify(Options options);
  ~FakeShopify();
  FakeShopify(const FakeShopify&) = delete;
  FakeShopify& operator=(const FakeShopify&) = delete;

  bool Start(std::string* error);
  void Stop();
  uint16_t port() const;
  std::string shop_url() const;  // http://127.0.0.1:<port>: the adapter's shop_url
  // One line per change of the shop ("shopify: set SKU-1=4 (was 5)"); any thread.
  void OnLog(std::function<void(const std::string&)> log);

  // ---- inventory
  // A location; returns its id (>= 1). The fake starts with none.
  int64_t AddLocation(const std::string& name);
  // An inventory item (of a new variant) with `sku` ("" = none; SKUs need not be unique,
  // as on Shopify); returns its numeric id.
  int64_t AddItem(const std::string& sku);
  // Stocks the item at the location with `available` units (activates it there).
  void Stock(int64_t item_id, int64_t location_id, int64_t available);
  // AddItem + Stock.
  int64_t AddStockedItem(const std::string& sku, int64_t location_id, int64_t available);
  void DeleteItem(int64_t item_id);
  // The quantity `name` (available, committed, on_hand) of the item at the location;
  // nullopt when the item is not stocked there.
  std::optional<int64_t> Quantity(int64_t item_id, int64_t location_id,
                                  const std::string& name = "available") const;
  // Sets `available` directly (a merchant's edit in the admin): bumps nothing else.
  void SetAvailable(int64_t item_id, int64_t location_id, int64_t available);
  int64_t ItemIdOf(const std::string& sku) const;  // the first item with the SKU; 0: none

  // ---- orders (each change stamps updatedAt from the clock)
  // Places an order at `location_id` (its lines' SKUs commit units there); financial
  // status PENDING unless `paid`. Returns the order id.
  int64_t PlaceOrder(const std::vector<ShopifyLineSpec>& lines, int64_t location_id,
                     bool paid = false);
  void SetFinancialStatus(int64_t order_id, const std::string& status);  // e.g. PAID
  void Pay(int64_t order_id) { SetFinancialStatus(order_id, "PAID"); }
  // Fulfils `quantity` more units of the order's line with `sku`.
  void Fulfill(int64_t order_id, const std::string& sku, int64_t quantity);
  // Removes `quantity` unfulfilled units of a line (a refund with restock, an order edit).
  void RemoveUnits(int64_t order_id, const std::string& sku, int64_t quantity);
  // Cancels the order: its unfulfilled units are restocked (a refund with restock_type
  // "cancel"); a paid order becomes (PARTIALLY_)REFUNDED, an unpaid one VOIDED.
  void Cancel(int64_t order_id);
  std::optional<ShopifyOrderView> Order(int64_t order_id) const;

  // The fake's clock for order times, Unix ms (0: the system clock).
  void SetNowMs(int64_t now_ms);
  void AdvanceMs(int64_t ms);

  // POSTs the order as Shopify's REST webhook payload (`topic`, e.g. "orders/updated") to
  // `url` with X-Shopify-Hmac-SHA256 over the body keyed with `secret`, X-Shopify-Topic,
  // X-Shopify-Event-Id (`event_id`, a fresh one when empty), X-Shopify-Triggered-At and
  // the rest of Shopify's headers. Returns the receiver's status, 0 when it did not answer.
  int DeliverOrderWebhook(int64_t order_id, const std::string& url, const std::string& secret,
                          const std::string& topic = "orders/updated",
                          const std::string& event_id = "");
  // The body DeliverOrderWebhook would send now.
  std::string OrderWebhookPayload(int64_t order_id) const;

  // ---- faults and the rate limit
  FaultQueue& faults() { return faults_; }
  // The token the shop accepts from now on (the old one answers 401: expired, revoked).
  void SetAccessToken(const std::string& token);
  // Points currently in the bucket (restored over time up to bucket_size).
  void SetAvailablePoints(double points);
  double AvailablePoints() const;
  // The next inventorySetQuantities answers this userError (on quantity `index`, or on
  // the whole input when index < 0) and applies nothing.
  void InjectUserError(const std::string& code, const std::string& message, int index = -1);
  // The next inventorySetQuantities is applied, then its connection is reset: the answer
  // is lost.
  void LoseNextMutationAnswer();

  // ---- what was asked
  std::vector<ShopifyRequestRecord> Requests() const;
  void ClearRequests();
  // How many requests (of operation `operation`, "" = any) were answered THROTTLED.
  int64_t ThrottledCount(const std::string& operation = "") const;
  // Points spent (actualQueryCost) since the start or the last ClearRequests.
  double PointsSpent() const;

 private:
  HttpAnswer Handle(const HttpRequest& request);
  void Log(const std::string& line) const;

  const Options options_;
  std::unique_ptr<ShopState> state_;
  FaultQueue faults_;
  std::unique_ptr<FakeHttpServer> server_;
  mutable std::mutex log_mu_;
  std::function<void(const std::string&)> log_;
  mutable std::mutex records_mu_;
  std::vector<ShopifyRequestRecord> records_;
  double points_spent_ = 0;  // guarded by records_mu_
};

}  // namespace stockd::fakes

#endif  // STOCKD_TESTS_FAKES_SHOPIFY_FAKE_SHOPIFY_H_
