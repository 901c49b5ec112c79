// WooCommerceAdapter: config, the paced and authenticated call, and Push
// (woocommerce_adapter.h). Look-up and Fetch: woocommerce_lookup.cc; orders:
// woocommerce_orders.cc.
#include "woocommerce_adapter.h"

#include <curl/curl.h>

#include <algorithm>
#include <set>
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
using stockd::sdk::Item;
using stockd::sdk::Json;
using stockd::sdk::LogLevel;
using stockd::sdk::PushResult;

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

std::string Describe(const Response& r) {
  const std::string text = ErrorText(r.body);
  return text.empty() ? HttpError(r) : "HTTP " + std::to_string(r.status) + ": " + text;
}

PushResult Unmapped(stockd::sdk::Host host, const std::string& sku) {
  host.Count("unmapped");
  return PushResult::Permanent("woocommerce has no listing with SKU " + sku);
}

}  // namespace

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

std::vector<PushResult> WooCommerceAdapter::Push(const std::vector<Item>& items) {
  std::vector<PushResult> results(items.size());
  const std::string paused = PausedReason();
  if (!paused.empty()) {
    const auto after = static_cast<int32_t>(pause_.retry_after_ms());
    for (PushResult& r : results) r = PushResult::Retry(paused, after);
    return results;
  }
  // Resolve every listing id (the shop's SKU) to its ids.
  std::vector<ProductIds> ids(items.size());
  std::vector<bool> resolved(items.size(), false);
  std::vector<bool> decided(items.size(), false);
  std::vector<std::string> to_look_up;
  std::set<std::string> asked;
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string sku(items[i].listing_id);
    if (sku.empty()) {
      // products?sku= without a SKU lists every product: never look an empty one up.
      results[i] = PushResult::Permanent("woocommerce has no listing with SKU \"\"");
      host_.Count("unmapped");
      decided[i] = true;
    } else if (const auto m = settings_.mapping.find(sku); m != settings_.mapping.end()) {
      ids[i] = m->second;
      resolved[i] = true;
    } else if (const ProductIds* cached = cache_.Find(sku)) {
      ids[i] = *cached;
      resolved[i] = true;
    } else if (cache_.KnownMissing(sku)) {
      results[i] = Unmapped(host_, sku);
      decided[i] = true;
    } else if (asked.insert(sku).second) {
      to_look_up.push_back(sku);
    }
  }
  if (!to_look_up.empty()) {
    std::map<std::string, ProductInfo> found;
    const std::optional<Failure> failure = LookUp(to_look_up, &found);
    for (size_t i = 0; i < items.size(); ++i) {
      if (resolved[i] || decided[i]) continue;
      const std::string sku(items[i].listing_id);
      if (const auto f = found.find(sku); f != found.end()) {
        ids[i] = ProductIds{f->second.id, f->second.parent_id};
        resolved[i] = true;
      } else if (cache_.KnownMissing(sku)) {
        results[i] = Unmapped(host_, sku);
      } else if (failure.has_value()) {
        results[i] = failure->retry
                         ? PushResult::Retry("SKU look-up failed: " + failure->message,
                                             failure->retry_after_ms)
                         : PushResult::Permanent("SKU look-up failed: " + failure->message);
      } else {
        results[i] = PushResult::Retry("SKU " + sku + " was not looked up");
      }
    }
  }
  // One batch call per parent (products/batch for 0), batch_size items a call.
  std::map<int64_t, std::vector<size_t>> groups;
  for (size_t i = 0; i < items.size(); ++i) {
    if (resolved[i]) groups[ids[i].parent_id].push_back(i);
  }
  std::optional<PushResult> stopped;
  for (const auto& [parent, members] : groups) {
    for (size_t start = 0; start < members.size(); start += settings_.batch_size) {
      const std::vector<size_t> chunk(
          members.begin() + static_cast<std::ptrdiff_t>(start),
          members.begin() +
              static_cast<std::ptrdiff_t>(std::min(members.size(), start + settings_.batch_size)));
      if (!stopped && host_.Cancelled()) {
        stopped = PushResult::Retry("stockd is stopping");
      }
      if (stopped) {
        for (size_t i : chunk) {
          results[i] = PushResult::Retry("not sent: " + stopped->message, stopped->retry_after_ms);
        }
        continue;
      }
      if (!PushBatch(items, parent, chunk, ids, &results)) stopped = results[chunk.back()];
    }
  }
  return results;
}

bool WooCommerceAdapter::PushBatch(const std::vector<Item>& items, int64_t parent,
                                   const std::vector<size_t>& indices,
                                   const std::vector<ProductIds>& ids,
                                   std::vector<PushResult>* results) {
  std::vector<StockUpdate> updates;
  for (size_t i : indices) updates.push_back({ids[i].id, items[i].quantity});
  const std::string path =
      parent == 0 ? "products/batch" : "products/" + std::to_string(parent) + "/variations/batch";
  const std::string what = "POST " + stockd::sdk::RedactUrl(Url(path));
  const Answer a = Call("POST", path, BatchBody(updates));
  const Response& r = a.response;
  if (r.answered() && r.status == 413 && indices.size() > 1) {
    // More items than this shop takes at once (woocommerce_rest_batch_items_limit filter,
    // or a body size limit): halves, down to one item.
    host_.Log(LogLevel::kInfo, what + " refused " + std::to_string(indices.size()) + " items (" +
                                   Describe(r) + "): sending them in halves");
    const auto middle = indices.begin() + static_cast<std::ptrdiff_t>(indices.size() / 2);
    const std::vector<size_t> first(indices.begin(), middle);
    const std::vector<size_t> second(middle, indices.end());
    if (!PushBatch(items, parent, first, ids, results)) {
      for (size_t i : second) {
        (*results)[i] = PushResult::Retry("not sent: " + (*results)[first.back()].message,
                                          (*results)[first.back()].retry_after_ms);
      }
      return false;
    }
    return PushBatch(items, parent, second, ids, results);
  }
  if (const std::optional<Failure> failure = Failed(a, what)) {
    if (failure->retry) {
      for (size_t i : indices) {
        (*results)[i] = PushResult::Retry(failure->message, failure->retry_after_ms);
      }
      return false;
    }
    host_.Count("items_rejected", static_cast<double>(indices.size()));
    host_.Log(LogLevel::kWarn,
              "rejected " + std::to_string(indices.size()) + " items: " + failure->message);
    for (size_t i : indices) (*results)[i] = PushResult::Permanent(failure->message);
    return true;
  }
  ReadBatchAnswer(r, what, items, indices, ids, results);
  return true;
}

void WooCommerceAdapter::ReadBatchAnswer(const Response& r, const std::string& what,
                                         const std::vector<Item>& items,
                                         const std::vector<size_t>& indices,
                                         const std::vector<ProductIds>& ids,
                                         std::vector<PushResult>* results) {
  std::vector<BatchItemResult> answer;
  std::string unreadable;
  try {
    answer = ParseBatchAnswer(r.body, what);
    if (answer.size() != indices.size()) {
      unreadable = what + ": " + std::to_string(answer.size()) + " results for " +
                   std::to_string(indices.size()) + " items";
    }
  } catch (const Error& e) {
    unreadable = e.what();
  }
  if (!unreadable.empty()) {
    host_.Count("retries");
    host_.Log(LogLevel::kWarn, unreadable);
    const auto after = static_cast<int32_t>(backoff_.NextMs());
    for (size_t i : indices) (*results)[i] = PushResult::Retry(unreadable, after);
    return;
  }
  bool retried = false;
  for (size_t k = 0; k < indices.size(); ++k) {
    const size_t i = indices[k];
    const BatchItemResult& res = answer[k];
    const std::string sku(items[i].listing_id);
    const std::string item = "SKU " + sku + " (id " + std::to_string(ids[i].id) + ")";
    PushResult& out = (*results)[i];
    if (res.kind == BatchItemResult::Kind::kError && (!res.id || *res.id == ids[i].id)) {
      const std::string message =
          "WooCommerce refused " + item + ": " + res.code + ": " + res.message;
      // The id is gone (product deleted) or no longer the SKU's parent: look it up again.
      if (res.code.size() > 11 && res.code.compare(res.code.size() - 11, 11, "_invalid_id") == 0) {
        cache_.Forget(sku);
      } else if (res.code == "woocommerce_rest_cannot_edit") {
        cache_.Forget(sku);
      }
      if (res.status >= 500 || res.status == 429 || res.status == 408) {
        out = PushResult::Retry(message);
        retried = true;
      } else {
        host_.Count("items_rejected");
        out = PushResult::Permanent(message);
      }
    } else if (res.kind == BatchItemResult::Kind::kSaved && res.id && *res.id == ids[i].id) {
      if (res.stock_quantity == items[i].quantity && res.manage_stock) {
        out = PushResult::Ok();
      } else if (!res.manage_stock) {
        // Grouped and external products keep no stock: WooCommerce turns it off again.
        host_.Count("items_rejected");
        out = PushResult::Permanent("WooCommerce keeps no stock for " + item +
                                    " (manage_stock stays off: a grouped or external product?)");
      } else {
        out = PushResult::Retry(
            "WooCommerce saved " + item + " with stock_quantity " +
            (res.stock_quantity ? std::to_string(*res.stock_quantity) : std::string("null")) +
            ", not " + std::to_string(items[i].quantity));
        retried = true;
      }
    } else {
      out = PushResult::Retry(what + ": result " + std::to_string(k) + " is not " + item);
      retried = true;
    }
  }
  if (retried) host_.Count("retries");
}

}  // namespace stockd::woocommerce

STOCKD_ADAPTER(stockd::woocommerce::WooCommerceAdapter, "woocommerce",
               stockd::woocommerce::kMaxBatch, /*has_fetch=*/true, /*has_poll=*/true);
