// FakeEbay: the server, request records, routing, OAuth (token endpoint, bearer tokens,
// scopes) and the rate limit. Listings: fake_ebay_inventory.cc; orders: fake_ebay_orders.cc.
#include "tests/fakes/ebay/fake_ebay.h"

#include <algorithm>
#include <random>
#include <sstream>

#include "tests/fakes/ebay/ebay_answers.h"

namespace stockd::fakes {
namespace {

using ebay_answers::Error;
using ebay_answers::ErrorAnswer;

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return s;
}

std::set<std::string> Words(const std::string& text) {
  std::set<std::string> out;
  std::istringstream in(text);
  std::string word;
  while (in >> word) out.insert(word);
  return out;
}

HttpAnswer OAuthError(int status, const std::string& error, const std::string& description) {
  const nlohmann::ordered_json body = {{"error", error}, {"error_description", description}};
  return HttpAnswer::Json(status, body.dump());
}

HttpAnswer NotFound() {
  return ErrorAnswer(404, Error(2002, "ACCESS", "REQUEST", "Resource not found",
                                "The requested resource does not exist."));
}

}  // namespace

FakeEbay::FakeEbay(Options options)
    : options_(std::move(options)),
      server_([this](const HttpRequest& r) { return Handle(r); }, options_.port),
      client_secret_(options_.client_secret),
      refresh_token_(options_.refresh_token) {
  bucket_tokens_ =
      options_.burst > 0 ? options_.burst : std::max(1.0, options_.requests_per_second);
  bucket_at_ = std::chrono::steady_clock::now();
}

FakeEbay::~FakeEbay() { Stop(); }

bool FakeEbay::Start(std::string* error) { return server_.Start(error); }
void FakeEbay::Stop() { server_.Stop(); }
uint16_t FakeEbay::port() const { return server_.port(); }
std::string FakeEbay::base_url() const { return server_.base_url(); }

void FakeEbay::OnLog(std::function<void(const std::string&)> log) {
  std::lock_guard<std::mutex> lock(mu_);
  log_ = std::move(log);
}

void FakeEbay::Log(const std::string& line) {
  std::function<void(const std::string&)> log;
  {
    std::lock_guard<std::mutex> lock(mu_);
    log = log_;
  }
  if (log) log("ebay: " + line);
}

void FakeEbay::SetNowMs(int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  fixed_now_ms_ = now_ms;
}

int64_t FakeEbay::NowMs() const {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (fixed_now_ms_ != 0) return fixed_now_ms_;
  }
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// ---------------------------------------------------------------- requests

HttpAnswer FakeEbay::Handle(const HttpRequest& request) {
  HttpAnswer answer = Route(request);
  RecordedRequest record{
      request.method, request.target,
      request.path,   request.headers,
      request.body,   answer.action == HttpAnswer::Action::kRespond ? answer.status : 0};
  std::lock_guard<std::mutex> lock(mu_);
  requests_.push_back(std::move(record));
  return answer;
}

HttpAnswer FakeEbay::Route(const HttpRequest& request) {
  const std::string& path = request.path;
  if (path == "/identity/v1/oauth2/token") {
    if (auto fault = token_faults_.Play(&server_)) return *fault;
    return TokenEndpoint(request);
  }
  const bool inventory = path.rfind("/sell/inventory/v1/", 0) == 0;
  const bool fulfillment = path.rfind("/sell/fulfillment/v1/", 0) == 0;
  if (!inventory && !fulfillment) return NotFound();
  if (auto refused = CheckAuth(request, inventory ? kEbayInventoryScope : kEbayFulfillmentScope)) {
    return *refused;
  }
  if (auto throttled = CheckRate()) return *throttled;
  if (auto fault = faults_.Play(&server_)) return *fault;
  if (path == "/sell/inventory/v1/bulk_update_price_quantity") {
    if (request.method != "POST") return NotFound();
    return BulkUpdate(request);
  }
  if (path == "/sell/inventory/v1/offer" && request.method == "GET") return GetOffers(request);
  if (path.rfind("/sell/inventory/v1/inventory_item/", 0) == 0 && request.method == "GET") {
    return GetInventoryItem(request);
  }
  if (path == "/sell/fulfillment/v1/order" && request.method == "GET") return GetOrders(request);
  return NotFound();
}

// ---------------------------------------------------------------- OAuth

HttpAnswer FakeEbay::TokenEndpoint(const HttpRequest& request) {
  if (request.method != "POST") {
    return OAuthError(405, "invalid_request", "request method is not supported");
  }
  if (Lower(request.Header("content-type")).rfind("application/x-www-form-urlencoded", 0) != 0) {
    return OAuthError(400, "invalid_request",
                      "request is missing a required parameter or malformed.");
  }
  std::string secret, refresh;
  {
    std::lock_guard<std::mutex> lock(mu_);
    secret = client_secret_;
    refresh = refresh_token_;
  }
  if (request.Header("authorization") != "Basic " + Base64(options_.client_id + ":" + secret)) {
    return OAuthError(401, "invalid_client", "client authentication failed");
  }
  const std::optional<std::map<std::string, std::string>> form = ParseQuery(request.body);
  if (!form) {
    return OAuthError(400, "invalid_request",
                      "request is missing a required parameter or malformed.");
  }
  const auto field = [&form](const char* name) {
    const auto it = form->find(name);
    return it == form->end() ? std::string() : it->second;
  };
  if (field("grant_type") != "refresh_token") {
    return OAuthError(400, "unsupported_grant_type",
                      "grant type in request is not supported by the authorization server");
  }
  if (field("refresh_token").empty() || field("refresh_token") != refresh) {
    return OAuthError(400, "invalid_grant",
                      "the provided authorization refresh token is invalid or was issued to "
                      "another client");
  }
  const std::set<std::string> granted = Words(options_.granted_scopes);
  std::set<std::string> scopes = form->count("scope") != 0 ? Words(field("scope")) : granted;
  for (const std::string& s : scopes) {
    if (granted.count(s) == 0) {
      return OAuthError(400, "invalid_scope",
                        "the requested scope is invalid, unknown, malformed, or exceeds the "
                        "scope granted to the client");
    }
  }
  static thread_local std::mt19937_64 random{std::random_device{}()};
  const std::string token = "v^1.1#i^1#p^3#r^1#I^3#f^0#t^H4sIAAAAAAAA" +
                            Base64(std::to_string(random()) + std::to_string(random()));
  const int64_t now = NowMs();
  {
    std::lock_guard<std::mutex> lock(mu_);
    tokens_[token] = {now + options_.token_lifetime_s * 1000, std::move(scopes)};
    ++tokens_issued_;
  }
  const nlohmann::ordered_json body = {{"access_token", token},
                                       {"expires_in", options_.token_lifetime_s},
                                       {"token_type", "User Access Token"}};
  return HttpAnswer::Json(200, body.dump());
}

std::optional<HttpAnswer> FakeEbay::CheckAuth(const HttpRequest& request,
                                              const std::string& scope) {
  const std::string header = request.Header("authorization");
  if (header.empty()) {
    return ErrorAnswer(401, Error(1002, "OAuth", "REQUEST", "Missing access token",
                                  "Access token is missing in the Authorization HTTP request "
                                  "header."));
  }
  const std::string token = header.rfind("Bearer ", 0) == 0 ? header.substr(7) : "";
  const int64_t now = NowMs();
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = tokens_.find(token);
  if (token.empty() || it == tokens_.end() || it->second.expires_ms <= now) {
    return ErrorAnswer(401, Error(1001, "OAuth", "REQUEST", "Invalid access token",
                                  "Invalid access token. Check the value of the Authorization "
                                  "HTTP request header."));
  }
  const bool read_only = request.method == "GET";
  if (it->second.scopes.count(scope) == 0 &&
      !(read_only && it->second.scopes.count(scope + ".readonly") != 0)) {
    return ErrorAnswer(403, Error(1100, "ACCESS", "REQUEST", "Access denied",
                                  "Insufficient permissions to fulfill the request."));
  }
  return std::nullopt;
}

std::optional<HttpAnswer> FakeEbay::CheckRate() {
  if (options_.requests_per_second <= 0) return std::nullopt;
  const double burst =
      options_.burst > 0 ? options_.burst : std::max(1.0, options_.requests_per_second);
  std::lock_guard<std::mutex> lock(mu_);
  const auto now = std::chrono::steady_clock::now();
  bucket_tokens_ =
      std::min(burst, bucket_tokens_ + std::chrono::duration<double>(now - bucket_at_).count() *
                                           options_.requests_per_second);
  bucket_at_ = now;
  if (bucket_tokens_ >= 1) {
    bucket_tokens_ -= 1;
    return std::nullopt;
  }
  ++throttled_;
  HttpAnswer answer =
      ErrorAnswer(429, Error(2001, "ACCESS", "REQUEST", "Too many requests",
                             "The request limit has been reached for the resource."));
  if (options_.retry_after_s >= 0)
    answer.With("Retry-After", std::to_string(options_.retry_after_s));
  return answer;
}

void FakeEbay::ExpireTokens() {
  std::lock_guard<std::mutex> lock(mu_);
  tokens_.clear();
}

void FakeEbay::SetRefreshToken(std::string refresh_token) {
  std::lock_guard<std::mutex> lock(mu_);
  refresh_token_ = std::move(refresh_token);
}

void FakeEbay::SetClientSecret(std::string client_secret) {
  std::lock_guard<std::mutex> lock(mu_);
  client_secret_ = std::move(client_secret);
}

int64_t FakeEbay::TokensIssued() const {
  std::lock_guard<std::mutex> lock(mu_);
  return tokens_issued_;
}

// ---------------------------------------------------------------- records

std::vector<FakeEbay::RecordedRequest> FakeEbay::Requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

int64_t FakeEbay::RequestCount(const std::string& prefix) const {
  std::lock_guard<std::mutex> lock(mu_);
  return std::count_if(requests_.begin(), requests_.end(), [&prefix](const RecordedRequest& r) {
    return r.path.rfind(prefix, 0) == 0;
  });
}

int64_t FakeEbay::Throttled() const {
  std::lock_guard<std::mutex> lock(mu_);
  return throttled_;
}

void FakeEbay::ClearRequests() {
  std::lock_guard<std::mutex> lock(mu_);
  requests_.clear();
}

}  // namespace stockd::fakes
