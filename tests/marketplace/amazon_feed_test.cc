// The amazon plugin's large pushes: at least feed_threshold items go as ONE
// JSON_LISTINGS_FEED (createFeedDocument, upload, createFeed, getFeed until DONE, the
// processing report), with per-message failures returned per SKU, within feed_timeout_ms.
#include <chrono>
#include <string>
#include <vector>

#include "tests/marketplace/amazon_test_support.h"

namespace stockd::amazon_test {
namespace {

using Op = FakeAmazon::Operation;

std::vector<TestItem> Items(const std::string& prefix, int n, int64_t quantity) {
  std::vector<TestItem> items;
  for (int i = 0; i < n; ++i) {
    const std::string sku = prefix + std::to_string(1000 + i);
    items.push_back({sku, sku, quantity + i, -1});
  }
  return items;
}

TEST_F(AmazonTest, PushOfTheFeedThresholdGoesAsOneJsonListingsFeed) {
  FakeAmazon::Options options = FastListings();
  options.feed_processing_ms = 100;
  StartFake(options);
  const std::vector<TestItem> items = Items("F", 200, 1);
  for (const TestItem& item : items) fake_->AddListing(item.listing_id, 0);
  auto amazon = Create(Config({{"requests_per_second", 500}, {"burst", 10}}));
  ASSERT_NE(amazon, nullptr);
  ExpectAll(amazon->Push(items), STOCKD_PUSH_OK);
  EXPECT_EQ(fake_->Count(Op::kPatchListingsItem), 0);
  EXPECT_EQ(fake_->Count(Op::kCreateFeedDocument, 201), 1);
  EXPECT_EQ(fake_->Count(Op::kCreateFeed, 202), 1);
  EXPECT_EQ(fake_->Count(Op::kGetFeedDocument, 200), 1);
  EXPECT_GE(fake_->Count(Op::kGetFeed, 200), 1);
  EXPECT_EQ(host_.Counter("feeds"), 1);
  EXPECT_EQ(fake_->Quantity("F1000"), 1);
  EXPECT_EQ(fake_->Quantity("F1199"), 200);

  // The document as uploaded to the presigned URL.
  std::vector<FakeAmazon::Recorded> uploads;
  for (const auto& r : fake_->Requests()) {
    if (r.method == "PUT") uploads.push_back(r);
  }
  ASSERT_EQ(uploads.size(), 1u);
  EXPECT_EQ(uploads[0].status, 200);
  EXPECT_EQ(uploads[0].headers.at("content-type"), "application/json; charset=UTF-8");
  EXPECT_EQ(uploads[0].headers.count("x-amz-access-token"), 0u);
  const Json feed = Json::parse(uploads[0].body);
  EXPECT_EQ(feed["header"], Json::parse(R"({"sellerId":"A2STOCKDSELLER","version":"2.0",
                                            "issueLocale":"en_US"})"));
  ASSERT_EQ(feed["messages"].size(), 200u);
  EXPECT_EQ(feed["messages"][1], Json::parse(R"({"messageId":2,"sku":"F1001",
      "operationType":"PATCH","productType":"PRODUCT","patches":[{"op":"merge",
      "path":"/attributes/fulfillment_availability",
      "value":[{"fulfillment_channel_code":"DEFAULT","quantity":2}]}]})"));
  const auto created = Recorded(Op::kCreateFeed);
  const Json spec = Json::parse(created[0].body);
  EXPECT_EQ(spec["feedType"], "JSON_LISTINGS_FEED");
  EXPECT_EQ(spec["marketplaceIds"], Json::array({"A1PA6795UKMFR9"}));
}

TEST_F(AmazonTest, AFeedsPerMessageFailuresComeBackPerSku) {
  FakeAmazon::Options options = FastListings();
  options.feed_processing_ms = 50;
  StartFake(options);
  std::vector<TestItem> items = Items("G", 200, 5);
  items[10].quantity = 3'000'000'000LL;
  items[150].quantity = 3'000'000'000LL;
  for (const TestItem& item : items) fake_->AddListing(item.listing_id, 0);
  auto amazon = Create(Config({{"requests_per_second", 500}, {"burst", 10}}));
  ASSERT_NE(amazon, nullptr);
  const PushOutcome out = amazon->Push(items);
  ASSERT_EQ(out.rc, 0);
  for (size_t i = 0; i < items.size(); ++i) {
    if (i == 10 || i == 150) {
      EXPECT_EQ(out.results[i].status, STOCKD_PUSH_PERMANENT);
      EXPECT_TRUE(Contains(out.results[i].message,
                           "amazon rejected SKU " + items[i].sku + " (feed 5000000000"));
      EXPECT_TRUE(Contains(out.results[i].message,
                           "4000001: The provided value for 'Quantity' is invalid."));
    } else {
      EXPECT_EQ(out.results[i].status, STOCKD_PUSH_OK) << i << ": " << out.results[i].message;
    }
  }
  EXPECT_EQ(host_.Counter("items_rejected"), 2);
  EXPECT_EQ(fake_->Quantity("G1010"), 0);
  EXPECT_EQ(fake_->Quantity("G1011"), 16);
}

TEST_F(AmazonTest, AFeedNotProcessedInTimeLeavesEveryItemToRetry) {
  FakeAmazon::Options options = FastListings();
  options.feed_processing_ms = 60'000;
  StartFake(options);
  const std::vector<TestItem> items = Items("T", 3, 1);
  for (const TestItem& item : items) fake_->AddListing(item.listing_id, 0);
  auto amazon = Create(Config({{"feed_threshold", 2}, {"feed_timeout_ms", 1000}}));
  ASSERT_NE(amazon, nullptr);
  const auto start = std::chrono::steady_clock::now();
  const PushOutcome out = amazon->Push(items);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  ExpectAll(out, STOCKD_PUSH_RETRY);
  EXPECT_TRUE(Contains(out.results[0].message, "not processed within 1000 ms (last status "));
}

}  // namespace
}  // namespace stockd::amazon_test
