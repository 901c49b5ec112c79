// The engine's contract (docs/design.md "Operations", proto/stockd/v1/stockd.proto status
// conventions): every operation's state transitions and exact status codes, and that a
// failed call changes nothing. Tests marked CONTRACT assert documented behaviour the
// engine did not show when they were written. The fixture is engine_fixture.h.
//
// This file: request ids (a replay returns the first result and changes nothing), the
// write gate and Restore.
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "tests/engine/engine_fixture.h"

namespace stockd::engine {
namespace {

// ---------------------------------------------------------------- idempotency

TEST_F(EngineTest, ReplayReturnsTheFirstResultAndChangesNothing) {
  StockUp();
  absl::StatusOr<Outcome> first = Run(t::Reserve("web", {L("A", 3)}), "req-1");
  ASSERT_TRUE(first.ok()) << first.status();
  const std::string before = Observe();
  listener_.Take();
  clock_.Advance(5);

  absl::StatusOr<Outcome> replay = Run(t::Reserve("web", {L("A", 3)}), "req-1");
  ASSERT_TRUE(replay.ok()) << replay.status();
  EXPECT_EQ(Str(*replay->hold), Str(*first->hold));
  EXPECT_EQ(Observe(), before);
  EXPECT_EQ(StrChanges(listener_.Take()), "");
  EXPECT_EQ(Row("A", "wh"), (Counters{10, 3, 0}));

  // The hold moves on; the replay still answers with the first result.
  Ok(t::Commit(first->hold->hold_id));
  const std::string committed = Observe();
  replay = Run(t::Reserve("web", {L("A", 3)}), "req-1");
  ASSERT_TRUE(replay.ok()) << replay.status();
  EXPECT_EQ(replay->hold->hold_id, first->hold->hold_id);
  EXPECT_EQ(replay->hold->state, HoldState::kHeld);
  EXPECT_EQ(Observe(), committed);
  EXPECT_EQ(Row("A", "wh"), (Counters{10, 0, 3}));

  // The same id for another request is a misuse.
  EXPECT_REJECTED(kInvalid, t::Reserve("web", {L("A", 4)}), "req-1");
  EXPECT_REJECTED(kInvalid, t::Reserve("pos1", {L("A", 3)}), "req-1");
  EXPECT_REJECTED(kInvalid, t::Adjust("wh", "A", 1), "req-1");
  EXPECT_REJECTED(kInvalid, t::Adjust("wh", "A", 1), std::string(129, 'r'));
}

TEST_F(EngineTest, ReplayOfEveryMutationKind) {
  StockUp();
  const std::string id = Hold("web", {L("A", 3, "wh")});
  struct Step {
    std::string request_id;
    CommandBody body;
  };
  const std::vector<Step> steps = {
      {"sell-1", t::Sell("pos1", "s1", "A", 2)},  {"adjust-1", t::Adjust("wh", "B", 2)},
      {"count-1", t::Count("s2", "A", 7)},        {"transfer-1", t::Transfer("s1", "s2", "A", 1)},
      {"extend-1", t::Extend(id, 5000)},          {"commit-1", t::Commit(id)},
      {"fulfill-1", t::Fulfill(id, {L("A", 1)})}, {"cancel-1", t::Cancel(id)},
  };
  for (const Step& s : steps) {
    SCOPED_TRACE(s.request_id);
    absl::StatusOr<Outcome> first = Run(s.body, s.request_id);
    ASSERT_TRUE(first.ok()) << first.status();
    const std::string after_first = Observe();
    clock_.Advance(1);
    absl::StatusOr<Outcome> again = Run(s.body, s.request_id);
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ(Observe(), after_first);
    EXPECT_EQ(Str(again->before), Str(first->before));
    EXPECT_EQ(Str(again->after), Str(first->after));
    EXPECT_EQ(first->hold.has_value(), again->hold.has_value());
    if (first->hold) {
      EXPECT_EQ(Str(*again->hold), Str(*first->hold));
    }
  }
  EXPECT_EQ(Row("A", "s1"), (Counters{7, 0, 0}));  // 10 - 2 sold - 1 moved
  EXPECT_EQ(Row("A", "s2"), (Counters{8, 0, 0}));  // counted 7 + 1 moved
  EXPECT_EQ(Row("A", "wh"), (Counters{9, 0, 0}));  // 1 fulfilled, 2 cancelled
  EXPECT_EQ(Row("B", "wh"), (Counters{7, 0, 0}));
}

TEST_F(EngineTest, ReplayOfAReleaseIsNotAnError) {
  StockUp();
  const std::string id = Hold("web", {L("A", 3, "wh")});
  absl::StatusOr<Outcome> first = Run(t::Release(id), "rel-1");
  ASSERT_TRUE(first.ok());
  absl::StatusOr<Outcome> again = Run(t::Release(id), "rel-1");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->hold->state, HoldState::kReleased);
  EXPECT_REJECTED(kPrecondition, t::Release(id), "rel-2");
}

TEST_F(EngineTest, FailedCallIsNotRecorded) {
  StockUp();
  EXPECT_REJECTED(kPrecondition, t::Reserve("web", {L("B", 8)}), "retry-1");
  Ok(t::Adjust("wh", "B", 3));
  absl::StatusOr<Outcome> retry = Run(t::Reserve("web", {L("B", 8)}), "retry-1");
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_EQ(Row("B", "wh"), (Counters{8, 8, 0}));
  // A failed validation is not recorded either.
  EXPECT_REJECTED(kNotFound, t::Adjust("wh", "NEW", -1, AdjustReason::kCorrection), "retry-2");
  Ok(t::Adjust("wh", "NEW", 1, AdjustReason::kCorrection), "retry-2-other");
  EXPECT_REJECTED(kAborted, t::Count("wh", "NEW", 5, 3), "retry-3");
  Ok(t::Adjust("wh", "NEW", 2));
  ASSERT_TRUE(Run(t::Count("wh", "NEW", 5, 3), "retry-3").ok());
  EXPECT_EQ(Row("NEW", "wh"), (Counters{5, 0, 0}));
}

// ---------------------------------------------------------------- gate and restore

TEST_F(EngineTest, ClosedGateRejectsEveryMutationAndChangesNothing) {
  StockUp();
  const std::string id = Hold("web", {L("A", 1, "wh")});
  engine_->SetWritable(false, "redis down");
  const auto kUnavailable = absl::StatusCode::kUnavailable;
  EXPECT_REJECTED(kUnavailable, t::Reserve("web", {L("A", 1)}));
  EXPECT_REJECTED(kUnavailable, t::Commit(id));
  EXPECT_REJECTED(kUnavailable, t::Release(id));
  EXPECT_REJECTED(kUnavailable, t::Extend(id, 1000));
  EXPECT_REJECTED(kUnavailable, t::Sell("pos1", "s1", "A", 1));
  EXPECT_REJECTED(kUnavailable, t::Adjust("wh", "A", 1));
  EXPECT_REJECTED(kUnavailable, t::Count("wh", "A", 1));
  EXPECT_REJECTED(kUnavailable, t::Transfer("wh", "s2", "A", 1));
  absl::StatusOr<Outcome> r = Run(t::Adjust("wh", "A", 1));
  EXPECT_NE(r.status().message().find("redis down"), std::string::npos) << r.status();
  // Reads go on.
  EXPECT_EQ(Row("A", "wh"), (Counters{10, 1, 0}));
  engine_->SetWritable(true);
  Ok(t::Release(id));
  EXPECT_EQ(Row("A", "wh"), (Counters{10, 0, 0}));
}

TEST_F(EngineTest, RestoreReplacesTheWholeState) {
  StockUp();
  const int64_t now = clock_.NowMs();
  HoldView hold;
  hold.hold_id = "h-restored";
  hold.channel = "web";
  hold.state = HoldState::kHeld;
  hold.lines = {Line{"A", "wh", 2, 0}};
  hold.created_ms = hold.updated_ms = now;
  hold.deadline_ms = now + 1000;
  const ReserveCmd reserve = t::Reserve("web", {L("A", 2, "wh")});
  Outcome outcome;
  outcome.hold = hold;
  Snapshot snapshot;
  snapshot.rows = {RowView{"A", "wh", Counters{10, 2, 0}}};
  snapshot.holds = {hold};
  // rq-r stored twice (used again after its first record expired, the old bucket not yet
  // gone): the record that expires last answers, wherever it is in the snapshot.
  Outcome stale;
  stale.hold = hold;
  stale.hold->hold_id = "h-stale";
  snapshot.idempotency = {std::make_shared<const IdempotencyRecord>(IdempotencyRecord{
                              "rq-r", Fingerprint(reserve), outcome, now + kMinute}),
                          std::make_shared<const IdempotencyRecord>(IdempotencyRecord{
                              "rq-r", Fingerprint(reserve), stale, now + 30'000})};
  snapshot.sequence = 1000;
  listener_.Take();
  absl::Status st = engine_->Restore(snapshot);
  ASSERT_TRUE(st.ok()) << st;

  EXPECT_EQ(StrChanges(listener_.Take()), "");
  EXPECT_EQ(Row("A", "wh"), (Counters{10, 2, 0}));
  auto rows = engine_->GetStock("A", {});
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(Str(*rows), "A@wh=10/2/0") << "rows not in the snapshot are gone";
  EXPECT_EQ(engine_->GetStock("B", {}).status().code(), kNotFound);
  // Published numbers are recomputed: web 8, amazon floor((8 - 2) / 2) = 3.
  EXPECT_EQ(Published("web", "A"), 8);
  EXPECT_EQ(Published("amazon", "A"), 3);
  EXPECT_EQ(Str(GetHold("h-restored")), Str(hold));
  EXPECT_EQ(engine_->Stats().open_holds, 1);

  // The restored idempotency record answers a replay; nothing changes.
  const std::string before = Observe();
  absl::StatusOr<Outcome> replay = Run(reserve, "rq-r");
  ASSERT_TRUE(replay.ok()) << replay.status();
  ASSERT_TRUE(replay->hold.has_value());
  EXPECT_EQ(replay->hold->hold_id, "h-restored");
  EXPECT_EQ(Observe(), before);

  // The restored hold expires at its deadline; new sequences continue past 1000.
  clock_.Advance(1001);
  EXPECT_EQ(engine_->ExpireDue(), 1);
  EXPECT_EQ(Row("A", "wh"), (Counters{10, 0, 0}));
  std::vector<AuditEntry> audit = engine_->ListAudit("A", 1);
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_GT(audit[0].sequence, 1000u);

  // The stale record's expiry passing does not forget the request id: its own record
  // expires later.
  clock_.Advance(30'000);
  engine_->ExpireDue();
  replay = Run(reserve, "rq-r");
  ASSERT_TRUE(replay.ok()) << replay.status();
  ASSERT_TRUE(replay->hold.has_value());
  EXPECT_EQ(replay->hold->hold_id, "h-restored");
}

TEST_F(EngineTest, RestoreRejectsAnInconsistentSnapshot) {
  StockUp();
  Hold("web", {L("A", 1, "wh")});
  const std::string before = Observe();
  Snapshot held_without_hold;
  held_without_hold.rows = {RowView{"A", "wh", Counters{10, 3, 0}}};
  EXPECT_EQ(engine_->Restore(held_without_hold).code(), kPrecondition);
  Snapshot unknown_location;
  unknown_location.rows = {RowView{"A", "gone", Counters{5, 0, 0}}};
  EXPECT_EQ(engine_->Restore(unknown_location).code(), kPrecondition);
  Snapshot unknown_channel;
  HoldView hold;
  hold.hold_id = "h-1";
  hold.channel = "gone";
  hold.state = HoldState::kHeld;
  hold.lines = {Line{"A", "wh", 1, 0}};
  hold.deadline_ms = clock_.NowMs() + 1000;
  unknown_channel.rows = {RowView{"A", "wh", Counters{10, 1, 0}}};
  unknown_channel.holds = {hold};
  EXPECT_EQ(engine_->Restore(unknown_channel).code(), kPrecondition);
  EXPECT_EQ(Observe(), before) << "a rejected snapshot leaves the engine unchanged";
}

// Duplicate SKUs are found (and named) whatever the number of lines: a scan below 16
// lines, an index from 16 on.

}  // namespace
}  // namespace stockd::engine
