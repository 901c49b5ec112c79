// What the Shopify adapter's tests share: the marketplace fixture
// (marketplace_test_support.h: the plugin loaded as the daemon loads it, instances called
// through the C table) with a FakeShopify with one location and an access token file, and
// raw POSTs for the fake's own tests.
//
// Thread safety: one test thread.
#ifndef STOCKD_TESTS_MARKETPLACE_SHOPIFY_TEST_UTIL_H_
#define STOCKD_TESTS_MARKETPLACE_SHOPIFY_TEST_UTIL_H_

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/fakes/raw_http.h"
#include "tests/fakes/shopify/fake_shopify.h"
#include "tests/marketplace/marketplace_test_support.h"

namespace stockd::shopify_test {

using fakes::FakeShopify;
using fakes::PolledLine;
using fakes::PolledOrder;
using fakes::PollResult;
using fakes::PushOutcome;
using fakes::TestHost;
using fakes::TestItem;
using marketplace_test::Contains;
using marketplace_test::ExpectLine;
using marketplace_test::Json;
using marketplace_test::MarketplaceTest;
using marketplace_test::MergeConfig;
using marketplace_test::WaitFor;
using Instance = fakes::PluginInstance;

constexpr char kToken[] = "shpat_0123456789abcdef";

// A raw answer of the fake to a hand-made request.
struct RawAnswer {
  long status = 0;
  std::string body;
  Json json;
};

// POSTs `body` to `url` with the given headers (tests/fakes/raw_http.h, no adapter code).
inline RawAnswer RawPost(const std::string& url, const std::string& body,
                         const std::vector<std::string>& headers) {
  RawAnswer a;
  const fakes::RawHttpResponse r = fakes::RawPost(url, headers, body);
  a.status = r.status;
  a.body = r.body;
  a.json = Json::parse(a.body, nullptr, /*allow_exceptions=*/false);
  return a;
}

class ShopifyTest : public MarketplaceTest {
 protected:
  ShopifyTest() : MarketplaceTest("shopify") {}

  virtual FakeShopify::Options FakeOptions() {
    FakeShopify::Options o;
    o.access_token = kToken;
    return o;
  }

  void SetUp() override {
    MarketplaceTest::SetUp();
    if (HasFatalFailure()) return;
    token_file_ = WriteToken(kToken);
    fake_ = std::make_unique<FakeShopify>(FakeOptions());
    std::string error;
    ASSERT_TRUE(fake_->Start(&error)) << error;
    location_ = fake_->AddLocation("Warehouse");
  }
  void TearDown() override {
    fake_.reset();
    MarketplaceTest::TearDown();
  }

  // Rotates the access token file (written beside it, renamed over it); returns its path.
  std::string WriteToken(const std::string& token) { return ReplaceSecret("token", token); }

  std::string Endpoint() const { return fake_->shop_url() + "/admin/api/2026-04/graphql.json"; }

  // The adapter config for the fake, plus `extra` keys (a null removes a key).
  Json Config(const Json& extra = Json::object()) const {
    return MergeConfig({{"shop_url", fake_->shop_url()},
                        {"location_id", std::to_string(location_)},
                        {"access_token_file", token_file_},
                        {"channel", "shopify"},
                        {"timeout_ms", 3000}},
                       extra);
  }

  // Requests of one root field ("inventorySetQuantities", "inventoryItems", "orders", ...).
  std::vector<fakes::ShopifyRequestRecord> RequestsOf(const std::string& operation) const {
    std::vector<fakes::ShopifyRequestRecord> out;
    for (const auto& r : fake_->Requests()) {
      if (r.operation.rfind(operation, 0) == 0) out.push_back(r);
    }
    return out;
  }

  std::string token_file_;
  std::unique_ptr<FakeShopify> fake_;
  int64_t location_ = 0;
};

}  // namespace stockd::shopify_test

#endif  // STOCKD_TESTS_MARKETPLACE_SHOPIFY_TEST_UTIL_H_
