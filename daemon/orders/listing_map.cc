#include "daemon/orders/listing_map.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "daemon/plugins/listings.h"

namespace stockd::orders {

absl::StatusOr<ListingMap::Stamp> ListingMap::StampOf(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    return absl::NotFoundError(
        absl::StrCat("listings file ", path, ": cannot stat: ", std::strerror(errno)));
  }
  return Stamp{static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec,
               static_cast<int64_t>(st.st_ctim.tv_sec) * 1'000'000'000 + st.st_ctim.tv_nsec,
               static_cast<int64_t>(st.st_size), static_cast<uint64_t>(st.st_ino)};
}

absl::StatusOr<ListingMap::Reverse> ListingMap::Read(const std::string& path) {
  absl::StatusOr<std::vector<plugins::ListingEntry>> entries = plugins::ReadListingEntries(path);
  if (!entries.ok()) return entries.status();
  Reverse reverse;
  absl::flat_hash_map<std::string, int> line_of;
  for (plugins::ListingEntry& e : *entries) {
    auto [it, inserted] = line_of.emplace(e.listing_id, e.line);
    if (!inserted) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":", e.line, ": listing '", e.listing_id,
                                                     "' is mapped twice (also line ", it->second,
                                                     ")"));
    }
    reverse.emplace(std::move(e.listing_id), std::move(e.sku));
  }
  return reverse;
}

absl::StatusOr<std::unique_ptr<ListingMap>> ListingMap::Load(std::string path) {
  std::unique_ptr<ListingMap> map(new ListingMap(std::move(path)));
  if (map->path_.empty()) return map;
  absl::StatusOr<bool> read = map->Refresh();
  if (!read.ok()) return read.status();
  return map;
}

std::optional<std::string> ListingMap::Sku(const std::string& listing_id) const {
  if (path_.empty()) return listing_id;
  absl::MutexLock lock(&mu_);
  auto it = reverse_.find(listing_id);
  if (it == reverse_.end()) return std::nullopt;
  return it->second;
}

absl::StatusOr<bool> ListingMap::Refresh() {
  if (path_.empty()) return false;
  absl::StatusOr<Stamp> before = StampOf(path_);
  if (!before.ok()) return before.status();
  {
    absl::MutexLock lock(&mu_);
    if (*before == stamp_) return false;
  }
  absl::StatusOr<Reverse> reverse = Read(path_);
  if (!reverse.ok()) return reverse.status();
  // A write during the read shows as a changed stamp: keep the old stamp so the next
  // Refresh reads again.
  absl::StatusOr<Stamp> after = StampOf(path_);
  absl::MutexLock lock(&mu_);
  reverse_ = *std::move(reverse);
  stamp_ = after.ok() && *after == *before ? *before : Stamp{};
  return true;
}

}  // namespace stockd::orders
