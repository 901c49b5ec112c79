// The movement history of Counts observed in the past (docs/design.md, "Counts observed in
// the past") against a real redis-server: every group commit stores its on_hand movements
// (records.h, {stockd}:moves:<bucket>), a restart reloads them so a count taken before it
// nets what was sold before and after, and `meta` says since when the history is complete
// (a longer window than it was kept for starts it anew). The commands alone are in
// records_test.cc; the engine's netting in tests/engine/count_at_test.cc.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "daemon/engine/engine.h"
#include "daemon/util/clock.h"
#include "tests/support/durable_node.h"
#include "tests/support/redis_fixture.h"
#include "tests/support/test_model.h"

namespace stockd {
namespace {

using engine::Command;
using testing::RedisCommand;
using testing::TestRedis;

constexpr int64_t kDay = 24LL * 3600 * 1000;

struct Node : testing::DurableNode {
  absl::Status Open(const std::string& address, int64_t count_history_ms = 7 * kDay) {
    engine::EngineOptions options;
    options.count_history_ms = count_history_ms;
    return DurableNode::Open(address,
                             testing::ModelBuilder()
                                 .Location("wh")
                                 .Location("store", engine::LocationType::kStore)
                                 .Channel("webshop", engine::ChannelType::kWebshop, {"wh"})
                                 .Channel("pos", engine::ChannelType::kStore, {"store"})
                                 .Build(),
                             options);
  }
  absl::StatusOr<engine::Outcome> Run(engine::CommandBody body) {
    return engine->ExecuteAndWait(Command{{"", "test"}, std::move(body)});
  }
  absl::StatusOr<engine::Outcome> CountAt(const std::string& location, int64_t counted,
                                          int64_t observed_at) {
    return Run(engine::CountCmd{location, "A", counted, std::nullopt, "", observed_at});
  }
};

// A time strictly between what came before and what comes after.
int64_t Between() {
  std::this_thread::sleep_for(std::chrono::milliseconds(3));
  const int64_t t = util::WallMs();
  std::this_thread::sleep_for(std::chrono::milliseconds(3));
  return t;
}

class MovementHistoryTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(redis_.ok()) << redis_.status(); }
  std::string Meta(const std::string& field) {
    absl::StatusOr<std::vector<std::string>> v =
        RedisCommand(redis_.socket_path(), {"HGET", "{stockd}:meta", field});
    return v.ok() && !v->empty() ? v->front() : "?";
  }
  size_t MovementKeys() {
    absl::StatusOr<std::vector<std::string>> keys =
        RedisCommand(redis_.socket_path(), {"KEYS", "{stockd}:moves:*"});
    return keys.ok() ? keys->size() : 999;
  }
  TestRedis redis_;
};

TEST_F(MovementHistoryTest, ACountTakenBeforeARestartNetsTheMovementsOnBothSidesOfIt) {
  int64_t taken = 0;
  {
    Node a;
    ASSERT_TRUE(a.Open(redis_.address()).ok());
    ASSERT_TRUE(a.Run(engine::CountCmd{"wh", "A", 20, std::nullopt, ""}).ok());
    ASSERT_TRUE(a.Run(engine::CountCmd{"store", "A", 6, std::nullopt, ""}).ok());
    taken = Between();  // the stock take at wh counts 18
    ASSERT_TRUE(a.Run(engine::SellCmd{"webshop", "wh", "A", 3}).ok());
    ASSERT_TRUE(a.Run(engine::AdjustCmd{"wh", "A", 4, engine::AdjustReason::kReceipt, ""}).ok());
    ASSERT_TRUE(a.Run(engine::SellCmd{"pos", "store", "A", 2}).ok());  // another location
    ASSERT_TRUE(a.Run(engine::ReserveCmd{"webshop", {{"A", "", 1, 0}}, 60'000, ""}).ok());
    EXPECT_EQ(Meta("history_window"), absl::StrCat(7 * kDay));
    EXPECT_LE(std::stoll(Meta("history_since")), taken);
    EXPECT_GE(MovementKeys(), 1u);
  }  // a crash as far as Redis can tell: no orderly shutdown is needed
  Node b;
  ASSERT_TRUE(b.Open(redis_.address()).ok());
  ASSERT_TRUE(b.Run(engine::SellCmd{"webshop", "wh", "A", 1}).ok());
  absl::StatusOr<engine::Outcome> o = b.CountAt("wh", 18, taken);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->before[0].counters.on_hand, 20);
  EXPECT_EQ(o->after[0].counters.on_hand, 18) << "18 counted, then -3 +4 (before) -1 (after)";
  // And the count, stored as a movement too, makes an older one stale after a restart.
  b.Close();
  Node c;
  ASSERT_TRUE(c.Open(redis_.address()).ok());
  EXPECT_EQ(c.CountAt("wh", 18, taken - 1).status().code(), absl::StatusCode::kFailedPrecondition);
  o = c.CountAt("store", 5, taken);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->after[0].counters.on_hand, 3) << "5 counted at store, then 2 sold";
  EXPECT_TRUE(c.engine->CheckInvariants().ok());
}

TEST_F(MovementHistoryTest, ALongerWindowStartsTheHistoryAnewAShorterOneKeepsIt) {
  int64_t taken = 0;
  {
    Node a;
    ASSERT_TRUE(a.Open(redis_.address()).ok());
    ASSERT_TRUE(a.Run(engine::CountCmd{"wh", "A", 5, std::nullopt, ""}).ok());
    taken = Between();
    ASSERT_TRUE(a.Run(engine::SellCmd{"webshop", "wh", "A", 1}).ok());
  }
  const std::string first_since = Meta("history_since");
  // 30 days: the buckets written for 7 expire before that, so the history starts anew.
  Node b;
  ASSERT_TRUE(b.Open(redis_.address(), 30 * kDay).ok());
  absl::StatusOr<engine::Outcome> o = b.CountAt("wh", 5, taken);
  EXPECT_EQ(o.status().code(), absl::StatusCode::kFailedPrecondition) << o.status();
  EXPECT_TRUE(absl::StrContains(o.status().message(), "history kept since")) << o.status();
  EXPECT_TRUE(b.Logged("kept from now: stored for 604800 s only"));
  EXPECT_EQ(Meta("history_window"), absl::StrCat(30 * kDay));
  const std::string second_since = Meta("history_since");
  EXPECT_GT(std::stoll(second_since), std::stoll(first_since));
  const int64_t later = Between();
  ASSERT_TRUE(b.Run(engine::SellCmd{"webshop", "wh", "A", 1}).ok());
  b.Close();
  // 1 day: what was kept for 30 is complete for 1 as well.
  Node c;
  ASSERT_TRUE(c.Open(redis_.address(), kDay).ok());
  EXPECT_EQ(Meta("history_since"), second_since);
  EXPECT_EQ(Meta("history_window"), absl::StrCat(kDay));
  o = c.CountAt("wh", 5, later);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->after[0].counters.on_hand, 4);
}

// A movement bucket that does not decode refuses the start, naming the key and field
// (like every other stored record: docs/storage.md).
TEST_F(MovementHistoryTest, AnUndecodableMovementBucketRefusesTheStart) {
  for (const auto& [field, value] :
       std::vector<std::pair<std::string, std::string>>{{"not-a-sequence", ""}, {"7", "junk"}}) {
    ASSERT_TRUE(RedisCommand(redis_.socket_path(), {"DEL", "{stockd}:moves:1"}).ok());
    ASSERT_TRUE(
        RedisCommand(redis_.socket_path(), {"HSET", "{stockd}:moves:1", field, value}).ok());
    Node a;
    absl::Status st = a.Open(redis_.address());
    EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss) << st;
    EXPECT_TRUE(absl::StrContains(st.message(), "'{stockd}:moves:1' field '" + field + "'")) << st;
  }
}

TEST_F(MovementHistoryTest, WithoutAHistoryNoMovementIsStored) {
  Node a;
  ASSERT_TRUE(a.Open(redis_.address(), 0).ok());
  ASSERT_TRUE(a.Run(engine::CountCmd{"wh", "A", 5, std::nullopt, ""}).ok());
  ASSERT_TRUE(a.Run(engine::SellCmd{"webshop", "wh", "A", 1}).ok());
  EXPECT_EQ(MovementKeys(), 0u);
  EXPECT_EQ(Meta("history_window"), "0");
}

}  // namespace
}  // namespace stockd
