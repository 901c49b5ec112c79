// Reserve lines split across sources (docs/design.md, "Operations"): a line without a
// location comes whole from the first source that covers it; when none does, it is split
// over the sources in the channel's order, unless the request (single_location) or the
// channel (split_lines: false) asks for one location. Commit and Fulfill of a split line,
// whole and in part, by SKU or by SKU and location; Explain's plan; a restore; many
// threads splitting lines of one SKU.
#include <atomic>
#include <latch>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "tests/engine/engine_fixture.h"

namespace stockd::engine {
namespace {

// wh (warehouse), s1, s2, s3 (stores).
//   web   webshop  sources wh, s1, s2   splits lines
//   cc    webshop  sources s1, s2       click & collect: split_lines false
//   pos2  store    sources s2           protects 2 at s2 (web sees s2's free minus 2)
Model SplitModel() {
  return t::ModelBuilder()
      .Location("wh")
      .Location("s1", LocationType::kStore)
      .Location("s2", LocationType::kStore)
      .Location("s3", LocationType::kStore)
      .Channel("web", ChannelType::kWebshop, {"wh", "s1", "s2"})
      .Channel("cc", ChannelType::kWebshop, {"s1", "s2"})
      .Channel("pos2", ChannelType::kStore, {"s2"})
      .Protect("pos2", "s2", 2)
      .SplitLines("cc", false)
      .Build();
}

class SplitLinesTest : public EngineTest {
 protected:
  Model FixtureModel() override { return SplitModel(); }

  // "sku@location xqty ffulfilled" of every line, in the hold's order.
  static std::string Lines(const HoldView& h) {
    std::vector<std::string> out;
    for (const Line& l : h.lines) {
      out.push_back(absl::StrCat(l.sku, "@", l.location, " x", l.qty, " f", l.fulfilled));
    }
    return absl::StrJoin(out, ", ");
  }

  absl::Status Refusal(CommandBody body) {
    absl::StatusOr<Outcome> r = Run(std::move(body));
    return r.ok() ? absl::OkStatus() : r.status();
  }
};

// ---------------------------------------------------------------- Reserve

TEST_F(SplitLinesTest, ALineOneSourceCoversComesWholeFromTheFirstSuchSource) {
  SetStock("wh", "A", 3);
  SetStock("s1", "A", 10);
  Outcome o = Ok(t::Reserve("web", {L("A", 5)}));
  EXPECT_EQ(Lines(*o.hold), "A@s1 x5 f0") << "wh has 3: s1 is the first source with 5; no split";
  EXPECT_EQ(Row("A", "wh"), (Counters{3, 0, 0}));
  EXPECT_EQ(Row("A", "s1"), (Counters{10, 5, 0}));
}

TEST_F(SplitLinesTest, ALineNoSourceCoversIsSplitOverTwoSourcesInOrder) {
  SetStock("wh", "A", 3);
  SetStock("s1", "A", 4);
  EXPECT_EQ(Reservable("web", "A"), 7);
  Outcome o = Ok(t::Reserve("web", {L("A", 6)}));
  EXPECT_EQ(Lines(*o.hold), "A@wh x3 f0, A@s1 x3 f0");
  EXPECT_EQ(Str(GetHold(o.hold->hold_id)), Str(*o.hold));
  EXPECT_EQ(Row("A", "wh"), (Counters{3, 3, 0}));
  EXPECT_EQ(Row("A", "s1"), (Counters{4, 3, 0}));
  EXPECT_EQ(Reservable("web", "A"), 1);
  EXPECT_EQ(Published("web", "A"), 1);
}

TEST_F(SplitLinesTest, ALineIsSplitOverThreeSourcesEachGivingItsAvail) {
  SetStock("wh", "A", 2);
  SetStock("s1", "A", 2);
  SetStock("s2", "A", 5);  // web may take 5 - 2 (pos2's buffer) = 3 here
  EXPECT_EQ(Reservable("web", "A"), 7);
  Outcome o = Ok(t::Reserve("web", {L("A", 7)}));
  EXPECT_EQ(Lines(*o.hold), "A@wh x2 f0, A@s1 x2 f0, A@s2 x3 f0");
  EXPECT_EQ(Row("A", "s2"), (Counters{5, 3, 0}));
  EXPECT_EQ(Reservable("web", "A"), 0);
  EXPECT_EQ(Reservable("pos2", "A"), 2) << "pos2's protected units stay pos2's";
  EXPECT_REJECTED(kPrecondition, t::Reserve("web", {L("A", 1)}));
}

TEST_F(SplitLinesTest, SourcesWithNothingAvailableGetNoPart) {
  SetStock("wh", "A", 0);
  SetStock("s1", "A", 2);
  SetStock("s2", "A", 10);  // avail 8 for web
  Outcome o = Ok(t::Reserve("web", {L("A", 9)}));
  EXPECT_EQ(Lines(*o.hold), "A@s1 x2 f0, A@s2 x7 f0")
      << "no single source has 9; wh has nothing and gets no part; s1 first, then s2";
}

TEST_F(SplitLinesTest, TheChannelsSourceOrderDecidesNotTheLargestSource) {
  SetStock("wh", "A", 1);
  SetStock("s1", "A", 1);
  SetStock("s2", "A", 12);  // avail 10 for web
  Outcome o = Ok(t::Reserve("web", {L("A", 11)}));
  EXPECT_EQ(Lines(*o.hold), "A@wh x1 f0, A@s1 x1 f0, A@s2 x9 f0");
}

TEST_F(SplitLinesTest, ALineTheSourcesTogetherCannotCoverIsRefusedNamingWhatTheyHave) {
  SetStock("wh", "A", 2);
  SetStock("s1", "A", 2);
  SetStock("s2", "A", 5);
  EXPECT_REJECTED(kPrecondition, t::Reserve("web", {L("A", 8)}));
  absl::Status st = Refusal(t::Reserve("web", {L("A", 8)}));
  EXPECT_EQ(st.message(), "sku 'A': channel 'web' may take 7 over all its sources, asked 8");
}

TEST_F(SplitLinesTest, SingleLocationRequestTakesALineWholeOrNotAtAll) {
  SetStock("wh", "A", 3);
  SetStock("s1", "A", 4);
  EXPECT_REJECTED(kPrecondition, t::ReserveWhole("web", {L("A", 6)}));
  absl::Status st = Refusal(t::ReserveWhole("web", {L("A", 6)}));
  EXPECT_EQ(st.message(),
            "sku 'A': no source of channel 'web' has 6 available (reservable 7 in total; the "
            "request asks for one location)");
  Outcome o = Ok(t::ReserveWhole("web", {L("A", 4)}));
  EXPECT_EQ(Lines(*o.hold), "A@s1 x4 f0");
}

TEST_F(SplitLinesTest, AChannelWithSplitLinesFalseTakesLinesWhole) {
  SetStock("s1", "A", 3);
  SetStock("s2", "A", 5);  // cc may take 5 - 2 (pos2's buffer) = 3 here
  EXPECT_EQ(Reservable("cc", "A"), 6);
  EXPECT_REJECTED(kPrecondition, t::Reserve("cc", {L("A", 4)}));
  absl::Status st = Refusal(t::Reserve("cc", {L("A", 4)}));
  EXPECT_EQ(st.message(),
            "sku 'A': no source of channel 'cc' has 4 available (reservable 6 in total; "
            "channel 'cc' takes lines whole: split_lines false)");
  EXPECT_EQ(Lines(*Ok(t::Reserve("cc", {L("A", 3)})).hold), "A@s1 x3 f0");
}

TEST_F(SplitLinesTest, ALineWithALocationIsNeverSplit) {
  SetStock("wh", "A", 3);
  SetStock("s1", "A", 4);
  EXPECT_REJECTED(kPrecondition, t::Reserve("web", {L("A", 5, "s1")}));
  EXPECT_EQ(Lines(*Ok(t::Reserve("web", {L("A", 4, "s1")})).hold), "A@s1 x4 f0");
}

TEST_F(SplitLinesTest, AReserveWithASplitLineIsStillAllOrNone) {
  SetStock("wh", "A", 3);
  SetStock("s1", "A", 4);
  SetStock("wh", "B", 1);
  EXPECT_REJECTED(kPrecondition, t::Reserve("web", {L("A", 6), L("B", 2)}));
  Outcome o = Ok(t::Reserve("web", {L("A", 6), L("B", 1)}));
  EXPECT_EQ(Lines(*o.hold), "A@wh x3 f0, A@s1 x3 f0, B@wh x1 f0")
      << "a split line's parts are consecutive, in the order of the request's lines";
}

TEST_F(SplitLinesTest, AReplayReturnsTheSameSplit) {
  SetStock("wh", "A", 3);
  SetStock("s1", "A", 4);
  Outcome first = Ok(t::Reserve("web", {L("A", 6)}), "req-split");
  SetStock("wh", "A", 10);  // now wh alone could cover it
  Outcome again = Ok(t::Reserve("web", {L("A", 6)}), "req-split");
  EXPECT_TRUE(again.replayed);
  EXPECT_EQ(Str(*again.hold), Str(*first.hold));
  EXPECT_EQ(Row("A", "s1"), (Counters{4, 3, 0}));
}

TEST_F(SplitLinesTest, ARequestIdFirstUsedWithoutSingleLocationIsMisusedWithIt) {
  SetStock("wh", "A", 10);
  Ok(t::Reserve("web", {L("A", 1)}), "req-1");
  absl::StatusOr<Outcome> r = Run(t::ReserveWhole("web", {L("A", 1)}), "req-1");
  EXPECT_EQ(r.status().code(), kInvalid) << r.status();
}

// ---------------------------------------------------------------- Commit

class SplitHoldTest : public SplitLinesTest {
 protected:
  // A hold of 6 A split 3 at wh, 3 at s1, and 1 B at wh.
  std::string SplitHold() {
    SetStock("wh", "A", 3);
    SetStock("s1", "A", 4);
    SetStock("wh", "B", 2);
    Outcome o = Ok(t::Reserve("web", {L("A", 6), L("B", 1)}));
    EXPECT_EQ(Lines(*o.hold), "A@wh x3 f0, A@s1 x3 f0, B@wh x1 f0");
    return o.hold->hold_id;
  }
};

TEST_F(SplitHoldTest, CommitOfTheWholeHoldCommitsEveryPart) {
  const std::string id = SplitHold();
  Outcome o = Ok(t::Commit(id));
  EXPECT_EQ(o.hold->state, HoldState::kCommitted);
  EXPECT_EQ(Lines(*o.hold), "A@wh x3 f0, A@s1 x3 f0, B@wh x1 f0");
  EXPECT_EQ(Row("A", "wh"), (Counters{3, 0, 3}));
  EXPECT_EQ(Row("A", "s1"), (Counters{4, 0, 3}));
}

TEST_F(SplitHoldTest, PartialCommitBySkuTakesThePartsInOrderAndReleasesTheRest) {
  const std::string id = SplitHold();
  Outcome o = Ok(t::Commit(id, {L("A", 4)}));
  EXPECT_EQ(Lines(*o.hold), "A@wh x3 f0, A@s1 x1 f0") << "B not named: released";
  EXPECT_EQ(Row("A", "wh"), (Counters{3, 0, 3}));
  EXPECT_EQ(Row("A", "s1"), (Counters{4, 0, 1}));
  EXPECT_EQ(Row("B", "wh"), (Counters{2, 0, 0}));
  EXPECT_EQ(Reservable("web", "A"), 3);
}

TEST_F(SplitHoldTest, PartialCommitByLocationTakesThatPartOnly) {
  const std::string id = SplitHold();
  Outcome o = Ok(t::Commit(id, {L("A", 2, "s1"), L("B", 1)}));
  EXPECT_EQ(Lines(*o.hold), "A@s1 x2 f0, B@wh x1 f0");
  EXPECT_EQ(Row("A", "wh"), (Counters{3, 0, 0}));
  EXPECT_EQ(Row("A", "s1"), (Counters{4, 0, 2}));
}

TEST_F(SplitHoldTest, PartialCommitMayNameEachPartOfASplitLine) {
  const std::string id = SplitHold();
  Outcome o = Ok(t::Commit(id, {L("A", 1, "s1"), L("A", 2, "wh")}));
  EXPECT_EQ(Lines(*o.hold), "A@wh x2 f0, A@s1 x1 f0") << "the hold's order, not the request's";
}

TEST_F(SplitHoldTest, OnASkuHeldAtOneLocationALocationIsIgnoredAsBeforeSplits) {
  const std::string id = SplitHold();
  Outcome o = Ok(t::Commit(id, {L("A", 6), L("B", 1, "elsewhere")}));
  EXPECT_EQ(Lines(*o.hold), "A@wh x3 f0, A@s1 x3 f0, B@wh x1 f0");
}

TEST_F(SplitHoldTest, ALineOfTheHoldTakenByTwoRequestLinesIsRefused) {
  const std::string id = SplitHold();
  // B is held at wh only: both lines would take from that one line.
  EXPECT_REJECTED(kInvalid, t::Commit(id, {L("B", 1, "wh"), L("B", 1, "s1")}));
  EXPECT_EQ(Refusal(t::Commit(id, {L("B", 1, "wh"), L("B", 1, "s1")})).message(),
            "lines[1]: sku 'B' already in lines[0]");
}

TEST_F(SplitHoldTest, CommitErrorsNameTheLineAndChangeNothing) {
  const std::string id = SplitHold();
  EXPECT_REJECTED(kInvalid, t::Commit(id, {L("A", 7)}));        // 6 held in all
  EXPECT_REJECTED(kInvalid, t::Commit(id, {L("A", 4, "wh")}));  // 3 held at wh
  EXPECT_REJECTED(kInvalid, t::Commit(id, {L("A", 1, "s2")}));  // no part at s2
  EXPECT_REJECTED(kInvalid, t::Commit(id, {L("C", 1)}));        // not in the hold
  EXPECT_REJECTED(kInvalid, t::Commit(id, {L("A", 1), L("A", 1, "wh")}));
  EXPECT_REJECTED(kInvalid, t::Commit(id, {L("A", 1, "wh"), L("A", 1, "wh")}));
  EXPECT_REJECTED(kInvalid, t::Commit(id, {L("A", 1, "bad loc!")}));
  EXPECT_REJECTED(kInvalid, t::Commit(id, {L("A", 0)}));
  EXPECT_EQ(Refusal(t::Commit(id, {L("A", 7)})).message(),
            "lines[0].qty: 7 exceeds the 6 held of 'A'");
  EXPECT_EQ(Refusal(t::Commit(id, {L("A", 4, "wh")})).message(),
            "lines[0].qty: 4 exceeds the 3 held of 'A' at 'wh'");
  EXPECT_EQ(Refusal(t::Commit(id, {L("A", 1, "s2")})).message(),
            absl::StrCat("lines[0].location: hold '", id, "' has no 'A' at 's2'"));
  EXPECT_EQ(Refusal(t::Commit(id, {L("A", 1), L("A", 1, "wh")})).message(),
            "lines[1]: sku 'A' already in lines[0] (a SKU named twice needs a distinct "
            "location on each line)");
}

// ---------------------------------------------------------------- Fulfill, Cancel, Release

TEST_F(SplitHoldTest, FulfillBySkuTakesThePartsInOrderThenByLocation) {
  const std::string id = SplitHold();
  Ok(t::Commit(id));
  Outcome o = Ok(t::Fulfill(id, {L("A", 4)}));
  EXPECT_EQ(o.hold->state, HoldState::kCommitted);
  EXPECT_EQ(Lines(*o.hold), "A@wh x3 f3, A@s1 x3 f1, B@wh x1 f0");
  EXPECT_EQ(Row("A", "wh"), (Counters{0, 0, 0}));
  EXPECT_EQ(Row("A", "s1"), (Counters{3, 0, 2}));

  EXPECT_REJECTED(kInvalid, t::Fulfill(id, {L("A", 3)}));        // 2 open in all
  EXPECT_REJECTED(kInvalid, t::Fulfill(id, {L("A", 1, "wh")}));  // wh's part is done
  EXPECT_EQ(Refusal(t::Fulfill(id, {L("A", 3)})).message(),
            "lines[0].qty: 3 exceeds the 2 committed and not yet fulfilled of 'A'");

  o = Ok(t::Fulfill(id, {L("A", 2, "s1"), L("B", 1)}));
  EXPECT_EQ(o.hold->state, HoldState::kFulfilled);
  EXPECT_EQ(Lines(*o.hold), "A@wh x3 f3, A@s1 x3 f3, B@wh x1 f1");
  EXPECT_EQ(Row("A", "s1"), (Counters{1, 0, 0}));
  EXPECT_EQ(Row("B", "wh"), (Counters{1, 0, 0}));
}

TEST_F(SplitHoldTest, CancelReturnsEveryPartNotYetFulfilled) {
  const std::string id = SplitHold();
  Ok(t::Commit(id));
  Ok(t::Fulfill(id, {L("A", 1, "s1")}));
  Outcome o = Ok(t::Cancel(id));
  EXPECT_EQ(o.hold->state, HoldState::kCancelled);
  EXPECT_EQ(Row("A", "wh"), (Counters{3, 0, 0}));
  EXPECT_EQ(Row("A", "s1"), (Counters{3, 0, 0}));
  EXPECT_EQ(Reservable("web", "A"), 6);
}

TEST_F(SplitHoldTest, ReleaseAndExpiryFreeEveryPart) {
  const std::string released = SplitHold();
  Ok(t::Release(released));
  EXPECT_EQ(Row("A", "wh"), (Counters{3, 0, 0}));
  EXPECT_EQ(Row("A", "s1"), (Counters{4, 0, 0}));

  Outcome o = Ok(t::Reserve("web", {L("A", 5)}, 1000));
  EXPECT_EQ(Lines(*o.hold), "A@wh x3 f0, A@s1 x2 f0");
  clock_.Advance(1001);
  EXPECT_EQ(engine_->ExpireDue(), 1);
  EXPECT_EQ(GetHold(o.hold->hold_id).state, HoldState::kExpired);
  EXPECT_EQ(Row("A", "wh"), (Counters{3, 0, 0}));
  EXPECT_EQ(Row("A", "s1"), (Counters{4, 0, 0}));
}

TEST_F(SplitHoldTest, ASplitHoldSurvivesARestoreAndIsCommittedAfterIt) {
  const std::string id = SplitHold();
  Snapshot snapshot;
  for (const char* sku : {"A", "B"}) {
    auto rows = engine_->GetStock(sku, {});
    ASSERT_TRUE(rows.ok());
    snapshot.rows.insert(snapshot.rows.end(), rows->begin(), rows->end());
  }
  snapshot.holds.push_back(GetHold(id));
  snapshot.sequence = 100;

  EngineOptions options;
  options.clock = &clock_;
  options.max_lines = kMaxLines;
  auto restarted = Engine::Create(SplitModel(), options);
  ASSERT_TRUE(restarted.ok());
  engine_ = std::move(*restarted);
  ASSERT_TRUE(engine_->Restore(snapshot).ok());
  EXPECT_EQ(Lines(GetHold(id)), "A@wh x3 f0, A@s1 x3 f0, B@wh x1 f0");
  EXPECT_EQ(Row("A", "s1"), (Counters{4, 3, 0}));
  Outcome o = Ok(t::Commit(id, {L("A", 5)}));
  EXPECT_EQ(Lines(*o.hold), "A@wh x3 f0, A@s1 x2 f0");
  EXPECT_EQ(Row("A", "s1"), (Counters{4, 0, 2}));
}

// ---------------------------------------------------------------- Explain's plan

TEST_F(SplitLinesTest, ExplainPlansWhereAReserveWouldBeHeld) {
  SetStock("wh", "A", 3);
  SetStock("s1", "A", 4);
  auto plan = [&](int64_t qty, bool single = false) {
    ExplainQuery q;
    q.plan_qty = qty;
    q.single_location = single;
    absl::StatusOr<Explanation> e = engine_->Explain("web", "A", q);
    EXPECT_TRUE(e.ok()) << e.status();
    std::vector<std::string> parts;
    for (const Line& l : e->plan) parts.push_back(absl::StrCat(l.qty, "@", l.location));
    return absl::StrCat(absl::StrJoin(parts, " + "), "|", e->plan_refused);
  };
  EXPECT_EQ(plan(2), "2@wh|");
  EXPECT_EQ(plan(4), "4@s1|");
  EXPECT_EQ(plan(6), "3@wh + 3@s1|");
  EXPECT_EQ(plan(8), "|sku 'A': channel 'web' may take 7 over all its sources, asked 8");
  EXPECT_EQ(plan(6, true),
            "|sku 'A': no source of channel 'web' has 6 available (reservable 7 in total; the "
            "request asks for one location)");
  absl::StatusOr<Explanation> none = engine_->Explain("web", "A");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->plan.empty());
  EXPECT_TRUE(none->plan_refused.empty());
  ExplainQuery negative;
  negative.plan_qty = -1;
  EXPECT_EQ(engine_->Explain("web", "A", negative).status().code(), kInvalid);

  // The plan is what a Reserve then does.
  EXPECT_EQ(Lines(*Ok(t::Reserve("web", {L("A", 6)})).hold), "A@wh x3 f0, A@s1 x3 f0");
}

// ---------------------------------------------------------------- concurrency

// 64 threads reserve lines of one SKU that no single source covers (41..60 units; each
// location has at most 40 for web), so every reserve that succeeds is split, then release,
// commit in part and cancel, or commit, fulfil a unit, cancel the rest and receive the unit
// back where it left. In the first round every thread waits for all the others before
// letting go of its hold, so most of them are refused. Never more is held than there is,
// and the invariants hold after every step.
TEST_F(SplitLinesTest, ManyThreadsSplittingLinesOfOneSkuNeverOversell) {
  SetStock("wh", "A", 40);
  SetStock("s1", "A", 40);
  SetStock("s2", "A", 42);  // 40 for web
  constexpr int kThreads = 64;
  std::atomic<int64_t> refused{0}, split{0};
  std::latch first_round(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      for (int round = 0; round < 20; ++round) {
        const int64_t qty = 41 + (i + round) % 20;
        absl::StatusOr<Outcome> r = Run(t::Reserve("web", {L("A", qty)}));
        if (round == 0) first_round.arrive_and_wait();
        if (!r.ok()) {
          EXPECT_EQ(r.status().code(), kPrecondition) << r.status();
          refused.fetch_add(1);
          continue;
        }
        int64_t sum = 0;
        for (const Line& l : r->hold->lines) sum += l.qty;
        EXPECT_EQ(sum, qty);
        EXPECT_GT(r->hold->lines.size(), 1u) << "no source has " << qty;
        if (r->hold->lines.size() > 1) split.fetch_add(1);
        const std::string first_part = r->hold->lines[0].location;
        const std::string id = r->hold->hold_id;
        switch ((i + round) % 3) {
          case 0:
            EXPECT_TRUE(Run(t::Release(id)).ok());
            break;
          case 1:
            EXPECT_TRUE(Run(t::Commit(id, {L("A", qty / 2)})).ok());
            EXPECT_TRUE(Run(t::Cancel(id)).ok());
            break;
          default:  // one unit leaves, the rest is cancelled, and a receipt replaces it
            EXPECT_TRUE(Run(t::Commit(id)).ok());
            EXPECT_TRUE(Run(t::Fulfill(id, {L("A", 1)})).ok());
            EXPECT_TRUE(Run(t::Cancel(id)).ok());
            EXPECT_TRUE(Run(t::Adjust(first_part, "A", 1)).ok());
            break;
        }
        InvariantReport report = engine_->CheckInvariants();
        EXPECT_TRUE(report.ok()) << absl::StrJoin(report.violations, "\n");
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_GT(split.load(), 0) << "the load must split lines";
  EXPECT_GT(refused.load(), 0) << "and run out of stock";
  const int64_t start[] = {40, 40, 42};
  int index = 0;
  for (const char* location : {"wh", "s1", "s2"}) {
    const Counters c = Row("A", location);
    EXPECT_EQ(c.on_hand, start[index++]) << location << ": every unit out came back in";
    EXPECT_EQ(c.held, 0) << location;
    EXPECT_EQ(c.committed, 0) << location;
  }
  EXPECT_GE(Row("A", "s2").on_hand, 2) << "web never takes pos2's 2 protected units at s2";
}

}  // namespace
}  // namespace stockd::engine
