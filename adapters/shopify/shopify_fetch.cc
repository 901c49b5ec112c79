// ShopifyAdapter: the SKU look-up (inventoryItems searched by SKU, cached) and Fetch (the
// items' inventory levels at the location, read through nodes()).
#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>
#include <utility>

#include "shopify_adapter.h"

namespace stockd::shopify {
namespace {

using stockd::sdk::Error;

constexpr int64_t kFetchWaitMs = 10'000;  // a read may wait longer for the bucket than a push
constexpr int kMaxLookupPages = 10;

}  // namespace

const ShopifyAdapter::ItemIds* ShopifyAdapter::Known(const std::string& sku) const {
  const auto mapped = mapped_.find(sku);
  return mapped != mapped_.end() ? &mapped->second : cache_.Find(sku);
}

ShopifyAdapter::Result ShopifyAdapter::Resolve(const std::vector<std::string>& skus,
                                               int64_t max_wait_ms) {
  for (size_t start = 0; start < skus.size(); start += kLookupSkusPerCall) {
    const size_t end = std::min(skus.size(), start + kLookupSkusPerCall);
    const std::vector<std::string> chunk(skus.begin() + static_cast<std::ptrdiff_t>(start),
                                         skus.begin() + static_cast<std::ptrdiff_t>(end));
    const std::set<std::string> wanted(chunk.begin(), chunk.end());
    // Room for a few SKUs that more than one item carries (Shopify does not forbid it).
    const int64_t first = std::min<int64_t>(250, 2 * static_cast<int64_t>(chunk.size()));
    std::map<std::string, std::set<std::string>> found;
    std::string after;
    for (int page = 0; page < kMaxLookupPages; ++page) {
      const Json variables = {{"first", first},
                              {"after", after.empty() ? Json(nullptr) : Json(after)},
                              {"query", SkuSearch(chunk)}};
      Result r =
          api_.Call("inventoryItems", kLookupQuery, variables, LookupCost(first), max_wait_ms);
      if (!r.ok()) return r;
      LookupPage answer;
      try {
        answer = ReadLookup(r.data);
      } catch (const Error& e) {
        Result bad;
        bad.kind = Result::Kind::kRetry;
        bad.message = std::string("inventoryItems: ") + e.what();
        return bad;
      }
      // Shopify's search may match more loosely than equality: keep exact SKUs only.
      for (const auto& [sku, gid] : answer.items) {
        if (wanted.count(sku) != 0) found[sku].insert(gid);
      }
      if (!answer.has_next) break;
      after = answer.end_cursor;
    }
    for (const std::string& sku : chunk) {
      const auto it = found.find(sku);
      if (it == found.end()) {
        cache_.PutMissing(sku);
        host_.Log(stockd::sdk::LogLevel::kInfo,
                  "shopify has no inventory item with SKU \"" + sku + "\"");
      } else {
        cache_.Put(sku, ItemIds{*it->second.begin(), static_cast<int>(it->second.size())});
      }
    }
  }
  return Result{};
}

std::vector<int64_t> ShopifyAdapter::Fetch(const std::vector<std::string_view>& listing_ids) {
  const std::string paused = api_.PausedReason();
  if (!paused.empty()) throw Error(paused);

  std::vector<std::string> unknown;
  for (std::string_view id : listing_ids) {
    const std::string sku(id);
    if (Known(sku) == nullptr && !cache_.KnownMissing(sku) &&
        std::find(unknown.begin(), unknown.end(), sku) == unknown.end()) {
      unknown.push_back(sku);
    }
  }
  if (!unknown.empty()) {
    const Result r = Resolve(unknown, kFetchWaitMs);
    if (!r.ok()) throw Error(r.message);
  }

  std::vector<std::string> gids;
  std::set<std::string> seen;
  for (std::string_view id : listing_ids) {
    const ItemIds* ids = Known(std::string(id));
    if (ids != nullptr && ids->matches == 1 && seen.insert(ids->gid).second) {
      gids.push_back(ids->gid);
    }
  }
  std::map<std::string, int64_t> levels;
  for (size_t start = 0; start < gids.size(); start += kLevelsPerCall) {
    const size_t end = std::min(gids.size(), start + kLevelsPerCall);
    const std::vector<std::string> chunk(gids.begin() + static_cast<std::ptrdiff_t>(start),
                                         gids.begin() + static_cast<std::ptrdiff_t>(end));
    const Json variables = {{"ids", chunk},
                            {"location", settings_.location_gid},
                            {"names", Json::array({settings_.quantity_name})}};
    const Result r =
        api_.Call("nodes", kLevelsQuery, variables, LevelsCost(chunk.size()), kFetchWaitMs);
    if (!r.ok()) throw Error(r.message);
    for (auto& [gid, quantity] : ReadLevels(r.data, settings_.quantity_name)) {
      levels[gid] = quantity;
    }
  }

  std::vector<int64_t> quantities(listing_ids.size(), -1);
  for (size_t i = 0; i < listing_ids.size(); ++i) {
    const std::string sku(listing_ids[i]);
    const ItemIds* ids = Known(sku);
    if (ids == nullptr || ids->matches != 1) continue;
    const auto it = levels.find(ids->gid);
    if (it != levels.end()) {
      quantities[i] = it->second;
    } else if (mapped_.count(sku) == 0) {
      cache_.Forget(sku);  // the item is gone: look it up again next time
    }
  }
  return quantities;
}

}  // namespace stockd::shopify
