// A page of GET wp-json/wc/v3/orders read into stockd's order model (woocommerce_api.h,
// ParseOrdersPage; docs/orders.md "The order model").
//
// What WooCommerce's order says and what it does not:
//   * No partial shipping in WooCommerce core: "completed" ships every line wholly.
//   * A refund ("refunds": [{id, reason, total}]) carries no quantities; the per-line
//     refunded units (and whether they were restocked) are only in GET
//     orders/{id}/refunds. A partial refund is not reflected; a wholly refunded order has
//     status "refunded" and is read as cancelled.
//   * date_completed_gmt stays set after a completed order is refunded or cancelled: its
//     lines stay shipped (a cancelled order keeps what was shipped, docs/orders.md).
#include <utility>

#include "woocommerce_api.h"

namespace stockd::woocommerce {

using stockd::sdk::Error;
using stockd::sdk::Json;
using stockd::sdk::Order;
using stockd::sdk::OrderLine;

namespace {

int64_t IdField(const Json& object, const char* key, const std::string& where) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return 0;
  if (it->is_number_unsigned() && it->get<uint64_t>() <= static_cast<uint64_t>(INT64_MAX)) {
    return static_cast<int64_t>(it->get<uint64_t>());
  }
  if (it->is_number_integer() && it->get<int64_t>() >= 0) return it->get<int64_t>();
  throw Error(where + "." + key + " is not an id");
}

// A line's quantity: an integer (or a float with an integral value, as PHP may send).
int64_t QuantityField(const Json& item, const std::string& where) {
  const auto it = item.find("quantity");
  if (it == item.end()) throw Error(where + ": no \"quantity\"");
  if (it->is_number_integer() &&
      !(it->is_number_unsigned() && it->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))) {
    return it->get<int64_t>();
  }
  if (it->is_number_float()) {
    const double d = it->get<double>();
    if (d == static_cast<double>(static_cast<int64_t>(d)) && d > -1e15 && d < 1e15) {
      return static_cast<int64_t>(d);
    }
  }
  throw Error(where + ".quantity is not a whole number");
}

// WooCommerce's status in stockd's words; "" for a status stockd does not take.
std::string MapStatus(const std::string& status) {
  if (status == "pending" || status == "on-hold") return "pending";
  if (status == "processing") return "accepted";
  if (status == "completed") return "shipped";
  if (status == "cancelled" || status == "refunded" || status == "failed") return "cancelled";
  return "";
}

WooOrder ParseOrder(const Json& json, const std::string& where) {
  if (!json.is_object()) throw Error(where + " is not an object");
  WooOrder out;
  const int64_t id = IdField(json, "id", where);
  if (id <= 0) throw Error(where + ": no \"id\"");
  out.order.order_id = std::to_string(id);
  const auto status = json.find("status");
  if (status == json.end() || !status->is_string()) throw Error(where + ".status is not a string");
  out.wc_status = status->get<std::string>();
  const auto modified = json.find("date_modified_gmt");
  if (modified == json.end() || !modified->is_string()) {
    throw Error(where + ".date_modified_gmt is not a string");
  }
  const std::optional<int64_t> modified_s = ParseGmtSeconds(modified->get<std::string>());
  if (!modified_s || *modified_s <= 0) {
    throw Error(where + ".date_modified_gmt \"" + modified->get<std::string>() +
                "\" is not a time");
  }
  out.modified_s = *modified_s;
  out.order.revision = *modified_s * 1000;
  out.order.status = MapStatus(out.wc_status);
  out.deliver = !out.order.status.empty();
  const auto completed = json.find("date_completed_gmt");
  const bool was_completed =
      completed != json.end() && completed->is_string() && !completed->get<std::string>().empty();
  const bool shipped = out.order.status == "shipped" || was_completed;

  const auto items = json.find("line_items");
  if (items == json.end() || !items->is_array()) {
    throw Error(where + ".line_items is not a list");
  }
  for (size_t i = 0; i < items->size(); ++i) {
    const std::string at = where + ".line_items[" + std::to_string(i) + "]";
    const Json& item = (*items)[i];
    if (!item.is_object()) throw Error(at + " is not an object");
    const int64_t quantity = QuantityField(item, at);
    if (quantity <= 0) continue;  // an edited order can keep a line of 0
    OrderLine line;
    const auto sku = item.find("sku");
    if (sku != item.end() && !sku->is_null() && !sku->is_string()) {
      throw Error(at + ".sku is not a string");
    }
    line.listing_id = sku != item.end() && sku->is_string() ? sku->get<std::string>() : "";
    if (line.listing_id.empty()) {
      const int64_t variation_id = IdField(item, "variation_id", at);
      const int64_t product_id = IdField(item, "product_id", at);
      if (variation_id > 0) {
        line.listing_id = "variation:" + std::to_string(variation_id);
      } else if (product_id > 0) {
        line.listing_id = "product:" + std::to_string(product_id);
      } else {
        // A line of a product deleted since: the daemon parks the order as unmapped.
        line.listing_id = "line_item:" + std::to_string(IdField(item, "id", at));
      }
    }
    line.quantity = quantity;
    if (shipped) line.quantity_shipped = quantity;
    out.order.lines.push_back(std::move(line));
  }
  return out;
}

}  // namespace

std::vector<WooOrder> ParseOrdersPage(const std::string& body, const std::string& request) {
  const Json json = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) throw Error(request + ": the answer is not JSON");
  if (!json.is_array()) throw Error(request + ": the answer is not a list of orders");
  std::vector<WooOrder> out;
  out.reserve(json.size());
  for (size_t i = 0; i < json.size(); ++i) {
    out.push_back(ParseOrder(json[i], request + ": answer[" + std::to_string(i) + "]"));
  }
  return out;
}

}  // namespace stockd::woocommerce
