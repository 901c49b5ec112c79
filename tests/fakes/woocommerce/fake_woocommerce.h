// A fake WooCommerce shop: the parts of the WooCommerce REST API v3 (wp-json/wc/v3) that
// the woocommerce adapter uses, answered as WordPress and WooCommerce answer them, on
// FakeHttpServer (127.0.0.1, plain HTTP: the shop is taken to be behind HTTPS, as
// WooCommerce takes HTTP Basic only there). For tests, the bench and the demo.
//
//   GET  /wp-json/wc/v3/products?sku=A,B&include=1,2&per_page=&page=
//   GET  /wp-json/wc/v3/products/{parent}/variations?include=&per_page=&page=
//   POST /wp-json/wc/v3/products/batch                       (also PUT, PATCH)
//   POST /wp-json/wc/v3/products/{parent}/variations/batch   (also PUT, PATCH)
//   GET  /wp-json/wc/v3/orders?modified_after=&modified_before=&after=&before=
//        &dates_are_gmt=&orderby=&order=&status=&per_page=&page=
//
// What it checks, in WordPress's order: the API key (HTTP Basic consumer_key:
// consumer_secret, or the consumer_key/consumer_secret query parameters): a wrong secret
// is 401 woocommerce_rest_authentication_error "Consumer secret is invalid."; an unknown or
// revoked key leaves the request anonymous; a read-only key writing is 401 "The API key
// provided does not have write permissions."; then the route (404 rest_no_route), the body
// (Content-Type application/json parsed as JSON, 400 rest_invalid_json when it is not;
// application/x-www-form-urlencoded or no type parsed as PHP parses a form; any other
// type: the body is ignored), the query parameters (400 rest_invalid_param with params and
// details: per_page 1..100, page >= 1, dates, booleans, enums), then the permission (an
// anonymous list: 401 woocommerce_rest_cannot_view "Sorry, you cannot list resources.", an
// anonymous batch: 401 woocommerce_rest_cannot_batch).
//
// Batches as WooCommerce runs them: the items are not checked against a schema (the batch
// handler calls update_item directly): create + update + delete above the limit (100) is
// 413 woocommerce_rest_request_entity_too_large; an "update" that is not a list is PHP's
// fatal error (500 internal_server_error); an unknown id is a per-item error
// woocommerce_rest_product_invalid_id (variations: ..._product_variation_invalid_id)
// inside a 200; "id" and "stock_quantity" are read with PHP's intval ("7" is 7, "x" is 0,
// 7.9 is 7); manage_stock with wc_string_to_bool; a product that does not manage its
// stock gets stock_quantity null. The answer has one entry per item, in order.
// Deviation: a variation id under another parent is refused per item
// (woocommerce_rest_cannot_edit "Parent product does not match current variation.", the
// single-item endpoint's check); real v3 batches skip that check and re-parent the
// variation.
//
// Orders move stock as WooCommerce does: stock is reduced (once) when an order goes
// processing, on-hold or completed, restored when it goes cancelled or back to pending;
// a refund restores stock only when asked to restock. Stock may go below 0 (backorders).
// Every change stamps the order's date_modified with the fake's clock (whole seconds;
// settable, so tests control which changes share a second).
//
// Faults: faults() (FaultQueue: latency, status, reset, hold) is played before anything
// else; Options::requests_per_second models the shop's web server limit (nginx
// limit_req): 429 with an HTML body (and Retry-After: 1 when set), not WooCommerce's.
//
// Thread safety: every public method may be called from any thread.
#ifndef STOCKD_TESTS_FAKES_WOOCOMMERCE_FAKE_WOOCOMMERCE_H_
#define STOCKD_TESTS_FAKES_WOOCOMMERCE_FAKE_WOOCOMMERCE_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tests/fakes/http_server.h"

namespace stockd::fakes {

class FakeWooCommerce {
 public:
  struct Options {
    uint16_t port = 0;  // 0: an ephemeral port
    std::string consumer_key = "ck_0123456789abcdef";
    std::string consumer_secret = "cs_0123456789abcdef";
    std::string permissions = "read_write";  // the key's: read, write or read_write
    int batch_limit = 100;                   // woocommerce_rest_batch_items_limit
    // The web server in front of WordPress: requests a second (0: no limit) and burst.
    double requests_per_second = 0;
    double burst = 1;
    bool retry_after = true;  // its 429 says Retry-After: 1
    int64_t start_time = 0;   // the clock's first reading (Unix s); 0: now
    int latency_ms = 0;       // every answer waits this long (WordPress is slow)
  };

  struct Product {
    int64_t id = 0;
    int64_t parent_id = 0;
    std::string type;  // simple, variable, variation, grouped, external
    std::string sku;
    std::string name;
    bool manage_stock = false;
    std::optional<int64_t> stock_quantity;
    std::string status = "publish";
    int64_t created_s = 0;
    int64_t modified_s = 0;
  };

  struct OrderLine {
    int64_t id = 0;
    int64_t product_id = 0;  // the variable product for a variation
    int64_t variation_id = 0;
    std::string sku;
    std::string name;
    int64_t quantity = 0;
  };
  struct Refund {
    int64_t id = 0;
    std::string reason;
    bool restocked = false;
  };
  struct Order {
    int64_t id = 0;
    std::string status;
    int64_t created_s = 0;
    int64_t modified_s = 0;
    std::optional<int64_t> completed_s;
    std::vector<OrderLine> lines;
    std::vector<Refund> refunds;
    bool stock_reduced = false;
  };

  struct Recorded {
    std::string method;
    std::string target;
    std::string path;
    std::map<std::string, std::string> headers;  // names lower-case
    std::string body;
    int status = 0;  // 0: no answer (reset, hold)
  };

  explicit FakeWooCommerce(Options options);
  ~FakeWooCommerce();
  FakeWooCommerce(const FakeWooCommerce&) = delete;
  FakeWooCommerce& operator=(const FakeWooCommerce&) = delete;

  bool Start(std::string* error);
  void Stop();
  uint16_t port() const;
  std::string base_url() const;  // http://127.0.0.1:<port>
  // One line per change ("woocommerce: set SKU-1=4 (was 5)", "woocommerce: order #12
  // placed"), from any thread.
  void OnLog(std::function<void(const std::string&)> log);

  // ---- catalogue. stock nullopt: the product does not manage its stock.
  int64_t AddSimpleProduct(const std::string& sku, std::optional<int64_t> stock);
  int64_t AddVariableProduct(const std::string& sku);
  int64_t AddVariation(int64_t parent, const std::string& sku, std::optional<int64_t> stock);
  int64_t AddGroupedProduct(const std::string& sku);
  bool DeleteProduct(int64_t id);  // a variable product takes its variations along
  bool SetStock(int64_t id, std::optional<int64_t> stock);
  std::optional<Product> ProductById(int64_t id) const;
  std::optional<Product> ProductBySku(const std::string& sku) const;
  // The stock_quantity of the product or variation with that SKU; nullopt when there is
  // none or it does not manage its stock.
  std::optional<int64_t> Stock(const std::string& sku) const;

  // ---- orders (each change stamps date_modified with Now()).
  // Places an order for (SKU, quantity) lines in `status` (pending, on-hold, processing);
  // 0 when a SKU is unknown.
  int64_t PlaceOrder(const std::vector<std::pair<std::string, int64_t>>& lines,
                     const std::string& status = "pending");
  // pending, on-hold, processing, completed, cancelled, failed, refunded, checkout-draft,
  // trash; false for an unknown order.
  bool SetOrderStatus(int64_t id, const std::string& status);
  // A full refund: status refunded, a refund entry; restock puts the units back.
  bool RefundOrder(int64_t id, bool restock, const std::string& reason = "");
  std::optional<Order> OrderById(int64_t id) const;
  // The order as GET orders answers it.
  nlohmann::json OrderJson(int64_t id) const;

  // ---- clock (Unix seconds; dates are UTC, the site's timezone is UTC).
  int64_t Now() const;
  void SetNow(int64_t unix_seconds);
  void AdvanceSeconds(int64_t seconds);

  // ---- the API key.
  void RevokeKey();  // the key is deleted: requests with it are anonymous
  void SetKey(const std::string& key, const std::string& secret,
              const std::string& permissions = "read_write");

  FaultQueue& faults() { return faults_; }
  std::vector<Recorded> Requests() const;
  void ClearRequests();
  // Requests answered so far, and of them those answered 429 by the server limit.
  int64_t RequestCount() const;
  int64_t ThrottledCount() const;

  // POSTs the order as a WooCommerce webhook (topic order.updated) to `url`
  // (http://127.0.0.1:<port>/path): X-WC-Webhook-Signature = base64(HMAC-SHA256(secret,
  // body)), X-WC-Webhook-Topic, -Resource, -Event, -ID, -Delivery-ID, -Source. Returns the
  // receiver's status, 0 when none came.
  int DeliverOrderWebhook(int64_t order_id, const std::string& url, const std::string& secret,
                          int timeout_ms = 2000);

 private:
  struct Caller {  // who a request authenticated as
    bool authenticated = false;
  };
  HttpAnswer Handle(const HttpRequest& request);
  HttpAnswer Dispatch(const HttpRequest& request);
  HttpAnswer ListProducts(const HttpRequest& request, const Caller& caller, int64_t parent);
  HttpAnswer Batch(const HttpRequest& request, const Caller& caller, int64_t parent);
  HttpAnswer ListOrders(const HttpRequest& request, const Caller& caller);

  // Requires mu_.
  int64_t NowLocked() const;
  int64_t AddProductLocked(Product product);
  Product* FindLocked(int64_t id);
  Product* FindSkuLocked(const std::string& sku);
  nlohmann::ordered_json ProductJsonLocked(const Product& p, bool variation_shape) const;
  nlohmann::ordered_json OrderJsonLocked(const Order& o) const;
  void MoveStockLocked(Order& order, int sign);  // -1 reduce, +1 restore
  void SetStatusLocked(Order& order, const std::string& status);
  void LogLocked(const std::string& line);

  const Options options_;
  FakeHttpServer server_;
  FaultQueue faults_;

  mutable std::mutex mu_;
  std::function<void(const std::string&)> log_;
  std::string key_;
  std::string secret_;
  std::string permissions_;
  bool key_revoked_ = false;
  int64_t now_s_ = 0;
  int64_t next_post_id_ = 100;  // products, variations and orders share WordPress post ids
  int64_t next_item_id_ = 1;    // order line items
  int64_t next_webhook_delivery_ = 1;
  std::map<int64_t, Product> products_;
  std::map<int64_t, Order> orders_;
  std::vector<Recorded> requests_;
  int64_t throttled_ = 0;
  double tokens_ = 0;
  std::chrono::steady_clock::time_point refilled_{};
};

}  // namespace stockd::fakes

#endif  // STOCKD_TESTS_FAKES_WOOCOMMERCE_FAKE_WOOCOMMERCE_H_
