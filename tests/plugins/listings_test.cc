// The listings file (sku,listing_id) that maps SKUs to a channel's listing ids, for the
// push engine and order ingestion alike: parsed, and refused with file:line.
#include "daemon/plugins/listings.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "daemon/engine/model.h"
#include "tests/support/temp_dir.h"

namespace stockd::plugins {
namespace {

TEST(ListingsTest, ParsesAndRejectsWithFileLine) {
  stockd::testing::TempDir dir("listings-test");
  const std::string path = dir.path() + "/listings.csv";
  {
    std::ofstream out(path);
    out << "sku,listing_id\n# comment\nSKU-1,B000123\n\nSKU-2, ASIN-2 \n";
  }
  absl::StatusOr<absl::flat_hash_map<std::string, std::string>> l = ReadListings(path);
  ASSERT_TRUE(l.ok()) << l.status();
  EXPECT_EQ(l->size(), 2u);
  EXPECT_EQ(l->at("SKU-2"), "ASIN-2");
  absl::StatusOr<std::vector<ListingEntry>> entries = ReadListingEntries(path);
  ASSERT_TRUE(entries.ok()) << entries.status();
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].sku, "SKU-1");
  EXPECT_EQ((*entries)[0].listing_id, "B000123");
  EXPECT_EQ((*entries)[0].line, 3);
  EXPECT_EQ((*entries)[1].line, 5);
  {
    std::ofstream out(path);
    out << "SKU-1,A\nSKU-1,B\n";
  }
  l = ReadListings(path);
  EXPECT_EQ(l.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(l.status().message().find(path + ":2"), std::string::npos) << l.status();
  EXPECT_EQ(ReadListings(path + ".absent").status().code(), absl::StatusCode::kNotFound);
}

// The plugins layer may not include the engine: its copy of the id rule must agree.
TEST(ListingsTest, SkuRuleIsTheEngines) {
  const std::vector<std::string> samples = {
      "",      "a",        "A-1.b_c:d/e",         "has space",
      "x,y",   "\xc3\xa9", std::string(128, 'a'), std::string(129, 'a'),
      "tab\t", "*"};
  for (const std::string& s : samples) {
    EXPECT_EQ(IsValidSkuId(s), engine::IsValidId(s)) << "'" << s << "'";
  }
}

}  // namespace
}  // namespace stockd::plugins
