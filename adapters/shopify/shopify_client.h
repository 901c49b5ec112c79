// One Shopify Admin GraphQL call, done the way every part of the Shopify adapter needs it:
// paced, authenticated, throttle-aware, and classified.
//
//  * Pacing: a TokenBucket mirrors the app's cost bucket on the shop. Before a call it
//    waits until the call's requested cost (plus `min_available`, the points kept free for
//    other callers such as the order poller) is there; after every answer it adopts the
//    server's extensions.cost.throttleStatus (Observe), so calls are rarely throttled.
//  * Throttled (errors[].extensions.code THROTTLED, HTTP 200 or 429): counted "throttled";
//    the call waits (requested - currentlyAvailable) / restoreRate once and is sent again
//    when that is short (< max_throttle_wait_ms), else it is a Retry after that time.
//  * Transport failure, 5xx: sent once more (the same bytes: a mutation keeps its
//    idempotency key, so Shopify answers a replay with the first result), then Retry.
//  * 401/403: the access token is re-read from its file or variable; a changed token is
//    tried once ("token_refreshes"); still refused, the channel pauses (AuthPause: one loud
//    error, "auth_failures") and every call answers kPaused until the credential changes.
//  * Any other refusal (a GraphQL error such as MAX_COST_EXCEEDED or ACCESS_DENIED, a 4xx)
//    is kRejected with Shopify's message.
//
// The access token travels only in the X-Shopify-Access-Token header, never in a message.
//
// Thread safety: one thread at a time (an adapter instance's).
#ifndef STOCKD_ADAPTERS_SHOPIFY_SHOPIFY_CLIENT_H_
#define STOCKD_ADAPTERS_SHOPIFY_SHOPIFY_CLIENT_H_

#include <cstdint>
#include <string>

#include "common/auth_pause.h"
#include "common/credentials.h"
#include "common/http_client.h"
#include "common/pacing.h"
#include "shopify_api.h"
#include "stockd/adapter_sdk.h"

namespace stockd::shopify {

class GraphqlClient {
 public:
  struct Options {
    std::string endpoint;      // https://<shop>.myshopify.com/admin/api/<version>/graphql.json
    std::string api_version;   // the version in `endpoint`
    double min_available = 0;  // points every call leaves in the bucket
    int64_t max_throttle_wait_ms = 2000;
    stockd::adapters::HttpClient::Options http;
  };

  struct Result {
    enum class Kind {
      kOk,        // `data` is the answer's data
      kRetry,     // transient: try again after retry_after_ms (0: the caller's backoff)
      kRejected,  // Shopify refused the call itself: `message`, `code`
      kPaused,    // the channel is paused: its credentials were refused
    };
    Kind kind = Kind::kOk;
    Json data;
    std::string message;
    std::string code;
    int32_t retry_after_ms = 0;

    bool ok() const { return kind == Kind::kOk; }
  };

  GraphqlClient(Options options, stockd::adapters::Credential token, stockd::sdk::Host host);

  // Calls `query` with `variables`, whose requested cost is `cost` points, waiting for the
  // bucket at most `max_wait_ms`. `operation` names the call in messages.
  Result Call(const std::string& operation, const std::string& query, const Json& variables,
              double cost, int64_t max_wait_ms);

  // "" when calls may go out; otherwise why the channel is paused (re-reads the token: a
  // rewritten credential file lets the next call probe the API, and a success resumes it).
  std::string PausedReason();
  int64_t pause_retry_after_ms() const { return pause_.retry_after_ms(); }

 private:
  bool ReloadToken();
  int64_t ThrottleWaitMs(const Cost& cost, double requested,
                         const stockd::adapters::Response& response);

  Options options_;
  std::string shown_endpoint_;
  stockd::adapters::Credential token_;
  stockd::sdk::Host host_;
  stockd::adapters::AuthPause pause_;
  bool probing_ = false;  // a paused channel's next call may go out (PausedReason said so)
  bool version_warned_ = false;
  stockd::adapters::TokenBucket bucket_;
  stockd::adapters::Backoff backoff_;
  stockd::adapters::HttpClient http_;
};

}  // namespace stockd::shopify

#endif  // STOCKD_ADAPTERS_SHOPIFY_SHOPIFY_CLIENT_H_
