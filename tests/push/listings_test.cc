// The listings file (sku,listing_id) the push engine maps SKUs to a channel's listing
// ids with: parsed, and refused with file:line.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "daemon/push/push_engine.h"

namespace stockd::push {
namespace {

TEST(ListingsTest, ParsesAndRejectsWithFileLine) {
  const std::string path = ::testing::TempDir() + "/listings.csv";
  {
    std::ofstream out(path);
    out << "sku,listing_id\n# comment\nSKU-1,B000123\n\nSKU-2, ASIN-2 \n";
  }
  absl::StatusOr<absl::flat_hash_map<std::string, std::string>> l = ReadListings(path);
  ASSERT_TRUE(l.ok()) << l.status();
  EXPECT_EQ(l->size(), 2u);
  EXPECT_EQ(l->at("SKU-2"), "ASIN-2");
  {
    std::ofstream out(path);
    out << "SKU-1,A\nSKU-1,B\n";
  }
  l = ReadListings(path);
  EXPECT_EQ(l.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(l.status().message().find(path + ":2"), std::string::npos) << l.status();
}

}  // namespace
}  // namespace stockd::push
