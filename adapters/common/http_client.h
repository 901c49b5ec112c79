// The adapters' HTTP client: one keep-alive libcurl connection per adapter instance, every
// request bounded by a timeout and abandoned within kCancelPollMs once the daemon is
// stopping (stockd_host.cancelled). Also the small text helpers the adapters share
// (trimming, Retry-After, error excerpts).
//
// A request's headers are the caller's: the webhook adapter adds its HMAC signature,
// Shopify its access token, Amazon its LWA token. Messages name a request by its
// `shown_url` (sdk::RedactUrl of the URL), never by a header.
//
// Thread safety: an HttpClient is used by one thread at a time (the ABI calls an adapter
// instance from one thread at a time); different instances are independent.
#ifndef STOCKD_ADAPTERS_COMMON_HTTP_CLIENT_H_
#define STOCKD_ADAPTERS_COMMON_HTTP_CLIENT_H_

#include <curl/curl.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "stockd/adapter_sdk.h"

namespace stockd::adapters {

constexpr size_t kMaxResponseBytes = 8 << 20;     // a bigger answer is cut off: RETRY
constexpr size_t kMaxErrorBodyBytes = 200;        // of a rejected request's body, in messages
constexpr int64_t kMaxRetryAfterMs = 86'400'000;  // a longer Retry-After is capped to a day
constexpr int kCancelPollMs = 50;                 // how often a request checks for Stop

struct Request {
  std::string method = "GET";  // GET, POST, PUT, PATCH, DELETE
  std::string url;
  std::string shown_url;             // `url` as messages show it (sdk::RedactUrl); "" = url
  std::vector<std::string> headers;  // "Name: value"; Accept: application/json is added
  std::string body;                  // sent for POST, PUT, PATCH
  std::string content_type = "application/json";  // of `body`
  std::string basic_auth;                         // "user:password" for HTTP Basic; never shown
};

struct Response {
  CURLcode code = CURLE_OK;
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // of the final response; names lower-case
  std::string transport_error;  // set when code != CURLE_OK: "<METHOD> <shown url>: why"
  bool too_large = false;       // the body exceeded kMaxResponseBytes
  bool cancelled = false;       // abandoned because the daemon is stopping

  // True when an HTTP answer arrived (whatever its status).
  bool answered() const { return code == CURLE_OK; }
  std::string Header(const std::string& lower_name) const;
  std::string retry_after() const { return Header("retry-after"); }
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
    int64_t timeout_ms = 5000;
    int64_t connect_timeout_ms = 1000;
    std::string user_agent = "stockd/1";
  };

  // Throws sdk::Error when libcurl cannot be set up.
  HttpClient(Options options, stockd::sdk::Host host);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // One request. A transport failure sets code and transport_error (logged at debug).
  // Counts the host counter "requests".
  Response Perform(const Request& request);

  // URL-encodes `s` (throws sdk::Error when out of memory).
  std::string Escape(std::string_view s);

  int64_t timeout_ms() const { return options_.timeout_ms; }

 private:
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

// Checks that the config key `key` holds an http(s) URL (throws sdk::Error naming it).
void CheckUrl(const char* key, const std::string& url);

}  // namespace stockd::adapters

#endif  // STOCKD_ADAPTERS_COMMON_HTTP_CLIENT_H_
