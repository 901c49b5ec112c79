// Order lines naming a kit (docs/kits.md, "Orders"): a channel's line of kits is applied
// as one line per component, in component units, every component of the line from one
// location; the order's shipped and cancelled kits move the components together, and an
// order is still a fact (what no source covers whole is a backorder, never a refusal).
// The fixture is engine_fixture.h; its channels: web (wh, s1; 2 protected at s1),
// amazon (wh; safety 2, share 50).
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "tests/engine/engine_fixture.h"
#include "tests/engine/order_helpers.h"

namespace stockd::engine {
namespace {

//   BIKE = FRAME x1 + PEDAL x2
//   SET  = FRAME x1 + PEDAL x2 + BELL x1
class KitOrdersTest : public EngineTest {
 protected:
  Model FixtureModel() override {
    Model m = TestModel();
    m.kits = {{"BIKE", {{"FRAME", 1}, {"PEDAL", 2}}, "t.yaml:1"},
              {"SET", {{"FRAME", 1}, {"PEDAL", 2}, {"BELL", 1}}, "t.yaml:4"}};
    return m;
  }
  void FixtureOptions(EngineOptions* options) override { options->max_lines = kLines; }
  static constexpr int kLines = 12;
  OrderView GetOrder(const std::string& channel, const std::string& id) {
    absl::StatusOr<OrderView> o = engine_->GetOrder(channel, id);
    EXPECT_TRUE(o.ok()) << o.status();
    return o.ok() ? *o : OrderView{};
  }
  // "FRAME(BIKE x1)@s1 qty 2 open 2 fulfilled 0 backorder 0", one per line.
  static std::string Lines(const OrderView& o) {
    std::vector<std::string> out;
    for (const OrderLineView& l : o.lines) {
      out.push_back(
          absl::StrCat(l.sku, l.kit.empty() ? "" : absl::StrCat("(", l.kit, " x", l.per_kit, ")"),
                       "@", l.location, " qty ", l.qty, " open ", l.open, " fulfilled ",
                       l.fulfilled, " backorder ", l.backorder));
    }
    return absl::StrJoin(out, "; ");
  }
  static std::string HoldLines(const HoldView& h) {
    std::vector<std::string> out;
    for (const Line& l : h.lines) {
      out.push_back(absl::StrCat(l.sku, "@", l.location, " x", l.qty, " f", l.fulfilled));
    }
    return absl::StrJoin(out, ", ");
  }
  void ExpectInvariants() {
    InvariantReport report = engine_->CheckInvariants();
    EXPECT_TRUE(report.ok()) << absl::StrJoin(report.violations, "\n");
  }
};

TEST_F(KitOrdersTest, AKitLineIsAppliedAsItsComponentsAtOneLocationThroughShipping) {
  SetStock("wh", "FRAME", 5);
  SetStock("wh", "PEDAL", 3);  // 1 bike at wh
  SetStock("s1", "FRAME", 2);
  SetStock("s1", "PEDAL", 20);  // 2 at s1
  Outcome o = Ok(Order("web", "W-1", 1, OrderStatus::kPending, {OL("BIKE", 2)}));
  ASSERT_TRUE(o.order);
  EXPECT_EQ(Lines(*o.order),
            "FRAME(BIKE x1)@s1 qty 2 open 2 fulfilled 0 backorder 0; "
            "PEDAL(BIKE x2)@s1 qty 4 open 4 fulfilled 0 backorder 0")
      << "the first source whose avail covers both components for 2 kits";
  const std::string hold = o.order->hold_id;
  EXPECT_EQ(HoldLines(GetHold(hold)), "FRAME@s1 x2 f0, PEDAL@s1 x4 f0");
  EXPECT_EQ(Row("FRAME", "s1"), (Counters{2, 2, 0}));
  EXPECT_EQ(Row("PEDAL", "s1"), (Counters{20, 4, 0}));
  EXPECT_EQ(Row("FRAME", "wh"), (Counters{5, 0, 0}));
  EXPECT_EQ(Reservable("web", "BIKE"), 1);

  Ok(Order("web", "W-1", 2, OrderStatus::kAccepted, {OL("BIKE", 2)}));
  EXPECT_EQ(Row("FRAME", "s1"), (Counters{2, 0, 2}));
  EXPECT_EQ(Row("PEDAL", "s1"), (Counters{20, 0, 4}));
  EXPECT_EQ(GetHold(hold).state, HoldState::kCommitted);

  // One kit shipped: one frame and two pedals leave the shelf.
  Ok(Order("web", "W-1", 3, OrderStatus::kShipped, {OL("BIKE", 2, 1)}));
  EXPECT_EQ(Row("FRAME", "s1"), (Counters{1, 0, 1}));
  EXPECT_EQ(Row("PEDAL", "s1"), (Counters{18, 0, 2}));
  EXPECT_EQ(HoldLines(GetHold(hold)), "FRAME@s1 x2 f1, PEDAL@s1 x4 f2");

  Ok(Order("web", "W-1", 4, OrderStatus::kShipped, {OL("BIKE", 2, 2)}));
  EXPECT_EQ(Row("FRAME", "s1"), (Counters{0, 0, 0}));
  EXPECT_EQ(Row("PEDAL", "s1"), (Counters{16, 0, 0}));
  EXPECT_EQ(GetHold(hold).state, HoldState::kFulfilled);
  const OrderView order = GetOrder("web", "W-1");
  EXPECT_TRUE(order.closed);
  EXPECT_EQ(Lines(order),
            "FRAME(BIKE x1)@s1 qty 2 open 0 fulfilled 2 backorder 0; "
            "PEDAL(BIKE x2)@s1 qty 4 open 0 fulfilled 4 backorder 0");
  ExpectInvariants();
}

TEST_F(KitOrdersTest, AKitLineAtALocationStockdDoesNotKnowIsTakenFromTheSourcesAndSaysSo) {
  SetStock("wh", "FRAME", 5);
  SetStock("wh", "PEDAL", 10);
  Outcome o = Ok(Order("amazon", "A-9", 1, OrderStatus::kPending, {OL("BIKE", 1, 0, 0, "mars")}));
  ASSERT_TRUE(o.order);
  EXPECT_EQ(Lines(*o.order),
            "FRAME(BIKE x1)@wh qty 1 open 1 fulfilled 0 backorder 0; "
            "PEDAL(BIKE x2)@wh qty 2 open 2 fulfilled 0 backorder 0");
  const std::vector<AuditEntry> audit = engine_->ListAudit("FRAME", 1);
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_TRUE(absl::StrContains(audit[0].reason, "location 'mars' of kit BIKE is unknown"))
      << audit[0].reason;
}

TEST_F(KitOrdersTest, CancelledKitsReleaseEveryComponent) {
  SetStock("wh", "FRAME", 5);
  SetStock("wh", "PEDAL", 10);
  // 3 bikes, 1 of them cancelled on the channel: 2 kits' worth held.
  Outcome o = Ok(Order("amazon", "A-1", 1, OrderStatus::kPending, {OL("BIKE", 3, 0, 1)}));
  ASSERT_TRUE(o.order);
  EXPECT_EQ(Row("FRAME", "wh"), (Counters{5, 2, 0}));
  EXPECT_EQ(Row("PEDAL", "wh"), (Counters{10, 4, 0}));
  EXPECT_EQ(o.order->lines[1].cancelled, 2) << "one kit cancelled is 2 pedals";
  // Accepted, then the whole order cancelled: committed units come back to free.
  Ok(Order("amazon", "A-1", 2, OrderStatus::kAccepted, {OL("BIKE", 3, 0, 1)}));
  EXPECT_EQ(Row("PEDAL", "wh"), (Counters{10, 0, 4}));
  Ok(Order("amazon", "A-1", 3, OrderStatus::kCancelled, {OL("BIKE", 3, 0, 3)}));
  EXPECT_EQ(Row("FRAME", "wh"), (Counters{5, 0, 0}));
  EXPECT_EQ(Row("PEDAL", "wh"), (Counters{10, 0, 0}));
  EXPECT_EQ(GetHold(o.order->hold_id).state, HoldState::kCancelled);
  EXPECT_TRUE(GetOrder("amazon", "A-1").closed);
  ExpectInvariants();
}

TEST_F(KitOrdersTest, NoSourceCoversTheKitWholeTheMostKitsWorthIsTakenAndTheRestBackordered) {
  SetStock("wh", "FRAME", 1);
  SetStock("wh", "PEDAL", 2);
  SetStock("s1", "FRAME", 3);
  SetStock("s1", "PEDAL", 4);  // wh makes 1 bike, s1 makes 2: no source makes 3
  Outcome o = Ok(Order("web", "W-2", 1, OrderStatus::kPending, {OL("BIKE", 3)}));
  ASSERT_TRUE(o.order);
  EXPECT_EQ(Lines(*o.order),
            "FRAME(BIKE x1)@s1 qty 3 open 3 fulfilled 0 backorder 0; "
            "PEDAL(BIKE x2)@s1 qty 6 open 4 fulfilled 0 backorder 2")
      << "never split over locations: s1 has the most whole kits (2), the rest is owed";
  EXPECT_EQ(Row("FRAME", "wh"), (Counters{1, 0, 0}));
  EXPECT_EQ(Row("PEDAL", "s1"), (Counters{4, 4, 0}));
  EXPECT_TRUE(GetOrder("web", "W-2").has_problem());
  // Stock received at s1 later: the next revision takes what was owed, still at s1.
  Ok(t::Adjust("s1", "PEDAL", 2, AdjustReason::kReceipt));
  Ok(Order("web", "W-2", 2, OrderStatus::kPending, {OL("BIKE", 3)}));
  EXPECT_EQ(Lines(GetOrder("web", "W-2")),
            "FRAME(BIKE x1)@s1 qty 3 open 3 fulfilled 0 backorder 0; "
            "PEDAL(BIKE x2)@s1 qty 6 open 6 fulfilled 0 backorder 0");
  ExpectInvariants();
}

TEST_F(KitOrdersTest, AKitLineAndItsComponentsOwnLineStayApartAcrossRevisions) {
  SetStock("wh", "FRAME", 10);
  SetStock("wh", "PEDAL", 10);
  SetStock("wh", "BELL", 10);
  // A set, a bike and a spare frame: three lines of FRAME, each its own.
  std::vector<OrderLineCmd> lines = {OL("SET", 1), OL("BIKE", 2), OL("FRAME", 1)};
  Outcome o = Ok(Order("amazon", "A-2", 1, OrderStatus::kPending, lines));
  ASSERT_TRUE(o.order);
  EXPECT_EQ(o.order->lines.size(), 6u);
  EXPECT_EQ(Row("FRAME", "wh"), (Counters{10, 4, 0}));
  EXPECT_EQ(Row("PEDAL", "wh"), (Counters{10, 6, 0}));
  EXPECT_EQ(Row("BELL", "wh"), (Counters{10, 1, 0}));
  // The next revision drops the bike and ships the spare frame: the bike's components
  // are released, the set's stay held, the frame's own line ships.
  Ok(Order("amazon", "A-2", 2, OrderStatus::kShipped, {OL("SET", 1), OL("FRAME", 1, 1)}));
  EXPECT_EQ(Row("FRAME", "wh"), (Counters{9, 0, 1}));
  EXPECT_EQ(Row("PEDAL", "wh"), (Counters{10, 0, 2}));
  EXPECT_EQ(Row("BELL", "wh"), (Counters{10, 0, 1}));
  const OrderView order = GetOrder("amazon", "A-2");
  ASSERT_EQ(order.lines.size(), 6u);
  EXPECT_EQ(order.lines[3].sku, "FRAME");
  EXPECT_EQ(order.lines[3].kit, "");
  EXPECT_EQ(order.lines[3].fulfilled, 1);
  ExpectInvariants();
}

TEST_F(KitOrdersTest, AKitIsKnownOnceEveryComponentIsAndBadKitLinesChangeNothing) {
  EXPECT_FALSE(engine_->HasSku("BIKE"));
  SetStock("wh", "FRAME", 5);
  EXPECT_FALSE(engine_->HasSku("BIKE")) << "no pedal yet: an order naming it is parked";
  SetStock("wh", "PEDAL", 5);
  EXPECT_TRUE(engine_->HasSku("BIKE"));
  const Counters frame = Row("FRAME", "wh");
  // A component's units over kMaxQuantity.
  absl::StatusOr<Outcome> r =
      Run(Order("amazon", "A-3", 1, OrderStatus::kPending, {OL("BIKE", kMaxQuantity)}));
  EXPECT_EQ(r.status().code(), kInvalid) << r.status();
  EXPECT_TRUE(absl::StrContains(r.status().message(), "units of 'PEDAL' (2 per kit)"))
      << r.status();
  // More component lines than max_lines.
  std::vector<OrderLineCmd> many(kLines / 2 + 1, OL("BIKE", 1));
  r = Run(Order("amazon", "A-3", 1, OrderStatus::kPending, many));
  EXPECT_EQ(r.status().code(), kInvalid) << r.status();
  EXPECT_TRUE(absl::StrContains(r.status().message(), "once its kits are split")) << r.status();
  EXPECT_EQ(Row("FRAME", "wh"), frame);
  EXPECT_FALSE(engine_->GetOrder("amazon", "A-3").ok());
}

}  // namespace
}  // namespace stockd::engine
