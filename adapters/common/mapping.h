// SKU -> the channel's own ids (Shopify inventory item, eBay offer, WooCommerce product and
// variation). An adapter resolves them through the API's own look-up by SKU and caches
// them (SkuCache); an operator can override the look-up with a mapping file (config key
// `mapping_file`): CSV, one `sku,id[,id...]` per line, `#` comments and blank lines
// ignored, a first line starting `sku,` taken as a header. A SKU the look-up cannot find
// is remembered as missing for a while (a listing created later is found then) and is
// reported by the push, never pushed to a wrong listing.
//
// The SKU here is the channel's SKU: the push item's listing id (the daemon's listings
// file maps stockd's SKU to it; without one they are the same).
//
// Thread safety: one thread at a time (an adapter instance's).
#ifndef STOCKD_ADAPTERS_COMMON_MAPPING_H_
#define STOCKD_ADAPTERS_COMMON_MAPPING_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace stockd::adapters {

// Reads a mapping file whose lines have 1 + `id_columns` fields (`columns_help` names
// them in errors, e.g. "sku,inventory_item_id"). Throws sdk::Error with file:line on a
// line that does not fit, a duplicate SKU or an unreadable file.
std::unordered_map<std::string, std::vector<std::string>> LoadMappingFile(
    const std::string& path, size_t id_columns, const std::string& columns_help);

template <typename Ids>
class SkuCache {
 public:
  explicit SkuCache(int64_t missing_ttl_ms = 600'000) : missing_ttl_ms_(missing_ttl_ms) {}

  // The ids of `sku` when known; nullopt when not looked up (or its "missing" expired).
  const Ids* Find(const std::string& sku) const {
    const auto it = found_.find(sku);
    return it == found_.end() ? nullptr : &it->second;
  }
  // True while `sku` is remembered as missing on the channel.
  bool KnownMissing(const std::string& sku) const {
    const auto it = missing_.find(sku);
    return it != missing_.end() && Clock::now() < it->second;
  }
  void Put(const std::string& sku, Ids ids) {
    missing_.erase(sku);
    found_[sku] = std::move(ids);
  }
  void PutMissing(const std::string& sku) {
    found_.erase(sku);
    missing_[sku] = Clock::now() + std::chrono::milliseconds(missing_ttl_ms_);
  }
  // The channel said the cached ids are gone (deleted listing): look up again next time.
  void Forget(const std::string& sku) {
    found_.erase(sku);
    missing_.erase(sku);
  }
  size_t size() const { return found_.size(); }

 private:
  using Clock = std::chrono::steady_clock;
  int64_t missing_ttl_ms_;
  std::unordered_map<std::string, Ids> found_;
  std::unordered_map<std::string, Clock::time_point> missing_;
};

}  // namespace stockd::adapters

#endif  // STOCKD_ADAPTERS_COMMON_MAPPING_H_
