// The channel's answers to the webhook adapter's requests, read (answers.h).
#include "answers.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>

#include "common/http_client.h"

namespace stockd::webhook {

using stockd::adapters::Excerpt;

using stockd::sdk::Error;
using stockd::sdk::Json;
using stockd::sdk::Order;
using stockd::sdk::OrderLine;
using stockd::sdk::PushResult;

namespace {

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
  // Not shipped + cancelled > quantity: that sum may overflow (the fuzzer's first find).
  if (line.quantity_shipped > line.quantity - line.quantity_cancelled) {
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

}  // namespace

OrdersPage ParseOrdersPage(const std::string& body, const std::string& request) {
  const Json answer = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (answer.is_discarded() || !answer.is_object()) {
    throw Error(request + ": the answer is not a JSON object: " + Excerpt(body));
  }
  const std::string where = request + ": answer";
  OrdersPage page;
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

ItemResults ParseItemResults(const std::string& body, int32_t retry_after_ms) {
  ItemResults by_listing;
  const Json answer = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (answer.is_object() && answer.contains("results") && answer["results"].is_array()) {
    for (const Json& entry : answer["results"]) {
      if (!entry.is_object() || !entry.contains("listing_id") || !entry["listing_id"].is_string())
        continue;
      const std::string status = entry.contains("status") && entry["status"].is_string()
                                     ? entry["status"].get<std::string>()
                                     : "";
      std::string message = entry.contains("message") && entry["message"].is_string()
                                ? entry["message"].get<std::string>()
                                : "";
      PushResult result;
      if (status == "ok") {
        result = PushResult::Ok();
      } else if (status == "error") {
        result = PushResult::Permanent(message.empty() ? "rejected by the channel" : message);
      } else if (status == "conflict") {
        result = PushResult::Conflict(
            message.empty() ? "the channel's quantity is no longer `previous`" : message);
      } else if (status == "retry") {
        result = PushResult::Retry(message.empty() ? "the channel asked to retry" : message,
                                   retry_after_ms);
      } else {
        result = PushResult::Retry("the channel answered an unknown status \"" + status + "\"");
      }
      by_listing[entry["listing_id"].get<std::string>()] = std::move(result);
    }
  }
  return by_listing;
}

void ParseFetchAnswer(const std::string& body, const std::vector<std::string_view>& listing_ids,
                      size_t start, size_t end, const std::string& request,
                      std::vector<int64_t>* quantities) {
  const Json answer = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!answer.is_object() || !answer.contains("quantities") || !answer["quantities"].is_object()) {
    throw Error(request + ": the answer has no \"quantities\" object: " + Excerpt(body));
  }
  const Json& got = answer["quantities"];
  for (size_t i = start; i < end; ++i) {
    const auto it = got.find(std::string(listing_ids[i]));
    if (it == got.end() || it->is_null()) continue;
    if (!it->is_number_integer()) {
      throw Error(request + ": the quantity of \"" + std::string(listing_ids[i]) +
                  "\" is not an integer");
    }
    (*quantities)[i] =
        it->is_number_unsigned()
            ? static_cast<int64_t>(std::min<uint64_t>(it->get<uint64_t>(), INT64_MAX))
            : std::max<int64_t>(it->get<int64_t>(), -1);
  }
}

}  // namespace stockd::webhook
