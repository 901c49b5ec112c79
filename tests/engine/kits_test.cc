// Kits on the read side (docs/kits.md; issue 16 part 1): a kit's reservable per channel is
// the sum over the channel's sources of min over components of floor(avail / qty), every
// component from one location; its published quantity applies the kit's own policy
// (overrides may name kit SKUs); Explain names the limiting component and location; what
// a kit cannot do is refused and changes nothing. The fixture is engine_fixture.h.
#include "daemon/engine/kits.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "tests/engine/engine_fixture.h"

namespace stockd::engine {
namespace {

// TestModel()'s locations and channels (web: wh, s1 with 2 protected for web at s1;
// amazon: wh with safety 2 and share 50), and:
//   BIKE  = FRAME x1 + PEDAL x2
//   SET   = FRAME x1 + PEDAL x2 + BELL x1
//   3PACK = SOCK x3, published to web at most 4 (an override on the kit)
class KitsTest : public EngineTest {
 protected:
  Model FixtureModel() override {
    Model m = TestModel();
    // A kit's alerts are mutations of their own, raised a moment after the component's
    // (kit_alerts_test.cc): these tests compare everything observable before and after.
    m.alerts.enabled = false;
    m.overrides.push_back(CapOverride(m, "3PACK", "web", 4));  // web shows at most 4
    m.kits = {{"BIKE", {{"FRAME", 1}, {"PEDAL", 2}}, "t.yaml:1"},
              {"SET", {{"FRAME", 1}, {"PEDAL", 2}, {"BELL", 1}}, "t.yaml:4"},
              {"3PACK", {{"SOCK", 3}}, "t.yaml:7"}};
    return m;
  }
  // The kit changes the announcer has sent since the last call, waiting up to 5 s for at
  // least `want` of them, then 50 ms more for any that should not come.
  std::vector<std::string> KitChanges(const std::string& kit, size_t want) {
    std::vector<std::string> out;
    auto collect = [&] {
      for (const PublishedChange& c : listener_.Take()) {
        if (c.sku == kit) {
          out.push_back(
              absl::StrCat(c.channel, " ", c.previous, "->", c.published, " r", c.reservable));
        }
      }
    };
    for (int i = 0; i < 1000 && out.size() < want; ++i) {
      collect();
      if (out.size() < want) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    collect();
    std::sort(out.begin(), out.end());
    return out;
  }
  // Waits (up to 5 s) until the announcer has told the listener that `kit` shows `value`
  // on `channel`, dropping everything recorded until then. Announcements are
  // asynchronous: a test that checks "no change announced" (EXPECT_REJECTED) must not
  // catch the ones its earlier mutations caused.
  void AwaitKit(const std::string& kit, const std::string& channel, int64_t value) {
    for (int i = 0; i < 1000; ++i) {
      for (const PublishedChange& c : listener_.Take()) {
        announced_[c.sku + " " + c.channel] = c.published;
      }
      auto it = announced_.find(kit + " " + channel);
      if (it != announced_.end() && it->second == value) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ADD_FAILURE() << kit << " never announced " << value << " on " << channel;
  }
  std::map<std::string, int64_t> announced_;  // "<sku> <channel>" -> last announced
  void ExpectInvariants() {
    InvariantReport report = engine_->CheckInvariants();
    EXPECT_TRUE(report.ok()) << absl::StrJoin(report.violations, "\n");
  }
};

TEST_F(KitsTest, TheScarcestComponentPerLocationSummedOverSources) {
  SetStock("wh", "FRAME", 5);
  SetStock("wh", "PEDAL", 6);  // 3 bikes' worth
  SetStock("s1", "FRAME", 4);
  SetStock("s1", "PEDAL", 9);  // web takes s1's units whole: the 2 protected there are web's
  // wh: min(5/1, 6/2) = 3; s1: min(4/1, 9/2) = 4; web = 7.
  EXPECT_EQ(Reservable("web", "BIKE"), 7);
  EXPECT_EQ(Published("web", "BIKE"), 7);
  // pos1 sees s1 minus web's 2 protected units of each component: min(2, 7/2) = 2.
  EXPECT_EQ(Reservable("pos1", "BIKE"), 2);
  // amazon: wh only, 3 kits, safety 2 and share 50 of the kit's own policy: floor(1*.5) = 0.
  EXPECT_EQ(Reservable("amazon", "BIKE"), 3);
  EXPECT_EQ(Published("amazon", "BIKE"), 0);
  // A component without stock anywhere bounds the kit to 0.
  EXPECT_EQ(Reservable("web", "SET"), 0);
  SetStock("s1", "BELL", 10);
  EXPECT_EQ(Reservable("web", "SET"), 4) << "bells only at s1: the wh frames can't make sets";
}

TEST_F(KitsTest, OneLocationPerKitNotTheSumOfComponentsEverywhere) {
  // Frames at wh, pedals at s2's neighbour s1: the components never meet at one location.
  SetStock("wh", "FRAME", 3);
  SetStock("s1", "PEDAL", 10);
  EXPECT_EQ(Reservable("web", "BIKE"), 0);
  EXPECT_EQ(Published("web", "BIKE"), 0);
}

TEST_F(KitsTest, TheKitsOwnPolicyAndHeldComponentsCount) {
  SetStock("wh", "SOCK", 31);  // 10 packs
  EXPECT_EQ(Reservable("web", "3PACK"), 10);
  EXPECT_EQ(Published("web", "3PACK"), 4) << "the override on the kit caps web at 4";
  EXPECT_EQ(Published("amazon", "3PACK"), 4) << "floor((10 - 2) * 50%)";
  // Held socks are not free: a hold on the component moves the kit.
  Hold("web", {L("SOCK", 4, "wh")});
  EXPECT_EQ(Reservable("web", "3PACK"), 9);
}

TEST_F(KitsTest, ExplainNamesTheLimitingComponentAndLocation) {
  SetStock("wh", "FRAME", 5);
  SetStock("wh", "PEDAL", 3);  // 1 bike at wh, limited by pedals
  SetStock("s1", "FRAME", 2);
  SetStock("s1", "PEDAL", 20);  // 2 at s1, limited by frames
  absl::StatusOr<Explanation> e = engine_->Explain("web", "BIKE", ExplainQuery{2, false});
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->reservable, 3);
  EXPECT_EQ(e->published, 3);
  ASSERT_EQ(e->kit_components.size(), 2u);
  ASSERT_EQ(e->sources.size(), 2u);
  EXPECT_EQ(e->sources[0].location, "wh");
  EXPECT_EQ(e->sources[0].avail, 1);
  EXPECT_EQ(e->sources[0].limiting_sku, "PEDAL");
  EXPECT_EQ(e->sources[0].limiting_avail, 3);
  EXPECT_EQ(e->sources[0].limiting_qty, 2);
  EXPECT_EQ(e->sources[1].avail, 2);
  EXPECT_EQ(e->sources[1].limiting_sku, "FRAME");
  EXPECT_EQ(e->limiting_sku, "PEDAL");
  EXPECT_EQ(e->limiting_location, "wh");
  // 2 bikes ship from one location: s1, the first that has both components for 2.
  ASSERT_EQ(e->plan.size(), 2u);
  EXPECT_EQ(e->plan[0].sku, "FRAME");
  EXPECT_EQ(e->plan[0].location, "s1");
  EXPECT_EQ(e->plan[0].qty, 2);
  EXPECT_EQ(e->plan[1].sku, "PEDAL");
  EXPECT_EQ(e->plan[1].qty, 4);
  e = engine_->Explain("web", "BIKE", ExplainQuery{3, false});
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(e->plan.empty());
  EXPECT_TRUE(absl::StrContains(e->plan_refused, "kits per source: wh 1, s1 2")) << e->plan_refused;
}

TEST_F(KitsTest, WhatAKitCannotDoIsRefusedAndChangesNothing) {
  SetStock("wh", "FRAME", 5);
  SetStock("wh", "PEDAL", 6);
  AwaitKit("BIKE", "web", 3);
  const std::string before = Observe();
  EXPECT_REJECTED(kInvalid, t::Count("wh", "BIKE", 3));
  EXPECT_REJECTED(kInvalid, t::Adjust("wh", "BIKE", 1, AdjustReason::kReceipt));
  EXPECT_REJECTED(kInvalid, t::Transfer("wh", "s1", "BIKE", 1));
  absl::StatusOr<Outcome> r = Run(t::Count("wh", "BIKE", 3));
  EXPECT_TRUE(absl::StrContains(r.status().message(), "FRAME x1, PEDAL x2")) << r.status();
  // Order lines naming a kit are applied as their components: kit_orders_test.cc.
  EXPECT_EQ(Observe(), before);
  EXPECT_EQ(Reservable("web", "BIKE"), 3);
}

std::string Lines(const HoldView& h) {
  std::vector<std::string> out;
  for (const Line& l : h.lines) out.push_back(absl::StrCat(l.sku, "@", l.location, " x", l.qty));
  return absl::StrJoin(out, ", ");
}

TEST_F(KitsTest, AReservedKitHoldsItsComponentsAtOneLocationAndFollowsTheHold) {
  SetStock("wh", "FRAME", 5);
  SetStock("wh", "PEDAL", 3);  // 1 bike at wh
  SetStock("s1", "FRAME", 2);
  SetStock("s1", "PEDAL", 20);  // 2 at s1
  Outcome o = Ok(t::Reserve("web", {L("BIKE", 2)}));
  ASSERT_TRUE(o.hold);
  EXPECT_EQ(Lines(*o.hold), "FRAME@s1 x2, PEDAL@s1 x4") << "the first source covering 2 kits";
  EXPECT_EQ(Row("FRAME", "s1"), (Counters{2, 2, 0}));
  EXPECT_EQ(Reservable("web", "BIKE"), 1);
  // Commit, then fulfil: the components leave on_hand together.
  Ok(t::Commit(o.hold->hold_id));
  Ok(t::Fulfill(o.hold->hold_id));
  EXPECT_EQ(Row("FRAME", "s1"), (Counters{0, 0, 0}));
  EXPECT_EQ(Row("PEDAL", "s1"), (Counters{16, 0, 0}));
  // A location named on the line: the kit is taken there or refused.
  const std::string at_wh = Hold("web", {L("BIKE", 1, "wh")});
  EXPECT_EQ(Lines(GetHold(at_wh)), "FRAME@wh x1, PEDAL@wh x2");
  Ok(t::Release(at_wh));
  EXPECT_EQ(Row("PEDAL", "wh"), (Counters{3, 0, 0}));
  absl::StatusOr<Outcome> r = Run(t::Reserve("web", {L("BIKE", 2, "wh")}));
  EXPECT_EQ(r.status().code(), kPrecondition);
  EXPECT_TRUE(absl::StrContains(r.status().message(), "limited by 'PEDAL': avail 3, 2 per kit"))
      << r.status();
  ExpectInvariants();
}

TEST_F(KitsTest, AKitNoSingleSourceCoversIsRefusedAndChangesNothing) {
  SetStock("wh", "FRAME", 1);
  SetStock("wh", "PEDAL", 2);
  SetStock("s1", "FRAME", 1);
  SetStock("s1", "PEDAL", 2);  // 2 bikes in all, 1 per location
  AwaitKit("BIKE", "web", 2);
  const std::string before = Observe();
  EXPECT_REJECTED(kPrecondition, t::Reserve("web", {L("BIKE", 2)}));
  absl::StatusOr<Outcome> r = Run(t::Reserve("web", {L("BIKE", 2)}));
  EXPECT_TRUE(absl::StrContains(r.status().message(), "wh 1 (FRAME), s1 1 (FRAME)")) << r.status();
  EXPECT_EQ(Observe(), before);
  // One at a time they ship from each location.
  EXPECT_EQ(Lines(GetHold(Hold("web", {L("BIKE", 1)}))), "FRAME@wh x1, PEDAL@wh x2");
  EXPECT_EQ(Lines(GetHold(Hold("web", {L("BIKE", 1)}))), "FRAME@s1 x1, PEDAL@s1 x2");
  EXPECT_EQ(Reservable("web", "BIKE"), 0);
}

TEST_F(KitsTest, AKitAndItsComponentsInOneRequestAreCheckedTogether) {
  SetStock("wh", "FRAME", 2);
  SetStock("wh", "PEDAL", 4);
  SetStock("wh", "BELL", 1);
  AwaitKit("BIKE", "web", 2);
  AwaitKit("SET", "web", 1);
  // A bike, a set and an extra frame: 3 frames at wh for 2 there -> refused whole.
  const std::string before = Observe();
  EXPECT_REJECTED(kPrecondition,
                  t::Reserve("web", {L("BIKE", 1), L("SET", 1), L("FRAME", 1, "wh")}));
  EXPECT_EQ(Observe(), before);
  // A bike and a set share wh's frames and pedals: one hold line per SKU and location.
  Outcome o = Ok(t::Reserve("web", {L("BIKE", 1), L("SET", 1)}));
  EXPECT_EQ(Lines(*o.hold), "FRAME@wh x2, PEDAL@wh x4, BELL@wh x1");
  EXPECT_EQ(Row("FRAME", "wh"), (Counters{2, 2, 0}));
  ExpectInvariants();
}

TEST_F(KitsTest, ATillSellsKitsFromItsOwnShelfInOneMutation) {
  SetStock("s1", "FRAME", 3);
  SetStock("s1", "PEDAL", 4);  // pos1 may take what web does not protect: 1 frame, 2 pedals
  EXPECT_EQ(Reservable("pos1", "BIKE"), 1);
  Outcome o = Ok(t::Sell("pos1", "s1", "BIKE", 1));
  EXPECT_EQ(Str(o.before), "FRAME@s1=3/0/0, PEDAL@s1=4/0/0");
  EXPECT_EQ(Str(o.after), "FRAME@s1=2/0/0, PEDAL@s1=2/0/0");
  EXPECT_FALSE(o.breach);
  // Beyond what pos1 may sell: refused, naming the limiting component, nothing changes.
  const std::string before = Observe();
  absl::StatusOr<Outcome> r = Run(t::Sell("pos1", "s1", "BIKE", 1));
  EXPECT_EQ(r.status().code(), kPrecondition);
  EXPECT_TRUE(absl::StrContains(r.status().message(), "limited by 'FRAME': avail 0, 1 per kit"))
      << r.status();
  EXPECT_EQ(Observe(), before);
  // A physical sale with override: a breach, counted in kits.
  SellCmd sell = t::Sell("pos1", "s1", "BIKE", 1);
  sell.override_limit = true;
  Outcome b = Ok(sell);
  EXPECT_TRUE(b.breach);
  EXPECT_EQ(b.breach_units, 1);
  EXPECT_EQ(Row("PEDAL", "s1"), (Counters{0, 0, 0}));
  // Not on the shelf at all: refused even with override.
  r = Run(sell);
  EXPECT_EQ(r.status().code(), kPrecondition);
  EXPECT_TRUE(absl::StrContains(r.status().message(), "only 0 of 'PEDAL' on hand at 's1'"))
      << r.status();
  EXPECT_EQ(Row("FRAME", "s1"), (Counters{1, 0, 0}));
}

// 64 threads reserve kits and their components of the same SKUs (and release some):
// never more held than there is, every kit whole at one location.
TEST_F(KitsTest, ConcurrentKitAndComponentReservesNeverOversell) {
  SetStock("wh", "FRAME", 40);
  SetStock("wh", "PEDAL", 60);
  SetStock("wh", "BELL", 25);
  SetStock("s1", "FRAME", 30);
  SetStock("s1", "PEDAL", 50);
  SetStock("s1", "BELL", 20);
  std::atomic<int64_t> bikes{0}, sets{0}, frames{0}, refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 64; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 40; ++i) {
        const int pick = (t + i) % 3;
        const std::vector<Line> lines = pick == 0   ? std::vector<Line>{L("BIKE", 1)}
                                        : pick == 1 ? std::vector<Line>{L("SET", 1)}
                                                    : std::vector<Line>{L("FRAME", 1)};
        absl::StatusOr<Outcome> r = Run(t::Reserve("web", lines));
        if (!r.ok()) {
          EXPECT_EQ(r.status().code(), kPrecondition) << r.status();
          refused.fetch_add(1);
          continue;
        }
        // Every kit line's components at one location.
        std::set<std::string> locations;
        for (const Line& l : r->hold->lines) locations.insert(l.location);
        if (pick != 2) EXPECT_EQ(locations.size(), 1u) << Lines(*r->hold);
        (pick == 0 ? bikes : pick == 1 ? sets : frames).fetch_add(1);
        if (i % 4 == 0) {
          EXPECT_TRUE(Run(t::Release(r->hold->hold_id)).ok());
          (pick == 0 ? bikes : pick == 1 ? sets : frames).fetch_sub(1);
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  ExpectInvariants();
  int64_t held_frames = 0, held_pedals = 0, held_bells = 0;
  for (const char* l : {"wh", "s1"}) {
    for (const char* sku : {"FRAME", "PEDAL", "BELL"}) EXPECT_GE(Row(sku, l).free(), 0) << sku;
    held_frames += Row("FRAME", l).held;
    held_pedals += Row("PEDAL", l).held;
    held_bells += Row("BELL", l).held;
  }
  EXPECT_EQ(held_frames, bikes + sets + frames);
  EXPECT_EQ(held_pedals, 2 * (bikes + sets));
  EXPECT_EQ(held_bells, sets.load());
  EXPECT_GT(refused.load(), 0) << "demand must outrun the stock for this to test anything";
}

TEST_F(KitsTest, AComponentsChangeAnnouncesTheKitOnEveryChannelItMoves) {
  SetStock("wh", "FRAME", 5);
  EXPECT_EQ(KitChanges("BIKE", 0), std::vector<std::string>{}) << "no pedals: still 0";
  SetStock("wh", "PEDAL", 6);
  // web: 3 bikes at wh; amazon: floor((3 - 2) x 50%) = 0, unchanged; the stores: none.
  EXPECT_EQ(KitChanges("BIKE", 1), std::vector<std::string>{"web 0->3 r3"});
  Hold("web", {L("PEDAL", 2, "wh")});  // a component held on its own
  EXPECT_EQ(KitChanges("BIKE", 1), std::vector<std::string>{"web 3->2 r2"});
  Ok(t::Reserve("web", {L("BIKE", 1)}));  // the kit itself
  EXPECT_EQ(KitChanges("BIKE", 1), std::vector<std::string>{"web 2->1 r1"});
  SetStock("wh", "FRAME", 40);  // pedals still limit: 1 bike, no change
  SetStock("wh", "PEDAL", 40);  // 36 free: 18 bikes; amazon floor((18 - 2) x 50%) = 8
  EXPECT_EQ(KitChanges("BIKE", 2), (std::vector<std::string>{"amazon 0->8 r18", "web 1->18 r18"}));
  EXPECT_EQ(KitChanges("SET", 0), std::vector<std::string>{});
}

TEST_F(KitsTest, AReloadThatMovesAKitsOwnPolicyAnnouncesTheKit) {
  SetStock("wh", "SOCK", 31);  // 10 packs: web capped at 4, amazon (10 - 2) x 50% = 4
  EXPECT_EQ(KitChanges("3PACK", 2), (std::vector<std::string>{"amazon 0->4 r10", "web 0->4 r10"}));
  Model next = FixtureModel();
  next.overrides.back().max_publish = 2;  // no component moves, the kit's cap does
  ASSERT_TRUE(engine_->Reconfigure(next).ok());
  EXPECT_EQ(KitChanges("3PACK", 1), std::vector<std::string>{"web 4->2 r10"});
  EXPECT_EQ(Published("web", "3PACK"), 2);
}

TEST_F(KitsTest, AWatchSnapshotListsKitsWithTheirCurrentQuantity) {
  SetStock("wh", "SOCK", 31);
  std::vector<std::string> items;
  engine_->ForEachPublished({"web", "amazon"}, {"3PACK", "SOCK"}, [&](const PublishedChange& c) {
    items.push_back(absl::StrCat(c.sku, " ", c.channel, " ", c.published, " r", c.reservable));
  });
  EXPECT_EQ(items, (std::vector<std::string>{"SOCK web 31 r31", "SOCK amazon 14 r31",
                                             "3PACK web 4 r10", "3PACK amazon 4 r10"}));
}

TEST(KitRulesTest, EveryStructuralRuleIsInvalidArgument) {
  auto model = [](std::vector<Kit> kits) {
    Model m = ModelBuilder().Location("wh").Channel("web", ChannelType::kWebshop, {"wh"}).Build();
    m.kits = std::move(kits);
    return m;
  };
  auto check = [&](std::vector<Kit> kits, const std::string& needle) {
    absl::StatusOr<std::unique_ptr<Engine>> e = Engine::Create(model(std::move(kits)), {});
    ASSERT_FALSE(e.ok()) << needle;
    EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(absl::StrContains(e.status().message(), needle)) << e.status();
  };
  check({{"K", {{"A", 1}, {"K2", 1}}, "x:1"}, {"K2", {{"B", 1}}, "x:2"}}, "'K2' is a kit");
  check({{"K", {{"K", 1}}, "x:1"}}, "'K' is a kit");
  check({{"K", {{"A", 1}, {"A", 2}}, "x:1"}}, "listed twice");
  check({{"K", {}, "x:1"}}, "no components");
  check({{"K", {{"A", 0}}, "x:1"}}, "qty outside 1..10000");
  check({{"K", {{"A", 1}}, "x:1"}, {"K", {{"B", 1}}, "x:2"}}, "defined twice");
  check({{"K K", {{"A", 1}}, "x:1"}}, "invalid SKU");
  EXPECT_TRUE(Engine::Create(model({{"K", {{"A", 2}, {"B", 1}}, "x:1"}}), {}).ok());
}

TEST_F(KitsTest, StoredStockOfAKitRefusesTheRestore) {
  Snapshot snapshot;
  snapshot.rows.push_back({"BIKE", "wh", Counters{2, 0, 0}});
  absl::Status st = engine_->Restore(snapshot);
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(st.message(), "defines it as a kit")) << st;
}

}  // namespace
}  // namespace stockd::engine
