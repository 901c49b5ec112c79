// The webhook adapter's HTTP client: one keep-alive libcurl connection per adapter
// instance, every request bounded by a timeout and abandoned within kCancelPollMs once the
// daemon is stopping (stockd_host.cancelled), requests signed with HMAC-SHA256 over the
// body as adapters/README.md describes. Also the small text helpers the adapter's files
// share (trimming, Retry-After, error excerpts).
//
// Thread safety: an HttpClient is used by one thread at a time (the ABI calls an adapter
// instance from one thread at a time); different instances are independent.
#ifndef STOCKD_ADAPTERS_WEBHOOK_HTTP_CLIENT_H_
#define STOCKD_ADAPTERS_WEBHOOK_HTTP_CLIENT_H_

#include <curl/curl.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "stockd/adapter_sdk.h"

namespace stockd::webhook {

constexpr size_t kMaxResponseBytes = 8 << 20;     // a bigger answer is cut off: RETRY
constexpr size_t kMaxErrorBodyBytes = 200;        // of a rejected request's body, in messages
constexpr int64_t kMaxRetryAfterMs = 86'400'000;  // a longer Retry-After is capped to a day
constexpr int kCancelPollMs = 50;                 // how often a request checks for Stop

struct Response {
  CURLcode code = CURLE_OK;
  long status = 0;
  std::string body;
  std::string retry_after;  // the Retry-After header, trimmed
  std::string transport_error;
  bool too_large = false;  // the body exceeded kMaxResponseBytes
  bool cancelled = false;  // abandoned because the daemon is stopping
};

std::string Trim(std::string_view s);
std::string Lower(std::string s);
// Retry-After is delta-seconds or an HTTP-date; 0 when absent or unreadable.
int32_t RetryAfterMs(const std::string& value, int64_t now_ms);
// What a rejected request's body says, on one line, at most kMaxErrorBodyBytes.
std::string Excerpt(const std::string& body);
// "HTTP <status>: <excerpt>".
std::string HttpError(const Response& r);
// 408, 429, 5xx and the unexpected 1xx/3xx: the endpoint may answer later.
bool IsRetryableStatus(long status);

class HttpClient {
 public:
  struct Options {
    std::string secret;  // HMAC key; empty: requests are not signed
    int64_t timeout_ms = 5000;
    int64_t connect_timeout_ms = 1000;
    std::vector<std::string> extra_headers;  // "Name: value"
  };

  // Throws sdk::Error when libcurl cannot be set up.
  HttpClient(Options options, stockd::sdk::Host host);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // One request: POST `body` (JSON) or GET. `shown_url` is `url` as messages show it
  // (sdk::RedactUrl). X-Stockd-Timestamp carries `timestamp_ms`; the signature covers
  // `body` (empty for a GET). A transport failure sets code and transport_error.
  Response Perform(bool post, const std::string& url, const std::string& shown_url,
                   const std::string& body, int64_t timestamp_ms);

  // URL-encodes `s` (throws sdk::Error when out of memory).
  std::string Escape(std::string_view s);

  int64_t timeout_ms() const { return options_.timeout_ms; }

 private:
  std::string Sign(std::string_view body) const;
  CURLcode Run(Response* r);
  static size_t OnBody(char* data, size_t size, size_t count, void* user);
  static size_t OnHeader(char* data, size_t size, size_t count, void* user);
  static int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t);

  const Options options_;
  stockd::sdk::Host host_;
  CURL* curl_ = nullptr;
  CURLM* multi_ = nullptr;  // drives curl_ so a request can be abandoned at Stop
  char curl_error_[CURL_ERROR_SIZE] = {};
};

}  // namespace stockd::webhook

#endif  // STOCKD_ADAPTERS_WEBHOOK_HTTP_CLIENT_H_
