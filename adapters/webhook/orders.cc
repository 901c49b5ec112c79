// WebhookAdapter::PollOrders: GET <orders_url>?channel=C&after=CURSOR&limit=N, following
// next_cursor while has_more (adapters/README.md, "Orders").
//
// A poll reads its pages first (at most orders_max_pages) and checks each whole: a page
// that is not the documented JSON fails the poll, naming the field, before any order of
// the poll reached the daemon. Then it hands the orders over in change order. When the
// daemon takes no more, the poll returns the cursor of the last page handed over whole (or
// the cursor it started from), never one past an order not delivered: the daemon treats a
// revision delivered twice as a replay.
#include <string>
#include <utility>
#include <vector>

#include "webhook_adapter.h"

namespace stockd::webhook {
namespace {

using stockd::sdk::Error;
using stockd::sdk::Json;
using stockd::sdk::Order;
using stockd::sdk::OrderLine;

struct Page {
  std::vector<Order> orders;
  std::string next_cursor;
  bool has_more = false;
};

// The field `key` of object `object` (at `where`), which must be present.
const Json& Field(const Json& object, const char* key, const std::string& where) {
  const auto it = object.find(key);
  if (it == object.end()) throw Error(where + ": no \"" + key + "\"");
  return *it;
}

std::string StringField(const Json& object, const char* key, const std::string& where,
                        bool may_be_empty) {
  const Json& value = Field(object, key, where);
  if (!value.is_string()) throw Error(where + "." + key + " is not a string");
  std::string text = value.get<std::string>();
  if (text.empty() && !may_be_empty) throw Error(where + "." + key + " is empty");
  return text;
}

int64_t IntField(const Json& object, const char* key, const std::string& where, int64_t min) {
  const Json& value = Field(object, key, where);
  if (!value.is_number_integer() ||
      (value.is_number_unsigned() && value.get<uint64_t>() > uint64_t{INT64_MAX})) {
    throw Error(where + "." + key + " is not an integer");
  }
  const int64_t n = value.get<int64_t>();
  if (n < min)
    throw Error(where + "." + key + " is " + std::to_string(n) + ", below " + std::to_string(min));
  return n;
}

OrderLine ParseLine(const Json& json, const std::string& where) {
  if (!json.is_object()) throw Error(where + " is not an object");
  OrderLine line;
  line.listing_id = StringField(json, "listing_id", where, /*may_be_empty=*/false);
  line.quantity = IntField(json, "quantity", where, 1);
  line.quantity_shipped = IntField(json, "quantity_shipped", where, 0);
  line.quantity_cancelled = IntField(json, "quantity_cancelled", where, 0);
  if (line.quantity_shipped + line.quantity_cancelled > line.quantity) {
    throw Error(where + ": quantity_shipped + quantity_cancelled exceed quantity");
  }
  if (const auto it = json.find("location"); it != json.end() && !it->is_null()) {
    line.location = StringField(json, "location", where, /*may_be_empty=*/true);
  }
  return line;
}

Order ParseOrder(const Json& json, const std::string& where) {
  if (!json.is_object()) throw Error(where + " is not an object");
  Order order;
  order.order_id = StringField(json, "order_id", where, /*may_be_empty=*/false);
  const std::string named = where + " (\"" + order.order_id + "\")";
  order.revision = IntField(json, "revision", named, 1);
  order.status = StringField(json, "status", named, /*may_be_empty=*/false);
  if (order.status != "pending" && order.status != "accepted" && order.status != "shipped" &&
      order.status != "cancelled") {
    throw Error(named + ".status is \"" + order.status +
                "\" (pending, accepted, shipped or cancelled)");
  }
  const Json& lines = Field(json, "lines", named);
  if (!lines.is_array() || lines.empty()) throw Error(named + ".lines is not a non-empty array");
  for (size_t i = 0; i < lines.size(); ++i) {
    order.lines.push_back(ParseLine(lines[i], named + ".lines[" + std::to_string(i) + "]"));
  }
  return order;
}

Page ParsePage(const std::string& body, const std::string& request) {
  const Json answer = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (answer.is_discarded() || !answer.is_object()) {
    throw Error(request + ": the answer is not a JSON object: " + Excerpt(body));
  }
  const std::string where = request + ": answer";
  Page page;
  const Json& orders = Field(answer, "orders", where);
  if (!orders.is_array()) throw Error(where + ".orders is not an array");
  for (size_t i = 0; i < orders.size(); ++i) {
    page.orders.push_back(ParseOrder(orders[i], where + ".orders[" + std::to_string(i) + "]"));
  }
  page.next_cursor = StringField(answer, "next_cursor", where, /*may_be_empty=*/true);
  const Json& has_more = Field(answer, "has_more", where);
  if (!has_more.is_boolean()) throw Error(where + ".has_more is not true or false");
  page.has_more = has_more.get<bool>();
  if (page.has_more && page.orders.empty()) {
    throw Error(where + ": has_more with no orders (the cursor would not move)");
  }
  return page;
}

}  // namespace

std::string WebhookAdapter::PollOrders(std::string_view cursor,
                                       const stockd::sdk::OrderSink& sink) {
  const std::string base =
      settings_.orders_url + (settings_.orders_url.find('?') == std::string::npos ? "?" : "&") +
      (settings_.channel.empty() ? "" : "channel=" + http_.Escape(settings_.channel) + "&") +
      "limit=" + std::to_string(settings_.orders_page_size);
  std::vector<Page> pages;
  std::string after(cursor);
  for (int64_t n = 0; n < settings_.orders_max_pages; ++n) {
    if (host_.Cancelled())
      throw Error("GET " + shown_orders_url_ + ": abandoned, stockd is stopping");
    const std::string url = base + (after.empty() ? "" : "&after=" + http_.Escape(after));
    const Response r = http_.Perform(/*post=*/false, url, shown_orders_url_, "", host_.NowMs());
    if (r.code != CURLE_OK) throw Error(r.transport_error);
    const std::string request = "GET " + shown_orders_url_;
    if (r.status < 200 || r.status >= 300) throw Error(request + ": " + HttpError(r));
    Page page = ParsePage(r.body, request);
    if (page.has_more && (page.next_cursor.empty() || page.next_cursor == after)) {
      throw Error(request + ": answer.next_cursor does not move past the page (has_more)");
    }
    if (page.orders.empty() && page.next_cursor.empty()) page.next_cursor = after;
    const bool more = page.has_more;
    after = page.next_cursor;
    pages.push_back(std::move(page));
    if (!more) break;
  }
  std::string delivered(cursor);
  size_t count = 0;
  for (const Page& page : pages) {
    for (const Order& order : page.orders) {
      if (!sink(order)) {
        host_.Count("orders_polled", static_cast<double>(count));
        return delivered;
      }
      ++count;
    }
    delivered = page.next_cursor;
  }
  host_.Count("orders_polled", static_cast<double>(count));
  return delivered;
}

}  // namespace stockd::webhook
