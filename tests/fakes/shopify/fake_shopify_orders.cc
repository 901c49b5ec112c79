// FakeShopify's order book: the lifecycle of a real shop's orders (placed, paid, fulfilled
// in part or whole, units removed, cancelled), what each does to the inventory, and the
// REST webhook (orders/create, orders/updated, ...) that Shopify sends for an order.
#include <curl/curl.h>

#include <algorithm>
#include <atomic>

#include "tests/fakes/shopify/fake_shopify.h"
#include "tests/fakes/shopify/fake_shopify_internal.h"

namespace stockd::fakes {
namespace {

ShopLine* FindLine(ShopOrder& order, const std::string& sku) {
  for (ShopLine& l : order.lines) {
    if (l.sku == sku) return &l;
  }
  return nullptr;
}

// Moves `units` of the line's item between available and committed at the order's
// location (a positive `units` commits them).
void Commit(ShopState& s, const ShopOrder& order, const ShopLine& line, int64_t units) {
  ShopItem* item = s.FindItem(line.item_id);
  if (item == nullptr) return;
  const auto level = item->levels.find(order.location_id);
  if (level == item->levels.end()) return;
  level->second.available -= units;
  level->second.committed += units;
  level->second.updated_ms = s.NowMs();
}

std::string Name(const ShopOrder& o) { return "#" + std::to_string(o.number); }

std::string RestStatus(const std::string& display) {
  std::string out = display;
  std::transform(out.begin(), out.end(), out.begin(), ::tolower);
  return out;
}

}  // namespace

int64_t FakeShopify::PlaceOrder(const std::vector<ShopifyLineSpec>& lines, int64_t location_id,
                                bool paid) {
  std::lock_guard<std::mutex> lock(state_->mu);
  ShopState& s = *state_;
  ShopOrder order;
  order.id = s.NewId();
  order.number = s.next_order_number++;
  order.location_id = location_id;
  order.created_ms = order.updated_ms = s.NowMs();
  order.financial = paid ? "PAID" : "PENDING";
  for (const ShopifyLineSpec& spec : lines) {
    ShopLine line;
    line.id = s.NewId();
    line.sku = spec.sku;
    line.quantity = spec.quantity;
    for (const auto& [id, item] : s.items) {
      if (!spec.sku.empty() && item.sku == spec.sku) {
        line.item_id = id;
        line.variant_id = item.variant_id;
        break;
      }
    }
    if (line.variant_id == 0) line.variant_id = s.NewId();  // a product without inventory
    Commit(s, order, line, line.quantity);
    order.lines.push_back(line);
  }
  const int64_t id = order.id;
  Log("shopify: order " + Name(order) + " placed (" + std::to_string(lines.size()) + " lines, " +
      (paid ? "paid" : "pending") + ")");
  s.orders[id] = std::move(order);
  return id;
}

void FakeShopify::SetFinancialStatus(int64_t order_id, const std::string& status) {
  std::lock_guard<std::mutex> lock(state_->mu);
  const auto it = state_->orders.find(order_id);
  if (it == state_->orders.end()) return;
  it->second.financial = status;
  it->second.updated_ms = state_->NowMs();
  Log("shopify: order " + Name(it->second) + " " + RestStatus(status));
}

void FakeShopify::Fulfill(int64_t order_id, const std::string& sku, int64_t quantity) {
  std::lock_guard<std::mutex> lock(state_->mu);
  const auto it = state_->orders.find(order_id);
  if (it == state_->orders.end()) return;
  ShopLine* line = FindLine(it->second, sku);
  if (line == nullptr) return;
  const int64_t units = std::min(quantity, line->quantity - line->removed - line->fulfilled);
  line->fulfilled += units;
  // Fulfilled units leave the shelf: committed (and so on_hand) goes down.
  ShopItem* item = state_->FindItem(line->item_id);
  if (item != nullptr && item->levels.count(it->second.location_id) != 0) {
    item->levels[it->second.location_id].committed -= units;
  }
  it->second.updated_ms = state_->NowMs();
  Log("shopify: order " + Name(it->second) + " fulfilled " + std::to_string(units) + " x " + sku);
}

void FakeShopify::RemoveUnits(int64_t order_id, const std::string& sku, int64_t quantity) {
  std::lock_guard<std::mutex> lock(state_->mu);
  const auto it = state_->orders.find(order_id);
  if (it == state_->orders.end()) return;
  ShopOrder& order = it->second;
  ShopLine* line = FindLine(order, sku);
  if (line == nullptr) return;
  const int64_t units = std::min(quantity, line->quantity - line->removed - line->fulfilled);
  line->removed += units;
  Commit(*state_, order, *line, -units);  // restocked
  order.refunds.push_back(
      {state_->NewId(), state_->NowMs(), {{state_->NewId(), line->id, units, "cancel"}}});
  if (order.financial == "PAID") order.financial = "PARTIALLY_REFUNDED";
  order.updated_ms = state_->NowMs();
  Log("shopify: order " + Name(order) + " removed " + std::to_string(units) + " x " + sku);
}

void FakeShopify::Cancel(int64_t order_id) {
  std::lock_guard<std::mutex> lock(state_->mu);
  const auto it = state_->orders.find(order_id);
  if (it == state_->orders.end() || it->second.cancelled_ms != 0) return;
  ShopOrder& order = it->second;
  ShopRefund refund{state_->NewId(), state_->NowMs(), {}};
  int64_t fulfilled = 0;
  for (ShopLine& line : order.lines) {
    fulfilled += line.fulfilled;
    const int64_t open = line.quantity - line.removed - line.fulfilled;
    if (open == 0) continue;
    line.removed += open;
    Commit(*state_, order, line, -open);  // restocked
    refund.lines.push_back({state_->NewId(), line.id, open, "cancel"});
  }
  if (!refund.lines.empty()) order.refunds.push_back(std::move(refund));
  if (order.financial == "PENDING" || order.financial == "AUTHORIZED") {
    order.financial = "VOIDED";
  } else if (order.financial == "PAID" || order.financial == "PARTIALLY_REFUNDED") {
    order.financial = fulfilled > 0 ? "PARTIALLY_REFUNDED" : "REFUNDED";
  }
  order.cancelled_ms = order.updated_ms = state_->NowMs();
  Log("shopify: order " + Name(order) + " cancelled");
}

std::optional<ShopifyOrderView> FakeShopify::Order(int64_t order_id) const {
  std::lock_guard<std::mutex> lock(state_->mu);
  const auto it = state_->orders.find(order_id);
  if (it == state_->orders.end()) return std::nullopt;
  const ShopOrder& o = it->second;
  ShopifyOrderView v;
  v.id = o.id;
  v.name = Name(o);
  v.financial_status = o.financial;
  v.fulfillment_status = o.FulfillmentStatus();
  v.cancelled = o.cancelled_ms != 0;
  v.updated_at_ms = o.updated_ms;
  for (const ShopLine& l : o.lines)
    v.lines.push_back({l.id, l.sku, l.quantity, l.fulfilled, l.removed});
  return v;
}

void FakeShopify::SetNowMs(int64_t now_ms) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->clock_ms = now_ms;
}

void FakeShopify::AdvanceMs(int64_t ms) {
  std::lock_guard<std::mutex> lock(state_->mu);
  if (state_->clock_ms == 0) {
    state_->clock_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
  }
  state_->clock_ms += ms;
}

std::string FakeShopify::OrderWebhookPayload(int64_t order_id) const {
  std::lock_guard<std::mutex> lock(state_->mu);
  const auto it = state_->orders.find(order_id);
  if (it == state_->orders.end()) return "";
  const ShopOrder& o = it->second;
  const int offset = options_.utc_offset_minutes;
  const std::string fulfillment = o.FulfillmentStatus();
  Json lines = Json::array();
  for (const ShopLine& l : o.lines) {
    const int64_t fulfillable = l.quantity - l.removed - l.fulfilled;
    lines.push_back(
        {{"id", l.id},
         {"admin_graphql_api_id", shopify_schema::Gid("LineItem", l.id)},
         {"sku", l.sku.empty() ? Json(nullptr) : Json(l.sku)},
         {"variant_id", l.variant_id},
         {"quantity", l.quantity},
         {"current_quantity", l.quantity - l.removed},
         {"fulfillable_quantity", fulfillable},
         {"fulfillment_status",
          l.fulfilled == 0 ? Json(nullptr) : Json(fulfillable == 0 ? "fulfilled" : "partial")}});
  }
  Json refunds = Json::array();
  for (const ShopRefund& r : o.refunds) {
    Json items = Json::array();
    for (const ShopRefundLine& rl : r.lines) {
      items.push_back({{"id", rl.id},
                       {"line_item_id", rl.line_id},
                       {"quantity", rl.quantity},
                       {"restock_type", rl.restock_type},
                       {"location_id", o.location_id}});
    }
    refunds.push_back({{"id", r.id},
                       {"order_id", o.id},
                       {"created_at", IsoTime(r.created_ms, offset)},
                       {"refund_line_items", items}});
  }
  const Json order = {
      {"id", o.id},
      {"admin_graphql_api_id", shopify_schema::Gid("Order", o.id)},
      {"name", Name(o)},
      {"order_number", o.number},
      {"created_at", IsoTime(o.created_ms, offset)},
      {"updated_at", IsoTime(o.updated_ms, offset)},
      {"cancelled_at", o.cancelled_ms ? Json(IsoTime(o.cancelled_ms, offset)) : Json(nullptr)},
      {"cancel_reason", o.cancelled_ms ? Json("customer") : Json(nullptr)},
      {"financial_status", RestStatus(o.financial)},
      {"fulfillment_status", fulfillment == "FULFILLED"             ? Json("fulfilled")
                             : fulfillment == "PARTIALLY_FULFILLED" ? Json("partial")
                                                                    : Json(nullptr)},
      {"location_id", o.location_id},
      {"line_items", lines},
      {"refunds", refunds}};
  return order.dump();
}

int FakeShopify::DeliverOrderWebhook(int64_t order_id, const std::string& url,
                                     const std::string& secret, const std::string& topic,
                                     const std::string& event_id) {
  const std::string body = OrderWebhookPayload(order_id);
  if (body.empty()) return 0;
  static std::atomic<int64_t> next_event{1};
  const int64_t n = next_event++;
  const std::string event = event_id.empty()
                                ? "fake-event-" + std::to_string(order_id) + "-" + std::to_string(n)
                                : event_id;
  int64_t now_ms;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    now_ms = state_->NowMs();
  }
  const std::vector<std::string> headers = {
      "Content-Type: application/json",
      "X-Shopify-Topic: " + topic,
      "X-Shopify-Hmac-SHA256: " + Base64(HmacSha256(secret, body)),
      "X-Shopify-Shop-Domain: " + options_.shop_domain,
      "X-Shopify-API-Version: 2026-04",
      "X-Shopify-Webhook-Id: " + event,
      "X-Shopify-Event-Id: " + event,
      "X-Shopify-Triggered-At: " + IsoTime(now_ms),
      "Expect:"};

  CURL* curl = curl_easy_init();
  if (curl == nullptr) return 0;
  curl_slist* list = nullptr;
  for (const std::string& h : headers) list = curl_slist_append(list, h.c_str());
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 5000L);  // Shopify waits 5 s for an answer
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(
      curl, CURLOPT_WRITEFUNCTION,
      +[](char*, size_t size, size_t count, void*) { return size * count; });
  long status = 0;
  if (curl_easy_perform(curl) == CURLE_OK) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  }
  curl_slist_free_all(list);
  curl_easy_cleanup(curl);
  Log("shopify: webhook " + topic + " for order " + std::to_string(order_id) + " -> " +
      std::to_string(status));
  return static_cast<int>(status);
}

}  // namespace stockd::fakes
