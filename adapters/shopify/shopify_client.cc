// GraphqlClient (shopify_client.h): one paced, authenticated, classified GraphQL call.
#include "shopify_client.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace stockd::shopify {
namespace {

using stockd::adapters::HttpError;
using stockd::adapters::IsRetryableStatus;
using stockd::adapters::Request;
using stockd::adapters::Response;
using stockd::adapters::RetryAfterMs;
using Result = GraphqlClient::Result;

// Until the first answer says otherwise: the bucket of the older documentation, the
// smallest Shopify has had (1,000 points, restored at 50 a second).
constexpr double kInitialRestoreRate = 50;
constexpr double kInitialBucket = 1000;

Result Retry(std::string message, int64_t retry_after_ms = 0) {
  Result r;
  r.kind = Result::Kind::kRetry;
  r.message = std::move(message);
  r.retry_after_ms = static_cast<int32_t>(std::clamp<int64_t>(retry_after_ms, 0, 86'400'000));
  return r;
}

// "HTTP <status>: <what Shopify says>" (its errors when the body has them).
std::string Why(const Response& r, const Json& answer) {
  if (answer.is_object() && answer.contains("errors")) {
    return "HTTP " + std::to_string(r.status) + ": " + ErrorsText(answer);
  }
  return HttpError(r);
}

Result Rejected(std::string message, std::string code = "") {
  Result r;
  r.kind = Result::Kind::kRejected;
  r.message = std::move(message);
  r.code = std::move(code);
  return r;
}

}  // namespace

GraphqlClient::GraphqlClient(Options options, stockd::adapters::Credential token,
                             stockd::sdk::Host host)
    : options_(std::move(options)),
      shown_endpoint_(stockd::sdk::RedactUrl(options_.endpoint)),
      token_(std::move(token)),
      host_(host),
      pause_(host),
      bucket_(kInitialRestoreRate, kInitialBucket, host),
      backoff_(100, 2000),
      http_(options_.http, host) {}

bool GraphqlClient::ReloadToken() {
  try {
    return token_.Reload();
  } catch (const stockd::sdk::Error& e) {
    host_.Log(stockd::sdk::LogLevel::kWarn,
              std::string("cannot re-read the access token: ") + e.what());
    return false;
  }
}

std::string GraphqlClient::PausedReason() {
  if (probing_) return "";
  std::string reason = pause_.Check([this] { return token_.Reload(); });
  // A probe is granted once (Check re-reads the token only once it changed): keep it for
  // the call that follows, e.g. a push's look-up after the push's own check.
  probing_ = reason.empty() && pause_.paused();
  return reason;
}

int64_t GraphqlClient::ThrottleWaitMs(const Cost& cost, double requested,
                                      const Response& response) {
  if (cost.present && cost.restore_rate > 0) {
    const double need = std::max(cost.requested, requested) - cost.available;
    return std::max<int64_t>(50, static_cast<int64_t>(std::ceil(need / cost.restore_rate * 1000)));
  }
  const int32_t header = RetryAfterMs(response.retry_after(), host_.NowMs());
  return header > 0 ? header : backoff_.NextMs();
}

Result GraphqlClient::Call(const std::string& operation, const std::string& query,
                           const Json& variables, double cost, int64_t max_wait_ms) {
  const std::string paused = PausedReason();
  if (!paused.empty()) {
    Result r;
    r.kind = Result::Kind::kPaused;
    r.message = paused;
    r.retry_after_ms = static_cast<int32_t>(pause_.retry_after_ms());
    return r;
  }
  Request request;
  request.method = "POST";
  request.url = options_.endpoint;
  request.shown_url = shown_endpoint_;
  request.body = Json{{"query", query}, {"variables", variables}}.dump(
      -1, ' ', false, Json::error_handler_t::replace);
  const std::string what = operation + " (POST " + shown_endpoint_ + ")";

  bool resent_after_failure = false;
  bool resent_after_throttle = false;
  bool resent_with_new_token = false;
  while (true) {
    const double need = cost + options_.min_available;
    if (!bucket_.Acquire(need, max_wait_ms)) {
      if (host_.Cancelled()) return Retry(what + ": abandoned, stockd is stopping");
      return Retry(what + ": waiting for Shopify's rate limit (cost " +
                       std::to_string(static_cast<int64_t>(cost)) + " points)",
                   bucket_.WaitMs(need));
    }
    request.headers = {"X-Shopify-Access-Token: " + token_.value()};
    const Response r = http_.Perform(request);
    probing_ = false;
    if (!r.answered()) {
      if (!r.cancelled && !resent_after_failure) {
        resent_after_failure = true;
        host_.Count("retries");
        if (stockd::adapters::SleepUnlessCancelled(host_, backoff_.NextMs())) continue;
      }
      return Retry(r.transport_error);
    }
    const std::string served = r.Header("x-shopify-api-version");
    if (!version_warned_ && !served.empty() && served != options_.api_version) {
      // Shopify serves an unsupported version as the oldest one it still supports.
      version_warned_ = true;
      host_.Log(stockd::sdk::LogLevel::kWarn, "Shopify answers with API version " + served +
                                                  ", not the configured " + options_.api_version +
                                                  " (no longer supported?): set api_version");
    }
    const Json answer = Json::parse(r.body, nullptr, /*allow_exceptions=*/false);
    const Cost observed = ReadCost(answer);
    if (observed.present) {
      bucket_.Observe(observed.available, observed.maximum, observed.restore_rate);
    }

    if (r.status == 401 || r.status == 403) {
      const std::string reason = what + ": " + Why(r, answer);
      if (!resent_with_new_token && ReloadToken()) {
        resent_with_new_token = true;
        host_.Count("token_refreshes");
        host_.Log(
            stockd::sdk::LogLevel::kInfo,
            operation + ": the access token was refused; trying the one now in " + token_.source());
        continue;
      }
      pause_.Fail(reason);
      Result p;
      p.kind = Result::Kind::kPaused;
      p.message = reason;
      p.retry_after_ms = static_cast<int32_t>(pause_.retry_after_ms());
      return p;
    }
    if ((answer.is_object() && IsThrottled(answer)) || r.status == 429) {
      host_.Count("throttled");
      const int64_t wait = ThrottleWaitMs(observed, cost, r);
      if (!resent_after_throttle && wait < options_.max_throttle_wait_ms) {
        resent_after_throttle = true;
        host_.Count("retries");
        // The next Acquire waits it out (and sees a stop): from the observed bucket when the
        // answer said how full it is, else for the Retry-After or backoff.
        if (!observed.present) bucket_.PauseFor(wait);
        continue;
      }
      return Retry(what + ": throttled by Shopify (cost " +
                       std::to_string(static_cast<int64_t>(cost)) + " points)",
                   wait);
    }
    if (r.status == 402 || r.status == 423) {
      // 402: the shop's plan is frozen or unpaid; 423: the shop is locked. The data is fine.
      return Retry(what + ": " + Why(r, answer), 60'000);
    }
    if (IsRetryableStatus(r.status)) {
      if (!resent_after_failure) {
        resent_after_failure = true;
        host_.Count("retries");
        if (stockd::adapters::SleepUnlessCancelled(host_, backoff_.NextMs())) continue;
      }
      return Retry(what + ": " + Why(r, answer), RetryAfterMs(r.retry_after(), host_.NowMs()));
    }
    if (r.status != 200) return Rejected(what + ": " + Why(r, answer));
    if (!answer.is_object()) return Retry(what + ": the answer is not a JSON object");
    pause_.Succeeded();
    backoff_.Reset();

    const auto errors = answer.find("errors");
    if (errors != answer.end() && !errors->is_null()) {
      const std::string code = FirstErrorCode(answer);
      if (code == "INTERNAL_SERVER_ERROR" || code == "SERVICE_UNAVAILABLE") {
        return Retry(what + ": " + ErrorsText(answer));
      }
      return Rejected(what + ": " + ErrorsText(answer), code);
    }
    const auto data = answer.find("data");
    if (data == answer.end() || !data->is_object()) {
      return Rejected(what + ": the answer has no data");
    }
    Result ok;
    ok.data = *data;
    return ok;
  }
}

}  // namespace stockd::shopify
