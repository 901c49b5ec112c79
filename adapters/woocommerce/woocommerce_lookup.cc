// WooCommerceAdapter: SKU look-up (GET products?sku=A,B,...), reads by id (GET
// products?include= / products/{parent}/variations?include=) and Fetch
// (woocommerce_adapter.h).
//
// products?sku= takes a comma-separated list and answers products and variations whose
// SKU is in it; the database compares case-insensitively, so only an exact match counts.
// A SKU holding a comma is looked up alone (WooCommerce also matches the whole string).
#include <set>
#include <utility>

#include "woocommerce_adapter.h"

namespace stockd::woocommerce {

using stockd::sdk::Error;
using stockd::sdk::LogLevel;

std::optional<WooCommerceAdapter::Failure> WooCommerceAdapter::LookUp(
    const std::vector<std::string>& skus, std::map<std::string, ProductInfo>* found) {
  // Group the SKUs into calls: at most kMaxLookupSkus and kMaxQueryBytes each.
  std::vector<std::vector<std::string>> calls;
  size_t bytes = 0;
  for (const std::string& sku : skus) {
    if (sku.empty()) continue;  // products?sku= would list every product
    const size_t size = http_.Escape(sku).size() + 1;
    const bool alone = sku.find(',') != std::string::npos;
    if (alone || calls.empty() || calls.back().size() >= kMaxLookupSkus ||
        bytes + size > kMaxQueryBytes || calls.back().front().find(',') != std::string::npos) {
      calls.emplace_back();
      bytes = 0;
    }
    calls.back().push_back(sku);
    bytes += size;
  }
  for (const std::vector<std::string>& call : calls) {
    if (host_.Cancelled()) return Failure{true, 0, "not looked up: stockd is stopping"};
    std::string list;
    for (const std::string& sku : call) list += (list.empty() ? "" : ",") + http_.Escape(sku);
    const std::string path = "products?sku=" + list + "&per_page=" + std::to_string(kMaxLookupSkus);
    const std::string what = "GET " + stockd::sdk::RedactUrl(Url("products"));
    const Answer a = Call("GET", path);
    if (std::optional<Failure> failure = Failed(a, what)) return failure;
    std::vector<ProductInfo> products;
    try {
      products = ParseProductList(a.response.body, what);
    } catch (const Error& e) {
      host_.Count("retries");
      return Failure{true, static_cast<int32_t>(backoff_.NextMs()), e.what()};
    }
    const std::set<std::string> asked(call.begin(), call.end());
    std::set<std::string> ambiguous;
    std::map<std::string, ProductInfo> matched;
    for (ProductInfo& p : products) {
      if (p.sku.empty() || asked.count(p.sku) == 0) continue;
      const auto [it, inserted] = matched.emplace(p.sku, p);
      if (!inserted && it->second.id != p.id) {
        ambiguous.insert(p.sku);
        host_.Log(LogLevel::kWarn, "WooCommerce has two listings with SKU " + p.sku + " (ids " +
                                       std::to_string(it->second.id) + " and " +
                                       std::to_string(p.id) + "): not pushing to either");
      }
    }
    for (const std::string& sku : call) {
      const auto it = matched.find(sku);
      if (it == matched.end() || ambiguous.count(sku) != 0) {
        cache_.PutMissing(sku);
        continue;
      }
      cache_.Put(sku, ProductIds{it->second.id, it->second.parent_id});
      (*found)[sku] = it->second;
    }
  }
  return std::nullopt;
}

std::optional<WooCommerceAdapter::Failure> WooCommerceAdapter::ReadByIds(
    int64_t parent, const std::vector<int64_t>& ids, std::map<int64_t, ProductInfo>* found) {
  const std::string collection =
      parent == 0 ? "products" : "products/" + std::to_string(parent) + "/variations";
  const std::string what = "GET " + stockd::sdk::RedactUrl(Url(collection));
  for (size_t start = 0; start < ids.size(); start += kMaxLookupSkus) {
    if (host_.Cancelled()) return Failure{true, 0, what + ": not sent, stockd is stopping"};
    std::string list;
    for (size_t i = start; i < std::min(ids.size(), start + kMaxLookupSkus); ++i) {
      list += (list.empty() ? "" : ",") + std::to_string(ids[i]);
    }
    const Answer a = Call(
        "GET", collection + "?include=" + list + "&per_page=" + std::to_string(kMaxLookupSkus));
    if (std::optional<Failure> failure = Failed(a, what)) return failure;
    try {
      for (ProductInfo& p : ParseProductList(a.response.body, what, parent)) {
        (*found)[p.id] = std::move(p);
      }
    } catch (const Error& e) {
      return Failure{true, 0, e.what()};
    }
  }
  return std::nullopt;
}

std::vector<int64_t> WooCommerceAdapter::Fetch(const std::vector<std::string_view>& listing_ids) {
  const std::string paused = PausedReason();
  if (!paused.empty()) throw Error(paused);
  // stock_quantity null: the product does not manage its stock (-1, as for no listing);
  // below 0 (oversold with backorders allowed): nothing to sell, 0.
  const auto quantity_of = [](const ProductInfo& p) -> int64_t {
    if (!p.stock_quantity.has_value()) return -1;
    return *p.stock_quantity < 0 ? 0 : *p.stock_quantity;
  };
  std::vector<int64_t> quantities(listing_ids.size(), -1);
  std::map<int64_t, std::vector<int64_t>> mapped_ids;  // parent -> ids
  std::vector<std::string> to_look_up;
  std::set<std::string> asked;
  for (const std::string_view id : listing_ids) {
    const std::string sku(id);
    if (const auto m = settings_.mapping.find(sku); m != settings_.mapping.end()) {
      mapped_ids[m->second.parent_id].push_back(m->second.id);
    } else if (asked.insert(sku).second) {
      to_look_up.push_back(sku);
    }
  }
  std::map<int64_t, ProductInfo> by_id;
  for (const auto& [parent, ids] : mapped_ids) {
    if (std::optional<Failure> failure = ReadByIds(parent, ids, &by_id)) {
      throw Error(failure->message);
    }
  }
  std::map<std::string, ProductInfo> by_sku;
  if (!to_look_up.empty()) {
    if (std::optional<Failure> failure = LookUp(to_look_up, &by_sku)) {
      throw Error(failure->message);
    }
  }
  for (size_t i = 0; i < listing_ids.size(); ++i) {
    const std::string sku(listing_ids[i]);
    if (const auto m = settings_.mapping.find(sku); m != settings_.mapping.end()) {
      const auto it = by_id.find(m->second.id);
      if (it != by_id.end()) quantities[i] = quantity_of(it->second);
    } else if (const auto it = by_sku.find(sku); it != by_sku.end()) {
      quantities[i] = quantity_of(it->second);
    }
  }
  return quantities;
}

}  // namespace stockd::woocommerce
