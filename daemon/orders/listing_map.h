// A channel's listing id -> SKU mapping for order ingestion: the reverse of the listings
// file the push engine maps SKUs with (channels[].adapter.listings, read by
// plugins::ReadListingEntries). Without a file a listing id is its SKU (identity).
// Refresh() re-reads the file when its modification time, size or inode changed: the poll
// worker calls it at each tick, which is how a mapping added to the file appears (live
// reload of the config is issue 14). A file that fails to parse on a refresh leaves the
// previous mapping in place and is reported.
//
// Thread safety: thread-safe (one mutex); Sku may be called from any thread.
#ifndef STOCKD_DAEMON_ORDERS_LISTING_MAP_H_
#define STOCKD_DAEMON_ORDERS_LISTING_MAP_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace stockd::orders {

class ListingMap {
 public:
  // `path` "" = identity. Reads the file: its errors (plugins::ReadListingEntries', and
  // INVALID_ARGUMENT "<path>:<line>: listing '<id>' is mapped twice (also line <n>)" for a
  // listing id two SKUs share, which cannot be mapped back) are returned.
  static absl::StatusOr<std::unique_ptr<ListingMap>> Load(std::string path);

  // The SKU of `listing_id`, or nullopt when the file maps none to it.
  std::optional<std::string> Sku(const std::string& listing_id) const;
  // Re-reads the file if its mtime, ctime, size or inode changed. True when it was re-read (the
  // mapping may have changed); false when unchanged (or identity). A file that cannot be
  // read or parsed now: its error, the previous mapping kept (and re-tried next time).
  absl::StatusOr<bool> Refresh();
  const std::string& path() const { return path_; }

 private:
  using Reverse = absl::flat_hash_map<std::string, std::string>;  // listing id -> sku
  // What says the file changed: rewritten in place (mtime, ctime, size) or replaced (inode).
  struct Stamp {
    int64_t mtime_ns = -1;
    int64_t ctime_ns = -1;
    int64_t size = -1;
    uint64_t inode = 0;
    bool operator==(const Stamp&) const = default;
  };
  explicit ListingMap(std::string path) : path_(std::move(path)) {}
  static absl::StatusOr<Reverse> Read(const std::string& path);
  static absl::StatusOr<Stamp> StampOf(const std::string& path);

  const std::string path_;
  mutable absl::Mutex mu_;
  Reverse reverse_ ABSL_GUARDED_BY(mu_);
  Stamp stamp_ ABSL_GUARDED_BY(mu_);
};

}  // namespace stockd::orders

#endif  // STOCKD_DAEMON_ORDERS_LISTING_MAP_H_
