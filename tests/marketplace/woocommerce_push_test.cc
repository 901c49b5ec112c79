// The woocommerce adapter plugin's pushes and fetches, loaded as the daemon loads it,
// against the fake WooCommerce shop: SKU look-up, simple products and variations, full
// and over-limit batches, per-item errors, unmapped SKUs, throttling and server errors,
// pacing, read-back, config errors. Credentials: woocommerce_credentials_test.cc.
#include <chrono>

#include "tests/marketplace/woocommerce_test_support.h"

namespace stockd::woocommerce_test {
namespace {

using fakes::Fault;

constexpr char kNginx429[] = "<html><body><h1>429 Too Many Requests</h1></body></html>";

std::string Basic(const std::string& user, const std::string& password) {
  return "Basic " + fakes::Base64(user + ":" + password);
}

std::string UpdateBody(const std::vector<std::pair<int64_t, int64_t>>& updates) {
  std::string items;
  for (const auto& [id, q] : updates) {
    items += std::string(items.empty() ? "" : ",") + "{\"id\":" + std::to_string(id) +
             ",\"stock_quantity\":" + std::to_string(q) + ",\"manage_stock\":true}";
  }
  return "{\"update\":[" + items + "]}";
}

void ExpectAllOk(const fakes::PushOutcome& out) {
  ASSERT_EQ(out.rc, 0);
  for (size_t i = 0; i < out.results.size(); ++i) {
    EXPECT_EQ(out.results[i].status, STOCKD_PUSH_OK)
        << "item " << i << ": " << out.results[i].message;
  }
}

using WooCommercePushTest = WooCommerceTest;

TEST_F(WooCommercePushTest, LoadsThroughTheEntrySymbol) {
  const stockd_adapter_api* api = plugin_.api();
  EXPECT_STREQ(api->name, "woocommerce");
  EXPECT_EQ(api->max_batch, 100u);
  EXPECT_NE(api->fetch, nullptr);
  EXPECT_NE(api->poll_order_revisions, nullptr);
  ASSERT_TRUE(STOCKD_API_HAS(api, validate_config));
  char error[256] = {0};
  EXPECT_EQ(api->validate_config(Config().dump().c_str(), error, sizeof error), 0) << error;
  EXPECT_NE(api->validate_config("{\"channel\":\"woo\"}", error, sizeof error), 0);
  EXPECT_TRUE(Contains(error, "\"base_url\" is required"));
}

TEST_F(WooCommercePushTest, RejectsBadConfigs) {
  EXPECT_TRUE(
      Contains(CreateError(Config({{"base_url", "http://shop.example.com"}})), "must be https://"));
  EXPECT_TRUE(Contains(CreateError(Config({{"base_url", "https://ck:cs@shop.example.com"}})),
                       "must not hold credentials"));
  EXPECT_TRUE(Contains(CreateError(Config({{"base_url", "https://shop.example.com/?x=1"}})),
                       "without a query"));
  EXPECT_TRUE(
      Contains(CreateError(Config({{"consumer_key_file", nullptr}, {"consumer_key", "ck_inline"}})),
               "consumer_key"));
  EXPECT_TRUE(Contains(CreateError(Config({{"batch_size", 101}})),
                       "\"batch_size\" must be an integer in [1, 100]"));
  EXPECT_TRUE(Contains(CreateError(Config({{"orders_page_size", 0}})), "orders_page_size"));
  EXPECT_TRUE(Contains(CreateError(Config({{"batchsize", 10}})), "unknown key \"batchsize\""));
  const std::string bad = WriteFile("bad.csv", "sku,product_id\nA,12\nB,x\n");
  EXPECT_TRUE(Contains(CreateError(Config({{"mapping_file", bad}})),
                       "bad.csv:3: \"x\" is not a positive integer id"));
  const std::string twice = WriteFile("twice.csv", "A,12\nA,13,14\n");
  EXPECT_TRUE(Contains(CreateError(Config({{"mapping_file", twice}})), "mapped twice"));
  // https:// anywhere; http:// only on loopback (this fake).
  EXPECT_NE(Create(Config({{"base_url", "https://shop.example.com/wordpress/"}})), nullptr);
}

TEST_F(WooCommercePushTest, PushesASimpleProductAfterLookingItsSkuUp) {
  const int64_t id = shop_->AddSimpleProduct("TSHIRT-RED", 3);
  auto woo = Create(Config());
  ASSERT_NE(woo, nullptr);
  ExpectAllOk(woo->PushSkus({{"TSHIRT-RED", 7}}));
  EXPECT_EQ(shop_->Stock("TSHIRT-RED"), 7);

  const auto requests = shop_->Requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].target, "/wp-json/wc/v3/products?sku=TSHIRT-RED&per_page=100");
  EXPECT_EQ(requests[0].status, 200);
  EXPECT_EQ(requests[0].headers.at("authorization"), Basic(kKey, kSecret));
  EXPECT_EQ(requests[1].method, "POST");
  EXPECT_EQ(requests[1].target, "/wp-json/wc/v3/products/batch");
  EXPECT_EQ(requests[1].headers.at("content-type"), "application/json");
  EXPECT_EQ(requests[1].headers.at("authorization"), Basic(kKey, kSecret));
  EXPECT_EQ(requests[1].body, UpdateBody({{id, 7}}));
  EXPECT_EQ(requests[1].status, 200);

  // The SKU's id is cached: the next push is one call.
  ExpectAllOk(woo->PushSkus({{"TSHIRT-RED", 0}}));
  EXPECT_EQ(shop_->Stock("TSHIRT-RED"), 0);
  EXPECT_EQ(shop_->RequestCount(), 3);
  EXPECT_EQ(host_.Counter("requests"), 3);
}

TEST_F(WooCommercePushTest, VariationsGoToTheirParentsBatch) {
  const int64_t shirt = shop_->AddSimpleProduct("SHIRT", 5);
  const int64_t hoodie = shop_->AddVariableProduct("HOODIE");
  const int64_t small = shop_->AddVariation(hoodie, "HOODIE-S", 1);
  const int64_t medium = shop_->AddVariation(hoodie, "HOODIE-M", 2);
  const int64_t cap = shop_->AddVariableProduct("CAP");
  const int64_t blue = shop_->AddVariation(cap, "CAP-BLUE", 0);
  auto woo = Create(Config());
  ASSERT_NE(woo, nullptr);
  ExpectAllOk(woo->PushSkus({{"HOODIE-S", 10}, {"SHIRT", 6}, {"CAP-BLUE", 4}, {"HOODIE-M", 11}}));
  EXPECT_EQ(shop_->Stock("HOODIE-S"), 10);
  EXPECT_EQ(shop_->Stock("HOODIE-M"), 11);
  EXPECT_EQ(shop_->Stock("CAP-BLUE"), 4);
  EXPECT_EQ(shop_->Stock("SHIRT"), 6);

  const auto requests = shop_->Requests();
  ASSERT_EQ(requests.size(), 4u);
  EXPECT_EQ(requests[0].target,
            "/wp-json/wc/v3/products?sku=HOODIE-S,SHIRT,CAP-BLUE,HOODIE-M&per_page=100");
  EXPECT_EQ(requests[1].target, "/wp-json/wc/v3/products/batch");
  EXPECT_EQ(requests[1].body, UpdateBody({{shirt, 6}}));
  EXPECT_EQ(requests[2].target,
            "/wp-json/wc/v3/products/" + std::to_string(hoodie) + "/variations/batch");
  EXPECT_EQ(requests[2].body, UpdateBody({{small, 10}, {medium, 11}}));
  EXPECT_EQ(requests[3].target,
            "/wp-json/wc/v3/products/" + std::to_string(cap) + "/variations/batch");
  EXPECT_EQ(requests[3].body, UpdateBody({{blue, 4}}));
}

TEST_F(WooCommercePushTest, AFullBatchIsOneLookUpAndOneCall) {
  std::vector<std::pair<std::string, int64_t>> skus;
  for (int i = 0; i < 100; ++i) {
    const std::string sku = "SKU-" + std::to_string(1000 + i);
    shop_->AddSimpleProduct(sku, 0);
    skus.emplace_back(sku, i);
  }
  auto woo = Create(Config());
  ASSERT_NE(woo, nullptr);
  ExpectAllOk(woo->PushSkus(skus));
  EXPECT_EQ(shop_->Stock("SKU-1000"), 0);
  EXPECT_EQ(shop_->Stock("SKU-1057"), 57);
  EXPECT_EQ(shop_->Stock("SKU-1099"), 99);
  EXPECT_EQ(RequestsTo("GET", "/products").size(), 1u);
  const auto batches = RequestsTo("POST", "/products/batch");
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_EQ(Json::parse(batches[0].body)["update"].size(), 100u);
}

TEST_F(WooCommercePushTest, AnOverLimitBatchIsSentInHalves) {
  FakeWooCommerce::Options options = ShopOptions();
  options.batch_limit = 40;  // a shop with woocommerce_rest_batch_items_limit = 40
  StartShop(options);
  std::vector<std::pair<std::string, int64_t>> skus;
  for (int i = 0; i < 100; ++i) {
    const std::string sku = "SKU-" + std::to_string(i);
    shop_->AddSimpleProduct(sku, 0);
    skus.emplace_back(sku, 100 + i);
  }
  auto woo = Create(Config());
  ASSERT_NE(woo, nullptr);
  ExpectAllOk(woo->PushSkus(skus));
  for (int i = 0; i < 100; i += 11) EXPECT_EQ(shop_->Stock("SKU-" + std::to_string(i)), 100 + i);
  std::vector<int> statuses;
  std::vector<size_t> sizes;
  for (const auto& r : RequestsTo("POST", "/products/batch")) {
    statuses.push_back(r.status);
    sizes.push_back(Json::parse(r.body)["update"].size());
  }
  EXPECT_EQ(statuses, (std::vector<int>{413, 413, 200, 200, 413, 200, 200}));
  EXPECT_EQ(sizes, (std::vector<size_t>{100, 50, 25, 25, 50, 25, 25}));
  EXPECT_TRUE(Logged(STOCKD_LOG_INFO, "Unable to accept more than 40 items for this request."));
}

TEST_F(WooCommercePushTest, BatchSizeCutsTheCalls) {
  std::vector<std::pair<std::string, int64_t>> skus;
  for (int i = 0; i < 100; ++i) {
    shop_->AddSimpleProduct("SKU-" + std::to_string(i), 0);
    skus.emplace_back("SKU-" + std::to_string(i), 1);
  }
  auto woo = Create(Config({{"batch_size", 30}}));
  ASSERT_NE(woo, nullptr);
  ExpectAllOk(woo->PushSkus(skus));
  std::vector<size_t> sizes;
  for (const auto& r : RequestsTo("POST", "/products/batch")) {
    sizes.push_back(Json::parse(r.body)["update"].size());
  }
  EXPECT_EQ(sizes, (std::vector<size_t>{30, 30, 30, 10}));
}

TEST_F(WooCommercePushTest, APerItemErrorFailsOnlyThatItem) {
  shop_->AddSimpleProduct("A", 1);
  shop_->AddSimpleProduct("B", 1);
  const std::string mapping = WriteFile("map.csv", "sku,product_id\nGONE,999\n");
  auto woo = Create(Config({{"mapping_file", mapping}}));
  ASSERT_NE(woo, nullptr);
  const auto out = woo->PushSkus({{"A", 4}, {"GONE", 2}, {"B", 6}});
  ASSERT_EQ(out.rc, 0);
  EXPECT_EQ(out.results[0].status, STOCKD_PUSH_OK) << out.results[0].message;
  EXPECT_EQ(out.results[1].status, STOCKD_PUSH_PERMANENT);
  EXPECT_STREQ(out.results[1].message,
               "WooCommerce refused SKU GONE (id 999): woocommerce_rest_product_invalid_id: "
               "Invalid ID.");
  EXPECT_EQ(out.results[2].status, STOCKD_PUSH_OK) << out.results[2].message;
  EXPECT_EQ(shop_->Stock("A"), 4);
  EXPECT_EQ(shop_->Stock("B"), 6);
  EXPECT_EQ(host_.Counter("items_rejected"), 1);
  EXPECT_EQ(RequestsTo("POST", "/products/batch").size(), 1u);
}

TEST_F(WooCommercePushTest, ADeletedProductIsLookedUpAgain) {
  const int64_t id = shop_->AddSimpleProduct("A", 1);
  auto woo = Create(Config());
  ASSERT_NE(woo, nullptr);
  ExpectAllOk(woo->PushSkus({{"A", 2}}));
  ASSERT_TRUE(shop_->DeleteProduct(id));
  auto out = woo->PushSkus({{"A", 3}});
  EXPECT_EQ(out.results[0].status, STOCKD_PUSH_PERMANENT);
  EXPECT_TRUE(Contains(out.results[0].message, "woocommerce_rest_product_invalid_id: Invalid ID."));
  // The cached id was forgotten: the next push looks the SKU up and finds nothing.
  out = woo->PushSkus({{"A", 3}});
  EXPECT_EQ(out.results[0].status, STOCKD_PUSH_PERMANENT);
  EXPECT_STREQ(out.results[0].message, "woocommerce has no listing with SKU A");
  EXPECT_EQ(host_.Counter("unmapped"), 1);
  EXPECT_EQ(RequestsTo("GET", "/products").size(), 2u);
}

TEST_F(WooCommercePushTest, AnUnknownSkuIsNeverPushed) {
  const int64_t id = shop_->AddSimpleProduct("A", 1);
  shop_->AddSimpleProduct("abc-1", 9);  // the look-up matches case-insensitively: not ABC-1
  auto woo = Create(Config());
  ASSERT_NE(woo, nullptr);
  auto out = woo->PushSkus({{"NOPE", 5}, {"A", 2}, {"ABC-1", 3}});
  ASSERT_EQ(out.rc, 0);
  EXPECT_EQ(out.results[0].status, STOCKD_PUSH_PERMANENT);
  EXPECT_STREQ(out.results[0].message, "woocommerce has no listing with SKU NOPE");
  EXPECT_EQ(out.results[1].status, STOCKD_PUSH_OK);
  EXPECT_EQ(out.results[2].status, STOCKD_PUSH_PERMANENT);
  EXPECT_STREQ(out.results[2].message, "woocommerce has no listing with SKU ABC-1");
  EXPECT_EQ(shop_->Stock("abc-1"), 9);
  EXPECT_EQ(host_.Counter("unmapped"), 2);
  const auto batches = RequestsTo("POST", "/products/batch");
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_EQ(batches[0].body, UpdateBody({{id, 2}}));
  // Remembered as missing: not looked up again at once.
  out = woo->PushSkus({{"NOPE", 4}});
  EXPECT_EQ(out.results[0].status, STOCKD_PUSH_PERMANENT);
  EXPECT_EQ(RequestsTo("GET", "/products").size(), 1u);
  EXPECT_EQ(host_.Counter("unmapped"), 3);
  // An empty listing id is never looked up (products?sku= would list every product).
  out = woo->Push({{"X", "", 4, -1}});
  EXPECT_EQ(out.results[0].status, STOCKD_PUSH_PERMANENT);
  EXPECT_EQ(shop_->RequestCount(), 2);
}

TEST_F(WooCommercePushTest, AProductWithoutStockIsRejected) {
  shop_->AddGroupedProduct("BUNDLE");
  auto woo = Create(Config());
  ASSERT_NE(woo, nullptr);
  const auto out = woo->PushSkus({{"BUNDLE", 3}});
  EXPECT_EQ(out.results[0].status, STOCKD_PUSH_PERMANENT);
  EXPECT_TRUE(Contains(out.results[0].message, "WooCommerce keeps no stock for SKU BUNDLE"));
}

TEST_F(WooCommercePushTest, ThrottlingIsRetriedAfterRetryAfter) {
  shop_->AddSimpleProduct("A", 1);
  auto woo = Create(Config());
  ASSERT_NE(woo, nullptr);
  ExpectAllOk(woo->PushSkus({{"A", 2}}));
  shop_->faults().Push(Fault::Status(429, kNginx429, {{"Retry-After", "1"}}));
  auto out = woo->PushSkus({{"A", 3}});
  EXPECT_EQ(out.results[0].status, STOCKD_PUSH_RETRY);
  EXPECT_EQ(out.results[0].retry_after_ms, 1000);
  EXPECT_TRUE(Contains(out.results[0].message, "HTTP 429"));
  EXPECT_EQ(host_.Counter("throttled"), 1);
  EXPECT_EQ(host_.Counter("retries"), 1);
  EXPECT_EQ(shop_->Stock("A"), 2);
  // The adapter holds its next call back for the Retry-After.
  const auto start = std::chrono::steady_clock::now();
  ExpectAllOk(woo->PushSkus({{"A", 3}}));
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(900));
  EXPECT_EQ(shop_->Stock("A"), 3);
}

TEST_F(WooCommercePushTest, ServerErrorsAndBrokenConnectionsAreRetried) {
  shop_->AddSimpleProduct("A", 1);
  auto woo = Create(Config({{"timeout_ms", 500}}));
  ASSERT_NE(woo, nullptr);
  ExpectAllOk(woo->PushSkus({{"A", 2}}));
  shop_->faults().Push(Fault::Status(
      503,
      R"({"code":"internal_server_error","message":"Error establishing a database connection","data":{"status":503}})"));
  auto out = woo->PushSkus({{"A", 3}});
  EXPECT_EQ(out.results[0].status, STOCKD_PUSH_RETRY);
  EXPECT_TRUE(
      Contains(out.results[0].message,
               "HTTP 503: internal_server_error: Error establishing a database connection"));
  EXPECT_GE(out.results[0].retry_after_ms, 250);  // the adapter's own backoff
  EXPECT_LE(out.results[0].retry_after_ms, 500);
  // libcurl sends again once on a fresh connection when a kept-alive one was reset (a
  // blind write may be repeated): the second reset fails the call.
  shop_->faults().Push(Fault::Reset());
  shop_->faults().Push(Fault::Reset());
  out = woo->PushSkus({{"A", 3}});
  EXPECT_EQ(out.results[0].status, STOCKD_PUSH_RETRY);
  shop_->faults().Push(Fault::Hold(3000));
  const auto start = std::chrono::steady_clock::now();
  out = woo->PushSkus({{"A", 3}});
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(2000));
  EXPECT_EQ(out.results[0].status, STOCKD_PUSH_RETRY);
  EXPECT_TRUE(Contains(out.results[0].message, "no answer within 500 ms"));
  EXPECT_EQ(host_.Counter("retries"), 3);
  ExpectAllOk(woo->PushSkus({{"A", 3}}));
  EXPECT_EQ(shop_->Stock("A"), 3);
}

TEST_F(WooCommercePushTest, AnAnswerThatDoesNotConfirmTheQuantityIsRetried) {
  const int64_t id = shop_->AddSimpleProduct("A", 1);
  auto woo = Create(Config());
  ASSERT_NE(woo, nullptr);
  ExpectAllOk(woo->PushSkus({{"A", 2}}));
  // A body the shop answers without reading it (a caching plugin, a wrong content type).
  shop_->faults().Push(Fault::Status(200, "[]"));
  auto out = woo->PushSkus({{"A", 7}});
  EXPECT_EQ(out.results[0].status, STOCKD_PUSH_RETRY);
  EXPECT_TRUE(Contains(out.results[0].message, "the answer has no \"update\" list"));
  shop_->faults().Push(
      Fault::Status(200, R"({"update":[{"id":)" + std::to_string(id) +
                             R"(,"sku":"A","manage_stock":true,"stock_quantity":5}]})"));
  out = woo->PushSkus({{"A", 7}});
  EXPECT_EQ(out.results[0].status, STOCKD_PUSH_RETRY);
  EXPECT_STREQ(out.results[0].message, ("WooCommerce saved SKU A (id " + std::to_string(id) +
                                        ") with stock_quantity 5, not 7")
                                           .c_str());
  // A PHP notice printed before the JSON.
  shop_->faults().Push(
      Fault::Status(200, "<br />\n<b>Notice</b>: Undefined index {\"update\":[]}"));
  out = woo->PushSkus({{"A", 7}});
  EXPECT_EQ(out.results[0].status, STOCKD_PUSH_RETRY);
  EXPECT_TRUE(Contains(out.results[0].message, "the answer is not JSON"));
}

TEST_F(WooCommercePushTest, PacesItsCallsToRequestsPerSecond) {
  FakeWooCommerce::Options options = ShopOptions();
  options.requests_per_second = 5;  // the web server's limit_req
  options.burst = 2;
  StartShop(options);
  std::vector<std::pair<std::string, int64_t>> skus;
  for (int i = 0; i < 4; ++i) {
    const int64_t parent = shop_->AddVariableProduct("P" + std::to_string(i));
    shop_->AddVariation(parent, "V" + std::to_string(i), 0);
    skus.emplace_back("V" + std::to_string(i), i + 1);
  }
  auto woo = Create(Config({{"requests_per_second", 5}}));
  ASSERT_NE(woo, nullptr);
  const auto start = std::chrono::steady_clock::now();
  ExpectAllOk(woo->PushSkus(skus));  // one look-up and four batch calls
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(750));
  EXPECT_EQ(shop_->RequestCount(), 5);
  EXPECT_EQ(shop_->ThrottledCount(), 0);
}

TEST_F(WooCommercePushTest, FetchReadsTheShopsOwnNumbers) {
  shop_->AddSimpleProduct("A", 5);
  const int64_t variable = shop_->AddVariableProduct("V");
  shop_->AddVariation(variable, "V-S", 3);
  const int64_t medium = shop_->AddVariation(variable, "V-M", 8);
  shop_->AddSimpleProduct("UNMANAGED", std::nullopt);
  shop_->AddSimpleProduct("OVERSOLD", -2);
  const std::string mapping = WriteFile(
      "map.csv", "MAPPED," + std::to_string(variable) + "," + std::to_string(medium) + "\n");
  auto woo = Create(Config({{"mapping_file", mapping}}));
  ASSERT_NE(woo, nullptr);
  std::vector<int64_t> quantities;
  std::string error;
  ASSERT_EQ(
      woo->Fetch({"A", "V-S", "UNMANAGED", "NOPE", "OVERSOLD", "MAPPED"}, &quantities, &error), 0)
      << error;
  EXPECT_EQ(quantities, (std::vector<int64_t>{5, 3, -1, -1, 0, 8}));
  const auto requests = shop_->Requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].target, "/wp-json/wc/v3/products/" + std::to_string(variable) +
                                    "/variations?include=" + std::to_string(medium) +
                                    "&per_page=100");
  EXPECT_EQ(requests[1].target,
            "/wp-json/wc/v3/products?sku=A,V-S,UNMANAGED,NOPE,OVERSOLD&per_page=100");

  shop_->faults().Push(Fault::ServerError());
  EXPECT_NE(woo->Fetch({"A"}, &quantities, &error), 0);
  EXPECT_TRUE(Contains(error, "HTTP 500"));
}

}  // namespace
}  // namespace stockd::woocommerce_test
