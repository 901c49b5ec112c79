#include "amazon/amazon_api.h"

#include <time.h>

#include <algorithm>
#include <cstdio>
#include <limits>

#include "common/http_client.h"

namespace stockd::amazon {
namespace {

using stockd::sdk::Error;
using stockd::sdk::Json;
using OrderedJson = nlohmann::ordered_json;

Json ParseObject(const std::string& body, const std::string& request) {
  Json j = Json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    throw Error(request + ": the answer is not a JSON object: " + adapters::Excerpt(body));
  }
  return j;
}

const Json* Member(const Json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  const auto it = object.find(key);
  return it == object.end() || it->is_null() ? nullptr : &*it;
}

std::string StringMember(const Json& object, const char* key) {
  const Json* value = Member(object, key);
  return value != nullptr && value->is_string() ? value->get<std::string>() : "";
}

std::string RequireString(const Json& object, const char* key, const std::string& where) {
  const std::string value = StringMember(object, key);
  if (value.empty()) throw Error(where + "." + key + " is missing or not a string");
  return value;
}

// "code: message" of each issue of `severity` ("" = every issue), joined by "; ".
std::string IssuesText(const Json* issues, const std::string& severity) {
  std::string text;
  if (issues == nullptr || !issues->is_array()) return text;
  for (const Json& issue : *issues) {
    if (!severity.empty() && StringMember(issue, "severity") != severity) continue;
    const std::string code = StringMember(issue, "code");
    const std::string message = StringMember(issue, "message");
    text += (text.empty() ? "" : "; ") + (code.empty() ? message : code + ": " + message);
  }
  return text;
}

int64_t QuantityFor(const Json& item, const std::string& channel_code) {
  const Json* availability = Member(item, "fulfillmentAvailability");
  if (availability == nullptr || !availability->is_array()) return 0;
  for (const Json& entry : *availability) {
    if (StringMember(entry, "fulfillmentChannelCode") != channel_code) continue;
    const Json* quantity = Member(entry, "quantity");
    return quantity != nullptr && quantity->is_number_integer()
               ? std::max<int64_t>(0, quantity->get<int64_t>())
               : 0;
  }
  return 0;
}

// Amazon's fulfillment status -> the order model's status ("" = not one stockd knows).
std::string OrderStatus(const std::string& amazon_status) {
  if (amazon_status == "PENDING" || amazon_status == "PENDING_AVAILABILITY") return "pending";
  if (amazon_status == "UNSHIPPED") return "accepted";
  if (amazon_status == "PARTIALLY_SHIPPED" || amazon_status == "SHIPPED") return "shipped";
  if (amazon_status == "CANCELLED" || amazon_status == "UNFULFILLABLE") return "cancelled";
  return "";
}

int64_t IntMember(const Json& object, const char* key, int64_t fallback, const std::string& where) {
  const Json* value = Member(object, key);
  if (value == nullptr) return fallback;
  if (!value->is_number_integer()) throw Error(where + "." + key + " is not an integer");
  return value->get<int64_t>();
}

}  // namespace

std::optional<int64_t> ParseIso8601Ms(std::string_view text) {
  const std::string s(text);
  int year, month, day, hour, minute, second, consumed = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &year, &month, &day, &hour, &minute,
                  &second, &consumed) != 6 ||
      consumed != 19) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  size_t pos = 19;
  int64_t ms = 0;
  if (pos < s.size() && s[pos] == '.') {
    int64_t scale = 100;
    ++pos;
    const size_t digits_start = pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      ms += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == digits_start) return std::nullopt;
  }
  int64_t offset_s = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh = 0, om = 0, n = 0;
    if (std::sscanf(s.c_str() + pos + 1, "%2d:%2d%n", &oh, &om, &n) != 2 || n != 5) {
      return std::nullopt;
    }
    offset_s = (s[pos] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
    pos += 6;
  } else {
    return std::nullopt;  // Amazon always says the zone
  }
  if (pos != s.size()) return std::nullopt;
  struct tm tm = {};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  const time_t seconds = timegm(&tm);
  return (static_cast<int64_t>(seconds) - offset_s) * 1000 + ms;
}

std::string FormatIso8601(int64_t ms) {
  const time_t seconds = static_cast<time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  const int64_t fraction = ms - static_cast<int64_t>(seconds) * 1000;
  struct tm tm = {};
  gmtime_r(&seconds, &tm);
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  std::string out = buffer;
  if (fraction != 0) {
    std::snprintf(buffer, sizeof buffer, ".%03d", static_cast<int>(fraction));
    out += buffer;
  }
  return out + "Z";
}

std::string FormatRate(double rate) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g", rate);
  return buffer;
}

std::string ErrorsText(const std::string& body) {
  const Json j = Json::parse(body, nullptr, false);
  const Json* errors = j.is_discarded() ? nullptr : Member(j, "errors");
  if (errors == nullptr || !errors->is_array() || errors->empty()) return adapters::Excerpt(body);
  std::string text;
  for (const Json& e : *errors) {
    std::string one = StringMember(e, "code");
    const std::string message = StringMember(e, "message");
    const std::string details = StringMember(e, "details");
    if (!message.empty()) one += (one.empty() ? "" : ": ") + message;
    if (!details.empty()) one += " (" + details + ")";
    text += (text.empty() ? "" : "; ") + one;
  }
  return text;
}

Json QuantityPatches(const std::string& channel_code, int64_t quantity) {
  return Json::array({{{"op", "merge"},
                       {"path", "/attributes/fulfillment_availability"},
                       {"value", Json::array({{{"fulfillment_channel_code", channel_code},
                                               {"quantity", quantity}}})}}});
}

std::string PatchBody(const std::string& product_type, const std::string& channel_code,
                      int64_t quantity) {
  OrderedJson body;
  body["productType"] = product_type;
  body["patches"] = QuantityPatches(channel_code, quantity);
  return body.dump();
}

Submission ParseSubmission(const std::string& body, const std::string& request) {
  const Json j = ParseObject(body, request);
  const std::string status = RequireString(j, "status", request + ": answer");
  Submission out;
  if (status == "ACCEPTED" || status == "VALID") {
    out.accepted = true;
    return out;
  }
  if (status != "INVALID") throw Error(request + ": answer.status \"" + status + "\" is unknown");
  out.issues = IssuesText(Member(j, "issues"), "ERROR");
  if (out.issues.empty()) out.issues = IssuesText(Member(j, "issues"), "");
  if (out.issues.empty()) out.issues = "the submission is INVALID (Amazon gave no issue)";
  return out;
}

std::map<std::string, int64_t> ParseSearchItems(const std::string& body,
                                                const std::string& channel_code,
                                                const std::string& request) {
  const Json j = ParseObject(body, request);
  const Json* items = Member(j, "items");
  if (items == nullptr || !items->is_array()) {
    throw Error(request + ": answer.items is missing or not an array");
  }
  std::map<std::string, int64_t> out;
  for (size_t i = 0; i < items->size(); ++i) {
    const Json& item = (*items)[i];
    const std::string sku =
        RequireString(item, "sku", request + ": answer.items[" + std::to_string(i) + "]");
    out[sku] = QuantityFor(item, channel_code);
  }
  return out;
}

int64_t ParseItemQuantity(const std::string& body, const std::string& channel_code,
                          const std::string& request) {
  const Json j = ParseObject(body, request);
  RequireString(j, "sku", request + ": answer");
  return QuantityFor(j, channel_code);
}

std::string ListingsFeed(const std::string& seller_id, const std::string& product_type,
                         const std::string& channel_code,
                         const std::vector<std::pair<std::string, int64_t>>& quantities) {
  OrderedJson feed;
  feed["header"] = {{"sellerId", seller_id}, {"version", "2.0"}, {"issueLocale", "en_US"}};
  OrderedJson& messages = feed["messages"] = OrderedJson::array();
  int64_t id = 0;
  for (const auto& [sku, quantity] : quantities) {
    OrderedJson message;
    message["messageId"] = ++id;
    message["sku"] = sku;
    message["operationType"] = "PATCH";
    message["productType"] = product_type;
    message["patches"] = OrderedJson::parse(QuantityPatches(channel_code, quantity).dump());
    messages.push_back(std::move(message));
  }
  return feed.dump(-1, ' ', false, Json::error_handler_t::replace);
}

DocumentLocation ParseDocument(const std::string& body, const std::string& request) {
  const Json j = ParseObject(body, request);
  DocumentLocation out;
  out.id = RequireString(j, "feedDocumentId", request + ": answer");
  out.url = RequireString(j, "url", request + ": answer");
  out.compression = StringMember(j, "compressionAlgorithm");
  return out;
}

std::string ParseFeedId(const std::string& body, const std::string& request) {
  return RequireString(ParseObject(body, request), "feedId", request + ": answer");
}

FeedState ParseFeed(const std::string& body, const std::string& request) {
  const Json j = ParseObject(body, request);
  FeedState out;
  out.status = RequireString(j, "processingStatus", request + ": answer");
  out.result_document_id = StringMember(j, "resultFeedDocumentId");
  return out;
}

ProcessingReport ParseProcessingReport(const std::string& body, const std::string& request) {
  const Json j = ParseObject(body, request);
  const Json* issues = Member(j, "issues");
  if (issues == nullptr || !issues->is_array()) {
    throw Error(request + ": report.issues is missing or not an array");
  }
  ProcessingReport out;
  for (size_t i = 0; i < issues->size(); ++i) {
    const Json& issue = (*issues)[i];
    if (StringMember(issue, "severity") != "ERROR") continue;
    const std::string code = StringMember(issue, "code");
    const std::string message = StringMember(issue, "message");
    const std::string text = code.empty() ? message : code + ": " + message;
    const Json* id = Member(issue, "messageId");
    if (id == nullptr) {
      out.feed_errors += (out.feed_errors.empty() ? "" : "; ") + text;
    } else if (id->is_number_integer()) {
      std::string& errors = out.message_errors[id->get<int64_t>()];
      errors += (errors.empty() ? "" : "; ") + text;
    } else {
      throw Error(request + ": report.issues[" + std::to_string(i) +
                  "].messageId is not an integer");
    }
  }
  const Json* summary = Member(j, "summary");
  if (summary != nullptr) {
    out.messages_processed =
        IntMember(*summary, "messagesProcessed", 0, request + ": report.summary");
  }
  return out;
}

OrdersPage ParseOrdersPage(const std::string& body, const std::string& request) {
  const Json j = ParseObject(body, request);
  const Json* orders = Member(j, "orders");
  if (orders == nullptr || !orders->is_array()) {
    throw Error(request + ": answer.orders is missing or not an array");
  }
  OrdersPage page;
  for (size_t i = 0; i < orders->size(); ++i) {
    const Json& o = (*orders)[i];
    const std::string where = request + ": answer.orders[" + std::to_string(i) + "]";
    PolledOrder polled;
    polled.order.order_id = RequireString(o, "orderId", where);
    polled.updated = StringMember(o, "lastUpdatedTime");
    if (polled.updated.empty()) polled.updated = StringMember(o, "lastUpdateDate");
    const std::optional<int64_t> updated = ParseIso8601Ms(polled.updated);
    if (!updated.has_value() || *updated <= 0) {
      throw Error(where + ".lastUpdatedTime is missing or not an ISO 8601 time");
    }
    polled.updated_ms = *updated;
    polled.order.revision = *updated;
    const Json* fulfillment = Member(o, "fulfillment");
    std::string amazon_status =
        fulfillment != nullptr ? StringMember(*fulfillment, "fulfillmentStatus") : "";
    if (amazon_status.empty()) amazon_status = StringMember(o, "orderStatus");
    if (amazon_status.empty()) {
      throw Error(where + ".fulfillment.fulfillmentStatus is missing (includedData=FULFILLMENT)");
    }
    polled.order.status = OrderStatus(amazon_status);
    if (polled.order.status.empty()) {
      page.skipped.push_back("order " + polled.order.order_id + ": status " + amazon_status);
      continue;
    }
    const Json* items = Member(o, "orderItems");
    if (items == nullptr || !items->is_array()) {
      throw Error(where + ".orderItems is missing or not an array");
    }
    const bool cancelled = polled.order.status == "cancelled";
    for (size_t k = 0; k < items->size(); ++k) {
      const Json& item = (*items)[k];
      const std::string item_where = where + ".orderItems[" + std::to_string(k) + "]";
      const int64_t ordered = IntMember(item, "quantityOrdered", -1, item_where);
      if (ordered < 0) throw Error(item_where + ".quantityOrdered is missing or negative");
      if (ordered == 0) continue;  // nothing of it was ever spoken for
      stockd::sdk::OrderLine line;
      const Json* product = Member(item, "product");
      const std::string sku = product != nullptr ? StringMember(*product, "sellerSku") : "";
      const std::string asin = product != nullptr ? StringMember(*product, "asin") : "";
      line.listing_id = !sku.empty() ? sku
                        : !asin.empty()
                            ? "asin:" + asin
                            : "orderItem:" + RequireString(item, "orderItemId", item_where);
      line.quantity = ordered;
      const Json* item_fulfillment = Member(item, "fulfillment");
      const int64_t fallback = amazon_status == "SHIPPED" ? ordered : 0;
      const int64_t shipped = item_fulfillment != nullptr
                                  ? IntMember(*item_fulfillment, "quantityFulfilled", fallback,
                                              item_where + ".fulfillment")
                                  : fallback;
      line.quantity_shipped = std::clamp<int64_t>(shipped, 0, ordered);
      line.quantity_cancelled = cancelled ? ordered - line.quantity_shipped : 0;
      polled.order.lines.push_back(std::move(line));
    }
    if (polled.order.lines.empty()) {
      page.skipped.push_back("order " + polled.order.order_id + ": no line with a quantity");
      continue;
    }
    page.orders.push_back(std::move(polled));
  }
  const Json* pagination = Member(j, "pagination");
  if (pagination != nullptr) page.next_token = StringMember(*pagination, "nextToken");
  return page;
}

}  // namespace stockd::amazon
