// The fake WooCommerce shop's state: catalogue, orders and their stock movements, clock,
// API key, records, webhooks (fake_woocommerce.h). The HTTP routes:
// fake_woocommerce_routes.cc.
#include "tests/fakes/woocommerce/fake_woocommerce.h"

#include <algorithm>
#include <utility>

namespace stockd::fakes {
namespace {

int64_t SystemNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Shown(const std::optional<int64_t>& stock) {
  return stock ? std::to_string(*stock) : "unmanaged";
}

}  // namespace

FakeWooCommerce::FakeWooCommerce(Options options)
    : options_(std::move(options)),
      server_([this](const HttpRequest& request) { return Handle(request); }, options_.port),
      key_(options_.consumer_key),
      secret_(options_.consumer_secret),
      permissions_(options_.permissions),
      now_s_(options_.start_time != 0 ? options_.start_time : SystemNow()),
      tokens_(options_.burst),
      refilled_(std::chrono::steady_clock::now()) {}

FakeWooCommerce::~FakeWooCommerce() { Stop(); }

bool FakeWooCommerce::Start(std::string* error) { return server_.Start(error); }
void FakeWooCommerce::Stop() { server_.Stop(); }
uint16_t FakeWooCommerce::port() const { return server_.port(); }
std::string FakeWooCommerce::base_url() const { return server_.base_url(); }

void FakeWooCommerce::OnLog(std::function<void(const std::string&)> log) {
  std::lock_guard<std::mutex> lock(mu_);
  log_ = std::move(log);
}

void FakeWooCommerce::LogLocked(const std::string& line) {
  if (log_) log_("woocommerce: " + line);
}

// ---------------------------------------------------------------- catalogue

int64_t FakeWooCommerce::AddProductLocked(Product product) {
  product.id = next_post_id_++;
  product.created_s = product.modified_s = NowLocked();
  if (product.name.empty()) product.name = product.sku.empty() ? "Product" : product.sku;
  LogLocked(product.type + " " + std::to_string(product.id) + " \"" + product.sku + "\" (" +
            Shown(product.stock_quantity) + ")");
  const int64_t id = product.id;
  products_.emplace(id, std::move(product));
  return id;
}

int64_t FakeWooCommerce::AddSimpleProduct(const std::string& sku, std::optional<int64_t> stock) {
  std::lock_guard<std::mutex> lock(mu_);
  Product p;
  p.type = "simple";
  p.sku = sku;
  p.manage_stock = stock.has_value();
  p.stock_quantity = stock;
  return AddProductLocked(std::move(p));
}

int64_t FakeWooCommerce::AddVariableProduct(const std::string& sku) {
  std::lock_guard<std::mutex> lock(mu_);
  Product p;
  p.type = "variable";
  p.sku = sku;
  return AddProductLocked(std::move(p));
}

int64_t FakeWooCommerce::AddVariation(int64_t parent, const std::string& sku,
                                      std::optional<int64_t> stock) {
  std::lock_guard<std::mutex> lock(mu_);
  const Product* variable = FindLocked(parent);
  if (variable == nullptr || variable->type != "variable") return 0;
  Product p;
  p.type = "variation";
  p.parent_id = parent;
  p.sku = sku;
  p.name = variable->name + " - " + sku;
  p.manage_stock = stock.has_value();
  p.stock_quantity = stock;
  return AddProductLocked(std::move(p));
}

int64_t FakeWooCommerce::AddGroupedProduct(const std::string& sku) {
  std::lock_guard<std::mutex> lock(mu_);
  Product p;
  p.type = "grouped";
  p.sku = sku;
  return AddProductLocked(std::move(p));
}

bool FakeWooCommerce::DeleteProduct(int64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  if (products_.erase(id) == 0) return false;
  for (auto it = products_.begin(); it != products_.end();) {
    it = it->second.parent_id == id ? products_.erase(it) : std::next(it);
  }
  LogLocked("product " + std::to_string(id) + " deleted");
  return true;
}

bool FakeWooCommerce::SetStock(int64_t id, std::optional<int64_t> stock) {
  std::lock_guard<std::mutex> lock(mu_);
  Product* p = FindLocked(id);
  if (p == nullptr) return false;
  LogLocked("set " + p->sku + "=" + Shown(stock) + " (was " + Shown(p->stock_quantity) + ")");
  p->manage_stock = stock.has_value();
  p->stock_quantity = stock;
  p->modified_s = NowLocked();
  return true;
}

std::optional<FakeWooCommerce::Product> FakeWooCommerce::ProductById(int64_t id) const {
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = products_.find(id);
  if (it == products_.end()) return std::nullopt;
  return it->second;
}

std::optional<FakeWooCommerce::Product> FakeWooCommerce::ProductBySku(
    const std::string& sku) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [id, p] : products_) {
    if (!sku.empty() && p.sku == sku) return p;
  }
  return std::nullopt;
}

std::optional<int64_t> FakeWooCommerce::Stock(const std::string& sku) const {
  const std::optional<Product> p = ProductBySku(sku);
  if (!p || !p->manage_stock) return std::nullopt;
  return p->stock_quantity;
}

FakeWooCommerce::Product* FakeWooCommerce::FindLocked(int64_t id) {
  const auto it = products_.find(id);
  return it == products_.end() ? nullptr : &it->second;
}

FakeWooCommerce::Product* FakeWooCommerce::FindSkuLocked(const std::string& sku) {
  for (auto& [id, p] : products_) {
    if (!sku.empty() && p.sku == sku) return &p;
  }
  return nullptr;
}

// ---------------------------------------------------------------- orders

int64_t FakeWooCommerce::PlaceOrder(const std::vector<std::pair<std::string, int64_t>>& lines,
                                    const std::string& status) {
  std::lock_guard<std::mutex> lock(mu_);
  Order order;
  for (const auto& [sku, quantity] : lines) {
    const Product* p = FindSkuLocked(sku);
    if (p == nullptr) return 0;
    OrderLine line;
    line.id = next_item_id_++;
    line.product_id = p->type == "variation" ? p->parent_id : p->id;
    line.variation_id = p->type == "variation" ? p->id : 0;
    line.sku = p->sku;
    line.name = p->name;
    line.quantity = quantity;
    order.lines.push_back(std::move(line));
  }
  order.id = next_post_id_++;
  order.status = "pending";
  order.created_s = order.modified_s = NowLocked();
  LogLocked("order #" + std::to_string(order.id) + " placed");
  Order& stored = orders_.emplace(order.id, std::move(order)).first->second;
  if (status != "pending") SetStatusLocked(stored, status);
  return stored.id;
}

void FakeWooCommerce::MoveStockLocked(Order& order, int sign) {
  for (const OrderLine& line : order.lines) {
    Product* p = FindLocked(line.variation_id != 0 ? line.variation_id : line.product_id);
    // A variation that does not manage its stock takes it from its parent's.
    if (p != nullptr && !p->manage_stock && p->parent_id != 0) p = FindLocked(p->parent_id);
    if (p == nullptr || !p->manage_stock || !p->stock_quantity) continue;
    const int64_t before = *p->stock_quantity;
    p->stock_quantity = before + sign * line.quantity;
    p->modified_s = NowLocked();
    LogLocked("set " + p->sku + "=" + std::to_string(*p->stock_quantity) + " (was " +
              std::to_string(before) + ", order #" + std::to_string(order.id) + ")");
  }
}

// WooCommerce: wc_maybe_reduce_stock_levels on processing, on-hold, completed (once per
// order); wc_maybe_increase_stock_levels on cancelled and pending (when reduced).
void FakeWooCommerce::SetStatusLocked(Order& order, const std::string& status) {
  const std::string was = order.status;
  order.status = status;
  order.modified_s = NowLocked();
  if (status == "completed" && !order.completed_s) order.completed_s = order.modified_s;
  LogLocked("order #" + std::to_string(order.id) + " " + was + " -> " + status);
  if ((status == "processing" || status == "on-hold" || status == "completed") &&
      !order.stock_reduced) {
    MoveStockLocked(order, -1);
    order.stock_reduced = true;
  } else if ((status == "cancelled" || status == "pending") && order.stock_reduced) {
    MoveStockLocked(order, +1);
    order.stock_reduced = false;
  }
}

bool FakeWooCommerce::SetOrderStatus(int64_t id, const std::string& status) {
  static const std::vector<std::string> kStatuses = {"pending",   "on-hold",   "processing",
                                                     "completed", "cancelled", "refunded",
                                                     "failed",    "trash",     "checkout-draft"};
  if (std::find(kStatuses.begin(), kStatuses.end(), status) == kStatuses.end()) return false;
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = orders_.find(id);
  if (it == orders_.end()) return false;
  SetStatusLocked(it->second, status);
  return true;
}

bool FakeWooCommerce::RefundOrder(int64_t id, bool restock, const std::string& reason) {
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = orders_.find(id);
  if (it == orders_.end()) return false;
  Order& order = it->second;
  order.refunds.push_back({next_post_id_++, reason, restock});
  if (restock && order.stock_reduced) {
    MoveStockLocked(order, +1);
    order.stock_reduced = false;
  }
  SetStatusLocked(order, "refunded");
  return true;
}

std::optional<FakeWooCommerce::Order> FakeWooCommerce::OrderById(int64_t id) const {
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = orders_.find(id);
  if (it == orders_.end()) return std::nullopt;
  return it->second;
}

// ---------------------------------------------------------------- clock, key, records

int64_t FakeWooCommerce::NowLocked() const { return now_s_; }

int64_t FakeWooCommerce::Now() const {
  std::lock_guard<std::mutex> lock(mu_);
  return now_s_;
}

void FakeWooCommerce::SetNow(int64_t unix_seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  now_s_ = unix_seconds;
}

void FakeWooCommerce::AdvanceSeconds(int64_t seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  now_s_ += seconds;
}

void FakeWooCommerce::RevokeKey() {
  std::lock_guard<std::mutex> lock(mu_);
  key_revoked_ = true;
  LogLocked("API key revoked");
}

void FakeWooCommerce::SetKey(const std::string& key, const std::string& secret,
                             const std::string& permissions) {
  std::lock_guard<std::mutex> lock(mu_);
  key_ = key;
  secret_ = secret;
  permissions_ = permissions;
  key_revoked_ = false;
  LogLocked("API key set (" + permissions + ")");
}

std::vector<FakeWooCommerce::Recorded> FakeWooCommerce::Requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

void FakeWooCommerce::ClearRequests() {
  std::lock_guard<std::mutex> lock(mu_);
  requests_.clear();
  throttled_ = 0;
}

int64_t FakeWooCommerce::RequestCount() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int64_t>(requests_.size());
}

int64_t FakeWooCommerce::ThrottledCount() const {
  std::lock_guard<std::mutex> lock(mu_);
  return throttled_;
}

}  // namespace stockd::fakes
