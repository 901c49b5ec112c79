// ListingMap: listing id -> SKU from the listings file push uses; identity without one;
// re-read when the file changes; a broken rewrite keeps the previous mapping.
#include "daemon/orders/listing_map.h"

#include <chrono>
#include <filesystem>
#include <string>

#include "gtest/gtest.h"
#include "tests/orders/orders_test_support.h"
#include "tests/support/temp_dir.h"

namespace stockd::orders {
namespace {

void Rewrite(const std::string& path, const std::string& text, int bump_s) {
  testing::WriteFile(path, text);
  std::filesystem::last_write_time(
      path, std::filesystem::file_time_type::clock::now() + std::chrono::seconds(bump_s));
}

TEST(ListingMapTest, IdentityWithoutAFile) {
  absl::StatusOr<std::unique_ptr<ListingMap>> map = ListingMap::Load("");
  ASSERT_TRUE(map.ok()) << map.status();
  EXPECT_EQ((*map)->Sku("ANY-1"), "ANY-1");
  absl::StatusOr<bool> refreshed = (*map)->Refresh();
  ASSERT_TRUE(refreshed.ok());
  EXPECT_FALSE(*refreshed);
}

TEST(ListingMapTest, MapsBackAndFollowsTheFile) {
  stockd::testing::TempDir dir("listing-map");
  const std::string path = dir.path() + "/listing_map.csv";
  testing::WriteFile(path, "sku,listing_id\nSKU-1,B01\nSKU-2,B02\n");
  absl::StatusOr<std::unique_ptr<ListingMap>> loaded = ListingMap::Load(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ListingMap& map = **loaded;
  EXPECT_EQ(map.Sku("B01"), "SKU-1");
  EXPECT_EQ(map.Sku("B02"), "SKU-2");
  EXPECT_EQ(map.Sku("SKU-1"), std::nullopt);  // a SKU is not a listing id here
  EXPECT_EQ(map.Sku("B03"), std::nullopt);
  absl::StatusOr<bool> refreshed = map.Refresh();
  ASSERT_TRUE(refreshed.ok());
  EXPECT_FALSE(*refreshed);  // unchanged

  Rewrite(path, "sku,listing_id\nSKU-1,B01\nSKU-2,B02\nSKU-3,B03\n", 1);
  refreshed = map.Refresh();
  ASSERT_TRUE(refreshed.ok()) << refreshed.status();
  EXPECT_TRUE(*refreshed);
  EXPECT_EQ(map.Sku("B03"), "SKU-3");

  // A broken rewrite: its error, the previous mapping kept, re-tried once fixed.
  Rewrite(path, "SKU-1,B01\nnot a line\n", 2);
  refreshed = map.Refresh();
  EXPECT_EQ(refreshed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(refreshed.status().message().find(path + ":2"), std::string::npos)
      << refreshed.status();
  EXPECT_EQ(map.Sku("B03"), "SKU-3");
  Rewrite(path, "SKU-9,B03\n", 3);
  refreshed = map.Refresh();
  ASSERT_TRUE(refreshed.ok()) << refreshed.status();
  EXPECT_EQ(map.Sku("B03"), "SKU-9");
  EXPECT_EQ(map.Sku("B01"), std::nullopt);
}

TEST(ListingMapTest, AListingTwoSkusShareIsRefusedWithFileLine) {
  stockd::testing::TempDir dir("listing-map");
  const std::string path = dir.path() + "/listing_map_dup.csv";
  testing::WriteFile(path, "SKU-1,B01\nSKU-2,B01\n");
  absl::StatusOr<std::unique_ptr<ListingMap>> map = ListingMap::Load(path);
  EXPECT_EQ(map.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(map.status().message(), path + ":2: listing 'B01' is mapped twice (also line 1)");
  EXPECT_EQ(ListingMap::Load(path + ".absent").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace stockd::orders
