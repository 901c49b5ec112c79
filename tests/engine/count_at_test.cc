// Counts observed in the past (docs/design.md, "Counts observed in the past"; issue 16
// part 2): a stock take or an ERP export reaches stockd after sales and receipts have
// moved the shelf. The new on_hand is the counted units plus every on_hand movement at
// that location recorded after the count was taken, no movement lost or counted twice.
// The fixture is engine_fixture.h (manual clock).
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "daemon/engine/count_history.h"
#include "gtest/gtest.h"
#include "tests/engine/engine_fixture.h"

namespace stockd::engine {
namespace {

CountCmd CountAt(const std::string& location, const std::string& sku, int64_t counted,
                 int64_t observed_at, std::optional<int64_t> expected = std::nullopt) {
  CountCmd cmd = t::Count(location, sku, counted, expected);
  cmd.observed_at_ms = observed_at;
  return cmd;
}

class CountAtTest : public EngineTest {
 protected:
  // The newest audit entry of `sku`.
  AuditEntry LastAudit(const std::string& sku) {
    std::vector<AuditEntry> entries = engine_->ListAudit(sku, 1);
    EXPECT_EQ(entries.size(), 1u);
    return entries.empty() ? AuditEntry{} : entries.front();
  }
};

TEST_F(CountAtTest, TheCountedUnitsPlusEveryMovementAfterItAndNoneBefore) {
  StockUp();  // A: wh 10, s1 10, s2 5 (counted now, t0)
  clock_.Advance(10 * kMinute);
  Ok(t::Sell("amazon", "wh", "A", 2));  // before the count was taken: already on the shelf
  clock_.Advance(10 * kMinute);
  const int64_t taken = clock_.NowMs();  // the stock take at wh counts 7
  clock_.Advance(10 * kMinute);
  // After it, while the count sheet travels to the office:
  Ok(t::Sell("amazon", "wh", "A", 3));                  // -3
  Ok(t::Adjust("wh", "A", 4, AdjustReason::kReceipt));  // +4
  Ok(t::Adjust("wh", "A", 1, AdjustReason::kReturn));   // +1
  Ok(t::Transfer("wh", "s1", "A", 1));                  // -1
  Ok(t::Transfer("s2", "wh", "A", 2));                  // +2
  const std::string hold = Hold("amazon", {L("A", 1, "wh")});
  Ok(t::Commit(hold));
  Ok(t::Fulfill(hold));               // -1
  Ok(t::Sell("pos1", "s1", "A", 4));  // another location: not netted at wh
  clock_.Advance(10 * kMinute);
  ASSERT_EQ(Row("A", "wh"), (Counters{10 - 2 - 3 + 4 + 1 - 1 + 2 - 1, 0, 0}));

  Outcome o = Ok(CountAt("wh", "A", 7, taken));
  EXPECT_EQ(Str(o.before[0]), "A@wh=10/0/0");
  EXPECT_EQ(Str(o.after[0]), "A@wh=9/0/0") << "7 counted, then -3 +4 +1 -1 +2 -1 = +2";
  EXPECT_EQ(Row("A", "wh"), (Counters{9, 0, 0}));
  EXPECT_EQ(Row("A", "s1"), (Counters{10 + 1 - 4, 0, 0})) << "other rows untouched";
  // The audit entry shows the counted units, when, and what was netted.
  const AuditEntry audit = LastAudit("A");
  EXPECT_EQ(audit.operation, "count");
  EXPECT_EQ(audit.reason, "count 7 observed at " + FormatUtcMs(taken) +
                              "; netted +2 from 6 movements since -> on_hand 9");
}

TEST_F(CountAtTest, ACountOfNowOrWithoutATimeNetsNothing) {
  StockUp();
  clock_.Advance(kMinute);
  Ok(t::Sell("amazon", "wh", "A", 3));
  EXPECT_EQ(Str(Ok(t::Count("wh", "A", 6)).after[0]), "A@wh=6/0/0");
  EXPECT_EQ(LastAudit("A").reason, "count");
  clock_.Advance(kMinute);
  Ok(t::Sell("amazon", "wh", "A", 1));
  // observed now: a sale in the same millisecond is not "after" it.
  EXPECT_EQ(Str(Ok(CountAt("wh", "A", 4, clock_.NowMs())).after[0]), "A@wh=4/0/0");
}

TEST_F(CountAtTest, MovementsBeforeTheCountAreNotNettedAndTheCountsOwnTimeIsExclusive) {
  StockUp();
  clock_.Advance(kMinute);
  const int64_t taken = clock_.NowMs();
  Ok(t::Sell("amazon", "wh", "A", 1));  // at the very millisecond it was taken: on the sheet
  clock_.Advance(1);
  Ok(t::Sell("amazon", "wh", "A", 2));  // one ms later: after it
  clock_.Advance(kMinute);
  EXPECT_EQ(Str(Ok(CountAt("wh", "A", 9, taken)).after[0]), "A@wh=7/0/0");
}

TEST_F(CountAtTest, ConcurrentSalesDuringTheCountAreEachNettedOnce) {
  StockUp();
  Ok(t::Count("wh", "B", 1000));
  clock_.Advance(kMinute);
  const int64_t taken = clock_.NowMs();
  clock_.Advance(1);
  // 8 tills sell B at wh while the count of 900 (taken before every one of these sales)
  // arrives. Each sale is either applied before the count (then netted) or after it
  // (then applied to the netted number): 900 - 400 either way.
  constexpr int kThreads = 8, kSales = 50;
  std::atomic<int> failures{0};
  std::vector<std::thread> tills;
  for (int i = 0; i < kThreads; ++i) {
    tills.emplace_back([&] {
      for (int n = 0; n < kSales; ++n) {
        if (!Run(t::Sell("amazon", "wh", "B", 1)).ok()) failures.fetch_add(1);
      }
    });
  }
  Outcome o = Ok(CountAt("wh", "B", 900, taken));
  for (std::thread& till : tills) till.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(Row("B", "wh"), (Counters{900 - kThreads * kSales, 0, 0}));
  // What the count itself netted: the sales applied before it.
  const int64_t sold_before_count = 1000 - o.before[0].counters.on_hand;
  EXPECT_EQ(o.after[0].counters.on_hand, 900 - sold_before_count);
}

TEST_F(CountAtTest, TillsCountingOneShelfAtOnceAllSucceedAndNetNothing) {
  // Counts of now while the clock ticks: each is the shelf as it is applied. One read its
  // time, another read a later one and was applied first; the first must not be refused
  // as "older than a count applied already", nor net the sale between them.
  StockUp();
  std::atomic<bool> stop{false};
  std::thread ticker([&] {
    while (!stop.load()) clock_.Advance(1);
  });
  constexpr int kThreads = 8, kCounts = 300;
  std::atomic<int> failures{0}, netted{0};
  std::vector<std::thread> tills;
  for (int i = 0; i < kThreads; ++i) {
    tills.emplace_back([&, i] {
      for (int n = 0; n < kCounts; ++n) {
        const int64_t counted = 20 + (i * kCounts + n) % 50;
        absl::StatusOr<Outcome> r = Run(t::Count("wh", "A", counted));
        if (!r.ok()) {
          ADD_FAILURE() << r.status();
          failures.fetch_add(1);
        } else if (r->after[0].counters.on_hand != counted) {
          netted.fetch_add(1);
        }
        if (n % 10 == 0 && !Run(t::Sell("amazon", "wh", "A", 1)).ok()) failures.fetch_add(1);
      }
    });
  }
  for (std::thread& till : tills) till.join();
  stop.store(true);
  ticker.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(netted.load(), 0) << "a count of now set on_hand to something other than counted";
}

TEST_F(CountAtTest, AFutureTimeIsInvalidAndALittleClockSlackIsNow) {
  StockUp();
  clock_.Advance(kMinute);
  EXPECT_REJECTED(kInvalid, CountAt("wh", "A", 3, clock_.NowMs() + kCountClockSlackMs + 1));
  EXPECT_REJECTED(kInvalid, CountAt("wh", "A", 3, clock_.NowMs() + 3'600'000));
  EXPECT_REJECTED(kInvalid, CountAt("wh", "A", 3, -1));
  Ok(t::Sell("amazon", "wh", "A", 1));
  // A till whose clock runs 2 s ahead: taken as now.
  EXPECT_EQ(Str(Ok(CountAt("wh", "A", 3, clock_.NowMs() + 2'000)).after[0]), "A@wh=3/0/0");
}

TEST_F(CountAtTest, OlderThanTheHistoryIsAPreconditionNamingTheOldestTime) {
  const int64_t started = clock_.NowMs();
  StockUp();
  clock_.Advance(kMinute);
  // Before the engine started: the history begins there.
  absl::StatusOr<Outcome> r = Run(CountAt("wh", "A", 3, started - 1));
  EXPECT_EQ(r.status().code(), kPrecondition);
  EXPECT_TRUE(absl::StrContains(r.status().message(), FormatUtcMs(started))) << r.status();
  EXPECT_REJECTED(kPrecondition, CountAt("wh", "A", 3, started - 1));
  // Eight days on: the window (7 days) is the bound.
  constexpr int64_t kDay = 24 * 60 * kMinute;
  clock_.Advance(8 * kDay);
  const int64_t oldest = clock_.NowMs() - 7 * kDay;
  r = Run(CountAt("wh", "A", 3, oldest - 1));
  EXPECT_EQ(r.status().code(), kPrecondition);
  EXPECT_TRUE(absl::StrContains(
      r.status().message(), "the oldest count it can net was observed at " + FormatUtcMs(oldest)))
      << r.status();
  EXPECT_REJECTED(kPrecondition, CountAt("wh", "A", 3, oldest - 1));
  Ok(t::Sell("amazon", "wh", "A", 1));
  EXPECT_EQ(Str(Ok(CountAt("wh", "A", 3, oldest)).after[0]), "A@wh=2/0/0");
}

TEST_F(CountAtTest, MovementsInsideTheWindowNetAfterOldOnesWereDropped) {
  constexpr int64_t kDay = 24 * 60 * kMinute;
  StockUp();
  clock_.Advance(kMinute);
  const int64_t taken = clock_.NowMs();
  clock_.Advance(1);
  Ok(t::Sell("amazon", "wh", "A", 1));
  // At the window's far edge: the sale just after the count still nets.
  clock_.Advance(7 * kDay - 2);
  Ok(t::Sell("amazon", "wh", "A", 1));
  EXPECT_EQ(Str(Ok(CountAt("wh", "A", 10, taken)).after[0]), "A@wh=8/0/0");
  // Eight days on, the next sale drops what left the window (counts that old are refused,
  // so nothing dropped is ever needed); what is inside it nets as before.
  clock_.Advance(8 * kDay);
  const int64_t recent = clock_.NowMs() - kMinute;
  Ok(t::Sell("amazon", "wh", "A", 2));
  Ok(t::Adjust("wh", "A", 5, AdjustReason::kReceipt));
  EXPECT_EQ(Str(Ok(CountAt("wh", "A", 4, recent)).after[0]), "A@wh=7/0/0");
}

TEST_F(CountAtTest, AnOlderCountThanOneAppliedIsStale) {
  StockUp();
  clock_.Advance(kMinute);
  const int64_t first = clock_.NowMs();
  clock_.Advance(kMinute);
  const int64_t second = clock_.NowMs();
  clock_.Advance(kMinute);
  Ok(CountAt("wh", "A", 8, second));
  // The count taken earlier arrives later: the newer one already says what was there.
  absl::StatusOr<Outcome> r = Run(CountAt("wh", "A", 5, first));
  EXPECT_EQ(r.status().code(), kPrecondition);
  EXPECT_TRUE(absl::StrContains(r.status().message(), FormatUtcMs(second))) << r.status();
  EXPECT_REJECTED(kPrecondition, CountAt("wh", "A", 5, first));
  // Another location has its own counts.
  Ok(CountAt("s1", "A", 5, first));
  // The same time again, or a newer one: applied.
  EXPECT_EQ(Str(Ok(CountAt("wh", "A", 6, second)).after[0]), "A@wh=6/0/0");
  EXPECT_EQ(Str(Ok(CountAt("wh", "A", 4, clock_.NowMs())).after[0]), "A@wh=4/0/0");
  // A count without a time is a count of now: every earlier one is stale after it.
  clock_.Advance(kMinute);
  Ok(t::Count("wh", "A", 4));
  EXPECT_REJECTED(kPrecondition, CountAt("wh", "A", 5, clock_.NowMs() - 1));
}

TEST_F(CountAtTest, CompareAndSetComparesTheCurrentOnHand) {
  StockUp();
  clock_.Advance(kMinute);
  const int64_t taken = clock_.NowMs();
  clock_.Advance(1);
  Ok(t::Sell("amazon", "wh", "A", 2));  // on_hand 8
  EXPECT_REJECTED(kAborted, CountAt("wh", "A", 9, taken, /*expected=*/10));
  EXPECT_EQ(Str(Ok(CountAt("wh", "A", 9, taken, /*expected=*/8)).after[0]), "A@wh=7/0/0");
}

TEST_F(CountAtTest, MoreSoldSinceThanCountedLeavesZeroNotBelow) {
  StockUp();
  clock_.Advance(kMinute);
  const int64_t taken = clock_.NowMs();
  clock_.Advance(1);
  Ok(t::Sell("amazon", "wh", "A", 5));
  Outcome o = Ok(CountAt("wh", "A", 2, taken));
  EXPECT_EQ(Str(o.after[0]), "A@wh=0/0/0");
  EXPECT_TRUE(absl::StrContains(LastAudit("A").reason,
                                "netted -5 from 1 movement since -> "
                                "on_hand 0 (not below 0)"))
      << LastAudit("A").reason;
}

TEST_F(CountAtTest, ARequestIdReplaysOnlyTheSameObservedAt) {
  StockUp();
  clock_.Advance(kMinute);
  const int64_t taken = clock_.NowMs();
  clock_.Advance(1);
  Ok(t::Sell("amazon", "wh", "A", 2));
  EXPECT_EQ(Str(Ok(CountAt("wh", "A", 9, taken), "count-1").after[0]), "A@wh=7/0/0");
  Ok(t::Sell("amazon", "wh", "A", 1));
  absl::StatusOr<Outcome> replay = Run(CountAt("wh", "A", 9, taken), "count-1");
  ASSERT_TRUE(replay.ok()) << replay.status();
  EXPECT_TRUE(replay->replayed);
  EXPECT_EQ(Row("A", "wh"), (Counters{6, 0, 0})) << "a replay applies nothing";
  // The same request id with another time is another request: refused, not replayed.
  EXPECT_FALSE(Run(CountAt("wh", "A", 9, taken + 1), "count-1").ok());
  EXPECT_EQ(Row("A", "wh"), (Counters{6, 0, 0}));
}

TEST_F(CountAtTest, AfterARestoreOnlyCountsFromThenOnCanBeNetted) {
  StockUp();
  clock_.Advance(kMinute);
  const int64_t before_restore = clock_.NowMs();
  clock_.Advance(kMinute);
  Snapshot snapshot;
  snapshot.rows.push_back({"A", "wh", Counters{10, 0, 0}});
  snapshot.sequence = 100;
  ASSERT_TRUE(engine_->Restore(snapshot).ok());
  const int64_t restored = clock_.NowMs();
  clock_.Advance(kMinute);
  Ok(t::Sell("amazon", "wh", "A", 1));
  absl::StatusOr<Outcome> r = Run(CountAt("wh", "A", 5, before_restore));
  EXPECT_EQ(r.status().code(), kPrecondition);
  EXPECT_TRUE(absl::StrContains(r.status().message(), FormatUtcMs(restored))) << r.status();
  EXPECT_EQ(Str(Ok(CountAt("wh", "A", 5, restored)).after[0]), "A@wh=4/0/0");
}

TEST_F(CountAtTest, RestoredMovementsAreNettedFromTheStoredHistory) {
  StockUp();
  const int64_t since = clock_.NowMs();
  clock_.Advance(kMinute);
  const int64_t taken = clock_.NowMs();
  clock_.Advance(kMinute);
  Snapshot snapshot;
  snapshot.rows.push_back({"A", "wh", Counters{10, 0, 0}});
  snapshot.rows.push_back({"A", "s1", Counters{4, 0, 0}});
  snapshot.sequence = 100;
  snapshot.history_since_ms = since;
  snapshot.movements = {
      {"A", "wh", taken - 1, -5, false},    // before the count: on the shelf already
      {"A", "wh", taken + 10, -3, false},   // after it: netted
      {"A", "s1", taken + 20, -6, false},   // another location
      {"A", "gone", taken + 30, 9, false},  // a location the config no longer has
      {"B", "wh", taken + 40, 7, false},    // a SKU without stored rows
      {"A", "wh", taken + 50, 2, false},    // netted
      {"A", "wh", clock_.NowMs() - 8 * 24 * 60 * kMinute, 100, false},  // past the 7-day window
  };
  ASSERT_TRUE(engine_->Restore(snapshot).ok());
  clock_.Advance(kMinute);
  Ok(t::Sell("amazon", "wh", "A", 1));  // after the restore: netted too
  Outcome o = Ok(CountAt("wh", "A", 8, taken));
  EXPECT_EQ(Str(o.after[0]), "A@wh=6/0/0") << "8 counted, then -3 +2 -1";
  EXPECT_TRUE(absl::StrContains(LastAudit("A").reason, "netted -2 from 3 movements since"))
      << LastAudit("A").reason;
  EXPECT_EQ(LastAudit("A").observed_at_ms, taken);

  // Older than the stored history: refused, naming since when it is complete.
  absl::StatusOr<Outcome> r = Run(CountAt("s1", "A", 5, since - 1));
  EXPECT_EQ(r.status().code(), kPrecondition);
  EXPECT_TRUE(absl::StrContains(r.status().message(), FormatUtcMs(since))) << r.status();
  // The restored count is a count: an older one than it at wh is stale.
  r = Run(CountAt("wh", "A", 5, taken - 1));
  EXPECT_EQ(r.status().code(), kPrecondition) << "older than the count applied at taken";
}

// The storage layer stamps the history's start with its own clock: one ahead of the
// engine's must not refuse a count of now (found by AuditLedgerTest, whose engine runs
// on a manual clock).
TEST_F(CountAtTest, ACountOfNowNeedsNoHistory) {
  Snapshot snapshot;
  snapshot.rows.push_back({"A", "wh", Counters{10, 0, 0}});
  snapshot.history_since_ms = clock_.NowMs() + kMinute;
  ASSERT_TRUE(engine_->Restore(snapshot).ok());
  EXPECT_EQ(Str(Ok(t::Count("wh", "A", 4)).after[0]), "A@wh=4/0/0");
  EXPECT_REJECTED(kPrecondition, CountAt("wh", "A", 3, clock_.NowMs() - 1));
}

TEST_F(CountAtTest, EveryCountsAuditEntryHasItsObservedTimeAndNothingElseHasOne) {
  StockUp();
  clock_.Advance(kMinute);
  Ok(t::Count("wh", "A", 4));
  EXPECT_EQ(LastAudit("A").observed_at_ms, clock_.NowMs()) << "a count of now";
  Ok(t::Sell("amazon", "wh", "A", 1));
  EXPECT_EQ(LastAudit("A").observed_at_ms, 0);
}

class NoCountHistoryTest : public CountAtTest {
 protected:
  void FixtureOptions(EngineOptions* options) override { options->count_history_ms = 0; }
};

TEST_F(NoCountHistoryTest, OnlyCountsOfNow) {
  StockUp();
  clock_.Advance(kMinute);
  EXPECT_REJECTED(kPrecondition, CountAt("wh", "A", 3, clock_.NowMs() - 1));
  EXPECT_EQ(Str(Ok(CountAt("wh", "A", 3, clock_.NowMs())).after[0]), "A@wh=3/0/0");
  EXPECT_EQ(Str(Ok(t::Count("wh", "A", 2)).after[0]), "A@wh=2/0/0");
}

}  // namespace
}  // namespace stockd::engine
