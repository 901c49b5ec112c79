// The webhook adapter: publishes quantities as signed JSON batches to one HTTP endpoint,
// and reads them back from it for reconciliation. The protocol is in adapters/README.md.
//
// Config (a JSON object; only `url` is required):
//   url                 http(s) endpoint; pushes POST to it, fetches GET it
//   secret_file         file whose content (less trailing newlines) is the HMAC-SHA256 key;
//                       without it requests are not signed
//   timeout_ms          whole-request limit, default 5000, [1, 600000]
//   connect_timeout_ms  TCP/TLS connect limit, default 1000, [1, 600000]
//   max_batch           items per request, default 100, [1, 1000]; a larger push is split
//   headers             extra request headers, {"X-Api-Key": "..."}
//   channel             the channel id, set by the daemon; sent in every batch and as the
//                       `channel` query parameter of every fetch
//
// One curl easy handle per instance (driven through a multi handle) keeps its connection
// alive between requests. Every request is bounded by timeout_ms, so Push and Fetch always
// return; and when the daemon stops (stockd_host.cancelled) a request in progress is
// abandoned within kCancelPollMs. The URL appears in messages only through
// sdk::RedactUrl: no userinfo, no secret-looking query values.
#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>

#include "stockd/adapter_sdk.h"

namespace {

using stockd::sdk::Error;
using stockd::sdk::Item;
using stockd::sdk::Json;
using stockd::sdk::LogLevel;
using stockd::sdk::PushResult;

constexpr uint32_t kMaxBatch = 1000;              // the most the daemon may hand us at once
constexpr size_t kMaxResponseBytes = 8 << 20;     // a bigger answer is cut off: RETRY
constexpr size_t kMaxFetchQueryBytes = 4000;      // keeps GET URLs within common server limits
constexpr size_t kMaxErrorBodyBytes = 200;        // of a rejected request's body, in messages
constexpr int64_t kMaxRetryAfterMs = 86'400'000;  // a longer Retry-After is capped to a day
constexpr int kCancelPollMs = 50;                 // how often a request checks for Stop

struct CurlSlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using HeaderList = std::unique_ptr<curl_slist, CurlSlistDeleter>;

struct Response {
  CURLcode code = CURLE_OK;
  long status = 0;
  std::string body;
  std::string retry_after;  // the Retry-After header, trimmed
  std::string transport_error;
  bool too_large = false;  // the body exceeded kMaxResponseBytes
  bool cancelled = false;  // abandoned because the daemon is stopping
};

std::string Trim(std::string_view s) {
  const size_t begin = s.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return "";
  const size_t end = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(begin, end - begin + 1));
}

// Retry-After is delta-seconds or an HTTP-date; 0 when absent or unreadable.
int32_t RetryAfterMs(const std::string& value, int64_t now_ms) {
  if (value.empty()) return 0;
  int64_t ms;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    ms = value.size() > 9 ? kMaxRetryAfterMs : std::stoll(value) * 1000;
  } else {
    const time_t when = curl_getdate(value.c_str(), nullptr);
    if (when == -1) return 0;
    ms = static_cast<int64_t>(when) * 1000 - now_ms;
  }
  return static_cast<int32_t>(std::clamp<int64_t>(ms, 0, kMaxRetryAfterMs));
}

// What a rejected request's body says, on one line.
std::string Excerpt(const std::string& body) {
  size_t n = std::min(body.size(), kMaxErrorBodyBytes);
  while (n > 0 && n < body.size() && (static_cast<unsigned char>(body[n]) & 0xC0) == 0x80) --n;
  std::string out = body.substr(0, n);
  for (char& c : out) {
    if (c == '\r' || c == '\n' || c == '\t') c = ' ';
  }
  return Trim(out);
}

std::string HttpError(const Response& r) {
  std::string message = "HTTP " + std::to_string(r.status);
  const std::string excerpt = Excerpt(r.body);
  if (!excerpt.empty()) message += ": " + excerpt;
  return message;
}

bool IsRetryableStatus(long status) {
  return status == 408 || status == 429 || status >= 500 || status < 200 ||
         (status >= 300 && status < 400);
}

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

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return s;
}

class WebhookAdapter final : public stockd::sdk::Adapter {
 public:
  // The config as create() checks it, without side effects (the secret file is read).
  struct Settings {
    std::string url;
    std::string secret;
    int64_t timeout_ms = 5000;
    int64_t connect_timeout_ms = 1000;
    size_t max_batch = 100;
    std::string channel;
    std::vector<std::string> extra_headers;
  };

  static Settings ParseConfig(const Json& config) {
    stockd::sdk::RejectUnknownKeys(
        config, {"url", "secret_file", "timeout_ms", "connect_timeout_ms", "max_batch", "headers"});
    Settings s;
    s.url = stockd::sdk::RequireString(config, "url");
    CheckUrl(s.url);
    const std::string secret_file = stockd::sdk::GetString(config, "secret_file", "");
    if (!secret_file.empty()) s.secret = ReadSecret(secret_file);
    s.timeout_ms = stockd::sdk::GetInt(config, "timeout_ms", 5000, 1, 600'000);
    s.connect_timeout_ms = stockd::sdk::GetInt(config, "connect_timeout_ms", 1000, 1, 600'000);
    s.max_batch = static_cast<size_t>(stockd::sdk::GetInt(config, "max_batch", 100, 1, kMaxBatch));
    s.channel = stockd::sdk::GetString(config, "channel", "");
    s.extra_headers = ReadHeaders(config);
    return s;
  }

  // The ABI's validate_config (stockd --check-config).
  static void ValidateConfig(const Json& config) { ParseConfig(config); }

  WebhookAdapter(const Json& config, stockd::sdk::Host host) : host_(host) {
    Settings s = ParseConfig(config);
    url_ = std::move(s.url);
    shown_url_ = stockd::sdk::RedactUrl(url_);
    secret_ = std::move(s.secret);
    timeout_ms_ = s.timeout_ms;
    connect_timeout_ms_ = s.connect_timeout_ms;
    max_batch_ = s.max_batch;
    channel_ = std::move(s.channel);
    extra_headers_ = std::move(s.extra_headers);

    static std::once_flag curl_initialized;
    std::call_once(curl_initialized, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    curl_ = curl_easy_init();
    multi_ = curl_multi_init();
    if (curl_ == nullptr || multi_ == nullptr) {
      if (curl_ != nullptr) curl_easy_cleanup(curl_);
      if (multi_ != nullptr) curl_multi_cleanup(multi_);
      throw Error("cannot initialize libcurl");
    }
    curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_ms_));
    curl_easy_setopt(curl_, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(connect_timeout_ms_));
    curl_easy_setopt(curl_, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl_, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(curl_, CURLOPT_USERAGENT, "stockd-webhook/1");
    curl_easy_setopt(curl_, CURLOPT_ERRORBUFFER, curl_error_);
    // Polled while a request waits: the daemon's Stop aborts it (CURLE_ABORTED_BY_CALLBACK).
    curl_easy_setopt(curl_, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl_, CURLOPT_XFERINFOFUNCTION, &WebhookAdapter::OnProgress);
    curl_easy_setopt(curl_, CURLOPT_XFERINFODATA, this);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(curl_, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
  }

  ~WebhookAdapter() override {
    curl_multi_cleanup(multi_);  // curl_ is never left in it (Run removes it)
    curl_easy_cleanup(curl_);
  }

  std::vector<PushResult> Push(const std::vector<Item>& items) override {
    std::vector<PushResult> results;
    results.reserve(items.size());
    for (size_t start = 0; start < items.size(); start += max_batch_) {
      const size_t end = std::min(items.size(), start + max_batch_);
      if (!PushChunk(items, start, end, &results)) {
        // The endpoint is overloaded or unreachable: leave the rest for the next attempt.
        const PushResult failed = results.back();
        for (size_t i = end; i < items.size(); ++i) {
          results.push_back(
              PushResult::Retry("not sent: " + failed.message, failed.retry_after_ms));
        }
        break;
      }
    }
    return results;
  }

  std::vector<int64_t> Fetch(const std::vector<std::string_view>& listing_ids) override {
    std::vector<int64_t> quantities(listing_ids.size(), -1);
    // Two channels on one endpoint each read their own numbers.
    const std::string channel = channel_.empty() ? "" : "channel=" + Escape(channel_) + "&";
    size_t start = 0;
    while (start < listing_ids.size()) {
      std::string query = channel + "listing_ids=";
      size_t end = start;
      while (end < listing_ids.size() && end - start < max_batch_) {
        const std::string id = Escape(listing_ids[end]);
        if (end > start && query.size() + 1 + id.size() > kMaxFetchQueryBytes) break;
        query += (end > start ? "," : "") + id;
        ++end;
      }
      const std::string url = url_ + (url_.find('?') == std::string::npos ? "?" : "&") + query;
      const Response r = Perform(/*post=*/false, url, "");
      if (r.code != CURLE_OK) throw Error(r.transport_error);
      if (r.status < 200 || r.status >= 300) throw Error("GET " + shown_url_ + ": " + HttpError(r));
      const Json answer = Json::parse(r.body, nullptr, /*allow_exceptions=*/false);
      if (!answer.is_object() || !answer.contains("quantities") ||
          !answer["quantities"].is_object()) {
        throw Error("GET " + shown_url_ +
                    ": the answer has no \"quantities\" object: " + Excerpt(r.body));
      }
      const Json& got = answer["quantities"];
      for (size_t i = start; i < end; ++i) {
        const auto it = got.find(std::string(listing_ids[i]));
        if (it == got.end() || it->is_null()) continue;
        if (!it->is_number_integer()) {
          throw Error("GET " + shown_url_ + ": the quantity of \"" + std::string(listing_ids[i]) +
                      "\" is not an integer");
        }
        quantities[i] =
            it->is_number_unsigned()
                ? static_cast<int64_t>(std::min<uint64_t>(it->get<uint64_t>(), INT64_MAX))
                : std::max<int64_t>(it->get<int64_t>(), -1);
      }
      start = end;
    }
    return quantities;
  }

 private:
  static void CheckUrl(const std::string& url) {
    CURLU* parsed = curl_url();
    char* scheme = nullptr;
    const bool ok = parsed != nullptr &&
                    curl_url_set(parsed, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK &&
                    curl_url_get(parsed, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK;
    const std::string scheme_text = scheme != nullptr ? Lower(scheme) : "";
    curl_free(scheme);
    curl_url_cleanup(parsed);
    const std::string shown = stockd::sdk::RedactUrl(url);
    if (!ok) throw Error("config: \"url\" is not a valid URL: \"" + shown + "\"");
    if (scheme_text != "http" && scheme_text != "https") {
      throw Error("config: \"url\" must be http:// or https://, got \"" + shown + "\"");
    }
  }

  static std::vector<std::string> ReadHeaders(const Json& config) {
    std::vector<std::string> headers;
    const auto it = config.find("headers");
    if (it == config.end() || it->is_null()) return headers;
    if (!it->is_object()) throw Error("config: \"headers\" must be an object of strings");
    for (auto h = it->begin(); h != it->end(); ++h) {
      const std::string name = h.key();
      if (!IsToken(name)) throw Error("config: \"headers\": \"" + name + "\" is not a header name");
      const std::string lower = Lower(name);
      if (lower.rfind("x-stockd-", 0) == 0 || lower == "content-type" ||
          lower == "content-length" || lower == "transfer-encoding" || lower == "host" ||
          lower == "expect" || lower == "connection") {
        throw Error("config: \"headers\": \"" + name + "\" is set by the adapter itself");
      }
      if (!h->is_string()) throw Error("config: \"headers\": \"" + name + "\" must be a string");
      const std::string value = h->get<std::string>();
      if (value.find_first_of("\r\n") != std::string::npos ||
          value.find('\0') != std::string::npos) {
        throw Error("config: \"headers\": \"" + name + "\" holds a line break");
      }
      headers.push_back(name + ": " + value);
    }
    return headers;
  }

  // One request for items[start, end), appending one result per item. Returns false when
  // the endpoint failed as a whole (unreachable, timed out, 429, 5xx).
  bool PushChunk(const std::vector<Item>& items, size_t start, size_t end,
                 std::vector<PushResult>* results) {
    const int64_t sent_at_ms = host_.NowMs();
    nlohmann::ordered_json batch = {{"channel", channel_}, {"sent_at_ms", sent_at_ms}};
    nlohmann::ordered_json& list = batch["items"] = nlohmann::ordered_json::array();
    for (size_t i = start; i < end; ++i) {
      list.push_back({{"sku", std::string(items[i].sku)},
                      {"listing_id", std::string(items[i].listing_id)},
                      {"quantity", items[i].quantity},
                      {"previous", items[i].previous}});
    }
    const std::string body = batch.dump(-1, ' ', false, Json::error_handler_t::replace);
    const Response r = Perform(/*post=*/true, url_, body, sent_at_ms);

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
      const int32_t retry_after_ms = RetryAfterMs(r.retry_after, host_.NowMs());
      for (size_t i = start; i < end; ++i) {
        results->push_back(PushResult::Retry(message, retry_after_ms));
      }
      return false;
    }
    host_.Count("requests_rejected");
    host_.Log(LogLevel::kWarn,
"POST " + shown_url_ + " rejected " + std::to_string(end - start) + " items: " + message);
    for (size_t i = start; i < end; ++i) results->push_back(PushResult::Permanent(message));
    return true;
  }

  // A 2xx answer: every item is OK unless {"results": [...]} says otherwise for it.
  void ReadItemResults(const Response& r, const std::vector<Item>& items, size_t start, size_t end,
                       std::vector<PushResult>* results) {
    std::map<std::string, PushResult, std::less<>> by_listing;
    const Json answer = Json::parse(r.body, nullptr, /*allow_exceptions=*/false);
    if (answer.is_object() && answer.contains("results") && answer["results"].is_array()) {
      const int32_t retry_after_ms = RetryAfterMs(r.retry_after, host_.NowMs());
      for (const Json& entry : answer["results"]) {
        if (!entry.is_object() || !entry.contains("listing_id") || !entry["listing_id"].is_string())
          continue;
        const std::string status = entry.contains("status") && entry["status"].is_string()
                                       ? entry["status"].get<std::string>()
                                       : "";
        std::string message = entry.contains("message") && entry["message"].is_string()
                                  ? entry["message"].get<std::string>()
                                  : "";
        PushResult result;
        if (status == "ok") {
          result = PushResult::Ok();
        } else if (status == "error") {
          result = PushResult::Permanent(message.empty() ? "rejected by the channel" : message);
        } else if (status == "retry") {
          result = PushResult::Retry(message.empty() ? "the channel asked to retry" : message,
                                     retry_after_ms);
        } else {
          result = PushResult::Retry("the channel answered an unknown status \"" + status + "\"");
        }
        by_listing[entry["listing_id"].get<std::string>()] = std::move(result);
      }
    }
    for (size_t i = start; i < end; ++i) {
      const auto it = by_listing.find(items[i].listing_id);
      results->push_back(it == by_listing.end() ? PushResult::Ok() : it->second);
      if (results->back().status == PushResult::Status::kPermanent) host_.Count("items_rejected");
    }
  }

  std::string Escape(std::string_view s) {
    char* escaped = curl_easy_escape(curl_, s.data(), static_cast<int>(s.size()));
    if (escaped == nullptr) throw Error("out of memory");
    std::string out(escaped);
    curl_free(escaped);
    return out;
  }

  std::string Sign(std::string_view body) const {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    if (HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
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

  static size_t OnBody(char* data, size_t size, size_t count, void* user) {
    auto* r = static_cast<Response*>(user);
    const size_t n = size * count;
    if (r->body.size() + n > kMaxResponseBytes) {
      r->too_large = true;
      return 0;  // aborts the transfer
    }
    r->body.append(data, n);
    return n;
  }

  static int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    return static_cast<WebhookAdapter*>(user)->host_.Cancelled() ? 1 : 0;
  }

  // Runs the prepared request on multi_, checking every kCancelPollMs whether the daemon
  // is stopping (libcurl's own progress calls can be a second apart on a silent socket).
  CURLcode Run(Response* r) {
    if (curl_multi_add_handle(multi_, curl_) != CURLM_OK) return CURLE_FAILED_INIT;
    CURLcode code = CURLE_OK;
    for (;;) {
      int running = 0;
      if (curl_multi_perform(multi_, &running) != CURLM_OK) {
        code = CURLE_FAILED_INIT;
        break;
      }
      bool done = false;
      int queued = 0;
      while (CURLMsg* msg = curl_multi_info_read(multi_, &queued)) {
        if (msg->msg == CURLMSG_DONE && msg->easy_handle == curl_) {
          code = msg->data.result;
          done = true;
        }
      }
      if (done) break;
      if (host_.Cancelled()) {
        code = CURLE_ABORTED_BY_CALLBACK;
        break;
      }
      if (curl_multi_poll(multi_, nullptr, 0, kCancelPollMs, nullptr) != CURLM_OK) {
        code = CURLE_FAILED_INIT;
        break;
      }
    }
    r->cancelled = code == CURLE_ABORTED_BY_CALLBACK;
    curl_multi_remove_handle(multi_, curl_);
    return code;
  }

  static size_t OnHeader(char* data, size_t size, size_t count, void* user) {
    auto* r = static_cast<Response*>(user);
    const std::string_view line(data, size * count);
    if (line.rfind("HTTP/", 0) == 0) r->retry_after.clear();  // a new response (after 100)
    const size_t colon = line.find(':');
    if (colon != std::string_view::npos &&
        Lower(std::string(line.substr(0, colon))) == "retry-after") {
      r->retry_after = Trim(line.substr(colon + 1));
    }
    return size * count;
  }

  Response Perform(bool post, const std::string& url, const std::string& body) {
    return Perform(post, url, body, host_.NowMs());
  }

  Response Perform(bool post, const std::string& url, const std::string& body,
                   int64_t timestamp_ms) {
    host_.Count("requests");
    Response r;
    HeaderList headers;
    const auto add = [&headers](const std::string& line) {
      curl_slist* grown = curl_slist_append(headers.get(), line.c_str());
      if (grown == nullptr) throw Error("out of memory");
      (void)headers.release();
      headers.reset(grown);
    };
    if (post) add("Content-Type: application/json");
    add("Accept: application/json");
    add("Expect:");  // no 100-continue round trip
    add("X-Stockd-Timestamp: " + std::to_string(timestamp_ms));
    if (!secret_.empty()) add("X-Stockd-Signature: " + Sign(body));
    for (const std::string& h : extra_headers_) add(h);

    curl_easy_setopt(curl_, CURLOPT_URL, url.c_str());
    if (post) {
      curl_easy_setopt(curl_, CURLOPT_POST, 1L);
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, body.data());
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    } else {
      curl_easy_setopt(curl_, CURLOPT_HTTPGET, 1L);
    }
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, &WebhookAdapter::OnBody);
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &r);
    curl_easy_setopt(curl_, CURLOPT_HEADERFUNCTION, &WebhookAdapter::OnHeader);
    curl_easy_setopt(curl_, CURLOPT_HEADERDATA, &r);
    curl_error_[0] = '\0';

    r.code = Run(&r);
    curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &r.status);
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, nullptr);
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, nullptr);
    curl_easy_setopt(curl_, CURLOPT_HEADERDATA, nullptr);
    if (r.code != CURLE_OK) {
      const char* method = post ? "POST " : "GET ";
      if (r.cancelled) {
        r.transport_error = std::string(method) + shown_url_ + ": abandoned, stockd is stopping";
      } else if (r.code == CURLE_OPERATION_TIMEDOUT) {
        r.transport_error = std::string(method) + shown_url_ + ": no answer within " +
                            std::to_string(timeout_ms_) + " ms";
      } else if (r.too_large) {
        r.transport_error = std::string(method) + shown_url_ + ": the answer exceeds " +
                            std::to_string(kMaxResponseBytes) + " bytes";
      } else {
        r.transport_error = std::string(method) + shown_url_ + ": " + curl_easy_strerror(r.code) +
                            (curl_error_[0] != '\0' ? std::string(" (") + curl_error_ + ")" : "");
      }
      host_.Log(LogLevel::kDebug, r.transport_error);
    }
    return r;
  }

  stockd::sdk::Host host_;
  std::string url_;
  std::string shown_url_;  // url_ for messages: RedactUrl(url_)
  std::string secret_;
  int64_t timeout_ms_ = 5000;
  int64_t connect_timeout_ms_ = 1000;
  size_t max_batch_ = 100;
  std::string channel_;
  std::vector<std::string> extra_headers_;
  CURL* curl_ = nullptr;
  CURLM* multi_ = nullptr;  // drives curl_ so a request can be abandoned at Stop
  char curl_error_[CURL_ERROR_SIZE] = {};
};

}  // namespace

STOCKD_ADAPTER(WebhookAdapter, "webhook", kMaxBatch, /*has_fetch=*/true, /*has_poll=*/false);
