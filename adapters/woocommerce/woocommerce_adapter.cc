// WooCommerceAdapter: config and the paced, authenticated call (woocommerce_adapter.h).
// Push: woocommerce_push.cc; look-up and Fetch: woocommerce_lookup.cc; orders:
// woocommerce_orders.cc.
#include "woocommerce_adapter.h"

#include <curl/curl.h>

#include <algorithm>
#include <utility>

namespace stockd::woocommerce {
namespace {

using stockd::adapters::CheckUrl;
using stockd::adapters::HttpError;
using stockd::adapters::IsRetryableStatus;
using stockd::adapters::Lower;
using stockd::adapters::Request;
using stockd::adapters::RetryAfterMs;
using stockd::sdk::Error;
using stockd::sdk::Json;
using stockd::sdk::LogLevel;

// Checks base_url: http(s), https unless the host is loopback, no userinfo, query or
// fragment. Returns it without trailing slashes.
std::string CheckBaseUrl(const std::string& url) {
  CheckUrl("base_url", url);
  CURLU* parsed = curl_url();
  char* scheme = nullptr;
  char* host = nullptr;
  char* user = nullptr;
  char* query = nullptr;
  char* fragment = nullptr;
  curl_url_set(parsed, CURLUPART_URL, url.c_str(), 0);
  curl_url_get(parsed, CURLUPART_SCHEME, &scheme, 0);
  curl_url_get(parsed, CURLUPART_HOST, &host, 0);
  const bool has_user = curl_url_get(parsed, CURLUPART_USER, &user, 0) == CURLUE_OK;
  const bool has_query = curl_url_get(parsed, CURLUPART_QUERY, &query, 0) == CURLUE_OK;
  const bool has_fragment = curl_url_get(parsed, CURLUPART_FRAGMENT, &fragment, 0) == CURLUE_OK;
  const std::string scheme_text = scheme != nullptr ? Lower(scheme) : "";
  const std::string host_text = host != nullptr ? Lower(host) : "";
  for (char* part : {scheme, host, user, query, fragment}) curl_free(part);
  curl_url_cleanup(parsed);
  const std::string shown = stockd::sdk::RedactUrl(url);
  if (has_user) {
    throw Error(
        "config: \"base_url\" must not hold credentials (use consumer_key_file and "
        "consumer_secret_file): \"" +
        shown + "\"");
  }
  if (has_query || has_fragment) {
    throw Error(
        "config: \"base_url\" must be the site's address without a query or fragment, "
        "got \"" +
        shown + "\"");
  }
  const bool loopback = host_text == "127.0.0.1" || host_text == "localhost" ||
                        host_text == "[::1]" || host_text == "::1";
  if (scheme_text != "https" && !loopback) {
    throw Error(
        "config: \"base_url\" must be https:// (WooCommerce accepts its API keys over "
        "HTTP Basic only on HTTPS), got \"" +
        shown + "\"");
  }
  std::string out = url;
  while (!out.empty() && out.back() == '/') out.pop_back();
  return out;
}

}  // namespace

std::string Describe(const Response& r) {
  const std::string text = ErrorText(r.body);
  return text.empty() ? HttpError(r) : "HTTP " + std::to_string(r.status) + ": " + text;
}

WooCommerceAdapter::Settings WooCommerceAdapter::ParseConfig(const Json& config) {
  stockd::sdk::RejectUnknownKeys(
      config, {"base_url", "consumer_key_file", "consumer_key_env", "consumer_secret_file",
               "consumer_secret_env", "mapping_file", "batch_size", "requests_per_second",
               "timeout_ms", "connect_timeout_ms", "orders_page_size", "orders_max_pages"});
  Settings s;
  s.base_url = CheckBaseUrl(stockd::sdk::RequireString(config, "base_url"));
  s.consumer_key = Credential::FromConfig(config, "consumer_key");
  s.consumer_secret = Credential::FromConfig(config, "consumer_secret");
  const std::string mapping_file = stockd::sdk::GetString(config, "mapping_file", "");
  if (!mapping_file.empty()) s.mapping = LoadProductMapping(mapping_file);
  s.batch_size = static_cast<size_t>(stockd::sdk::GetInt(config, "batch_size", 100, 1, kMaxBatch));
  s.requests_per_second =
      static_cast<double>(stockd::sdk::GetInt(config, "requests_per_second", 10, 1, 1000));
  s.http.timeout_ms = stockd::sdk::GetInt(config, "timeout_ms", 15'000, 1, 600'000);
  s.http.connect_timeout_ms = stockd::sdk::GetInt(config, "connect_timeout_ms", 5000, 1, 600'000);
  s.http.user_agent = "stockd-woocommerce/1";
  s.orders_page_size = stockd::sdk::GetInt(config, "orders_page_size", 100, 1, 100);
  s.orders_max_pages = stockd::sdk::GetInt(config, "orders_max_pages", 10, 1, 1000);
  return s;
}

WooCommerceAdapter::WooCommerceAdapter(const Json& config, stockd::sdk::Host host)
    : host_(host),
      settings_(ParseConfig(config)),
      http_(settings_.http, host),
      // Polite: one call at a time at most requests_per_second, no bursts.
      bucket_(settings_.requests_per_second, 1, host),
      pause_(host) {}

std::string WooCommerceAdapter::Url(const std::string& path) const {
  return settings_.base_url + "/wp-json/wc/v3/" + path;
}

std::string WooCommerceAdapter::PausedReason() {
  return pause_.Check([this] {
    const bool key = settings_.consumer_key.Reload();
    const bool secret = settings_.consumer_secret.Reload();
    return key || secret;
  });
}

WooCommerceAdapter::Answer WooCommerceAdapter::Call(const std::string& method,
                                                    const std::string& path,
                                                    const std::string& body) {
  Request request;
  request.method = method;
  request.url = Url(path);
  // Messages name the collection, not the query (a look-up's can hold 100 SKUs).
  request.shown_url = stockd::sdk::RedactUrl(Url(path.substr(0, path.find('?'))));
  request.body = body;
  const std::string what = method + " " + request.shown_url;
  Answer a;
  for (int attempt = 0; attempt < 2; ++attempt) {
    request.basic_auth = settings_.consumer_key.value() + ":" + settings_.consumer_secret.value();
    if (!bucket_.Acquire(1, settings_.http.timeout_ms)) {
      a.response = Response{};
      a.response.code = CURLE_OPERATION_TIMEDOUT;
      a.response.cancelled = host_.Cancelled();
      a.response.transport_error =
          what + (a.response.cancelled ? ": not sent, stockd is stopping"
                                       : ": not sent, requests_per_second leaves no room "
                                         "within timeout_ms");
      a.retry_after_ms = static_cast<int32_t>(std::min<int64_t>(bucket_.WaitMs(1), 86'400'000));
      return a;
    }
    a.response = http_.Perform(request);
    const Response& r = a.response;
    if (!r.answered()) {
      a.retry_after_ms = static_cast<int32_t>(backoff_.NextMs());
      return a;
    }
    if (r.status == 401 || r.status == 403) {
      bool changed = false;
      try {
        const bool key = settings_.consumer_key.Reload();
        const bool secret = settings_.consumer_secret.Reload();
        changed = key || secret;
      } catch (const std::exception& e) {
        host_.Log(LogLevel::kWarn, std::string("re-reading the credentials failed: ") + e.what());
      }
      if (attempt == 0 && changed) {
        host_.Count("credential_reloads");
        continue;
      }
      pause_.Fail(what + ": " + Describe(r));
      return a;
    }
    pause_.Succeeded();
    if (IsRetryableStatus(r.status)) {
      int32_t ms = RetryAfterMs(r.retry_after(), host_.NowMs());
      if (ms == 0) ms = static_cast<int32_t>(backoff_.NextMs());
      if (r.status == 429) {
        host_.Count("throttled");
        bucket_.PauseFor(ms);
      }
      a.retry_after_ms = ms;
    } else {
      backoff_.Reset();
    }
    return a;
  }
  return a;
}

std::optional<WooCommerceAdapter::Failure> WooCommerceAdapter::Failed(const Answer& answer,
                                                                      const std::string& what) {
  const Response& r = answer.response;
  if (!r.answered()) {
    host_.Count("retries");
    return Failure{true, answer.retry_after_ms, r.transport_error};
  }
  if (r.status >= 200 && r.status < 300) return std::nullopt;
  if (r.status == 401 || r.status == 403) {
    return Failure{true, static_cast<int32_t>(pause_.retry_after_ms()),
                   "channel paused, its credentials were refused: " + what + ": " + Describe(r)};
  }
  if (IsRetryableStatus(r.status)) {
    host_.Count("retries");
    return Failure{true, answer.retry_after_ms, what + ": " + Describe(r)};
  }
  return Failure{false, 0, what + ": " + Describe(r)};
}

}  // namespace stockd::woocommerce

STOCKD_ADAPTER(stockd::woocommerce::WooCommerceAdapter, "woocommerce",
               stockd::woocommerce::kMaxBatch, /*has_fetch=*/true, /*has_poll=*/true);
