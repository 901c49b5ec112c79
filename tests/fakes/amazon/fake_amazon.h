// A faithful fake of the parts of Amazon's Selling Partner API that stockd's amazon
// adapter speaks, on FakeHttpServer (127.0.0.1), for tests, benchmarks and the demo:
//
//   POST  /auth/o2/token                        Login with Amazon: refresh-token grant
//   PATCH /listings/2021-08-01/items/{sellerId}/{sku}?marketplaceIds=X   patchListingsItem
//   GET   /listings/2021-08-01/items/{sellerId}/{sku}?marketplaceIds=X   getListingsItem
//   GET   /listings/2021-08-01/items/{sellerId}?marketplaceIds=X&identifiers=a,b&
//         identifiersType=SKU                                            searchListingsItems
//   POST  /feeds/2021-06-30/documents, GET /feeds/2021-06-30/documents/{id},
//   POST  /feeds/2021-06-30/feeds,     GET /feeds/2021-06-30/feeds/{id}  the Feeds API, with
//         presigned upload/download URLs on the fake itself (/feed-documents/{id}?X-Amz-...)
//   GET   /orders/2026-01-01/orders?lastUpdatedAfter=T&...               searchOrders
//
// It checks requests as Amazon does and answers with Amazon's shapes and codes:
//   * x-amz-access-token must be a live token it issued: else 403 {"errors":[{"code":
//     "Unauthorized","message":"Access to requested resource is denied.","details":...}]}
//     (details say "expired" for an expired token);
//   * PATCH/POST bodies must be Content-Type application/json: else 415 UnsupportedMediaType;
//   * the path's sellerId must be the seller's and marketplaceIds known: else 400 InvalidInput;
//   * a body that breaks the request schema (productType, patches[{op add|replace|merge|delete,
//     path, value[]}]) or is not JSON: 400 InvalidInput "Request has missing or invalid
//     parameters and cannot be parsed."; attribute problems (an unknown field of
//     fulfillment_availability, a negative or non-integer quantity, no channel code) are
//     200 {"status":"INVALID","issues":[...]}, as Amazon validates attributes;
//   * each operation's usage plan (token bucket; Amazon's default rates): 429 {"errors":[{
//     "code":"QuotaExceeded",...}]} WITHOUT Retry-After, x-amzn-RateLimit-Limit on answers;
//   * an ACCEPTED patch is applied `apply_delay_ms` later (a read right after shows the old
//     quantity), as Amazon's are;
//   * a PATCH (or feed message) for a SKU the seller has no listing for is ACCEPTED and starts
//     a new, incomplete listing, as Amazon does (UnknownSku::kCreatesListing); kNotFound
//     answers 404 (PATCH) or an ERROR issue (feed) instead;
//   * feeds are processed `feed_processing_ms` after createFeed (IN_QUEUE, IN_PROGRESS, DONE,
//     or FATAL for a document that is not a JSON_LISTINGS_FEED v2), with a processing report
//     of per-message issues; more than 10,000 messages is FATAL;
//   * orders have a lifecycle (PlaceOrder, PayOrder, ShipOrder, CancelOrder), each change
//     bumping lastUpdatedTime (whole seconds, strictly increasing per order), visible in
//     searchOrders `orders_lag_ms` later (Amazon: ~2 minutes); a placed order lowers the
//     listing's quantity, a cancelled one gives back what was not shipped.
// A FaultQueue plays latency, statuses, resets and holds on SP-API requests (faults()) and
// on the token endpoint (token_faults()). Every request is recorded.
//
// Thread safety: every public method may be called from any thread; requests are served on
// the server's connection threads. The log hook is called with the fake's lock held: it
// must not call back into the fake.
#ifndef STOCKD_TESTS_FAKES_AMAZON_FAKE_AMAZON_H_
#define STOCKD_TESTS_FAKES_AMAZON_FAKE_AMAZON_H_

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "nlohmann/json.hpp"
#include "tests/fakes/http_server.h"

namespace stockd::fakes {

class FakeAmazon {
 public:
  using Json = nlohmann::json;
  using Clock = std::chrono::steady_clock;

  enum class Operation {
    kPatchListingsItem,
    kGetListingsItem,
    kSearchListingsItems,
    kCreateFeedDocument,
    kCreateFeed,
    kGetFeed,
    kGetFeedDocument,
    kSearchOrders,
  };
  struct RateLimit {
    double rate = 1;   // requests a second
    double burst = 1;  // bucket size
  };
  // Amazon's default usage plans.
  static std::map<Operation, RateLimit> DefaultRates();
  static const char* OperationName(Operation operation);

  enum class UnknownSku { kCreatesListing, kNotFound };

  struct Options {
    uint16_t port = 0;  // 0: ephemeral
    std::string seller_id = "A2STOCKDSELLER";
    std::vector<std::string> marketplace_ids = {"A1PA6795UKMFR9"};
    std::string client_id = "amzn1.application-oa2-client.stockdtest";
    std::string client_secret = "lwa-client-secret";
    std::string refresh_token = "Atzr|stockd-test-refresh-token";
    int64_t token_lifetime_s = 3600;
    std::map<Operation, RateLimit> rates = DefaultRates();
    bool rate_limit_header = true;  // x-amzn-RateLimit-Limit on rate-limited answers
    int64_t apply_delay_ms = 0;     // an ACCEPTED change shows this much later
    int64_t feed_processing_ms = 200;
    int64_t orders_lag_ms = 0;  // an order change shows in searchOrders this much later
    UnknownSku unknown_sku = UnknownSku::kCreatesListing;
    bool record_bodies = true;  // benchmarks switch it off
  };

  struct Recorded {
    std::string method;
    std::string path;
    std::string query;
    std::map<std::string, std::string> headers;
    std::string body;
    int status = 0;
    std::optional<Operation> operation;
  };

  explicit FakeAmazon(Options options);
  ~FakeAmazon();
  FakeAmazon(const FakeAmazon&) = delete;
  FakeAmazon& operator=(const FakeAmazon&) = delete;

  bool Start(std::string* error);
  void Stop();
  uint16_t port() const;
  std::string base_url() const;   // the SP-API endpoint
  std::string token_url() const;  // the LWA endpoint
  const Options& options() const { return options_; }
  // One line per change ("amazon: set SKU-1=4 (was 5)", "amazon: order ... placed").
  void OnLog(std::function<void(const std::string&)> hook);

  // Listings (quantity on the "DEFAULT" channel unless said otherwise).
  void AddListing(const std::string& sku, int64_t quantity);
  void RemoveListing(const std::string& sku);
  bool HasListing(const std::string& sku) const;
  // What Amazon shows now (pending changes not yet applied); nullopt: no listing or no
  // quantity for that channel.
  std::optional<int64_t> Quantity(const std::string& sku,
                                  const std::string& channel = "DEFAULT") const;
  size_t PendingChanges() const;
  void ApplyPendingChanges();  // applies every pending change now

  // Credentials.
  void ExpireAllTokens();                    // every issued access token is expired from now on
  void SetClientSecret(std::string secret);  // a rotated secret: the old one is refused
  void SetRefreshToken(std::string refresh_token);
  int64_t TokensIssued() const;

  FaultQueue& faults() { return faults_; }              // SP-API requests, before auth
  FaultQueue& token_faults() { return token_faults_; }  // POST /auth/o2/token

  // Orders. PlaceOrder returns the order id ("" when a line is malformed); the others
  // return false for a transition Amazon would not make.
  std::string PlaceOrder(const std::vector<std::pair<std::string, int64_t>>& lines,
                         bool paid = false);
  bool PayOrder(const std::string& order_id);
  bool ShipOrder(const std::string& order_id, const std::string& sku, int64_t quantity);
  bool ShipAll(const std::string& order_id);
  bool CancelOrder(const std::string& order_id);

  int64_t FeedsCreated() const;
  std::vector<Recorded> Requests() const;
  void ClearRequests();
  // Requests of `operation` answered `status` (0: any status).
  int64_t Count(Operation operation, int status = 0) const;

 private:
  struct Bucket {
    double tokens = 0;
    Clock::time_point updated;
  };
  struct Listing {
    std::string product_type = "PRODUCT";
    Json attributes = Json::object();
    bool incomplete = false;  // started by a PATCH of an unknown SKU
    int64_t created_ms = 0;
    int64_t updated_ms = 0;
  };
  struct PendingPatch {
    Clock::time_point due;
    std::string sku;
    std::string product_type;
    Json patches;
  };
  struct Document {
    std::string content_type;
    std::string content;
    std::string upload_signature;    // of the createFeedDocument URL (PUT)
    std::string download_signature;  // of the latest getFeedDocument URL (GET)
    bool uploaded = false;
    bool result = false;  // a processing report: download only
    Clock::time_point upload_expires;
    Clock::time_point download_expires;
  };
  struct Feed {
    std::string id;
    std::string type;
    std::vector<std::string> marketplace_ids;
    std::string document_id;
    std::string status = "IN_QUEUE";
    int64_t created_ms = 0;
    int64_t started_ms = 0;
    int64_t ended_ms = 0;
    Clock::time_point starts;
    Clock::time_point done;
    std::string result_document_id;
  };
  struct OrderLine {
    std::string item_id;
    std::string sku;
    int64_t ordered = 0;
    int64_t shipped = 0;
  };
  struct OrderVersion {  // the order as searchOrders shows it from `visible` on
    Clock::time_point visible;
    int64_t created_ms = 0;
    int64_t updated_ms = 0;
    std::string status;
    Json json;
  };
  struct Order {
    std::string id;
    std::string status;  // Amazon's FulfillmentStatus
    int64_t created_ms = 0;
    int64_t updated_ms = 0;
    std::vector<OrderLine> lines;
    std::vector<OrderVersion> versions;
  };
  struct PageToken {
    std::string filter;  // the request's filter parameters; a token serves only them
    size_t offset = 0;
  };

  HttpAnswer Handle(const HttpRequest& request);
  HttpAnswer Route(const HttpRequest& request, std::optional<Operation>* operation);
  HttpAnswer TokenEndpoint(const HttpRequest& request);
  HttpAnswer Presigned(const HttpRequest& request);
  // fake_amazon_listings.cc
  HttpAnswer PatchItem(const HttpRequest& request, const std::string& sku,
                       const std::map<std::string, std::string>& query);
  HttpAnswer GetItem(const std::string& sku, const std::map<std::string, std::string>& query);
  HttpAnswer SearchItems(const std::map<std::string, std::string>& query);
  Json ItemJson(const std::string& sku, const Listing& listing, const std::string& included) const;
  void ApplyPatchesLocked(const std::string& sku, const std::string& product_type,
                          const Json& patches);
  // fake_amazon_feeds.cc
  HttpAnswer CreateDocument(const HttpRequest& request);
  HttpAnswer GetDocument(const std::string& id);
  HttpAnswer CreateFeed(const HttpRequest& request);
  HttpAnswer GetFeed(const std::string& id);
  void ProcessFeedLocked(Feed* feed);
  // A presigned URL of document `id` ("PUT" upload or "GET" download), valid 5 minutes.
  std::string PresignLocked(const std::string& id, bool upload);
  // fake_amazon_orders.cc
  HttpAnswer SearchOrders(const std::map<std::string, std::string>& query);
  void TouchOrderLocked(Order* order, const std::string& what);
  Json OrderJson(const Order& order) const;
  void AdjustQuantityLocked(const std::string& sku, int64_t delta);

  // Requires mu_.
  void ApplyDueLocked();
  bool TakeTokenLocked(Operation operation);
  void LogLocked(const std::string& line);
  std::string RandomHexLocked(size_t digits);
  std::optional<HttpAnswer> CheckAccessTokenLocked(const HttpRequest& request);
  std::optional<int64_t> QuantityLocked(const std::string& sku, const std::string& channel) const;

  const Options options_;
  FakeHttpServer server_;
  FaultQueue faults_;
  FaultQueue token_faults_;

  mutable std::mutex mu_;
  std::function<void(const std::string&)> log_hook_;
  std::string client_secret_;
  std::string refresh_token_;
  std::map<std::string, Clock::time_point> tokens_;  // access token -> expiry
  int64_t tokens_issued_ = 0;
  std::map<Operation, Bucket> buckets_;
  std::map<std::string, Listing> listings_;
  std::deque<PendingPatch> pending_;
  std::map<std::string, Document> documents_;
  std::map<std::string, Feed> feeds_;
  std::map<std::string, Order> orders_;
  std::map<std::string, PageToken> page_tokens_;
  int64_t next_id_ = 1;
  std::mt19937_64 random_{std::random_device{}()};
  std::vector<Recorded> requests_;
};

// The answers every fake SP-API handler shares (fake_amazon.cc).
namespace amazon_fake {
// {"errors":[{"code","message","details"}]} with `status`.
HttpAnswer Errors(int status, const std::string& code, const std::string& message,
                  const std::string& details = "");
HttpAnswer InvalidInput(const std::string& details = "");
// Unix epoch ms <-> ISO 8601 ("2026-12-01T10:00:05Z"; fractions and offsets read).
std::string Iso8601(int64_t ms);
std::optional<int64_t> ParseIso8601(const std::string& text);
int64_t NowMs();
// A path segment, percent-decoded ('+' stays '+'); nullopt on a bad escape.
std::optional<std::string> DecodeSegment(const std::string& segment);
}  // namespace amazon_fake

}  // namespace stockd::fakes

#endif  // STOCKD_TESTS_FAKES_AMAZON_FAKE_AMAZON_H_
