// The fake WooCommerce shop's JSON: products as the products and variations controllers
// answer them, orders as the orders controller does, and orders sent as webhooks
// (fake_woocommerce.h).
#include <utility>

#include "tests/fakes/raw_http.h"
#include "tests/fakes/woocommerce/fake_woocommerce.h"
#include "tests/fakes/woocommerce/wordpress.h"

namespace stockd::fakes {

nlohmann::json FakeWooCommerce::OrderJson(int64_t id) const {
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = orders_.find(id);
  if (it == orders_.end()) return nullptr;
  return nlohmann::json::parse(OrderJsonLocked(it->second).dump());
}

nlohmann::ordered_json FakeWooCommerce::OrderJsonLocked(const Order& o) const {
  using wp::FormatDate;
  nlohmann::ordered_json lines = nlohmann::ordered_json::array();
  for (const OrderLine& l : o.lines) {
    lines.push_back({{"id", l.id},
                     {"name", l.name},
                     {"product_id", l.product_id},
                     {"variation_id", l.variation_id},
                     {"quantity", l.quantity},
                     {"tax_class", ""},
                     {"subtotal", "10.00"},
                     {"total", "10.00"},
                     {"sku", l.sku},
                     {"price", 10}});
  }
  nlohmann::ordered_json refunds = nlohmann::ordered_json::array();
  for (const Refund& r : o.refunds) {
    refunds.push_back({{"id", r.id}, {"reason", r.reason}, {"total", "-10.00"}});
  }
  const auto date = [](const std::optional<int64_t>& s) -> nlohmann::ordered_json {
    return s ? nlohmann::ordered_json(FormatDate(*s)) : nlohmann::ordered_json(nullptr);
  };
  return {{"id", o.id},
          {"parent_id", 0},
          {"status", o.status},
          {"currency", "EUR"},
          {"version", "9.4.0"},
          {"date_created", FormatDate(o.created_s)},
          {"date_created_gmt", FormatDate(o.created_s)},
          {"date_modified", FormatDate(o.modified_s)},
          {"date_modified_gmt", FormatDate(o.modified_s)},
          {"total", "10.00"},
          {"customer_id", 0},
          {"date_completed", date(o.completed_s)},
          {"date_completed_gmt", date(o.completed_s)},
          {"line_items", std::move(lines)},
          {"refunds", std::move(refunds)}};
}

nlohmann::ordered_json FakeWooCommerce::ProductJsonLocked(const Product& p,
                                                          bool variation_shape) const {
  using wp::FormatDate;
  const bool in_stock = !p.manage_stock || p.stock_quantity.value_or(0) > 0;
  nlohmann::ordered_json stock =
      p.stock_quantity ? nlohmann::ordered_json(*p.stock_quantity) : nullptr;
  if (variation_shape) {
    // The variations controller (v3): no type, no parent_id.
    return {{"id", p.id},
            {"date_created", FormatDate(p.created_s)},
            {"date_created_gmt", FormatDate(p.created_s)},
            {"date_modified", FormatDate(p.modified_s)},
            {"date_modified_gmt", FormatDate(p.modified_s)},
            {"sku", p.sku},
            {"price", "10"},
            {"status", p.status},
            {"manage_stock", p.manage_stock},
            {"stock_quantity", stock},
            {"stock_status", in_stock ? "instock" : "outofstock"},
            {"backorders", "no"}};
  }
  nlohmann::ordered_json variations = nlohmann::ordered_json::array();
  if (p.type == "variable") {
    for (const auto& [id, child] : products_) {
      if (child.parent_id == p.id) variations.push_back(id);
    }
  }
  return {{"id", p.id},
          {"name", p.name},
          {"slug", p.sku},
          {"date_created", FormatDate(p.created_s)},
          {"date_created_gmt", FormatDate(p.created_s)},
          {"date_modified", FormatDate(p.modified_s)},
          {"date_modified_gmt", FormatDate(p.modified_s)},
          {"type", p.type},
          {"status", p.status},
          {"sku", p.sku},
          {"price", "10"},
          {"manage_stock", p.manage_stock},
          {"stock_quantity", stock},
          {"stock_status", in_stock ? "instock" : "outofstock"},
          {"backorders", "no"},
          {"parent_id", p.parent_id},
          {"variations", std::move(variations)}};
}

int FakeWooCommerce::DeliverOrderWebhook(int64_t order_id, const std::string& url,
                                         const std::string& secret, int timeout_ms) {
  std::string body;
  int64_t delivery;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const auto it = orders_.find(order_id);
    if (it == orders_.end()) return 0;
    body = OrderJsonLocked(it->second).dump();
    delivery = next_webhook_delivery_++;
    LogLocked("webhook order.updated #" + std::to_string(order_id) + " -> " + url);
  }
  const std::vector<std::string> headers = {
      "Content-Type: application/json",
      "User-Agent: WooCommerce/9.4.0 Hookshot (WordPress/6.7)",
      "X-WC-Webhook-Source: " + base_url() + "/",
      "X-WC-Webhook-Topic: order.updated",
      "X-WC-Webhook-Resource: order",
      "X-WC-Webhook-Event: updated",
      "X-WC-Webhook-Signature: " + Base64(HmacSha256(secret, body)),
      "X-WC-Webhook-ID: 1",
      "X-WC-Webhook-Delivery-ID: " + std::to_string(delivery)};
  return RawPost(url, headers, body, timeout_ms).status;
}

}  // namespace stockd::fakes
