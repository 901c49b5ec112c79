// FakeAmazon's orders: a lifecycle for tests (place, pay, ship part or all, cancel) and the
// Orders API 2026-01-01 searchOrders that reads it. Each change bumps the order's
// lastUpdatedTime (whole seconds, strictly increasing per order) and becomes visible
// `orders_lag_ms` later; searchOrders pages in ascending lastUpdatedTime with opaque
// pagination tokens that serve only the filter they were issued for. The fulfillment
// objects (order status, shipped quantities) are in the answer only with
// includedData=FULFILLMENT, as Amazon's are. Handlers run with mu_ held.
#include <algorithm>
#include <cstdio>
#include <set>

#include "tests/fakes/amazon/fake_amazon.h"
#include "tests/fakes/amazon/fake_amazon_rules.h"

namespace stockd::fakes {

using amazon_fake::InvalidInput;
using Json = nlohmann::json;

namespace {

std::string Param(const std::map<std::string, std::string>& query, const char* name) {
  const auto it = query.find(name);
  return it == query.end() ? "" : it->second;
}

std::set<std::string> CsvSet(const std::string& text) {
  std::set<std::string> out;
  size_t start = 0;
  while (!text.empty() && start <= text.size()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    out.insert(text.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

const std::set<std::string> kStatuses = {"PENDING_AVAILABILITY", "PENDING", "UNSHIPPED",
                                         "PARTIALLY_SHIPPED",    "SHIPPED", "CANCELLED",
                                         "UNFULFILLABLE"};
const std::set<std::string> kIncludedData = {
    "BUYER",       "RECIPIENT", "PROCEEDS", "EXPENSE", "PROMOTION",         "CANCELLATION",
    "FULFILLMENT", "PACKAGES",  "TAX",      "PAYMENT", "FULFILLMENT_ORDERS"};

}  // namespace

Json FakeAmazon::OrderJson(const Order& order) const {
  Json items = Json::array();
  for (const OrderLine& line : order.lines) {
    const int64_t open = order.status == "CANCELLED" ? 0 : line.ordered - line.shipped;
    items.push_back(
        {{"orderItemId", line.item_id},
         {"quantityOrdered", line.ordered},
         {"product", {{"sellerSku", line.sku}}},
         {"fulfillment", {{"quantityFulfilled", line.shipped}, {"quantityUnfulfilled", open}}}});
  }
  return {
      {"orderId", order.id},
      {"createdTime", amazon_fake::Iso8601(order.created_ms)},
      {"lastUpdatedTime", amazon_fake::Iso8601(order.updated_ms)},
      {"salesChannel", {{"channelName", "AMAZON"}, {"marketplaceId", options_.marketplace_ids[0]}}},
      {"fulfillment", {{"fulfillmentStatus", order.status}, {"fulfilledBy", "MERCHANT"}}},
      {"orderItems", items}};
}

void FakeAmazon::TouchOrderLocked(Order* order, const std::string& what) {
  const int64_t now_s = amazon_fake::NowMs() / 1000 * 1000;
  order->updated_ms = std::max(now_s, order->updated_ms + 1000);
  if (order->created_ms == 0) order->created_ms = order->updated_ms;
  order->versions.push_back({Clock::now() + std::chrono::milliseconds(options_.orders_lag_ms),
                             order->created_ms, order->updated_ms, order->status,
                             OrderJson(*order)});
  LogLocked("order " + order->id + " " + what + " (" + order->status + ")");
}

std::string FakeAmazon::PlaceOrder(const std::vector<std::pair<std::string, int64_t>>& lines,
                                   bool paid) {
  std::lock_guard<std::mutex> lock(mu_);
  if (lines.empty()) return "";
  Order order;
  char id[32];
  const int64_t n = next_id_++;
  std::snprintf(id, sizeof id, "303-%07lld-%07lld", static_cast<long long>(n),
                static_cast<long long>((n * 7919) % 10'000'000));
  order.id = id;
  order.status = paid ? "UNSHIPPED" : "PENDING";
  for (const auto& [sku, quantity] : lines) {
    if (sku.empty() || quantity < 1) return "";
    char item_id[24];
    std::snprintf(item_id, sizeof item_id, "%014lld",
                  static_cast<long long>(10'000'000'000'000LL + next_id_++));
    order.lines.push_back({item_id, sku, quantity, 0});
  }
  for (const OrderLine& line : order.lines) AdjustQuantityLocked(line.sku, -line.ordered);
  TouchOrderLocked(&order, "placed with " + std::to_string(order.lines.size()) + " lines");
  orders_[order.id] = order;
  return order.id;
}

bool FakeAmazon::PayOrder(const std::string& order_id) {
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = orders_.find(order_id);
  if (it == orders_.end() ||
      (it->second.status != "PENDING" && it->second.status != "PENDING_AVAILABILITY")) {
    return false;
  }
  it->second.status = "UNSHIPPED";
  TouchOrderLocked(&it->second, "paid");
  return true;
}

bool FakeAmazon::ShipOrder(const std::string& order_id, const std::string& sku, int64_t quantity) {
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = orders_.find(order_id);
  if (it == orders_.end() || quantity < 1 ||
      (it->second.status != "UNSHIPPED" && it->second.status != "PARTIALLY_SHIPPED")) {
    return false;
  }
  Order& order = it->second;
  const auto line = std::find_if(order.lines.begin(), order.lines.end(), [&](const OrderLine& l) {
    return l.sku == sku && l.ordered - l.shipped >= quantity;
  });
  if (line == order.lines.end()) return false;
  line->shipped += quantity;
  const bool all = std::all_of(order.lines.begin(), order.lines.end(),
                               [](const OrderLine& l) { return l.shipped == l.ordered; });
  order.status = all ? "SHIPPED" : "PARTIALLY_SHIPPED";
  TouchOrderLocked(&order, "shipped " + std::to_string(quantity) + " of " + sku);
  return true;
}

bool FakeAmazon::ShipAll(const std::string& order_id) {
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = orders_.find(order_id);
  if (it == orders_.end() ||
      (it->second.status != "UNSHIPPED" && it->second.status != "PARTIALLY_SHIPPED")) {
    return false;
  }
  for (OrderLine& line : it->second.lines) line.shipped = line.ordered;
  it->second.status = "SHIPPED";
  TouchOrderLocked(&it->second, "shipped");
  return true;
}

bool FakeAmazon::CancelOrder(const std::string& order_id) {
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = orders_.find(order_id);
  if (it == orders_.end() || it->second.status == "SHIPPED" || it->second.status == "CANCELLED") {
    return false;
  }
  Order& order = it->second;
  order.status = "CANCELLED";
  for (const OrderLine& line : order.lines)
    AdjustQuantityLocked(line.sku, line.ordered - line.shipped);
  TouchOrderLocked(&order, "cancelled");
  return true;
}

HttpAnswer FakeAmazon::SearchOrders(const std::map<std::string, std::string>& query) {
  const std::string created_after = Param(query, "createdAfter");
  const std::string updated_after = Param(query, "lastUpdatedAfter");
  if (created_after.empty() == updated_after.empty()) {
    return InvalidInput("exactly one of createdAfter and lastUpdatedAfter is required");
  }
  const bool by_update = !updated_after.empty();
  const std::optional<int64_t> after =
      amazon_fake::ParseIso8601(by_update ? updated_after : created_after);
  const int64_t now = amazon_fake::NowMs();
  if (!after.has_value()) {
    return InvalidInput((by_update ? "lastUpdatedAfter" : "createdAfter") +
                        std::string(" is not an ISO 8601 date-time"));
  }
  if (!Param(query, by_update ? "createdBefore" : "lastUpdatedBefore").empty()) {
    return InvalidInput(
        "createdBefore goes with createdAfter, lastUpdatedBefore with lastUpdatedAfter");
  }
  const std::string before_text = Param(query, by_update ? "lastUpdatedBefore" : "createdBefore");
  std::optional<int64_t> before;
  if (!before_text.empty()) {
    before = amazon_fake::ParseIso8601(before_text);
    if (!before.has_value() || *before < *after || *before > now - 120'000) {
      return InvalidInput("the before date must follow the after date and be two minutes old");
    }
  }
  const std::string marketplaces =
      amazon_fake::CheckMarketplaces(query, options_.marketplace_ids, false);
  if (!marketplaces.empty()) return InvalidInput(marketplaces);
  int64_t page_size = 100;
  if (!Param(query, "maxResultsPerPage").empty()) {
    page_size = std::atoll(Param(query, "maxResultsPerPage").c_str());
    if (page_size < 1 || page_size > 100) return InvalidInput("maxResultsPerPage must be 1..100");
  }
  const std::set<std::string> included = CsvSet(Param(query, "includedData"));
  for (const std::string& part : included) {
    if (kIncludedData.count(part) == 0) return InvalidInput("includedData: \"" + part + "\"");
  }
  const std::set<std::string> statuses = CsvSet(Param(query, "fulfillmentStatuses"));
  for (const std::string& status : statuses) {
    if (kStatuses.count(status) == 0)
      return InvalidInput("fulfillmentStatuses: \"" + status + "\"");
  }
  const std::string filter = (by_update ? "u=" : "c=") + std::to_string(*after) +
                             "&b=" + before_text + "&s=" + Param(query, "fulfillmentStatuses");
  size_t offset = 0;
  const std::string token = Param(query, "paginationToken");
  if (!token.empty()) {
    const auto it = page_tokens_.find(token);
    if (it == page_tokens_.end() || it->second.filter != filter) {
      return InvalidInput("paginationToken is invalid or was issued for other parameters");
    }
    offset = it->second.offset;
  }

  std::vector<const OrderVersion*> matches;
  const Clock::time_point steady_now = Clock::now();
  for (const auto& [id, order] : orders_) {
    const OrderVersion* shown = nullptr;
    for (const OrderVersion& v : order.versions) {
      if (v.visible <= steady_now) shown = &v;
    }
    if (shown == nullptr) continue;
    const int64_t t = by_update ? shown->updated_ms : shown->created_ms;
    if (t < *after || (before.has_value() && t > *before)) continue;
    if (!statuses.empty() && statuses.count(shown->status) == 0) continue;
    matches.push_back(shown);
  }
  std::sort(matches.begin(), matches.end(), [](const OrderVersion* a, const OrderVersion* b) {
    return a->updated_ms != b->updated_ms ? a->updated_ms < b->updated_ms
                                          : a->json["orderId"] < b->json["orderId"];
  });
  Json orders = Json::array();
  const bool fulfillment = included.count("FULFILLMENT") != 0;
  for (size_t i = offset; i < matches.size() && i < offset + static_cast<size_t>(page_size); ++i) {
    Json o = matches[i]->json;
    if (!fulfillment) {
      o.erase("fulfillment");
      for (Json& item : o["orderItems"]) item.erase("fulfillment");
    }
    orders.push_back(std::move(o));
  }
  Json answer = {{"orders", orders}};
  if (offset + static_cast<size_t>(page_size) < matches.size()) {
    const std::string next = "pg" + std::to_string(next_id_++) + RandomHexLocked(16);
    page_tokens_[next] = {filter, offset + static_cast<size_t>(page_size)};
    answer["pagination"] = {{"nextToken", next}};
  }
  return HttpAnswer::Json(200, answer.dump());
}

}  // namespace stockd::fakes
