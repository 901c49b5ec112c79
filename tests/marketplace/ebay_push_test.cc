// The eBay adapter plugin against the fake eBay API: config, pushes (one item, a full
// call of 25, more split into calls, partial failure, unmapped SKUs), throttling and
// failures, the OAuth token's expiry, refresh and refusal (the channel pauses and resumes),
// and read-back. The revision budget: ebay_budget_test.cc; the fake's refusals:
// ebay_fake_test.cc.
#include <mutex>
#include <string>
#include <vector>

#include "tests/marketplace/ebay_test_support.h"

namespace stockd::ebay_test {
namespace {

using fakes::Fault;

std::vector<TestItem> Items(int count, int64_t quantity, int first = 0) {
  std::vector<TestItem> items;
  for (int i = first; i < first + count; ++i) {
    const std::string sku = "SKU-" + std::to_string(i);
    items.push_back({sku, sku, quantity, -1});
  }
  return items;
}

std::string OfferOf(int i) { return std::to_string(5005000000 + i); }

using EbayPushTest = EbayTest;

TEST_F(EbayPushTest, LoadsThroughTheEntrySymbol) {
  const stockd_adapter_api* api = plugin_.api();
  EXPECT_STREQ(api->name, "ebay");
  EXPECT_EQ(api->max_batch, 1000u);
  EXPECT_NE(api->fetch, nullptr);
  EXPECT_NE(api->poll_order_revisions, nullptr);
  EXPECT_NE(api->validate_config, nullptr);
}

TEST_F(EbayPushTest, ConfigIsCheckedWithTheKeyNamed) {
  EXPECT_TRUE(Contains(CreateError(Config({{"client_id", nullptr}})), "\"client_id\" is required"));
  EXPECT_TRUE(Contains(CreateError(Config({{"client_secret", "inline"}})), "client_secret"));
  EXPECT_TRUE(Contains(CreateError(Config({{"endpoint", "http://api.ebay.com"}})),
                       "must be https:// (http:// only for 127.0.0.1 or localhost)"));
  EXPECT_TRUE(Contains(CreateError(Config({{"orders_page_size", 201}})),
                       "\"orders_page_size\" must be an integer in [1, 200]"));
  EXPECT_TRUE(
      Contains(CreateError(Config({{"daily_revision_limit", 10}, {"revision_reserve", 10}})),
               "\"revision_reserve\" must be an integer in [0, 9]"));
  EXPECT_TRUE(Contains(CreateError(Config({{"marketplace_id", "US"}})), "marketplace_id"));
  EXPECT_TRUE(Contains(CreateError(Config({{"shop", "x"}})), "unknown key \"shop\""));
  EXPECT_TRUE(Contains(CreateError(Config({{"mapping_file", WriteFile("m.csv", "A,1\nA,2\n")}})),
                       "SKU \"A\" is mapped twice"));
  char error[256] = {0};
  EXPECT_NE(plugin_.api()->validate_config(Config({{"requests_per_second", 0}}).dump().c_str(),
                                           error, sizeof error),
            0);
  EXPECT_TRUE(Contains(error, "requests_per_second"));
  EXPECT_EQ(plugin_.api()->validate_config(Config().dump().c_str(), error, sizeof error), 0);
}

TEST_F(EbayPushTest, PushesOneItemWithARefreshedTokenAndTheLookedUpOffer) {
  fake_->AddListing("SKU-1", "5005000001", 5);
  std::vector<std::string> log;
  std::mutex log_mu;
  fake_->OnLog([&](const std::string& line) {
    std::lock_guard<std::mutex> lock(log_mu);
    log.push_back(line);
  });
  auto ebay = Create(Config());
  ASSERT_NE(ebay, nullptr);
  const PushOutcome out = ebay->Push("SKU-1", 7);
  {
    std::lock_guard<std::mutex> lock(log_mu);
    EXPECT_EQ(log, (std::vector<std::string>{"ebay: set SKU-1=7 (was 5)"}));
  }
  ExpectAll(out, STOCKD_PUSH_OK);
  EXPECT_STREQ(out.results[0].message, "");
  EXPECT_EQ(fake_->Quantity("SKU-1"), 7);
  EXPECT_EQ(fake_->OfferQuantity("5005000001"), 7);
  EXPECT_EQ(fake_->Revisions("5005000001"), 1);

  const std::vector<FakeEbay::RecordedRequest> requests = fake_->Requests();
  ASSERT_EQ(requests.size(), 3u);
  const FakeEbay::Options o;
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].path, "/identity/v1/oauth2/token");
  EXPECT_EQ(requests[0].headers.at("authorization"),
            "Basic " + fakes::Base64(o.client_id + ":" + o.client_secret));
  EXPECT_EQ(requests[0].headers.at("content-type"), "application/x-www-form-urlencoded");
  EXPECT_EQ(requests[0].body,
            "grant_type=refresh_token&refresh_token=" + FormEncode(o.refresh_token) +
                "&scope=" + FormEncode(std::string(kInventoryScope) + " " + kFulfillmentScope));
  EXPECT_EQ(requests[0].status, 200);
  EXPECT_EQ(requests[1].target, "/sell/inventory/v1/offer?sku=SKU-1&marketplace_id=EBAY_US");
  EXPECT_EQ(requests[1].status, 200);
  EXPECT_EQ(requests[2].method, "POST");
  EXPECT_EQ(requests[2].path, "/sell/inventory/v1/bulk_update_price_quantity");
  EXPECT_EQ(requests[2].headers.at("content-type"), "application/json");
  EXPECT_EQ(requests[2].headers.at("authorization").rfind("Bearer v^1.1#", 0), 0u);
  EXPECT_EQ(requests[2].body,
            R"({"requests":[{"sku":"SKU-1","shipToLocationAvailability":{"quantity":7},)"
            R"("offers":[{"offerId":"5005000001","availableQuantity":7}]}]})");
  EXPECT_EQ(requests[2].status, 200);
  EXPECT_EQ(host_.Counter("token_refreshes"), 1);
  EXPECT_EQ(host_.Counter("requests"), 3);

  // The offer is cached and the token reused: one call for the next push.
  fake_->ClearRequests();
  ExpectAll(ebay->Push("SKU-1", 3), STOCKD_PUSH_OK);
  EXPECT_EQ(fake_->RequestCount("/"), 1);
  EXPECT_EQ(fake_->Quantity("SKU-1"), 3);
}

TEST_F(EbayPushTest, TwentyFiveItemsGoInOneCallAndMoreAreSplit) {
  std::string mapping = "sku,offer_id\n";
  for (int i = 0; i < 60; ++i) {
    fake_->AddListing("SKU-" + std::to_string(i), OfferOf(i), 1);
    mapping += "SKU-" + std::to_string(i) + "," + OfferOf(i) + "\n";
  }
  auto ebay = Create(Config({{"mapping_file", WriteFile("offers.csv", mapping)}}));
  ASSERT_NE(ebay, nullptr);
  ExpectAll(ebay->Push(Items(25, 4)), STOCKD_PUSH_OK);
  EXPECT_EQ(fake_->RequestCount("/sell/inventory/v1/bulk_update_price_quantity"), 1);
  EXPECT_EQ(fake_->RequestCount("/sell/inventory/v1/offer"), 0);  // the mapping file says

  fake_->ClearRequests();
  ExpectAll(ebay->Push(Items(60, 9)), STOCKD_PUSH_OK);
  std::vector<size_t> sizes;
  for (const FakeEbay::RecordedRequest& r : fake_->Requests()) {
    if (r.path != "/sell/inventory/v1/bulk_update_price_quantity") continue;
    EXPECT_EQ(r.status, 200);
    sizes.push_back(Json::parse(r.body)["requests"].size());
  }
  EXPECT_EQ(sizes, (std::vector<size_t>{25, 25, 10}));
  for (int i = 0; i < 60; ++i) EXPECT_EQ(fake_->Quantity("SKU-" + std::to_string(i)), 9) << i;
}

TEST_F(EbayPushTest, PartialFailureIsReadPerItem) {
  for (int i = 1; i <= 5; ++i) fake_->AddListing("SKU-" + std::to_string(i), OfferOf(i), 1);
  // SKU-5's offer from the mapping file is not on eBay.
  auto ebay = Create(Config({{"mapping_file", WriteFile("m.csv", "SKU-5,4004000000\n")}}));
  ASSERT_NE(ebay, nullptr);
  fake_->InjectItemError("SKU-2", 25001);
  fake_->InjectItemError("SKU-3", 25025);
  fake_->InjectItemError("SKU-4", 25709);
  const PushOutcome out = ebay->Push(Items(5, 6, 1));
  ASSERT_EQ(out.rc, 0);
  EXPECT_EQ(out.results[0].status, STOCKD_PUSH_OK);
  EXPECT_EQ(out.results[1].status, STOCKD_PUSH_RETRY);
  EXPECT_TRUE(Contains(out.results[1].message,
                       "SKU SKU-2 (offer 5005000002): 25001: A system error has occurred."));
  EXPECT_EQ(out.results[2].status, STOCKD_PUSH_RETRY);
  EXPECT_TRUE(Contains(out.results[2].message, "25025: Concurrent access"));
  EXPECT_EQ(out.results[3].status, STOCKD_PUSH_PERMANENT);
  EXPECT_STREQ(out.results[3].message,
               "SKU SKU-4 (offer 5005000004): 25709: Invalid value for availableQuantity.");
  EXPECT_EQ(out.results[4].status, STOCKD_PUSH_PERMANENT);
  EXPECT_TRUE(Contains(out.results[4].message, "25713: This Offer is not available : 4004000000."));
  EXPECT_TRUE(Contains(out.results[4].message, "mapping_file"));
  const std::vector<FakeEbay::RecordedRequest> requests = fake_->Requests();
  EXPECT_EQ(requests.back().status, 207);
  EXPECT_EQ(fake_->Quantity("SKU-1"), 6);
  EXPECT_EQ(fake_->Quantity("SKU-2"), 1);
  EXPECT_EQ(host_.Counter("items_rejected"), 2);
  EXPECT_EQ(host_.Counter("retries"), 2);

  // The retried items go through on the next push (the errors were one-shot).
  ExpectAll(ebay->Push(Items(2, 6, 2)), STOCKD_PUSH_OK);
  EXPECT_EQ(fake_->Quantity("SKU-2"), 6);
  EXPECT_EQ(fake_->Quantity("SKU-3"), 6);
}

TEST_F(EbayPushTest, AnOfferDeletedOnEbayIsLookedUpAgain) {
  fake_->AddListing("SKU-1", "5005000001", 1);
  auto ebay = Create(Config());
  ASSERT_NE(ebay, nullptr);
  ExpectAll(ebay->Push("SKU-1", 2), STOCKD_PUSH_OK);
  fake_->RemoveListing("SKU-1");
  fake_->AddListing("SKU-1", "5005000099", 2);  // relisted: a new offer
  const PushOutcome gone = ebay->Push("SKU-1", 3);
  ExpectAll(gone, STOCKD_PUSH_RETRY);
  EXPECT_TRUE(Contains(gone.results[0].message, "25713"));
  ExpectAll(ebay->Push("SKU-1", 3), STOCKD_PUSH_OK);
  EXPECT_EQ(fake_->OfferQuantity("5005000099"), 3);
}

TEST_F(EbayPushTest, AnUnmappedSkuIsPermanentCountedAndNeverPushed) {
  fake_->AddListing("SKU-1", "5005000001", 1);
  fake_->AddListing("SKU-UK", "5005000002", 1, "EBAY_GB");
  auto ebay = Create(Config());
  ASSERT_NE(ebay, nullptr);
  const PushOutcome out = ebay->Push({{"a", "NOPE", 3, -1},
                                      {"b", "SKU-UK", 3, -1},
                                      {"c", "SKU-1", 3, -1},
                                      {"d", std::string(51, 'X'), 3, -1}});
  ASSERT_EQ(out.rc, 0);
  EXPECT_EQ(out.results[0].status, STOCKD_PUSH_PERMANENT);
  EXPECT_STREQ(out.results[0].message,
               "eBay has no listing with SKU \"NOPE\" on EBAY_US (25713: This Offer is not "
               "available : .)");
  EXPECT_EQ(out.results[1].status, STOCKD_PUSH_PERMANENT);  // only on EBAY_GB
  EXPECT_EQ(out.results[2].status, STOCKD_PUSH_OK);
  EXPECT_EQ(out.results[3].status, STOCKD_PUSH_PERMANENT);
  EXPECT_EQ(host_.Counter("unmapped"), 3);
  const std::vector<FakeEbay::RecordedRequest> requests = fake_->Requests();
  ASSERT_EQ(requests.back().path, "/sell/inventory/v1/bulk_update_price_quantity");
  EXPECT_EQ(Json::parse(requests.back().body)["requests"].size(), 1u);
  EXPECT_EQ(fake_->Quantity("SKU-UK"), 1);

  // Remembered as missing: no second look-up.
  fake_->ClearRequests();
  ExpectAll(ebay->Push("NOPE", 4), STOCKD_PUSH_PERMANENT);
  EXPECT_EQ(fake_->RequestCount("/"), 0);
  EXPECT_EQ(host_.Counter("unmapped"), 4);
}

TEST_F(EbayPushTest, ThrottlingAndFailuresAreRetriedAfterTheRightTime) {
  fake_->AddListing("SKU-1", "5005000001", 1);
  auto ebay = Create(Config());
  ASSERT_NE(ebay, nullptr);
  ExpectAll(ebay->Push("SKU-1", 2), STOCKD_PUSH_OK);  // token and offer in hand

  const std::string too_many =
      R"({"errors":[{"errorId":2001,"domain":"ACCESS","category":"REQUEST",)"
      R"("message":"Too many requests","longMessage":"The request limit has been reached for the resource."}]})";
  fake_->faults().Push(Fault::Status(429, too_many, {{"Retry-After", "3"}}));
  PushOutcome out = ebay->Push("SKU-1", 3);
  ExpectAll(out, STOCKD_PUSH_RETRY);
  EXPECT_EQ(out.results[0].retry_after_ms, 3000);
  EXPECT_TRUE(Contains(out.results[0].message, "HTTP 429: 2001: Too many requests"));
  EXPECT_EQ(host_.Counter("throttled"), 1);

  // Without Retry-After: the adapter's own backoff (1 s, halved by jitter at most).
  fake_->faults().Push(Fault::Status(429, too_many));
  const auto started = std::chrono::steady_clock::now();
  out = ebay->Push("SKU-1", 3);  // waits out the paused bucket first (3 s)
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(2900));
  ExpectAll(out, STOCKD_PUSH_RETRY);
  EXPECT_GE(out.results[0].retry_after_ms, 500);
  EXPECT_LE(out.results[0].retry_after_ms, 1000);
  EXPECT_EQ(host_.Counter("throttled"), 2);

  // A reset connection is retried once by libcurl on a fresh one: reset both.
  const std::vector<std::pair<std::vector<Fault>, std::string>> cases = {
      {{Fault::ServerError()}, "HTTP 500"},
      {{Fault::Hold(3000)}, "no answer within 2000 ms"},
      {{Fault::Reset(), Fault::Reset()}, "POST http://127.0.0.1:"}};
  for (const auto& [faults, expected] : cases) {
    fake_->faults().Clear();
    for (const Fault& f : faults) fake_->faults().Push(f);
    out = ebay->Push("SKU-1", 4);
    ExpectAll(out, STOCKD_PUSH_RETRY);
    EXPECT_TRUE(Contains(out.results[0].message, expected));
    EXPECT_GT(out.results[0].retry_after_ms, 0);
  }
  fake_->faults().Clear();
  EXPECT_EQ(fake_->Quantity("SKU-1"), 2);
  ExpectAll(ebay->Push("SKU-1", 4), STOCKD_PUSH_OK);
  EXPECT_EQ(fake_->Quantity("SKU-1"), 4);
}

TEST_F(EbayPushTest, PacingKeepsUnderTheRateLimit) {
  FakeEbay::Options options;
  options.requests_per_second = 20;
  options.burst = 20;
  StartFake(options);
  std::string mapping;
  for (int i = 0; i < 250; ++i) {
    fake_->AddListing("SKU-" + std::to_string(i), OfferOf(i), 1);
    mapping += "SKU-" + std::to_string(i) + "," + OfferOf(i) + "\n";
  }
  auto ebay =
      Create(Config({{"requests_per_second", 20}, {"mapping_file", WriteFile("m.csv", mapping)}}));
  ASSERT_NE(ebay, nullptr);
  for (int round = 0; round < 4; ++round) ExpectAll(ebay->Push(Items(250, round)), STOCKD_PUSH_OK);
  EXPECT_EQ(fake_->RequestCount("/sell/inventory/v1/bulk_update_price_quantity"), 40);
  EXPECT_EQ(fake_->Throttled(), 0);

  // A client that ignores the limit is throttled: 429 errorId 2001.
  auto greedy = Create(
      Config({{"requests_per_second", 10000}, {"mapping_file", WriteFile("m.csv", mapping)}}));
  ASSERT_NE(greedy, nullptr);
  const PushOutcome out = greedy->Push(Items(1000, 7));
  ASSERT_EQ(out.rc, 0);
  EXPECT_GT(fake_->Throttled(), 0);
  EXPECT_EQ(out.results.back().status, STOCKD_PUSH_RETRY);
  EXPECT_TRUE(Contains(out.results.back().message, "Too many requests"));
}

TEST_F(EbayPushTest, AnExpiredTokenIsRefreshedOnceAndTheCallRepeated) {
  fake_->AddListing("SKU-1", "5005000001", 1);
  auto ebay = Create(Config());
  ASSERT_NE(ebay, nullptr);
  ExpectAll(ebay->Push("SKU-1", 2), STOCKD_PUSH_OK);
  fake_->ExpireTokens();
  fake_->ClearRequests();
  ExpectAll(ebay->Push("SKU-1", 5), STOCKD_PUSH_OK);
  EXPECT_EQ(fake_->Quantity("SKU-1"), 5);
  const std::vector<FakeEbay::RecordedRequest> requests = fake_->Requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].status, 401);
  EXPECT_EQ(requests[0].body.empty(), false);
  EXPECT_EQ(requests[1].path, "/identity/v1/oauth2/token");
  EXPECT_EQ(requests[2].status, 200);
  EXPECT_EQ(fake_->TokensIssued(), 2);
  EXPECT_EQ(host_.Counter("token_refreshes"), 2);
  EXPECT_EQ(host_.Counter("auth_failures"), 0);
}

TEST_F(EbayPushTest, RefusedCredentialsPauseTheChannelUntilTheFileIsRewritten) {
  fake_->AddListing("SKU-1", "5005000001", 1);
  auto ebay = Create(Config());
  ASSERT_NE(ebay, nullptr);
  ExpectAll(ebay->Push("SKU-1", 2), STOCKD_PUSH_OK);
  // The seller revoked the app: the refresh token is dead, the access token too.
  fake_->SetRefreshToken("v^1.1#i^1#r^1#new-consent");
  fake_->ExpireTokens();
  PushOutcome out = ebay->Push("SKU-1", 3);
  ExpectAll(out, STOCKD_PUSH_RETRY);
  EXPECT_TRUE(Contains(out.results[0].message, "channel paused, its credentials were refused"));
  EXPECT_TRUE(Contains(out.results[0].message, "invalid_grant"));
  EXPECT_GE(out.results[0].retry_after_ms, 1000);
  EXPECT_EQ(host_.Counter("auth_failures"), 1);
  EXPECT_TRUE(LoggedError("refused its credentials"));
  for (const auto& [level, message] : host_.Logs()) {
    EXPECT_EQ(message.find(FakeEbay::Options{}.client_secret), std::string::npos);
    EXPECT_EQ(message.find("v^1.1#"), std::string::npos) << message;
  }

  // Paused: nothing is sent, fetch and poll fail at once.
  fake_->ClearRequests();
  ExpectAll(ebay->Push("SKU-1", 3), STOCKD_PUSH_RETRY);
  std::vector<int64_t> quantities;
  std::string error;
  EXPECT_NE(ebay->Fetch({"SKU-1"}, &quantities, &error), 0);
  EXPECT_TRUE(Contains(error, "paused"));
  const PollResult polled = ebay->PollRevisions("");
  EXPECT_NE(polled.rc, 0);
  EXPECT_TRUE(Contains(polled.error, "paused"));
  EXPECT_EQ(fake_->RequestCount("/"), 0);

  // The operator puts the new refresh token in the file: the next push resumes.
  WriteSecret("refresh_token", "v^1.1#i^1#r^1#new-consent");
  ExpectAll(ebay->Push("SKU-1", 3), STOCKD_PUSH_OK);
  EXPECT_EQ(fake_->Quantity("SKU-1"), 3);
  EXPECT_EQ(host_.Counter("auth_resumed"), 1);
}

TEST_F(EbayPushTest, ARefusalRightAfterAFreshTokenPausesWithoutAnotherRefresh) {
  fake_->AddListing("SKU-1", "5005000001", 1);
  // The token is minted for the fulfillment scope only: the Inventory API answers 403.
  auto ebay = Create(Config({{"scopes", kFulfillmentScope}}));
  ASSERT_NE(ebay, nullptr);
  const PushOutcome out = ebay->Push("SKU-1", 2);
  ExpectAll(out, STOCKD_PUSH_RETRY);
  EXPECT_TRUE(Contains(out.results[0].message, "HTTP 403: 1100: Access denied"));
  EXPECT_EQ(fake_->TokensIssued(), 1);
  EXPECT_EQ(fake_->RequestCount("/sell/"), 1);
  EXPECT_EQ(host_.Counter("auth_failures"), 1);
}

TEST_F(EbayPushTest, FetchReadsTheInventoryItemsQuantity) {
  fake_->AddListing("SKU-1", "5005000001", 5);
  fake_->AddListing("SKU 2/b", "5005000002", 0);
  auto ebay = Create(Config());
  ASSERT_NE(ebay, nullptr);
  std::vector<int64_t> quantities;
  std::string error;
  ASSERT_EQ(ebay->Fetch({"SKU-1", "NOPE", "SKU 2/b"}, &quantities, &error), 0) << error;
  EXPECT_EQ(quantities, (std::vector<int64_t>{5, -1, 0}));
  EXPECT_EQ(fake_->RequestCount("/sell/inventory/v1/inventory_item/SKU%202%2Fb"), 1);

  fake_->faults().Push(Fault::ServerError());
  EXPECT_NE(ebay->Fetch({"SKU-1"}, &quantities, &error), 0);
  EXPECT_TRUE(Contains(error, "HTTP 500"));
}

}  // namespace
}  // namespace stockd::ebay_test
