// Order polling of the eBay adapter against the fake's order book (getOrders): the
// lifecycle with exact per-line quantities, pages read whole and delivered in change order,
// a window narrowed when more orders changed than a poll reads, an early stop of the
// daemon's sink, the 90-day limit of eBay's filter, and failures.
#include <set>
#include <string>
#include <vector>

#include "tests/fakes/ebay/ebay_answers.h"
#include "tests/marketplace/ebay_test_support.h"

namespace stockd::ebay_test {
namespace {

using fakes::Fault;
using fakes::ebay_answers::FormatIso;

using EbayOrdersTest = EbayTest;

std::vector<std::string> Ids(const PollResult& p) {
  std::vector<std::string> ids;
  for (const PolledOrder& o : p.orders) ids.push_back(o.order_id);
  return ids;
}

TEST_F(EbayOrdersTest, TheLifecycleArrivesWithExactQuantities) {
  fake_->AddListing("SKU-A", "5005000001", 10);
  fake_->AddListing("SKU-B", "5005000002", 5);
  auto ebay = Create(Config());
  ASSERT_NE(ebay, nullptr);
  const int64_t base = SystemNowMs() - 10'000;
  fake_->SetNowMs(base);
  const std::string id = fake_->PlaceOrder({{"SKU-A", 2}, {"SKU-B", 1}, {"", 1}});
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(fake_->Quantity("SKU-A"), 8);  // eBay lowers the listing at the purchase
  EXPECT_EQ(fake_->OfferQuantity("5005000002"), 4);

  // Not paid yet: eBay does not list it.
  const PollResult none = ebay->PollRevisions("");
  ASSERT_EQ(none.rc, 0) << none.error;
  EXPECT_TRUE(none.orders.empty());
  EXPECT_EQ(none.cursor, "");

  fake_->SetNowMs(base + 1000);
  ASSERT_TRUE(fake_->PayOrder(id));
  const PollResult paid = ebay->PollRevisions(none.cursor);
  ASSERT_EQ(paid.rc, 0) << paid.error;
  ASSERT_EQ(paid.orders.size(), 1u);
  const PolledOrder& accepted = paid.orders[0];
  EXPECT_EQ(accepted.order_id, id);
  EXPECT_EQ(accepted.status, STOCKD_ORDER_ACCEPTED);
  EXPECT_EQ(accepted.revision, base + 1000);
  ASSERT_EQ(accepted.lines.size(), 3u);
  ExpectLine(accepted.lines[0], "SKU-A", 2, 0, 0);
  ExpectLine(accepted.lines[1], "SKU-B", 1, 0, 0);
  EXPECT_EQ(accepted.lines[2].listing_id.rfind("lineitem:1000", 0), 0u);
  EXPECT_EQ(paid.cursor, FormatIso(accepted.revision));

  fake_->SetNowMs(base + 2000);
  ASSERT_TRUE(fake_->ShipLines(id, {0}));
  const PollResult shipped = ebay->PollRevisions(paid.cursor);
  ASSERT_EQ(shipped.rc, 0) << shipped.error;
  ASSERT_EQ(shipped.orders.size(), 1u);
  EXPECT_EQ(shipped.orders[0].status, STOCKD_ORDER_SHIPPED);
  EXPECT_GT(shipped.orders[0].revision, accepted.revision);
  ExpectLine(shipped.orders[0].lines[0], "SKU-A", 2, 2, 0);
  ExpectLine(shipped.orders[0].lines[1], "SKU-B", 1, 0, 0);

  fake_->SetNowMs(base + 3000);
  ASSERT_TRUE(fake_->CancelOrder(id));
  EXPECT_EQ(fake_->Quantity("SKU-B"), 5);  // the unshipped unit is back
  EXPECT_EQ(fake_->Quantity("SKU-A"), 8);
  const PollResult cancelled = ebay->PollRevisions(shipped.cursor);
  ASSERT_EQ(cancelled.rc, 0) << cancelled.error;
  ASSERT_EQ(cancelled.orders.size(), 1u);
  const PolledOrder& c = cancelled.orders[0];
  EXPECT_EQ(c.status, STOCKD_ORDER_CANCELLED);
  EXPECT_EQ(c.revision, base + 3000);
  ExpectLine(c.lines[0], "SKU-A", 2, 2, 0);
  ExpectLine(c.lines[1], "SKU-B", 1, 0, 1);
  EXPECT_EQ(c.lines[2].cancelled, 1);

  // Nothing changed since: the cursor is inclusive, so the last revision comes again (the
  // daemon ignores a revision it applied) and the cursor stays.
  const PollResult again = ebay->PollRevisions(cancelled.cursor);
  ASSERT_EQ(again.rc, 0) << again.error;
  ASSERT_EQ(again.orders.size(), 1u);
  EXPECT_EQ(again.orders[0].revision, c.revision);
  EXPECT_EQ(again.cursor, cancelled.cursor);
  EXPECT_EQ(host_.Counter("orders_polled"), 4);

  std::vector<int64_t> quantities;
  std::string error;
  ASSERT_EQ(ebay->Fetch({"SKU-A", "SKU-B"}, &quantities, &error), 0) << error;
  EXPECT_EQ(quantities, (std::vector<int64_t>{8, 5}));
}

TEST_F(EbayOrdersTest, PagesAreReadWholeAndDeliveredInChangeOrder) {
  fake_->AddListing("SKU-A", "5005000001", 100);
  const int64_t base = SystemNowMs() - 30'000;
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    fake_->SetNowMs(base + 10 * i);
    ids.push_back(fake_->PlaceOrder({{"SKU-A", 1}}));
    ASSERT_TRUE(fake_->PayOrder(ids.back()));
  }
  fake_->SetNowMs(base + 100);
  ASSERT_TRUE(fake_->ShipOrder(ids[0]));  // the oldest order changed last
  auto ebay = Create(Config({{"orders_page_size", 2}}));
  ASSERT_NE(ebay, nullptr);
  fake_->ClearRequests();
  const PollResult first = ebay->PollRevisions("");
  ASSERT_EQ(first.rc, 0) << first.error;
  EXPECT_EQ(Ids(first), (std::vector<std::string>{ids[1], ids[2], ids[3], ids[4], ids[0]}));
  EXPECT_EQ(first.orders[4].status, STOCKD_ORDER_SHIPPED);
  EXPECT_EQ(first.cursor, FormatIso(base + 100));
  std::vector<std::string> offsets;
  for (const FakeEbay::RecordedRequest& r : fake_->Requests()) {
    if (r.path != "/sell/fulfillment/v1/order") continue;
    EXPECT_EQ(r.status, 200);
    EXPECT_TRUE(Contains(r.target, "filter=lastmodifieddate:%5B")) << r.target;
    EXPECT_TRUE(Contains(r.target, "..%5D&limit=2&offset=")) << r.target;
    offsets.push_back(r.target.substr(r.target.rfind('=') + 1));
  }
  EXPECT_EQ(offsets, (std::vector<std::string>{"0", "2", "4"}));

  fake_->SetNowMs(base + 200);
  ASSERT_TRUE(fake_->ShipOrder(ids[2]));
  const PollResult next = ebay->PollRevisions(first.cursor);
  ASSERT_EQ(next.rc, 0) << next.error;
  EXPECT_EQ(Ids(next), (std::vector<std::string>{ids[0], ids[2]}));  // ids[0]: at the cursor
  EXPECT_EQ(next.cursor, FormatIso(base + 200));
}

TEST_F(EbayOrdersTest, AWindowWithMoreOrdersThanAPollReadsIsNarrowed) {
  fake_->AddListing("SKU-A", "5005000001", 100);
  const int64_t base = SystemNowMs() - 30'000;
  std::vector<std::string> ids;
  for (int i = 0; i < 7; ++i) {
    fake_->SetNowMs(base + 1000 * i);
    ids.push_back(fake_->PlaceOrder({{"SKU-A", 1}}));
    ASSERT_TRUE(fake_->PayOrder(ids.back()));
  }
  fake_->SetNowMs(0);
  auto ebay = Create(Config({{"orders_page_size", 2}, {"orders_max_pages", 1}}));
  ASSERT_NE(ebay, nullptr);
  std::vector<std::string> delivered;  // first deliveries, in order
  std::set<std::string> seen;
  std::string cursor;
  for (int poll = 0; poll < 10; ++poll) {
    const PollResult p = ebay->PollRevisions(cursor);
    ASSERT_EQ(p.rc, 0) << p.error;
    for (const PolledOrder& o : p.orders) {
      if (seen.insert(o.order_id).second) delivered.push_back(o.order_id);
    }
    if (p.cursor == cursor) break;
    cursor = p.cursor;
  }
  EXPECT_EQ(delivered, ids);
  EXPECT_EQ(cursor, FormatIso(base + 6000 + 1));  // PayOrder came 1 ms after PlaceOrder
}

TEST_F(EbayOrdersTest, ASinkThatStopsKeepsTheCursorAtTheLastOrderItTook) {
  fake_->AddListing("SKU-A", "5005000001", 100);
  const int64_t base = SystemNowMs() - 30'000;
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    fake_->SetNowMs(base + 100 * i);
    ids.push_back(fake_->PlaceOrder({{"SKU-A", 1}}));
    ASSERT_TRUE(fake_->PayOrder(ids.back()));
  }
  auto ebay = Create(Config());
  ASSERT_NE(ebay, nullptr);
  const PollResult two = ebay->PollRevisions("", /*stop_after=*/2);
  ASSERT_EQ(two.rc, 0) << two.error;
  EXPECT_EQ(Ids(two), (std::vector<std::string>{ids[0], ids[1]}));
  EXPECT_EQ(two.cursor, FormatIso(fake_->OrderModifiedMs(ids[1])));
  const PollResult rest = ebay->PollRevisions(two.cursor);
  ASSERT_EQ(rest.rc, 0) << rest.error;
  EXPECT_EQ(Ids(rest), (std::vector<std::string>{ids[1], ids[2]}));
}

TEST_F(EbayOrdersTest, CursorsAreCheckedAndKeptWithinEbays90Days) {
  auto ebay = Create(Config());
  ASSERT_NE(ebay, nullptr);
  const PollResult old = ebay->PollRevisions("2020-01-01T00:00:00.000Z");
  ASSERT_EQ(old.rc, 0) << old.error;
  const std::string target = fake_->Requests().back().target;
  const size_t at = target.find("%5B") + 3;
  const std::optional<int64_t> start =
      fakes::ebay_answers::ParseIso(target.substr(at, target.find("..") - at));
  ASSERT_TRUE(start.has_value()) << target;
  EXPECT_GT(*start, SystemNowMs() - 90LL * 86'400'000);
  EXPECT_EQ(old.cursor, FormatIso(*start));  // nothing older is kept: the cursor moves up
  bool warned = false;
  for (const auto& [level, message] : host_.Logs()) {
    warned = warned || (level == STOCKD_LOG_WARN && Contains(message, "older than the 90 days"));
  }
  EXPECT_TRUE(warned);

  const PollResult bad = ebay->PollRevisions("yesterday");
  EXPECT_NE(bad.rc, 0);
  EXPECT_TRUE(Contains(bad.error, "order cursor \"yesterday\" is not an ISO 8601 timestamp"));
}

TEST_F(EbayOrdersTest, FailuresFailThePollAndAnExpiredTokenIsRefreshed) {
  fake_->AddListing("SKU-A", "5005000001", 100);
  const std::string id = fake_->PlaceOrder({{"SKU-A", 1}});
  ASSERT_TRUE(fake_->PayOrder(id));
  auto ebay = Create(Config());
  ASSERT_NE(ebay, nullptr);
  fake_->faults().Push(Fault::ServerError());
  PollResult p = ebay->PollRevisions("");
  EXPECT_NE(p.rc, 0);
  EXPECT_TRUE(Contains(p.error, "HTTP 500"));
  fake_->faults().Push(Fault::Status(200, R"({"total":1,"orders":[{"orderId":"x"}]})"));
  p = ebay->PollRevisions("");
  EXPECT_NE(p.rc, 0);
  EXPECT_TRUE(Contains(p.error, "answer.orders[0].lastModifiedDate is missing"));
  fake_->ExpireTokens();
  p = ebay->PollRevisions("");
  ASSERT_EQ(p.rc, 0) << p.error;
  EXPECT_EQ(Ids(p), (std::vector<std::string>{id}));
  EXPECT_EQ(fake_->TokensIssued(), 2);
}

}  // namespace
}  // namespace stockd::ebay_test
