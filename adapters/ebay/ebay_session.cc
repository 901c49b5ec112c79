// EbayAdapter's calls to eBay: the bearer token and its refresh, pacing, the channel
// pause after refused credentials, transient-failure delays, and the SKU -> offer look-up
// (getOffers).
#include <algorithm>
#include <string>

#include "ebay_adapter.h"

namespace stockd::ebay {

using stockd::adapters::HttpError;
using stockd::adapters::IsRetryableStatus;
using stockd::adapters::OAuthToken;
using stockd::adapters::RetryAfterMs;
using stockd::sdk::Error;

std::string EbayAdapter::PausedReason() {
  return pause_.Check([this] { return oauth_.ReloadCredentials(); });
}

EbayAdapter::Call EbayAdapter::Send(Request request, Clock::time_point deadline) {
  const std::string what = request.method + " " + request.shown_url;
  const std::vector<std::string> headers = request.headers;
  Call call;
  for (int attempt = 0; attempt < 2; ++attempt) {
    const int64_t refreshes = oauth_.refreshes();
    const OAuthToken::Result token = oauth_.Get(http_);
    const bool fresh = oauth_.refreshes() > refreshes;
    if (fresh) host_.Count("token_refreshes");
    if (token.status == OAuthToken::Result::Status::kRejected) {
      pause_.Fail(token.message);
      call.kind = Call::Kind::kAuthRefused;
      call.message = "channel paused, its credentials were refused: " + token.message;
      call.retry_after_ms = static_cast<int32_t>(pause_.retry_after_ms());
      return call;
    }
    if (token.status != OAuthToken::Result::Status::kOk) {
      call.kind = Call::Kind::kNotSent;
      call.message = "no eBay access token: " + token.message;
      call.retry_after_ms = static_cast<int32_t>(backoff_.NextMs());
      return call;
    }
    const int64_t wait_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (!bucket_.Acquire(1, std::max<int64_t>(0, wait_ms))) {
      call.kind = Call::Kind::kNotSent;
      call.message = host_.Cancelled() ? what + ": abandoned, stockd is stopping"
                                       : what + ": not sent, requests_per_second (" +
                                             std::to_string(settings_.requests_per_second) +
                                             ") leaves no slot within this call's time budget";
      call.retry_after_ms = static_cast<int32_t>(std::max<int64_t>(1, bucket_.WaitMs(1)));
      return call;
    }
    request.headers = headers;
    request.headers.push_back("Authorization: Bearer " + token.token);
    call.response = http_.Perform(request);
    const Response& r = call.response;
    if (r.answered() && (r.status == 401 || r.status == 403)) {
      if (attempt == 0 && !fresh) {
        oauth_.Invalidate();  // expired or revoked: mint a new one and try once more
        continue;
      }
      pause_.Fail(AnswerError(what, r));
      call.kind = Call::Kind::kAuthRefused;
      call.message = "channel paused, its credentials were refused: " + AnswerError(what, r);
      call.retry_after_ms = static_cast<int32_t>(pause_.retry_after_ms());
      return call;
    }
    if (r.answered()) pause_.Succeeded();
    call.kind = Call::Kind::kAnswered;
    return call;
  }
  return call;  // not reached: the second attempt always returns
}

std::string EbayAdapter::AnswerError(const std::string& what, const Response& r) const {
  if (!r.answered()) return r.transport_error;
  const std::string described = Describe(ParseErrors(r.body));
  return what + ": " +
         (described.empty() ? HttpError(r) : "HTTP " + std::to_string(r.status) + ": " + described);
}

int32_t EbayAdapter::TransientDelay(const Response& r) {
  int64_t delay = r.answered() ? RetryAfterMs(r.retry_after(), host_.NowMs()) : 0;
  if (delay <= 0) delay = backoff_.NextMs();
  if (r.answered() && r.status == 429) {
    host_.Count("throttled");
    bucket_.PauseFor(delay);
  }
  return static_cast<int32_t>(delay);
}

EbayAdapter::Lookup EbayAdapter::ResolveOffer(const std::string& sku, Clock::time_point deadline) {
  Lookup lookup;
  if (const auto mapped = settings_.mapping.find(sku); mapped != settings_.mapping.end()) {
    lookup.offer_id = mapped->second;
    return lookup;
  }
  if (const std::string* cached = offers_.Find(sku)) {
    lookup.offer_id = *cached;
    return lookup;
  }
  if (offers_.KnownMissing(sku)) {
    lookup.kind = Lookup::Kind::kMissing;
    lookup.message = "getOffers found none for " + settings_.marketplace_id + " recently";
    return lookup;
  }
  Request request;
  request.url = settings_.endpoint + "/sell/inventory/v1/offer?sku=" + http_.Escape(sku) +
                "&marketplace_id=" + settings_.marketplace_id;
  request.shown_url = shown_endpoint_ + "/sell/inventory/v1/offer";
  const std::string what = "GET " + request.shown_url;
  const Call call = Send(request, deadline);
  const Response& r = call.response;
  if (call.kind != Call::Kind::kAnswered || !r.answered()) {
    lookup.kind = Lookup::Kind::kFailed;
    lookup.message = call.kind != Call::Kind::kAnswered ? call.message : r.transport_error;
    lookup.retry_after_ms =
        call.kind != Call::Kind::kAnswered ? call.retry_after_ms : TransientDelay(r);
    return lookup;
  }
  if (r.status == 200) {
    try {
      lookup.offer_id = PickOfferId(r.body, settings_.marketplace_id);
    } catch (const Error& e) {
      lookup.kind = Lookup::Kind::kFailed;
      lookup.message = what + ": " + e.what();
      lookup.retry_after_ms = static_cast<int32_t>(backoff_.NextMs());
      return lookup;
    }
    if (lookup.offer_id.empty()) {
      offers_.PutMissing(sku);
      lookup.kind = Lookup::Kind::kMissing;
      lookup.message = "getOffers lists no offer for " + settings_.marketplace_id;
      return lookup;
    }
    offers_.Put(sku, lookup.offer_id);
    return lookup;
  }
  const std::vector<ApiError> errors = ParseErrors(r.body);
  const Verdict verdict = Classify(errors);
  const bool invalid_sku = std::any_of(errors.begin(), errors.end(), [](const ApiError& e) {
    return e.error_id == kInvalidValue || e.error_id == 25707 || e.error_id == 25708;
  });
  if (r.status == 404 || verdict == Verdict::kGone || (r.status == 400 && invalid_sku)) {
    offers_.PutMissing(sku);
    lookup.kind = Lookup::Kind::kMissing;
    lookup.message = errors.empty() ? HttpError(r) : Describe(errors);
    return lookup;
  }
  if (IsRetryableStatus(r.status) || verdict == Verdict::kRetry) {
    lookup.kind = Lookup::Kind::kFailed;
    lookup.message = AnswerError(what, r);
    lookup.retry_after_ms = TransientDelay(r);
    return lookup;
  }
  lookup.kind = Lookup::Kind::kRefused;
  lookup.message = AnswerError(what, r);
  return lookup;
}

}  // namespace stockd::ebay
