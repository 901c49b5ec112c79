// FakeAmazon: the server, routing, usage plans, recording and the test-facing accessors.
// Access control (LWA, tokens, presigned URLs) is in fake_amazon_access.cc, the handlers in
// fake_amazon_listings.cc, fake_amazon_feeds.cc and fake_amazon_orders.cc.
#include "tests/fakes/amazon/fake_amazon.h"

#include <algorithm>
#include <cstdio>
#include <utility>

namespace stockd::fakes {

using amazon_fake::Errors;
using amazon_fake::InvalidInput;
using Json = nlohmann::json;

namespace {

std::vector<std::string> Split(const std::string& s, char separator) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t end = s.find(separator, start);
    parts.push_back(s.substr(start, end == std::string::npos ? end : end - start));
    if (end == std::string::npos) return parts;
    start = end + 1;
  }
}

}  // namespace

std::map<FakeAmazon::Operation, FakeAmazon::RateLimit> FakeAmazon::DefaultRates() {
  return {{Operation::kPatchListingsItem, {5, 5}},     {Operation::kGetListingsItem, {5, 10}},
          {Operation::kSearchListingsItems, {5, 5}},   {Operation::kCreateFeedDocument, {0.5, 15}},
          {Operation::kCreateFeed, {0.0083, 15}},      {Operation::kGetFeed, {2, 15}},
          {Operation::kGetFeedDocument, {0.0222, 10}}, {Operation::kSearchOrders, {0.0056, 20}}};
}

const char* FakeAmazon::OperationName(Operation operation) {
  switch (operation) {
    case Operation::kPatchListingsItem:
      return "patchListingsItem";
    case Operation::kGetListingsItem:
      return "getListingsItem";
    case Operation::kSearchListingsItems:
      return "searchListingsItems";
    case Operation::kCreateFeedDocument:
      return "createFeedDocument";
    case Operation::kCreateFeed:
      return "createFeed";
    case Operation::kGetFeed:
      return "getFeed";
    case Operation::kGetFeedDocument:
      return "getFeedDocument";
    case Operation::kSearchOrders:
      return "searchOrders";
  }
  return "?";
}

FakeAmazon::FakeAmazon(Options options)
    : options_(std::move(options)),
      server_([this](const HttpRequest& request) { return Handle(request); }, options_.port,
              64 << 20),
      client_secret_(options_.client_secret),
      refresh_token_(options_.refresh_token) {
  for (const auto& [operation, limit] : options_.rates) {
    buckets_[operation] = Bucket{limit.burst, Clock::now()};
  }
}

FakeAmazon::~FakeAmazon() { Stop(); }

bool FakeAmazon::Start(std::string* error) { return server_.Start(error); }
void FakeAmazon::Stop() { server_.Stop(); }
uint16_t FakeAmazon::port() const { return server_.port(); }
std::string FakeAmazon::base_url() const { return server_.base_url(); }
std::string FakeAmazon::token_url() const { return server_.base_url() + "/auth/o2/token"; }

void FakeAmazon::OnLog(std::function<void(const std::string&)> hook) {
  std::lock_guard<std::mutex> lock(mu_);
  log_hook_ = std::move(hook);
}

void FakeAmazon::LogLocked(const std::string& line) {
  if (log_hook_) log_hook_("amazon: " + line);
}

std::string FakeAmazon::RandomHexLocked(size_t digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  while (out.size() < digits) out += kHex[random_() & 0xF];
  return out;
}

HttpAnswer FakeAmazon::Handle(const HttpRequest& request) {
  std::optional<Operation> operation;
  HttpAnswer answer = Route(request, &operation);
  answer.With("x-amzn-RequestId", "fake-" + std::to_string(amazon_fake::NowMs()));
  std::lock_guard<std::mutex> lock(mu_);
  Recorded r{request.method,
             request.path,
             request.query,
             request.headers,
             options_.record_bodies ? request.body : std::string(),
             answer.status,
             operation};
  requests_.push_back(std::move(r));
  return answer;
}

HttpAnswer FakeAmazon::Route(const HttpRequest& request, std::optional<Operation>* operation) {
  if (request.path == "/auth/o2/token") {
    if (std::optional<HttpAnswer> fault = token_faults_.Play(&server_)) return *fault;
    std::lock_guard<std::mutex> lock(mu_);
    return TokenEndpoint(request);
  }
  if (request.path.rfind("/feed-documents/", 0) == 0) {
    std::lock_guard<std::mutex> lock(mu_);
    return Presigned(request);
  }
  if (std::optional<HttpAnswer> fault = faults_.Play(&server_)) return *fault;
  std::lock_guard<std::mutex> lock(mu_);
  ApplyDueLocked();
  std::vector<std::string> segments;
  for (const std::string& raw : Split(request.path.substr(1), '/')) {
    const std::optional<std::string> decoded = amazon_fake::DecodeSegment(raw);
    if (!decoded.has_value()) {
      if (std::optional<HttpAnswer> refused = CheckAccessTokenLocked(request)) return *refused;
      return InvalidInput("the path has a malformed percent-escape");
    }
    segments.push_back(*decoded);
  }
  const std::string& m = request.method;
  const size_t n = segments.size();
  const auto at = [&](size_t i, const char* text) { return i < n && segments[i] == text; };
  std::optional<Operation> op;
  if (at(0, "listings") && at(1, "2021-08-01") && at(2, "items") && n == 5) {
    if (m == "PATCH") op = Operation::kPatchListingsItem;
    if (m == "GET") op = Operation::kGetListingsItem;
  } else if (at(0, "listings") && at(1, "2021-08-01") && at(2, "items") && n == 4 && m == "GET") {
    op = Operation::kSearchListingsItems;
  } else if (at(0, "feeds") && at(1, "2021-06-30") && at(2, "documents")) {
    if (n == 3 && m == "POST") op = Operation::kCreateFeedDocument;
    if (n == 4 && m == "GET") op = Operation::kGetFeedDocument;
  } else if (at(0, "feeds") && at(1, "2021-06-30") && at(2, "feeds")) {
    if (n == 3 && m == "POST") op = Operation::kCreateFeed;
    if (n == 4 && m == "GET") op = Operation::kGetFeed;
  } else if (at(0, "orders") && at(1, "2026-01-01") && at(2, "orders") && n == 3 && m == "GET") {
    op = Operation::kSearchOrders;
  }
  *operation = op;
  if (std::optional<HttpAnswer> refused = CheckAccessTokenLocked(request)) return *refused;
  if (!op.has_value()) {
    return Errors(404, "NotFound",
                  "The requested resource was not found: " + m + " " + request.path);
  }
  if (!TakeTokenLocked(*op)) {
    HttpAnswer a =
        Errors(429, "QuotaExceeded", "You exceeded your quota for the requested resource.");
    if (options_.rate_limit_header) {
      char rate[32];
      std::snprintf(rate, sizeof rate, "%g", options_.rates.at(*op).rate);
      a.With("x-amzn-RateLimit-Limit", rate);
    }
    return a;
  }
  if (m == "PATCH" || m == "POST") {
    std::string type = request.Header("content-type");
    std::transform(type.begin(), type.end(), type.begin(), ::tolower);
    if (type.rfind("application/json", 0) != 0) {
      return Errors(415, "UnsupportedMediaType", "The request payload is in an unsupported format.",
                    "Content-Type must be application/json, got \"" + type + "\"");
    }
  }
  const std::optional<std::map<std::string, std::string>> query = ParseQuery(request.query);
  if (!query.has_value()) return InvalidInput("the query has a malformed percent-escape");
  if (segments.size() >= 4 && segments[0] == "listings" && segments[3] != options_.seller_id) {
    return InvalidInput("sellerId \"" + segments[3] + "\" is not the authorized selling partner");
  }
  HttpAnswer answer;
  switch (*op) {
    case Operation::kPatchListingsItem:
      answer = PatchItem(request, segments[4], *query);
      break;
    case Operation::kGetListingsItem:
      answer = GetItem(segments[4], *query);
      break;
    case Operation::kSearchListingsItems:
      answer = SearchItems(*query);
      break;
    case Operation::kCreateFeedDocument:
      answer = CreateDocument(request);
      break;
    case Operation::kGetFeedDocument:
      answer = GetDocument(segments[3]);
      break;
    case Operation::kCreateFeed:
      answer = CreateFeed(request);
      break;
    case Operation::kGetFeed:
      answer = GetFeed(segments[3]);
      break;
    case Operation::kSearchOrders:
      answer = SearchOrders(*query);
      break;
  }
  if (options_.rate_limit_header && options_.rates.count(*op) != 0) {
    char rate[32];
    std::snprintf(rate, sizeof rate, "%g", options_.rates.at(*op).rate);
    answer.With("x-amzn-RateLimit-Limit", rate);
  }
  return answer;
}

bool FakeAmazon::TakeTokenLocked(Operation operation) {
  const auto limit = options_.rates.find(operation);
  if (limit == options_.rates.end()) return true;  // not limited
  Bucket& b = buckets_[operation];
  const Clock::time_point now = Clock::now();
  const double seconds = std::chrono::duration<double>(now - b.updated).count();
  b.tokens = std::min(limit->second.burst, b.tokens + seconds * limit->second.rate);
  b.updated = now;
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

void FakeAmazon::ApplyDueLocked() {
  const Clock::time_point now = Clock::now();
  while (!pending_.empty() && pending_.front().due <= now) {
    PendingPatch p = std::move(pending_.front());
    pending_.pop_front();
    ApplyPatchesLocked(p.sku, p.product_type, p.patches);
  }
  for (auto& [id, feed] : feeds_) {
    if (feed.status != "IN_QUEUE" && feed.status != "IN_PROGRESS") continue;
    if (now >= feed.done) {
      ProcessFeedLocked(&feed);
    } else if (now >= feed.starts && feed.status == "IN_QUEUE") {
      feed.status = "IN_PROGRESS";
      feed.started_ms = amazon_fake::NowMs();
    }
  }
}

// ---------------------------------------------------------------- test accessors

std::optional<int64_t> FakeAmazon::Quantity(const std::string& sku,
                                            const std::string& channel) const {
  std::lock_guard<std::mutex> lock(mu_);
  const_cast<FakeAmazon*>(this)->ApplyDueLocked();
  return QuantityLocked(sku, channel);
}

size_t FakeAmazon::PendingChanges() const {
  std::lock_guard<std::mutex> lock(mu_);
  const_cast<FakeAmazon*>(this)->ApplyDueLocked();
  return pending_.size();
}

void FakeAmazon::ApplyPendingChanges() {
  std::lock_guard<std::mutex> lock(mu_);
  while (!pending_.empty()) {
    PendingPatch p = std::move(pending_.front());
    pending_.pop_front();
    ApplyPatchesLocked(p.sku, p.product_type, p.patches);
  }
}

void FakeAmazon::ExpireAllTokens() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [token, expiry] : tokens_) expiry = Clock::now();
}

void FakeAmazon::SetClientSecret(std::string secret) {
  std::lock_guard<std::mutex> lock(mu_);
  client_secret_ = std::move(secret);
}

void FakeAmazon::SetRefreshToken(std::string refresh_token) {
  std::lock_guard<std::mutex> lock(mu_);
  refresh_token_ = std::move(refresh_token);
}

int64_t FakeAmazon::TokensIssued() const {
  std::lock_guard<std::mutex> lock(mu_);
  return tokens_issued_;
}

int64_t FakeAmazon::FeedsCreated() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int64_t>(feeds_.size());
}

std::vector<FakeAmazon::Recorded> FakeAmazon::Requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

void FakeAmazon::ClearRequests() {
  std::lock_guard<std::mutex> lock(mu_);
  requests_.clear();
}

int64_t FakeAmazon::Count(Operation operation, int status) const {
  std::lock_guard<std::mutex> lock(mu_);
  return std::count_if(requests_.begin(), requests_.end(), [&](const Recorded& r) {
    return r.operation == operation && (status == 0 || r.status == status);
  });
}

}  // namespace stockd::fakes
