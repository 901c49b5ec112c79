#include "tests/fakes/fake_channel_server.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstring>
#include <nlohmann/json.hpp>

namespace stockd::fakes {
namespace {

using Json = nlohmann::json;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string ErrorBody(const std::string& message) { return Json{{"error", message}}.dump(); }

}  // namespace

struct FakeChannelServer::Answer {
  int status = 200;
  std::string body;
  std::string retry_after;
};

std::string WebhookSignature(const std::string& secret, const std::string& body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &mac_len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha256=";
  for (unsigned int i = 0; i < mac_len; ++i) {
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 0xF];
  }
  return out;
}

FakeChannelServer::FakeChannelServer(Options options)
    : options_(std::move(options)),
      orders_(FakeOrderBook::Stock{
          [this](const std::string& channel, const std::string& listing_id) {
            std::lock_guard<std::mutex> lock(mu_);
            return ChannelQuantityLocked(channel, listing_id).value_or(0);
          },
          [this](const std::string& channel, const std::string& listing_id, int64_t quantity) {
            std::lock_guard<std::mutex> lock(mu_);
            quantities_[listing_id] = quantity;
            channel_quantities_[channel][listing_id] = quantity;
            cv_.notify_all();
          }}),
      http_(std::make_unique<FakeHttpServer>(
          [this](const HttpRequest& request) { return Serve(request); }, options_.port)) {}

FakeChannelServer::~FakeChannelServer() { Stop(); }

std::string FakeChannelServer::url() const {
  return "http://127.0.0.1:" + std::to_string(port()) + "/stock";
}

std::string FakeChannelServer::orders_url() const {
  return "http://127.0.0.1:" + std::to_string(port()) + "/orders";
}

bool FakeChannelServer::Start(std::string* error) { return http_->Start(error); }

void FakeChannelServer::Stop() { http_->Stop(); }

uint16_t FakeChannelServer::port() const { return http_->port(); }

Behaviour FakeChannelServer::NextBehaviour() {
  std::lock_guard<std::mutex> lock(mu_);
  if (schedule_.empty()) return Behaviour::Ok();
  Behaviour b = std::move(schedule_.front());
  schedule_.pop_front();
  return b;
}

void FakeChannelServer::Record(const Request& request, Behaviour::Kind kind, int status) {
  std::lock_guard<std::mutex> lock(mu_);
  requests_.push_back(
      {request.method, request.target, request.headers, request.body, kind, status});
  if (status == 401) ++signature_failures_;
  cv_.notify_all();
}

HttpAnswer FakeChannelServer::Serve(const Request& request) {
  const Behaviour behaviour = NextBehaviour();
  if (behaviour.kind == Behaviour::Kind::kReset || behaviour.kind == Behaviour::Kind::kTimeout) {
    if (behaviour.apply && request.method == "POST") (void)HandlePush(request, Behaviour::Ok());
    Record(request, behaviour.kind, 0);
    return behaviour.kind == Behaviour::Kind::kTimeout ? HttpAnswer::Hold(behaviour.delay_ms)
                                                       : HttpAnswer::Reset();
  }
  if (behaviour.kind == Behaviour::Kind::kSlow && !http_->SleepUnlessStopped(behaviour.delay_ms)) {
    Record(request, behaviour.kind, 0);
    return HttpAnswer::Hold(0);
  }
  const Answer answer = Handle(request, behaviour);
  Record(request, behaviour.kind, answer.status);
  HttpAnswer out = HttpAnswer::Json(answer.status, answer.body);
  if (!answer.retry_after.empty()) out.With("Retry-After", answer.retry_after);
  return out;
}

FakeChannelServer::Answer FakeChannelServer::Handle(const Request& request,
                                                    const Behaviour& behaviour) {
  if (request.path != "/stock" && request.path != "/orders" && request.path != "/alerts") {
    return {404, ErrorBody("no such path: " + request.path), ""};
  }
  switch (behaviour.kind) {
    case Behaviour::Kind::k429: {
      Answer a{429, ErrorBody("too many requests"), behaviour.retry_after};
      if (a.retry_after.empty() && behaviour.retry_after_s >= 0) {
        a.retry_after = std::to_string(behaviour.retry_after_s);
      }
      return a;
    }
    case Behaviour::Kind::k500:
      return {500, ErrorBody("internal error"), ""};
    case Behaviour::Kind::kStatus:
      return {behaviour.status, behaviour.body, ""};
    default:
      break;
  }
  if (!options_.secret.empty()) {
    const auto it = request.headers.find("x-stockd-signature");
    const std::string expected = WebhookSignature(options_.secret, request.body);
    if (it == request.headers.end() || it->second.size() != expected.size() ||
        CRYPTO_memcmp(it->second.data(), expected.data(), expected.size()) != 0) {
      return {401,
              ErrorBody(it == request.headers.end() ? "missing X-Stockd-Signature"
                                                    : "bad X-Stockd-Signature"),
              ""};
    }
  }
  if (request.path == "/orders") {
    if (request.method == "GET") return HandleOrders(request);
    return {405, ErrorBody("method not allowed: " + request.method), ""};
  }
  if (request.path == "/alerts") {
    if (request.method == "POST") return HandleAlerts(request);
    return {405, ErrorBody("method not allowed: " + request.method), ""};
  }
  if (request.method == "POST") return HandlePush(request, behaviour);
  if (request.method == "GET") return HandleFetch(request);
  return {405, ErrorBody("method not allowed: " + request.method), ""};
}

FakeChannelServer::Answer FakeChannelServer::HandlePush(const Request& request,
                                                        const Behaviour& behaviour) {
  const Json body = Json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  const auto bad = [](const std::string& message) { return Answer{400, ErrorBody(message), ""}; };
  if (!body.is_object()) return bad("the body is not a JSON object");
  if (!body.contains("channel") || !body["channel"].is_string())
    return bad("no string \"channel\"");
  if (!body.contains("sent_at_ms") || !body["sent_at_ms"].is_number_integer()) {
    return bad("no integer \"sent_at_ms\"");
  }
  if (!body.contains("items") || !body["items"].is_array()) return bad("no array \"items\"");
  ReceivedBatch batch;
  batch.received_ms = NowMs();
  batch.channel = body["channel"].get<std::string>();
  batch.sent_at_ms = body["sent_at_ms"].get<int64_t>();
  const auto timestamp = request.headers.find("x-stockd-timestamp");
  if (timestamp == request.headers.end() || timestamp->second != std::to_string(batch.sent_at_ms)) {
    return bad("X-Stockd-Timestamp does not match sent_at_ms");
  }
  Json results = Json::array();
  for (const Json& item : body["items"]) {
    if (!item.is_object() || !item.contains("sku") || !item["sku"].is_string() ||
        !item.contains("listing_id") || !item["listing_id"].is_string() ||
        !item.contains("quantity") || !item["quantity"].is_number_integer() ||
        !item.contains("previous") || !item["previous"].is_number_integer()) {
      return bad("an item lacks sku, listing_id, quantity or previous: " + item.dump());
    }
    ReceivedItem received{item["sku"].get<std::string>(), item["listing_id"].get<std::string>(),
                          item["quantity"].get<int64_t>(), item["previous"].get<int64_t>()};
    if (behaviour.kind == Behaviour::Kind::kPerItemError &&
        received.listing_id == behaviour.listing) {
      results.push_back({{"listing_id", received.listing_id},
                         {"status", "error"},
                         {"message", behaviour.message}});
      continue;
    }
    results.push_back({{"listing_id", received.listing_id}, {"status", "ok"}});
    batch.items.push_back(std::move(received));
  }
  std::function<void(const ReceivedBatch&)> callback;
  {
    std::lock_guard<std::mutex> lock(mu_);
    // Compare-and-set in the same critical section as the write: an order placed
    // meanwhile cannot slip between the check and the write.
    for (auto it = batch.items.begin(); options_.compare_and_set && it != batch.items.end();) {
      const auto& shown = channel_quantities_[batch.channel];
      const auto current = shown.find(it->listing_id);
      if (it->previous < 0 || current == shown.end() || current->second == it->previous) {
        ++it;
        continue;
      }
      for (Json& r : results) {
        if (r["listing_id"] != it->listing_id) continue;
        r["status"] = "conflict";
        r["message"] = "the listing shows " + std::to_string(current->second) + ", not " +
                       std::to_string(it->previous);
      }
      ++conflicts_;
      it = batch.items.erase(it);
    }
    for (const ReceivedItem& item : batch.items) {
      quantities_[item.listing_id] = item.quantity;
      channel_quantities_[batch.channel][item.listing_id] = item.quantity;
      ++push_counts_[item.listing_id];
    }
    batches_.push_back(batch);
    callback = on_batch_;
    cv_.notify_all();
  }
  if (callback) callback(batch);
  if (behaviour.kind == Behaviour::Kind::kPerItemError || options_.compare_and_set) {
    return {200, Json{{"results", results}}.dump(), ""};
  }
  return {200, Json{{"accepted", batch.items.size()}}.dump(), ""};
}

FakeChannelServer::Answer FakeChannelServer::HandleAlerts(const Request& request) {
  const Json body = Json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  const auto bad = [](const std::string& message) { return Answer{400, ErrorBody(message), ""}; };
  if (!body.is_object()) return bad("the body is not a JSON object");
  if (!body.contains("channel") || !body["channel"].is_string()) {
    return bad("no string \"channel\"");
  }
  if (!body.contains("sent_at_ms") || !body["sent_at_ms"].is_number_integer()) {
    return bad("no integer \"sent_at_ms\"");
  }
  if (!body.contains("alerts") || !body["alerts"].is_array() || body["alerts"].empty()) {
    return bad("no non-empty array \"alerts\"");
  }
  for (const Json& a : body["alerts"]) {
    if (!a.is_object() || !a.contains("kind") || !a["kind"].is_string() ||
        a["kind"].get<std::string>().rfind("ALERT_", 0) != 0 || !a.contains("sku") ||
        !a["sku"].is_string() || a["sku"].get<std::string>().empty()) {
      return bad("an alert without a \"kind\" ALERT_* or a \"sku\"");
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (Json a : body["alerts"]) {
    a["batch_channel"] = body["channel"];
    alerts_.push_back(a.dump());
  }
  return {200, "{}", ""};
}

std::vector<std::string> FakeChannelServer::Alerts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return alerts_;
}

std::string FakeChannelServer::alerts_url() const {
  return "http://127.0.0.1:" + std::to_string(port()) + "/alerts";
}

FakeChannelServer::Answer FakeChannelServer::HandleFetch(const Request& request) {
  std::optional<std::string> ids_param;
  std::optional<std::string> channel;
  size_t start = 0;
  while (start <= request.query.size()) {
    size_t end = request.query.find('&', start);
    if (end == std::string::npos) end = request.query.size();
    const std::string pair = request.query.substr(start, end - start);
    if (pair.rfind("listing_ids=", 0) == 0) ids_param = pair.substr(12);
    if (pair.rfind("channel=", 0) == 0) {
      channel = UrlDecode(pair.substr(8));
      if (!channel.has_value()) return {400, ErrorBody("bad escape in channel"), ""};
    }
    start = end + 1;
  }
  if (!ids_param.has_value()) return {400, ErrorBody("missing listing_ids"), ""};
  Json quantities = Json::object();
  std::lock_guard<std::mutex> lock(mu_);
  start = 0;
  while (start <= ids_param->size()) {
    size_t end = ids_param->find(',', start);
    if (end == std::string::npos) end = ids_param->size();
    const std::optional<std::string> id = UrlDecode(ids_param->substr(start, end - start));
    if (!id.has_value()) return {400, ErrorBody("bad escape in listing_ids"), ""};
    if (!id->empty()) {
      std::optional<int64_t> have;
      if (channel.has_value()) {
        have = ChannelQuantityLocked(*channel, *id);
      } else if (const auto it = quantities_.find(*id); it != quantities_.end()) {
        have = it->second;
      }
      quantities[*id] = have.has_value() ? Json(*have) : Json(nullptr);
    }
    start = end + 1;
  }
  return {200, Json{{"quantities", quantities}}.dump(), ""};
}

FakeChannelServer::Answer FakeChannelServer::HandleOrders(const Request& request) {
  const auto parsed = ParseQuery(request.query);
  if (!parsed.has_value()) return {400, ErrorBody("bad escape in the query"), ""};
  std::map<std::string, std::string> params = *parsed;
  size_t limit = 100;
  if (const auto it = params.find("limit"); it != params.end()) {
    char* end = nullptr;
    const unsigned long long n = std::strtoull(it->second.c_str(), &end, 10);
    if (it->second.empty() || *end != '\0' || n < 1 || n > 1000) {
      return {400, ErrorBody("limit must be an integer in [1, 1000]"), ""};
    }
    limit = static_cast<size_t>(n);
  }
  const absl::StatusOr<FakeOrderPage> page =
      orders_.List(params["channel"], params["after"], limit);
  if (!page.ok()) return {400, ErrorBody(std::string(page.status().message())), ""};
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const FakeOrder& order : page->orders) {
      ++served_revisions_;
      served_distinct_.insert(params["channel"] + " " + order.order_id + " " +
                              std::to_string(order.revision));
    }
  }
  return {200, FakeOrderPageJson(*page), ""};
}

void FakeChannelServer::Enqueue(Behaviour behaviour) {
  std::lock_guard<std::mutex> lock(mu_);
  schedule_.push_back(std::move(behaviour));
}

void FakeChannelServer::Enqueue(std::initializer_list<Behaviour> behaviours) {
  std::lock_guard<std::mutex> lock(mu_);
  schedule_.insert(schedule_.end(), behaviours.begin(), behaviours.end());
}

void FakeChannelServer::ClearSchedule() {
  std::lock_guard<std::mutex> lock(mu_);
  schedule_.clear();
}

size_t FakeChannelServer::PendingBehaviours() const {
  std::lock_guard<std::mutex> lock(mu_);
  return schedule_.size();
}

void FakeChannelServer::SetQuantity(const std::string& listing_id, int64_t quantity) {
  std::lock_guard<std::mutex> lock(mu_);
  quantities_[listing_id] = quantity;
  edited_[listing_id] = quantity;
  for (auto& [channel, table] : channel_quantities_) {
    if (auto it = table.find(listing_id); it != table.end()) it->second = quantity;
  }
  cv_.notify_all();
}

void FakeChannelServer::SetChannelQuantity(const std::string& channel,
                                           const std::string& listing_id, int64_t quantity) {
  std::lock_guard<std::mutex> lock(mu_);
  quantities_[listing_id] = quantity;
  channel_quantities_[channel][listing_id] = quantity;
  cv_.notify_all();
}

std::optional<int64_t> FakeChannelServer::ChannelQuantityLocked(
    const std::string& channel, const std::string& listing_id) const {
  if (const auto table = channel_quantities_.find(channel); table != channel_quantities_.end()) {
    if (const auto it = table->second.find(listing_id); it != table->second.end()) {
      return it->second;
    }
  }
  if (const auto it = edited_.find(listing_id); it != edited_.end()) return it->second;
  return std::nullopt;
}

std::optional<int64_t> FakeChannelServer::ChannelQuantity(const std::string& channel,
                                                          const std::string& listing_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  return ChannelQuantityLocked(channel, listing_id);
}

std::map<std::string, int64_t> FakeChannelServer::ChannelQuantities(
    const std::string& channel) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::map<std::string, int64_t> out = edited_;
  if (const auto table = channel_quantities_.find(channel); table != channel_quantities_.end()) {
    for (const auto& [listing, quantity] : table->second) out[listing] = quantity;
  }
  return out;
}

std::optional<int64_t> FakeChannelServer::Quantity(const std::string& listing_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = quantities_.find(listing_id);
  if (it == quantities_.end()) return std::nullopt;
  return it->second;
}

std::map<std::string, int64_t> FakeChannelServer::Quantities() const {
  std::lock_guard<std::mutex> lock(mu_);
  return quantities_;
}

std::vector<ReceivedBatch> FakeChannelServer::Batches() const {
  std::lock_guard<std::mutex> lock(mu_);
  return batches_;
}

std::map<std::string, int64_t> FakeChannelServer::PushCounts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return push_counts_;
}

FakeChannelServer::OrdersServed FakeChannelServer::OrdersServedCount() const {
  std::lock_guard<std::mutex> lock(mu_);
  return {served_revisions_, static_cast<int64_t>(served_distinct_.size())};
}

int64_t FakeChannelServer::Conflicts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return conflicts_;
}

int64_t FakeChannelServer::PushCount(const std::string& listing_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = push_counts_.find(listing_id);
  return it == push_counts_.end() ? 0 : it->second;
}

std::vector<RequestRecord> FakeChannelServer::Requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

size_t FakeChannelServer::RequestCount() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_.size();
}

int64_t FakeChannelServer::ConnectionCount() const { return http_->ConnectionCount(); }

int64_t FakeChannelServer::SignatureFailures() const {
  std::lock_guard<std::mutex> lock(mu_);
  return signature_failures_;
}

bool FakeChannelServer::WaitForRequests(size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return requests_.size() >= n; });
}

bool FakeChannelServer::WaitForQuantity(const std::string& listing_id, int64_t quantity,
                                        std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [&] {
    const auto it = quantities_.find(listing_id);
    return it != quantities_.end() && it->second == quantity;
  });
}

void FakeChannelServer::OnBatch(std::function<void(const ReceivedBatch&)> callback) {
  std::lock_guard<std::mutex> lock(mu_);
  on_batch_ = std::move(callback);
}

}  // namespace stockd::fakes
