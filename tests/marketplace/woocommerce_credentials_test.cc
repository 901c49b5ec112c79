// The woocommerce adapter's credentials against the fake WooCommerce shop: a rotated key
// picked up from its files on a 401, a refused secret pausing the channel (loud error,
// counter, no calls while paused, nothing secret in the logs) until the file is fixed, a
// revoked key and a read-only key.
#include "tests/marketplace/woocommerce_test_support.h"

namespace stockd::woocommerce_test {
namespace {

std::string Basic(const std::string& user, const std::string& password) {
  return "Basic " + fakes::Base64(user + ":" + password);
}

void ExpectAllOk(const fakes::PushOutcome& out) {
  ASSERT_EQ(out.rc, 0);
  for (size_t i = 0; i < out.results.size(); ++i) {
    EXPECT_EQ(out.results[i].status, STOCKD_PUSH_OK)
        << "item " << i << ": " << out.results[i].message;
  }
}

using WooCommerceCredentialsTest = WooCommerceTest;

TEST_F(WooCommerceCredentialsTest, ChangedCredentialsAreReadAgainOnA401) {
  shop_->AddSimpleProduct("A", 1);
  auto woo = Create(Config());
  ASSERT_NE(woo, nullptr);
  // The operator rotates the key: the shop knows only the new one, the files hold it.
  shop_->SetKey("ck_new", "cs_new");
  WriteSecret("key", "ck_new");
  WriteSecret("secret", "cs_new");
  ExpectAllOk(woo->PushSkus({{"A", 5}}));
  EXPECT_EQ(shop_->Stock("A"), 5);
  EXPECT_EQ(host_.Counter("credential_reloads"), 1);
  EXPECT_EQ(host_.Counter("auth_failures"), 0);
  const auto requests = shop_->Requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].status, 401);  // the old key is unknown: anonymous
  EXPECT_TRUE(Contains(requests[0].headers.at("authorization"), Basic(kKey, kSecret)));
  EXPECT_EQ(requests[1].headers.at("authorization"), Basic("ck_new", "cs_new"));
}

TEST_F(WooCommerceCredentialsTest, RefusedCredentialsPauseTheChannelUntilTheFileChanges) {
  shop_->AddSimpleProduct("A", 1);
  WriteSecret("secret", "cs_wrong");
  auto woo = Create(Config());
  ASSERT_NE(woo, nullptr);
  auto out = woo->PushSkus({{"A", 5}});
  EXPECT_EQ(out.results[0].status, STOCKD_PUSH_RETRY);
  EXPECT_TRUE(Contains(out.results[0].message,
                       "HTTP 401: woocommerce_rest_authentication_error: Consumer secret is "
                       "invalid."));
  EXPECT_GE(out.results[0].retry_after_ms, 1000);
  EXPECT_EQ(host_.Counter("auth_failures"), 1);
  EXPECT_TRUE(Logged(STOCKD_LOG_ERROR, "refused its credentials"));
  EXPECT_TRUE(Logged(STOCKD_LOG_ERROR, "Consumer secret is invalid."));
  for (const auto& [level, message] : host_.Logs()) {
    EXPECT_EQ(message.find(kKey), std::string::npos) << message;
    EXPECT_EQ(message.find("cs_wrong"), std::string::npos) << message;
  }
  EXPECT_EQ(shop_->RequestCount(), 1);

  // Paused: no call reaches the shop.
  out = woo->PushSkus({{"A", 5}});
  EXPECT_EQ(out.results[0].status, STOCKD_PUSH_RETRY);
  EXPECT_TRUE(Contains(out.results[0].message, "channel paused, its credentials were refused"));
  std::vector<int64_t> quantities;
  std::string error;
  EXPECT_NE(woo->Fetch({"A"}, &quantities, &error), 0);
  EXPECT_TRUE(Contains(error, "channel paused"));
  const PollResult polled = woo->PollRevisions("");
  EXPECT_NE(polled.rc, 0);
  EXPECT_TRUE(Contains(polled.error, "channel paused"));
  EXPECT_EQ(shop_->RequestCount(), 1);

  // The operator fixes the file: the next call goes through and the channel resumes.
  WriteSecret("secret", kSecret);
  ExpectAllOk(woo->PushSkus({{"A", 5}}));
  EXPECT_EQ(shop_->Stock("A"), 5);
  EXPECT_EQ(host_.Counter("auth_resumed"), 1);
  EXPECT_TRUE(Logged(STOCKD_LOG_INFO, "resumed"));
}

TEST_F(WooCommerceCredentialsTest, ARevokedOrReadOnlyKeyPausesTheChannel) {
  shop_->AddSimpleProduct("A", 1);
  auto woo = Create(Config());
  ASSERT_NE(woo, nullptr);
  ExpectAllOk(woo->PushSkus({{"A", 2}}));
  shop_->RevokeKey();
  auto out = woo->PushSkus({{"A", 3}});
  EXPECT_EQ(out.results[0].status, STOCKD_PUSH_RETRY);
  EXPECT_TRUE(Contains(out.results[0].message,
                       "HTTP 401: woocommerce_rest_cannot_batch: Sorry, you are not allowed to "
                       "batch manipulate this resource."));
  EXPECT_EQ(host_.Counter("auth_failures"), 1);

  // A new read-only key: reads work, writes are refused.
  shop_->SetKey("ck_read", "cs_read", "read");
  WriteSecret("key", "ck_read");
  WriteSecret("secret", "cs_read");
  out = woo->PushSkus({{"A", 3}});
  EXPECT_EQ(out.results[0].status, STOCKD_PUSH_RETRY);
  EXPECT_TRUE(
      Contains(out.results[0].message, "The API key provided does not have write permissions."));
  EXPECT_EQ(host_.Counter("auth_failures"), 2);
  EXPECT_EQ(shop_->Stock("A"), 2);
}

}  // namespace
}  // namespace stockd::woocommerce_test
