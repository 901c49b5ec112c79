// Stock alerts' stored state (docs/alerts.md, docs/storage.md) against a real
// redis-server: every group commit that moves a velocity or an alert key writes the SKU's
// alert state ({stockd}:alert-state) and the alerts it raised ({stockd}:alerts); a restart
// takes the velocities, the raised keys and the recent alerts back, so it raises nothing
// twice and forgets nothing due. The engine's rules are tests/engine/alerts_test.cc.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "daemon/engine/clock.h"
#include "daemon/engine/engine.h"
#include "daemon/storage/records.h"
#include "daemon/util/clock.h"
#include "tests/engine/alert_listener.h"
#include "tests/support/durable_node.h"
#include "tests/support/redis_fixture.h"
#include "tests/support/test_model.h"

namespace stockd {
namespace {

using engine::AlertKind;
using engine::Command;
using testing::RedisCommand;
using testing::TestRedis;

struct Node : testing::DurableNode {
  // On `clock` (velocities are read as of the engine's now: a manual clock keeps them
  // comparable across restarts); the system clock when null.
  absl::Status Open(const std::string& address, const engine::Clock* clock = nullptr,
                    bool with_kit = false) {
    engine::Model model = testing::ModelBuilder()
                              .Location("wh")
                              .Location("store", engine::LocationType::kStore)
                              .Channel("webshop", engine::ChannelType::kWebshop, {"wh"})
                              .Channel("pos", engine::ChannelType::kStore, {"store"})
                              .Build();
    engine::ReorderRule rule;
    rule.pattern = "*";
    rule.point = 10;
    rule.origin = "test";
    model.reorder = {rule};
    if (with_kit) model.kits = {{"BIKE", {{"FRAME", 1}, {"PEDAL", 2}}, "test:1"}};
    engine::EngineOptions options;
    if (clock != nullptr) options.clock = clock;
    return DurableNode::Open(address, std::move(model), options);
  }
  absl::StatusOr<engine::Outcome> Run(engine::CommandBody body) {
    return engine->ExecuteAndWait(Command{{"", "test"}, std::move(body)});
  }
  double Velocity(const std::string& sku, const std::string& location) {
    auto v = engine->SalesVelocity(sku);
    if (!v.ok()) return -1;
    for (const auto& [l, units] : *v) {
      if (l == location) return units;
    }
    return -1;
  }
};

class AlertStateTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(redis_.ok()) << redis_.status(); }
  TestRedis redis_;
  engine::ManualClock clock_{util::WallMs()};
};

TEST_F(AlertStateTest, ARestartKeepsVelocitiesRaisedKeysAndRecentAlerts) {
  double velocity = 0, store_velocity = 0;
  {
    Node a;
    ASSERT_TRUE(a.Open(redis_.address(), &clock_).ok());
    ASSERT_TRUE(a.Run(engine::CountCmd{"wh", "A", 20, std::nullopt, ""}).ok());
    ASSERT_TRUE(a.Run(engine::CountCmd{"store", "A", 2, std::nullopt, ""}).ok());  // reorder
    ASSERT_TRUE(a.Run(engine::SellCmd{"webshop", "wh", "A", 11}).ok());            // reorder
    ASSERT_TRUE(a.Run(engine::SellCmd{"pos", "store", "A", 2}).ok());              // sold out
    velocity = a.Velocity("A", "wh");
    store_velocity = a.Velocity("A", "store");
    EXPECT_GT(velocity, 0);
    EXPECT_GT(store_velocity, 0);
    EXPECT_EQ(a.engine->RecentAlerts({}).size(), 3u);
  }  // a crash as far as Redis can tell
  Node b;
  ASSERT_TRUE(b.Open(redis_.address(), &clock_).ok());
  EXPECT_EQ(b.Velocity("A", "wh"), velocity) << "the velocity as stored, to the bit";
  EXPECT_EQ(b.Velocity("A", "store"), store_velocity);
  std::vector<engine::AlertEvent> recent = b.engine->RecentAlerts({});
  ASSERT_EQ(recent.size(), 3u) << "the recent alerts came back";
  EXPECT_EQ(recent[0].kind, AlertKind::kSoldOut);
  EXPECT_EQ(recent[0].channel, "pos");
  EXPECT_EQ(recent[1].kind, AlertKind::kReorder);
  EXPECT_EQ(recent[1].location, "wh");
  EXPECT_EQ(recent[1].free, 9);
  EXPECT_EQ(recent[2].location, "store");
  EXPECT_GT(recent[0].sequence, recent[1].sequence);
  // The keys are still raised: selling on below the point raises nothing new.
  ASSERT_TRUE(b.Run(engine::SellCmd{"webshop", "wh", "A", 1}).ok());
  EXPECT_EQ(b.engine->RecentAlerts({}).size(), 3u);
  EXPECT_EQ(b.engine->ActiveAlerts({}).size(), 3u);
  // The gauge of raised keys came back with them (counted at start, not from zero).
  using Active = std::vector<std::pair<AlertKind, int64_t>>;
  EXPECT_EQ(
      b.engine->Stats().alerts_active,
      (Active{{AlertKind::kReorder, 2}, {AlertKind::kUncovered, 0}, {AlertKind::kSoldOut, 1}}));
  // A re-armed key is stored re-armed: back above the band at wh, then below again.
  ASSERT_TRUE(b.Run(engine::AdjustCmd{"wh", "A", 10, engine::AdjustReason::kReceipt, ""}).ok());
  EXPECT_EQ(
      b.engine->Stats().alerts_active,
      (Active{{AlertKind::kReorder, 1}, {AlertKind::kUncovered, 0}, {AlertKind::kSoldOut, 1}}))
      << "wh re-armed above its band";
  b.Close();
  Node c;
  ASSERT_TRUE(c.Open(redis_.address(), &clock_).ok());
  ASSERT_TRUE(c.Run(engine::SellCmd{"webshop", "wh", "A", 10}).ok());  // 18 -> 8
  std::vector<engine::AlertEvent> after = c.engine->RecentAlerts({});
  ASSERT_EQ(after.size(), 4u);
  EXPECT_EQ(after[0].kind, AlertKind::kReorder);
  EXPECT_EQ(after[0].free, 8);
}

// A kit has no stock row: its sold_out key is stored as the kit's alert state by a
// mutation of its own (docs/kits.md, "Alerts"), taken back at a restart.
TEST_F(AlertStateTest, AKitsSoldOutKeySurvivesACrashAndComesBackInStockOnce) {
  using Alerts = std::vector<std::string>;
  auto sold_out_gauge = [](engine::Engine& e) {
    for (const auto& [kind, n] : e.Stats().alerts_active) {
      if (kind == AlertKind::kSoldOut) return n;
    }
    return int64_t{-1};
  };
  engine::AlertFilter bike;
  bike.sku = "BIKE";
  {
    Node a;
    ASSERT_TRUE(a.Open(redis_.address(), &clock_, /*with_kit=*/true).ok());
    engine::AlertListener heard;
    a.engine->AddListener(&heard);
    ASSERT_TRUE(a.Run(engine::CountCmd{"wh", "FRAME", 2, std::nullopt, ""}).ok());
    ASSERT_TRUE(a.Run(engine::CountCmd{"wh", "PEDAL", 4, std::nullopt, ""}).ok());
    ASSERT_TRUE(heard.AwaitPublished("BIKE", "webshop", 2));
    ASSERT_TRUE(a.Run(engine::SellCmd{"webshop", "wh", "FRAME", 2}).ok());
    // Told only once durable: what the listener heard, a restart finds.
    EXPECT_EQ(heard.Await("BIKE", 1), Alerts{"sold_out BIKE webshop 2->0"});
    EXPECT_EQ(sold_out_gauge(*a.engine), 2) << "FRAME's own and the kit's";
  }  // a crash as far as Redis can tell
  Node b;
  ASSERT_TRUE(b.Open(redis_.address(), &clock_, /*with_kit=*/true).ok());
  engine::AlertListener heard;
  b.engine->AddListener(&heard);
  std::vector<engine::AlertEvent> active = b.engine->ActiveAlerts(bike);
  ASSERT_EQ(active.size(), 1u);
  EXPECT_EQ(active[0].kind, AlertKind::kSoldOut);
  EXPECT_EQ(active[0].channel, "webshop");
  EXPECT_EQ(sold_out_gauge(*b.engine), 2) << "counted at start, kits too";
  std::vector<engine::AlertEvent> recent = b.engine->RecentAlerts(bike);
  ASSERT_EQ(recent.size(), 1u) << "the kit's alert is in the stored stream";
  EXPECT_EQ(recent[0].previous_published, 2);
  EXPECT_EQ(heard.Await("BIKE", 0), Alerts{}) << "still sold out: nothing raised twice";
  ASSERT_TRUE(b.Run(engine::AdjustCmd{"wh", "FRAME", 1, engine::AdjustReason::kReceipt, ""}).ok());
  EXPECT_EQ(heard.Await("BIKE", 1), Alerts{"back_in_stock BIKE webshop 0->1"});
  EXPECT_EQ(sold_out_gauge(*b.engine), 0) << "FRAME came back too";
  b.Close();
  Node c;
  ASSERT_TRUE(c.Open(redis_.address(), &clock_, /*with_kit=*/true).ok());
  EXPECT_EQ(c.engine->ActiveAlerts(bike).size(), 0u) << "stored back in stock";
  EXPECT_EQ(sold_out_gauge(*c.engine), 0);
}

TEST_F(AlertStateTest, AnUndecodableAlertStateRefusesTheStart) {
  ASSERT_TRUE(
      RedisCommand(redis_.socket_path(), {"HSET", "{stockd}:alert-state", "A", "junk"}).ok());
  Node a;
  absl::Status st = a.Open(redis_.address());
  EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss) << st;
  EXPECT_NE(st.message().find("'{stockd}:alert-state' field 'A'"), std::string::npos) << st;
}

TEST(AlertRecordsTest, StateAndAlertsRoundTrip) {
  engine::AlertStateView v;
  v.sku = "A";
  v.rows = {{"wh", 1.0 / 3, 1'700'000'000'123, true, false}, {"store", 0, 0, false, true}};
  v.total_reorder_raised = true;
  v.sold_out = {"pos"};
  absl::StatusOr<engine::AlertStateView> back =
      storage::DecodeAlertState("A", storage::EncodeAlertState(v));
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ(back->rows.size(), 2u);
  EXPECT_EQ(back->rows[0].velocity, 1.0 / 3);
  EXPECT_EQ(back->rows[0].velocity_at_ms, 1'700'000'000'123);
  EXPECT_TRUE(back->rows[0].reorder_raised);
  EXPECT_TRUE(back->rows[1].uncovered_raised);
  EXPECT_TRUE(back->total_reorder_raised);
  EXPECT_EQ(back->sold_out, std::vector<std::string>{"pos"});

  engine::AlertEvent a;
  a.kind = AlertKind::kBackInStock;
  a.sku = "B";
  a.channel = "pos";
  a.sequence = 7;
  a.previous_published = 0;
  a.published = 3;
  std::string value;
  storage::AppendAlerts({a}, &value);
  a.kind = AlertKind::kUncovered;
  a.location = "wh";
  a.free = -2;
  a.hold_ids = {"h-1", "h-2"};
  a.holds_at_risk = 2;
  storage::AppendAlerts({a}, &value);
  engine::AlertEvent breach;
  breach.kind = AlertKind::kBreach;
  breach.sku = "B";
  breach.location = "store";
  breach.channel = "amazon";
  breach.units = 3;
  breach.order_id = "o-9";
  storage::AppendAlerts({breach}, &value);
  absl::StatusOr<std::vector<engine::AlertEvent>> alerts = storage::DecodeAlerts(value);
  ASSERT_TRUE(alerts.ok()) << alerts.status();
  ASSERT_EQ(alerts->size(), 3u);
  EXPECT_EQ((*alerts)[0].kind, AlertKind::kBackInStock);
  EXPECT_EQ((*alerts)[0].published, 3);
  EXPECT_EQ((*alerts)[1].kind, AlertKind::kUncovered);
  EXPECT_EQ((*alerts)[1].free, -2);
  EXPECT_EQ((*alerts)[1].hold_ids, (std::vector<std::string>{"h-1", "h-2"}));
  EXPECT_EQ((*alerts)[1].holds_at_risk, 2);
  EXPECT_EQ((*alerts)[2].kind, AlertKind::kBreach);
  EXPECT_EQ((*alerts)[2].location, "store");
  EXPECT_EQ((*alerts)[2].channel, "amazon");
  EXPECT_EQ((*alerts)[2].units, 3);
  EXPECT_EQ((*alerts)[2].order_id, "o-9");
  EXPECT_EQ(storage::DecodeAlerts("\xff").status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace stockd
