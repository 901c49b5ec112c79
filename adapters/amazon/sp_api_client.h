// One Selling Partner API call at a time: paced by the operation's token bucket, signed
// with a Login with Amazon access token (header x-amz-access-token, refreshed before it
// expires and once after a 403), throttling handled without Retry-After, and the channel
// paused (common/auth_pause.h) when Amazon refuses the credentials for good.
//
// API facts relied on: SP-API answers an expired, revoked or missing token with 403
// {"errors":[{"code":"Unauthorized",...}]}; throttling is 429 {"errors":[{"code":
// "QuotaExceeded"}]} WITHOUT Retry-After (x-amzn-RateLimit-Limit at most), so the back-off
// is ours; usage plans are per operation (each has its own bucket, owned by the caller).
// LWA: POST token_url grant_type=refresh_token&refresh_token&client_id&client_secret ->
// {access_token "Atza|...", expires_in 3600}; 400 invalid_grant / 401 invalid_client when
// the credentials are wrong (common/oauth.h).
//
// Thread safety: one thread at a time (an adapter instance's).
#ifndef STOCKD_ADAPTERS_AMAZON_SP_API_CLIENT_H_
#define STOCKD_ADAPTERS_AMAZON_SP_API_CLIENT_H_

#include <cstdint>
#include <string>

#include "common/auth_pause.h"
#include "common/http_client.h"
#include "common/oauth.h"
#include "common/pacing.h"
#include "stockd/adapter_sdk.h"

namespace stockd::amazon {

using adapters::HttpClient;
using adapters::Request;
using adapters::Response;
using adapters::TokenBucket;

struct CallResult {
  enum class Kind {
    kAnswered,   // an HTTP answer other than 403/429 (`response`)
    kTransport,  // no answer (`message`); or the token endpoint failed transiently
    kPaused,     // the credentials are refused: the channel is paused (`message`)
    kPaced,      // the operation's bucket has no token soon enough (`retry_after_ms`)
    kThrottled,  // 429: the bucket is paused for `retry_after_ms`
  };
  Kind kind = Kind::kAnswered;
  Response response;
  std::string message;
  int32_t retry_after_ms = 0;

  bool answered() const { return kind == Kind::kAnswered; }
  bool ok() const { return answered() && response.status >= 200 && response.status < 300; }
};

class SpApiClient {
 public:
  SpApiClient(HttpClient::Options http, adapters::OAuthToken::Options oauth,
              stockd::sdk::Host host);

  // "" when calls may go ahead; otherwise why the channel is paused (re-reads the
  // credential files: a rewritten file, or a minute since the refusal, lets one probe
  // through; the probe's outcome resumes the channel or keeps it paused).
  std::string PausedReason();
  // How long a paused channel's pushes should wait.
  int32_t PauseRetryAfterMs() const;

  // `request` (url, method, body; no token) paced by `bucket` (waiting at most
  // `max_wait_ms`), signed, sent; a 403 refreshes the token and sends it once more.
  // `label` ("patchListingsItem SKU-1") starts the messages of refusals and throttling;
  // transport errors name the URL without its query.
  CallResult Send(TokenBucket* bucket, Request request, int64_t max_wait_ms,
                  const std::string& label);
  // A presigned URL (feed documents): no token, no pacing, no auth handling.
  CallResult SendPresigned(Request request);

  HttpClient& http() { return http_; }

 private:
  CallResult Failure(CallResult::Kind kind, std::string message, int32_t retry_after_ms = 0);

  stockd::sdk::Host host_;
  HttpClient http_;
  adapters::OAuthToken token_;
  adapters::AuthPause pause_;
  adapters::Backoff backoff_{1000, 60'000};
  bool probing_ = false;  // paused, but one call may probe whether the credentials work now
};

}  // namespace stockd::amazon

#endif  // STOCKD_ADAPTERS_AMAZON_SP_API_CLIENT_H_
