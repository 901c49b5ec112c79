#include "amazon/amazon_adapter.h"

#include <curl/curl.h>

#include <algorithm>
#include <unordered_set>
#include <utility>

#include "amazon/amazon_api.h"
#include "common/http_client.h"

namespace stockd::amazon {
namespace {

using adapters::CheckUrl;
using adapters::Credential;
using adapters::IsRetryableStatus;
using adapters::Lower;
using stockd::sdk::Error;
using stockd::sdk::Item;
using stockd::sdk::Json;
using stockd::sdk::LogLevel;
using stockd::sdk::PushResult;

// An https:// URL, or http:// to this machine only (a local fake or proxy): the LWA token
// and the seller's data never cross a network in clear text.
std::string SecureUrl(const Json& config, const char* key, const std::string& fallback) {
  std::string url = fallback.empty() ? stockd::sdk::RequireString(config, key)
                                     : stockd::sdk::GetString(config, key, fallback);
  CheckUrl(key, url);
  while (!url.empty() && url.back() == '/') url.pop_back();
  if (Lower(url.substr(0, 8)) == "https://") return url;
  CURLU* parsed = curl_url();
  char* host = nullptr;
  std::string host_text;
  if (parsed != nullptr && curl_url_set(parsed, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK &&
      curl_url_get(parsed, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
    host_text = Lower(host);
  }
  curl_free(host);
  curl_url_cleanup(parsed);
  if (host_text != "127.0.0.1" && host_text != "localhost" && host_text != "[::1]") {
    throw Error(std::string("config: \"") + key + "\" must be https:// (http:// only to " +
                "127.0.0.1 or localhost), got \"" + stockd::sdk::RedactUrl(url) + "\"");
  }
  return url;
}

// Amazon's ids (seller, marketplace) are upper-case letters and digits.
std::string AmazonId(const Json& config, const char* key) {
  const std::string id = stockd::sdk::RequireString(config, key);
  const bool ok = id.size() <= 32 && std::all_of(id.begin(), id.end(), [](char c) {
                    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
                  });
  if (!ok)
    throw Error(std::string("config: \"") + key + "\" must be an Amazon id (A-Z 0-9), got \"" + id +
                "\"");
  return id;
}

double GetNumber(const Json& config, const char* key, double fallback, double min, double max) {
  const auto it = config.find(key);
  if (it == config.end() || it->is_null()) return fallback;
  if (!it->is_number() || it->get<double>() < min || it->get<double>() > max) {
    throw Error(std::string("config: \"") + key + "\" must be a number in [" + std::to_string(min) +
                ", " + std::to_string(max) + "], got " + it->dump());
  }
  return it->get<double>();
}

}  // namespace

AmazonAdapter::Settings AmazonAdapter::ParseConfig(const Json& config) {
  Settings s;
  // First, so that an inline secret is refused as such, not as an unknown key.
  s.oauth.client_secret = Credential::FromConfig(config, "client_secret");
  s.oauth.refresh_token = Credential::FromConfig(config, "refresh_token");
  stockd::sdk::RejectUnknownKeys(config, {"endpoint",
                                          "seller_id",
                                          "marketplace_id",
                                          "token_url",
                                          "client_id",
                                          "client_secret_file",
                                          "client_secret_env",
                                          "refresh_token_file",
                                          "refresh_token_env",
                                          "product_type",
                                          "fulfillment_channel_code",
                                          "requests_per_second",
                                          "burst",
                                          "feed_threshold",
                                          "feed_timeout_ms",
                                          "timeout_ms",
                                          "connect_timeout_ms",
                                          "orders_page_size",
                                          "orders_max_pages",
                                          "orders_requests_per_second",
                                          "orders_burst",
                                          "mapping_file"});
  s.endpoint = SecureUrl(config, "endpoint", "");
  s.seller_id = AmazonId(config, "seller_id");
  s.marketplace_id = AmazonId(config, "marketplace_id");
  s.oauth.token_url = SecureUrl(config, "token_url", "https://api.amazon.com/auth/o2/token");
  s.oauth.client_id = stockd::sdk::RequireString(config, "client_id");
  s.oauth.basic_auth = false;  // LWA takes the client id and secret in the form body
  s.product_type = stockd::sdk::GetString(config, "product_type", "PRODUCT");
  s.channel_code = stockd::sdk::GetString(config, "fulfillment_channel_code", "DEFAULT");
  if (s.product_type.empty()) throw Error("config: \"product_type\" must not be empty");
  if (s.channel_code.empty()) throw Error("config: \"fulfillment_channel_code\" must not be empty");
  s.requests_per_second = GetNumber(config, "requests_per_second", 5, 0.001, 1000);
  s.burst = GetNumber(config, "burst", 5, 1, 10);
  s.feed_threshold = stockd::sdk::GetInt(config, "feed_threshold", 200, 1, 1'000'000);
  s.feed_timeout_ms = stockd::sdk::GetInt(config, "feed_timeout_ms", 600'000, 1000, 3'600'000);
  s.http.timeout_ms = stockd::sdk::GetInt(config, "timeout_ms", 10'000, 1, 600'000);
  s.http.connect_timeout_ms = stockd::sdk::GetInt(config, "connect_timeout_ms", 3000, 1, 600'000);
  s.http.user_agent = "stockd-amazon/1 (Language=C++)";
  s.orders_page_size = stockd::sdk::GetInt(config, "orders_page_size", 100, 1, 100);
  s.orders_max_pages = stockd::sdk::GetInt(config, "orders_max_pages", 10, 1, 1000);
  // searchOrders' usage plan: Amazon's default 0.0056/s burst 20 (a poll every ~3 min);
  // raised only for an app granted more (or a fake).
  s.orders_requests_per_second =
      GetNumber(config, "orders_requests_per_second", 0.0056, 0.0001, 1000);
  s.orders_burst = GetNumber(config, "orders_burst", 20, 1, 100);
  const std::string mapping_file = stockd::sdk::GetString(config, "mapping_file", "");
  if (!mapping_file.empty()) {
    for (auto& [sku, ids] : adapters::LoadMappingFile(mapping_file, 1, "sku,seller_sku")) {
      s.mapping.emplace(sku, ids.front());
    }
  }
  return s;
}

AmazonAdapter::AmazonAdapter(const Json& config, stockd::sdk::Host host)
    : host_(host),
      settings_(ParseConfig(config)),
      client_(settings_.http, settings_.oauth, host),
      patch_bucket_(settings_.requests_per_second, settings_.burst, host),
      read_bucket_(settings_.requests_per_second, settings_.burst, host),
      orders_bucket_(settings_.orders_requests_per_second, settings_.orders_burst, host) {}

std::string AmazonAdapter::SellerSku(std::string_view listing_id) const {
  const auto it = settings_.mapping.find(std::string(listing_id));
  return it == settings_.mapping.end() ? std::string(listing_id) : it->second;
}

std::string AmazonAdapter::ListingUrl(const std::string& sku) {
  HttpClient& http = client_.http();
  return settings_.endpoint + "/listings/2021-08-01/items/" + http.Escape(settings_.seller_id) +
         "/" + http.Escape(sku);
}

void AmazonAdapter::RetryRest(const std::vector<Pending>& pending, size_t from,
                              const std::string& message, int32_t retry_after_ms,
                              std::vector<PushResult>* results) {
  for (size_t k = from; k < pending.size(); ++k) {
    (*results)[pending[k].index] =
        PushResult::Retry(k == from ? message : "not sent: " + message, retry_after_ms);
  }
}

std::vector<PushResult> AmazonAdapter::Push(const std::vector<Item>& items) {
  std::vector<PushResult> results(items.size());
  const std::string paused = client_.PausedReason();
  if (!paused.empty()) {
    for (PushResult& r : results) r = PushResult::Retry(paused, client_.PauseRetryAfterMs());
    return results;
  }
  std::vector<Pending> pending;
  std::vector<std::string> unknown;
  std::unordered_set<std::string> asked;
  for (size_t i = 0; i < items.size(); ++i) {
    Pending p{i, SellerSku(items[i].listing_id), items[i].quantity};
    if (p.sku.empty()) {
      results[i] = PushResult::Permanent("amazon: the listing id is empty");
      continue;
    }
    if (skus_.Find(p.sku) == nullptr && !skus_.KnownMissing(p.sku) && asked.insert(p.sku).second) {
      unknown.push_back(p.sku);
    }
    pending.push_back(std::move(p));
  }
  std::string failure;
  int32_t retry_after_ms = 0;
  if (!unknown.empty()) Lookup(unknown, nullptr, &failure, &retry_after_ms);
  std::vector<Pending> known;
  for (Pending& p : pending) {
    if (skus_.Find(p.sku) != nullptr) {
      known.push_back(std::move(p));
    } else if (skus_.KnownMissing(p.sku)) {
      results[p.index] = PushResult::Permanent("amazon has no listing with SKU " + p.sku);
      host_.Count("unmapped");
    } else {
      results[p.index] =
          PushResult::Retry("looking up SKU " + p.sku + ": " + failure, retry_after_ms);
    }
  }
  if (known.empty()) return results;
  if (static_cast<int64_t>(known.size()) >= settings_.feed_threshold) {
    PushByFeed(known, &results);
  } else {
    PushByPatch(known, &results);
  }
  return results;
}

void AmazonAdapter::PushByPatch(const std::vector<Pending>& pending,
                                std::vector<PushResult>* results) {
  const std::string query =
      "?marketplaceIds=" + client_.http().Escape(settings_.marketplace_id) + "&issueLocale=en_US";
  for (size_t k = 0; k < pending.size(); ++k) {
    const Pending& p = pending[k];
    if (host_.Cancelled()) {
      RetryRest(pending, k, "abandoned, stockd is stopping", 0, results);
      return;
    }
    Request request;
    request.method = "PATCH";
    request.url = ListingUrl(p.sku) + query;
    request.body = PatchBody(settings_.product_type, settings_.channel_code, p.quantity);
    const std::string what = "PATCH SKU " + p.sku;
    const CallResult call = client_.Send(&patch_bucket_, std::move(request), kMaxPaceWaitMs, what);
    if (!call.answered()) {
      RetryRest(pending, k, call.message, call.retry_after_ms, results);
      return;
    }
    const Response& r = call.response;
    PushResult& result = (*results)[p.index];
    if (r.status >= 200 && r.status < 300) {
      try {
        const Submission submission = ParseSubmission(r.body, what);
        if (submission.accepted) {
          result = PushResult::Ok();
        } else {
          result = PushResult::Permanent("amazon rejected SKU " + p.sku + ": " + submission.issues);
          host_.Count("items_rejected");
        }
      } catch (const Error& e) {
        result = PushResult::Retry(e.what());
      }
    } else if (r.status == 404) {
      skus_.PutMissing(p.sku);
      result = PushResult::Permanent("amazon has no listing with SKU " + p.sku);
      host_.Count("unmapped");
    } else if (IsRetryableStatus(r.status)) {
      RetryRest(pending, k, what + ": HTTP " + std::to_string(r.status) + ": " + ErrorsText(r.body),
                0, results);
      return;
    } else {
      result = PushResult::Permanent(what + ": HTTP " + std::to_string(r.status) + ": " +
                                     ErrorsText(r.body));
      host_.Count("items_rejected");
      host_.Log(LogLevel::kWarn, result.message);
    }
  }
}

}  // namespace stockd::amazon

STOCKD_ADAPTER(stockd::amazon::AmazonAdapter, "amazon", stockd::amazon::kMaxBatch,
               /*has_fetch=*/true, /*has_poll=*/true);
