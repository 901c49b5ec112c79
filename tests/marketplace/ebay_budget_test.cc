// The eBay adapter's revision budget against the fake eBay API: one revision per
// coalescing window, the daily limit until midnight UTC, the last revisions of a day
// spread, and eBay's own cap honoured when the adapter's counts were forgotten.
#include <string>

#include "tests/marketplace/ebay_test_support.h"

namespace stockd::ebay_test {
namespace {

// 2026-03-01T12:00:00.000Z: noon UTC, 12 h left in the day.
constexpr int64_t kNoon = 1772366400000;
constexpr int64_t kHourMs = 3'600'000;

using EbayBudgetTest = EbayTest;

TEST_F(EbayBudgetTest, AListingIsRevisedAtMostOncePerCoalescingWindow) {
  fake_->AddListing("SKU-1", "5005000001", 1);
  host_.SetNowMs(kNoon);
  fake_->SetNowMs(kNoon);
  auto ebay = Create(Config({{"min_revision_interval_ms", 60000}}));
  ASSERT_NE(ebay, nullptr);
  ExpectAll(ebay->Push("SKU-1", 5), STOCKD_PUSH_OK);
  host_.SetNowMs(kNoon + 15000);
  const PushOutcome held = ebay->Push("SKU-1", 6);
  ExpectAll(held, STOCKD_PUSH_RETRY);
  EXPECT_EQ(held.results[0].retry_after_ms, 45000);
  EXPECT_STREQ(held.results[0].message,
               "eBay listing 5005000001 (SKU SKU-1) revised 15000 ms ago: the next revision "
               "waits 45000 ms (min_revision_interval_ms 60000)");
  EXPECT_EQ(fake_->Revisions("5005000001"), 1);
  EXPECT_EQ(host_.Counter("revisions_deferred"), 1);
  host_.SetNowMs(kNoon + 60000);
  ExpectAll(ebay->Push("SKU-1", 7), STOCKD_PUSH_OK);
  EXPECT_EQ(fake_->Quantity("SKU-1"), 7);
  EXPECT_EQ(fake_->Revisions("5005000001"), 2);
}

TEST_F(EbayBudgetTest, TheDailyLimitHoldsUntilMidnightUtcAndTheReserveIsSpread) {
  fake_->AddListing("SKU-1", "5005000001", 1);
  host_.SetNowMs(kNoon);
  fake_->SetNowMs(kNoon);
  auto ebay = Create(Config({{"daily_revision_limit", 10}, {"revision_reserve", 5}}));
  ASSERT_NE(ebay, nullptr);
  // 6 revisions leave 4 (< the reserve of 5): one per 12 h / 4 = 3 h from now on.
  for (int i = 0; i < 6; ++i) ExpectAll(ebay->Push("SKU-1", i), STOCKD_PUSH_OK);
  PushOutcome out = ebay->Push("SKU-1", 100);
  ExpectAll(out, STOCKD_PUSH_RETRY);
  EXPECT_EQ(out.results[0].retry_after_ms, 3 * kHourMs);
  EXPECT_TRUE(Contains(out.results[0].message, "only 4 revisions left today (UTC)"));
  int64_t now = kNoon;
  for (int i = 0; i < 4; ++i) {
    now += 3 * kHourMs - 1000;  // 3 h, less what the day has lost meanwhile
    host_.SetNowMs(now);
    out = ebay->Push("SKU-1", 100 + i);
    if (out.results[0].status != STOCKD_PUSH_OK) {
      now += out.results[0].retry_after_ms;
      host_.SetNowMs(now);
      out = ebay->Push("SKU-1", 100 + i);
    }
    ExpectAll(out, STOCKD_PUSH_OK);
  }
  EXPECT_LT(now, kNoon + 12 * kHourMs);  // the last revision was still today
  host_.SetNowMs(now + 1);
  out = ebay->Push("SKU-1", 200);
  ExpectAll(out, STOCKD_PUSH_RETRY);
  EXPECT_EQ(out.results[0].retry_after_ms, kNoon + 12 * kHourMs - now - 1);
  EXPECT_TRUE(Contains(out.results[0].message, "the daily limit of 10"));
  EXPECT_EQ(fake_->Revisions("5005000001"), 10);
  host_.SetNowMs(kNoon + 12 * kHourMs);  // midnight: a new day
  fake_->SetNowMs(kNoon + 12 * kHourMs);
  ExpectAll(ebay->Push("SKU-1", 200), STOCKD_PUSH_OK);
}

TEST_F(EbayBudgetTest, EbaysOwnCapIsHonouredWhenTheCountsWereForgotten) {
  FakeEbay::Options options;
  options.daily_revision_limit = 2;  // e.g. revisions made before a restart
  StartFake(options);
  fake_->AddListing("SKU-1", "5005000001", 1);
  host_.SetNowMs(kNoon);
  fake_->SetNowMs(kNoon);
  auto ebay = Create(Config());
  ASSERT_NE(ebay, nullptr);
  ExpectAll(ebay->Push("SKU-1", 1), STOCKD_PUSH_OK);
  ExpectAll(ebay->Push("SKU-1", 2), STOCKD_PUSH_OK);
  PushOutcome out = ebay->Push("SKU-1", 3);
  ExpectAll(out, STOCKD_PUSH_RETRY);
  // Held for an hour (eBay's day may end before midnight UTC), then probed again.
  EXPECT_EQ(out.results[0].retry_after_ms, kHourMs);
  EXPECT_TRUE(Contains(out.results[0].message, "25019: Cannot revise listing."));
  EXPECT_EQ(host_.Counter("revision_cap_reached"), 1);
  fake_->ClearRequests();
  host_.SetNowMs(kNoon + kHourMs - 1);
  out = ebay->Push("SKU-1", 3);
  ExpectAll(out, STOCKD_PUSH_RETRY);
  EXPECT_EQ(out.results[0].retry_after_ms, 1);
  EXPECT_EQ(fake_->RequestCount("/"), 0);
  host_.SetNowMs(kNoon + kHourMs);
  ExpectAll(ebay->Push("SKU-1", 3), STOCKD_PUSH_RETRY);  // eBay's day is not over
  EXPECT_EQ(fake_->RequestCount("/"), 1);
  // Near midnight UTC the hold ends at midnight.
  host_.SetNowMs(kNoon + 12 * kHourMs - 5000);
  out = ebay->Push("SKU-1", 3);
  EXPECT_EQ(out.results[0].retry_after_ms, 5000);
  host_.SetNowMs(kNoon + 12 * kHourMs);
  fake_->SetNowMs(kNoon + 12 * kHourMs);
  ExpectAll(ebay->Push("SKU-1", 3), STOCKD_PUSH_OK);
}

}  // namespace
}  // namespace stockd::ebay_test
