// A faithful fake of the eBay Sell APIs the eBay adapter uses, on FakeHttpServer
// (127.0.0.1). It checks every request the way eBay does and answers with eBay's shapes:
//
//   POST /identity/v1/oauth2/token        refresh-token grant: HTTP Basic client id and
//        secret (401 invalid_client), form grant_type=refresh_token&refresh_token&scope
//        (400 unsupported_grant_type / invalid_grant / invalid_scope, 400 invalid_request
//        for another Content-Type) -> {"access_token":"v^1.1#...","expires_in":7200,
//        "token_type":"User Access Token"}
//   POST /sell/inventory/v1/bulk_update_price_quantity   1..25 requests (else 400 25709);
//        JSON types as eBay binds them (400 2004 "Could not serialize field [x]"); 415 for
//        a body that is not application/json; per item: unknown SKU 25702, unknown offer
//        25713, an offer of another SKU 25754, the daily revision cap, injected errors;
//        200 when every item succeeded, else 207 with {"responses":[...]}.
//   GET  /sell/inventory/v1/offer?sku=X[&marketplace_id=M]   {"offers":[...]}; no offer:
//        404 25713
//   GET  /sell/inventory/v1/inventory_item/{sku}             404 25710 when unknown
//   GET  /sell/fulfillment/v1/order?filter=...&limit=L&offset=O   paid orders, newest
//        created first (eBay does not document the order); filter errors 30700, 30800,
//        30810, 30820, 30830 (older than 90 days), 30840, 30850; limit 1..200 (31100),
//        offset >= 0 (31000)
//
// Every /sell/ request needs "Authorization: Bearer <a token this fake issued>" (401
// errorId 1002 when missing, 1001 when unknown or expired) with the API's scope (403
// errorId 1100); then the rate limit (429 errorId 2001 past `requests_per_second`); then
// the FaultQueue (latency, status, reset, hold). The token endpoint has its own queue.
//
// Choices where eBay's documentation is silent (adapters/README.md, "The eBay plugin"):
// the revision cap's error is 25019 "Cannot revise listing" naming the limit; an
// unsupported Content-Type is answered 415 with errorId 2004; revisions are counted per
// offer and UTC day of the fake's clock (eBay says "calendar day").
//
// Thread safety: every public method may be called from any thread; requests are served
// on the server's connection threads.
#ifndef STOCKD_TESTS_FAKES_EBAY_FAKE_EBAY_H_
#define STOCKD_TESTS_FAKES_EBAY_FAKE_EBAY_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tests/fakes/http_server.h"

namespace stockd::fakes {

constexpr char kEbayInventoryScope[] = "https://api.ebay.com/oauth/api_scope/sell.inventory";
constexpr char kEbayFulfillmentScope[] = "https://api.ebay.com/oauth/api_scope/sell.fulfillment";
constexpr int64_t kEbayRevisionCapErrorId = 25019;

class FakeEbay {
 public:
  struct Options {
    uint16_t port = 0;  // 0: an ephemeral port
    // The app's keys and the seller's refresh token (plain strings: the test writes them
    // into the adapter's credential files).
    std::string client_id = "StockdTe-stockd-PRD-0a1b2c3d4-5e6f7a8b";
    std::string client_secret = "PRD-0a1b2c3d4e5f-6a7b-8c9d-0e1f-2a3b";
    std::string refresh_token = "v^1.1#i^1#r^1#f^0#I^3#p^3#t^Ul4xMF8yOjRGQzk=";
    // What the refresh token was granted (space-separated).
    std::string granted_scopes = std::string(kEbayInventoryScope) + " " + kEbayFulfillmentScope;
    int64_t token_lifetime_s = 7200;
    // API calls a second (token bucket, `burst` deep); 0 = unlimited.
    double requests_per_second = 0;
    double burst = 0;        // 0: requests_per_second (at least 1)
    int retry_after_s = -1;  // a 429's Retry-After seconds; -1: none (as eBay)
    int64_t daily_revision_limit = 250;
  };

  struct RecordedRequest {
    std::string method;
    std::string target;
    std::string path;
    std::map<std::string, std::string> headers;  // lower-case names
    std::string body;
    int status = 0;  // what the fake answered; 0 for a reset or hold
  };

  struct NewLine {
    std::string sku;  // "" = a line without SKU
    int64_t quantity = 1;
  };

  explicit FakeEbay(Options options);
  ~FakeEbay();
  FakeEbay(const FakeEbay&) = delete;
  FakeEbay& operator=(const FakeEbay&) = delete;

  bool Start(std::string* error);
  void Stop();
  uint16_t port() const;
  std::string base_url() const;  // http://127.0.0.1:<port>
  // A one-line text per change ("ebay: set SKU-1=4 (was 5)", "ebay: order 12-... paid").
  void OnLog(std::function<void(const std::string&)> log);

  // The fake's clock (Unix epoch ms) for tokens, revisions and orders; 0 = the system clock.
  void SetNowMs(int64_t now_ms);
  int64_t NowMs() const;

  // ---- listings (fake_ebay_inventory.cc)
  // An inventory item `sku` with `quantity` and its offer `offer_id` (published, fixed
  // price) on `marketplace_id`.
  void AddListing(const std::string& sku, const std::string& offer_id, int64_t quantity,
                  const std::string& marketplace_id = "EBAY_US", bool published = true);
  void RemoveListing(const std::string& sku);
  // The inventory item's ship-to-home quantity; -1 when there is no such item.
  int64_t Quantity(const std::string& sku) const;
  // The offer's availableQuantity; -1 when there is no such offer.
  int64_t OfferQuantity(const std::string& offer_id) const;
  void SetQuantity(const std::string& sku, int64_t quantity);  // item and its offers
  // Revisions of the offer on the fake's current UTC day / ever.
  int64_t RevisionsToday(const std::string& offer_id) const;
  int64_t Revisions(const std::string& offer_id) const;
  // The next bulkUpdatePriceQuantity naming `sku` fails that item with `error_id`
  // (25001 system error, 25025 concurrent access, 25709 invalid value, ...).
  void InjectItemError(const std::string& sku, int64_t error_id);

  // ---- auth
  void ExpireTokens();  // every access token issued so far is refused from now on
  void SetRefreshToken(std::string refresh_token);  // the old one becomes invalid_grant
  void SetClientSecret(std::string client_secret);
  int64_t TokensIssued() const;

  // ---- orders (fake_ebay_orders.cc). Each change sets the order's lastModifiedDate to
  // the fake's clock (at least 1 ms after the previous change).
  // A buyer's purchase: lowers the listings' quantities at once, but the order is not
  // listed by getOrders before PayOrder (eBay lists orders whose checkout completed).
  // Returns the order id ("NN-NNNNN-NNNNN"), or "" when a listing has too few units.
  std::string PlaceOrder(const std::vector<NewLine>& lines);
  bool PayOrder(const std::string& order_id);
  bool ShipLines(const std::string& order_id, const std::vector<size_t>& line_indexes);
  bool ShipOrder(const std::string& order_id);
  // CANCELED; the units of the lines not shipped go back to their listings.
  bool CancelOrder(const std::string& order_id);
  int64_t OrderModifiedMs(const std::string& order_id) const;

  // ---- faults and records
  FaultQueue& faults() { return faults_; }              // /sell/ requests
  FaultQueue& token_faults() { return token_faults_; }  // the token endpoint
  std::vector<RecordedRequest> Requests() const;
  // Requests whose path starts with `prefix`.
  int64_t RequestCount(const std::string& prefix) const;
  int64_t Throttled() const;  // 429s for the rate limit
  void ClearRequests();

 private:
  struct Offer {
    std::string offer_id;
    std::string sku;
    std::string marketplace_id;
    std::string listing_id;  // the eBay item number once published
    bool published = true;
    int64_t available = 0;
    int64_t revision_day = -1;
    int64_t revisions_today = 0;
    int64_t revisions = 0;
  };
  struct Item {
    int64_t quantity = 0;
    std::vector<std::string> offer_ids;
  };
  struct Line {
    std::string line_item_id;
    std::string sku;
    int64_t quantity = 0;
    bool fulfilled = false;
  };
  struct Order {
    std::string order_id;
    int64_t created_ms = 0;
    int64_t modified_ms = 0;
    bool paid = false;
    bool cancelled = false;
    int64_t cancelled_ms = 0;
    std::vector<Line> lines;
  };
  struct Token {
    int64_t expires_ms = 0;
    std::set<std::string> scopes;
  };

  HttpAnswer Handle(const HttpRequest& request);
  HttpAnswer Route(const HttpRequest& request);
  HttpAnswer TokenEndpoint(const HttpRequest& request);
  // An answer when the bearer token does not allow `scope`; nullopt when it does.
  std::optional<HttpAnswer> CheckAuth(const HttpRequest& request, const std::string& scope);
  std::optional<HttpAnswer> CheckRate();
  // fake_ebay_inventory.cc
  HttpAnswer BulkUpdate(const HttpRequest& request);
  HttpAnswer GetOffers(const HttpRequest& request);
  HttpAnswer GetInventoryItem(const HttpRequest& request);
  // fake_ebay_orders.cc
  HttpAnswer GetOrders(const HttpRequest& request);
  Order* FindOrder(const std::string& order_id);  // requires mu_
  void Touch(Order* order);                       // requires mu_
  void Log(const std::string& line);              // requires mu_ not held by callers' logs

  const Options options_;
  FakeHttpServer server_;
  FaultQueue faults_;
  FaultQueue token_faults_;

  mutable std::mutex mu_;
  std::function<void(const std::string&)> log_;
  int64_t fixed_now_ms_ = 0;
  std::string client_secret_;
  std::string refresh_token_;
  std::map<std::string, Token> tokens_;
  int64_t tokens_issued_ = 0;
  std::map<std::string, Item> items_;        // by SKU
  std::map<std::string, Offer> offers_;      // by offerId
  std::map<std::string, int64_t> injected_;  // SKU -> errorId for its next update
  std::map<std::string, Order> orders_;      // by orderId
  int64_t next_order_ = 1;
  int64_t next_line_ = 1;
  std::vector<RecordedRequest> requests_;
  int64_t throttled_ = 0;
  double bucket_tokens_ = 0;
  std::chrono::steady_clock::time_point bucket_at_{};
};

}  // namespace stockd::fakes

#endif  // STOCKD_TESTS_FAKES_EBAY_FAKE_EBAY_H_
