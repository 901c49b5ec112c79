#include "common/http_client.h"

#include <algorithm>
#include <mutex>
#include <utility>

namespace stockd::adapters {
namespace {

using stockd::sdk::Error;
using stockd::sdk::LogLevel;

struct CurlSlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using HeaderList = std::unique_ptr<curl_slist, CurlSlistDeleter>;

}  // namespace

std::string Trim(std::string_view s) {
  const size_t begin = s.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return "";
  const size_t end = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(begin, end - begin + 1));
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return s;
}

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

HttpClient::HttpClient(Options options, stockd::sdk::Host host)
    : options_(std::move(options)), host_(host) {
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
  curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout_ms));
  curl_easy_setopt(curl_, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options_.connect_timeout_ms));
  curl_easy_setopt(curl_, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl_, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(curl_, CURLOPT_USERAGENT, options_.user_agent.c_str());
  curl_easy_setopt(curl_, CURLOPT_ERRORBUFFER, curl_error_);
  // Polled while a request waits: the daemon's Stop aborts it (CURLE_ABORTED_BY_CALLBACK).
  curl_easy_setopt(curl_, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl_, CURLOPT_XFERINFOFUNCTION, &HttpClient::OnProgress);
  curl_easy_setopt(curl_, CURLOPT_XFERINFODATA, this);
#if LIBCURL_VERSION_NUM >= 0x075500
  curl_easy_setopt(curl_, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
}

HttpClient::~HttpClient() {
  curl_multi_cleanup(multi_);  // curl_ is never left in it (Run removes it)
  curl_easy_cleanup(curl_);
}

std::string HttpClient::Escape(std::string_view s) {
  char* escaped = curl_easy_escape(curl_, s.data(), static_cast<int>(s.size()));
  if (escaped == nullptr) throw Error("out of memory");
  std::string out(escaped);
  curl_free(escaped);
  return out;
}

size_t HttpClient::OnBody(char* data, size_t size, size_t count, void* user) {
  auto* r = static_cast<Response*>(user);
  const size_t n = size * count;
  if (r->body.size() + n > kMaxResponseBytes) {
    r->too_large = true;
    return 0;  // aborts the transfer
  }
  r->body.append(data, n);
  return n;
}

int HttpClient::OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<HttpClient*>(user)->host_.Cancelled() ? 1 : 0;
}

// Runs the prepared request on multi_, checking every kCancelPollMs whether the daemon
// is stopping (libcurl's own progress calls can be a second apart on a silent socket).
CURLcode HttpClient::Run(Response* r) {
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

size_t HttpClient::OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* r = static_cast<Response*>(user);
  const std::string_view line(data, size * count);
  if (line.rfind("HTTP/", 0) == 0) r->headers.clear();  // a new response (after 100)
  const size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    r->headers[Lower(std::string(line.substr(0, colon)))] = Trim(line.substr(colon + 1));
  }
  return size * count;
}

std::string Response::Header(const std::string& lower_name) const {
  const auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

Response HttpClient::Perform(const Request& request) {
  host_.Count("requests");
  Response r;
  HeaderList headers;
  const auto add = [&headers](const std::string& line) {
    curl_slist* grown = curl_slist_append(headers.get(), line.c_str());
    if (grown == nullptr) throw Error("out of memory");
    (void)headers.release();
    headers.reset(grown);
  };
  const bool has_body = request.method != "GET" && request.method != "DELETE";
  if (has_body) add("Content-Type: " + request.content_type);
  add("Accept: application/json");
  add("Expect:");  // no 100-continue round trip
  for (const std::string& h : request.headers) add(h);

  curl_easy_setopt(curl_, CURLOPT_URL, request.url.c_str());
  if (!has_body) {  // GET, DELETE
    curl_easy_setopt(curl_, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(curl_, CURLOPT_CUSTOMREQUEST,
                     request.method == "GET" ? nullptr : request.method.c_str());
  } else {
    curl_easy_setopt(curl_, CURLOPT_POST, 1L);
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, has_body ? request.body.data() : "");
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(has_body ? request.body.size() : 0));
    curl_easy_setopt(curl_, CURLOPT_CUSTOMREQUEST,
                     request.method == "POST" ? nullptr : request.method.c_str());
  }
  if (!request.basic_auth.empty()) {
    curl_easy_setopt(curl_, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
    curl_easy_setopt(curl_, CURLOPT_USERPWD, request.basic_auth.c_str());
  } else {
    curl_easy_setopt(curl_, CURLOPT_USERPWD, nullptr);
  }
  curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, &HttpClient::OnBody);
  curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &r);
  curl_easy_setopt(curl_, CURLOPT_HEADERFUNCTION, &HttpClient::OnHeader);
  curl_easy_setopt(curl_, CURLOPT_HEADERDATA, &r);
  curl_error_[0] = '\0';

  r.code = Run(&r);
  curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &r.status);
  curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(curl_, CURLOPT_WRITEDATA, nullptr);
  curl_easy_setopt(curl_, CURLOPT_HEADERDATA, nullptr);
  curl_easy_setopt(curl_, CURLOPT_USERPWD, nullptr);
  if (r.code != CURLE_OK) {
    const std::string what =
        request.method + " " +
        (request.shown_url.empty() ? stockd::sdk::RedactUrl(request.url) : request.shown_url);
    if (r.cancelled) {
      r.transport_error = what + ": abandoned, stockd is stopping";
    } else if (r.code == CURLE_OPERATION_TIMEDOUT) {
      r.transport_error =
          what + ": no answer within " + std::to_string(options_.timeout_ms) + " ms";
    } else if (r.too_large) {
      r.transport_error =
          what + ": the answer exceeds " + std::to_string(kMaxResponseBytes) + " bytes";
    } else {
      r.transport_error = what + ": " + curl_easy_strerror(r.code) +
                          (curl_error_[0] != '\0' ? std::string(" (") + curl_error_ + ")" : "");
    }
    host_.Log(LogLevel::kDebug, r.transport_error);
  }
  return r;
}

void CheckUrl(const char* key, const std::string& url) {
  CURLU* parsed = curl_url();
  char* scheme = nullptr;
  const bool ok = parsed != nullptr &&
                  curl_url_set(parsed, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK &&
                  curl_url_get(parsed, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK;
  const std::string scheme_text = scheme != nullptr ? Lower(scheme) : "";
  curl_free(scheme);
  curl_url_cleanup(parsed);
  const std::string shown = stockd::sdk::RedactUrl(url);
  if (!ok) {
    throw Error(std::string("config: \"") + key + "\" is not a valid URL: \"" + shown + "\"");
  }
  if (scheme_text != "http" && scheme_text != "https") {
    throw Error(std::string("config: \"") + key + "\" must be http:// or https://, got \"" + shown +
                "\"");
  }
}

}  // namespace stockd::adapters
