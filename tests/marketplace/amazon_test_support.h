// What the amazon plugin tests share: the marketplace fixture (marketplace_test_support.h:
// the plugin loaded as the daemon loads it, instances driven through the C table) with a
// FakeAmazon and the credential files (mode 0600) the adapter config names.
//
// Thread safety: one test thread.
#ifndef STOCKD_TESTS_MARKETPLACE_AMAZON_TEST_SUPPORT_H_
#define STOCKD_TESTS_MARKETPLACE_AMAZON_TEST_SUPPORT_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/fakes/amazon/fake_amazon.h"
#include "tests/fakes/raw_http.h"
#include "tests/marketplace/marketplace_test_support.h"

namespace stockd::amazon_test {

using fakes::FakeAmazon;
using fakes::PushOutcome;
using fakes::TestHost;
using fakes::TestItem;
using marketplace_test::Contains;
using marketplace_test::ExpectAll;
using marketplace_test::Json;
using marketplace_test::MarketplaceTest;
using marketplace_test::MergeConfig;
using marketplace_test::WaitFor;

constexpr char kSecret[] = "lwa-client-secret";
constexpr char kRefresh[] = "Atzr|stockd-test-refresh-token";

// One order revision as the plugin handed it to the daemon.
using Revision = fakes::PolledOrder;

class AmazonTest : public MarketplaceTest {
 protected:
  AmazonTest() : MarketplaceTest("amazon") {}

  void SetUp() override {
    MarketplaceTest::SetUp();
    if (HasFatalFailure()) return;
    secret_file_ = WriteSecret("client_secret", kSecret);
    refresh_file_ = WriteSecret("refresh_token", kRefresh);
  }
  void TearDown() override {
    fake_.reset();
    MarketplaceTest::TearDown();
  }

  // Starts the fake with `options` (port, credentials and delays as the test wants).
  void StartFake(FakeAmazon::Options options = {}) {
    fake_ = std::make_unique<FakeAmazon>(std::move(options));
    std::string error;
    ASSERT_TRUE(fake_->Start(&error)) << error;
  }
  // Faster usage plans for the listings operations (tests with many items).
  static FakeAmazon::Options FastListings(FakeAmazon::Options options = {}) {
    options.rates[FakeAmazon::Operation::kPatchListingsItem] = {1000, 10};
    options.rates[FakeAmazon::Operation::kSearchListingsItems] = {1000, 10};
    options.rates[FakeAmazon::Operation::kGetListingsItem] = {1000, 10};
    return options;
  }

  // The adapter config for the fake, plus `extra` keys (null removes a key).
  Json Config(const Json& extra = Json::object()) const {
    return MergeConfig({{"endpoint", fake_->base_url()},
                        {"token_url", fake_->token_url()},
                        {"seller_id", fake_->options().seller_id},
                        {"marketplace_id", fake_->options().marketplace_ids[0]},
                        {"client_id", fake_->options().client_id},
                        {"client_secret_file", secret_file_},
                        {"refresh_token_file", refresh_file_},
                        {"timeout_ms", 3000},
                        {"channel", "amazon-de"}},
                       extra);
  }

  // Requests the fake recorded for `operation`.
  std::vector<FakeAmazon::Recorded> Recorded(FakeAmazon::Operation operation) const {
    std::vector<FakeAmazon::Recorded> out;
    for (const FakeAmazon::Recorded& r : fake_->Requests()) {
      if (r.operation == operation) out.push_back(r);
    }
    return out;
  }

  // A live access token from the fake's LWA endpoint (for raw requests).
  std::string AccessToken() {
    const fakes::RawHttpResponse r = fakes::RawHttp(
        fake_->port(), "POST", "/auth/o2/token",
        {"Content-Type: application/x-www-form-urlencoded"},
        "grant_type=refresh_token&refresh_token=Atzr%7Cstockd-test-refresh-token&client_id=" +
            fake_->options().client_id + "&client_secret=" + kSecret);
    EXPECT_EQ(r.status, 200) << r.body;
    return Json::parse(r.body, nullptr, false).value("access_token", "");
  }

  std::string secret_file_;
  std::string refresh_file_;
  std::unique_ptr<FakeAmazon> fake_;
};

}  // namespace stockd::amazon_test

#endif  // STOCKD_TESTS_MARKETPLACE_AMAZON_TEST_SUPPORT_H_
