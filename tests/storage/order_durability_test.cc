// The order table against a real redis-server: an applied order revision is durable with
// its hold (one group commit), a restart restores it, and after the restart every
// re-delivered revision — replayed request id, older revision, the same revision under a
// new request id — changes nothing; closed orders move to expiring buckets.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "daemon/engine/engine.h"
#include "daemon/storage/records.h"
#include "tests/support/durable_node.h"
#include "tests/support/redis_fixture.h"
#include "tests/support/test_model.h"

namespace stockd {
namespace {

using engine::Command;
using engine::OrderStatus;
using engine::Outcome;
using testing::DurableNode;
using testing::ModelBuilder;
using testing::TestRedis;

engine::Model ShopModel() {
  return ModelBuilder()
      .Location("wh")
      .Channel("webshop", engine::ChannelType::kWebshop, {"wh"})
      .Channel("amazon", engine::ChannelType::kMarketplace, {"wh"})
      .Protect("webshop", "wh", 2)
      .Build();
}

Command Order(const std::string& id, int64_t revision, OrderStatus status, int64_t qty,
              int64_t shipped = 0) {
  engine::ApplyOrderCmd cmd;
  cmd.channel = "amazon";
  cmd.order_id = id;
  cmd.revision = revision;
  cmd.status = status;
  cmd.lines = {{"SKU-A", "", qty, shipped, 0}};
  return Command{{"order/amazon/" + id + "/" + std::to_string(revision), "orders:amazon"}, cmd};
}

std::string Row(engine::Engine& e) {
  absl::StatusOr<std::vector<engine::RowView>> rows = e.GetStock("SKU-A", {"wh"});
  if (!rows.ok() || rows->size() != 1) return "?";
  const engine::Counters& c = (*rows)[0].counters;
  return std::to_string(c.on_hand) + "/" + std::to_string(c.held) + "/" +
         std::to_string(c.committed);
}

class OrderDurabilityTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(redis_.ok()) << redis_.status(); }
  TestRedis redis_;
};

TEST_F(OrderDurabilityTest, AppliedOrdersSurviveARestartAndNothingCountsTwice) {
  std::string hold_id;
  {
    DurableNode a;
    ASSERT_TRUE(a.Open(redis_.address(), ShopModel()).ok());
    ASSERT_TRUE(
        a.engine->ExecuteAndWait({{"", "t"}, engine::CountCmd{"wh", "SKU-A", 5, {}, ""}}).ok());
    absl::StatusOr<Outcome> r = a.engine->ExecuteAndWait(Order("o1", 1, OrderStatus::kPending, 2));
    ASSERT_TRUE(r.ok()) << r.status();
    hold_id = r->order->hold_id;
    // 4 more than amazon's avail (5 - 2 held - 2 protected = 1): breach 2, backorder 1.
    r = a.engine->ExecuteAndWait(Order("o2", 7, OrderStatus::kAccepted, 4));
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->breach_units, 2);
    r = a.engine->ExecuteAndWait(Order("o3", 1, OrderStatus::kCancelled, 1));
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(Row(*a.engine), "5/2/3");
  }  // a crash as far as Redis can tell
  DurableNode b;
  ASSERT_TRUE(b.Open(redis_.address(), ShopModel()).ok());
  EXPECT_EQ(Row(*b.engine), "5/2/3");
  absl::StatusOr<engine::OrderView> o2 = b.engine->GetOrder("amazon", "o2");
  ASSERT_TRUE(o2.ok()) << o2.status();
  EXPECT_EQ(o2->revision, 7);
  ASSERT_EQ(o2->lines.size(), 1u);
  EXPECT_EQ(o2->lines[0].open, 3);
  EXPECT_EQ(o2->lines[0].breach, 2);
  EXPECT_EQ(o2->lines[0].backorder, 1);
  absl::StatusOr<engine::OrderView> o3 = b.engine->GetOrder("amazon", "o3");
  ASSERT_TRUE(o3.ok()) << o3.status();
  EXPECT_TRUE(o3->closed);

  // Re-deliveries after the restart: a replayed request id, an older revision, the same
  // revision under another request id: nothing moves.
  for (Command c :
       {Order("o1", 1, OrderStatus::kPending, 2), Order("o2", 3, OrderStatus::kPending, 9),
        Order("o3", 1, OrderStatus::kCancelled, 1)}) {
    absl::StatusOr<Outcome> r = b.engine->ExecuteAndWait(c);
    ASSERT_TRUE(r.ok()) << r.status();
  }
  Command same = Order("o2", 7, OrderStatus::kAccepted, 4);
  same.meta.request_id = "another-id";
  absl::StatusOr<Outcome> r = b.engine->ExecuteAndWait(same);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->order_stale);
  EXPECT_EQ(Row(*b.engine), "5/2/3");

  // The restored hold still follows only its order.
  absl::StatusOr<Outcome> release =
      b.engine->ExecuteAndWait({{"", "t"}, engine::ReleaseCmd{hold_id}});
  EXPECT_EQ(release.status().code(), absl::StatusCode::kFailedPrecondition);
  // And the next revision moves it.
  r = b.engine->ExecuteAndWait(Order("o1", 2, OrderStatus::kShipped, 2, 2));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Row(*b.engine), "3/0/3");
  EXPECT_TRUE(b.engine->CheckInvariants().ok());
}

TEST_F(OrderDurabilityTest, AKitOrderKeepsItsComponentLinesAcrossARestart) {
  auto kit_model = [] {
    engine::Model m = ShopModel();
    m.kits = {{"BIKE", {{"FRAME", 1}, {"PEDAL", 2}}, "t.yaml:1"}};
    return m;
  };
  auto bikes = [](int64_t revision, OrderStatus status, int64_t shipped) {
    engine::ApplyOrderCmd cmd;
    cmd.channel = "amazon";
    cmd.order_id = "k1";
    cmd.revision = revision;
    cmd.status = status;
    cmd.lines.resize(1);
    cmd.lines[0].sku = "BIKE";
    cmd.lines[0].qty = 2;
    cmd.lines[0].shipped = shipped;
    return Command{{"order/amazon/k1/" + std::to_string(revision), "orders:amazon"}, cmd};
  };
  auto rows = [](engine::Engine& e) {
    std::string out;
    for (const char* sku : {"FRAME", "PEDAL"}) {
      absl::StatusOr<std::vector<engine::RowView>> r = e.GetStock(sku, {"wh"});
      if (!r.ok() || r->size() != 1) return std::string("?");
      const engine::Counters& c = (*r)[0].counters;
      out += std::string(sku) + " " + std::to_string(c.on_hand) + "/" + std::to_string(c.held) +
             "/" + std::to_string(c.committed) + " ";
    }
    return out;
  };
  {
    DurableNode a;
    ASSERT_TRUE(a.Open(redis_.address(), kit_model()).ok());
    for (const char* sku : {"FRAME", "PEDAL"}) {
      ASSERT_TRUE(
          a.engine->ExecuteAndWait({{"", "t"}, engine::CountCmd{"wh", sku, 10, {}, ""}}).ok());
    }
    absl::StatusOr<Outcome> r = a.engine->ExecuteAndWait(bikes(1, OrderStatus::kAccepted, 0));
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(rows(*a.engine), "FRAME 10/0/2 PEDAL 10/0/4 ");
  }
  DurableNode b;
  ASSERT_TRUE(b.Open(redis_.address(), kit_model()).ok());
  absl::StatusOr<engine::OrderView> o = b.engine->GetOrder("amazon", "k1");
  ASSERT_TRUE(o.ok()) << o.status();
  ASSERT_EQ(o->lines.size(), 2u);
  EXPECT_EQ(o->lines[1].sku, "PEDAL");
  EXPECT_EQ(o->lines[1].kit, "BIKE");
  EXPECT_EQ(o->lines[1].per_kit, 2);
  EXPECT_EQ(o->lines[1].qty, 4);
  // The replayed revision changes nothing; the next one continues the same lines.
  ASSERT_TRUE(b.engine->ExecuteAndWait(bikes(1, OrderStatus::kAccepted, 0)).ok());
  EXPECT_EQ(rows(*b.engine), "FRAME 10/0/2 PEDAL 10/0/4 ");
  absl::StatusOr<Outcome> r = b.engine->ExecuteAndWait(bikes(2, OrderStatus::kShipped, 2));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(r->order);
  EXPECT_EQ(r->order->lines.size(), 2u);
  EXPECT_TRUE(r->order->closed);
  EXPECT_EQ(rows(*b.engine), "FRAME 8/0/0 PEDAL 6/0/0 ");
  EXPECT_TRUE(b.engine->CheckInvariants().ok());
}

TEST_F(OrderDurabilityTest, OpenOrdersInOneHashClosedOnesInExpiringBuckets) {
  DurableNode a;
  ASSERT_TRUE(a.Open(redis_.address(), ShopModel()).ok());
  ASSERT_TRUE(
      a.engine->ExecuteAndWait({{"", "t"}, engine::CountCmd{"wh", "SKU-A", 5, {}, ""}}).ok());
  ASSERT_TRUE(a.engine->ExecuteAndWait(Order("open", 1, OrderStatus::kAccepted, 1)).ok());
  ASSERT_TRUE(a.engine->ExecuteAndWait(Order("shut", 1, OrderStatus::kAccepted, 1)).ok());
  ASSERT_TRUE(a.engine->ExecuteAndWait(Order("shut", 2, OrderStatus::kCancelled, 1)).ok());
  storage::KeyLayout keys;
  absl::StatusOr<std::vector<std::string>> open = redis_.Command({"HKEYS", keys.OpenOrders()});
  ASSERT_TRUE(open.ok()) << open.status();
  EXPECT_EQ(*open, std::vector<std::string>{"amazon open"});
  absl::StatusOr<std::vector<std::string>> closed =
      redis_.Command({"KEYS", keys.ClosedOrdersPattern()});
  ASSERT_TRUE(closed.ok()) << closed.status();
  ASSERT_EQ(closed->size(), 1u);
  absl::StatusOr<std::vector<std::string>> ttl = redis_.Command({"PTTL", (*closed)[0]});
  ASSERT_TRUE(ttl.ok() && ttl->size() == 1) << ttl.status();
  // 30 days, give or take the minute of the bucket.
  const int64_t ms = std::stoll((*ttl)[0]);
  EXPECT_GT(ms, 30LL * 24 * 3600 * 1000 - 120'000);
  EXPECT_LE(ms, 30LL * 24 * 3600 * 1000 + 60'000);
}

TEST_F(OrderDurabilityTest, AnOpenOrderWhoseHoldIsGoneRefusesTheLoad) {
  std::string hold_id;
  {
    DurableNode a;
    ASSERT_TRUE(a.Open(redis_.address(), ShopModel()).ok());
    ASSERT_TRUE(
        a.engine->ExecuteAndWait({{"", "t"}, engine::CountCmd{"wh", "SKU-A", 5, {}, ""}}).ok());
    absl::StatusOr<Outcome> r = a.engine->ExecuteAndWait(Order("o1", 1, OrderStatus::kPending, 2));
    ASSERT_TRUE(r.ok()) << r.status();
    hold_id = r->order->hold_id;
  }
  // A hand edit (or a bug) removes the hold and puts the counters back: the counters
  // agree with the holds again, but the order points at a hold that is not there.
  storage::KeyLayout keys;
  ASSERT_TRUE(redis_.Command({"HDEL", keys.OpenHolds(), hold_id}).ok());
  ASSERT_TRUE(redis_.Command({"HSET", keys.Stock(), "SKU-A wh", "5 0 0"}).ok());
  DurableNode b;
  absl::Status st = b.Open(redis_.address(), ShopModel());
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition) << st;
  EXPECT_NE(st.message().find("'o1'"), std::string::npos) << st;
  EXPECT_NE(st.message().find(hold_id), std::string::npos) << st;
}

}  // namespace
}  // namespace stockd
