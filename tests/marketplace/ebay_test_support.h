// Shared by the eBay adapter's tests (ebay_push_test.cc, ebay_orders_test.cc): the
// marketplace fixture (marketplace_test_support.h: the plugin loaded as the daemon loads
// it, called through the C table) with the fake eBay API (tests/fakes/ebay/fake_ebay.h) and
// the adapter's credential files; raw requests (tests/fakes/raw_http.h) with a token.
//
// Thread safety: one test thread.
#ifndef STOCKD_TESTS_MARKETPLACE_EBAY_TEST_SUPPORT_H_
#define STOCKD_TESTS_MARKETPLACE_EBAY_TEST_SUPPORT_H_

#include <cctype>
#include <chrono>
#include <memory>
#include <string>
#include <utility>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/fakes/ebay/fake_ebay.h"
#include "tests/fakes/raw_http.h"
#include "tests/marketplace/marketplace_test_support.h"

namespace stockd::ebay_test {

using fakes::FakeEbay;
using fakes::PolledLine;
using fakes::PolledOrder;
using fakes::PollResult;
using fakes::PushOutcome;
using fakes::RawHttp;
using fakes::RawHttpResponse;
using fakes::TestHost;
using fakes::TestItem;
using marketplace_test::Contains;
using marketplace_test::ExpectAll;
using marketplace_test::ExpectLine;
using marketplace_test::Json;
using marketplace_test::MarketplaceTest;
using marketplace_test::MergeConfig;
using marketplace_test::WaitFor;

constexpr char kInventoryScope[] = "https://api.ebay.com/oauth/api_scope/sell.inventory";
constexpr char kFulfillmentScope[] = "https://api.ebay.com/oauth/api_scope/sell.fulfillment";

inline int64_t SystemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// ---------------------------------------------------------------- the fixture

class EbayTest : public MarketplaceTest {
 protected:
  EbayTest() : MarketplaceTest("ebay") {}

  void SetUp() override {
    MarketplaceTest::SetUp();
    if (HasFatalFailure()) return;
    StartFake(FakeEbay::Options{});
  }
  void TearDown() override {
    fake_.reset();
    MarketplaceTest::TearDown();
  }

  // (Re)starts the fake with `options` and writes its credentials into the files.
  void StartFake(FakeEbay::Options options) {
    fake_.reset();
    fake_ = std::make_unique<FakeEbay>(std::move(options));
    std::string error;
    ASSERT_TRUE(fake_->Start(&error)) << error;
    WriteSecret("client_secret", FakeEbay::Options{}.client_secret);
    WriteSecret("refresh_token", FakeEbay::Options{}.refresh_token);
  }

  // The config for the fake, plus `extra` keys (a null value removes a key).
  Json Config(const Json& extra = Json::object()) const {
    return MergeConfig({{"endpoint", fake_->base_url()},
                        {"client_id", FakeEbay::Options{}.client_id},
                        {"client_secret_file", dir_ + "/client_secret"},
                        {"refresh_token_file", dir_ + "/refresh_token"},
                        {"requests_per_second", 1000},
                        {"min_revision_interval_ms", 0},
                        {"timeout_ms", 2000},
                        {"channel", "ebay-us"}},
                       extra);
  }

  // A token from the fake's token endpoint for raw requests.
  std::string RawToken() {
    const FakeEbay::Options o;
    const fakes::RawHttpResponse a = fakes::RawHttp(
        fake_->port(), "POST", "/identity/v1/oauth2/token",
        {"Authorization: Basic " + fakes::Base64(o.client_id + ":" + o.client_secret),
         "Content-Type: application/x-www-form-urlencoded"},
        "grant_type=refresh_token&refresh_token=" + FormEncode(o.refresh_token));
    EXPECT_EQ(a.status, 200) << a.body;
    return Json::parse(a.body, nullptr, false).value("access_token", "");
  }

  static std::string FormEncode(const std::string& value) {
    std::string out;
    static constexpr char kHex[] = "0123456789ABCDEF";
    for (const char ch : value) {
      const auto c = static_cast<unsigned char>(ch);
      if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
        out += static_cast<char>(c);
      } else {
        out += '%';
        out += kHex[c >> 4];
        out += kHex[c & 0xF];
      }
    }
    return out;
  }

  std::unique_ptr<FakeEbay> fake_;
};

}  // namespace stockd::ebay_test

#endif  // STOCKD_TESTS_MARKETPLACE_EBAY_TEST_SUPPORT_H_
