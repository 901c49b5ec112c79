// The fake WooCommerce shop refuses what WooCommerce refuses, word for word, and takes
// what it takes: raw HTTP requests (no adapter) for the API key, routes, bodies, batch
// limits, per-item errors and query parameters; totals headers; PHP's coercions.
#include "tests/marketplace/woocommerce_test_support.h"

namespace stockd::woocommerce_test {
namespace {

namespace wp = fakes::wp;

class WooCommerceFakeTest : public WooCommerceTest {
 protected:
  fakes::RawHttpResponse Send(const std::string& method, const std::string& target,
                              std::vector<std::string> headers, const std::string& body = "") {
    return fakes::RawHttp(shop_->port(), method, target, headers, body, /*timeout_ms=*/2000);
  }
  std::string Auth() const {
    return "Authorization: Basic " + fakes::Base64(std::string(kKey) + ":" + kSecret);
  }
};

TEST_F(WooCommerceFakeTest, RefusesRequestsWithoutAValidKey) {
  const std::string batch = "/wp-json/wc/v3/products/batch";
  const std::string body = R"j({"update":[{"id":100,"stock_quantity":1}]})j";
  auto r = Send("POST", batch, {"Content-Type: application/json"}, body);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.body,
            R"j({"code":"woocommerce_rest_cannot_batch","message":"Sorry, you are not allowed to )j"
            R"j(batch manipulate this resource.","data":{"status":401}})j");
  r = Send("GET", "/wp-json/wc/v3/products?sku=A", {});
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.body, R"j({"code":"woocommerce_rest_cannot_view","message":"Sorry, you cannot list )j"
                    R"j(resources.","data":{"status":401}})j");
  r = Send("GET", "/wp-json/wc/v3/orders",
           {"Authorization: Basic " + fakes::Base64(std::string(kKey) + ":cs_wrong")});
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.body,
            R"j({"code":"woocommerce_rest_authentication_error","message":"Consumer secret is )j"
            R"j(invalid.","data":{"status":401}})j");
  EXPECT_TRUE(Contains(r.headers["www-authenticate"], "Basic realm=\"WooCommerce API."));
  // The key in the query string works as well (WooCommerce takes both over HTTPS).
  r = Send(
      "GET",
      "/wp-json/wc/v3/orders?consumer_key=" + std::string(kKey) + "&consumer_secret=" + kSecret,
      {});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "[]");
  shop_->SetKey(kKey, kSecret, "read");
  r = Send("POST", batch, {Auth(), "Content-Type: application/json"}, body);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.body,
            R"j({"code":"woocommerce_rest_authentication_error","message":"The API key provided )j"
            R"j(does not have write permissions.","data":{"status":401}})j");
}

TEST_F(WooCommerceFakeTest, RefusesMalformedBatches) {
  const int64_t id = shop_->AddSimpleProduct("A", 3);
  const std::string batch = "/wp-json/wc/v3/products/batch";
  const std::string json = "Content-Type: application/json";
  std::string items;
  for (int i = 0; i < 101; ++i) {
    items += std::string(items.empty() ? "" : ",") + "{\"id\":" + std::to_string(id) +
             ",\"stock_quantity\":1}";
  }
  auto r = Send("POST", batch, {Auth(), json}, "{\"update\":[" + items + "]}");
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.body,
            R"j({"code":"woocommerce_rest_request_entity_too_large","message":"Unable to accept )j"
            R"j(more than 100 items for this request.","data":{"status":413}})j");
  r = Send("POST", batch, {Auth(), json}, R"j({"update":[{"id":1,)j");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, R"j({"code":"rest_invalid_json","message":"Invalid JSON body passed.","data":)j"
                    R"j({"status":400,"json_error_code":4,"json_error_message":"Syntax error"}})j");
  r = Send("POST", batch, {Auth(), json}, R"j({"update":"all"})j");
  EXPECT_EQ(r.status, 500);
  EXPECT_TRUE(Contains(r.body, R"j("code":"internal_server_error")j"));
  EXPECT_TRUE(Contains(r.body, "There has been a critical error on this website."));
  r = Send("POST", "/wp-json/wc/v3/products/batchx", {Auth(), json}, "{}");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body,
            R"j({"code":"rest_no_route","message":"No route was found matching the URL and )j"
            R"j(request method.","data":{"status":404}})j");
  r = Send("GET", batch, {Auth()});
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(shop_->Stock("A"), 3);
}

TEST_F(WooCommerceFakeTest, AnswersPerItemInsideA200) {
  const int64_t id = shop_->AddSimpleProduct("A", 3);
  const int64_t hoodie = shop_->AddVariableProduct("HOODIE");
  const int64_t small = shop_->AddVariation(hoodie, "HOODIE-S", 1);
  const int64_t cap = shop_->AddVariableProduct("CAP");
  const std::string json = "Content-Type: application/json";
  auto r = Send("POST", "/wp-json/wc/v3/products/batch", {Auth(), json},
                R"j({"update":[{"id":999,"stock_quantity":1},{"stock_quantity":2},)j"
                R"j({"id":)j" +
                    std::to_string(id) + R"j(,"stock_quantity":4,"manage_stock":true}]})j");
  EXPECT_EQ(r.status, 200);
  const Json answer = Json::parse(r.body);
  ASSERT_EQ(answer["update"].size(), 3u);
  EXPECT_EQ(answer["update"][0].dump(),
            R"j({"error":{"code":"woocommerce_rest_product_invalid_id","data":{"status":400},)j"
            R"j("message":"Invalid ID."},"id":999})j");
  EXPECT_EQ(answer["update"][1]["id"], nullptr);
  EXPECT_EQ(answer["update"][1]["error"]["code"], "woocommerce_rest_product_invalid_id");
  EXPECT_EQ(answer["update"][2]["id"], id);
  EXPECT_EQ(answer["update"][2]["stock_quantity"], 4);
  EXPECT_EQ(answer["update"][2]["manage_stock"], true);
  EXPECT_EQ(answer["update"][2]["type"], "simple");
  EXPECT_EQ(shop_->Stock("A"), 4);

  // A variation under another parent, and a product id under variations.
  r = Send("POST", "/wp-json/wc/v3/products/" + std::to_string(cap) + "/variations/batch",
           {Auth(), json},
           R"j({"update":[{"id":)j" + std::to_string(small) + R"j(,"stock_quantity":9},{"id":)j" +
               std::to_string(id) + R"j(,"stock_quantity":9},{"id":5,"stock_quantity":9}]})j");
  EXPECT_EQ(r.status, 200);
  const Json refused = Json::parse(r.body);
  EXPECT_EQ(refused["update"][0]["error"]["code"], "woocommerce_rest_cannot_edit");
  EXPECT_EQ(refused["update"][0]["error"]["message"],
            "Parent product does not match current variation.");
  EXPECT_EQ(refused["update"][1]["error"]["code"], "woocommerce_rest_cannot_edit");
  EXPECT_EQ(refused["update"][2]["error"]["code"], "woocommerce_rest_product_variation_invalid_id");
  EXPECT_EQ(shop_->Stock("HOODIE-S"), 1);
  EXPECT_EQ(shop_->Stock("A"), 4);
}

TEST_F(WooCommerceFakeTest, ReadsBodiesAsWordPressAndPhpDo) {
  const int64_t id = shop_->AddSimpleProduct("A", 3);
  const std::string batch = "/wp-json/wc/v3/products/batch";
  const std::string update =
      R"j({"update":[{"id":)j" + std::to_string(id) + R"j(,"stock_quantity":7}]})j";
  // JSON under another content type: WordPress reads no parameters at all.
  auto r = Send("POST", batch, {Auth(), "Content-Type: text/plain"}, update);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "[]");
  EXPECT_EQ(shop_->Stock("A"), 3);
  // A form is read as PHP reads one.
  r = Send("POST", batch, {Auth(), "Content-Type: application/x-www-form-urlencoded"},
           "update%5B0%5D%5Bid%5D=" + std::to_string(id) + "&update[0][stock_quantity]=8");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(shop_->Stock("A"), 8);
  // Batch items skip the schema: PHP's intval reads the numbers.
  r = Send("POST", batch, {Auth(), "Content-Type: application/json; charset=utf-8"},
           R"j({"update":[{"id":")j" + std::to_string(id) + R"j(","stock_quantity":"12abc"}]})j");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(Json::parse(r.body)["update"][0]["stock_quantity"], 12);
  EXPECT_EQ(shop_->Stock("A"), 12);
  r = Send("POST", batch, {Auth(), "Content-Type: application/json"},
           R"j({"update":[{"id":)j" + std::to_string(id) + R"j(,"stock_quantity":5.9}]})j");
  EXPECT_EQ(shop_->Stock("A"), 5);
  // manage_stock false drops the quantity.
  r = Send("POST", batch, {Auth(), "Content-Type: application/json"},
           R"j({"update":[{"id":)j" + std::to_string(id) + R"j(,"manage_stock":false}]})j");
  EXPECT_EQ(Json::parse(r.body)["update"][0]["stock_quantity"], nullptr);
  EXPECT_EQ(shop_->Stock("A"), std::nullopt);
}

TEST_F(WooCommerceFakeTest, ChecksQueryParametersAndCountsTotals) {
  auto r = Send("GET", "/wp-json/wc/v3/orders?per_page=101", {Auth()});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body,
            R"j({"code":"rest_invalid_param","message":"Invalid parameter(s): per_page","data":)j"
            R"j({"status":400,"params":{"per_page":"per_page must be between 1 (inclusive) and )j"
            R"j(100 (inclusive)"},"details":{"per_page":{"code":"rest_out_of_bounds","message":)j"
            R"j("per_page must be between 1 (inclusive) and 100 (inclusive)","data":null}}}})j");
  // Parameters are checked before the key: an anonymous request gets the same 400.
  r = Send("GET", "/wp-json/wc/v3/orders?modified_after=yesterday&orderby=price&page=0", {});
  EXPECT_EQ(r.status, 400);
  const Json error = Json::parse(r.body);
  EXPECT_EQ(error["message"], "Invalid parameter(s): page, modified_after, orderby");
  EXPECT_EQ(error["data"]["params"]["page"], "page must be greater than or equal to 1");
  EXPECT_EQ(error["data"]["params"]["modified_after"], "Invalid date.");
  EXPECT_EQ(error["data"]["params"]["orderby"],
            "orderby is not one of date, id, include, title, slug, and modified.");
  EXPECT_EQ(error["data"]["details"]["orderby"]["code"], "rest_not_in_enum");

  for (int i = 0; i < 3; ++i) {
    shop_->AddSimpleProduct("P" + std::to_string(i), i);
    shop_->PlaceOrder({{"P0", 1}});
    shop_->AdvanceSeconds(1);
  }
  r = Send("GET", "/wp-json/wc/v3/orders?per_page=2&page=2&orderby=modified&order=asc", {Auth()});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["x-wp-total"], "3");
  EXPECT_EQ(r.headers["x-wp-totalpages"], "2");
  EXPECT_EQ(Json::parse(r.body).size(), 1u);
  // modified_after is exclusive.
  r = Send("GET",
           "/wp-json/wc/v3/orders?dates_are_gmt=true&modified_after=" + wp::FormatDate(kStart + 1),
           {Auth()});
  EXPECT_EQ(r.headers["x-wp-total"], "1");
  r = Send("GET", "/wp-json/wc/v3/products?sku=p1,P2&per_page=100", {Auth()});
  EXPECT_EQ(r.headers["x-wp-total"], "2");  // SKUs compare case-insensitively
}

}  // namespace
}  // namespace stockd::woocommerce_test
