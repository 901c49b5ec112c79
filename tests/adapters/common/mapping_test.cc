// adapters/common/mapping.h: the mapping file's format and errors (file:line), and the
// SKU cache's found / missing / forgotten states.
#include "common/mapping.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "stockd/adapter_sdk.h"

namespace stockd::adapters {
namespace {

std::string Write(const std::string& content) {
  const std::string path = ::testing::TempDir() + "mapping-" + std::to_string(::getpid()) + "-" +
                           ::testing::UnitTest::GetInstance()->current_test_info()->name();
  std::ofstream(path, std::ios::trunc) << content;
  return path;
}

std::string Refusal(const std::string& path, size_t columns) {
  try {
    LoadMappingFile(path, columns, "sku,product_id,variation_id");
  } catch (const stockd::sdk::Error& e) {
    return e.what();
  }
  return "";
}

TEST(MappingFileTest, ReadsHeaderCommentsAndIds) {
  const auto map = LoadMappingFile(
      Write("sku,product_id,variation_id\n# shirts\n\nSHIRT-M, 10 ,11\r\nSHIRT-L,10,12\n"), 2,
      "sku,product_id,variation_id");
  ASSERT_EQ(map.size(), 2u);
  EXPECT_EQ(map.at("SHIRT-M"), (std::vector<std::string>{"10", "11"}));
  EXPECT_EQ(map.at("SHIRT-L"), (std::vector<std::string>{"10", "12"}));
}

TEST(MappingFileTest, NamesTheLineOfEveryError) {
  const std::string short_line = Write("A,1,2\nB,1\n");
  EXPECT_EQ(Refusal(short_line, 2),
            short_line + ":2: expected 3 fields (sku,product_id,variation_id), got 2");
  const std::string twice = Write("A,1,2\nA,1,3\n");
  EXPECT_EQ(Refusal(twice, 2), twice + ":2: SKU \"A\" is mapped twice");
  const std::string empty = Write("A,,2\n");
  EXPECT_EQ(Refusal(empty, 2), empty + ":1: an empty field (sku,product_id,variation_id)");
  EXPECT_EQ(Refusal("/nonexistent/map.csv", 2),
            "config: \"mapping_file\": cannot read \"/nonexistent/map.csv\": No such file or "
            "directory");
}

TEST(SkuCacheTest, FoundMissingAndForgotten) {
  SkuCache<std::string> cache(/*missing_ttl_ms=*/60'000);
  EXPECT_EQ(cache.Find("A"), nullptr);
  EXPECT_FALSE(cache.KnownMissing("A"));
  cache.PutMissing("A");
  EXPECT_TRUE(cache.KnownMissing("A"));
  cache.Put("A", "gid://shopify/InventoryItem/1");
  EXPECT_FALSE(cache.KnownMissing("A"));
  ASSERT_NE(cache.Find("A"), nullptr);
  EXPECT_EQ(*cache.Find("A"), "gid://shopify/InventoryItem/1");
  cache.Forget("A");
  EXPECT_EQ(cache.Find("A"), nullptr);
  SkuCache<int> expiring(/*missing_ttl_ms=*/0);
  expiring.PutMissing("B");
  EXPECT_FALSE(expiring.KnownMissing("B"));
}

}  // namespace
}  // namespace stockd::adapters
