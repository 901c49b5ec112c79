// FakeShopify: the HTTP face of the fake (auth, content type, body, GraphQL parse,
// validation, cost and bucket, execution), its inventory and fault controls, and its
// request records. Orders and webhooks: fake_shopify_orders.cc.
#include "tests/fakes/shopify/fake_shopify.h"

#include <cmath>
#include <regex>

#include "tests/fakes/shopify/fake_shopify_internal.h"

namespace stockd::fakes {
namespace {

using shopify_schema::Error;

constexpr char kInvalidToken[] =
    "{\"errors\":\"[API] Invalid API key or access token (unrecognized login or wrong "
    "password)\"}";

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

Json CostJson(double requested, const Json& actual, const ShopState& s) {
  return {{"requestedQueryCost", static_cast<int64_t>(std::ceil(requested))},
          {"actualQueryCost", actual},
          {"throttleStatus",
           {{"maximumAvailable", s.bucket_size},
            {"currentlyAvailable", static_cast<int64_t>(std::floor(s.available))},
            {"restoreRate", s.restore_rate}}}};
}

}  // namespace

FakeShopify::FakeShopify(Options options)
    : options_(std::move(options)), state_(std::make_unique<ShopState>()) {
  state_->token = options_.access_token;
  state_->shop_domain = options_.shop_domain;
  state_->bucket_size = options_.bucket_size;
  state_->restore_rate = options_.restore_rate;
  state_->available = options_.bucket_size;
  state_->log = [this](const std::string& line) { Log(line); };
  server_ = std::make_unique<FakeHttpServer>(
      [this](const HttpRequest& request) { return Handle(request); }, options_.port);
}

FakeShopify::~FakeShopify() { Stop(); }

bool FakeShopify::Start(std::string* error) { return server_->Start(error); }
void FakeShopify::Stop() { server_->Stop(); }
uint16_t FakeShopify::port() const { return server_->port(); }
std::string FakeShopify::shop_url() const { return server_->base_url(); }

void FakeShopify::OnLog(std::function<void(const std::string&)> log) {
  std::lock_guard<std::mutex> lock(log_mu_);
  log_ = std::move(log);
}

void FakeShopify::Log(const std::string& line) const {
  std::lock_guard<std::mutex> lock(log_mu_);
  if (log_) log_(line);
}

HttpAnswer FakeShopify::Handle(const HttpRequest& request) {
  ShopifyRequestRecord record{
      request.method, request.path, request.headers, request.body, 0, "", ""};
  const auto done = [&](HttpAnswer answer) {
    if (answer.action == HttpAnswer::Action::kRespond) {
      record.status = answer.status;
      record.answer = answer.body;
    }
    std::lock_guard<std::mutex> lock(records_mu_);
    records_.push_back(std::move(record));
    return answer;
  };
  if (std::optional<HttpAnswer> fault = faults_.Play(server_.get())) return done(*fault);

  static const std::regex kPath(R"(/admin/api/(\d{4}-\d{2}|unstable)/graphql\.json)");
  std::smatch match;
  if (!std::regex_match(request.path, match, kPath)) {
    return done(HttpAnswer::Json(404, "{\"errors\":\"Not Found\"}"));
  }
  std::string version = match[1];
  if (version != "unstable" && version < options_.oldest_supported_version) {
    version = options_.oldest_supported_version;
  }
  const auto answer = [&](int status, const std::string& body) {
    HttpAnswer a = HttpAnswer::Json(status, body);
    a.With("X-Shopify-API-Version", version);
    return done(a);
  };
  if (request.method != "POST") {
    return done(HttpAnswer::Json(405, "{\"errors\":\"Method Not Allowed\"}").With("Allow", "POST"));
  }
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    if (request.Header("x-shopify-access-token") != state_->token) {
      return answer(401, kInvalidToken);
    }
  }
  std::string content_type = Lower(request.Header("content-type"));
  content_type = content_type.substr(0, content_type.find(';'));
  while (!content_type.empty() && content_type.back() == ' ') content_type.pop_back();
  std::string query;
  Json variables = Json::object();
  std::string operation_name;
  if (content_type == "application/json") {
    const Json body = Json::parse(request.body, nullptr, /*allow_exceptions=*/false);
    if (!body.is_object() || !body.contains("query") || !body["query"].is_string() ||
        (body.contains("variables") && !body["variables"].is_null() &&
         !body["variables"].is_object())) {
      return answer(400, "{\"errors\":{\"query\":\"Required parameter missing or invalid\"}}");
    }
    query = body["query"];
    if (body.contains("variables") && body["variables"].is_object()) variables = body["variables"];
    if (body.contains("operationName") && body["operationName"].is_string()) {
      operation_name = body["operationName"];
    }
  } else if (content_type == "application/graphql") {
    query = request.body;
  } else {
    return answer(415,
                  "{\"errors\":\"Unsupported Content-Type: send application/json or "
                  "application/graphql\"}");
  }

  graphql::ParseError parse_error;
  const std::optional<std::vector<graphql::Operation>> ops = graphql::Parse(query, &parse_error);
  if (!ops) {
    return answer(200, Json{{"errors", Json::array({Error(parse_error.message, parse_error.line,
                                                          parse_error.column, nullptr, nullptr)})}}
                           .dump());
  }
  const graphql::Operation* op = nullptr;
  for (const graphql::Operation& o : *ops) {
    if (ops->size() == 1 || o.name == operation_name) op = &o;
  }
  if (op == nullptr) {
    return answer(
        200,
        Json{{"errors", Json::array({Error(operation_name.empty()
                                               ? "An operation name is required"
                                               : "No operation named \"" + operation_name + "\"",
                                           0, 0, nullptr, nullptr)})}}
            .dump());
  }
  for (const graphql::Selection& s : op->selections) {
    record.operation += (record.operation.empty() ? "" : ",") + s.name;
  }
  double requested = 0;
  const std::vector<Json> invalid = shopify_schema::Validate(*op, variables, &requested);
  if (!invalid.empty()) return answer(200, Json{{"errors", invalid}}.dump());
  if (requested > shopify_schema::kMaxQueryCost) {
    const auto cost = static_cast<int64_t>(std::ceil(requested));
    return answer(
        200, Json{{"errors",
                   Json::array({Error(
                       "Query cost is " + std::to_string(cost) +
                           ", which exceeds the single query max cost limit (1000).\n\nSee "
                           "https://shopify.dev/concepts/about-apis/rate-limits for more "
                           "information on how the\ncost of a query is calculated.\n\nTo query "
                           "larger amounts of data with fewer limits, bulk operations should be "
                           "used instead.\n",
                       0, 0, nullptr,
                       {{"code", "MAX_COST_EXCEEDED"},
                        {"cost", cost},
                        {"maxCost", 1000},
                        {"documentation", "https://shopify.dev/api/usage/rate-limits"}})})}}
                 .dump());
  }

  Json body;
  bool lose_answer = false;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->RefillBucket();
    if (requested > state_->available) {
      body = {{"errors",
               Json::array({{{"message", "Throttled"},
                             {"extensions",
                              {{"code", "THROTTLED"},
                               {"documentation", "https://shopify.dev/api/usage/rate-limits"}}}}})},
              {"extensions", {{"cost", CostJson(requested, nullptr, *state_)}}}};
      record.operation += " (throttled)";
      return answer(options_.throttle_status, body.dump());
    }
    std::vector<Json> errors;
    double actual = 0;
    Json search;
    Json data = Execute(*state_, *op, variables, &errors, &actual, &search);
    state_->available -= actual;
    {
      std::lock_guard<std::mutex> records_lock(records_mu_);
      points_spent_ += actual;
    }
    body = {{"data", std::move(data)}};
    if (!errors.empty()) body["errors"] = errors;
    body["extensions"] = {{"cost", CostJson(requested, static_cast<int64_t>(actual), *state_)}};
    if (!search.empty()) body["extensions"]["search"] = search;
    if (op->kind == "mutation" && state_->lose_next_mutation_answer) {
      state_->lose_next_mutation_answer = false;
      lose_answer = true;
    }
  }
  if (lose_answer) {
    record.operation += " (answer lost)";
    return done(HttpAnswer::Reset());
  }
  return answer(200, body.dump());
}

// ---------------------------------------------------------------- inventory

int64_t FakeShopify::AddLocation(const std::string& name) {
  std::lock_guard<std::mutex> lock(state_->mu);
  const int64_t id = state_->NewId();
  state_->locations[id] = name;
  return id;
}

int64_t FakeShopify::AddItem(const std::string& sku) {
  std::lock_guard<std::mutex> lock(state_->mu);
  ShopItem item;
  item.id = state_->NewId();
  item.variant_id = state_->NewId();
  item.sku = sku;
  item.created_ms = item.updated_ms = state_->NowMs();
  const int64_t id = item.id;
  state_->items[id] = std::move(item);
  return id;
}

void FakeShopify::Stock(int64_t item_id, int64_t location_id, int64_t available) {
  std::lock_guard<std::mutex> lock(state_->mu);
  ShopItem* item = state_->FindItem(item_id);
  if (item == nullptr || state_->locations.count(location_id) == 0) return;
  ShopLevel& level = item->levels[location_id];
  level.available = available;
  level.updated_ms = state_->NowMs();
}

int64_t FakeShopify::AddStockedItem(const std::string& sku, int64_t location_id,
                                    int64_t available) {
  const int64_t id = AddItem(sku);
  Stock(id, location_id, available);
  return id;
}

void FakeShopify::DeleteItem(int64_t item_id) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->items.erase(item_id);
}

std::optional<int64_t> FakeShopify::Quantity(int64_t item_id, int64_t location_id,
                                             const std::string& name) const {
  std::lock_guard<std::mutex> lock(state_->mu);
  const ShopItem* item = state_->FindItem(item_id);
  if (item == nullptr) return std::nullopt;
  const auto level = item->levels.find(location_id);
  if (level == item->levels.end()) return std::nullopt;
  if (name == "committed") return level->second.committed;
  if (name == "on_hand") return level->second.available + level->second.committed;
  return level->second.available;
}

void FakeShopify::SetAvailable(int64_t item_id, int64_t location_id, int64_t available) {
  std::lock_guard<std::mutex> lock(state_->mu);
  ShopItem* item = state_->FindItem(item_id);
  if (item == nullptr || item->levels.count(location_id) == 0) return;
  const int64_t before = item->levels[location_id].available;
  item->levels[location_id].available = available;
  Log("shopify: admin set " + item->sku + "=" + std::to_string(available) + " (was " +
      std::to_string(before) + ")");
}

int64_t FakeShopify::ItemIdOf(const std::string& sku) const {
  std::lock_guard<std::mutex> lock(state_->mu);
  for (const auto& [id, item] : state_->items) {
    if (item.sku == sku) return id;
  }
  return 0;
}

// ---------------------------------------------------------------- faults, records

void FakeShopify::SetAccessToken(const std::string& token) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->token = token;
}

void FakeShopify::SetAvailablePoints(double points) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->RefillBucket();
  state_->available = points;
}

double FakeShopify::AvailablePoints() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->RefillBucket();
  return state_->available;
}

void FakeShopify::InjectUserError(const std::string& code, const std::string& message, int index) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->inject = InjectedUserError{code, message, index};
}

void FakeShopify::LoseNextMutationAnswer() {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->lose_next_mutation_answer = true;
}

std::vector<ShopifyRequestRecord> FakeShopify::Requests() const {
  std::lock_guard<std::mutex> lock(records_mu_);
  return records_;
}

void FakeShopify::ClearRequests() {
  std::lock_guard<std::mutex> lock(records_mu_);
  records_.clear();
  points_spent_ = 0;
}

int64_t FakeShopify::ThrottledCount(const std::string& operation) const {
  std::lock_guard<std::mutex> lock(records_mu_);
  int64_t n = 0;
  for (const ShopifyRequestRecord& r : records_) {
    const size_t at = r.operation.find(" (throttled)");
    if (at != std::string::npos && (operation.empty() || r.operation.substr(0, at) == operation)) {
      ++n;
    }
  }
  return n;
}

double FakeShopify::PointsSpent() const {
  std::lock_guard<std::mutex> lock(records_mu_);
  return points_spent_;
}

}  // namespace stockd::fakes
