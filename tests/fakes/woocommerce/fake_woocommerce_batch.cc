// The fake WooCommerce shop's batch routes, products/batch and
// products/{parent}/variations/batch, run as WC_REST_Controller::batch_items runs them
// (fake_woocommerce.h).
#include <utility>

#include "tests/fakes/woocommerce/fake_woocommerce.h"
#include "tests/fakes/woocommerce/wordpress.h"

namespace stockd::fakes {
namespace {

using Json = wp::Json;

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return s;
}

// PHP's empty(): null, false, 0, 0.0, "", "0", [] and {}.
bool PhpEmpty(const Json& v) {
  return v.is_null() || (v.is_boolean() && !v.get<bool>()) ||
         (v.is_number_integer() && v.get<int64_t>() == 0) ||
         (v.is_number_float() && v.get<double>() == 0) ||
         (v.is_string() && (v.get<std::string>().empty() || v.get<std::string>() == "0")) ||
         ((v.is_array() || v.is_object()) && v.empty());
}

// WordPress's answer to a PHP fatal error (count() of a string, PHP 8) on a REST request.
HttpAnswer CriticalError() {
  Json body = wp::ErrorBody(
      500, "internal_server_error",
      "<p>There has been a critical error on this website.</p><p><a "
      "href=\"https://wordpress.org/documentation/article/faq-troubleshooting/\">Learn more "
      "about troubleshooting WordPress.</a></p>");
  body["additional_errors"] = Json::array();
  return HttpAnswer::Json(500, body.dump());
}

}  // namespace

HttpAnswer FakeWooCommerce::Batch(const HttpRequest& request, const Caller& caller,
                                  int64_t parent) {
  // The body (WP_REST_Request::has_valid_params, then parse_body_params).
  std::string type = Lower(request.Header("content-type"));
  type = type.substr(0, type.find(';'));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  Json params = Json::object();
  if (type == "application/json") {
    if (!request.body.empty()) {
      Json json = Json::parse(request.body, nullptr, /*allow_exceptions=*/false);
      if (json.is_discarded()) {
        return wp::Error(400, "rest_invalid_json", "Invalid JSON body passed.",
                         {{"json_error_code", 4}, {"json_error_message", "Syntax error"}});
      }
      if (json.is_object()) params = std::move(json);
    }
  } else if (type.empty() || type == "application/x-www-form-urlencoded") {
    params = wp::ParseStr(request.body);
  }  // any other type: WordPress reads no body parameters at all
  if (!caller.authenticated) {
    return wp::Error(401, "woocommerce_rest_cannot_batch",
                     "Sorry, you are not allowed to batch manipulate this resource.");
  }
  // batch_items: array_filter, then check_batch_limit (count() of each list).
  size_t total = 0;
  for (const char* kind : {"create", "update", "delete"}) {
    if (!params.contains(kind) || PhpEmpty(params[kind])) continue;
    if (!params[kind].is_array() && !params[kind].is_object()) return CriticalError();
    total += params[kind].size();
  }
  if (total > static_cast<size_t>(options_.batch_limit)) {
    return wp::Error(413, "woocommerce_rest_request_entity_too_large",
                     "Unable to accept more than " + std::to_string(options_.batch_limit) +
                         " items for this request.");
  }
  const std::string invalid_id = parent == 0 ? "woocommerce_rest_product_invalid_id"
                                             : "woocommerce_rest_product_variation_invalid_id";
  const auto item_error = [](Json id, const std::string& code, const std::string& message,
                             int status) {
    return Json{{"id", std::move(id)},
                {"error", {{"code", code}, {"message", message}, {"data", {{"status", status}}}}}};
  };
  std::lock_guard<std::mutex> lock(mu_);
  Json answer = Json::object();
  if (params.contains("create") && !PhpEmpty(params["create"])) {
    Json& out = answer["create"] = Json::array();
    for (const Json& item : params["create"]) {
      const std::string sku = item.is_object() && item.contains("sku") && item["sku"].is_string()
                                  ? item["sku"].get<std::string>()
                                  : std::string();
      if (item.is_object() && item.contains("id") && !PhpEmpty(item["id"])) {
        out.push_back(item_error(0,
                                 parent == 0 ? "woocommerce_rest_product_exists"
                                             : "woocommerce_rest_product_variation_exists",
                                 "Cannot create existing product.", 400));
        continue;
      }
      if (!sku.empty() && FindSkuLocked(sku) != nullptr) {
        out.push_back(item_error(0, "product_invalid_sku", "Invalid or duplicated SKU.", 400));
        continue;
      }
      Product p;
      p.type = parent == 0 ? "simple" : "variation";
      p.parent_id = parent;
      p.sku = sku;
      p.manage_stock = item.is_object() && item.contains("manage_stock") &&
                       wp::StringToBool(item["manage_stock"]);
      if (p.manage_stock && item.contains("stock_quantity") && !item["stock_quantity"].is_null()) {
        p.stock_quantity = wp::Intval(item["stock_quantity"]);
      }
      const int64_t id = AddProductLocked(std::move(p));
      out.push_back(ProductJsonLocked(products_.at(id), parent != 0));
    }
  }
  if (params.contains("update") && !PhpEmpty(params["update"])) {
    Json& out = answer["update"] = Json::array();
    for (const Json& item : params["update"]) {
      const Json sent_id = item.is_object() && item.contains("id") ? item["id"] : Json(nullptr);
      Product* p = item.is_object() ? FindLocked(wp::Intval(sent_id)) : nullptr;
      if (p == nullptr) {
        out.push_back(item_error(sent_id, invalid_id, "Invalid ID.", 400));
        continue;
      }
      if (parent != 0 && (p->type != "variation" || p->parent_id != parent)) {
        out.push_back(item_error(sent_id, "woocommerce_rest_cannot_edit",
                                 "Parent product does not match current variation.", 403));
        continue;
      }
      const std::optional<int64_t> was = p->stock_quantity;
      if (item.contains("manage_stock") && !item["manage_stock"].is_null()) {
        p->manage_stock = wp::StringToBool(item["manage_stock"]);
      }
      if (p->type == "grouped" || p->type == "external") {
        p->manage_stock = false;
        p->stock_quantity.reset();
      } else if (!p->manage_stock) {
        p->stock_quantity.reset();
      } else if (item.contains("stock_quantity") && !item["stock_quantity"].is_null()) {
        p->stock_quantity = wp::Intval(item["stock_quantity"]);
      }
      p->modified_s = NowLocked();
      if (p->stock_quantity != was) {
        LogLocked("set " + p->sku + "=" +
                  (p->stock_quantity ? std::to_string(*p->stock_quantity) : "unmanaged") +
                  " (was " + (was ? std::to_string(*was) : "unmanaged") + ")");
      }
      out.push_back(ProductJsonLocked(*p, parent != 0));
    }
  }
  if (params.contains("delete") && !PhpEmpty(params["delete"])) {
    Json& out = answer["delete"] = Json::array();
    for (const Json& item : params["delete"]) {
      const int64_t id = wp::Intval(item);
      if (id == 0) continue;
      const Product* p = FindLocked(id);
      if (p == nullptr) {
        out.push_back(item_error(id, invalid_id, "Invalid ID.", 404));
        continue;
      }
      out.push_back(ProductJsonLocked(*p, parent != 0));
      products_.erase(id);
      LogLocked("product " + std::to_string(id) + " deleted");
    }
  }
  // PHP sends an empty array() as [].
  return HttpAnswer::Json(200, answer.empty() ? "[]" : answer.dump());
}

}  // namespace stockd::fakes
