// The engine's contract (docs/design.md "Operations", proto/stockd/v1/stockd.proto status
// conventions): every operation's state transitions and exact status codes, and that a
// failed call changes nothing. Tests marked CONTRACT assert documented behaviour the
// engine did not show when they were written. The fixture is engine_fixture.h.
//
// This file: the stock. Sell, Adjust, Count and Transfer, the published changes they
// announce, and their audit entries.
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "tests/engine/engine_fixture.h"

namespace stockd::engine {
namespace {

// ---------------------------------------------------------------- Sell

TEST_F(EngineTest, SellWithinAvailAndOverride) {
  StockUp();
  // pos1 at s1: free 10 minus the webshop's 2 = 8.
  Outcome o = Ok(t::Sell("pos1", "s1", "A", 8));
  ASSERT_EQ(o.before.size(), 1u);
  ASSERT_EQ(o.after.size(), 1u);
  EXPECT_EQ(Str(o.before[0]), "A@s1=10/0/0");
  EXPECT_EQ(Str(o.after[0]), "A@s1=2/0/0");
  EXPECT_FALSE(o.breach);
  EXPECT_EQ(o.breach_units, 0);
  EXPECT_EQ(Reservable("web", "A"), 12);

  // One more would eat the webshop's protected units.
  EXPECT_REJECTED(kPrecondition, t::Sell("pos1", "s1", "A", 1));

  const int64_t breaches = engine_->Stats().breaches;
  o = Ok(t::Sell("pos1", "s1", "A", 2, /*override_limit=*/true));
  EXPECT_TRUE(o.breach);
  EXPECT_EQ(o.breach_units, 2);
  EXPECT_EQ(Str(o.after[0]), "A@s1=0/0/0");
  EXPECT_EQ(engine_->Stats().breaches, breaches + 1);

  // Never below on_hand 0, not even with override.
  EXPECT_REJECTED(kPrecondition, t::Sell("pos1", "s1", "A", 1, true));
}

TEST_F(EngineTest, SellOverrideCountsOnlyTheUnitsBeyondAvail) {
  StockUp();
  Outcome o = Ok(t::Sell("pos1", "s1", "A", 9, true));
  EXPECT_TRUE(o.breach);
  EXPECT_EQ(o.breach_units, 1);
  EXPECT_EQ(Row("A", "s1"), (Counters{1, 0, 0}));

  o = Ok(t::Sell("pos2", "s2", "A", 5, true));  // within avail: no breach
  EXPECT_FALSE(o.breach);
  EXPECT_EQ(o.breach_units, 0);
  EXPECT_EQ(Row("A", "s2"), (Counters{0, 0, 0}));
}

TEST_F(EngineTest, SellByTheProtectingChannelUsesItsBuffer) {
  StockUp();
  Ok(t::Sell("web", "s1", "A", 10));
  EXPECT_EQ(Row("A", "s1"), (Counters{0, 0, 0}));
}

TEST_F(EngineTest, SellErrors) {
  StockUp();
  EXPECT_REJECTED(kPrecondition, t::Sell("pos1", "s2", "A", 1));  // not a source
  EXPECT_REJECTED(kPrecondition, t::Sell("pos1", "s2", "A", 1, true));
  EXPECT_REJECTED(kNotFound, t::Sell("pos1", "s1", "NOPE", 1));
  EXPECT_REJECTED(kNotFound, t::Sell("nochannel", "s1", "A", 1));
  EXPECT_REJECTED(kNotFound, t::Sell("pos1", "nowhere", "A", 1));
  EXPECT_REJECTED(kInvalid, t::Sell("pos1", "s1", "A", 0));
  EXPECT_REJECTED(kInvalid, t::Sell("pos1", "s1", "A", -2));
  EXPECT_REJECTED(kInvalid, t::Sell("pos1", "s1", "bad sku!", 1));
  EXPECT_REJECTED(kInvalid, t::Sell("bad channel!", "s1", "A", 1));
  EXPECT_REJECTED(kInvalid, t::Sell("pos1", "bad loc!", "A", 1));
}

TEST_F(EngineTest, SellDoesNotTakeHeldUnits) {
  StockUp();
  Hold("pos1", {L("A", 5, "s1")});
  // s1: free 5, minus the webshop's 2 = 3 for pos1.
  EXPECT_REJECTED(kPrecondition, t::Sell("pos1", "s1", "A", 4));
  Ok(t::Sell("pos1", "s1", "A", 3));
  EXPECT_EQ(Row("A", "s1"), (Counters{7, 5, 0}));
}

// ---------------------------------------------------------------- Adjust

TEST_F(EngineTest, AdjustReasonsAndSigns) {
  StockUp();
  struct Step {
    AdjustReason reason;
    int64_t delta;
    int64_t after;
  };
  const std::vector<Step> ok_steps = {
      {AdjustReason::kReceipt, 5, 15},     {AdjustReason::kReturn, 2, 17},
      {AdjustReason::kDamage, -1, 16},     {AdjustReason::kShrinkage, -2, 14},
      {AdjustReason::kCorrection, -4, 10}, {AdjustReason::kCorrection, 1, 11},
  };
  int64_t before = 10;
  for (const Step& s : ok_steps) {
    SCOPED_TRACE(AdjustReasonName(s.reason));
    Outcome o = Ok(t::Adjust("wh", "A", s.delta, s.reason));
    ASSERT_EQ(o.before.size(), 1u);
    ASSERT_EQ(o.after.size(), 1u);
    EXPECT_EQ(o.before[0].counters.on_hand, before);
    EXPECT_EQ(o.after[0].counters.on_hand, s.after);
    EXPECT_EQ(o.after[0].sku, "A");
    EXPECT_EQ(o.after[0].location, "wh");
    before = s.after;
  }
  EXPECT_EQ(Row("A", "wh"), (Counters{11, 0, 0}));

  EXPECT_REJECTED(kInvalid, t::Adjust("wh", "A", -1, AdjustReason::kReceipt));
  EXPECT_REJECTED(kInvalid, t::Adjust("wh", "A", -1, AdjustReason::kReturn));
  EXPECT_REJECTED(kInvalid, t::Adjust("wh", "A", 1, AdjustReason::kDamage));
  EXPECT_REJECTED(kInvalid, t::Adjust("wh", "A", 1, AdjustReason::kShrinkage));
  EXPECT_REJECTED(kInvalid, t::Adjust("wh", "A", 1, AdjustReason::kUnspecified));
  EXPECT_REJECTED(kInvalid, t::Adjust("wh", "A", -1, AdjustReason::kUnspecified));
  EXPECT_REJECTED(kInvalid, t::Adjust("wh", "A", 0, AdjustReason::kCorrection));
  EXPECT_REJECTED(kInvalid, t::Adjust("wh", "A", kMaxQuantity + 1, AdjustReason::kReceipt));
  EXPECT_REJECTED(kInvalid, t::Adjust("wh", "bad sku!", 1, AdjustReason::kReceipt));
  EXPECT_REJECTED(kInvalid, t::Adjust("bad loc!", "A", 1, AdjustReason::kReceipt));
  EXPECT_REJECTED(kNotFound, t::Adjust("nowhere", "A", 1, AdjustReason::kReceipt));
  AdjustCmd long_note = t::Adjust("wh", "A", 1);
  long_note.note = std::string(kMaxTextBytes + 1, 'n');
  EXPECT_REJECTED(kInvalid, long_note);
}

TEST_F(EngineTest, AdjustCreatesANewSkuOnlyOnPositiveDelta) {
  StockUp();
  EXPECT_EQ(engine_->GetStock("NEW", {}).status().code(), kNotFound);
  EXPECT_REJECTED(kNotFound, t::Adjust("s2", "NEW", -1, AdjustReason::kCorrection));
  EXPECT_REJECTED(kNotFound, t::Adjust("s2", "NEW", -1, AdjustReason::kDamage));
  Outcome o = Ok(t::Adjust("s2", "NEW", 4, AdjustReason::kReceipt));
  EXPECT_EQ(Str(o.before[0]), "NEW@s2=0/0/0");
  EXPECT_EQ(Str(o.after[0]), "NEW@s2=4/0/0");
  auto rows = engine_->GetStock("NEW", {});
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_EQ(Str(*rows), "NEW@s2=4/0/0");
  EXPECT_EQ(Reservable("pos2", "NEW"), 4);
  EXPECT_EQ(Reservable("web", "NEW"), 0);
}

TEST_F(EngineTest, AdjustNeverBelowZero) {
  StockUp();
  EXPECT_REJECTED(kPrecondition, t::Adjust("wh", "A", -11, AdjustReason::kDamage));
  EXPECT_REJECTED(kPrecondition, t::Adjust("wh", "A", -11, AdjustReason::kCorrection));
  // A known SKU without a row at a location has on_hand 0 there.
  EXPECT_REJECTED(kPrecondition, t::Adjust("wh", "C", -1, AdjustReason::kShrinkage));
  Ok(t::Adjust("wh", "A", -10, AdjustReason::kShrinkage));
  EXPECT_EQ(Row("A", "wh"), (Counters{0, 0, 0}));
}

TEST_F(EngineTest, ShrinkageBelowHeldMakesFreeNegative) {
  StockUp();
  Hold("web", {L("A", 8, "wh")});
  Ok(t::Adjust("wh", "A", -5, AdjustReason::kShrinkage));
  EXPECT_EQ(Row("A", "wh"), (Counters{5, 8, 0}));
  EXPECT_EQ(Reservable("web", "A"), 10) << "wh contributes 0, s1 10";
  EXPECT_EQ(Reservable("amazon", "A"), 0);
}

// ---------------------------------------------------------------- Count

TEST_F(EngineTest, CountSetsOnHandAbsolutely) {
  StockUp();
  Outcome o = Ok(t::Count("wh", "A", 7));
  EXPECT_EQ(Str(o.before[0]), "A@wh=10/0/0");
  EXPECT_EQ(Str(o.after[0]), "A@wh=7/0/0");
  EXPECT_REJECTED(kAborted, t::Count("wh", "A", 3, 5));
  EXPECT_REJECTED(kAborted, t::Count("wh", "A", 3, 10));
  o = Ok(t::Count("wh", "A", 3, 7));
  EXPECT_EQ(Str(o.after[0]), "A@wh=3/0/0");
  // Counting the same value again is fine.
  Ok(t::Count("wh", "A", 3, 3));
  EXPECT_EQ(Row("A", "wh"), (Counters{3, 0, 0}));

  EXPECT_REJECTED(kInvalid, t::Count("wh", "A", -1));
  EXPECT_REJECTED(kInvalid, t::Count("wh", "bad sku!", 1));
  EXPECT_REJECTED(kNotFound, t::Count("nowhere", "A", 1));
}

TEST_F(EngineTest, CountCreatesANewSku) {
  StockUp();
  EXPECT_REJECTED(kAborted, t::Count("s1", "NEW", 6, 1));
  Outcome o = Ok(t::Count("s1", "NEW", 6));
  EXPECT_EQ(Str(o.after[0]), "NEW@s1=6/0/0");
  EXPECT_EQ(Reservable("pos1", "NEW"), 4);
  EXPECT_EQ(Reservable("web", "NEW"), 6);
}

// ---------------------------------------------------------------- Transfer

TEST_F(EngineTest, TransferMovesFreeUnits) {
  StockUp();
  Outcome o = Ok(t::Transfer("wh", "s2", "A", 4));
  ASSERT_EQ(o.after.size(), 2u);
  EXPECT_EQ(Str(o.after[0]), "A@wh=6/0/0");
  EXPECT_EQ(Str(o.after[1]), "A@s2=9/0/0");
  ASSERT_EQ(o.before.size(), 2u);
  EXPECT_EQ(Str(o.before[0]), "A@wh=10/0/0");
  EXPECT_EQ(Str(o.before[1]), "A@s2=5/0/0");

  Hold("web", {L("A", 3, "wh")});  // wh free 3
  EXPECT_REJECTED(kPrecondition, t::Transfer("wh", "s2", "A", 4));
  Ok(t::Transfer("wh", "dc", "A", 3));  // creates the dc row
  EXPECT_EQ(Row("A", "wh"), (Counters{3, 3, 0}));
  auto rows = engine_->GetStock("A", {});
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(Str(*rows), "A@wh=3/3/0, A@s1=10/0/0, A@s2=9/0/0, A@dc=3/0/0");

  EXPECT_REJECTED(kInvalid, t::Transfer("s1", "s1", "A", 1));
  EXPECT_REJECTED(kInvalid, t::Transfer("s1", "s2", "A", 0));
  EXPECT_REJECTED(kInvalid, t::Transfer("s1", "s2", "bad sku!", 1));
  EXPECT_REJECTED(kNotFound, t::Transfer("s1", "s2", "NOPE", 1));
  EXPECT_REJECTED(kNotFound, t::Transfer("nowhere", "s2", "A", 1));
  EXPECT_REJECTED(kNotFound, t::Transfer("s1", "nowhere", "A", 1));
  EXPECT_REJECTED(kPrecondition, t::Transfer("s1", "s2", "A", 11));
}

// ---------------------------------------------------------------- changes

TEST_F(EngineTest, ChangesOnlyWhenAPublishedNumberChanges) {
  const int64_t now = clock_.NowMs();
  auto change = [&](const char* channel, int64_t prev, int64_t pub, int64_t res) {
    return PublishedChange{channel, "A", prev, pub, res, now};
  };
  // web 0 -> 10; amazon floor((10 - 2) / 2) = 4; the stores' numbers do not move.
  Ok(t::Adjust("wh", "A", 10));
  EXPECT_EQ(StrChanges(listener_.Take()),
            StrChanges({change("web", 0, 10, 10), change("amazon", 0, 4, 10)}));

  Ok(t::Adjust("dc", "A", 5));  // nobody's source
  EXPECT_EQ(StrChanges(listener_.Take()), "");

  Ok(t::Count("s2", "A", 3));
  EXPECT_EQ(StrChanges(listener_.Take()), StrChanges({change("pos2", 0, 3, 3)}));

  const std::string id = Hold("pos2", {L("A", 1)});
  EXPECT_EQ(StrChanges(listener_.Take()), StrChanges({change("pos2", 3, 2, 2)}));

  Ok(t::Extend(id, 5000));
  EXPECT_EQ(StrChanges(listener_.Take()), "");

  // amazon's reservable moves 10 -> 11 but floor(9 / 2) = floor(8 / 2) = 4: no change.
  Ok(t::Adjust("wh", "A", 1));
  EXPECT_EQ(StrChanges(listener_.Take()), StrChanges({change("web", 10, 11, 11)}));

  Ok(t::Release(id));
  EXPECT_EQ(StrChanges(listener_.Take()), StrChanges({change("pos2", 2, 3, 3)}));

  // Published is the conservative number, reservable the real one.
  EXPECT_EQ(Reservable("amazon", "A"), 11);
  EXPECT_EQ(Published("amazon", "A"), 4);
}

// ---------------------------------------------------------------- audit

TEST_F(EngineTest, AuditEntryPerMutation) {
  ASSERT_TRUE(engine_->ExecuteAndWait(Cmd(t::Adjust("wh", "A", 10), "aud-1", "alice")).ok());
  clock_.Advance(7);
  absl::StatusOr<Outcome> r =
      engine_->ExecuteAndWait(Cmd(t::Reserve("web", {L("A", 2)}), "", "bob"));
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(engine_->ExecuteAndWait(Cmd(t::Sell("pos1", "s1", "A", 1), "", "carol")).ok());
  Ok(t::Adjust("s1", "B", 4));

  std::vector<AuditEntry> a = engine_->ListAudit("A", 10);
  ASSERT_EQ(a.size(), 2u) << "one per successful mutation of A, none for the failed sale";
  const AuditEntry& reserve = a[0];  // newest first
  const AuditEntry& adjust = a[1];
  EXPECT_LT(adjust.sequence, reserve.sequence);

  EXPECT_EQ(adjust.actor, "alice");
  EXPECT_EQ(adjust.operation, "adjust");
  EXPECT_EQ(adjust.request_id, "aud-1");
  EXPECT_NE(adjust.reason.find("receipt"), std::string::npos) << adjust.reason;
  EXPECT_EQ(Str(adjust.before), "A@wh=0/0/0");
  EXPECT_EQ(Str(adjust.after), "A@wh=10/0/0");

  EXPECT_EQ(reserve.actor, "bob");
  EXPECT_EQ(reserve.operation, "reserve");
  EXPECT_EQ(reserve.channel, "web");
  EXPECT_EQ(reserve.hold_id, r->hold->hold_id);
  EXPECT_EQ(reserve.time_ms, clock_.NowMs());
  EXPECT_EQ(Str(reserve.before), "A@wh=10/0/0");
  EXPECT_EQ(Str(reserve.after), "A@wh=10/2/0");

  EXPECT_EQ(engine_->ListAudit("", 0).size(), 3u);
  EXPECT_EQ(engine_->ListAudit("", 1).size(), 1u);
  EXPECT_EQ(engine_->ListAudit("", 1)[0].operation, "adjust");
  EXPECT_EQ(engine_->ListAudit("B", 10).size(), 1u);
  EXPECT_TRUE(engine_->ListAudit("C", 10).empty());
}

TEST_F(EngineTest, AuditOfTransferAndSell) {
  StockUp();
  Ok(t::Transfer("wh", "s2", "A", 4));
  Ok(t::Sell("pos1", "s1", "A", 9, true));
  std::vector<AuditEntry> a = engine_->ListAudit("A", 2);
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].operation, "sell");
  EXPECT_EQ(a[0].channel, "pos1");
  EXPECT_EQ(Str(a[0].after), "A@s1=1/0/0");
  EXPECT_EQ(a[1].operation, "transfer");
  EXPECT_EQ(Str(a[1].before), "A@wh=10/0/0, A@s2=5/0/0");
  EXPECT_EQ(Str(a[1].after), "A@wh=6/0/0, A@s2=9/0/0");
}

}  // namespace
}  // namespace stockd::engine
