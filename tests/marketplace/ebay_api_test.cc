// The eBay adapter's pure parts, compiled in from its sources (they are hidden inside the
// plugin): eBay's timestamps, the reading of per-item errors, the order mapping and the
// revision budget.
#include "adapters/ebay/ebay_api.cc"  // NOLINT(build/include): the plugin's own code

#include <string>
#include <vector>

#include "adapters/ebay/ebay_revisions.cc"  // NOLINT(build/include)
#include "gtest/gtest.h"

namespace stockd::ebay {
namespace {

TEST(EbayApiTest, TimestampsRoundTripInUtc) {
  for (const int64_t ms : {int64_t{0}, int64_t{951782400000} /* 2000-02-29 */,
                           int64_t{1772366400123}, int64_t{4102444799999}}) {
    EXPECT_EQ(ParseIsoMs(FormatIsoMs(ms)), ms) << FormatIsoMs(ms);
  }
  EXPECT_EQ(FormatIsoMs(951782400000), "2000-02-29T00:00:00.000Z");
  EXPECT_EQ(FormatIsoMs(1772366400123), "2026-03-01T12:00:00.123Z");
  EXPECT_EQ(ParseIsoMs("2026-03-01T12:00:00Z"), 1772366400000);
  EXPECT_EQ(ParseIsoMs("2026-03-01T12:00:00.1Z"), 1772366400100);
  EXPECT_EQ(ParseIsoMs("2026-03-01T12:00:00.123456Z"), 1772366400123);
  EXPECT_EQ(ParseIsoMs("2026-03-01T14:00:00.000+02:00"), 1772366400000);
  EXPECT_EQ(ParseIsoMs("2026-03-01T07:30:00.000-04:30"), 1772366400000);
  for (const char* bad :
       {"", "2026-03-01", "2026-03-01T12:00:00", "2026-13-01T00:00:00Z", "2026-03-01T12:00:00.Z",
        "2026-03-01T24:00:00Z", "2026-03-01T12:00:00Zjunk", "yesterday"}) {
    EXPECT_FALSE(ParseIsoMs(bad).has_value()) << bad;
  }
}

TEST(EbayApiTest, ItemErrorsAreClassified) {
  EXPECT_EQ(Classify({}), Verdict::kOk);
  EXPECT_EQ(Classify({{25001, "API_INVENTORY", "APPLICATION", "A system error", ""}}),
            Verdict::kRetry);
  EXPECT_EQ(Classify({{25025, "API_INVENTORY", "APPLICATION", "Concurrent access", ""}}),
            Verdict::kRetry);
  EXPECT_EQ(Classify({{25713, "API_INVENTORY", "REQUEST", "This Offer is not available", ""}}),
            Verdict::kGone);
  EXPECT_EQ(Classify({{25709, "API_INVENTORY", "REQUEST", "Invalid value for quantity", ""}}),
            Verdict::kPermanent);
  EXPECT_EQ(Classify({{25001, "", "", "x", ""}, {25002, "", "", "Any User error", ""}}),
            Verdict::kPermanent);
  // The cap is recognized by its words, whichever errorId eBay gives it.
  EXPECT_EQ(Classify({{25019, "", "", "Cannot revise listing.",
                       "You have exceeded the number of revisions allowed today."}}),
            Verdict::kCapReached);
  EXPECT_EQ(Classify({{21919144, "", "", "This listing has been revised 250 times today", ""}}),
            Verdict::kCapReached);
  EXPECT_EQ(Describe({{25002, "", "", "", "Long only"}, {1, "", "", "short", "long"}}),
            "25002: Long only; 1: short");
}

TEST(EbayApiTest, BulkAnswersAndOffersAreRead) {
  const auto answers = ParseBulkAnswer(
      R"({"responses":[{"statusCode":200,"sku":"A","offerId":"1","warnings":[]},)"
      R"({"statusCode":500,"sku":"B","offerId":"2","errors":[{"errorId":25001,"message":"m"}]}]})");
  ASSERT_TRUE(answers.has_value());
  ASSERT_EQ(answers->size(), 2u);
  EXPECT_EQ((*answers)[1].status_code, 500);
  EXPECT_EQ((*answers)[1].errors[0].error_id, 25001);
  EXPECT_FALSE(ParseBulkAnswer("[]").has_value());
  EXPECT_EQ(
      PickOfferId(R"({"offers":[{"offerId":"1","marketplaceId":"EBAY_GB","status":"PUBLISHED"},)"
                  R"({"offerId":"2","marketplaceId":"EBAY_US","status":"UNPUBLISHED"},)"
                  R"({"offerId":"3","marketplaceId":"EBAY_US","status":"PUBLISHED"}]})",
                  "EBAY_US"),
      "3");
  EXPECT_EQ(PickOfferId(R"({"offers":[],"total":0})", "EBAY_US"), "");
  EXPECT_THROW(PickOfferId(R"({"offers":{}})", "EBAY_US"), stockd::sdk::Error);
  EXPECT_EQ(InventoryQuantity(R"({"sku":"A"})"), 0);
  EXPECT_EQ(InventoryQuantity(R"({"availability":{"shipToLocationAvailability":{"quantity":4}}})"),
            4);
  EXPECT_THROW(InventoryQuantity("<html>"), stockd::sdk::Error);
}

TEST(EbayApiTest, OrdersMapOntoTheOrderModel) {
  const OrdersPage page = ParseOrdersPage(
      R"({"total":2,"orders":[)"
      R"({"orderId":"1","lastModifiedDate":"2026-03-01T12:00:00.000Z",)"
      R"("orderFulfillmentStatus":"IN_PROGRESS","cancelStatus":{"cancelState":"IN_PROGRESS"},)"
      R"("lineItems":[{"lineItemId":"11","sku":"A","quantity":2,"lineItemFulfillmentStatus":"FULFILLED"},)"
      R"({"lineItemId":"12","quantity":1,"lineItemFulfillmentStatus":"NOT_STARTED"}]},)"
      R"({"orderId":"2","lastModifiedDate":"2026-03-01T12:00:01.000Z",)"
      R"("orderFulfillmentStatus":"NOT_STARTED","cancelStatus":{"cancelState":"CANCELED"},)"
      R"("lineItems":[{"lineItemId":"21","sku":"B","quantity":3}]}]})",
      "GET x");
  ASSERT_EQ(page.orders.size(), 2u);
  const stockd::sdk::Order& partly = page.orders[0].order;
  EXPECT_EQ(partly.status, "shipped");  // a cancel request in progress is not a cancel
  EXPECT_EQ(partly.revision, 1772366400000);
  EXPECT_EQ(partly.lines[0].quantity_shipped, 2);
  EXPECT_EQ(partly.lines[1].listing_id, "lineitem:12");
  EXPECT_EQ(partly.lines[1].quantity_shipped, 0);
  const stockd::sdk::Order& cancelled = page.orders[1].order;
  EXPECT_EQ(cancelled.status, "cancelled");
  EXPECT_EQ(cancelled.lines[0].quantity_cancelled, 3);
  EXPECT_THROW(ParseOrdersPage(R"({"orders":[]})", "GET x"), stockd::sdk::Error);
  EXPECT_THROW(ParseOrdersPage(R"({"total":1,"orders":[{"orderId":"1",)"
                               R"("lastModifiedDate":"2026-03-01T12:00:00.000Z",)"
                               R"("orderFulfillmentStatus":"SHIPPED","lineItems":[]}]})",
                               "GET x"),
               stockd::sdk::Error);
}

TEST(EbayRevisionsTest, WindowLimitAndReserve) {
  constexpr int64_t kNoon = 1772366400000;
  RevisionBudget budget({/*daily_limit=*/4, /*reserve=*/2, /*min_interval_ms=*/1000});
  std::string why;
  EXPECT_EQ(budget.WaitMs("o", kNoon, &why), 0);
  budget.Record("o", kNoon);
  EXPECT_EQ(budget.WaitMs("o", kNoon + 400, &why), 600);
  EXPECT_EQ(budget.WaitMs("p", kNoon + 400, &why), 0);  // per offer
  budget.Record("o", kNoon + 1000);
  budget.Record("o", kNoon + 2000);  // 3 used, 1 left (< 2): one per 12 h / 1
  EXPECT_EQ(budget.WaitMs("o", kNoon + 3000, &why), kDayMs / 2 - 3000 - 1000);
  budget.Record("o", kNoon + 3000);
  EXPECT_EQ(budget.UsedToday("o", kNoon + 3000), 4);
  EXPECT_EQ(budget.WaitMs("o", kNoon + 5000, &why), kDayMs / 2 - 5000);  // the limit
  EXPECT_EQ(budget.WaitMs("o", kNoon + kDayMs / 2, &why), 0);            // midnight UTC
  EXPECT_EQ(budget.Exhausted("p", kNoon, 3'600'000), 3'600'000);
  EXPECT_EQ(budget.WaitMs("p", kNoon + 600'000, &why), 3'000'000);
  EXPECT_EQ(budget.WaitMs("p", kNoon + 3'600'000, &why), 0);
  EXPECT_EQ(budget.Exhausted("p", kNoon + kDayMs / 2 - 10, 3'600'000), 10);
  budget.Record("q", kNoon + kDayMs);  // a new day prunes yesterday's offers
  EXPECT_EQ(budget.tracked(), 1u);
}

}  // namespace
}  // namespace stockd::ebay
