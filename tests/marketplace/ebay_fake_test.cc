// The fake eBay API refuses what eBay refuses, with eBay's status and body: raw requests
// the adapter would never send (too many items, wrong JSON types, no or a forged token, a
// wrong Content-Type, a dead refresh token or client secret, order filters out of range).
#include <string>
#include <vector>

#include "tests/marketplace/ebay_test_support.h"

namespace stockd::ebay_test {
namespace {

using EbayFakeTest = EbayTest;

TEST_F(EbayFakeTest, ItRejectsWhatEbayRejects) {
  fake_->AddListing("SKU-1", "5005000001", 1);
  const std::string token = RawToken();
  ASSERT_FALSE(token.empty());
  const std::string url = "/sell/inventory/v1/bulk_update_price_quantity";
  const std::vector<std::string> json = {"Authorization: Bearer " + token,
                                         "Content-Type: application/json"};
  Json many = {{"requests", Json::array()}};
  for (int i = 0; i < 26; ++i) {
    many["requests"].push_back(
        {{"sku", "SKU-1"}, {"shipToLocationAvailability", {{"quantity", 1}}}});
  }
  RawHttpResponse a = RawHttp(fake_->port(), "POST", url, json, many.dump());
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(a.body,
            R"({"errors":[{"errorId":25709,"domain":"API_INVENTORY","subdomain":"Selling",)"
            R"("category":"REQUEST","message":"Invalid value for requests. Provide 1 to 25 )"
            R"(requests (inventory items) per call.","parameters":[{"name":"fieldName",)"
            R"("value":"requests"}]}]})");

  a = RawHttp(fake_->port(), "POST", url, json,
              R"({"requests":[{"sku":"SKU-1","shipToLocationAvailability":{"quantity":"5"}}]})");
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(a.body,
            R"({"errors":[{"errorId":2004,"domain":"ACCESS","category":"REQUEST",)"
            R"("message":"Invalid request","longMessage":"The request has errors. For help, )"
            R"(see the documentation for this API.","parameters":[{"name":"reason",)"
            R"("value":"Could not serialize field [quantity]"}]}]})");

  a = RawHttp(
      fake_->port(), "POST", url, json,
      R"({"requests":[{"sku":"SKU-1","offers":[{"offerId":5005000001,"availableQuantity":1}]}]})");
  EXPECT_EQ(a.status, 400);
  EXPECT_TRUE(Contains(a.body, "Could not serialize field [offerId]"));

  a = RawHttp(fake_->port(), "POST", url, {"Content-Type: application/json"}, R"({"requests":[]})");
  EXPECT_EQ(a.status, 401);
  EXPECT_EQ(a.body, R"({"errors":[{"errorId":1002,"domain":"OAuth","category":"REQUEST",)"
                    R"("message":"Missing access token","longMessage":"Access token is missing in )"
                    R"(the Authorization HTTP request header."}]})");
  a = RawHttp(fake_->port(), "POST", url,
              {"Authorization: Bearer v^1.1#forged", "Content-Type: application/json"}, "{}");
  EXPECT_EQ(a.status, 401);
  EXPECT_EQ(a.body,
            R"({"errors":[{"errorId":1001,"domain":"OAuth","category":"REQUEST",)"
            R"("message":"Invalid access token","longMessage":"Invalid access token. Check )"
            R"(the value of the Authorization HTTP request header."}]})");
  a = RawHttp(fake_->port(), "POST", url,
              {"Authorization: Bearer " + token, "Content-Type: text/plain"}, "{}");
  EXPECT_EQ(a.status, 415);
  EXPECT_TRUE(Contains(a.body, R"("errorId":2004)"));

  const FakeEbay::Options o;
  a = RawHttp(fake_->port(), "POST", "/identity/v1/oauth2/token",
              {"Authorization: Basic " + fakes::Base64(o.client_id + ":" + o.client_secret),
               "Content-Type: application/x-www-form-urlencoded"},
              "grant_type=refresh_token&refresh_token=wrong");
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(a.body, R"({"error":"invalid_grant","error_description":"the provided authorization )"
                    R"(refresh token is invalid or was issued to another client"})");
  a = RawHttp(fake_->port(), "POST", "/identity/v1/oauth2/token",
              {"Authorization: Basic " + fakes::Base64(o.client_id + ":nope"),
               "Content-Type: application/x-www-form-urlencoded"},
              "grant_type=refresh_token&refresh_token=" + FormEncode(o.refresh_token));
  EXPECT_EQ(a.status, 401);
  EXPECT_EQ(a.body,
            R"({"error":"invalid_client","error_description":"client authentication failed"})");

  const std::vector<std::string> get = {"Authorization: Bearer " + token};
  a = RawHttp(fake_->port(), "GET",
              "/sell/fulfillment/v1/order?filter=lastmodifieddate:%5B2020-01-01T00:00:00.000Z..%5D",
              get);
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(a.body,
            R"({"errors":[{"errorId":30830,"domain":"API_FULFILLMENT","category":"REQUEST",)"
            R"("message":"Start date must be within 90 days of end date and current date."}]})");
  a = RawHttp(fake_->port(), "GET", "/sell/fulfillment/v1/order?filter=lastmodifieddate:2026", get);
  EXPECT_EQ(a.status, 400);
  EXPECT_TRUE(Contains(a.body, R"("errorId":30800)"));
  a = RawHttp(fake_->port(), "GET", "/sell/fulfillment/v1/order?limit=201", get);
  EXPECT_EQ(a.status, 400);
  EXPECT_TRUE(Contains(a.body, R"("errorId":31100,)"));
  EXPECT_TRUE(Contains(a.body, "Invalid limit: 201"));
  a = RawHttp(fake_->port(), "GET", "/sell/inventory/v1/offer?sku=NOPE", get);
  EXPECT_EQ(a.status, 404);
  EXPECT_TRUE(Contains(a.body, R"("errorId":25713)"));
}

}  // namespace
}  // namespace stockd::ebay_test
