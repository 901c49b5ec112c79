// The WooCommerce REST API v3 as the woocommerce adapter speaks it: request bodies and the
// reading of answers, as pure functions (no HTTP), so that every shape a shop may answer
// can be tested on its own. A malformed answer throws sdk::Error naming the request and
// the field; nothing else is thrown.
//
// API facts relied on (WooCommerce REST API v3, wp-json/wc/v3):
//   * GET products?sku=A,B&per_page=100: the products AND variations whose SKU is one of
//     the comma-separated list (exact match; the database compares case-insensitively, so
//     the adapter matches the SKU itself); [] when none. A variation has type "variation"
//     and its variable product in parent_id. stock_quantity is null when the product does
//     not manage its stock.
//   * POST products/batch and products/{parent}/variations/batch {"update":[{"id",
//     "stock_quantity","manage_stock"}]}: at most 100 items (else 413
//     woocommerce_rest_request_entity_too_large); the answer {"update":[...]} has one entry
//     per item, in the order sent: the product as saved, or {"id", "error": {"code",
//     "message", "data": {"status"}}}. No idempotency, no compare-and-set.
//   * GET orders?...: an array of orders {id, status, date_modified_gmt, date_completed_gmt,
//     line_items[{id, product_id, variation_id, quantity, sku}], refunds}; dates in UTC
//     without a zone ("2024-01-15T10:30:45"), whole seconds.
//   * Errors are {"code", "message", "data": {"status"}} (WordPress's WP_Error).
//
// Thread safety: pure functions.
#ifndef STOCKD_ADAPTERS_WOOCOMMERCE_WOOCOMMERCE_API_H_
#define STOCKD_ADAPTERS_WOOCOMMERCE_WOOCOMMERCE_API_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "stockd/adapter_sdk.h"

namespace stockd::woocommerce {

// Where a SKU lives on the shop: a product (parent_id 0), or a variation of the variable
// product parent_id.
struct ProductIds {
  int64_t id = 0;
  int64_t parent_id = 0;
  bool operator==(const ProductIds& o) const { return id == o.id && parent_id == o.parent_id; }
};

// One product or variation of a products (or variations) list.
struct ProductInfo {
  int64_t id = 0;
  int64_t parent_id = 0;  // 0 for a product
  std::string type;       // simple, variable, variation, ...
  std::string sku;
  bool manage_stock = false;
  std::optional<int64_t> stock_quantity;  // null: not managed
};

// A products or variations list (a JSON array). Throws naming `request` when the body is
// not one. `parent_id` is what a variations list's entries lack (their parent is the URL's).
std::vector<ProductInfo> ParseProductList(const std::string& body, const std::string& request,
                                          int64_t parent_id = 0);

// {"update":[{"id":N,"stock_quantity":Q,"manage_stock":true}, ...]}.
struct StockUpdate {
  int64_t id = 0;
  int64_t quantity = 0;
};
std::string BatchBody(const std::vector<StockUpdate>& updates);

// One entry of a batch answer.
struct BatchItemResult {
  enum class Kind {
    kSaved,    // the product as saved: stock_quantity, manage_stock
    kError,    // {"id", "error": {...}}: code, message, status
    kUnknown,  // neither (or not an object): retry
  };
  Kind kind = Kind::kUnknown;
  std::optional<int64_t> id;  // absent when the entry has none (or not an integer)
  std::optional<int64_t> stock_quantity;
  bool manage_stock = false;
  std::string code;
  std::string message;
  int64_t status = 0;
};
// The "update" list of a batch answer. Throws naming `request` when the body is not JSON
// or has no such list.
std::vector<BatchItemResult> ParseBatchAnswer(const std::string& body, const std::string& request);

// A WP_Error body: "code: message" ("" when the body is not one).
std::string ErrorText(const std::string& body);

// ------------------------------------------------------------------- orders

struct WooOrder {
  stockd::sdk::Order order;  // revision = date_modified_gmt in ms
  int64_t modified_s = 0;    // date_modified_gmt in Unix seconds
  std::string wc_status;     // WooCommerce's own word
  bool deliver = true;       // false: a status stockd does not take (checkout-draft, trash, ...)
};

// A page of GET orders: every order checked whole (throws naming `request` and the field).
// Status: pending, on-hold -> pending; processing -> accepted; completed -> shipped (every
// line wholly); cancelled, refunded, failed -> cancelled; any other -> deliver = false.
// An order that was completed once (date_completed_gmt set) keeps its lines shipped.
// Line listing id: its sku, else "variation:<id>", else "product:<id>", else
// "line_item:<id>" (the daemon parks such an order as unmapped); lines of quantity 0 or less
// are left out.
std::vector<WooOrder> ParseOrdersPage(const std::string& body, const std::string& request);

// "2024-01-15T10:30:45" (UTC) <-> Unix seconds. Parse also takes fractions (dropped) and a
// zone ("Z", "+02:00"); nullopt when the text is not such a time.
std::optional<int64_t> ParseGmtSeconds(std::string_view text);
std::string FormatGmt(int64_t unix_seconds);

// ------------------------------------------------------------------- mapping file

// The `mapping_file`: CSV lines `sku,product_id` (a product) or `sku,product_id,
// variation_id` (a variation of the variable product product_id); `#` comments and blank
// lines ignored, a first line starting `sku,` is a header. Ids are positive integers.
// Throws sdk::Error with file:line.
std::unordered_map<std::string, ProductIds> LoadProductMapping(const std::string& path);

}  // namespace stockd::woocommerce

#endif  // STOCKD_ADAPTERS_WOOCOMMERCE_WOOCOMMERCE_API_H_
