#include "daemon/orders/webhook_payload.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace stockd::orders {
namespace {

using Json = nlohmann::json;
using plugins::Order;
using plugins::OrderLine;

#define STOCKD_ASSIGN(lhs, expr)                      \
  do {                                                \
    auto stockd_assign_value = (expr);                \
    if (!stockd_assign_value.ok()) {                  \
      return std::move(stockd_assign_value).status(); \
    }                                                 \
    lhs = *std::move(stockd_assign_value);            \
  } while (false)

// A value as it may appear in an error: at most 64 bytes, control bytes escaped.
std::string Shown(absl::string_view s) {
  return absl::CHexEscape(s.size() > 64 ? absl::StrCat(s.substr(0, 64), "...") : s);
}

absl::Status Bad(const std::string& field, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", what));
}

// One JSON object and its path in the body ("" for the body itself).
struct Obj {
  const Json* json = nullptr;
  std::string path;

  std::string Field(absl::string_view key) const {
    return path.empty() ? std::string(key) : absl::StrCat(path, ".", key);
  }
  // The member, or nullptr when absent or null.
  const Json* Get(const char* key) const {
    const auto it = json->find(key);
    return it == json->end() || it->is_null() ? nullptr : &*it;
  }
};

absl::StatusOr<Obj> AsObject(const Json& json, std::string path) {
  if (!json.is_object()) return Bad(path.empty() ? "body" : path, "not an object");
  return Obj{&json, std::move(path)};
}

// An integer member; `fallback` when absent or null (required when there is none).
absl::StatusOr<int64_t> Int(const Obj& o, const char* key,
                            std::optional<int64_t> fallback = std::nullopt) {
  const Json* v = o.Get(key);
  if (v == nullptr) {
    if (fallback.has_value()) return *fallback;
    return Bad(o.Field(key), "missing");
  }
  if (v->is_number_unsigned()) {
    if (v->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
      return Bad(o.Field(key), "out of range");
    }
    return static_cast<int64_t>(v->get<uint64_t>());
  }
  if (!v->is_number_integer()) return Bad(o.Field(key), "not an integer");
  return v->get<int64_t>();
}

// A string member; "" when absent or null unless required.
absl::StatusOr<std::string> Str(const Obj& o, const char* key, bool required) {
  const Json* v = o.Get(key);
  if (v == nullptr) {
    if (required) return Bad(o.Field(key), "missing");
    return std::string();
  }
  if (!v->is_string()) return Bad(o.Field(key), "not a string");
  std::string s = v->get<std::string>();
  if (required && s.empty()) return Bad(o.Field(key), "empty");
  return s;
}

// A marketplace's numeric id (an integer, or a string of one) as text; "" when absent,
// null or 0 unless required.
absl::StatusOr<std::string> Id(const Obj& o, const char* key, bool required) {
  const Json* v = o.Get(key);
  std::string id;
  if (v != nullptr && v->is_string()) {
    id = v->get<std::string>();
  } else if (v != nullptr) {
    int64_t n = 0;
    STOCKD_ASSIGN(n, Int(o, key));
    if (n < 0) return Bad(o.Field(key), absl::StrCat(n, " (must be >= 0)"));
    if (n > 0) id = absl::StrCat(n);
  }
  if (required && id.empty()) return Bad(o.Field(key), "missing");
  return id;
}

// An array member; an empty one when absent or null unless required.
absl::StatusOr<const Json*> Array(const Obj& o, const char* key, bool required) {
  static const Json* const kEmpty = new Json(Json::array());
  const Json* v = o.Get(key);
  if (v == nullptr) {
    if (required) return Bad(o.Field(key), "missing");
    return kEmpty;
  }
  if (!v->is_array()) return Bad(o.Field(key), "not an array");
  return v;
}

std::string Element(const Obj& o, const char* key, size_t i) {
  return absl::StrCat(o.Field(key), "[", i, "]");
}

absl::StatusOr<int64_t> Quantity(const Obj& line, const char* key, int64_t min,
                                 std::optional<int64_t> fallback = std::nullopt) {
  int64_t q = 0;
  STOCKD_ASSIGN(q, Int(line, key, fallback));
  // The ABI's and the engine's bound on one quantity (adapters/include/stockd/adapter.h).
  constexpr int64_t kMax = 1'000'000'000;
  if (q < min || q > kMax) {
    return Bad(line.Field(key), absl::StrCat(q, " (must be ", min, "..", kMax, ")"));
  }
  return q;
}

absl::StatusOr<int64_t> RevisionFromTime(const Obj& o, const char* key) {
  std::string text;
  STOCKD_ASSIGN(text, Str(o, key, /*required=*/true));
  absl::StatusOr<int64_t> ms = ParseIsoTimeMs(text);
  if (!ms.ok()) return Bad(o.Field(key), ms.status().message());
  if (*ms < 1) return Bad(o.Field(key), absl::StrCat("'", Shown(text), "' is not after 1970"));
  return ms;
}

// ---------------------------------------------------------------- stockd

absl::StatusOr<Order> StockdOrder(const Obj& o) {
  Order order;
  STOCKD_ASSIGN(order.order_id, Str(o, "order_id", true));
  STOCKD_ASSIGN(order.revision, Int(o, "revision"));
  if (order.revision < 1) {
    return Bad(o.Field("revision"), absl::StrCat(order.revision, " (must be >= 1)"));
  }
  std::string status;
  STOCKD_ASSIGN(status, Str(o, "status", true));
  static const auto* const kStatuses =
      new std::map<std::string, Order::Status>{{"pending", Order::Status::kPending},
                                               {"accepted", Order::Status::kAccepted},
                                               {"shipped", Order::Status::kShipped},
                                               {"cancelled", Order::Status::kCancelled}};
  const auto it = kStatuses->find(status);
  if (it == kStatuses->end()) {
    return Bad(o.Field("status"),
               absl::StrCat("'", Shown(status), "' (pending, accepted, shipped or cancelled)"));
  }
  order.status = it->second;
  const Json* lines = nullptr;
  STOCKD_ASSIGN(lines, Array(o, "lines", true));
  for (size_t i = 0; i < lines->size(); ++i) {
    Obj line;
    STOCKD_ASSIGN(line, AsObject((*lines)[i], Element(o, "lines", i)));
    OrderLine l;
    STOCKD_ASSIGN(l.listing_id, Str(line, "listing_id", true));
    STOCKD_ASSIGN(l.quantity, Quantity(line, "quantity", 1));
    STOCKD_ASSIGN(l.quantity_shipped, Quantity(line, "quantity_shipped", 0, 0));
    STOCKD_ASSIGN(l.quantity_cancelled, Quantity(line, "quantity_cancelled", 0, 0));
    STOCKD_ASSIGN(l.location, Str(line, "location", false));
    order.lines.push_back(std::move(l));
  }
  return order;
}

absl::StatusOr<WebhookDelivery> DecodeStockd(const Obj& body, absl::string_view channel,
                                             HeaderLookup header) {
  WebhookDelivery d;
  std::string body_channel;
  STOCKD_ASSIGN(body_channel, Str(body, "channel", false));
  if (!body_channel.empty() && body_channel != channel) {
    return Bad("channel", absl::StrCat("'", Shown(body_channel), "' but delivered to /orders/",
                                       Shown(channel)));
  }
  // The body's event id is signed, the header's is not: the body's wins, and a header
  // that says otherwise is refused.
  STOCKD_ASSIGN(d.event_id, Str(body, "event_id", false));
  const std::string header_id = header("X-Stockd-Event-Id");
  if (d.event_id.empty()) {
    d.event_id = header_id;
  } else if (!header_id.empty() && header_id != d.event_id) {
    return Bad("X-Stockd-Event-Id",
               absl::StrCat("'", Shown(header_id), "' but the body's event_id is '",
                            Shown(d.event_id), "'"));
  }
  const Json* order = body.Get("order");
  if (order == nullptr) return Bad("order", "missing");
  Obj o;
  STOCKD_ASSIGN(o, AsObject(*order, "order"));
  STOCKD_ASSIGN(d.order, StockdOrder(o));
  return d;
}

// ---------------------------------------------------------------- shopify

absl::StatusOr<Order::Status> ShopifyStatus(const Obj& o) {
  if (o.Get("cancelled_at") != nullptr) return Order::Status::kCancelled;
  std::string fulfillment;
  STOCKD_ASSIGN(fulfillment, Str(o, "fulfillment_status", false));
  if (fulfillment == "fulfilled" || fulfillment == "partial") return Order::Status::kShipped;
  std::string financial;
  STOCKD_ASSIGN(financial, Str(o, "financial_status", false));
  // Authorized, not captured: a hold, as the shopify plugin's poller reads it
  // (MARKETPLACES.md: PENDING/AUTHORIZED -> hold).
  if (financial == "pending" || financial == "authorized" || financial.empty()) {
    return Order::Status::kPending;
  }
  if (financial == "paid" || financial == "partially_paid" ||
      financial == "partially_refunded" || financial == "refunded") {
    return Order::Status::kAccepted;
  }
  if (financial == "voided" || financial == "expired") return Order::Status::kCancelled;
  return Bad(o.Field("financial_status"),
             absl::StrCat("'", Shown(financial),
                          "' (pending, authorized, paid, partially_paid, partially_refunded, "
                          "refunded, voided or expired)"));
}

// Units of each line item (by id) that refunds cancelled before they were fulfilled.
absl::StatusOr<std::map<std::string, int64_t>> ShopifyCancelled(const Obj& o) {
  std::map<std::string, int64_t> cancelled;
  const Json* refunds = nullptr;
  STOCKD_ASSIGN(refunds, Array(o, "refunds", false));
  for (size_t r = 0; r < refunds->size(); ++r) {
    Obj refund;
    STOCKD_ASSIGN(refund, AsObject((*refunds)[r], Element(o, "refunds", r)));
    const Json* items = nullptr;
    STOCKD_ASSIGN(items, Array(refund, "refund_line_items", false));
    for (size_t i = 0; i < items->size(); ++i) {
      Obj item;
      STOCKD_ASSIGN(item, AsObject((*items)[i], Element(refund, "refund_line_items", i)));
      std::string restock;
      STOCKD_ASSIGN(restock, Str(item, "restock_type", false));
      if (restock != "cancel") continue;  // return / no_restock: not a cancelled unit
      std::string line_id;
      STOCKD_ASSIGN(line_id, Id(item, "line_item_id", true));
      int64_t q = 0;
      STOCKD_ASSIGN(q, Quantity(item, "quantity", 0));
      cancelled[line_id] += q;
    }
  }
  return cancelled;
}

absl::StatusOr<WebhookDelivery> DecodeShopify(const Obj& o, HeaderLookup header) {
  WebhookDelivery d;
  d.event_id = header("X-Shopify-Event-Id");
  if (d.event_id.empty()) d.event_id = header("X-Shopify-Webhook-Id");
  Order& order = d.order;
  STOCKD_ASSIGN(order.order_id, Id(o, "id", true));
  STOCKD_ASSIGN(order.revision, RevisionFromTime(o, "updated_at"));
  STOCKD_ASSIGN(order.status, ShopifyStatus(o));
  std::map<std::string, int64_t> cancelled;
  STOCKD_ASSIGN(cancelled, ShopifyCancelled(o));
  const Json* items = nullptr;
  STOCKD_ASSIGN(items, Array(o, "line_items", true));
  for (size_t i = 0; i < items->size(); ++i) {
    const std::string at = Element(o, "line_items", i);
    Obj item;
    STOCKD_ASSIGN(item, AsObject((*items)[i], at));
    OrderLine l;
    STOCKD_ASSIGN(l.listing_id, Str(item, "sku", false));
    if (l.listing_id.empty()) {
      // Named as the shopify plugin's poller names it: one listing id both ways.
      std::string variant;
      STOCKD_ASSIGN(variant, Id(item, "variant_id", false));
      if (!variant.empty()) l.listing_id = absl::StrCat("variant:", variant);
    }
    if (l.listing_id.empty()) return Bad(at, "neither sku nor variant_id");
    STOCKD_ASSIGN(l.quantity, Quantity(item, "quantity", 1));
    std::string line_id;
    STOCKD_ASSIGN(line_id, Id(item, "id", false));
    l.quantity_cancelled = line_id.empty() ? 0 : cancelled[line_id];
    if (l.quantity_cancelled > l.quantity) {
      return Bad(item.Field("quantity"), absl::StrCat(l.quantity, " but refunds cancel ",
                                                      l.quantity_cancelled, " units of it"));
    }
    std::string line_fulfillment;
    STOCKD_ASSIGN(line_fulfillment, Str(item, "fulfillment_status", false));
    const int64_t open = l.quantity - l.quantity_cancelled;
    int64_t fulfillable = 0;
    STOCKD_ASSIGN(fulfillable, Quantity(item, "fulfillable_quantity", 0,
                                        line_fulfillment == "fulfilled" ? 0 : open));
    // What is neither fulfillable nor cancelled was fulfilled. A refund without restock
    // also lowers fulfillable_quantity; clamping keeps such a line within the model.
    l.quantity_shipped = std::clamp<int64_t>(open - fulfillable, 0, open);
    order.lines.push_back(std::move(l));
  }
  return d;
}

// ---------------------------------------------------------------- woocommerce

absl::StatusOr<WebhookDelivery> DecodeWooCommerce(const Obj& o, HeaderLookup header) {
  WebhookDelivery d;
  d.event_id = header("X-WC-Webhook-Delivery-ID");
  Order& order = d.order;
  STOCKD_ASSIGN(order.order_id, Id(o, "id", true));
  STOCKD_ASSIGN(order.revision, RevisionFromTime(o, "date_modified_gmt"));
  std::string status;
  STOCKD_ASSIGN(status, Str(o, "status", true));
  if (status == "pending" || status == "on-hold") {
    order.status = Order::Status::kPending;
  } else if (status == "processing") {
    order.status = Order::Status::kAccepted;
  } else if (status == "completed") {
    order.status = Order::Status::kShipped;
  } else if (status == "cancelled" || status == "refunded" || status == "failed") {
    order.status = Order::Status::kCancelled;
  } else {
    return Bad("status", absl::StrCat("'", Shown(status),
                                      "' (pending, on-hold, processing, completed, "
                                      "cancelled, refunded or failed)"));
  }
  // An order completed before it was cancelled or refunded keeps its lines shipped
  // (WooCommerce core ships whole orders; a refund does not un-ship).
  std::string completed_at;
  STOCKD_ASSIGN(completed_at, Str(o, "date_completed_gmt", false));
  const bool completed = !completed_at.empty() && order.status == Order::Status::kCancelled;
  const Json* items = nullptr;
  STOCKD_ASSIGN(items, Array(o, "line_items", true));
  for (size_t i = 0; i < items->size(); ++i) {
    const std::string at = Element(o, "line_items", i);
    Obj item;
    STOCKD_ASSIGN(item, AsObject((*items)[i], at));
    OrderLine l;
    STOCKD_ASSIGN(l.listing_id, Str(item, "sku", false));
    // The woocommerce plugin's poller names a line without SKU the same way, so an order
    // that arrives both ways parks under one listing id.
    for (const auto& [key, prefix] : {std::pair{"variation_id", "variation:"},
                                      std::pair{"product_id", "product:"}}) {
      if (!l.listing_id.empty()) break;
      std::string id;
      STOCKD_ASSIGN(id, Id(item, key, false));
      if (!id.empty()) l.listing_id = absl::StrCat(prefix, id);
    }
    if (l.listing_id.empty()) return Bad(at, "neither sku, variation_id nor product_id");
    STOCKD_ASSIGN(l.quantity, Quantity(item, "quantity", 1));
    if (order.status == Order::Status::kShipped || completed) l.quantity_shipped = l.quantity;
    order.lines.push_back(std::move(l));
  }
  return d;
}

}  // namespace

absl::StatusOr<int64_t> ParseIsoTimeMs(absl::string_view text) {
  absl::Time t;
  std::string err;
  if (absl::ParseTime("%Y-%m-%d%ET%H:%M:%E*S%Ez", text, &t, &err) ||
      absl::ParseTime("%Y-%m-%d%ET%H:%M:%E*S", text, absl::UTCTimeZone(), &t, &err)) {
    return absl::ToUnixMillis(t);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("'", Shown(text), "' is not an ISO-8601 time (2024-01-15T10:30:45Z)"));
}

absl::StatusOr<WebhookDelivery> DecodeWebhook(SignatureScheme scheme, absl::string_view channel,
                                              absl::string_view body, HeaderLookup header) {
  const Json json = Json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return Bad("body", "not valid JSON");
  Obj top;
  STOCKD_ASSIGN(top, AsObject(json, ""));
  absl::StatusOr<WebhookDelivery> d;
  switch (scheme) {
    case SignatureScheme::kStockd:
      d = DecodeStockd(top, channel, header);
      break;
    case SignatureScheme::kShopify:
      d = DecodeShopify(top, header);
      break;
    case SignatureScheme::kWooCommerce:
      d = DecodeWooCommerce(top, header);
      break;
  }
  if (!d.ok()) return d.status();
  if (absl::Status st = plugins::CheckOrder(d->order); !st.ok()) return st;
  return d;
}

#undef STOCKD_ASSIGN

}  // namespace stockd::orders
