// The engine's contract (docs/design.md "Operations", proto/stockd/v1/stockd.proto status
// conventions): every operation's state transitions and exact status codes, and that a
// failed call changes nothing. Tests marked CONTRACT assert documented behaviour the
// engine did not show when they were written. The fixture is engine_fixture.h.
//
// This file: the holds. Reserve, Extend, Commit, Release, Fulfill and Cancel, a hold
// resolving exactly once, and expiry.
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "tests/engine/engine_fixture.h"

namespace stockd::engine {
namespace {

// ---------------------------------------------------------------- Reserve

TEST_F(EngineTest, ReserveTakesFirstSourceWithEnoughAvailWholeLineFromOneLocation) {
  SetStock("wh", "A", 3);
  SetStock("s1", "A", 10);
  const int64_t now = clock_.NowMs();

  Outcome first = Ok(t::Reserve("web", {L("A", 5)}));
  ASSERT_TRUE(first.hold.has_value());
  const HoldView& h = *first.hold;
  EXPECT_FALSE(h.hold_id.empty());
  EXPECT_EQ(h.channel, "web");
  EXPECT_EQ(h.state, HoldState::kHeld);
  ASSERT_EQ(h.lines.size(), 1u);
  EXPECT_EQ(h.lines[0].sku, "A");
  EXPECT_EQ(h.lines[0].location, "s1") << "wh has only 3: the first source with 5 is s1";
  EXPECT_EQ(h.lines[0].qty, 5);
  EXPECT_EQ(h.lines[0].fulfilled, 0);
  EXPECT_EQ(h.created_ms, now);
  EXPECT_EQ(h.updated_ms, now);
  EXPECT_EQ(h.deadline_ms, now + kDefaultTtl);
  EXPECT_EQ(Str(GetHold(h.hold_id)), Str(h));
  EXPECT_EQ(Row("A", "s1"), (Counters{10, 5, 0}));
  EXPECT_EQ(Row("A", "wh"), (Counters{3, 0, 0}));

  Outcome second = Ok(t::Reserve("web", {L("A", 2)}));
  ASSERT_TRUE(second.hold.has_value());
  EXPECT_EQ(second.hold->lines[0].location, "wh");
  EXPECT_NE(second.hold->hold_id, h.hold_id);
  EXPECT_EQ(Row("A", "wh"), (Counters{3, 2, 0}));

  // web may take 1 at wh + 5 at s1 = 6 in total, but no single source has 6: a line
  // that must come whole is refused (a split one: split_test.cc).
  EXPECT_EQ(Reservable("web", "A"), 6);
  EXPECT_REJECTED(kPrecondition, t::ReserveWhole("web", {L("A", 6)}));

  Outcome third = Ok(t::Reserve("web", {L("A", 5)}));
  EXPECT_EQ(third.hold->lines[0].location, "s1");
  EXPECT_EQ(Row("A", "s1"), (Counters{10, 10, 0}));
  EXPECT_EQ(Reservable("web", "A"), 1);
}

TEST_F(EngineTest, ReserveAtExplicitLocation) {
  SetStock("wh", "A", 10);
  SetStock("s1", "A", 10);
  Outcome o = Ok(t::Reserve("web", {L("A", 2, "s1")}));
  EXPECT_EQ(o.hold->lines[0].location, "s1") << "wh had enough, but s1 was asked for";
  EXPECT_EQ(Row("A", "s1"), (Counters{10, 2, 0}));
  EXPECT_EQ(Row("A", "wh"), (Counters{10, 0, 0}));

  // s1 has 8 free; wh could cover 9 but the line names s1.
  EXPECT_REJECTED(kPrecondition, t::Reserve("web", {L("A", 9, "s1")}));
  // pos1 sees s1's free minus the webshop's 2: 6.
  EXPECT_EQ(Reservable("pos1", "A"), 6);
  EXPECT_REJECTED(kPrecondition, t::Reserve("pos1", {L("A", 7, "s1")}));
  EXPECT_REJECTED(kPrecondition, t::Reserve("pos1", {L("A", 7)}));
  Ok(t::Reserve("pos1", {L("A", 6, "s1")}));
  EXPECT_EQ(Row("A", "s1"), (Counters{10, 8, 0}));
  EXPECT_EQ(Reservable("pos1", "A"), 0);
  // The protected 2 are still the webshop's.
  Ok(t::Reserve("web", {L("A", 2, "s1")}));
  EXPECT_EQ(Row("A", "s1"), (Counters{10, 10, 0}));
}

TEST_F(EngineTest, ReserveAtLocationThatIsNotASource) {
  StockUp();
  SetStock("dc", "A", 50);
  EXPECT_REJECTED(kPrecondition, t::Reserve("web", {L("A", 1, "s2")}));
  EXPECT_REJECTED(kPrecondition, t::Reserve("web", {L("A", 1, "dc")}));
  EXPECT_REJECTED(kPrecondition, t::Reserve("pos1", {L("A", 1, "wh")}));
}

TEST_F(EngineTest, ReserveUnknownNames) {
  StockUp();
  EXPECT_REJECTED(kNotFound, t::Reserve("web", {L("NOPE", 1)}));
  EXPECT_REJECTED(kNotFound, t::Reserve("web", {L("A", 1, "nowhere")}));
  EXPECT_REJECTED(kNotFound, t::Reserve("nochannel", {L("A", 1)}));
}

TEST_F(EngineTest, ReserveMalformedInput) {
  StockUp();
  for (const char* sku : {"D", "E", "F"}) SetStock("wh", sku, 5);
  EXPECT_REJECTED(kInvalid, t::Reserve("web", {L("A", 0)}));
  EXPECT_REJECTED(kInvalid, t::Reserve("web", {L("A", -1)}));
  EXPECT_REJECTED(kInvalid, t::Reserve("web", {L("A", kMaxQuantity + 1)}));
  EXPECT_REJECTED(kInvalid, t::Reserve("web", {L("bad sku!", 1)}));
  EXPECT_REJECTED(kInvalid, t::Reserve("web", {L("", 1)}));
  EXPECT_REJECTED(kInvalid, t::Reserve("web", {L(std::string(129, 'A'), 1)}));
  EXPECT_REJECTED(kInvalid, t::Reserve("web", {L("A", 1, "bad loc!")}));
  EXPECT_REJECTED(kInvalid, t::Reserve("bad channel!", {L("A", 1)}));
  EXPECT_REJECTED(kInvalid, t::Reserve("web", {}));
  EXPECT_REJECTED(kInvalid, t::Reserve("web", {L("A", 1), L("B", 1), L("A", 2)}));
  EXPECT_REJECTED(kInvalid, t::Reserve("web", {L("A", 1), L("B", 1), L("C", 1, "s1"), L("D", 1),
                                               L("E", 1), L("F", 1)}));
  EXPECT_REJECTED(kInvalid, t::Reserve("web", {L("A", 1)}, 50));  // ttl below 100 ms
  EXPECT_REJECTED(kInvalid, t::Reserve("web", {L("A", 1)}, 8LL * 24 * 3600 * 1000));
  EXPECT_REJECTED(kInvalid, t::Reserve("web", {L("A", 1)}, -5));
  ReserveCmd long_reference = t::Reserve("web", {L("A", 1)});
  long_reference.reference = std::string(kMaxTextBytes + 1, 'x');
  EXPECT_REJECTED(kInvalid, long_reference);

  // Exactly max_lines lines is fine.
  Outcome o = Ok(t::Reserve("web", {L("A", 1), L("B", 1), L("C", 1, "s1"), L("D", 1), L("E", 1)}));
  ASSERT_TRUE(o.hold.has_value());
  EXPECT_EQ(o.hold->lines.size(), 5u);
}

TEST_F(EngineTest, ReserveIsAllOrNone) {
  StockUp();
  // B has 5: the second line fails and the first must not be held either.
  EXPECT_REJECTED(kPrecondition, t::Reserve("web", {L("A", 2), L("B", 6)}));
  EXPECT_REJECTED(kNotFound, t::Reserve("web", {L("A", 2), L("NOPE", 1)}));
  EXPECT_REJECTED(kPrecondition, t::Reserve("web", {L("A", 2), L("B", 1, "s2")}));
  EXPECT_REJECTED(kNotFound, t::Reserve("web", {L("A", 2), L("B", 1, "nowhere")}));
  EXPECT_REJECTED(kInvalid, t::Reserve("web", {L("A", 2), L("B", 0)}));
  EXPECT_REJECTED(kInvalid, t::Reserve("web", {L("A", 2), L("bad sku!", 1)}));
  EXPECT_EQ(Row("A", "wh"), (Counters{10, 0, 0}));

  Outcome o = Ok(t::Reserve("web", {L("A", 2), L("B", 5), L("C", 3)}));
  ASSERT_EQ(o.hold->lines.size(), 3u);
  EXPECT_EQ(o.hold->lines[0].location, "wh");
  EXPECT_EQ(o.hold->lines[1].location, "wh");
  EXPECT_EQ(o.hold->lines[2].location, "s1");
  EXPECT_EQ(Row("A", "wh"), (Counters{10, 2, 0}));
  EXPECT_EQ(Row("B", "wh"), (Counters{5, 5, 0}));
  EXPECT_EQ(Row("C", "s1"), (Counters{3, 3, 0}));
}

TEST_F(EngineTest, ErrorMessagesNameTheCause) {
  StockUp();
  // proto Reserve: "FAILED_PRECONDITION when a line cannot be covered; the message names
  // the sku".
  absl::StatusOr<Outcome> r = Run(t::Reserve("web", {L("A", 2), L("B", 6)}));
  ASSERT_EQ(r.status().code(), kPrecondition);
  EXPECT_NE(r.status().message().find("'B'"), std::string::npos) << r.status();
  // proto Count: "ABORTED otherwise, with the current value in the message".
  r = Run(t::Count("wh", "A", 3, 4));
  ASSERT_EQ(r.status().code(), kAborted);
  EXPECT_NE(r.status().message().find("10"), std::string::npos) << r.status();
  r = Run(t::Reserve("web", {L("NOPE", 1)}));
  ASSERT_EQ(r.status().code(), kNotFound);
  EXPECT_NE(r.status().message().find("NOPE"), std::string::npos) << r.status();
}

TEST_F(EngineTest, HoldKeepsItsReference) {
  StockUp();
  ReserveCmd cmd = t::Reserve("web", {L("A", 1)});
  cmd.reference = "cart-7";
  Outcome o = Ok(cmd);
  EXPECT_EQ(o.hold->reference, "cart-7");
  EXPECT_EQ(GetHold(o.hold->hold_id).reference, "cart-7");
  Ok(t::Commit(o.hold->hold_id));
  EXPECT_EQ(GetHold(o.hold->hold_id).reference, "cart-7");
}

// ---------------------------------------------------------------- Extend

TEST_F(EngineTest, ExtendMovesTheDeadline) {
  StockUp();
  const std::string id = Hold("web", {L("A", 3, "wh")}, 1000);
  const int64_t created = clock_.NowMs();
  EXPECT_EQ(GetHold(id).deadline_ms, created + 1000);
  clock_.Advance(800);
  listener_.Take();
  Outcome o = Ok(t::Extend(id, 1000));
  ASSERT_TRUE(o.hold.has_value());
  EXPECT_EQ(o.hold->deadline_ms, created + 1800);
  EXPECT_EQ(o.hold->updated_ms, created + 800);
  EXPECT_EQ(o.hold->state, HoldState::kHeld);
  EXPECT_EQ(GetHold(id).deadline_ms, created + 1800);
  EXPECT_EQ(StrChanges(listener_.Take()), "") << "an extend changes no published number";

  clock_.Advance(500);  // past the first deadline, before the new one
  EXPECT_EQ(engine_->ExpireDue(), 0);
  EXPECT_EQ(GetHold(id).state, HoldState::kHeld);
  EXPECT_EQ(Row("A", "wh"), (Counters{10, 3, 0}));
  clock_.Advance(501);
  EXPECT_EQ(engine_->ExpireDue(), 1);
  EXPECT_EQ(GetHold(id).state, HoldState::kExpired);

  // ttl 0 = the default.
  const std::string other = Hold("web", {L("A", 1, "wh")});
  EXPECT_EQ(Ok(t::Extend(other, 0)).hold->deadline_ms, clock_.NowMs() + kDefaultTtl);
}

TEST_F(EngineTest, ExtendErrors) {
  StockUp();
  const std::string id = Hold("web", {L("A", 3, "wh")});
  EXPECT_REJECTED(kInvalid, t::Extend(id, 50));
  EXPECT_REJECTED(kInvalid, t::Extend(id, -1));
  EXPECT_REJECTED(kInvalid, t::Extend("bad id!", 1000));
  EXPECT_REJECTED(kInvalid, t::Extend("", 1000));
  EXPECT_REJECTED(kNotFound, t::Extend("h-unknown", 1000));
  Ok(t::Commit(id));
  EXPECT_REJECTED(kPrecondition, t::Extend(id, 1000));
}

// ---------------------------------------------------------------- Commit

TEST_F(EngineTest, CommitWholeHold) {
  StockUp();
  const std::string id = Hold("web", {L("A", 3, "wh"), L("B", 2)});
  clock_.Advance(10);
  Outcome o = Ok(t::Commit(id));
  ASSERT_TRUE(o.hold.has_value());
  EXPECT_EQ(o.hold->state, HoldState::kCommitted);
  EXPECT_EQ(o.hold->deadline_ms, 0) << "0 once committed";
  EXPECT_EQ(o.hold->updated_ms, clock_.NowMs());
  ASSERT_EQ(o.hold->lines.size(), 2u);
  EXPECT_EQ(o.hold->lines[0].qty, 3);
  EXPECT_EQ(o.hold->lines[0].fulfilled, 0);
  EXPECT_EQ(o.hold->lines[1].qty, 2);
  EXPECT_EQ(Row("A", "wh"), (Counters{10, 0, 3}));
  EXPECT_EQ(Row("B", "wh"), (Counters{5, 0, 2}));
  EXPECT_EQ(Reservable("web", "A"), 17);
  EXPECT_EQ(Str(GetHold(id)), Str(*o.hold));
  // A committed hold never expires.
  clock_.Advance(2 * kDefaultTtl);
  EXPECT_EQ(engine_->ExpireDue(), 0);
  EXPECT_EQ(GetHold(id).state, HoldState::kCommitted);
}

TEST_F(EngineTest, PartialCommitReleasesTheRest) {
  StockUp();
  const std::string id = Hold("web", {L("A", 3, "wh"), L("B", 2), L("C", 1)});
  Outcome o = Ok(t::Commit(id, {L("A", 1)}));
  ASSERT_TRUE(o.hold.has_value());
  EXPECT_EQ(o.hold->state, HoldState::kCommitted);
  ASSERT_EQ(o.hold->lines.size(), 1u) << "the released lines are dropped";
  EXPECT_EQ(o.hold->lines[0].sku, "A");
  EXPECT_EQ(o.hold->lines[0].location, "wh");
  EXPECT_EQ(o.hold->lines[0].qty, 1);
  EXPECT_EQ(Row("A", "wh"), (Counters{10, 0, 1}));
  EXPECT_EQ(Row("B", "wh"), (Counters{5, 0, 0}));
  EXPECT_EQ(Row("C", "s1"), (Counters{3, 0, 0}));

  const std::string two = Hold("web", {L("A", 3, "wh"), L("B", 2), L("C", 1)});
  o = Ok(t::Commit(two, {L("B", 2), L("A", 2, "ignored-location")}));
  ASSERT_EQ(o.hold->lines.size(), 2u);
  EXPECT_EQ(Row("A", "wh"), (Counters{10, 0, 3}));
  EXPECT_EQ(Row("B", "wh"), (Counters{5, 0, 2}));
  EXPECT_EQ(Row("C", "s1"), (Counters{3, 0, 0}));
}

TEST_F(EngineTest, CommitErrors) {
  StockUp();
  const std::string id = Hold("web", {L("A", 3, "wh"), L("B", 2)});
  EXPECT_REJECTED(kInvalid, t::Commit(id, {L("A", 4)}));  // more than held
  EXPECT_REJECTED(kInvalid, t::Commit(id, {L("A", 0)}));
  EXPECT_REJECTED(kInvalid, t::Commit(id, {L("A", -1)}));
  EXPECT_REJECTED(kInvalid, t::Commit(id, {L("C", 1)}));  // not in the hold
  EXPECT_REJECTED(kInvalid, t::Commit(id, {L("A", 1), L("A", 1)}));
  EXPECT_REJECTED(kInvalid, t::Commit(id, {L("bad sku!", 1)}));
  EXPECT_REJECTED(kInvalid, t::Commit("bad id!"));
  EXPECT_REJECTED(kInvalid, t::Commit(""));
  EXPECT_REJECTED(kNotFound, t::Commit("h-unknown"));
  Ok(t::Commit(id));
  EXPECT_REJECTED(kPrecondition, t::Commit(id));
}

// ---------------------------------------------------------------- a hold resolves once

TEST_F(EngineTest, ReleaseFreesHeldUnits) {
  StockUp();
  const std::string id = Hold("web", {L("A", 3, "wh"), L("C", 1)});
  EXPECT_EQ(Reservable("web", "A"), 17);
  Outcome o = Ok(t::Release(id));
  EXPECT_EQ(o.hold->state, HoldState::kReleased);
  EXPECT_EQ(o.hold->deadline_ms, 0);
  EXPECT_EQ(Row("A", "wh"), (Counters{10, 0, 0}));
  EXPECT_EQ(Row("C", "s1"), (Counters{3, 0, 0}));
  EXPECT_EQ(Reservable("web", "A"), 20);
  EXPECT_EQ(GetHold(id).state, HoldState::kReleased);
  EXPECT_TRUE(engine_->ListHolds(HoldFilter{}).empty());
}

TEST_F(EngineTest, HoldResolvesExactlyOnce) {
  StockUp();
  const std::string released = Hold("web", {L("A", 1, "wh")});
  Ok(t::Release(released));
  EXPECT_REJECTED(kPrecondition, t::Release(released));
  EXPECT_REJECTED(kPrecondition, t::Commit(released));
  EXPECT_REJECTED(kPrecondition, t::Extend(released, 1000));
  EXPECT_REJECTED(kPrecondition, t::Fulfill(released));
  EXPECT_REJECTED(kPrecondition, t::Cancel(released));

  const std::string committed = Hold("web", {L("A", 2, "wh")});
  EXPECT_REJECTED(kPrecondition, t::Fulfill(committed));  // still HELD
  EXPECT_REJECTED(kPrecondition, t::Cancel(committed));   // still HELD
  Ok(t::Commit(committed));
  EXPECT_REJECTED(kPrecondition, t::Release(committed));
  EXPECT_REJECTED(kPrecondition, t::Commit(committed));

  const std::string fulfilled = Hold("web", {L("A", 1, "wh")});
  Ok(t::Commit(fulfilled));
  Ok(t::Fulfill(fulfilled));
  EXPECT_REJECTED(kPrecondition, t::Fulfill(fulfilled));
  EXPECT_REJECTED(kPrecondition, t::Cancel(fulfilled));
  EXPECT_REJECTED(kPrecondition, t::Release(fulfilled));

  const std::string cancelled = Hold("web", {L("A", 1, "wh")});
  Ok(t::Commit(cancelled));
  Ok(t::Cancel(cancelled));
  EXPECT_REJECTED(kPrecondition, t::Cancel(cancelled));
  EXPECT_REJECTED(kPrecondition, t::Fulfill(cancelled));
  EXPECT_REJECTED(kPrecondition, t::Release(cancelled));

  EXPECT_REJECTED(kNotFound, t::Release("h-unknown"));
  EXPECT_REJECTED(kNotFound, t::Cancel("h-unknown"));
  EXPECT_REJECTED(kNotFound, t::Fulfill("h-unknown"));
  EXPECT_REJECTED(kInvalid, t::Release("bad id!"));

  // wh: 10 - 1 fulfilled; 2 committed.
  EXPECT_EQ(Row("A", "wh"), (Counters{9, 0, 2}));
}

// ---------------------------------------------------------------- Fulfill / Cancel

TEST_F(EngineTest, FulfillWholeHold) {
  StockUp();
  const std::string id = Hold("web", {L("A", 3, "wh"), L("B", 2)});
  Ok(t::Commit(id));
  Outcome o = Ok(t::Fulfill(id));
  EXPECT_EQ(o.hold->state, HoldState::kFulfilled);
  ASSERT_EQ(o.hold->lines.size(), 2u);
  EXPECT_EQ(o.hold->lines[0].fulfilled, 3);
  EXPECT_EQ(o.hold->lines[1].fulfilled, 2);
  EXPECT_EQ(Row("A", "wh"), (Counters{7, 0, 0}));
  EXPECT_EQ(Row("B", "wh"), (Counters{3, 0, 0}));
  EXPECT_EQ(Reservable("web", "A"), 17);
}

TEST_F(EngineTest, FulfillPartially) {
  StockUp();
  const std::string id = Hold("web", {L("A", 3, "wh"), L("B", 2)});
  Ok(t::Commit(id));
  Outcome o = Ok(t::Fulfill(id, {L("A", 1)}));
  EXPECT_EQ(o.hold->state, HoldState::kCommitted) << "open until everything is fulfilled";
  EXPECT_EQ(o.hold->lines[0].qty, 3);
  EXPECT_EQ(o.hold->lines[0].fulfilled, 1);
  EXPECT_EQ(o.hold->lines[1].fulfilled, 0);
  EXPECT_EQ(Row("A", "wh"), (Counters{9, 0, 2}));
  EXPECT_EQ(Row("B", "wh"), (Counters{5, 0, 2}));

  EXPECT_REJECTED(kInvalid, t::Fulfill(id, {L("A", 3)}));  // only 2 left
  EXPECT_REJECTED(kInvalid, t::Fulfill(id, {L("A", 0)}));
  EXPECT_REJECTED(kInvalid, t::Fulfill(id, {L("C", 1)}));

  o = Ok(t::Fulfill(id, {L("A", 2), L("B", 1)}));
  EXPECT_EQ(o.hold->state, HoldState::kCommitted);
  EXPECT_EQ(Row("A", "wh"), (Counters{7, 0, 0}));
  EXPECT_EQ(Row("B", "wh"), (Counters{4, 0, 1}));
  // No lines: whatever is left.
  o = Ok(t::Fulfill(id));
  EXPECT_EQ(o.hold->state, HoldState::kFulfilled);
  EXPECT_EQ(o.hold->lines[0].fulfilled, 3);
  EXPECT_EQ(o.hold->lines[1].fulfilled, 2);
  EXPECT_EQ(Row("B", "wh"), (Counters{3, 0, 0}));
}

TEST_F(EngineTest, FulfillNeverTakesOnHandBelowZero) {
  StockUp();
  const std::string id = Hold("web", {L("A", 3, "wh")});
  Ok(t::Commit(id));
  SetStock("wh", "A", 1);  // the count found fewer than committed: free = -2
  EXPECT_EQ(Row("A", "wh"), (Counters{1, 0, 3}));
  EXPECT_REJECTED(kPrecondition, t::Fulfill(id));
  Ok(t::Fulfill(id, {L("A", 1)}));
  EXPECT_EQ(Row("A", "wh"), (Counters{0, 0, 2}));
}

TEST_F(EngineTest, CancelReturnsCommittedUnits) {
  StockUp();
  const std::string id = Hold("web", {L("A", 3, "wh")});
  Ok(t::Commit(id));
  Ok(t::Fulfill(id, {L("A", 1)}));
  Outcome o = Ok(t::Cancel(id));
  EXPECT_EQ(o.hold->state, HoldState::kCancelled);
  EXPECT_EQ(o.hold->lines[0].fulfilled, 1);
  EXPECT_EQ(Row("A", "wh"), (Counters{9, 0, 0})) << "the fulfilled unit stays gone";
  EXPECT_EQ(Reservable("web", "A"), 19);
  EXPECT_TRUE(engine_->ListHolds(HoldFilter{}).empty());
}

// ---------------------------------------------------------------- TTL

TEST_F(EngineTest, ExpiryReleasesUnitsAndAnnounces) {
  StockUp();
  const std::string id = Hold("web", {L("A", 3, "wh")}, 1000);
  const int64_t deadline = GetHold(id).deadline_ms;
  EXPECT_EQ(deadline, clock_.NowMs() + 1000);
  // web: 7 + 10 = 17; amazon: floor((7 - 2) / 2) = 2.
  EXPECT_EQ(Published("web", "A"), 17);
  EXPECT_EQ(Published("amazon", "A"), 2);
  listener_.Take();

  clock_.Advance(999);
  EXPECT_EQ(engine_->ExpireDue(), 0);
  EXPECT_EQ(GetHold(id).state, HoldState::kHeld);
  clock_.Advance(2);
  const int64_t now = clock_.NowMs();
  EXPECT_EQ(engine_->ExpireDue(), 1);
  HoldView h = GetHold(id);
  EXPECT_EQ(h.state, HoldState::kExpired);
  EXPECT_EQ(h.deadline_ms, 0);
  EXPECT_EQ(h.updated_ms, now);
  EXPECT_EQ(Row("A", "wh"), (Counters{10, 0, 0}));
  EXPECT_EQ(Reservable("web", "A"), 20);
  EXPECT_EQ(StrChanges(listener_.Take()),
            StrChanges(std::vector<PublishedChange>{{"web", "A", 17, 20, 20, now},
                                                    {"amazon", "A", 2, 4, 10, now}}));
  EXPECT_EQ(engine_->Stats().expired_holds, 1);
  EXPECT_EQ(engine_->Stats().open_holds, 0);
  HoldFilter expired;
  expired.state = HoldState::kExpired;
  ASSERT_EQ(engine_->ListHolds(expired).size(), 1u);
  EXPECT_EQ(engine_->ListHolds(expired)[0].hold_id, id);
  std::vector<AuditEntry> audit = engine_->ListAudit("A", 1);
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0].operation, "expire");
  EXPECT_EQ(audit[0].hold_id, id);

  EXPECT_EQ(engine_->ExpireDue(), 0) << "a hold expires once";
  EXPECT_REJECTED(kPrecondition, t::Commit(id));
  EXPECT_REJECTED(kPrecondition, t::Release(id));
}

TEST_F(EngineTest, PastDeadlineIsExpiredEvenBeforeTheReaperRuns) {
  StockUp();
  const std::string id = Hold("web", {L("A", 3, "wh")}, 1000);
  clock_.Advance(1001);  // past the deadline: no longer HELD for the client
  EXPECT_REJECTED(kPrecondition, t::Commit(id));
  EXPECT_REJECTED(kPrecondition, t::Commit(id, {L("A", 1)}));
  EXPECT_REJECTED(kPrecondition, t::Extend(id, 60000));
  clock_.Advance(5000);
  EXPECT_REJECTED(kPrecondition, t::Commit(id));
  EXPECT_REJECTED(kPrecondition, t::Extend(id, 60000));
  EXPECT_EQ(engine_->ExpireDue(), 1);
  EXPECT_EQ(GetHold(id).state, HoldState::kExpired);
}

TEST_F(EngineTest, ExpireDueCountsEveryDueHold) {
  StockUp();
  Hold("web", {L("A", 1, "wh")}, 1000);
  Hold("web", {L("A", 1, "wh")}, 2000);
  Hold("pos1", {L("C", 1)}, 1500);
  const std::string later = Hold("web", {L("B", 1)}, 5000);
  const std::string committed = Hold("web", {L("B", 1)}, 1000);
  Ok(t::Commit(committed));
  clock_.Advance(2500);
  EXPECT_EQ(engine_->ExpireDue(), 3);
  EXPECT_EQ(Row("A", "wh"), (Counters{10, 0, 0}));
  EXPECT_EQ(Row("C", "s1"), (Counters{3, 0, 0}));
  EXPECT_EQ(Row("B", "wh"), (Counters{5, 1, 1}));
  EXPECT_EQ(GetHold(later).state, HoldState::kHeld);
  EXPECT_EQ(GetHold(committed).state, HoldState::kCommitted);
  EXPECT_EQ(engine_->ListHolds(HoldFilter{}).size(), 2u);
}

}  // namespace
}  // namespace stockd::engine
