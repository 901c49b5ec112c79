#include "webhook_adapter.h"

#include "answers.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <utility>

namespace stockd::webhook {
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

constexpr size_t kMaxFetchQueryBytes = 4000;  // keeps GET URLs within common server limits

std::string ReadSecret(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error("cannot read secret_file \"" + path + "\": " + std::strerror(errno));
  }
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) throw Error("cannot read secret_file \"" + path + "\"");
  std::string secret = content.str();
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  if (secret.empty()) throw Error("secret_file \"" + path + "\" is empty");
  return secret;
}

bool IsToken(std::string_view name) {
  static constexpr std::string_view kTokenPunctuation = "!#$%&'*+-.^_`|~";
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           kTokenPunctuation.find(c) != std::string_view::npos;
  });
}

// "sha256=" + hex(HMAC-SHA256(secret, body)) (adapters/README.md).
std::string Sign(const std::string& secret, std::string_view body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  if (HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
           reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac,
           &mac_len) == nullptr) {
    throw Error("HMAC-SHA256 failed");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex = "sha256=";
  for (unsigned int i = 0; i < mac_len; ++i) {
    hex += kHex[mac[i] >> 4];
    hex += kHex[mac[i] & 0xF];
  }
  return hex;
}

// `url` (already checked) with the last segment of its path replaced by "orders".
std::string DefaultOrdersUrl(const std::string& url) {
  CURLU* parsed = curl_url();
  char* path = nullptr;
  char* out = nullptr;
  std::string result;
  if (parsed != nullptr && curl_url_set(parsed, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK &&
      curl_url_get(parsed, CURLUPART_PATH, &path, 0) == CURLUE_OK) {
    std::string p = path;
    const size_t slash = p.rfind('/');
    p = (slash == std::string::npos ? "/" : p.substr(0, slash + 1)) + "orders";
    if (curl_url_set(parsed, CURLUPART_PATH, p.c_str(), 0) == CURLUE_OK &&
        curl_url_get(parsed, CURLUPART_URL, &out, 0) == CURLUE_OK) {
      result = out;
    }
  }
  curl_free(out);
  curl_free(path);
  curl_url_cleanup(parsed);
  if (result.empty()) throw Error("config: cannot derive \"orders_url\" from \"url\"");
  return result;
}

std::vector<std::string> ReadHeaders(const Json& config) {
  std::vector<std::string> headers;
  const auto it = config.find("headers");
  if (it == config.end() || it->is_null()) return headers;
  if (!it->is_object()) throw Error("config: \"headers\" must be an object of strings");
  for (auto h = it->begin(); h != it->end(); ++h) {
    const std::string name = h.key();
    if (!IsToken(name)) throw Error("config: \"headers\": \"" + name + "\" is not a header name");
    const std::string lower = Lower(name);
    if (lower.rfind("x-stockd-", 0) == 0 || lower == "content-type" || lower == "content-length" ||
        lower == "transfer-encoding" || lower == "host" || lower == "expect" ||
        lower == "connection") {
      throw Error("config: \"headers\": \"" + name + "\" is set by the adapter itself");
    }
    if (!h->is_string()) throw Error("config: \"headers\": \"" + name + "\" must be a string");
    const std::string value = h->get<std::string>();
    if (value.find_first_of("\r\n") != std::string::npos || value.find('\0') != std::string::npos) {
      throw Error("config: \"headers\": \"" + name + "\" holds a line break");
    }
    headers.push_back(name + ": " + value);
  }
  return headers;
}

}  // namespace

WebhookAdapter::Settings WebhookAdapter::ParseConfig(const Json& config) {
  stockd::sdk::RejectUnknownKeys(
      config, {"url", "orders_url", "orders_page_size", "orders_max_pages", "alerts_url",
               "secret_file", "timeout_ms", "connect_timeout_ms", "max_batch", "headers"});
  Settings s;
  s.url = stockd::sdk::RequireString(config, "url");
  CheckUrl("url", s.url);
  s.orders_url = stockd::sdk::GetString(config, "orders_url", "");
  if (s.orders_url.empty()) {
    s.orders_url = DefaultOrdersUrl(s.url);
  } else {
    CheckUrl("orders_url", s.orders_url);
  }
  s.alerts_url = stockd::sdk::GetString(config, "alerts_url", "");
  if (!s.alerts_url.empty()) CheckUrl("alerts_url", s.alerts_url);
  s.orders_page_size = stockd::sdk::GetInt(config, "orders_page_size", 100, 1, 1000);
  s.orders_max_pages = stockd::sdk::GetInt(config, "orders_max_pages", 10, 1, 1000);
  const std::string secret_file = stockd::sdk::GetString(config, "secret_file", "");
  if (!secret_file.empty()) s.secret = ReadSecret(secret_file);
  s.http.timeout_ms = stockd::sdk::GetInt(config, "timeout_ms", 5000, 1, 600'000);
  s.http.connect_timeout_ms = stockd::sdk::GetInt(config, "connect_timeout_ms", 1000, 1, 600'000);
  s.max_batch = static_cast<size_t>(stockd::sdk::GetInt(config, "max_batch", 100, 1, kMaxBatch));
  s.channel = stockd::sdk::GetString(config, "channel", "");
  s.extra_headers = ReadHeaders(config);
  s.http.user_agent = "stockd-webhook/1";
  return s;
}

WebhookAdapter::WebhookAdapter(const Json& config, stockd::sdk::Host host)
    : host_(host),
      settings_(ParseConfig(config)),
      shown_url_(stockd::sdk::RedactUrl(settings_.url)),
      shown_orders_url_(stockd::sdk::RedactUrl(settings_.orders_url)),
      shown_alerts_url_(stockd::sdk::RedactUrl(settings_.alerts_url)),
      http_(settings_.http, host) {}

std::vector<PushResult> WebhookAdapter::Push(const std::vector<Item>& items) {
  std::vector<PushResult> results;
  results.reserve(items.size());
  for (size_t start = 0; start < items.size(); start += settings_.max_batch) {
    const size_t end = std::min(items.size(), start + settings_.max_batch);
    if (!PushChunk(items, start, end, &results)) {
      // The endpoint is overloaded or unreachable: leave the rest for the next attempt.
      const PushResult failed = results.back();
      for (size_t i = end; i < items.size(); ++i) {
        results.push_back(PushResult::Retry("not sent: " + failed.message, failed.retry_after_ms));
      }
      break;
    }
  }
  return results;
}

std::vector<int64_t> WebhookAdapter::Fetch(const std::vector<std::string_view>& listing_ids) {
  std::vector<int64_t> quantities(listing_ids.size(), -1);
  // Two channels on one endpoint each read their own numbers.
  const std::string channel =
      settings_.channel.empty() ? "" : "channel=" + http_.Escape(settings_.channel) + "&";
  size_t start = 0;
  while (start < listing_ids.size()) {
    std::string query = channel + "listing_ids=";
    size_t end = start;
    while (end < listing_ids.size() && end - start < settings_.max_batch) {
      const std::string id = http_.Escape(listing_ids[end]);
      if (end > start && query.size() + 1 + id.size() > kMaxFetchQueryBytes) break;
      query += (end > start ? "," : "") + id;
      ++end;
    }
    const std::string url =
        settings_.url + (settings_.url.find('?') == std::string::npos ? "?" : "&") + query;
    const Response r = Send(/*post=*/false, url, shown_url_, "", host_.NowMs());
    if (r.code != CURLE_OK) throw Error(r.transport_error);
    if (r.status < 200 || r.status >= 300) throw Error("GET " + shown_url_ + ": " + HttpError(r));
    ParseFetchAnswer(r.body, listing_ids, start, end, "GET " + shown_url_, &quantities);
    start = end;
  }
  return quantities;
}

// One request for items[start, end), appending one result per item. Returns false when
// the endpoint failed as a whole (unreachable, timed out, 429, 5xx).
bool WebhookAdapter::PushChunk(const std::vector<Item>& items, size_t start, size_t end,
                               std::vector<PushResult>* results) {
  const int64_t sent_at_ms = host_.NowMs();
  nlohmann::ordered_json batch = {{"channel", settings_.channel}, {"sent_at_ms", sent_at_ms}};
  nlohmann::ordered_json& list = batch["items"] = nlohmann::ordered_json::array();
  for (size_t i = start; i < end; ++i) {
    list.push_back({{"sku", std::string(items[i].sku)},
                    {"listing_id", std::string(items[i].listing_id)},
                    {"quantity", items[i].quantity},
                    {"previous", items[i].previous}});
  }
  const std::string body = batch.dump(-1, ' ', false, Json::error_handler_t::replace);
  const Response r = Send(/*post=*/true, settings_.url, shown_url_, body, sent_at_ms);

  if (r.code != CURLE_OK) {
    host_.Count("request_failures");
    for (size_t i = start; i < end; ++i) results->push_back(PushResult::Retry(r.transport_error));
    return false;
  }
  if (r.status >= 200 && r.status < 300) {
    ReadItemResults(r, items, start, end, results);
    return true;
  }
  const std::string message = HttpError(r);
  if (IsRetryableStatus(r.status)) {
    host_.Count("request_failures");
    const int32_t retry_after_ms = RetryAfterMs(r.retry_after(), host_.NowMs());
    for (size_t i = start; i < end; ++i) {
      results->push_back(PushResult::Retry(message, retry_after_ms));
    }
    return false;
  }
  host_.Count("requests_rejected");
  host_.Log(LogLevel::kWarn, "POST " + shown_url_ + " rejected " + std::to_string(end - start) +
                                 " items: " + message);
  for (size_t i = start; i < end; ++i) results->push_back(PushResult::Permanent(message));
  return true;
}

void WebhookAdapter::NotifyAlerts(const Json& alerts) {
  const int64_t sent_at_ms = host_.NowMs();
  nlohmann::ordered_json body = {{"channel", settings_.channel}, {"sent_at_ms", sent_at_ms}};
  body["alerts"] = alerts;
  const Response r = Send(/*post=*/true, settings_.alerts_url, shown_alerts_url_,
                          body.dump(-1, ' ', false, Json::error_handler_t::replace), sent_at_ms);
  if (r.code != CURLE_OK) {
    host_.Count("alert_failures");
    throw Error(r.transport_error);
  }
  if (r.status >= 200 && r.status < 300) return;
  const std::string message = "POST " + shown_alerts_url_ + ": " + HttpError(r);
  if (IsRetryableStatus(r.status)) {
    host_.Count("alert_failures");
    throw Error(message);
  }
  // Refused for good (a 4xx other than 408 and 429): sending it again changes nothing, and
  // the alerts after it must not wait behind it.
  host_.Count("alerts_rejected");
  host_.Log(LogLevel::kWarn, message + " (" + std::to_string(alerts.size()) +
                                 " alerts refused, not sent again)");
}

Response WebhookAdapter::Send(bool post, const std::string& url, const std::string& shown_url,
                               const std::string& body, int64_t timestamp_ms) {
  Request request;
  request.method = post ? "POST" : "GET";
  request.url = url;
  request.shown_url = shown_url;
  request.body = body;
  request.headers.push_back("X-Stockd-Timestamp: " + std::to_string(timestamp_ms));
  if (!settings_.secret.empty()) {
    request.headers.push_back("X-Stockd-Signature: " + Sign(settings_.secret, body));
  }
  request.headers.insert(request.headers.end(), settings_.extra_headers.begin(),
                         settings_.extra_headers.end());
  return http_.Perform(request);
}

void WebhookAdapter::ReadItemResults(const Response& r, const std::vector<Item>& items,
                                     size_t start, size_t end, std::vector<PushResult>* results) {
  const ItemResults by_listing =
      ParseItemResults(r.body, RetryAfterMs(r.retry_after(), host_.NowMs()));
  for (size_t i = start; i < end; ++i) {
    const auto it = by_listing.find(items[i].listing_id);
    results->push_back(it == by_listing.end() ? PushResult::Ok() : it->second);
    if (results->back().status == PushResult::Status::kPermanent) host_.Count("items_rejected");
  }
}

}  // namespace stockd::webhook

STOCKD_ADAPTER(stockd::webhook::WebhookAdapter, "webhook", stockd::webhook::kMaxBatch,
               /*has_fetch=*/true, /*has_poll=*/true);
