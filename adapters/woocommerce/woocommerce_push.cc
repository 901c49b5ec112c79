// WooCommerceAdapter::Push (woocommerce_adapter.h): each listing id resolved (mapping
// file, cache, products?sku= look-up), the items grouped by parent product and sent as
// products/batch or products/{parent}/variations/batch, batch_size a call; a batch the
// shop refuses as too large (413) is sent again in halves, down to one item.
#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "woocommerce_adapter.h"

namespace stockd::woocommerce {
namespace {

using stockd::sdk::Error;
using stockd::sdk::Item;
using stockd::sdk::LogLevel;
using stockd::sdk::PushResult;

PushResult Unmapped(stockd::sdk::Host host, const std::string& sku) {
  host.Count("unmapped");
  return PushResult::Permanent("woocommerce has no listing with SKU " + sku);
}

}  // namespace

std::vector<PushResult> WooCommerceAdapter::Push(const std::vector<Item>& items) {
  std::vector<PushResult> results(items.size());
  const std::string paused = PausedReason();
  if (!paused.empty()) {
    const auto after = static_cast<int32_t>(pause_.retry_after_ms());
    for (PushResult& r : results) r = PushResult::Retry(paused, after);
    return results;
  }
  // Resolve every listing id (the shop's SKU) to its ids.
  std::vector<ProductIds> ids(items.size());
  std::vector<bool> resolved(items.size(), false);
  std::vector<bool> decided(items.size(), false);
  std::vector<std::string> to_look_up;
  std::set<std::string> asked;
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string sku(items[i].listing_id);
    if (sku.empty()) {
      // products?sku= without a SKU lists every product: never look an empty one up.
      results[i] = PushResult::Permanent("woocommerce has no listing with SKU \"\"");
      host_.Count("unmapped");
      decided[i] = true;
    } else if (const auto m = settings_.mapping.find(sku); m != settings_.mapping.end()) {
      ids[i] = m->second;
      resolved[i] = true;
    } else if (const ProductIds* cached = cache_.Find(sku)) {
      ids[i] = *cached;
      resolved[i] = true;
    } else if (cache_.KnownMissing(sku)) {
      results[i] = Unmapped(host_, sku);
      decided[i] = true;
    } else if (asked.insert(sku).second) {
      to_look_up.push_back(sku);
    }
  }
  if (!to_look_up.empty()) {
    std::map<std::string, ProductInfo> found;
    const std::optional<Failure> failure = LookUp(to_look_up, &found);
    for (size_t i = 0; i < items.size(); ++i) {
      if (resolved[i] || decided[i]) continue;
      const std::string sku(items[i].listing_id);
      if (const auto f = found.find(sku); f != found.end()) {
        ids[i] = ProductIds{f->second.id, f->second.parent_id};
        resolved[i] = true;
      } else if (cache_.KnownMissing(sku)) {
        results[i] = Unmapped(host_, sku);
      } else if (failure.has_value()) {
        results[i] = failure->retry
                         ? PushResult::Retry("SKU look-up failed: " + failure->message,
                                             failure->retry_after_ms)
                         : PushResult::Permanent("SKU look-up failed: " + failure->message);
      } else {
        results[i] = PushResult::Retry("SKU " + sku + " was not looked up");
      }
    }
  }
  // One batch call per parent (products/batch for 0), batch_size items a call.
  std::map<int64_t, std::vector<size_t>> groups;
  for (size_t i = 0; i < items.size(); ++i) {
    if (resolved[i]) groups[ids[i].parent_id].push_back(i);
  }
  std::optional<PushResult> stopped;
  for (const auto& [parent, members] : groups) {
    for (size_t start = 0; start < members.size(); start += settings_.batch_size) {
      const std::vector<size_t> chunk(
          members.begin() + static_cast<std::ptrdiff_t>(start),
          members.begin() +
              static_cast<std::ptrdiff_t>(std::min(members.size(), start + settings_.batch_size)));
      if (!stopped && host_.Cancelled()) {
        stopped = PushResult::Retry("stockd is stopping");
      }
      if (stopped) {
        for (size_t i : chunk) {
          results[i] = PushResult::Retry("not sent: " + stopped->message, stopped->retry_after_ms);
        }
        continue;
      }
      if (!PushBatch(items, parent, chunk, ids, &results)) stopped = results[chunk.back()];
    }
  }
  return results;
}

bool WooCommerceAdapter::PushBatch(const std::vector<Item>& items, int64_t parent,
                                   const std::vector<size_t>& indices,
                                   const std::vector<ProductIds>& ids,
                                   std::vector<PushResult>* results) {
  std::vector<StockUpdate> updates;
  for (size_t i : indices) updates.push_back({ids[i].id, items[i].quantity});
  const std::string path =
      parent == 0 ? "products/batch" : "products/" + std::to_string(parent) + "/variations/batch";
  const std::string what = "POST " + stockd::sdk::RedactUrl(Url(path));
  const Answer a = Call("POST", path, BatchBody(updates));
  const Response& r = a.response;
  if (r.answered() && r.status == 413 && indices.size() > 1) {
    // More items than this shop takes at once (woocommerce_rest_batch_items_limit filter,
    // or a body size limit): halves, down to one item.
    host_.Log(LogLevel::kInfo, what + " refused " + std::to_string(indices.size()) + " items (" +
                                   Describe(r) + "): sending them in halves");
    const auto middle = indices.begin() + static_cast<std::ptrdiff_t>(indices.size() / 2);
    const std::vector<size_t> first(indices.begin(), middle);
    const std::vector<size_t> second(middle, indices.end());
    if (!PushBatch(items, parent, first, ids, results)) {
      for (size_t i : second) {
        (*results)[i] = PushResult::Retry("not sent: " + (*results)[first.back()].message,
                                          (*results)[first.back()].retry_after_ms);
      }
      return false;
    }
    return PushBatch(items, parent, second, ids, results);
  }
  if (const std::optional<Failure> failure = Failed(a, what)) {
    if (failure->retry) {
      for (size_t i : indices) {
        (*results)[i] = PushResult::Retry(failure->message, failure->retry_after_ms);
      }
      return false;
    }
    host_.Count("items_rejected", static_cast<double>(indices.size()));
    host_.Log(LogLevel::kWarn,
              "rejected " + std::to_string(indices.size()) + " items: " + failure->message);
    for (size_t i : indices) (*results)[i] = PushResult::Permanent(failure->message);
    return true;
  }
  ReadBatchAnswer(r, what, items, indices, ids, results);
  return true;
}

void WooCommerceAdapter::ReadBatchAnswer(const Response& r, const std::string& what,
                                         const std::vector<Item>& items,
                                         const std::vector<size_t>& indices,
                                         const std::vector<ProductIds>& ids,
                                         std::vector<PushResult>* results) {
  std::vector<BatchItemResult> answer;
  std::string unreadable;
  try {
    answer = ParseBatchAnswer(r.body, what);
    if (answer.size() != indices.size()) {
      unreadable = what + ": " + std::to_string(answer.size()) + " results for " +
                   std::to_string(indices.size()) + " items";
    }
  } catch (const Error& e) {
    unreadable = e.what();
  }
  if (!unreadable.empty()) {
    host_.Count("retries");
    host_.Log(LogLevel::kWarn, unreadable);
    const auto after = static_cast<int32_t>(backoff_.NextMs());
    for (size_t i : indices) (*results)[i] = PushResult::Retry(unreadable, after);
    return;
  }
  bool retried = false;
  for (size_t k = 0; k < indices.size(); ++k) {
    const size_t i = indices[k];
    const BatchItemResult& res = answer[k];
    const std::string sku(items[i].listing_id);
    const std::string item = "SKU " + sku + " (id " + std::to_string(ids[i].id) + ")";
    PushResult& out = (*results)[i];
    if (res.kind == BatchItemResult::Kind::kError && (!res.id || *res.id == ids[i].id)) {
      const std::string message =
          "WooCommerce refused " + item + ": " + res.code + ": " + res.message;
      // The id is gone (product deleted) or no longer the SKU's parent: look it up again.
      if (res.code.size() > 11 && res.code.compare(res.code.size() - 11, 11, "_invalid_id") == 0) {
        cache_.Forget(sku);
      } else if (res.code == "woocommerce_rest_cannot_edit") {
        cache_.Forget(sku);
      }
      if (res.status >= 500 || res.status == 429 || res.status == 408) {
        out = PushResult::Retry(message);
        retried = true;
      } else {
        host_.Count("items_rejected");
        out = PushResult::Permanent(message);
      }
    } else if (res.kind == BatchItemResult::Kind::kSaved && res.id && *res.id == ids[i].id) {
      if (res.stock_quantity == items[i].quantity && res.manage_stock) {
        out = PushResult::Ok();
      } else if (!res.manage_stock) {
        // Grouped and external products keep no stock: WooCommerce turns it off again.
        host_.Count("items_rejected");
        out = PushResult::Permanent("WooCommerce keeps no stock for " + item +
                                    " (manage_stock stays off: a grouped or external product?)");
      } else {
        out = PushResult::Retry(
            "WooCommerce saved " + item + " with stock_quantity " +
            (res.stock_quantity ? std::to_string(*res.stock_quantity) : std::string("null")) +
            ", not " + std::to_string(items[i].quantity));
        retried = true;
      }
    } else {
      out = PushResult::Retry(what + ": result " + std::to_string(k) + " is not " + item);
      retried = true;
    }
  }
  if (retried) host_.Count("retries");
}

}  // namespace stockd::woocommerce
