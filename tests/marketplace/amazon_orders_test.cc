// The amazon plugin's order polling (searchOrders 2026-01-01) against FakeAmazon's order
// book: pages, the lifecycle with its exact quantities, the cursor when the daemon takes
// less, throttling, Amazon's visibility lag, and the first poll's look-back.
#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "tests/marketplace/amazon_test_support.h"

namespace stockd::amazon_test {
namespace {

using Op = FakeAmazon::Operation;
using fakes::Fault;

TEST_F(AmazonTest, PollsEveryPageAndHandsOrdersOverOldestChangeFirst) {
  StartFake();
  fake_->AddListing("A", 100);
  std::vector<std::string> ids;
  for (int i = 0; i < 7; ++i) ids.push_back(fake_->PlaceOrder({{"A", 1}}, /*paid=*/true));
  ASSERT_TRUE(fake_->PayOrder(fake_->PlaceOrder({{"A", 2}})));  // pending, then paid
  auto amazon = Create(Config({{"orders_page_size", 3}}));
  ASSERT_NE(amazon, nullptr);
  std::vector<Revision> revisions;
  std::string cursor, error;
  ASSERT_EQ(amazon->PollRevisions("", &revisions, &cursor, &error), 0) << error;
  ASSERT_EQ(revisions.size(), 8u);
  for (size_t i = 1; i < revisions.size(); ++i) {
    EXPECT_LE(revisions[i - 1].revision, revisions[i].revision);
  }
  for (int i = 0; i < 7; ++i) {
    EXPECT_EQ(revisions[i].status, STOCKD_ORDER_ACCEPTED);
    ASSERT_EQ(revisions[i].lines.size(), 1u);
    EXPECT_EQ(revisions[i].lines[0].listing_id, "A");
  }
  EXPECT_EQ(fake_->Count(Op::kSearchOrders, 200), 3);  // 3 + 3 + 2
  const auto searches = Recorded(Op::kSearchOrders);
  EXPECT_TRUE(Contains(searches[0].query,
                       "&marketplaceIds=A1PA6795UKMFR9&maxResultsPerPage=3"
                       "&includedData=FULFILLMENT"));
  EXPECT_TRUE(Contains(searches[1].query, "&paginationToken="));
  // The cursor is the last order's lastUpdatedTime; the orders that changed then come again
  // (lastUpdatedAfter is inclusive) and the daemon ignores them as replays.
  EXPECT_EQ(cursor.size(), 20u);  // 2026-12-01T10:00:05Z
  std::vector<Revision> again;
  std::string next;
  ASSERT_EQ(amazon->PollRevisions(cursor, &again, &next, &error), 0) << error;
  ASSERT_FALSE(again.empty());
  EXPECT_EQ(again.back().order_id, revisions.back().order_id);
  EXPECT_EQ(again.back().revision, revisions.back().revision);
  EXPECT_EQ(next, cursor);
}

TEST_F(AmazonTest, TheLifecycleComesWithExactQuantities) {
  StartFake();
  fake_->AddListing("A", 10);
  fake_->AddListing("B", 5);
  auto amazon = Create(Config());
  ASSERT_NE(amazon, nullptr);
  const std::string id = fake_->PlaceOrder({{"A", 3}, {"B", 2}});
  EXPECT_EQ(fake_->Quantity("A"), 7);  // Amazon lowers the listing at the order
  EXPECT_EQ(fake_->Quantity("B"), 3);

  std::string cursor = "", error;
  int64_t last_revision = 0;
  const auto poll = [&]() {
    std::vector<Revision> revisions;
    std::string next;
    EXPECT_EQ(amazon->PollRevisions(cursor, &revisions, &next, &error), 0) << error;
    cursor = next;
    EXPECT_FALSE(revisions.empty());
    Revision r = revisions.empty() ? Revision{} : revisions.back();
    EXPECT_EQ(r.order_id, id);
    EXPECT_GT(r.revision, last_revision);  // every change a new revision
    last_revision = r.revision;
    return r;
  };
  using L = Revision::Line;
  const auto lines = [](const Revision& r) {
    std::vector<std::tuple<std::string, int64_t, int64_t, int64_t>> out;
    for (const L& l : r.lines) out.emplace_back(l.listing_id, l.quantity, l.shipped, l.cancelled);
    return out;
  };
  using Lines = std::vector<std::tuple<std::string, int64_t, int64_t, int64_t>>;

  Revision r = poll();
  EXPECT_EQ(r.status, STOCKD_ORDER_PENDING);
  EXPECT_EQ(lines(r), (Lines{{"A", 3, 0, 0}, {"B", 2, 0, 0}}));

  ASSERT_TRUE(fake_->PayOrder(id));
  r = poll();
  EXPECT_EQ(r.status, STOCKD_ORDER_ACCEPTED);
  EXPECT_EQ(lines(r), (Lines{{"A", 3, 0, 0}, {"B", 2, 0, 0}}));

  ASSERT_TRUE(fake_->ShipOrder(id, "A", 1));
  r = poll();
  EXPECT_EQ(r.status, STOCKD_ORDER_SHIPPED);
  EXPECT_EQ(lines(r), (Lines{{"A", 3, 1, 0}, {"B", 2, 0, 0}}));

  ASSERT_TRUE(fake_->CancelOrder(id));
  r = poll();
  EXPECT_EQ(r.status, STOCKD_ORDER_CANCELLED);
  EXPECT_EQ(lines(r), (Lines{{"A", 3, 1, 2}, {"B", 2, 0, 2}}));
  EXPECT_EQ(fake_->Quantity("A"), 9);  // what was not shipped is given back
  EXPECT_EQ(fake_->Quantity("B"), 5);
  EXPECT_FALSE(fake_->ShipOrder(id, "A", 1));
}

TEST_F(AmazonTest, TheCursorStopsAtTheFirstOrderTheDaemonDidNotTake) {
  StartFake();
  fake_->AddListing("A", 100);
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) {
    ids.push_back(fake_->PlaceOrder({{"A", 1}}));
    ASSERT_TRUE(fake_->PayOrder(ids.back()));  // orders 1 s apart at least
  }
  auto amazon = Create(Config());
  ASSERT_NE(amazon, nullptr);
  std::vector<Revision> first;
  std::string cursor, error;
  ASSERT_EQ(amazon->PollRevisions("", &first, &cursor, &error, /*take=*/2), 0) << error;
  ASSERT_EQ(first.size(), 2u);
  std::vector<Revision> rest;
  std::string next;
  ASSERT_EQ(amazon->PollRevisions(cursor, &rest, &next, &error), 0) << error;
  std::vector<std::string> seen;
  for (const Revision& r : rest) seen.push_back(r.order_id);
  // The orders not taken come again (with those of the same second: replays).
  ASSERT_GE(seen.size(), 2u);
  EXPECT_EQ(std::vector<std::string>(seen.end() - 2, seen.end()),
            std::vector<std::string>({ids[2], ids[3]}));
}

TEST_F(AmazonTest, AThrottledOrdersPollFailsSoTheDaemonBacksOff) {
  StartFake();
  fake_->faults().Push(Fault::Status(
      429,
      R"({"errors":[{"code":"QuotaExceeded","message":"You exceeded your quota for the requested resource."}]})"));
  auto amazon = Create(Config());
  ASSERT_NE(amazon, nullptr);
  std::vector<Revision> revisions;
  std::string cursor, error;
  EXPECT_NE(amazon->PollRevisions("2026-01-01T00:00:00Z", &revisions, &cursor, &error), 0);
  EXPECT_TRUE(Contains(error, "searchOrders: HTTP 429: QuotaExceeded: You exceeded your quota"));
  EXPECT_EQ(host_.Counter("throttled"), 1);
  // The bucket is emptied by the 429: the next poll fails at once, without a call, until
  // the plan (0.0056/s) allows one.
  const size_t calls = fake_->Requests().size();
  std::vector<Revision> none;
  std::string next;
  EXPECT_NE(amazon->PollRevisions("2026-01-01T00:00:00Z", &none, &next, &error), 0);
  EXPECT_TRUE(Contains(error, "rate limit (0.0056/s) allows the next call in")) << error;
  EXPECT_EQ(fake_->Requests().size(), calls);
}

TEST_F(AmazonTest, AnOrderChangeShowsAfterAmazonsLagAndTheOverlapRereadsIt) {
  constexpr auto kLag = std::chrono::milliseconds(1500);  // Amazon: about two minutes
  FakeAmazon::Options options;
  options.orders_lag_ms = kLag.count();
  StartFake(options);
  fake_->AddListing("A", 10);
  auto amazon = Create(Config());
  ASSERT_NE(amazon, nullptr);
  const std::string since = "2026-01-01T00:00:00Z";
  // The fake's clock (steady) puts the order in view at its placing + kLag, so a poll that
  // ended before `placing + kLag` cannot have seen it; on a loaded machine the first poll
  // may end later, and then only the eventual sighting is checked.
  const auto placing = FakeAmazon::Clock::now();
  const std::string id = fake_->PlaceOrder({{"A", 1}}, /*paid=*/true);
  std::vector<Revision> revisions;
  std::string cursor, error;
  ASSERT_EQ(amazon->PollRevisions(since, &revisions, &cursor, &error), 0) << error;
  if (FakeAmazon::Clock::now() < placing + kLag) {
    EXPECT_TRUE(revisions.empty());  // not visible yet
    EXPECT_EQ(cursor, since);        // nothing handed over: the cursor stays
  }
  // searchOrders is scarce (burst 20): poll at most 15 more times, 500 ms apart.
  for (int attempt = 0; attempt < 15 && revisions.empty(); ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    ASSERT_EQ(amazon->PollRevisions(since, &revisions, &cursor, &error), 0) << error;
  }
  ASSERT_EQ(revisions.size(), 1u);
  EXPECT_EQ(revisions[0].order_id, id);
  EXPECT_NE(cursor, since);
}

TEST_F(AmazonTest, TheFirstPollLooksBackThirtyDays) {
  StartFake();
  auto amazon = Create(Config());
  ASSERT_NE(amazon, nullptr);
  const int64_t before = fakes::amazon_fake::NowMs();
  std::vector<Revision> revisions;
  std::string cursor, error;
  ASSERT_EQ(amazon->PollRevisions("", &revisions, &cursor, &error), 0) << error;
  const std::optional<int64_t> from = fakes::amazon_fake::ParseIso8601(cursor);
  ASSERT_TRUE(from.has_value()) << cursor;
  EXPECT_NEAR(static_cast<double>(before - *from), 30.0 * 86'400'000, 5000);
  EXPECT_NE(amazon->PollRevisions("yesterday", &revisions, &cursor, &error), 0);
  EXPECT_TRUE(Contains(error, "orders cursor \"yesterday\" is not an ISO 8601 time"));
}

}  // namespace
}  // namespace stockd::amazon_test
