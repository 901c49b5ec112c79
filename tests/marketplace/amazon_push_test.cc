// The amazon plugin, loaded as the daemon loads it, pushing to and reading from FakeAmazon:
// one PATCH per SKU, per-item failures, throttling without Retry-After, token expiry,
// refused credentials (pause and resume), unknown SKUs, read-back, and config errors.
// Large pushes (JSON_LISTINGS_FEED): amazon_feed_test.cc.
#include <chrono>
#include <fstream>
#include <string>
#include <vector>

#include "tests/marketplace/amazon_test_support.h"

namespace stockd::amazon_test {
namespace {

using Op = FakeAmazon::Operation;
using fakes::Fault;

int64_t ElapsedMs(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               since)
      .count();
}

std::vector<TestItem> Items(const std::string& prefix, int n, int64_t quantity) {
  std::vector<TestItem> items;
  for (int i = 0; i < n; ++i) {
    const std::string sku = prefix + std::to_string(1000 + i);
    items.push_back({sku, sku, quantity + i, -1});
  }
  return items;
}

TEST_F(AmazonTest, LoadsThroughTheEntrySymbol) {
  const stockd_adapter_api* api = plugin_.api();
  EXPECT_STREQ(api->name, "amazon");
  EXPECT_EQ(api->max_batch, 10000u);
  EXPECT_NE(api->fetch, nullptr);
  EXPECT_NE(api->poll_order_revisions, nullptr);
  EXPECT_NE(api->validate_config, nullptr);
  EXPECT_EQ(dlsym(plugin_.handle(), "_ZTVN6stockd3sdk7AdapterE"), nullptr);
}

TEST_F(AmazonTest, ConfigIsCheckedWhereItIsWrong) {
  StartFake();
  char error[512];
  EXPECT_EQ(plugin_.api()->validate_config(Config().dump().c_str(), error, sizeof error), 0)
      << error;
  EXPECT_TRUE(Contains(CreateError(Config({{"endpoint", nullptr}})), "\"endpoint\" is required"));
  EXPECT_TRUE(
      Contains(CreateError(Config({{"endpoint", "http://sellingpartnerapi-eu.amazon.com"}})),
               "\"endpoint\" must be https:// (http:// only to 127.0.0.1 or localhost)"));
  EXPECT_TRUE(Contains(CreateError(Config({{"client_secret", "inline"}})),
                       "\"client_secret\" must not be written in the config"));
  EXPECT_TRUE(Contains(CreateError(Config({{"burst", 11}})), "\"burst\" must be a number in [1"));
  EXPECT_TRUE(Contains(CreateError(Config({{"seller_id", "seller-1"}})), "must be an Amazon id"));
  EXPECT_TRUE(Contains(CreateError(Config({{"rate", 5}})), "unknown key \"rate\""));
  EXPECT_TRUE(Contains(CreateError(Config({{"orders_page_size", 101}})),
                       "\"orders_page_size\" must be an integer in [1, 100]"));
  ::chmod(secret_file_.c_str(), 0644);
  EXPECT_TRUE(Contains(CreateError(Config()), "may be read by group or others"));
}

TEST_F(AmazonTest, PushesOneSkuWithOnePatch) {
  StartFake();
  fake_->AddListing("SKU-1", 5);
  fake_->AddListing("SKU/2 #b", 1);
  auto amazon = Create(Config());
  ASSERT_NE(amazon, nullptr);
  ExpectAll(amazon->Push({{"sku-1", "SKU-1", 7, 5}}), STOCKD_PUSH_OK);
  EXPECT_EQ(fake_->Quantity("SKU-1"), 7);

  const auto patches = Recorded(Op::kPatchListingsItem);
  ASSERT_EQ(patches.size(), 1u);
  EXPECT_EQ(patches[0].method, "PATCH");
  EXPECT_EQ(patches[0].path, "/listings/2021-08-01/items/A2STOCKDSELLER/SKU-1");
  EXPECT_EQ(patches[0].query, "marketplaceIds=A1PA6795UKMFR9&issueLocale=en_US");
  EXPECT_EQ(Json::parse(patches[0].body), Json::parse(R"({"productType":"PRODUCT","patches":[
      {"op":"merge","path":"/attributes/fulfillment_availability",
       "value":[{"fulfillment_channel_code":"DEFAULT","quantity":7}]}]})"));
  EXPECT_EQ(patches[0].headers.at("content-type"), "application/json");
  EXPECT_EQ(patches[0].headers.at("x-amz-access-token").rfind("Atza|", 0), 0u);
  EXPECT_EQ(patches[0].status, 200);
  // Looked up first (Amazon would accept a PATCH of a SKU it lacks), once.
  const auto searches = Recorded(Op::kSearchListingsItems);
  ASSERT_EQ(searches.size(), 1u);
  EXPECT_EQ(searches[0].query,
            "marketplaceIds=A1PA6795UKMFR9&identifiers=SKU-1&identifiersType=SKU"
            "&includedData=fulfillmentAvailability&pageSize=20");
  EXPECT_EQ(fake_->TokensIssued(), 1);
  EXPECT_EQ(host_.Counter("token_refreshes"), 1);
  EXPECT_EQ(host_.Counter("requests"), 3);  // token, search, patch

  // Cached: the next push of it is one PATCH; a SKU with '/', ' ' and '#' is escaped.
  ExpectAll(amazon->Push({{"sku-1", "SKU-1", 6, 7}, {"sku-2", "SKU/2 #b", 3, 1}}), STOCKD_PUSH_OK);
  EXPECT_EQ(fake_->Quantity("SKU-1"), 6);
  EXPECT_EQ(fake_->Quantity("SKU/2 #b"), 3);
  EXPECT_EQ(Recorded(Op::kSearchListingsItems).size(), 2u);
  EXPECT_EQ(Recorded(Op::kPatchListingsItem).back().path,
            "/listings/2021-08-01/items/A2STOCKDSELLER/SKU%2F2%20%23b");
}

TEST_F(AmazonTest, PushesAFullBatchBelowTheFeedThresholdOnePatchPerSku) {
  StartFake(FastListings());
  const std::vector<TestItem> items = Items("P", 199, 10);
  for (const TestItem& item : items) fake_->AddListing(item.listing_id, 0);
  auto amazon = Create(Config({{"requests_per_second", 500}, {"burst", 10}}));
  ASSERT_NE(amazon, nullptr);
  ExpectAll(amazon->Push(items), STOCKD_PUSH_OK);
  EXPECT_EQ(fake_->Count(Op::kPatchListingsItem, 200), 199);
  EXPECT_EQ(fake_->Count(Op::kSearchListingsItems), 10);  // 20 SKUs a search
  EXPECT_EQ(fake_->Count(Op::kCreateFeed), 0);
  EXPECT_EQ(fake_->Quantity("P1000"), 10);
  EXPECT_EQ(fake_->Quantity("P1198"), 208);
}

TEST_F(AmazonTest, AnInvalidItemIsPermanentAndTheOthersGoThrough) {
  StartFake();
  for (const char* sku : {"A", "B", "C"}) fake_->AddListing(sku, 1);
  auto amazon = Create(Config());
  ASSERT_NE(amazon, nullptr);
  const PushOutcome out =
      amazon->Push({{"a", "A", 4, 1}, {"b", "B", 3'000'000'000LL, 1}, {"c", "C", 6, 1}});
  ASSERT_EQ(out.rc, 0);
  EXPECT_EQ(out.results[0].status, STOCKD_PUSH_OK);
  EXPECT_EQ(out.results[1].status, STOCKD_PUSH_PERMANENT);
  EXPECT_STREQ(out.results[1].message,
               "amazon rejected SKU B: 4000001: The provided value for 'Quantity' is invalid.");
  EXPECT_EQ(out.results[2].status, STOCKD_PUSH_OK);
  EXPECT_EQ(fake_->Quantity("A"), 4);
  EXPECT_EQ(fake_->Quantity("B"), 1);
  EXPECT_EQ(fake_->Quantity("C"), 6);
  EXPECT_EQ(host_.Counter("items_rejected"), 1);
}

TEST_F(AmazonTest, ThrottlingWithoutRetryAfterPausesTheBucketAndRetriesTheRest) {
  StartFake();  // patchListingsItem: 5/s, burst 5, as Amazon
  const std::vector<TestItem> items = Items("R", 8, 1);
  for (const TestItem& item : items) fake_->AddListing(item.listing_id, 0);
  // Configured faster than the plan allows: Amazon throttles the sixth call.
  auto amazon = Create(Config({{"requests_per_second", 100}, {"burst", 10}}));
  ASSERT_NE(amazon, nullptr);
  const PushOutcome out = amazon->Push(items);
  ASSERT_EQ(out.rc, 0);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(out.results[i].status, STOCKD_PUSH_OK) << i;
  EXPECT_EQ(out.results[5].status, STOCKD_PUSH_RETRY);
  EXPECT_TRUE(Contains(out.results[5].message,
                       "HTTP 429: QuotaExceeded: You exceeded your quota for the requested "
                       "resource."));
  EXPECT_GE(out.results[5].retry_after_ms, 500);  // our own backoff: 1 s with jitter
  EXPECT_LE(out.results[5].retry_after_ms, 1000);
  for (int i = 6; i < 8; ++i) {
    EXPECT_EQ(out.results[i].status, STOCKD_PUSH_RETRY);
    EXPECT_TRUE(Contains(out.results[i].message, "not sent: "));
    EXPECT_EQ(out.results[i].retry_after_ms, out.results[5].retry_after_ms);
  }
  EXPECT_EQ(host_.Counter("throttled"), 1);
  EXPECT_EQ(fake_->Count(Op::kPatchListingsItem, 429), 1);
  // The bucket waits out the pause before the next call.
  const auto start = std::chrono::steady_clock::now();
  ExpectAll(amazon->Push({items[5], items[6]}), STOCKD_PUSH_OK);
  EXPECT_GE(ElapsedMs(start), out.results[5].retry_after_ms - 100);
  EXPECT_EQ(fake_->Count(Op::kPatchListingsItem, 429), 1);
}

TEST_F(AmazonTest, AnExpiredTokenIsRefreshedAndTheCallRepeated) {
  StartFake();
  fake_->AddListing("A", 1);
  auto amazon = Create(Config());
  ASSERT_NE(amazon, nullptr);
  ExpectAll(amazon->Push({{"a", "A", 2, 1}}), STOCKD_PUSH_OK);
  fake_->ExpireAllTokens();
  ExpectAll(amazon->Push({{"a", "A", 3, 2}}), STOCKD_PUSH_OK);
  EXPECT_EQ(fake_->Quantity("A"), 3);
  const auto patches = Recorded(Op::kPatchListingsItem);
  ASSERT_EQ(patches.size(), 3u);
  EXPECT_EQ(patches[1].status, 403);
  EXPECT_EQ(patches[2].status, 200);
  EXPECT_NE(patches[1].headers.at("x-amz-access-token"),
            patches[2].headers.at("x-amz-access-token"));
  EXPECT_EQ(fake_->TokensIssued(), 2);
  EXPECT_EQ(host_.Counter("token_refreshes"), 2);
  EXPECT_EQ(host_.Counter("auth_failures"), 0);
}

TEST_F(AmazonTest, RefusedCredentialsPauseTheChannelUntilTheFileIsRewritten) {
  StartFake();
  fake_->AddListing("A", 1);
  auto amazon = Create(Config());
  ASSERT_NE(amazon, nullptr);
  ExpectAll(amazon->Push({{"a", "A", 2, 1}}), STOCKD_PUSH_OK);

  fake_->SetClientSecret("rotated-secret");  // the app's secret was rotated on Amazon's side
  fake_->ExpireAllTokens();
  PushOutcome out = amazon->Push({{"a", "A", 3, 2}});
  ExpectAll(out, STOCKD_PUSH_RETRY);
  EXPECT_TRUE(
      Contains(out.results[0].message, "HTTP 401: invalid_client (Client authentication failed)"));
  EXPECT_GE(out.results[0].retry_after_ms, 1000);
  EXPECT_EQ(host_.Counter("auth_failures"), 1);
  bool loud = false;
  for (const auto& [level, message] : host_.Logs()) {
    loud = loud || (level == STOCKD_LOG_ERROR && Contains(message, "refused its credentials"));
    EXPECT_FALSE(Contains(message, kSecret));
    EXPECT_FALSE(Contains(message, "rotated-secret"));
    EXPECT_FALSE(Contains(message, "Atza|"));
  }
  EXPECT_TRUE(loud);

  // Paused: nothing reaches Amazon.
  const size_t calls = fake_->Requests().size();
  out = amazon->Push({{"a", "A", 4, 2}});
  ExpectAll(out, STOCKD_PUSH_RETRY);
  EXPECT_TRUE(Contains(out.results[0].message, "channel paused, its credentials were refused"));
  std::vector<int64_t> quantities;
  std::string error;
  EXPECT_NE(amazon->Fetch({"A"}, &quantities, &error), 0);
  EXPECT_TRUE(Contains(error, "channel paused"));
  std::vector<Revision> revisions;
  std::string cursor;
  EXPECT_NE(amazon->PollRevisions("", &revisions, &cursor, &error), 0);
  EXPECT_TRUE(Contains(error, "channel paused"));
  EXPECT_EQ(fake_->Requests().size(), calls);

  // The operator writes the new secret: the next call probes and resumes.
  WriteSecret("client_secret", "rotated-secret");
  ExpectAll(amazon->Push({{"a", "A", 5, 2}}), STOCKD_PUSH_OK);
  EXPECT_EQ(fake_->Quantity("A"), 5);
  EXPECT_EQ(host_.Counter("auth_resumed"), 1);
}

TEST_F(AmazonTest, ForbiddenRightAfterAFreshTokenPausesAtOnce) {
  StartFake();
  fake_->AddListing("A", 1);
  fake_->faults().Push(Fault::Status(
      403,
      R"({"errors":[{"code":"Unauthorized","message":"Access to requested resource is denied.","details":""}]})"));
  auto amazon = Create(Config());
  ASSERT_NE(amazon, nullptr);
  const PushOutcome out = amazon->Push({{"a", "A", 2, 1}});
  ExpectAll(out, STOCKD_PUSH_RETRY);
  EXPECT_TRUE(Contains(out.results[0].message,
                       "HTTP 403: Unauthorized: Access to requested resource is denied."));
  EXPECT_EQ(host_.Counter("auth_failures"), 1);
  EXPECT_EQ(fake_->TokensIssued(), 1);  // no second refresh: the token was new
}

TEST_F(AmazonTest, ASkuAmazonDoesNotHaveIsReportedAndNeverPatched) {
  StartFake();
  fake_->AddListing("A", 1);
  auto amazon = Create(Config());
  ASSERT_NE(amazon, nullptr);
  PushOutcome out = amazon->Push({{"a", "A", 2, 1}, {"nope", "NOPE", 3, -1}});
  ASSERT_EQ(out.rc, 0);
  EXPECT_EQ(out.results[0].status, STOCKD_PUSH_OK);
  EXPECT_EQ(out.results[1].status, STOCKD_PUSH_PERMANENT);
  EXPECT_STREQ(out.results[1].message, "amazon has no listing with SKU NOPE");
  EXPECT_EQ(host_.Counter("unmapped"), 1);
  for (const auto& patch : Recorded(Op::kPatchListingsItem)) {
    EXPECT_EQ(patch.path.find("NOPE"), std::string::npos);
  }
  EXPECT_FALSE(fake_->HasListing("NOPE"));  // no incomplete listing was started
  // Remembered as missing: no second look-up.
  out = amazon->Push({{"nope", "NOPE", 4, -1}});
  EXPECT_EQ(out.results[0].status, STOCKD_PUSH_PERMANENT);
  EXPECT_EQ(fake_->Count(Op::kSearchListingsItems), 1);
  EXPECT_EQ(host_.Counter("unmapped"), 2);
}

TEST_F(AmazonTest, APatchAnswered404IsUnmapped) {
  FakeAmazon::Options options;
  options.unknown_sku = FakeAmazon::UnknownSku::kNotFound;
  StartFake(options);
  fake_->AddListing("A", 1);
  auto amazon = Create(Config());
  ASSERT_NE(amazon, nullptr);
  ExpectAll(amazon->Push({{"a", "A", 2, 1}}), STOCKD_PUSH_OK);
  fake_->RemoveListing("A");  // deleted on Seller Central since the look-up
  const PushOutcome out = amazon->Push({{"a", "A", 3, 2}});
  ExpectAll(out, STOCKD_PUSH_PERMANENT);
  EXPECT_STREQ(out.results[0].message, "amazon has no listing with SKU A");
  EXPECT_EQ(host_.Counter("unmapped"), 1);
  EXPECT_EQ(fake_->Count(Op::kPatchListingsItem, 404), 1);
}

TEST_F(AmazonTest, AMappingFileNamesAnotherSellerSku) {
  StartFake();
  fake_->AddListing("AMZ-RED-1", 1);
  const std::string mapping = dir_ + "/mapping.csv";
  std::ofstream(mapping) << "sku,seller_sku\n# stockd's listing id -> Amazon's seller SKU\n"
                            "red-1,AMZ-RED-1\n";
  auto amazon = Create(Config({{"mapping_file", mapping}}));
  ASSERT_NE(amazon, nullptr);
  ExpectAll(amazon->Push({{"red-1", "red-1", 9, 1}}), STOCKD_PUSH_OK);
  EXPECT_EQ(fake_->Quantity("AMZ-RED-1"), 9);
  std::vector<int64_t> quantities;
  std::string error;
  ASSERT_EQ(amazon->Fetch({"red-1"}, &quantities, &error), 0) << error;
  EXPECT_EQ(quantities, std::vector<int64_t>({9}));
}

TEST_F(AmazonTest, FetchReadsWhatAmazonShowsWhichLagsBehindAcceptedPushes) {
  FakeAmazon::Options options;
  options.apply_delay_ms = 300;  // ACCEPTED is not applied yet
  StartFake(options);
  fake_->AddListing("A", 5);
  fake_->AddListing("B", 2);
  fake_->AddListing("C,1", 4);
  auto amazon = Create(Config());
  ASSERT_NE(amazon, nullptr);
  ExpectAll(amazon->Push({{"a", "A", 7, 5}}), STOCKD_PUSH_OK);
  std::vector<int64_t> quantities;
  std::string error;
  ASSERT_EQ(amazon->Fetch({"A", "B", "C,1", "NOPE"}, &quantities, &error), 0) << error;
  EXPECT_EQ(quantities, std::vector<int64_t>({5, 2, 4, -1}));
  ASSERT_TRUE(WaitFor([&] { return fake_->Quantity("A") == 7; }));
  ASSERT_EQ(amazon->Fetch({"A", "B", "C,1", "NOPE"}, &quantities, &error), 0) << error;
  EXPECT_EQ(quantities, std::vector<int64_t>({7, 2, 4, -1}));
  EXPECT_EQ(fake_->Count(Op::kGetListingsItem, 200), 2);  // "C,1" cannot be in a list
  EXPECT_EQ(fake_->Count(Op::kSearchListingsItems, 200), 3);
}

TEST_F(AmazonTest, ServerErrorsAndResetsLeaveItemsToRetry) {
  StartFake();
  for (const char* sku : {"A", "B"}) fake_->AddListing(sku, 1);
  auto amazon = Create(Config({{"timeout_ms", 500}}));
  ASSERT_NE(amazon, nullptr);
  ExpectAll(amazon->Push({{"a", "A", 2, 1}, {"b", "B", 2, 1}}), STOCKD_PUSH_OK);
  fake_->faults().Push(Fault::Status(503, R"({"errors":[{"code":"ServiceUnavailable",
      "message":"Service temporarily unavailable."}]})"));
  PushOutcome out = amazon->Push({{"a", "A", 3, 2}, {"b", "B", 3, 2}});
  ExpectAll(out, STOCKD_PUSH_RETRY);
  EXPECT_STREQ(out.results[0].message,
               "PATCH SKU A: HTTP 503: ServiceUnavailable: Service temporarily unavailable.");
  EXPECT_TRUE(Contains(out.results[1].message, "not sent: "));
  // libcurl sends a request again once when a kept-alive connection was reset: two resets.
  fake_->faults().Push(Fault::Reset());
  fake_->faults().Push(Fault::Reset());
  out = amazon->Push({{"a", "A", 3, 2}});
  ExpectAll(out, STOCKD_PUSH_RETRY);
  EXPECT_TRUE(
      Contains(out.results[0].message,
               "PATCH " + fake_->base_url() + "/listings/2021-08-01/items/A2STOCKDSELLER/A: "));
  fake_->faults().Clear();
  fake_->faults().Push(Fault::Hold(2000));
  const auto start = std::chrono::steady_clock::now();
  out = amazon->Push({{"a", "A", 3, 2}});
  ExpectAll(out, STOCKD_PUSH_RETRY);
  EXPECT_TRUE(Contains(out.results[0].message, "no answer within 500 ms"));
  EXPECT_LT(ElapsedMs(start), 1500);
  ExpectAll(amazon->Push({{"a", "A", 3, 2}, {"b", "B", 3, 2}}), STOCKD_PUSH_OK);
  EXPECT_EQ(fake_->Quantity("B"), 3);
}

}  // namespace
}  // namespace stockd::amazon_test
