// FakeEbay's orders: the order book's lifecycle (place, pay, ship lines, cancel) and the
// Fulfillment API's getOrders with its filter, limit and offset checks.
#include <algorithm>
#include <cstdio>

#include "tests/fakes/ebay/ebay_answers.h"
#include "tests/fakes/ebay/fake_ebay.h"

namespace stockd::fakes {
namespace {

using ebay_answers::ErrorAnswer;
using ebay_answers::FormatIso;
using ebay_answers::ParseIso;
using OrderedJson = nlohmann::ordered_json;

constexpr int64_t kWindowMs = 90LL * 86'400'000;
constexpr int64_t kFutureSkewMs = 60'000;
constexpr int64_t kMaxLimit = 200;

HttpAnswer FulfillmentError(int64_t error_id, const std::string& message,
                            const ebay_answers::Params& params = {}) {
  return ErrorAnswer(
      400, ebay_answers::Error(error_id, "API_FULFILLMENT", "REQUEST", message, "", params));
}

bool ParseCount(const std::string& text, int64_t* out) {
  if (text.empty() || text.size() > 9 ||
      text.find_first_not_of("0123456789") != std::string::npos) {
    return false;
  }
  *out = std::stoll(text);
  return true;
}

// A date range filter's value "[start..]" or "[start..end]".
struct Range {
  int64_t start = 0;
  int64_t end = -1;  // -1: open
};

}  // namespace

// ---------------------------------------------------------------- the order book

FakeEbay::Order* FakeEbay::FindOrder(const std::string& order_id) {
  const auto it = orders_.find(order_id);
  return it == orders_.end() ? nullptr : &it->second;
}

void FakeEbay::Touch(Order* order) {
  const int64_t now = fixed_now_ms_ != 0 ? fixed_now_ms_
                                         : std::chrono::duration_cast<std::chrono::milliseconds>(
                                               std::chrono::system_clock::now().time_since_epoch())
                                               .count();
  order->modified_ms = std::max(now, order->modified_ms + 1);
}

std::string FakeEbay::PlaceOrder(const std::vector<NewLine>& lines) {
  std::string id;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const NewLine& l : lines) {
      if (l.quantity < 1) return "";
      if (l.sku.empty()) continue;
      const auto item = items_.find(l.sku);
      if (item == items_.end() || item->second.quantity < l.quantity) return "";
      for (const std::string& offer : item->second.offer_ids) {
        if (offers_[offer].available < l.quantity) return "";
      }
    }
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "27-%05lld-%05lld",
                  static_cast<long long>(next_order_ / 100000 % 100000),
                  static_cast<long long>(next_order_ % 100000));
    ++next_order_;
    id = buffer;
    Order order;
    order.order_id = id;
    for (const NewLine& l : lines) {
      order.lines.push_back(
          {std::to_string(10'000'000'000'000LL + next_line_++), l.sku, l.quantity, false});
      if (l.sku.empty()) continue;
      Item& item = items_[l.sku];
      item.quantity -= l.quantity;
      for (const std::string& offer : item.offer_ids) offers_[offer].available -= l.quantity;
    }
    Touch(&order);
    order.created_ms = order.modified_ms;
    orders_[id] = std::move(order);
  }
  Log("order " + id + " placed with " + std::to_string(lines.size()) + " lines");
  return id;
}

bool FakeEbay::PayOrder(const std::string& order_id) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    Order* order = FindOrder(order_id);
    if (order == nullptr || order->paid || order->cancelled) return false;
    order->paid = true;
    Touch(order);
  }
  Log("order " + order_id + " paid");
  return true;
}

bool FakeEbay::ShipLines(const std::string& order_id, const std::vector<size_t>& line_indexes) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    Order* order = FindOrder(order_id);
    if (order == nullptr || !order->paid || order->cancelled) return false;
    for (const size_t i : line_indexes) {
      if (i >= order->lines.size()) return false;
    }
    for (const size_t i : line_indexes) order->lines[i].fulfilled = true;
    Touch(order);
  }
  Log("order " + order_id + " shipped " + std::to_string(line_indexes.size()) + " lines");
  return true;
}

bool FakeEbay::ShipOrder(const std::string& order_id) {
  std::vector<size_t> all;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Order* order = FindOrder(order_id);
    if (order == nullptr) return false;
    for (size_t i = 0; i < order->lines.size(); ++i) all.push_back(i);
  }
  return ShipLines(order_id, all);
}

bool FakeEbay::CancelOrder(const std::string& order_id) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    Order* order = FindOrder(order_id);
    if (order == nullptr || order->cancelled) return false;
    order->cancelled = true;
    for (const Line& l : order->lines) {
      if (l.fulfilled || l.sku.empty()) continue;
      const auto item = items_.find(l.sku);
      if (item == items_.end()) continue;
      item->second.quantity += l.quantity;
      for (const std::string& offer : item->second.offer_ids)
        offers_[offer].available += l.quantity;
    }
    Touch(order);
    order->cancelled_ms = order->modified_ms;
  }
  Log("order " + order_id + " cancelled");
  return true;
}

int64_t FakeEbay::OrderModifiedMs(const std::string& order_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = orders_.find(order_id);
  return it == orders_.end() ? -1 : it->second.modified_ms;
}

// ---------------------------------------------------------------- getOrders

HttpAnswer FakeEbay::GetOrders(const HttpRequest& request) {
  const std::optional<std::map<std::string, std::string>> query = ParseQuery(request.query);
  if (!query) return FulfillmentError(30700, "Invalid filter name: ");
  const auto get = [&query](const char* name, std::string fallback) {
    const auto it = query->find(name);
    return it == query->end() ? fallback : it->second;
  };
  int64_t limit = 50, offset = 0;
  const std::string limit_text = get("limit", "50");
  if (!ParseCount(limit_text, &limit) || limit < 1 || limit > kMaxLimit) {
    return FulfillmentError(31100, "Invalid limit: " + limit_text);
  }
  const std::string offset_text = get("offset", "0");
  if (!ParseCount(offset_text, &offset)) {
    return FulfillmentError(31000, "Invalid offset: " + offset_text);
  }
  const int64_t now = NowMs();
  std::optional<Range> created, modified;
  std::string statuses;  // "" = any
  const std::string filter = get("filter", "");
  size_t pos = 0;
  while (pos < filter.size()) {
    const size_t comma = filter.find(',', pos);
    const std::string criterion =
        filter.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    pos = comma == std::string::npos ? filter.size() : comma + 1;
    const size_t colon = criterion.find(':');
    const std::string name = criterion.substr(0, colon);
    const std::string value = colon == std::string::npos ? "" : criterion.substr(colon + 1);
    const auto bad_value = [&] {
      return FulfillmentError(30800, "Invalid filter value " + value + " for filter " + name,
                              {{"fieldvalue", value}, {"fieldname", name}});
    };
    if (name == "creationdate" || name == "lastmodifieddate") {
      const size_t dots = value.find("..");
      if (value.size() < 4 || value.front() != '[' || value.back() != ']' ||
          dots == std::string::npos) {
        return bad_value();
      }
      const std::string start = value.substr(1, dots - 1);
      const std::string end = value.substr(dots + 2, value.size() - dots - 3);
      if (start.empty()) return FulfillmentError(30820, "Start date is missing");
      Range range;
      const std::optional<int64_t> s = ParseIso(start);
      const std::optional<int64_t> e = end.empty() ? std::optional<int64_t>(-1) : ParseIso(end);
      if (!s || !e) return FulfillmentError(30810, "Invalid date format");
      range.start = *s;
      range.end = *e;
      if (range.start > now + kFutureSkewMs || range.end > now + kFutureSkewMs) {
        return FulfillmentError(30850, "Start and end dates can't be in the future");
      }
      if (range.end >= 0 && range.start > range.end) {
        return FulfillmentError(30840, "Start date should be before end date");
      }
      if (range.start < now - kWindowMs) {
        return FulfillmentError(30830,
                                "Start date must be within 90 days of end date and current date.");
      }
      (name == "creationdate" ? created : modified) = range;
    } else if (name == "orderfulfillmentstatus") {
      if (value != "{NOT_STARTED|IN_PROGRESS}" && value != "{FULFILLED|IN_PROGRESS}") {
        return bad_value();
      }
      statuses = value;
    } else {
      return FulfillmentError(30700, "Invalid filter name: " + name, {{"fieldname", name}});
    }
  }
  if (created)
    modified.reset();  // "If creationdate and lastmodifieddate are both included,
                       // only creationdate is used."
  if (!created && !modified) created = Range{now - kWindowMs, -1};

  std::vector<const Order*> matching;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [id, order] : orders_) {
    if (!order.paid) continue;  // checkout not complete: not listed
    const Range& r = created ? *created : *modified;
    const int64_t t = created ? order.created_ms : order.modified_ms;
    if (t < r.start || (r.end >= 0 && t > r.end)) continue;
    size_t fulfilled = 0;
    for (const Line& l : order.lines) fulfilled += l.fulfilled ? 1 : 0;
    const bool all = fulfilled == order.lines.size();
    if (statuses == "{NOT_STARTED|IN_PROGRESS}" && all) continue;
    if (statuses == "{FULFILLED|IN_PROGRESS}" && fulfilled == 0) continue;
    matching.push_back(&order);
  }
  std::sort(matching.begin(), matching.end(), [](const Order* a, const Order* b) {
    return a->created_ms != b->created_ms ? a->created_ms > b->created_ms
                                          : a->order_id > b->order_id;
  });
  const int64_t total = static_cast<int64_t>(matching.size());
  OrderedJson orders = OrderedJson::array();
  for (int64_t i = offset; i < std::min(total, offset + limit); ++i) {
    const Order& o = *matching[static_cast<size_t>(i)];
    size_t fulfilled = 0;
    OrderedJson lines = OrderedJson::array();
    for (const Line& l : o.lines) {
      fulfilled += l.fulfilled ? 1 : 0;
      OrderedJson line = {{"lineItemId", l.line_item_id}};
      if (!l.sku.empty()) line["sku"] = l.sku;
      line["title"] = "Item " + (l.sku.empty() ? l.line_item_id : l.sku);
      line["quantity"] = l.quantity;
      line["soldFormat"] = "FIXED_PRICE";
      line["listingMarketplaceId"] = "EBAY_US";
      line["lineItemFulfillmentStatus"] = l.fulfilled ? "FULFILLED" : "NOT_STARTED";
      lines.push_back(std::move(line));
    }
    OrderedJson cancel = {{"cancelState", o.cancelled ? "CANCELED" : "NONE_REQUESTED"},
                          {"cancelRequests", OrderedJson::array()}};
    if (o.cancelled) cancel["cancelledDate"] = FormatIso(o.cancelled_ms);
    orders.push_back(
        {{"orderId", o.order_id},
         {"legacyOrderId", o.order_id},
         {"creationDate", FormatIso(o.created_ms)},
         {"lastModifiedDate", FormatIso(o.modified_ms)},
         {"orderFulfillmentStatus", fulfilled == 0                ? "NOT_STARTED"
                                    : fulfilled == o.lines.size() ? "FULFILLED"
                                                                  : "IN_PROGRESS"},
         {"orderPaymentStatus", "PAID"},
         {"sellerId", "stockd_test_seller"},
         {"buyer", {{"username", "buyer_" + o.order_id.substr(o.order_id.size() - 5)}}},
         {"cancelStatus", std::move(cancel)},
         {"lineItems", std::move(lines)}});
  }
  const std::string base = base_url() + request.path + "?filter=" + filter;
  const auto page = [&](int64_t at) {
    return base + "&limit=" + std::to_string(limit) + "&offset=" + std::to_string(at);
  };
  OrderedJson answer = {{"href", page(offset)}, {"total", total}};
  if (offset + limit < total) answer["next"] = page(offset + limit);
  if (offset > 0) answer["prev"] = page(std::max<int64_t>(0, offset - limit));
  answer["limit"] = limit;
  answer["offset"] = offset;
  answer["orders"] = std::move(orders);
  return HttpAnswer::Json(200, answer.dump());
}

}  // namespace stockd::fakes
