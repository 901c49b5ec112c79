#include "daemon/plugins/listings.h"

#include <fstream>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace stockd::plugins {

bool IsValidSkuId(std::string_view s) {
  if (s.empty() || s.size() > 128) return false;
  for (unsigned char ch : s) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == ':' || ch == '/' ||
                    ch == '-';
    if (!ok) return false;
  }
  return true;
}

absl::StatusOr<std::vector<ListingEntry>> ReadListingEntries(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("listings file ", path, ": cannot open"));
  std::vector<ListingEntry> out;
  absl::flat_hash_set<std::string> skus;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    absl::string_view text = absl::StripAsciiWhitespace(line);
    if (text.empty() || text[0] == '#') continue;
    std::vector<std::string> fields = absl::StrSplit(text, ',');
    for (std::string& f : fields) f = std::string(absl::StripAsciiWhitespace(f));
    if (number == 1 && fields.size() == 2 && fields[0] == "sku") continue;  // header
    if (fields.size() != 2 || !IsValidSkuId(fields[0]) || fields[1].empty() ||
        fields[1].size() > 256) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ":", number, ": expected 'sku,listing_id' with a valid sku, got '", text, "'"));
    }
    if (!skus.insert(fields[0]).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", number, ": sku '", fields[0], "' is listed twice"));
    }
    out.push_back({std::move(fields[0]), std::move(fields[1]), number});
  }
  return out;
}

absl::StatusOr<absl::flat_hash_map<std::string, std::string>> ReadListings(
    const std::string& path) {
  absl::StatusOr<std::vector<ListingEntry>> entries = ReadListingEntries(path);
  if (!entries.ok()) return entries.status();
  absl::flat_hash_map<std::string, std::string> out;
  for (ListingEntry& e : *entries) out.emplace(std::move(e.sku), std::move(e.listing_id));
  return out;
}

}  // namespace stockd::plugins
