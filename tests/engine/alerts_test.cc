// Stock alerts (docs/alerts.md; issue 16 parts 3 and 5), in the engine on a manual clock:
// the velocity maths, reorder points fixed and from velocity (per location and overall),
// once per crossing with the hysteresis band, sold out and back in stock per channel,
// uncovered holds, what counts as demand, and the list of raised keys by days of cover.
// The fixture is engine_fixture.h (TestModel: wh, s1, s2, dc; web, pos1, pos2, amazon).
#include "daemon/engine/alerts.h"

#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "tests/engine/alert_listener.h"
#include "tests/engine/engine_fixture.h"

namespace stockd::engine {
namespace {

constexpr int64_t kDay = 24 * 60 * kMinute;
constexpr int64_t kWeek = 7 * kDay;

ReorderRule Fixed(const std::string& pattern, std::optional<int64_t> point,
                  std::optional<int64_t> total, std::vector<int> locations = {}) {
  ReorderRule r;
  r.pattern = pattern;
  r.point = point;
  r.total_point = total;
  r.locations = std::move(locations);
  r.origin = "test";
  return r;
}

ReorderRule Days(const std::string& pattern, double lead, double cover) {
  ReorderRule r;
  r.pattern = pattern;
  r.lead_time_days = lead;
  r.cover_days = cover;
  r.origin = "test";
  return r;
}

class AlertsTest : public EngineTest {
 protected:
  Model FixtureModel() override {
    Model m = TestModel();
    m.alerts.back_in_stock_at = 3;
    m.reorder = {
        Fixed("MUG-*", 12, std::nullopt, {m.LocationIndex("wh")}),
        Days("TEE-*", 5, 10),
        Fixed("SET-*", std::nullopt, 40),
        Days("VEL-*", 1, 0),
        Fixed("MUG-SPECIAL", 5, std::nullopt),  // later than MUG-*: wins
    };
    return m;
  }
  void SetUp() override {
    EngineTest::SetUp();
    engine_->AddListener(&alerts_);
  }
  double VelocityAtLocation(const std::string& sku, const std::string& location) {
    auto v = engine_->SalesVelocity(sku);
    EXPECT_TRUE(v.ok()) << v.status();
    if (!v.ok()) return -1;
    for (const auto& [l, units] : *v) {
      if (l == location) return units;
    }
    return -1;
  }

  AlertListener alerts_;
};

using Alerts = std::vector<std::string>;

TEST(AlertMathTest, VelocityHalvesEveryHalfLifeAndConvergesOnTheSalesRate) {
  const double lambda = M_LN2 / 7.0;  // per day, half life 7 days
  RowAlertState row;
  const int64_t t0 = 1'700'000'000'000;
  EXPECT_EQ(VelocityAt(row, t0, kWeek), 0.0) << "never sold";
  AddDemand(&row, 7, t0, kWeek);
  EXPECT_NEAR(VelocityAt(row, t0, kWeek), 7 * lambda, 1e-12);
  EXPECT_NEAR(VelocityAt(row, t0 + kWeek, kWeek), 7 * lambda / 2, 1e-12);
  EXPECT_NEAR(VelocityAt(row, t0 + 2 * kWeek, kWeek), 7 * lambda / 4, 1e-12);
  // 10 units every day for 200 days: just after the last sale the rate is the sum of
  // 10 λ q^k over the 200 sales, 10 λ (1 - q^200) / (1 - q), and a day later q times that
  // (q = 2^(-1/7), a day's decay); they straddle 10.
  RowAlertState steady;
  for (int d = 0; d < 200; ++d) AddDemand(&steady, 10, t0 + d * kDay, kWeek);
  const double q = std::exp2(-1.0 / 7);
  const double after = 10 * lambda * (1 - std::pow(q, 200)) / (1 - q);
  EXPECT_NEAR(VelocityAt(steady, t0 + 199 * kDay, kWeek), after, 1e-9);
  EXPECT_NEAR(VelocityAt(steady, t0 + 200 * kDay, kWeek), after * q, 1e-9);
  EXPECT_LT(after * q, 10);
  EXPECT_GT(after, 10);
}

TEST(AlertMathTest, PointsAndBands) {
  EXPECT_EQ(ReorderPoint(Days("A", 5, 10), false, 10.0), 150);
  EXPECT_EQ(ReorderPoint(Days("A", 5, 10), false, 10.0000000001), 150) << "rounding noise";
  EXPECT_EQ(ReorderPoint(Days("A", 5, 10), false, 10.1), 152);
  EXPECT_EQ(ReorderPoint(Days("A", 5, 10), false, 0), 0) << "never sold: no point";
  EXPECT_EQ(ReorderPoint(Fixed("A", 12, 40), false, 99), 12);
  EXPECT_EQ(ReorderPoint(Fixed("A", 12, 40), true, 99), 40);
  EXPECT_EQ(ReorderPoint(Fixed("A", 12, std::nullopt), true, 99), 0);
  EXPECT_EQ(HysteresisBand(12, 20), 3);  // 2.4 rounds up
  EXPECT_EQ(HysteresisBand(10, 20), 2);
  EXPECT_EQ(HysteresisBand(2, 20), 1);
  EXPECT_EQ(HysteresisBand(100, 0), 1) << "at least one unit";
}

TEST_F(AlertsTest, AFixedPointAlertsOncePerCrossingAndReArmsAboveTheBand) {
  SetStock("wh", "MUG-1", 20);
  SetStock("s1", "MUG-1", 3);  // s1 is not in the rule's locations
  EXPECT_EQ(alerts_.Take(), Alerts{});
  Ok(t::Sell("amazon", "wh", "MUG-1", 7));  // 13
  EXPECT_EQ(alerts_.Take(), Alerts{});
  Ok(t::Sell("amazon", "wh", "MUG-1", 2));  // 11 < 12
  EXPECT_EQ(alerts_.Take(), Alerts{"reorder MUG-1@wh free 11 point 12"});
  Ok(t::Sell("amazon", "wh", "MUG-1", 1));                  // 10
  Ok(t::Adjust("wh", "MUG-1", 2, AdjustReason::kReceipt));  // 12: inside the band
  Ok(t::Sell("amazon", "wh", "MUG-1", 1));                  // 11
  Ok(t::Adjust("wh", "MUG-1", 3, AdjustReason::kReceipt));  // 14 < 12 + 3
  Ok(t::Sell("amazon", "wh", "MUG-1", 3));                  // 11
  EXPECT_EQ(alerts_.Take(), Alerts{}) << "no flapping inside the band";
  Ok(t::Adjust("wh", "MUG-1", 4, AdjustReason::kReceipt));  // 15: re-armed
  EXPECT_EQ(alerts_.Take(), Alerts{});
  Ok(t::Sell("amazon", "wh", "MUG-1", 4));  // 11
  EXPECT_EQ(alerts_.Take(), Alerts{"reorder MUG-1@wh free 11 point 12"});
  // The last matching rule wins: MUG-SPECIAL's point is 5, at every location.
  SetStock("s1", "MUG-SPECIAL", 6);
  Ok(t::Sell("pos1", "s1", "MUG-SPECIAL", 2, /*override_limit=*/true));
  EXPECT_EQ(alerts_.Take(), Alerts{"reorder MUG-SPECIAL@s1 free 4 point 5"});
}

TEST_F(AlertsTest, ACountStraightBelowThePointAlertsToo) {
  SetStock("wh", "MUG-2", 30);
  SetStock("wh", "MUG-2", 4);
  EXPECT_EQ(alerts_.Take(), Alerts{"reorder MUG-2@wh free 4 point 12"});
  // Held units are not free: a hold taking the rest of a re-armed shelf alerts.
  SetStock("wh", "MUG-2", 20);
  Hold("amazon", {L("MUG-2", 9, "wh")});
  EXPECT_EQ(alerts_.Take(), Alerts{"reorder MUG-2@wh free 11 point 12"});
}

TEST_F(AlertsTest, APointFromVelocityCoversLeadTimeAndCoverDays) {
  SetStock("wh", "TEE-1", 1000);
  for (int d = 0; d < 30; ++d) {
    Ok(t::Sell("amazon", "wh", "TEE-1", 10));
    clock_.Advance(kDay);
  }
  EXPECT_EQ(alerts_.Take(), Alerts{}) << "700 free, a point of about 150";
  const double v = VelocityAtLocation("TEE-1", "wh");
  EXPECT_GT(v, 9);
  EXPECT_LT(v, 10.5);
  // A transfer out is not demand: the velocity stays, free drops below v x 15.
  const int64_t point = ReorderPoint(Days("", 5, 10), false, v);
  Ok(t::Transfer("wh", "s2", "TEE-1", 700 - (point - 1)));
  EXPECT_EQ(VelocityAtLocation("TEE-1", "wh"), v);
  const std::string free = absl::StrCat(point - 1);
  // At wh, and for the SKU overall: the units moved to s2 still count there (free 700).
  EXPECT_EQ(alerts_.Take(),
            (Alerts{absl::StrCat("reorder TEE-1@wh free ", free, " point ", point)}));
  // Selling the rest of the SKU everywhere brings the overall below its point too.
  const int64_t at_s2 = 700 - (point - 1);
  Ok(t::Sell("pos2", "s2", "TEE-1", at_s2, /*override_limit=*/true));
  std::vector<AlertEvent> recent = engine_->RecentAlerts({});
  ASSERT_FALSE(recent.empty());
  const AlertEvent& overall = recent.front();
  EXPECT_EQ(overall.location, "");
  EXPECT_EQ(overall.free, point - 1);
  EXPECT_EQ(overall.point, ReorderPoint(Days("", 5, 10), true, overall.velocity));
  EXPECT_GT(overall.velocity, v) << "the SKU's velocity sums its locations'";
}

TEST_F(AlertsTest, AnOverallPointSumsEveryLocation) {
  SetStock("wh", "SET-1", 45);
  Ok(t::Transfer("wh", "s1", "SET-1", 15));
  EXPECT_EQ(alerts_.Take(), Alerts{}) << "45 over both locations";
  Ok(t::Sell("pos1", "s1", "SET-1", 6, /*override_limit=*/true));  // 39 < 40
  EXPECT_EQ(alerts_.Take(), Alerts{"reorder SET-1@* free 39 point 40"});
  Ok(t::Sell("amazon", "wh", "SET-1", 1));
  EXPECT_EQ(alerts_.Take(), Alerts{});
}

TEST_F(AlertsTest, SoldOutAndBackInStockOncePerChannelWithTheBand) {
  SetStock("s2", "X-1", 2);  // pos2 publishes 2; nothing was sold out
  EXPECT_EQ(alerts_.Take(), Alerts{});
  Ok(t::Sell("pos2", "s2", "X-1", 2));
  EXPECT_EQ(alerts_.Take(), Alerts{"sold_out X-1 pos2 2->0"});
  Ok(t::Adjust("s2", "X-1", 1, AdjustReason::kReturn));  // 1 < back_in_stock_at 3
  Ok(t::Sell("pos2", "s2", "X-1", 1));
  Ok(t::Adjust("s2", "X-1", 2, AdjustReason::kReceipt));
  EXPECT_EQ(alerts_.Take(), Alerts{}) << "0 -> 1 -> 0 -> 2 is still one sold-out";
  Ok(t::Adjust("s2", "X-1", 1, AdjustReason::kReceipt));
  EXPECT_EQ(alerts_.Take(), Alerts{"back_in_stock X-1 pos2 2->3"});
  Ok(t::Sell("pos2", "s2", "X-1", 3));
  EXPECT_EQ(alerts_.Take(), Alerts{"sold_out X-1 pos2 3->0"});
}

TEST_F(AlertsTest, AnOverrideSaleUncoveringAHoldAlertsAtThatLocation) {
  SetStock("s1", "C-1", 3);
  const std::string hold = Hold("web", {L("C-1", 2, "s1")});  // click & collect
  alerts_.Take();
  Ok(t::Sell("pos1", "s1", "C-1", 3, /*override_limit=*/true));  // free 3 - 2 - 3 = -2
  const std::string at_risk = " at risk 1: " + hold;
  Alerts got = alerts_.Take();
  EXPECT_NE(std::find(got.begin(), got.end(), "uncovered C-1@s1 free -2 point 0" + at_risk),
            got.end())
      << absl::StrJoin(got, "; ");
  Ok(t::Adjust("s1", "C-1", 1, AdjustReason::kReceipt));  // -1: still uncovered
  EXPECT_EQ(alerts_.Take(), Alerts{});
  std::vector<AlertEvent> active = engine_->ActiveAlerts({{AlertKind::kUncovered}});
  ASSERT_EQ(active.size(), 1u);
  EXPECT_EQ(AlertListener::Describe(active[0]), "uncovered C-1@s1 free -1 point 0" + at_risk);
  EXPECT_EQ(engine_->Stats().alerts_active[1],
            (std::pair<AlertKind, int64_t>{AlertKind::kUncovered, 1}));
  Ok(t::Adjust("s1", "C-1", 1, AdjustReason::kReceipt));  // 0: covered, re-armed
  EXPECT_TRUE(engine_->ActiveAlerts({{AlertKind::kUncovered}}).empty());
  EXPECT_EQ(engine_->Stats().alerts_active[1],
            (std::pair<AlertKind, int64_t>{AlertKind::kUncovered, 0}));
  Ok(t::Sell("pos1", "s1", "C-1", 1, /*override_limit=*/true));
  got = alerts_.Take();
  EXPECT_NE(std::find(got.begin(), got.end(), "uncovered C-1@s1 free -1 point 0" + at_risk),
            got.end())
      << absl::StrJoin(got, "; ");
  Ok(t::Release(hold));
}

// Issue 16 part 5: the alert names the open holds (held or committed) with units at that
// location, and only those; CheckInvariants lists the row with them (not a violation);
// the index they come from is rebuilt by a restore.
TEST_F(AlertsTest, AnUncoveredAlertNamesTheOpenHoldsAtThatLocationOnly) {
  SetStock("s1", "C-2", 4);
  SetStock("wh", "C-2", 5);
  const std::string held = Hold("web", {L("C-2", 1, "s1")});
  const std::string committed = Hold("web", {L("C-2", 2, "s1")});
  Ok(t::Commit(committed));
  const std::string elsewhere = Hold("web", {L("C-2", 2, "wh")});
  const std::string shipped = Hold("web", {L("C-2", 1, "s1")});
  Ok(t::Commit(shipped));
  Ok(t::Fulfill(shipped, {L("C-2", 1, "s1")}));  // s1: on_hand 3, held 1, committed 2
  alerts_.Take();
  Ok(t::Sell("pos1", "s1", "C-2", 2, /*override_limit=*/true));  // free 3 - 1 - 2 - 2 = -2
  std::vector<std::string> ids = {held, committed};
  std::sort(ids.begin(), ids.end());
  const std::string both = " at risk 2: " + absl::StrJoin(ids, ",");
  Alerts got = alerts_.Take();
  EXPECT_NE(std::find(got.begin(), got.end(), "uncovered C-2@s1 free -2 point 0" + both), got.end())
      << absl::StrJoin(got, "; ");
  std::vector<AlertEvent> active = engine_->ActiveAlerts({{AlertKind::kUncovered}});
  ASSERT_EQ(active.size(), 1u);
  EXPECT_EQ(AlertListener::Describe(active[0]), "uncovered C-2@s1 free -2 point 0" + both);
  InvariantReport report = engine_->CheckInvariants();
  EXPECT_TRUE(report.ok()) << absl::StrJoin(report.violations, "; ");
  EXPECT_EQ(report.uncovered, std::vector<std::string>{"C-2@s1: free -2, holds at risk: " +
                                                       absl::StrJoin(ids, ", ")});

  Ok(t::Release(held));  // free -1: the committed hold is still at risk
  report = engine_->CheckInvariants();
  EXPECT_TRUE(report.ok()) << absl::StrJoin(report.violations, "; ");
  EXPECT_EQ(report.uncovered,
            std::vector<std::string>{"C-2@s1: free -1, holds at risk: " + committed});

  // A restore rebuilds the index from the stored holds.
  Snapshot snapshot;
  snapshot.rows.push_back({"C-2", "s1", Row("C-2", "s1")});
  snapshot.rows.push_back({"C-2", "wh", Row("C-2", "wh")});
  HoldFilter open;
  open.limit = 0;
  snapshot.holds = engine_->ListHolds(open);
  ASSERT_EQ(snapshot.holds.size(), 2u);  // committed, elsewhere
  snapshot.sequence = 1000;
  ASSERT_TRUE(engine_->Restore(snapshot).ok());
  report = engine_->CheckInvariants();
  EXPECT_TRUE(report.ok()) << absl::StrJoin(report.violations, "; ");
  EXPECT_EQ(report.uncovered,
            std::vector<std::string>{"C-2@s1: free -1, holds at risk: " + committed});
  Ok(t::Cancel(committed));
  Ok(t::Release(elsewhere));
  report = engine_->CheckInvariants();
  EXPECT_TRUE(report.ok()) << absl::StrJoin(report.violations, "; ");
  EXPECT_TRUE(report.uncovered.empty()) << absl::StrJoin(report.uncovered, "; ");
}

// A stored alert state is taken back for a SKU with stored rows or a kit of the config;
// one that names neither (a kit the config no longer has, a SKU whose rows are not in the
// snapshot) is dropped: nothing listed, nothing counted, the start goes on.
TEST_F(AlertsTest, AStoredAlertStateNamingNeitherASkuNorAKitIsDropped) {
  Snapshot snapshot;
  snapshot.rows.push_back({"MUG-1", "wh", Counters{}});
  snapshot.sequence = 10;
  AlertStateView known;
  known.sku = "MUG-1";
  known.sold_out = {"web"};
  AlertStateView gone;
  gone.sku = "OLD-KIT";
  gone.sold_out = {"web", "amazon"};
  gone.total_reorder_raised = true;
  snapshot.alert_states = {gone, known};
  ASSERT_TRUE(engine_->Restore(snapshot).ok());
  std::vector<std::string> listed;
  for (const AlertEvent& e : engine_->ActiveAlerts({})) {
    listed.push_back(absl::StrCat(AlertKindName(e.kind), " ", e.sku, " ", e.channel));
  }
  EXPECT_EQ(listed, std::vector<std::string>{"sold_out MUG-1 web"});
  for (const auto& [kind, n] : engine_->Stats().alerts_active) {
    EXPECT_EQ(n, kind == AlertKind::kSoldOut ? 1 : 0) << AlertKindName(kind);
  }
}

// Every breach is its own alert (no crossing state): a sale with override beyond the
// channel's avail, and each breaching line of an inbound order.
TEST_F(AlertsTest, EveryBreachIsAnAlertNamingTheChannelLocationAndUnits) {
  SetStock("s1", "C-3", 6);  // web protects 2 at s1: pos1 may sell 4
  alerts_.Take();
  Ok(t::Sell("pos1", "s1", "C-3", 5, /*override_limit=*/true));
  Alerts got = alerts_.Take();
  EXPECT_NE(std::find(got.begin(), got.end(), "breach C-3@s1 pos1 1"), got.end())
      << absl::StrJoin(got, "; ");
  Ok(t::Sell("pos1", "s1", "C-3", 1, /*override_limit=*/true));  // avail 0: 1 beyond again
  got = alerts_.Take();
  EXPECT_NE(std::find(got.begin(), got.end(), "breach C-3@s1 pos1 1"), got.end())
      << absl::StrJoin(got, "; ");
  // An order on pos1 whose line takes 2 where pos1 may sell 1: one breach of 1 unit.
  SetStock("s1", "C-4", 3);
  alerts_.Take();
  ApplyOrderCmd order;
  order.channel = "pos1";
  order.order_id = "o-1";
  order.revision = 1;
  order.status = OrderStatus::kAccepted;
  order.lines = {OrderLineCmd{"C-4", "s1", 2, 0, 0}};
  EXPECT_EQ(Ok(order).breach_units, 1);
  got = alerts_.Take();
  EXPECT_NE(std::find(got.begin(), got.end(), "breach C-4@s1 pos1 1 order o-1"), got.end())
      << absl::StrJoin(got, "; ");
  std::vector<AlertEvent> recent = engine_->RecentAlerts({{AlertKind::kBreach}});
  ASSERT_EQ(recent.size(), 3u);
  EXPECT_EQ(AlertListener::Describe(recent[0]), "breach C-4@s1 pos1 1 order o-1");
  EXPECT_TRUE(engine_->ActiveAlerts({{AlertKind::kBreach}}).empty()) << "a fact, not a state";
}

TEST_F(AlertsTest, SalesAndCommitsAreDemandAndNothingElseIs) {
  const double lambda = M_LN2 / 7.0;
  SetStock("wh", "VEL-1", 100);
  Ok(t::Adjust("wh", "VEL-1", -10, AdjustReason::kDamage));
  Ok(t::Transfer("wh", "s1", "VEL-1", 10));
  Ok(t::Count("wh", "VEL-1", 70));
  const std::string released = Hold("amazon", {L("VEL-1", 4, "wh")});
  Ok(t::Release(released));
  EXPECT_EQ(VelocityAtLocation("VEL-1", "wh"), 0.0) << "no demand yet";
  const std::string hold = Hold("amazon", {L("VEL-1", 5, "wh")});
  Ok(t::Commit(hold));
  EXPECT_NEAR(VelocityAtLocation("VEL-1", "wh"), 5 * lambda, 1e-12) << "a commit is demand";
  Ok(t::Fulfill(hold));
  Ok(t::Sell("amazon", "wh", "VEL-1", 3));
  EXPECT_NEAR(VelocityAtLocation("VEL-1", "wh"), 8 * lambda, 1e-12)
      << "a fulfilment counted at its commit; a sale is demand";
  const std::string cancelled = Hold("amazon", {L("VEL-1", 2, "wh")});
  Ok(t::Commit(cancelled));
  Ok(t::Cancel(cancelled));
  EXPECT_NEAR(VelocityAtLocation("VEL-1", "wh"), 10 * lambda, 1e-12)
      << "a cancel does not take demand back";
  EXPECT_EQ(VelocityAtLocation("VEL-1", "s1"), 0.0);
}

TEST_F(AlertsTest, RaisedKeysAreListedByDaysOfCoverFastMoversFirst) {
  // TEE-SLOW sells 1 a day, TEE-FAST 20 a day; both end below their points.
  SetStock("wh", "TEE-SLOW", 1000);
  SetStock("wh", "TEE-FAST", 1000);
  SetStock("s2", "X-2", 1);
  for (int d = 0; d < 10; ++d) {
    Ok(t::Sell("amazon", "wh", "TEE-SLOW", 1));
    Ok(t::Sell("amazon", "wh", "TEE-FAST", 20));
    clock_.Advance(kDay);
  }
  Ok(t::Count("wh", "TEE-SLOW", 5));
  Ok(t::Count("wh", "TEE-FAST", 30));
  Ok(t::Sell("pos2", "s2", "X-2", 1));  // sold out at pos2: free 0, first
  std::vector<AlertEvent> active = engine_->ActiveAlerts({});
  std::vector<std::string> order;
  for (const AlertEvent& a : active) {
    order.push_back(absl::StrCat(AlertKindName(a.kind), " ", a.sku, "@", a.location, a.channel));
  }
  // FAST: 30 units at ~20/day is ~1.5 days; SLOW: 5 at ~1/day is ~5 days. The overall
  // keys follow their location's (same free, same velocity).
  EXPECT_EQ(order, (std::vector<std::string>{"sold_out X-2@pos2", "reorder TEE-FAST@",
                                             "reorder TEE-FAST@wh", "reorder TEE-SLOW@",
                                             "reorder TEE-SLOW@wh"}));
  EXPECT_EQ(engine_->ActiveAlerts({{}, "TEE-SLOW"}).size(), 2u);
  EXPECT_EQ(engine_->ActiveAlerts({{AlertKind::kSoldOut}}).size(), 1u);
  // The gauge of raised keys (stockd_alerts_active) agrees with the scan, and follows a
  // re-arm (TEE-FAST back above its band, here and overall) and a back in stock.
  using Active = std::vector<std::pair<AlertKind, int64_t>>;
  EXPECT_EQ(
      engine_->Stats().alerts_active,
      (Active{{AlertKind::kReorder, 4}, {AlertKind::kUncovered, 0}, {AlertKind::kSoldOut, 1}}));
  Ok(t::Count("wh", "TEE-FAST", 1000));
  Ok(t::Count("s2", "X-2", 10));
  EXPECT_EQ(
      engine_->Stats().alerts_active,
      (Active{{AlertKind::kReorder, 2}, {AlertKind::kUncovered, 0}, {AlertKind::kSoldOut, 0}}));
  EXPECT_EQ(engine_->ActiveAlerts({}).size(), 2u);
  Ok(t::Count("s2", "X-2", 0));  // sold out again: the key is raised again
  EXPECT_EQ(engine_->Stats().alerts_active[2],
            (std::pair<AlertKind, int64_t>{AlertKind::kSoldOut, 1}));
  AlertFilter one;
  one.limit = 1;
  EXPECT_EQ(engine_->ActiveAlerts(one).size(), 1u);
  // The recent list: newest first.
  std::vector<AlertEvent> recent = engine_->RecentAlerts({});
  ASSERT_GE(recent.size(), 5u);
  EXPECT_EQ(recent[0].kind, AlertKind::kSoldOut);
  for (size_t i = 1; i < recent.size(); ++i) EXPECT_GE(recent[i - 1].sequence, recent[i].sequence);
}

TEST_F(AlertsTest, ARuleRemovedByAReloadLeavesNothingRaisedAndQuietRowsKeepNoState) {
  SetStock("wh", "MUG-3", 4);  // below MUG-*'s 12 at once
  EXPECT_EQ(alerts_.Take(), Alerts{"reorder MUG-3@wh free 4 point 12"});
  ASSERT_EQ(engine_->ActiveAlerts({{AlertKind::kReorder}, "MUG-3"}).size(), 1u);
  Model next = FixtureModel();
  next.reorder.clear();
  ASSERT_TRUE(engine_->Reconfigure(next, ReconfigureOptions()).ok());
  Ok(t::Sell("amazon", "wh", "MUG-3", 1));
  EXPECT_TRUE(engine_->ActiveAlerts({{AlertKind::kReorder}, "MUG-3"}).empty());
  EXPECT_EQ(alerts_.Take(), Alerts{"sold_out MUG-3 amazon 1->0"}) << "no reorder alert";
  // A SKU that only ever was counted and reserved has no velocity to report.
  SetStock("wh", "QUIET-1", 5);
  Hold("amazon", {L("QUIET-1", 1, "wh")});
  EXPECT_EQ(VelocityAtLocation("QUIET-1", "wh"), 0.0);
}

// alerts.enabled: false (docs/alerts.md, "Cost"): the same rules, and nothing is kept or
// raised; a reload cannot turn it on (restart only).
class AlertsOffTest : public AlertsTest {
 protected:
  Model FixtureModel() override {
    Model m = AlertsTest::FixtureModel();
    m.alerts.enabled = false;
    return m;
  }
};

TEST_F(AlertsOffTest, NothingIsRaisedKeptOrIndexedAndAReloadDoesNotTurnThemOn) {
  SetStock("wh", "MUG-3", 4);  // below MUG-*'s 12
  Ok(t::Sell("amazon", "wh", "MUG-3", 4));
  SetStock("s1", "C-1", 3);
  const std::string hold = Hold("web", {L("C-1", 2, "s1")});
  Ok(t::Sell("pos1", "s1", "C-1", 3, /*override_limit=*/true));  // breach, free -2
  EXPECT_EQ(alerts_.Take(), Alerts{});
  EXPECT_TRUE(engine_->ActiveAlerts({}).empty());
  EXPECT_EQ(VelocityAtLocation("MUG-3", "wh"), 0.0);
  InvariantReport report = engine_->CheckInvariants();
  EXPECT_TRUE(report.ok()) << absl::StrJoin(report.violations, "; ");
  EXPECT_EQ(report.uncovered,
            std::vector<std::string>{"C-1@s1: free -2, holds at risk: not indexed (alerts.enabled: "
                                     "false)"});

  Model next = FixtureModel();
  next.alerts.enabled = true;
  ASSERT_TRUE(engine_->Reconfigure(next, ReconfigureOptions()).ok());
  Ok(t::Adjust("wh", "MUG-3", 1, AdjustReason::kReceipt));
  Ok(t::Sell("amazon", "wh", "MUG-3", 1));
  EXPECT_EQ(alerts_.Take(), Alerts{}) << "still off until a restart";
  EXPECT_TRUE(engine_->CheckInvariants().ok());
  Ok(t::Release(hold));
}

TEST(AlertRulesTest, AnInvalidRuleOrOptionIsRefused) {
  auto create = [](const std::function<void(Model*)>& change) {
    Model m = TestModel();
    change(&m);
    return Engine::Create(m, EngineOptions()).status();
  };
  EXPECT_TRUE(create([](Model*) {}).ok());
  EXPECT_EQ(create([](Model* m) { m->reorder = {Fixed("A*", 0, std::nullopt)}; }).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(create([](Model* m) {
              ReorderRule r = Days("A*", 5, 0);
              r.point = 3;
              m->reorder = {r};
            }).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(create([](Model* m) { m->reorder = {Days("A*", 0, 0)}; }).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(create([](Model* m) { m->reorder = {Fixed("A*", 3, std::nullopt, {99})}; }).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(create([](Model* m) { m->alerts.hysteresis_percent = 101; }).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(create([](Model* m) { m->alerts.back_in_stock_at = 0; }).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(create([](Model* m) { m->alerts.velocity_half_life_ms = 0; }).code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace stockd::engine
