// The Shopify fake refuses, with Shopify's statuses and error shapes, what the real Admin
// API refuses: raw requests through libcurl, no adapter code.
#include "tests/marketplace/shopify_test_util.h"

namespace stockd::shopify_test {
namespace {

constexpr char kSetMutation[] =
    "mutation Set($input: InventorySetQuantitiesInput!) {"
    " inventorySetQuantities(input: $input) @idempotent(key: \"KEY\") {"
    " inventoryAdjustmentGroup { id changes { name delta quantityAfterChange } }"
    " userErrors { code field message } } }";

class ShopifyFakeTest : public ShopifyTest {
 protected:
  void SetUp() override {
    ShopifyTest::SetUp();
    item_ = fake_->AddStockedItem("SKU-1", location_, 5);
  }

  RawAnswer Graphql(const Json& body, const std::string& token = kToken,
                    const std::string& content_type = "application/json") {
    return RawPost(Endpoint(), body.dump(),
                   {"X-Shopify-Access-Token: " + token, "Content-Type: " + content_type});
  }
  RawAnswer Query(const std::string& query, const Json& variables = Json::object()) {
    return Graphql({{"query", query}, {"variables", variables}});
  }
  Json Quantity(int64_t quantity, const Json& change_from) const {
    return {{"inventoryItemId", "gid://shopify/InventoryItem/" + std::to_string(item_)},
            {"locationId", "gid://shopify/Location/" + std::to_string(location_)},
            {"quantity", quantity},
            {"changeFromQuantity", change_from}};
  }
  Json Input(const Json& quantities) const {
    return {
        {"input", {{"name", "available"}, {"reason", "correction"}, {"quantities", quantities}}}};
  }
  RawAnswer Set(const Json& quantities, const std::string& key = "k-1") {
    std::string mutation = kSetMutation;
    mutation.replace(mutation.find("KEY"), 3, key);
    return Query(mutation, Input(quantities));
  }

  int64_t item_ = 0;
};

TEST_F(ShopifyFakeTest, AWrongOrMissingTokenIs401) {
  const RawAnswer wrong = Graphql({{"query", "{ shop { name } }"}}, "shpat_nope");
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(wrong.body,
            "{\"errors\":\"[API] Invalid API key or access token (unrecognized login or wrong "
            "password)\"}");
  const RawAnswer missing =
      RawPost(Endpoint(), "{\"query\":\"{ shop { name } }\"}", {"Content-Type: application/json"});
  EXPECT_EQ(missing.status, 401);
}

TEST_F(ShopifyFakeTest, TheWrongContentTypeBodyPathOrMethodIsRefused) {
  EXPECT_EQ(Graphql({{"query", "{ shop { name } }"}}, kToken, "text/plain").status, 415);
  EXPECT_EQ(
      Graphql({{"query", "{ shop { name } }"}}, kToken, "application/json; charset=utf-8").status,
      200);
  const RawAnswer no_query = Graphql({{"variables", Json::object()}});
  EXPECT_EQ(no_query.status, 400);
  EXPECT_EQ(no_query.body, "{\"errors\":{\"query\":\"Required parameter missing or invalid\"}}");
  const RawAnswer path = RawPost(fake_->shop_url() + "/admin/api/2026-04/products.json", "{}",
                                 {"X-Shopify-Access-Token: " + std::string(kToken)});
  EXPECT_EQ(path.status, 404);
}

TEST_F(ShopifyFakeTest, UnknownFieldsArgumentsAndSyntaxAreGraphqlErrors) {
  RawAnswer a = Query("{ shopp { name } }");
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.json["errors"][0]["message"], "Field 'shopp' doesn't exist on type 'QueryRoot'");
  EXPECT_EQ(a.json["errors"][0]["extensions"]["code"], "undefinedField");
  EXPECT_EQ(a.json["errors"][0]["locations"], Json::parse(R"([{"line":1,"column":3}])"));
  EXPECT_FALSE(a.json.contains("data"));

  a = Query("{ inventoryItems(firstt: 1) { edges { node { id } } } }");
  EXPECT_EQ(a.json["errors"][0]["message"],
            "Field 'inventoryItems' doesn't accept argument 'firstt'");
  EXPECT_EQ(a.json["errors"][0]["extensions"]["code"], "argumentNotAccepted");

  a = Query("{ inventoryItems(first: 1) { edges { node { id quantity } } } }");
  EXPECT_EQ(a.json["errors"][0]["message"],
            "Field 'quantity' doesn't exist on type 'InventoryItem'");

  a = Query("{ inventoryItems(first: 1) { edges { node } } }");
  EXPECT_EQ(a.json["errors"][0]["extensions"]["code"], "selectionMismatch");

  a = Query("{ inventoryItems { edges { node { id } } } }");
  EXPECT_EQ(a.json["errors"][0]["message"], "you must provide one of first or last");

  a = Query("{ inventoryItems(first: 251) { edges { node { id } } } }");
  EXPECT_EQ(a.json["errors"][0]["extensions"]["code"], "PAGE_SIZE_INVALID");

  a = Query("query($n: Int!) { inventoryItems(first: 1, after: $m) { edges { node { id } } } }",
            {{"n", 1}});
  ASSERT_EQ(a.json["errors"].size(), 2u);
  EXPECT_EQ(a.json["errors"][0]["message"],
            "Variable $m is used by anonymous query but not declared");
  EXPECT_EQ(a.json["errors"][1]["message"],
            "Variable $n is declared by anonymous query but not used");

  a = Query("query($n: String) { inventoryItems(first: $n) { edges { node { id } } } }");
  EXPECT_EQ(a.json["errors"][0]["message"],
            "Type mismatch on variable $n and argument first (String / Int)");

  a = Query("{ shop { name }");
  EXPECT_EQ(a.json["errors"][0]["message"], "Parse error on end of file (end of file) at [1, 16]");
}

TEST_F(ShopifyFakeTest, TheMutationRequiresTheIdempotentDirective) {
  const std::string without =
      "mutation Set($input: InventorySetQuantitiesInput!) {"
      " inventorySetQuantities(input: $input) { userErrors { code field message } } }";
  const RawAnswer a = Query(without, Input(Json::array({Quantity(9, 5)})));
  EXPECT_EQ(a.status, 200);
  EXPECT_TRUE(a.json["data"]["inventorySetQuantities"].is_null());
  EXPECT_EQ(a.json["errors"][0]["message"],
            "The @idempotent directive is required for inventorySetQuantities (API version "
            "2026-04 and later).");
  EXPECT_EQ(fake_->Quantity(item_, location_), 5);
}

TEST_F(ShopifyFakeTest, InputsShopifyWouldRefuseAreRefused) {
  // More than 250 quantities: refused before anything runs.
  Json many = Json::array();
  for (int i = 0; i < 251; ++i) many.push_back(Quantity(1, nullptr));
  RawAnswer a = Set(many);
  EXPECT_EQ(a.json["errors"][0]["message"],
            "The input array size of 251 is greater than the maximum allowed of 250.");
  EXPECT_EQ(a.json["errors"][0]["extensions"]["code"], "MAX_INPUT_SIZE_EXCEEDED");

  // A malformed gid and an Int beyond 32 bits: the variable is invalid.
  Json bad = Quantity(1, nullptr);
  bad["inventoryItemId"] = "12345";
  a = Set(Json::array({bad}));
  EXPECT_EQ(a.json["errors"][0]["message"],
            "Variable $input of type InventorySetQuantitiesInput! was provided invalid value for "
            "quantities.0.inventoryItemId (Invalid global id '12345')");
  a = Set(Json::array({Quantity(3'000'000'000, nullptr)}));
  EXPECT_EQ(a.json["errors"][0]["extensions"]["problems"][0]["explanation"],
            "Could not coerce value 3000000000 to Int");

  // Over 1,000,000,000 and negative: userErrors naming the quantity; nothing applied.
  a = Set(Json::array({Quantity(1'000'000'001, nullptr), Quantity(-1, nullptr)}), "k-2");
  const Json errors = a.json["data"]["inventorySetQuantities"]["userErrors"];
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors[0]["code"], "INVALID_QUANTITY_TOO_HIGH");
  EXPECT_EQ(errors[0]["field"], Json::parse(R"(["input","quantities","0","quantity"])"));
  EXPECT_EQ(errors[1]["code"], "INVALID_QUANTITY_NEGATIVE");
  EXPECT_EQ(errors[1]["field"], Json::parse(R"(["input","quantities","1","quantity"])"));
  EXPECT_EQ(errors[2]["code"], "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR");
  EXPECT_TRUE(a.json["data"]["inventorySetQuantities"]["inventoryAdjustmentGroup"].is_null());

  // changeFromQuantity must be given, even as null.
  Json missing = Quantity(1, nullptr);
  missing.erase("changeFromQuantity");
  a = Set(Json::array({missing}), "k-3");
  EXPECT_EQ(a.json["data"]["inventorySetQuantities"]["userErrors"][0]["field"],
            Json::parse(R"(["input","quantities","0","changeFromQuantity"])"));
  EXPECT_EQ(fake_->Quantity(item_, location_), 5);
}

TEST_F(ShopifyFakeTest, CompareAndSetAndIdempotencyKeys) {
  RawAnswer a = Set(Json::array({Quantity(9, 4)}), "k-stale");
  EXPECT_EQ(a.json["data"]["inventorySetQuantities"]["userErrors"][0]["code"],
            "CHANGE_FROM_QUANTITY_STALE");
  EXPECT_EQ(fake_->Quantity(item_, location_), 5);
  // The failed key cannot be used again.
  a = Set(Json::array({Quantity(9, 4)}), "k-stale");
  EXPECT_EQ(a.json["data"]["inventorySetQuantities"]["userErrors"][0]["code"],
            "IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED");

  const RawAnswer first = Set(Json::array({Quantity(9, 5)}), "k-ok");
  EXPECT_TRUE(first.json["data"]["inventorySetQuantities"]["userErrors"].empty());
  EXPECT_EQ(first.json["data"]["inventorySetQuantities"]["inventoryAdjustmentGroup"]["changes"][0],
            Json::parse(R"({"name":"available","delta":4,"quantityAfterChange":9})"));
  EXPECT_EQ(fake_->Quantity(item_, location_), 9);
  // A replay answers the first result and changes nothing (its changeFromQuantity is stale).
  const RawAnswer replay = Set(Json::array({Quantity(9, 5)}), "k-ok");
  EXPECT_EQ(replay.json["data"], first.json["data"]);
  EXPECT_EQ(fake_->Quantity(item_, location_), 9);
  // The same key with another input.
  a = Set(Json::array({Quantity(8, 9)}), "k-ok");
  EXPECT_EQ(a.json["data"]["inventorySetQuantities"]["userErrors"][0]["code"],
            "IDEMPOTENCY_KEY_PARAMETER_MISMATCH");
  EXPECT_EQ(fake_->Quantity(item_, location_), 9);
}

TEST_F(ShopifyFakeTest, CostIsReportedAndTooExpensiveQueriesAreRefused) {
  RawAnswer a = Query("{ inventoryItems(first: 100) { edges { node { id sku } } } }");
  EXPECT_EQ(a.json["extensions"]["cost"]["requestedQueryCost"], 102);
  EXPECT_EQ(a.json["extensions"]["cost"]["actualQueryCost"], 3);  // 2 + one item
  EXPECT_EQ(a.json["extensions"]["cost"]["throttleStatus"]["maximumAvailable"], 1000.0);

  a = Query(
      "{ orders(first: 100) { edges { node { id lineItems(first: 250) { edges { node { id "
      "variant { id } } } } } } } }");
  EXPECT_EQ(a.json["errors"][0]["extensions"]["code"], "MAX_COST_EXCEEDED");
  EXPECT_EQ(a.json["errors"][0]["extensions"]["cost"], 50302);
  EXPECT_TRUE(
      Contains(a.json["errors"][0]["message"],
               "Query cost is 50302, which exceeds the single query max cost limit (1000)."));

  fake_->SetAvailablePoints(50);
  a = Query("{ inventoryItems(first: 100) { edges { node { id sku } } } }");
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.json["errors"][0]["extensions"]["code"], "THROTTLED");
  EXPECT_FALSE(a.json.contains("data"));
  EXPECT_EQ(fake_->ThrottledCount("inventoryItems"), 1);
}

TEST_F(ShopifyFakeTest, SearchesAndCursorsReadTheState) {
  fake_->AddStockedItem("SKU-2", location_, 1);
  fake_->AddStockedItem("it's", location_, 1);
  RawAnswer a = Query(
      "query($q: String!) { inventoryItems(first: 10, query: $q) { edges { node { sku } } } }",
      {{"q", "sku:'SKU-2' OR sku:'it\\'s' OR sku:'nope'"}});
  EXPECT_EQ(a.json["data"]["inventoryItems"]["edges"],
            Json::parse(R"([{"node":{"sku":"SKU-2"}},{"node":{"sku":"it's"}}])"));
  a = Query("{ inventoryItems(first: 1, query: \"colour:red\") { edges { node { sku } } } }");
  EXPECT_EQ(a.json["extensions"]["search"][0]["warnings"][0]["message"],
            "Invalid search field for this query.");
  a = Query("{ orders(first: 1, after: \"bm90IGEgY3Vyc29y\") { edges { cursor } } }");
  EXPECT_EQ(a.json["errors"][0]["message"], "Invalid cursor for current pagination sort.");
}

}  // namespace
}  // namespace stockd::shopify_test
