// The orders' answers of the Shopify adapter (shopify_api.h): pages of orders and line
// items read into the order model, the status mapping, ISO times.
#include <algorithm>
#include <cstdio>
#include <optional>

#include "shopify_api.h"
#include "shopify_json.h"

namespace stockd::shopify {

using json::Array;
using json::Find;
using json::Integer;
using json::Object;
using json::ReadPageInfo;
using json::String;
using stockd::sdk::Error;
using stockd::sdk::OrderLine;

namespace {

std::optional<OrderLine> ReadLine(const Json& node, const std::string& where) {
  OrderLine line;
  const int64_t quantity = Integer(node, "quantity", where);
  if (quantity < 1) return std::nullopt;
  line.quantity = quantity;
  // Units removed (refunded, edited out, cancelled) no longer count; of those left, what is
  // not waiting to be fulfilled was fulfilled.
  const int64_t current = std::clamp<int64_t>(Integer(node, "currentQuantity", where), 0, quantity);
  const int64_t unfulfilled =
      std::clamp<int64_t>(Integer(node, "unfulfilledQuantity", where), 0, current);
  line.quantity_shipped = current - unfulfilled;
  line.quantity_cancelled = quantity - current;
  line.listing_id = String(node, "sku", where, false);
  if (line.listing_id.empty()) {
    const Json* variant = Find(node, "variant");
    const std::string variant_id =
        variant != nullptr ? GidNumber(String(*variant, "id", where + ".variant", true)) : "";
    line.listing_id = variant_id.empty() ? "line:" + GidNumber(String(node, "id", where, true))
                                         : "variant:" + variant_id;
  }
  return line;
}

void ReadLineEdges(const Json& connection, const std::string& where,
                   std::vector<OrderLine>* lines) {
  const Json& edges = Array(connection, "edges", where);
  for (size_t i = 0; i < edges.size(); ++i) {
    const std::string at = where + ".edges[" + std::to_string(i) + "].node";
    std::optional<OrderLine> line = ReadLine(Object(edges[i], "node", ""), at);
    if (line.has_value()) lines->push_back(std::move(*line));
  }
}

int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

}  // namespace

OrdersPage ReadOrdersPage(const Json& data) {
  OrdersPage page;
  const Json& connection = Object(data, "orders", "data");
  const Json& edges = Array(connection, "edges", "data.orders");
  for (size_t i = 0; i < edges.size(); ++i) {
    const std::string where = "data.orders.edges[" + std::to_string(i) + "]";
    PolledOrder p;
    p.cursor = String(edges[i], "cursor", where, true);
    const Json& node = Object(edges[i], "node", where);
    const std::string at = where + ".node";
    p.gid = String(node, "id", at, true);
    p.order.order_id = GidNumber(p.gid);
    if (p.order.order_id.empty()) throw Error("Shopify's answer: " + at + ".id is not a gid");
    p.updated_at = String(node, "updatedAt", at, true);
    p.order.revision = IsoToMs(p.updated_at, at + ".updatedAt");
    const bool cancelled = Find(node, "cancelledAt") != nullptr;
    p.order.status = OrderStatus(cancelled, String(node, "displayFinancialStatus", at, false),
                                 String(node, "displayFulfillmentStatus", at, false));
    const Json& lines = Object(node, "lineItems", at);
    ReadLineEdges(lines, at + ".lineItems", &p.order.lines);
    ReadPageInfo(lines, at + ".lineItems", &p.more_lines, &p.lines_cursor);
    page.orders.push_back(std::move(p));
  }
  ReadPageInfo(connection, "data.orders", &page.has_next, &page.end_cursor);
  return page;
}

LinesPage ReadOrderLines(const Json& data) {
  LinesPage page;
  const Json& order = Object(data, "order", "data");
  const Json& lines = Object(order, "lineItems", "data.order");
  ReadLineEdges(lines, "data.order.lineItems", &page.lines);
  ReadPageInfo(lines, "data.order.lineItems", &page.has_next, &page.end_cursor);
  return page;
}

std::string OrderStatus(bool cancelled, const std::string& financial,
                        const std::string& fulfillment) {
  if (cancelled) return "cancelled";
  if (fulfillment == "FULFILLED" || fulfillment == "PARTIALLY_FULFILLED") return "shipped";
  if (financial == "PAID" || financial == "PARTIALLY_PAID" || financial == "PARTIALLY_REFUNDED" ||
      financial == "REFUNDED") {
    return "accepted";
  }
  if (financial == "VOIDED" || financial == "EXPIRED") return "cancelled";
  return "pending";  // PENDING, AUTHORIZED, and what a later API version may add
}

int64_t IsoToMs(const std::string& text, const std::string& what) {
  const auto bad = [&] {
    return Error("Shopify's answer: " + what + ": \"" + text +
                 "\" is not an ISO-8601 time (2026-05-01T10:00:00Z)");
  };
  int y, mo, d, h, mi, s, consumed = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &consumed) !=
          6 ||
      consumed != 19 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) {
    throw bad();
  }
  size_t pos = 19;
  int64_t ms = 0;
  if (pos < text.size() && text[pos] == '.') {
    int64_t scale = 100;
    ++pos;
    const size_t digits_from = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      ms += (text[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == digits_from) throw bad();
  }
  int64_t offset_minutes = 0;
  if (pos < text.size() && text[pos] == 'Z' && pos + 1 == text.size()) {
    // UTC
  } else if (pos + 6 == text.size() && (text[pos] == '+' || text[pos] == '-') &&
             text[pos + 3] == ':') {
    int oh, om;
    if (std::sscanf(text.c_str() + pos + 1, "%2d:%2d", &oh, &om) != 2) throw bad();
    offset_minutes = (text[pos] == '-' ? -1 : 1) * (oh * 60 + om);
  } else {
    throw bad();
  }
  const int64_t days = DaysFromCivil(y, mo, d);
  return ((days * 86400 + h * 3600 + mi * 60 + s) - offset_minutes * 60) * 1000 + ms;
}

}  // namespace stockd::shopify
