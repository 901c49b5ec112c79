// FakeAmazon itself, called with raw HTTP requests: it must refuse what Amazon refuses, with
// Amazon's status codes and bodies, so that the plugin tests prove something.
#include <string>
#include <vector>

#include "tests/marketplace/amazon_test_support.h"

namespace stockd::amazon_test {
namespace {

using fakes::RawHttp;
using fakes::RawHttpResponse;

constexpr char kItem[] =
    "/listings/2021-08-01/items/A2STOCKDSELLER/A?marketplaceIds=A1PA6795UKMFR9";
constexpr char kQuantity7[] = R"({"productType":"PRODUCT","patches":[{"op":"merge",
    "path":"/attributes/fulfillment_availability",
    "value":[{"fulfillment_channel_code":"DEFAULT","quantity":7}]}]})";

Json Body(const RawHttpResponse& r) { return Json::parse(r.body, nullptr, false); }

Json ErrorBody(const std::string& code, const std::string& message, const std::string& details) {
  return {{"errors", Json::array({{{"code", code}, {"message", message}, {"details", details}}})}};
}

class AmazonFakeTest : public AmazonTest {
 protected:
  void SetUp() override {
    AmazonTest::SetUp();
    StartFake(FastListings());
    fake_->AddListing("A", 5);
    token_ = AccessToken();
  }
  RawHttpResponse Patch(const std::string& target, const std::string& body,
                        const std::string& content_type = "application/json") {
    return RawHttp(fake_->port(), "PATCH", target,
                   {"x-amz-access-token: " + token_, "Content-Type: " + content_type}, body);
  }
  RawHttpResponse Get(const std::string& target) {
    return RawHttp(fake_->port(), "GET", target, {"x-amz-access-token: " + token_}, "");
  }
  RawHttpResponse Post(const std::string& target, const std::string& body) {
    return RawHttp(fake_->port(), "POST", target,
                   {"x-amz-access-token: " + token_, "Content-Type: application/json"}, body);
  }
  std::string token_;
};

TEST_F(AmazonFakeTest, RefusesAMissingAnUnknownAndAnExpiredToken) {
  const std::string denied = "Access to requested resource is denied.";
  RawHttpResponse r = RawHttp(fake_->port(), "GET", kItem, {}, "");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(Body(r), ErrorBody("Unauthorized", denied, ""));
  r = RawHttp(fake_->port(), "GET", kItem, {"x-amz-access-token: Atza|forged"}, "");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(Body(r), ErrorBody("Unauthorized", denied,
                               "The access token you provided is revoked, malformed or invalid."));
  EXPECT_EQ(Get(kItem).status, 200);
  fake_->ExpireAllTokens();
  r = Get(kItem);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(Body(r),
            ErrorBody("Unauthorized", denied, "The access token you provided has expired."));
}

TEST_F(AmazonFakeTest, TheTokenEndpointRefusesWrongCredentialsAsLoginWithAmazonDoes) {
  const auto token = [&](const std::string& form, const std::string& type) {
    return RawHttp(fake_->port(), "POST", "/auth/o2/token", {"Content-Type: " + type}, form);
  };
  const std::string form_type = "application/x-www-form-urlencoded";
  const std::string good_client = "&client_id=" + fake_->options().client_id;
  RawHttpResponse r =
      token("grant_type=refresh_token&refresh_token=Atzr%7Cstockd-test-refresh-token" +
                good_client + "&client_secret=wrong",
            form_type);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(Body(r), Json::parse(R"({"error":"invalid_client",
                                     "error_description":"Client authentication failed"})"));
  r = token("grant_type=refresh_token&refresh_token=Atzr%7Crevoked" + good_client +
                "&client_secret=" + kSecret,
            form_type);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Body(r)["error"], "invalid_grant");
  r = token(R"({"grant_type":"refresh_token"})", "application/json");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Body(r)["error"], "invalid_request");
  r = token("grant_type=refresh_token&refresh_token=Atzr%7Cstockd-test-refresh-token" +
                good_client + "&client_secret=" + kSecret,
            form_type);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(Body(r)["token_type"], "bearer");
  EXPECT_EQ(Body(r)["expires_in"], 3600);
  EXPECT_EQ(Body(r)["access_token"].get<std::string>().rfind("Atza|", 0), 0u);
}

TEST_F(AmazonFakeTest, RefusesMalformedPatchRequestsAsAmazonDoes) {
  const Json invalid_input = ErrorBody(
      "InvalidInput", "Request has missing or invalid parameters and cannot be parsed.", "");
  RawHttpResponse r = Patch(kItem, kQuantity7, "text/plain");
  EXPECT_EQ(r.status, 415);
  EXPECT_EQ(Body(r)["errors"][0]["code"], "UnsupportedMediaType");
  EXPECT_EQ(Body(r)["errors"][0]["message"], "The request payload is in an unsupported format.");

  r = Patch(kItem, "{\"productType\": ");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Body(r)["errors"][0]["code"], "InvalidInput");
  EXPECT_EQ(Body(r)["errors"][0]["message"], invalid_input["errors"][0]["message"]);
  r = Patch(kItem, R"({"productType":"PRODUCT","patches":[{"op":"increment",
                      "path":"/attributes/fulfillment_availability","value":[]}]})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Body(r)["errors"][0]["details"], "patches[0].op must be add, replace, merge or delete");
  r = Patch(kItem, R"({"patches":[]})");
  EXPECT_EQ(r.status, 400);
  r = Patch("/listings/2021-08-01/items/A2STOCKDSELLER/A", kQuantity7);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Body(r)["errors"][0]["details"], "marketplaceIds is required");
  r = Patch("/listings/2021-08-01/items/A2STOCKDSELLER/A?marketplaceIds=ATVPDKIKX0DER", kQuantity7);
  EXPECT_EQ(r.status, 400);
  r = Patch("/listings/2021-08-01/items/AOTHERSELLER/A?marketplaceIds=A1PA6795UKMFR9", kQuantity7);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(fake_->Quantity("A"), 5);  // none of them changed anything
}

TEST_F(AmazonFakeTest, ValidatesAttributesIntoIssuesWithStatusInvalid) {
  RawHttpResponse r = Patch(kItem, R"({"productType":"PRODUCT","patches":[{"op":"merge",
      "path":"/attributes/fulfillment_availability",
      "value":[{"fulfillment_channel_code":"DEFAULT","quantity":-1}]}]})");
  ASSERT_EQ(r.status, 200);
  Json body = Body(r);
  EXPECT_EQ(body["status"], "INVALID");
  EXPECT_EQ(body["sku"], "A");
  ASSERT_EQ(body["issues"].size(), 1u);
  EXPECT_EQ(body["issues"][0]["code"], "90004114");
  EXPECT_EQ(body["issues"][0]["severity"], "ERROR");
  r = Patch(kItem, R"({"productType":"PRODUCT","patches":[{"op":"merge",
      "path":"/attributes/fulfillment_availability",
      "value":[{"fulfillment_channel_code":"DEFAULT","qty":7}]}]})");
  body = Body(r);
  EXPECT_EQ(body["status"], "INVALID");
  EXPECT_EQ(body["issues"][0]["code"], "4000001");
  EXPECT_EQ(fake_->Quantity("A"), 5);

  r = Patch(kItem, kQuantity7);
  EXPECT_EQ(Body(r)["status"], "ACCEPTED");
  EXPECT_EQ(fake_->Quantity("A"), 7);
  // Amazon accepts a PATCH of a SKU the seller has no listing for, and starts one.
  r = Patch("/listings/2021-08-01/items/A2STOCKDSELLER/NEW?marketplaceIds=A1PA6795UKMFR9",
            kQuantity7);
  EXPECT_EQ(Body(r)["status"], "ACCEPTED");
  EXPECT_TRUE(fake_->HasListing("NEW"));
  r = Get("/listings/2021-08-01/items/A2STOCKDSELLER/NOPE?marketplaceIds=A1PA6795UKMFR9");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(Body(r)["errors"][0]["code"], "NOT_FOUND");
}

TEST_F(AmazonFakeTest, ThrottlesPastTheUsagePlanWithoutRetryAfter) {
  StartFake();  // Amazon's plan: patchListingsItem 5/s, burst 5
  fake_->AddListing("A", 5);
  token_ = AccessToken();
  std::vector<int> statuses;
  RawHttpResponse throttled;
  for (int i = 0; i < 6; ++i) {
    RawHttpResponse r = Patch(kItem, kQuantity7);
    statuses.push_back(r.status);
    if (r.status == 429) throttled = r;
  }
  EXPECT_EQ(statuses, std::vector<int>({200, 200, 200, 200, 200, 429}));
  EXPECT_EQ(Body(throttled),
            ErrorBody("QuotaExceeded", "You exceeded your quota for the requested resource.", ""));
  EXPECT_EQ(throttled.headers.count("retry-after"), 0u);
  EXPECT_EQ(throttled.headers.at("x-amzn-ratelimit-limit"), "5");
}

TEST_F(AmazonFakeTest, SearchTakesAtMostTwentyIdentifiers) {
  std::string identifiers;
  for (int i = 0; i < 21; ++i) identifiers += (i ? "," : "") + std::string("S") + std::to_string(i);
  RawHttpResponse r =
      Get("/listings/2021-08-01/items/A2STOCKDSELLER?marketplaceIds=A1PA6795UKMFR9"
          "&identifiersType=SKU&identifiers=" +
          identifiers);
  EXPECT_EQ(r.status, 400);
  r =
      Get("/listings/2021-08-01/items/A2STOCKDSELLER?marketplaceIds=A1PA6795UKMFR9"
          "&identifiersType=SKU&identifiers=A,NOPE&includedData=fulfillmentAvailability");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(Body(r), Json::parse(R"({"numberOfResults":1,"items":[{"sku":"A",
      "fulfillmentAvailability":[{"fulfillmentChannelCode":"DEFAULT","quantity":5}]}]})"));
}

TEST_F(AmazonFakeTest, FeedDocumentsAndFeedsAreCheckedAndProcessed) {
  RawHttpResponse r = Post("/feeds/2021-06-30/documents", "{}");
  EXPECT_EQ(r.status, 400);
  r = Post("/feeds/2021-06-30/documents", R"({"contentType":"application/json; charset=UTF-8"})");
  ASSERT_EQ(r.status, 201);
  const std::string id = Body(r)["feedDocumentId"];
  const std::string url = Body(r)["url"];
  const std::string target = url.substr(fake_->base_url().size());
  // The presigned URL is signed for its Content-Type.
  r = RawHttp(fake_->port(), "PUT", target, {"Content-Type: text/plain"}, "x");
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("<Code>SignatureDoesNotMatch</Code>"), std::string::npos);
  const std::string spec = R"({"feedType":"JSON_LISTINGS_FEED","marketplaceIds":["A1PA6795UKMFR9"],
                              "inputFeedDocumentId":")" +
                           id + "\"}";
  r = Post("/feeds/2021-06-30/feeds", spec);
  EXPECT_EQ(r.status, 400);  // nothing uploaded yet
  Json feed = {{"header", {{"sellerId", "A2STOCKDSELLER"}, {"version", "2.0"}}},
               {"messages", Json::array()}};
  for (int i = 1; i <= 10001; ++i) {
    feed["messages"].push_back({{"messageId", i},
                                {"sku", "A"},
                                {"operationType", "PATCH"},
                                {"productType", "PRODUCT"},
                                {"patches", Json::parse(kQuantity7)["patches"]}});
  }
  r = RawHttp(fake_->port(), "PUT", target, {"Content-Type: application/json; charset=UTF-8"},
              feed.dump());
  EXPECT_EQ(r.status, 200);
  r = Post("/feeds/2021-06-30/feeds",
           R"({"feedType":"POST_INVENTORY_AVAILABILITY_DATA","marketplaceIds":["A1PA6795UKMFR9"],
               "inputFeedDocumentId":")" +
               id + "\"}");
  EXPECT_EQ(r.status, 400);
  r = Post("/feeds/2021-06-30/feeds", spec);
  ASSERT_EQ(r.status, 202);
  const std::string feed_id = Body(r)["feedId"];
  Json state;
  ASSERT_TRUE(WaitFor([&] {
    state = Body(Get("/feeds/2021-06-30/feeds/" + feed_id));
    return state.value("processingStatus", "") == "FATAL";
  }));  // more than 10,000 messages
  r = Get("/feeds/2021-06-30/documents/" + state["resultFeedDocumentId"].get<std::string>());
  ASSERT_EQ(r.status, 200);
  r = RawHttp(fake_->port(), "GET",
              Body(r)["url"].get<std::string>().substr(fake_->base_url().size()), {}, "");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(Body(r)["issues"][0]["message"], "messages must hold 1 to 10000 messages.");
  EXPECT_EQ(fake_->Quantity("A"), 5);
}

TEST_F(AmazonFakeTest, SearchOrdersChecksItsParameters) {
  const std::string base = "/orders/2026-01-01/orders?marketplaceIds=A1PA6795UKMFR9";
  EXPECT_EQ(Get(base).status, 400);
  EXPECT_EQ(
      Get(base + "&lastUpdatedAfter=2026-01-01T00:00:00Z&createdAfter=2026-01-01T00:00:00Z").status,
      400);
  EXPECT_EQ(Get(base + "&lastUpdatedAfter=yesterday").status, 400);
  EXPECT_EQ(Get(base + "&lastUpdatedAfter=2026-01-01T00:00:00Z&maxResultsPerPage=101").status, 400);
  EXPECT_EQ(Get(base + "&lastUpdatedAfter=2026-01-01T00:00:00Z&includedData=EVERYTHING").status,
            400);
  EXPECT_EQ(Get(base + "&lastUpdatedAfter=2026-01-01T00:00:00Z&paginationToken=forged").status,
            400);
  fake_->PlaceOrder({{"A", 1}});
  RawHttpResponse r = Get(base + "&lastUpdatedAfter=2026-01-01T00:00:00Z");
  ASSERT_EQ(r.status, 200);
  const Json order = Body(r)["orders"][0];
  EXPECT_EQ(order.count("fulfillment"), 0u);  // only with includedData=FULFILLMENT
  EXPECT_EQ(order["orderItems"][0]["product"]["sellerSku"], "A");
  r = Get(base + "&lastUpdatedAfter=2026-01-01T00:00:00Z&includedData=FULFILLMENT");
  EXPECT_EQ(Body(r)["orders"][0]["fulfillment"]["fulfillmentStatus"], "PENDING");
}

}  // namespace
}  // namespace stockd::amazon_test
