// The Shopify adapter plugin, loaded as the daemon loads it, pushing to the Shopify fake:
// the mutation it sends, batches and their split, the SKU look-up, compare-and-set
// conflicts, Shopify's all-or-nothing userErrors, idempotent resends, config errors.
#include <regex>

#include "tests/marketplace/shopify_test_util.h"

namespace stockd::shopify_test {
namespace {

using fakes::Fault;

class ShopifyPushTest : public ShopifyTest {};

TEST_F(ShopifyPushTest, LoadsThroughTheEntrySymbol) {
  const stockd_adapter_api* api = plugin_.api();
  EXPECT_STREQ(api->name, "shopify");
  EXPECT_EQ(api->max_batch, 1000u);
  EXPECT_NE(api->fetch, nullptr);
  EXPECT_NE(api->poll_order_revisions, nullptr);
  EXPECT_NE(api->validate_config, nullptr);
  EXPECT_EQ(dlsym(plugin_.handle(), "_ZTVN6stockd3sdk7AdapterE"), nullptr);
}

TEST_F(ShopifyPushTest, RefusesBadConfigs) {
  EXPECT_TRUE(Contains(CreateError(Config({{"shop_url", nullptr}})), "\"shop_url\" is required"));
  EXPECT_TRUE(Contains(CreateError(Config({{"shop_url", "http://shop.example.com"}})),
                       "http:// is only for 127.0.0.1 or localhost"));
  EXPECT_TRUE(Contains(CreateError(Config({{"shop_url", "https://shop.example.com"}})),
                       "https://<shop>.myshopify.com"));
  EXPECT_TRUE(Contains(CreateError(Config({{"shop_url", "https://a.myshopify.com/admin"}})),
                       "without a path"));
  EXPECT_TRUE(Contains(CreateError(Config({{"api_version", "2025-10"}})), "predates 2026-04"));
  EXPECT_TRUE(Contains(CreateError(Config({{"api_version", "april"}})), "YYYY-MM"));
  EXPECT_TRUE(Contains(CreateError(Config({{"access_token", "shpat_x"}})),
                       "must not be written in the config"));
  EXPECT_TRUE(Contains(CreateError(Config({{"access_token_file", nullptr}})),
                       "\"access_token_file\" or \"access_token_env\" is required"));
  EXPECT_TRUE(Contains(CreateError(Config({{"location_id", "gid://shopify/Product/1"}})),
                       "is not a Shopify Location id"));
  EXPECT_TRUE(
      Contains(CreateError(Config({{"location_id", nullptr}})), "\"location_id\" is required"));
  EXPECT_TRUE(Contains(CreateError(Config({{"quantity_name", "committed"}})),
                       "\"available\" or \"on_hand\""));
  EXPECT_TRUE(Contains(CreateError(Config({{"reason", "sync"}})), "is not one of Shopify's"));
  EXPECT_TRUE(Contains(CreateError(Config({{"orders_page_size", 51}})), "[1, 50]"));
  EXPECT_TRUE(Contains(CreateError(Config({{"max_batch", 10}})), "unknown key \"max_batch\""));
  // A gid, a bare number and a JSON number are all a location id.
  EXPECT_NE(
      Create(Config({{"location_id", "gid://shopify/Location/" + std::to_string(location_)}})),
      nullptr);
  EXPECT_NE(Create(Config({{"location_id", location_}})), nullptr);
  // validate_config checks the same without an instance.
  char error[256] = {0};
  EXPECT_NE(plugin_.api()->validate_config(Config({{"reason", "sync"}}).dump().c_str(), error,
                                           sizeof error),
            0);
  EXPECT_EQ(plugin_.api()->validate_config(Config().dump().c_str(), error, sizeof error), 0);
}

TEST_F(ShopifyPushTest, PushesOneQuantityWithCompareAndSetUnderAnIdempotencyKey) {
  const int64_t item = fake_->AddStockedItem("SKU-1", location_, 5);
  auto shopify = Create(Config());
  ASSERT_NE(shopify, nullptr);
  const PushOutcome out = shopify->Push({{"stock-1", "SKU-1", 7, 5}});
  ASSERT_EQ(out.rc, 0);
  EXPECT_EQ(out.results[0].status, STOCKD_PUSH_OK) << out.results[0].message;
  EXPECT_EQ(fake_->Quantity(item, location_), 7);

  const auto requests = fake_->Requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].operation, "inventoryItems");
  EXPECT_EQ(requests[1].operation, "inventorySetQuantities");
  for (const auto& r : requests) {
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.path, "/admin/api/2026-04/graphql.json");
    EXPECT_EQ(r.headers.at("x-shopify-access-token"), kToken);
    EXPECT_EQ(r.headers.at("content-type"), "application/json");
    EXPECT_EQ(r.status, 200);
  }
  const Json body = Json::parse(requests[1].body);
  EXPECT_TRUE(std::regex_search(
      body["query"].get<std::string>(),
      std::regex(
          R"(@idempotent\(key: "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"\))")))
      << body["query"];
  EXPECT_EQ(
      body["variables"],
      Json::parse(R"({"input": {"name": "available", "reason": "correction",
                "referenceDocumentUri": "gid://stockd/Channel/shopify",
                "quantities": [{"inventoryItemId": "gid://shopify/InventoryItem/)" +
                  std::to_string(item) + R"(", "locationId": "gid://shopify/Location/)" +
                  std::to_string(location_) + R"(", "quantity": 7, "changeFromQuantity": 5}]}})"));

  // The SKU is cached: the next push is one request.
  fake_->ClearRequests();
  ASSERT_EQ(shopify->Push({{"stock-1", "SKU-1", 6, 7}}).results[0].status, STOCKD_PUSH_OK);
  EXPECT_EQ(fake_->Requests().size(), 1u);
  EXPECT_EQ(fake_->Quantity(item, location_), 6);
  EXPECT_EQ(host_.Counter("requests"), 3);
}

TEST_F(ShopifyPushTest, AnApiVersionShopifyNoLongerServesIsLoggedOnce) {
  fake_ = std::make_unique<FakeShopify>([] {
    FakeShopify::Options o;
    o.access_token = kToken;
    o.oldest_supported_version = "2026-07";
    return o;
  }());
  std::string error;
  ASSERT_TRUE(fake_->Start(&error)) << error;
  location_ = fake_->AddLocation("Warehouse");
  fake_->AddStockedItem("A", location_, 1);
  auto shopify = Create(Config());
  ASSERT_EQ(shopify->Push({{"a", "A", 2, 1}}).results[0].status, STOCKD_PUSH_OK);
  int warnings = 0;
  for (const auto& [level, message] : host_.Logs()) {
    if (message.find("Shopify answers with API version 2026-07, not the configured 2026-04") !=
        std::string::npos) {
      EXPECT_EQ(level, STOCKD_LOG_WARN);
      ++warnings;
    }
  }
  EXPECT_EQ(warnings, 1);
}

TEST_F(ShopifyPushTest, TheFirstSyncSendsAnExplicitNullChangeFromQuantity) {
  const int64_t item = fake_->AddStockedItem("SKU-1", location_, 9);
  auto shopify =
      Create(Config({{"quantity_name", "on_hand"}, {"reason", "cycle_count_available"}}));
  ASSERT_EQ(shopify->Push({{"s", "SKU-1", 4, -1}}).results[0].status, STOCKD_PUSH_OK);
  EXPECT_EQ(fake_->Quantity(item, location_, "on_hand"), 4);
  const Json input =
      Json::parse(RequestsOf("inventorySetQuantities")[0].body)["variables"]["input"];
  EXPECT_EQ(input["name"], "on_hand");
  EXPECT_EQ(input["reason"], "cycle_count_available");
  ASSERT_TRUE(input["quantities"][0].contains("changeFromQuantity"));
  EXPECT_TRUE(input["quantities"][0]["changeFromQuantity"].is_null());
}

TEST_F(ShopifyPushTest, AFullBatchIsSplitAt250QuantitiesAndLookedUp50SkusAtATime) {
  std::vector<TestItem> items;
  std::vector<int64_t> ids;
  for (int i = 0; i < 600; ++i) {
    const std::string sku = "SKU-" + std::to_string(i);
    ids.push_back(fake_->AddStockedItem(sku, location_, 1));
    items.push_back({sku, sku, 100 + i, 1});
  }
  auto shopify = Create(Config());
  const PushOutcome out = shopify->Push(items);
  ASSERT_EQ(out.rc, 0);
  for (size_t i = 0; i < out.results.size(); ++i) {
    ASSERT_EQ(out.results[i].status, STOCKD_PUSH_OK) << i << ": " << out.results[i].message;
  }
  for (int i = 0; i < 600; ++i) ASSERT_EQ(fake_->Quantity(ids[i], location_), 100 + i);
  EXPECT_EQ(RequestsOf("inventoryItems").size(), 12u);
  const auto mutations = RequestsOf("inventorySetQuantities");
  ASSERT_EQ(mutations.size(), 3u);
  std::vector<size_t> sizes;
  for (const auto& m : mutations) {
    sizes.push_back(Json::parse(m.body)["variables"]["input"]["quantities"].size());
  }
  EXPECT_EQ(sizes, (std::vector<size_t>{250, 250, 100}));
  EXPECT_EQ(fake_->ThrottledCount(), 0);
}

TEST_F(ShopifyPushTest, ASkuShopifyDoesNotHaveIsPermanentAndCountedUnmapped) {
  fake_->AddStockedItem("SKU-1", location_, 1);
  fake_->AddStockedItem("sku-nope", location_, 1);  // the search matches it, the SKU differs
  auto shopify = Create(Config());
  PushOutcome out = shopify->Push({{"a", "SKU-1", 2, 1}, {"b", "SKU-NOPE", 3, 1}});
  EXPECT_EQ(out.results[0].status, STOCKD_PUSH_OK);
  EXPECT_EQ(out.results[1].status, STOCKD_PUSH_PERMANENT);
  EXPECT_STREQ(out.results[1].message, "shopify has no listing with SKU \"SKU-NOPE\"");
  EXPECT_EQ(host_.Counter("unmapped"), 1);
  // Remembered as missing: no new search, the same answer.
  fake_->ClearRequests();
  out = shopify->Push({{"b", "SKU-NOPE", 4, 1}});
  EXPECT_EQ(out.results[0].status, STOCKD_PUSH_PERMANENT);
  EXPECT_TRUE(fake_->Requests().empty());
  EXPECT_EQ(host_.Counter("unmapped"), 2);
}

TEST_F(ShopifyPushTest, TwoItemsWithOneSkuAreNeverPushed) {
  fake_->AddStockedItem("TWIN", location_, 1);
  fake_->AddStockedItem("TWIN", location_, 1);
  auto shopify = Create(Config());
  const PushOutcome out = shopify->Push({{"t", "TWIN", 2, 1}});
  EXPECT_EQ(out.results[0].status, STOCKD_PUSH_PERMANENT);
  EXPECT_TRUE(Contains(out.results[0].message, "shopify has 2 inventory items with SKU \"TWIN\""));
  EXPECT_TRUE(RequestsOf("inventorySetQuantities").empty());
}

TEST_F(ShopifyPushTest, TheMappingFileOverridesTheLookUp) {
  const int64_t item = fake_->AddStockedItem("", location_, 3);  // an item without SKU
  const std::string mapping = dir_ + "/mapping.csv";
  std::ofstream(mapping) << "sku,inventory_item_id\nLOCAL-1,gid://shopify/InventoryItem/" << item
                         << "\n";
  auto shopify = Create(Config({{"mapping_file", mapping}}));
  ASSERT_EQ(shopify->Push({{"x", "LOCAL-1", 8, 3}}).results[0].status, STOCKD_PUSH_OK);
  EXPECT_EQ(fake_->Quantity(item, location_), 8);
  EXPECT_TRUE(RequestsOf("inventoryItems").empty());
  std::ofstream(mapping) << "LOCAL-1,Product/1\n";
  EXPECT_TRUE(Contains(CreateError(Config({{"mapping_file", mapping}})),
                       "SKU \"LOCAL-1\": \"Product/1\" is not a Shopify InventoryItem id"));
}

TEST_F(ShopifyPushTest, AStaleChangeFromIsAConflictAndTheOtherItemsAreSentAgain) {
  const int64_t sold = fake_->AddStockedItem("SOLD", location_, 5);
  const int64_t other = fake_->AddStockedItem("OTHER", location_, 4);
  fake_->SetAvailable(sold, location_, 3);  // a sale stockd has not seen yet
  auto shopify = Create(Config());
  const PushOutcome out = shopify->Push({{"a", "SOLD", 10, 5}, {"b", "OTHER", 6, 4}});
  EXPECT_EQ(out.results[0].status, STOCKD_PUSH_CONFLICT);
  EXPECT_TRUE(Contains(out.results[0].message,
                       "Shopify's available quantity of SKU \"SOLD\" is no longer 5"));
  EXPECT_EQ(out.results[1].status, STOCKD_PUSH_OK) << out.results[1].message;
  EXPECT_EQ(fake_->Quantity(sold, location_), 3);  // never overwritten
  EXPECT_EQ(fake_->Quantity(other, location_), 6);
  const auto mutations = RequestsOf("inventorySetQuantities");
  ASSERT_EQ(mutations.size(), 2u);
  EXPECT_EQ(Json::parse(mutations[1].body)["variables"]["input"]["quantities"].size(), 1u);
  EXPECT_NE(Json::parse(mutations[0].body)["query"], Json::parse(mutations[1].body)["query"])
      << "a new idempotency key for the second request";
  EXPECT_EQ(host_.Counter("conflicts"), 1);
  EXPECT_EQ(host_.Counter("retries"), 1);
}

TEST_F(ShopifyPushTest, PerItemUserErrorsArePermanentWithShopifysMessage) {
  const int64_t good = fake_->AddStockedItem("GOOD", location_, 1);
  fake_->AddItem("ELSEWHERE");  // not stocked at the location
  auto shopify = Create(Config());
  const PushOutcome out = shopify->Push(
      {{"a", "ELSEWHERE", 2, 1}, {"b", "GOOD", 2, 1}, {"c", "BIG", 1'000'000'001, 1}});
  EXPECT_EQ(out.results[0].status, STOCKD_PUSH_PERMANENT);
  EXPECT_STREQ(out.results[0].message,
               "Shopify refused SKU \"ELSEWHERE\": The specified inventory item is not stocked "
               "at the location. (ITEM_NOT_STOCKED_AT_LOCATION)");
  EXPECT_EQ(out.results[1].status, STOCKD_PUSH_OK);
  EXPECT_EQ(out.results[2].status, STOCKD_PUSH_PERMANENT);
  EXPECT_TRUE(Contains(out.results[2].message, "Shopify takes 0..1,000,000,000"));
  EXPECT_EQ(fake_->Quantity(good, location_), 2);
  EXPECT_EQ(host_.Counter("items_rejected"), 2);
  EXPECT_EQ(RequestsOf("inventorySetQuantities").size(), 2u);
}

TEST_F(ShopifyPushTest, AWrongLocationIsPermanentForEveryItem) {
  fake_->AddStockedItem("A", location_, 1);
  fake_->AddStockedItem("B", location_, 1);
  auto shopify = Create(Config({{"location_id", "999999"}}));
  const PushOutcome out = shopify->Push({{"a", "A", 2, 1}, {"b", "B", 2, 1}});
  for (const auto& r : out.results) {
    EXPECT_EQ(r.status, STOCKD_PUSH_PERMANENT);
    EXPECT_TRUE(
        Contains(r.message, "The specified location could not be found. (INVALID_LOCATION)"));
  }
}

TEST_F(ShopifyPushTest, ABatchLevelIdempotencyErrorIsARetry) {
  fake_->AddStockedItem("A", location_, 1);
  auto shopify = Create(Config());
  ASSERT_EQ(shopify->Push({{"a", "A", 1, 1}}).results[0].status, STOCKD_PUSH_OK);
  fake_->InjectUserError("IDEMPOTENCY_CONCURRENT_REQUEST",
                         "This request is currently in progress, please try again.");
  const PushOutcome out = shopify->Push({{"a", "A", 2, 1}});
  EXPECT_EQ(out.results[0].status, STOCKD_PUSH_RETRY);
  EXPECT_EQ(out.results[0].retry_after_ms, 1000);
  EXPECT_TRUE(Contains(out.results[0].message, "IDEMPOTENCY_CONCURRENT_REQUEST"));
}

TEST_F(ShopifyPushTest, ALostAnswerIsResentUnderTheSameKeyAndReplayed) {
  const int64_t item = fake_->AddStockedItem("A", location_, 5);
  const std::string mapping = dir_ + "/mapping.csv";
  std::ofstream(mapping) << "A," << item << "\n";
  auto shopify = Create(Config({{"mapping_file", mapping}}));
  fake_->LoseNextMutationAnswer();
  const PushOutcome out = shopify->Push({{"a", "A", 7, 5}});
  // Applied by the first request; the resend (changeFromQuantity 5 is stale by then) is
  // answered with the first result because it carries the same key.
  EXPECT_EQ(out.results[0].status, STOCKD_PUSH_OK) << out.results[0].message;
  EXPECT_EQ(fake_->Quantity(item, location_), 7);
  const auto mutations = RequestsOf("inventorySetQuantities");
  ASSERT_EQ(mutations.size(), 2u);
  EXPECT_EQ(mutations[0].status, 0);  // reset
  EXPECT_EQ(mutations[0].body, mutations[1].body);
  EXPECT_EQ(host_.Counter("retries"), 1);
}

TEST_F(ShopifyPushTest, ServerErrorsAndResetsAreSentOnceMoreThenRetried) {
  const int64_t item = fake_->AddStockedItem("A", location_, 1);
  const std::string mapping = dir_ + "/mapping.csv";
  std::ofstream(mapping) << "A," << item << "\n";
  auto shopify = Create(Config({{"mapping_file", mapping}}));
  fake_->faults().Push(Fault::ServerError());
  EXPECT_EQ(shopify->Push({{"a", "A", 2, 1}}).results[0].status, STOCKD_PUSH_OK);
  fake_->faults().Push(
      Fault::Status(503, "{\"errors\":\"Service Unavailable\"}", {{"Retry-After", "7"}}));
  fake_->faults().Push(
      Fault::Status(503, "{\"errors\":\"Service Unavailable\"}", {{"Retry-After", "7"}}));
  PushOutcome out = shopify->Push({{"a", "A", 3, 2}});
  EXPECT_EQ(out.results[0].status, STOCKD_PUSH_RETRY);
  EXPECT_EQ(out.results[0].retry_after_ms, 7000);
  EXPECT_TRUE(Contains(out.results[0].message, "HTTP 503: Service Unavailable"));
  EXPECT_EQ(fake_->Quantity(item, location_), 2);
  // Resets (libcurl itself tries a reused connection once more, on a new one).
  for (int i = 0; i < 3; ++i) fake_->faults().Push(Fault::Reset());
  out = shopify->Push({{"a", "A", 3, 2}});
  EXPECT_EQ(out.results[0].status, STOCKD_PUSH_RETRY);
  EXPECT_TRUE(Contains(out.results[0].message, "POST http://127.0.0.1:"));
  EXPECT_EQ(fake_->faults().Pending(), 0u);
  EXPECT_EQ(fake_->Quantity(item, location_), 2);
  EXPECT_EQ(shopify->Push({{"a", "A", 3, 2}}).results[0].status, STOCKD_PUSH_OK);
  EXPECT_EQ(fake_->Quantity(item, location_), 3);
  EXPECT_EQ(host_.Counter("retries"), 3);
}

TEST_F(ShopifyPushTest, ATimeoutIsARetryWithinTheConfiguredTime) {
  const int64_t item = fake_->AddStockedItem("A", location_, 1);
  const std::string mapping = dir_ + "/mapping.csv";
  std::ofstream(mapping) << "A," << item << "\n";
  auto shopify = Create(Config({{"mapping_file", mapping}, {"timeout_ms", 300}}));
  fake_->faults().Push(Fault::Hold(5000));
  fake_->faults().Push(Fault::Hold(5000));
  const auto start = std::chrono::steady_clock::now();
  const PushOutcome out = shopify->Push({{"a", "A", 2, 1}});
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(out.results[0].status, STOCKD_PUSH_RETRY);
  EXPECT_TRUE(Contains(out.results[0].message, "no answer within 300 ms"));
  EXPECT_LT(elapsed, std::chrono::milliseconds(3000));
}

}  // namespace
}  // namespace stockd::shopify_test
