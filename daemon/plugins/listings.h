// A channel's listings file: CSV `sku,listing_id` naming, per SKU, the channel's own id
// for its listing (channels[].adapter.listings). The push engine maps SKUs to listing
// ids with it; order ingestion maps listing ids back to SKUs (daemon/orders/listing_map).
// One parser for both, so both read the same file the same way.
//
// Thread safety: pure functions of the file system; thread-safe.
#ifndef STOCKD_DAEMON_PLUGINS_LISTINGS_H_
#define STOCKD_DAEMON_PLUGINS_LISTINGS_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"

namespace stockd::plugins {

// One mapping line of a listings file.
struct ListingEntry {
  std::string sku;
  std::string listing_id;
  int line = 0;  // 1-based, for errors
};

// Reads a listings file: CSV `sku,listing_id` (header line `sku,listing_id` optional, '#'
// comments and blank lines skipped, fields trimmed). A sku is an id as the engine's
// (1-128 bytes of A-Z a-z 0-9 . _ : / -); a listing id is 1-256 bytes. NOT_FOUND when the
// file cannot be opened; INVALID_ARGUMENT with "<path>:<line>: " on a malformed line or a
// SKU listed twice. Entries in file order.
absl::StatusOr<std::vector<ListingEntry>> ReadListingEntries(const std::string& path);

// The same file as sku -> listing id (the push engine's view).
absl::StatusOr<absl::flat_hash_map<std::string, std::string>> ReadListings(const std::string& path);

// The engine's id rule (engine::IsValidId), which this layer may not include.
bool IsValidSkuId(std::string_view s);

}  // namespace stockd::plugins

#endif  // STOCKD_DAEMON_PLUGINS_LISTINGS_H_
