#include "amazon/sp_api_client.h"

#include <algorithm>
#include <utility>

#include "amazon/amazon_api.h"

namespace stockd::amazon {

using adapters::RetryAfterMs;

SpApiClient::SpApiClient(HttpClient::Options http, adapters::OAuthToken::Options oauth,
                         stockd::sdk::Host host)
    : host_(host), http_(std::move(http), host), token_(std::move(oauth)), pause_(host) {}

std::string SpApiClient::PausedReason() {
  if (!pause_.paused() || probing_) return "";
  std::string reason = pause_.Check([this] { return token_.ReloadCredentials(); });
  probing_ = reason.empty();  // one call goes through to probe the API
  return reason;
}

int32_t SpApiClient::PauseRetryAfterMs() const {
  return static_cast<int32_t>(std::min<int64_t>(pause_.retry_after_ms(), INT32_MAX));
}

CallResult SpApiClient::Failure(CallResult::Kind kind, std::string message,
                                int32_t retry_after_ms) {
  CallResult result;
  result.kind = kind;
  result.message = std::move(message);
  result.retry_after_ms = retry_after_ms;
  return result;
}

CallResult SpApiClient::Send(TokenBucket* bucket, Request request, int64_t max_wait_ms,
                             const std::string& label) {
  const std::string& what = label;
  if (request.shown_url.empty()) {
    request.shown_url = stockd::sdk::RedactUrl(request.url.substr(0, request.url.find('?')));
  }
  const std::vector<std::string> base_headers = request.headers;
  for (int attempt = 0; attempt < 2; ++attempt) {
    const std::string paused = PausedReason();
    if (!paused.empty()) return Failure(CallResult::Kind::kPaused, paused, PauseRetryAfterMs());
    if (bucket != nullptr && bucket->WaitMs(1) > max_wait_ms) {
      const int64_t wait = bucket->WaitMs(1);
      return Failure(CallResult::Kind::kPaced,
                     what + ": not sent, the operation's rate limit (" +
                         FormatRate(bucket->rate()) + "/s) allows the next call in " +
                         std::to_string(wait) + " ms",
                     static_cast<int32_t>(std::min<int64_t>(wait, INT32_MAX)));
    }
    // The token first: a refresh's round trip must not come out of the operation's pace.
    const int64_t refreshes = token_.refreshes();
    const adapters::OAuthToken::Result token = token_.Get(http_);
    const bool fresh = token_.refreshes() != refreshes;
    if (fresh) host_.Count("token_refreshes", static_cast<double>(token_.refreshes() - refreshes));
    if (token.status == adapters::OAuthToken::Result::Status::kRejected) {
      probing_ = false;
      pause_.Fail(token.message);
      return Failure(CallResult::Kind::kPaused, token.message, PauseRetryAfterMs());
    }
    if (token.status != adapters::OAuthToken::Result::Status::kOk) {
      return Failure(CallResult::Kind::kTransport, token.message);
    }
    if (bucket != nullptr && !bucket->Acquire(1, max_wait_ms)) {
      return Failure(CallResult::Kind::kTransport, what + ": abandoned, stockd is stopping");
    }
    request.headers = base_headers;
    request.headers.push_back("x-amz-access-token: " + token.token);
    CallResult result;
    result.response = http_.Perform(request);
    const Response& r = result.response;
    if (!r.answered()) return Failure(CallResult::Kind::kTransport, r.transport_error);
    if (r.status == 403) {
      token_.Invalidate();
      if (attempt == 0 && !fresh) continue;  // maybe just expired: one more with a new token
      const std::string reason = what + ": HTTP 403: " + ErrorsText(r.body);
      probing_ = false;
      pause_.Fail(reason);
      return Failure(CallResult::Kind::kPaused, reason, PauseRetryAfterMs());
    }
    probing_ = false;
    pause_.Succeeded();
    if (r.status == 429) {
      host_.Count("throttled");
      int64_t ms = RetryAfterMs(r.retry_after(), host_.NowMs());
      if (ms <= 0) ms = backoff_.NextMs();
      if (bucket != nullptr) bucket->PauseFor(ms);
      return Failure(CallResult::Kind::kThrottled, what + ": HTTP 429: " + ErrorsText(r.body),
                     static_cast<int32_t>(ms));
    }
    if (r.status >= 200 && r.status < 300) backoff_.Reset();
    return result;
  }
  return Failure(CallResult::Kind::kTransport, what + ": no attempt left");  // not reached
}

CallResult SpApiClient::SendPresigned(Request request) {
  CallResult result;
  result.response = http_.Perform(request);
  if (!result.response.answered()) {
    return Failure(CallResult::Kind::kTransport, result.response.transport_error);
  }
  return result;
}

}  // namespace stockd::amazon
