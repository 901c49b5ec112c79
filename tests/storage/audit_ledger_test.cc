// The audit ledger (docs/audit.md) against a real redis-server: every filter, paging
// without gaps or repeats, a page cut short by the scan budget, the ledger served after a
// restart, and a query that reaches past the retention (redis.audit_max_age).
#include "daemon/storage/audit_ledger.h"

#include <gtest/gtest.h>

#include <future>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "daemon/engine/clock.h"
#include "daemon/engine/engine.h"
#include "tests/support/durable_node.h"
#include "tests/support/redis_fixture.h"
#include "tests/support/test_model.h"

namespace stockd {
namespace {

using engine::AuditQuery;
using engine::Command;
using storage::AuditLedger;
using storage::AuditPage;
using testing::ModelBuilder;
using testing::TestRedis;

engine::Model Model() {
  return ModelBuilder()
      .Location("wh")
      .Location("store")
      .Channel("webshop", engine::ChannelType::kWebshop, {"wh"})
      .Channel("pos", engine::ChannelType::kStore, {"store"})
      .Build();
}

class AuditLedgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.ok()) << redis_.status();
    ASSERT_TRUE(Open().ok());
    // Six mutations, one second apart on the engine's clock (which starts at the real
    // time: the ledger narrows time bounds by stream id, Redis's clock).
    Run("erp", "c1", engine::CountCmd{"wh", "SKU-A", 10, std::nullopt, ""});
    Run("erp", "c2", engine::CountCmd{"store", "SKU-A", 5, std::nullopt, ""});
    Run("erp", "c3", engine::CountCmd{"wh", "SKU-B", 7, std::nullopt, ""});
    h1_ = Run("web", "r1", engine::ReserveCmd{"webshop", {{"SKU-A", "", 2, 0}}, 600'000, ""});
    h2_ = Run("till", "r2", engine::ReserveCmd{"pos", {{"SKU-A", "", 1, 0}}, 600'000, ""});
    Run("web", "r3", engine::ReleaseCmd{h1_});
  }

  absl::Status Open() {
    storage::WriteOptions write;
    write.audit_max_age_ms = 3'600'000;  // 1 h
    engine::EngineOptions options;
    options.clock = &clock_;
    return node_.Open(redis_.address(), Model(), options, 1000, write);
  }

  // Runs one mutation at the clock's time, then moves the clock a second on; the hold id.
  std::string Run(const std::string& actor, const std::string& rid, engine::CommandBody body) {
    absl::StatusOr<engine::Outcome> r =
        node_.engine->ExecuteAndWait(Command{{rid, actor}, std::move(body)});
    EXPECT_TRUE(r.ok()) << rid << ": " << r.status();
    times_.push_back(clock_.NowMs());
    clock_.Advance(1000);
    return r.ok() && r->hold.has_value() ? r->hold->hold_id : "";
  }

  AuditLedger Ledger() const {
    storage::AuditLedgerOptions o;
    o.address = redis_.address();
    return AuditLedger(o);
  }

  // Every page of `query`, `limit` at a time: the request ids, newest first.
  std::vector<std::string> All(const AuditQuery& query, int limit = 100,
                               int64_t budget = AuditLedger::kDefaultScanBudget,
                               int* pages = nullptr) const {
    std::vector<std::string> ids;
    std::string token;
    int n = 0;
    do {
      absl::StatusOr<AuditPage> page = Ledger().Query(query, limit, token, budget);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok() || ++n > 100) break;
      EXPECT_EQ(page->entries.size(), page->token_after.size());
      EXPECT_LE(page->entries.size(), static_cast<size_t>(limit));
      for (const engine::AuditEntry& e : page->entries) ids.push_back(e.request_id);
      token = page->next_page_token;
    } while (!token.empty());
    if (pages != nullptr) *pages = n;
    return ids;
  }

  using Ids = std::vector<std::string>;
  TestRedis redis_;
  engine::ManualClock clock_{absl::ToUnixMillis(absl::Now())};
  testing::DurableNode node_;
  std::string h1_, h2_;
  std::vector<int64_t> times_;  // of each mutation, in order
};

TEST_F(AuditLedgerTest, EveryFilterNewestFirst) {
  EXPECT_EQ(All({}), (Ids{"r3", "r2", "r1", "c3", "c2", "c1"}));
  AuditQuery q;
  q.sku = "SKU-B";
  EXPECT_EQ(All(q), (Ids{"c3"}));
  q = {};
  q.location = "store";
  EXPECT_EQ(All(q), (Ids{"r2", "c2"}));
  q.sku = "SKU-A";
  q.location = "wh";  // that SKU at that location
  EXPECT_EQ(All(q), (Ids{"r3", "r1", "c1"}));
  q = {};
  q.channel = "pos";
  EXPECT_EQ(All(q), (Ids{"r2"}));
  q = {};
  q.hold_id = h1_;
  EXPECT_EQ(All(q), (Ids{"r3", "r1"}));
  q = {};
  q.request_id = "r2";
  EXPECT_EQ(All(q), (Ids{"r2"}));
  q = {};
  q.actor = "erp";
  EXPECT_EQ(All(q), (Ids{"c3", "c2", "c1"}));
  q = {};
  q.since_ms = times_[2];  // inclusive
  q.until_ms = times_[4];  // exclusive
  EXPECT_EQ(All(q), (Ids{"r1", "c3"}));
  q.actor = "web";
  EXPECT_EQ(All(q), (Ids{"r1"}));
  q = {};
  q.sku = "SKU-Z";
  EXPECT_EQ(All(q), Ids{});
}

TEST_F(AuditLedgerTest, PagesHaveNoGapsOrRepeats) {
  int pages = 0;
  EXPECT_EQ(All({}, 2, AuditLedger::kDefaultScanBudget, &pages),
            (Ids{"r3", "r2", "r1", "c3", "c2", "c1"}));
  EXPECT_EQ(pages, 3) << "a full last page ends the listing (nothing older matches)";
  EXPECT_EQ(All({}, 4, AuditLedger::kDefaultScanBudget, &pages),
            (Ids{"r3", "r2", "r1", "c3", "c2", "c1"}));
  EXPECT_EQ(pages, 2);
  // The entries carry everything the mutation recorded.
  absl::StatusOr<AuditPage> page = Ledger().Query({}, 1, "");
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->entries.size(), 1u);
  const engine::AuditEntry& release = page->entries[0];
  EXPECT_EQ(release.operation, "release");
  EXPECT_EQ(release.actor, "web");
  EXPECT_EQ(release.hold_id, h1_);
  EXPECT_EQ(release.time_ms, times_[5]);
  ASSERT_EQ(release.after.size(), 1u);
  EXPECT_EQ(release.after[0].counters, (engine::Counters{10, 0, 0}));
  ASSERT_EQ(release.before.size(), 1u);
  EXPECT_EQ(release.before[0].counters, (engine::Counters{10, 2, 0}));
  EXPECT_FALSE(page->next_page_token.empty());
}

// One mutation decoded per page: pages come back short (empty, mostly) with a token that
// goes on where the walk stopped, and the whole listing is still exact.
TEST_F(AuditLedgerTest, AScanBudgetCutsPagesShortButLosesNothing) {
  AuditQuery q;
  q.actor = "erp";
  int pages = 0;
  EXPECT_EQ(All(q, 100, /*budget=*/1, &pages), (Ids{"c3", "c2", "c1"}));
  EXPECT_GE(pages, 6);
  absl::StatusOr<AuditPage> first = Ledger().Query(q, 100, "", 1);
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first->entries.empty());
  EXPECT_EQ(first->scanned, 1);
  EXPECT_FALSE(first->next_page_token.empty());
}

TEST_F(AuditLedgerTest, ATokenItDidNotMakeIsInvalidArgument) {
  for (const std::string token : {"12", "abc/3", "1-0/0", "1-0/x", "1-0", "/5"}) {
    absl::StatusOr<AuditPage> page = Ledger().Query({}, 10, token);
    EXPECT_EQ(page.status().code(), absl::StatusCode::kInvalidArgument) << token;
  }
}

TEST_F(AuditLedgerTest, ServedAfterARestart) {
  node_.Close();
  ASSERT_TRUE(Open().ok());  // a new daemon on the same Redis
  EXPECT_EQ(All({}), (Ids{"r3", "r2", "r1", "c3", "c2", "c1"}));
  Run("web", "r4", engine::ReleaseCmd{h2_});
  AuditQuery q;
  q.hold_id = h2_;
  EXPECT_EQ(All(q), (Ids{"r4", "r2"}));
}

// redis.audit_max_age 1 h: once the engine's clock is an hour past them, the next write
// trims the six entries; a query that walks to the end says the ledger was trimmed and
// where it starts now.
TEST_F(AuditLedgerTest, AQueryPastTheRetentionSaysSo) {
  absl::StatusOr<AuditPage> before = Ledger().Query({}, 100, "");
  ASSERT_TRUE(before.ok());
  EXPECT_FALSE(before->retention_reached) << "nothing was trimmed yet";
  EXPECT_GT(before->oldest_retained_ms, 0);

  clock_.Advance(3'600'000 + 120'000);
  Run("erp", "c4", engine::CountCmd{"wh", "SKU-B", 8, std::nullopt, ""});
  absl::StatusOr<AuditPage> after = Ledger().Query({}, 100, "");
  ASSERT_TRUE(after.ok()) << after.status();
  ASSERT_EQ(after->entries.size(), 1u);
  EXPECT_EQ(after->entries[0].request_id, "c4");
  EXPECT_TRUE(after->retention_reached);
  EXPECT_GE(after->oldest_retained_ms, before->oldest_retained_ms);
  EXPECT_TRUE(after->next_page_token.empty());
  // A filter that matches nothing walks to the end too, and says so.
  AuditQuery q;
  q.actor = "nobody";
  absl::StatusOr<AuditPage> none = Ledger().Query(q, 100, "");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->retention_reached);
  EXPECT_TRUE(none->entries.empty());
}

// QueryAsync answers on the ledger's worker thread what Query answers; once stopped, it
// answers UNAVAILABLE at once.
TEST_F(AuditLedgerTest, QueryAsyncRunsOffTheCallersThreadAndStops) {
  storage::AuditLedgerOptions o;
  o.address = redis_.address();
  AuditLedger ledger(o);
  AuditQuery q;
  q.actor = "erp";
  std::promise<std::pair<absl::StatusOr<AuditPage>, std::thread::id>> answered;
  ledger.QueryAsync(q, 10, "", [&answered](absl::StatusOr<AuditPage> page) {
    answered.set_value({std::move(page), std::this_thread::get_id()});
  });
  auto [page, thread] = answered.get_future().get();
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_NE(thread, std::this_thread::get_id());
  ASSERT_EQ(page->entries.size(), 3u);
  EXPECT_EQ(page->entries[0].request_id, "c3");

  ledger.Stop();
  absl::Status after;
  ledger.QueryAsync(q, 10, "", [&after](absl::StatusOr<AuditPage> page) { after = page.status(); });
  EXPECT_EQ(after.code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace stockd
