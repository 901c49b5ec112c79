// The Shopify adapter's credentials (a refused token pauses the channel until the token
// file changes; a rotated token is picked up from the file) and its read-back (Fetch).
#include "tests/marketplace/shopify_test_util.h"

namespace stockd::shopify_test {
namespace {

class ShopifyAuthTest : public ShopifyTest {};

TEST_F(ShopifyAuthTest, BadCredentialsPauseTheChannelUntilTheTokenFileIsRewritten) {
  const int64_t item = fake_->AddStockedItem("A", location_, 1);
  WriteToken("shpat_wrong");
  auto shopify = Create(Config());
  PushOutcome out = shopify->Push({{"a", "A", 2, 1}});
  EXPECT_EQ(out.results[0].status, STOCKD_PUSH_RETRY);
  EXPECT_TRUE(Contains(out.results[0].message,
                       "HTTP 401: [API] Invalid API key or access token (unrecognized login or "
                       "wrong password)"));
  EXPECT_GE(out.results[0].retry_after_ms, 1000);
  EXPECT_EQ(host_.Counter("auth_failures"), 1);
  EXPECT_TRUE(LoggedError("refused its credentials"));
  for (const auto& [level, message] : host_.Logs()) {
    EXPECT_EQ(message.find("shpat_wrong"), std::string::npos) << message;
  }
  // Paused: nothing reaches Shopify, fetches and polls fail at once.
  fake_->ClearRequests();
  out = shopify->Push({{"a", "A", 2, 1}});
  EXPECT_EQ(out.results[0].status, STOCKD_PUSH_RETRY);
  EXPECT_TRUE(Contains(out.results[0].message, "channel paused, its credentials were refused"));
  std::vector<int64_t> quantities;
  std::string error;
  EXPECT_NE(shopify->Fetch({"A"}, &quantities, &error), 0);
  EXPECT_TRUE(Contains(error, "channel paused"));
  const PollResult poll = shopify->PollRevisions("");
  EXPECT_NE(poll.rc, 0);
  EXPECT_TRUE(Contains(poll.error, "channel paused"));
  EXPECT_TRUE(fake_->Requests().empty());
  EXPECT_EQ(host_.Counter("auth_failures"), 1);

  WriteToken(kToken);  // the operator fixes it
  out = shopify->Push({{"a", "A", 2, 1}});
  EXPECT_EQ(out.results[0].status, STOCKD_PUSH_OK) << out.results[0].message;
  EXPECT_EQ(fake_->Quantity(item, location_), 2);
  EXPECT_EQ(host_.Counter("auth_resumed"), 1);
}

TEST_F(ShopifyAuthTest, ARotatedTokenIsReadFromTheFileWhenTheOldOneIsRefused) {
  const int64_t item = fake_->AddStockedItem("A", location_, 1);
  auto shopify = Create(Config());
  ASSERT_EQ(shopify->Push({{"a", "A", 2, 1}}).results[0].status, STOCKD_PUSH_OK);
  fake_->SetAccessToken("shpat_rotated");  // the old token expires...
  WriteToken("shpat_rotated");             // ...and the new one is in the file
  const PushOutcome out = shopify->Push({{"a", "A", 3, 2}});
  EXPECT_EQ(out.results[0].status, STOCKD_PUSH_OK) << out.results[0].message;
  EXPECT_EQ(fake_->Quantity(item, location_), 3);
  EXPECT_EQ(host_.Counter("token_refreshes"), 1);
  EXPECT_EQ(host_.Counter("auth_failures"), 0);
  const auto requests = fake_->Requests();  // look-up, mutation, refused, mutation
  ASSERT_EQ(requests.size(), 4u);
  EXPECT_EQ(requests[2].status, 401);
  EXPECT_EQ(requests[2].headers.at("x-shopify-access-token"), kToken);
  EXPECT_EQ(requests[3].headers.at("x-shopify-access-token"), "shpat_rotated");
  EXPECT_EQ(requests[3].operation, "inventorySetQuantities");
}

TEST_F(ShopifyAuthTest, AnExpiredTokenWithoutANewOnePausesAndA403Too) {
  fake_->AddStockedItem("A", location_, 1);
  auto shopify = Create(Config());
  fake_->SetAccessToken("shpat_elsewhere");
  EXPECT_EQ(shopify->Push({{"a", "A", 2, 1}}).results[0].status, STOCKD_PUSH_RETRY);
  EXPECT_EQ(host_.Counter("auth_failures"), 1);
  EXPECT_EQ(host_.Counter("token_refreshes"), 0);

  auto other = Create(Config());
  fake_->SetAccessToken(kToken);
  fake_->faults().Push(fakes::Fault::Status(
      403,
      "{\"errors\":\"[API] This action requires merchant approval for write_inventory scope.\"}"));
  const PushOutcome out = other->Push({{"a", "A", 2, 1}});
  EXPECT_EQ(out.results[0].status, STOCKD_PUSH_RETRY);
  EXPECT_TRUE(Contains(out.results[0].message, "HTTP 403: [API] This action requires merchant"));
  EXPECT_EQ(host_.Counter("auth_failures"), 2);
}

TEST_F(ShopifyAuthTest, FetchReadsTheQuantityOfEachListingAtTheLocation) {
  const int64_t a = fake_->AddStockedItem("A", location_, 5);
  fake_->AddItem("ELSEWHERE");
  const int64_t other_location = fake_->AddLocation("Store");
  fake_->AddStockedItem("OTHER-LOCATION", other_location, 3);
  auto shopify = Create(Config());
  std::vector<int64_t> quantities;
  std::string error;
  ASSERT_EQ(shopify->Fetch({"A", "ELSEWHERE", "NOPE", "OTHER-LOCATION", "A"}, &quantities, &error),
            0)
      << error;
  EXPECT_EQ(quantities, (std::vector<int64_t>{5, -1, -1, -1, 5}));
  EXPECT_EQ(RequestsOf("nodes").size(), 1u);
  const Json vars = Json::parse(RequestsOf("nodes")[0].body)["variables"];
  EXPECT_EQ(vars["names"], Json::array({"available"}));
  EXPECT_EQ(vars["ids"].size(), 3u);

  // on_hand counts the units committed to an order, available does not.
  fake_->PlaceOrder({{"A", 2}}, location_);
  ASSERT_EQ(shopify->Fetch({"A"}, &quantities, &error), 0) << error;
  EXPECT_EQ(quantities, (std::vector<int64_t>{3}));
  auto on_hand = Create(Config({{"quantity_name", "on_hand"}}));
  ASSERT_EQ(on_hand->Fetch({"A"}, &quantities, &error), 0) << error;
  EXPECT_EQ(quantities, (std::vector<int64_t>{5}));

  // A deleted item reads as no listing, and is looked up again next time.
  fake_->DeleteItem(a);
  ASSERT_EQ(shopify->Fetch({"A"}, &quantities, &error), 0) << error;
  EXPECT_EQ(quantities, (std::vector<int64_t>{-1}));
  fake_->ClearRequests();
  ASSERT_EQ(shopify->Fetch({"A"}, &quantities, &error), 0) << error;
  EXPECT_EQ(RequestsOf("inventoryItems").size(), 1u);
}

TEST_F(ShopifyAuthTest, AFetchThatCannotReachShopifyFails) {
  fake_->AddStockedItem("A", location_, 5);
  auto shopify = Create(Config());
  fake_->faults().Push(fakes::Fault::ServerError());
  fake_->faults().Push(fakes::Fault::ServerError());
  std::vector<int64_t> quantities;
  std::string error;
  EXPECT_NE(shopify->Fetch({"A"}, &quantities, &error), 0);
  EXPECT_TRUE(Contains(error, "inventoryItems (POST http://127.0.0.1:"));
  EXPECT_TRUE(Contains(error, "HTTP 500"));
}

}  // namespace
}  // namespace stockd::shopify_test
