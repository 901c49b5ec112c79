// What the woocommerce adapter's tests share: the marketplace fixture
// (marketplace_test_support.h: the plugin loaded as the daemon loads it, instances called
// through the C table) with a fake WooCommerce shop (tests/fakes/woocommerce/
// fake_woocommerce.h), credential files and a config.
//
// Thread safety: a fixture belongs to its test's thread (Poll may run on another thread
// while the test thread drives the fake).
#ifndef STOCKD_TESTS_MARKETPLACE_WOOCOMMERCE_TEST_SUPPORT_H_
#define STOCKD_TESTS_MARKETPLACE_WOOCOMMERCE_TEST_SUPPORT_H_

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/fakes/raw_http.h"
#include "tests/fakes/woocommerce/fake_woocommerce.h"
#include "tests/fakes/woocommerce/wordpress.h"
#include "tests/marketplace/marketplace_test_support.h"

namespace stockd::woocommerce_test {

using fakes::FakeWooCommerce;
using fakes::PolledLine;
using fakes::PolledOrder;
using fakes::PollResult;
using fakes::TestHost;
using fakes::TestItem;
using marketplace_test::Contains;
using marketplace_test::Json;
using marketplace_test::MarketplaceTest;
using marketplace_test::MergeConfig;
using marketplace_test::WaitFor;

constexpr char kKey[] = "ck_4f1e0c2d9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d";
constexpr char kSecret[] = "cs_9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b";
constexpr int64_t kStart = 1'700'000'000;  // the fake's clock: 2023-11-14T22:13:20

// "12@1700000001000:accepted" per order.
inline std::vector<std::string> Summary(const std::vector<PolledOrder>& orders) {
  static constexpr const char* kNames[] = {"?", "pending", "accepted", "shipped", "cancelled"};
  std::vector<std::string> out;
  for (const PolledOrder& o : orders) {
    out.push_back(o.order_id + "@" + std::to_string(o.revision) + ":" +
                  kNames[o.status >= 1 && o.status <= 4 ? o.status : 0]);
  }
  return out;
}

class WooCommerceTest : public MarketplaceTest {
 protected:
  WooCommerceTest() : MarketplaceTest("woocommerce") {}

  void SetUp() override {
    MarketplaceTest::SetUp();
    if (HasFatalFailure()) return;
    WriteSecret("key", kKey);
    WriteSecret("secret", kSecret);
    StartShop(ShopOptions());
  }
  void TearDown() override {
    shop_.reset();
    MarketplaceTest::TearDown();
  }

  static FakeWooCommerce::Options ShopOptions() {
    FakeWooCommerce::Options o;
    o.consumer_key = kKey;
    o.consumer_secret = kSecret;
    o.start_time = kStart;
    return o;
  }
  void StartShop(const FakeWooCommerce::Options& options) {
    shop_ = std::make_unique<FakeWooCommerce>(options);
    std::string error;
    ASSERT_TRUE(shop_->Start(&error)) << error;
  }

  // The config for the fake shop, plus `extra` keys (a null value removes a key).
  Json Config(const Json& extra = Json::object()) const {
    return MergeConfig({{"base_url", shop_->base_url()},
                        {"consumer_key_file", dir_ + "/key"},
                        {"consumer_secret_file", dir_ + "/secret"},
                        {"channel", "woo"},
                        {"timeout_ms", 2000},
                        {"requests_per_second", 1000}},
                       extra);
  }

  // The requests the shop got whose path ends with `suffix` (and method).
  std::vector<FakeWooCommerce::Recorded> RequestsTo(const std::string& method,
                                                    const std::string& suffix) const {
    std::vector<FakeWooCommerce::Recorded> out;
    for (const FakeWooCommerce::Recorded& r : shop_->Requests()) {
      if (r.method == method && r.path.size() >= suffix.size() &&
          r.path.compare(r.path.size() - suffix.size(), suffix.size(), suffix) == 0) {
        out.push_back(r);
      }
    }
    return out;
  }

  std::unique_ptr<FakeWooCommerce> shop_;
};

}  // namespace stockd::woocommerce_test

#endif  // STOCKD_TESTS_MARKETPLACE_WOOCOMMERCE_TEST_SUPPORT_H_
