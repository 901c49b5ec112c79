// The eBay adapter: publishes quantities to eBay listings through the Sell Inventory API
// (bulkUpdatePriceQuantity, 25 listings a call), reads them back (getInventoryItem) and
// polls the seller's orders (Fulfillment API getOrders). The API facts it relies on are in
// ebay_api.h; the config keys and what an operator sets up on eBay's side are in
// adapters/README.md ("The eBay plugin").
//
// Listings. A push item's listing id is the seller's SKU on eBay. The adapter resolves it
// to the offer (the listing on the configured marketplace) with getOffers, caches it
// (SkuCache; a SKU eBay does not have is remembered as missing for 10 minutes), or takes it
// from `mapping_file` (CSV sku,offer_id), which wins. A SKU eBay does not have is answered
// PERMANENT "eBay has no listing with SKU X" and counted "unmapped"; it is never pushed.
//
// Revisions. eBay allows 250 revisions of a listing a day; RevisionBudget
// (ebay_revisions.h) keeps each offer to one revision per coalescing window, to the daily
// limit, and spreads the last `revision_reserve` over the rest of the day. A push it holds
// back is answered RETRY after the time left, so the daemon sends its newest number then.
// The counts are in memory; when eBay itself refuses for its cap (after a restart), the
// listing is held back an hour at a time until midnight UTC (kCapRecheckMs).
//
// Auth. An OAuth user token minted from the seller's refresh token (HTTP Basic client
// credentials), refreshed before it expires and after a 401/403 (once); a refused refresh,
// or a 401/403 right after a fresh token, pauses the channel (AuthPause) until the
// credential files change.
//
// Pacing. Every API call (not the token refresh) takes a token of a TokenBucket at
// `requests_per_second` without burst, so calls are evenly spaced; a 429 pauses the bucket
// for eBay's Retry-After or an exponential backoff (1 s doubling to 60 s, jittered).
//
// Bounded time: every request has timeout_ms; a push spends at most kPushBudgetMs on
// look-ups, pacing and calls (what is left is answered RETRY); pacing waits and requests
// end early when the daemon is stopping.
//
// Thread safety: the ABI's contract: one thread at a time per instance.
#ifndef STOCKD_ADAPTERS_EBAY_EBAY_ADAPTER_H_
#define STOCKD_ADAPTERS_EBAY_EBAY_ADAPTER_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/auth_pause.h"
#include "common/credentials.h"
#include "common/http_client.h"
#include "common/mapping.h"
#include "common/oauth.h"
#include "common/pacing.h"
#include "ebay_api.h"
#include "ebay_revisions.h"
#include "stockd/adapter_sdk.h"

namespace stockd::ebay {

using stockd::adapters::HttpClient;
using stockd::adapters::Request;
using stockd::adapters::Response;

constexpr uint32_t kMaxBatch = 1000;       // items per Push; sent 25 a call
constexpr int64_t kPushBudgetMs = 30'000;  // a Push's time for look-ups, pacing and calls
// eBay refused a revision for its daily cap: try the listing again after this (or at
// midnight UTC, if sooner). eBay's "calendar day" need not be the UTC day.
constexpr int64_t kCapRecheckMs = 3'600'000;

class EbayAdapter final : public stockd::sdk::Adapter {
 public:
  // The config as create() checks it (ebay_config.cc). Reads the credential and mapping
  // files; no other side effect.
  struct Settings {
    std::string endpoint;   // https://api.ebay.com, no trailing slash
    std::string token_url;  // {endpoint}/identity/v1/oauth2/token
    std::string client_id;
    stockd::adapters::Credential client_secret;
    stockd::adapters::Credential refresh_token;
    std::string scopes;
    std::string marketplace_id;
    std::unordered_map<std::string, std::string> mapping;  // SKU -> offerId (mapping_file)
    RevisionBudget::Options revisions;
    int64_t requests_per_second = 5;
    int64_t orders_page_size = 100;
    int64_t orders_max_pages = 10;
    HttpClient::Options http;
  };

  static Settings ParseConfig(const stockd::sdk::Json& config);
  // The ABI's validate_config (stockd --check-config).
  static void ValidateConfig(const stockd::sdk::Json& config) { ParseConfig(config); }

  EbayAdapter(const stockd::sdk::Json& config, stockd::sdk::Host host);

  std::vector<stockd::sdk::PushResult> Push(const std::vector<stockd::sdk::Item>& items) override;
  // getInventoryItem per listing (ebay_fetch.cc): -1 where eBay has no such SKU.
  std::vector<int64_t> Fetch(const std::vector<std::string_view>& listing_ids) override;
  // getOrders since the cursor (ebay_orders.cc). The cursor is the latest lastModifiedDate
  // delivered (ISO 8601), queried inclusively; "" = as far back as eBay keeps (90 days).
  std::string PollOrders(std::string_view cursor, const stockd::sdk::OrderSink& sink) override;

 private:
  using Clock = std::chrono::steady_clock;

  // One API call through Send (ebay_session.cc).
  struct Call {
    enum class Kind {
      kAnswered,     // `response` holds what happened (a transport failure too)
      kNotSent,      // no token, or no pacing slot in time: `message`, `retry_after_ms`
      kAuthRefused,  // the credentials were refused: the channel is paused now
    };
    Kind kind = Kind::kAnswered;
    Response response;
    std::string message;
    int32_t retry_after_ms = 0;
  };
  // A SKU's offer (ebay_session.cc).
  struct Lookup {
    enum class Kind { kFound, kMissing, kRefused, kFailed };
    Kind kind = Kind::kFound;
    std::string offer_id;
    std::string message;  // kMissing: eBay's words; kRefused, kFailed: why
    int32_t retry_after_ms = 0;
  };
  struct Pending {
    size_t index = 0;  // in the Push's items
    PushLine line;
  };
  // The results of one Push as they are decided.
  struct PushState {
    std::vector<stockd::sdk::PushResult> results;
    std::vector<bool> decided;
    void Decide(size_t index, stockd::sdk::PushResult result) {
      results[index] = std::move(result);
      decided[index] = true;
    }
  };

  // Sends `request` with the bearer token, paced, waiting for a pacing slot until
  // `deadline`. A 401/403 invalidates the token and tries once more with a fresh one; a
  // refusal after that (or a refused refresh) pauses the channel.
  Call Send(Request request, Clock::time_point deadline);
  // "" when the API may be called; otherwise why the channel is paused.
  std::string PausedReason();
  Lookup ResolveOffer(const std::string& sku, Clock::time_point deadline);
  // What a failed answer says: eBay's errors, else the HTTP status and an excerpt.
  std::string AnswerError(const std::string& what, const Response& r) const;
  // A transient failure's wait: the answer's Retry-After, else the next backoff. A 429
  // also pauses the pacing bucket and counts "throttled".
  int32_t TransientDelay(const Response& r);

  // ebay_adapter.cc: sends one group (<= 25 distinct offers) and decides its items. A
  // 400 for a group of several is split in halves, so that one bad item does not reject
  // the others. Returns the RETRY result when eBay failed as a whole (unreachable, 429,
  // 5xx, paused): the caller sends nothing more and answers the rest with it.
  std::optional<stockd::sdk::PushResult> SendGroup(const std::vector<Pending>& group,
                                                   Clock::time_point deadline, PushState* state);
  void ReadLineAnswers(const std::vector<Pending>& group, const Response& r, PushState* state);

  stockd::sdk::Host host_;
  Settings settings_;
  std::string shown_endpoint_;
  HttpClient http_;
  stockd::adapters::OAuthToken oauth_;
  stockd::adapters::AuthPause pause_;
  stockd::adapters::TokenBucket bucket_;
  stockd::adapters::Backoff backoff_{1000, 60'000};
  stockd::adapters::SkuCache<std::string> offers_;  // SKU -> offerId
  RevisionBudget budget_;
};

}  // namespace stockd::ebay

#endif  // STOCKD_ADAPTERS_EBAY_EBAY_ADAPTER_H_
