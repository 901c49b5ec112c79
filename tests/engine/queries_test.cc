// The engine's contract (docs/design.md "Operations", proto/stockd/v1/stockd.proto status
// conventions): every operation's state transitions and exact status codes, and that a
// failed call changes nothing. Tests marked CONTRACT assert documented behaviour the
// engine did not show when they were written. The fixture is engine_fixture.h.
//
// This file: the queries (ListHolds), the model checks at Create, and how lines are
// named in errors.
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "tests/engine/engine_fixture.h"

namespace stockd::engine {
namespace {

// ---------------------------------------------------------------- queries

TEST_F(EngineTest, ListHoldsFilters) {
  StockUp();
  const std::string a = Hold("web", {L("A", 1, "wh")});
  clock_.Advance(1);
  const std::string b = Hold("pos1", {L("A", 1), L("C", 1)});
  clock_.Advance(1);
  const std::string c = Hold("web", {L("B", 1)});
  clock_.Advance(1);
  Ok(t::Commit(c));
  const std::string d = Hold("web", {L("B", 1)});
  Ok(t::Release(d));

  auto ids = [](const std::vector<HoldView>& v) {
    std::vector<std::string> out;
    for (const HoldView& h : v) out.push_back(h.hold_id);
    return out;
  };
  HoldFilter open;
  EXPECT_EQ(ids(engine_->ListHolds(open)), (std::vector<std::string>{a, b, c}));
  HoldFilter web;
  web.channel = "web";
  EXPECT_EQ(ids(engine_->ListHolds(web)), (std::vector<std::string>{a, c}));
  HoldFilter sku_c;
  sku_c.sku = "C";
  EXPECT_EQ(ids(engine_->ListHolds(sku_c)), (std::vector<std::string>{b}));
  HoldFilter committed;
  committed.state = HoldState::kCommitted;
  EXPECT_EQ(ids(engine_->ListHolds(committed)), (std::vector<std::string>{c}));
  HoldFilter released;
  released.state = HoldState::kReleased;
  EXPECT_EQ(ids(engine_->ListHolds(released)), (std::vector<std::string>{d}));
  HoldFilter limited;
  limited.limit = 2;
  EXPECT_EQ(ids(engine_->ListHolds(limited)), (std::vector<std::string>{a, b}));

  EXPECT_EQ(engine_->GetHold("h-unknown").status().code(), kNotFound);
  EXPECT_EQ(engine_->GetHold("bad id!").status().code(), kInvalid);
  EXPECT_EQ(engine_->GetStock("NOPE", {}).status().code(), kNotFound);
  EXPECT_EQ(engine_->GetStock("bad sku!", {}).status().code(), kInvalid);
  EXPECT_EQ(engine_->GetStock("A", {"nowhere"}).status().code(), kNotFound);
  EXPECT_EQ(engine_->Stats().open_holds, 3);
  // HasSku agrees with GetStock: known, unknown, not a SKU at all.
  EXPECT_TRUE(engine_->HasSku("A"));
  EXPECT_FALSE(engine_->HasSku("NOPE"));
  EXPECT_FALSE(engine_->HasSku("bad sku!"));
}

// CONTRACT (proto ListHoldsResponse: "oldest first"): holds created within the same
// millisecond are listed in the order they were created.
TEST_F(EngineTest, ListHoldsOldestFirstWithinOneMillisecond) {
  StockUp();
  std::vector<std::string> created;
  for (int i = 0; i < 12; ++i) created.push_back(Hold("web", {L("A", 1)}));
  HoldFilter open;
  std::vector<std::string> listed;
  for (const HoldView& h : engine_->ListHolds(open)) listed.push_back(h.hold_id);
  EXPECT_EQ(listed, created);
}

// ---------------------------------------------------------------- model checks

TEST(EngineCreateTest, RejectsAStructurallyInvalidModel) {
  auto base = [] {
    return ModelBuilder()
        .Location("wh")
        .Location("s1", LocationType::kStore)
        .Channel("web", ChannelType::kWebshop, {"wh"})
        .Channel("pos", ChannelType::kStore, {"s1"});
  };
  EXPECT_TRUE(Engine::Create(base().Build(), EngineOptions{}).ok());
  // A channel protects units only at its own sources.
  EXPECT_EQ(Engine::Create(base().Protect("web", "s1", 1).Build(), EngineOptions{}).status().code(),
            kInvalid);
  EXPECT_EQ(Engine::Create(base().Share("web", 101).Build(), EngineOptions{}).status().code(),
            kInvalid);
  EXPECT_EQ(Engine::Create(base().Safety("web", -1).Build(), EngineOptions{}).status().code(),
            kInvalid);
  EXPECT_EQ(Engine::Create(base().Location("wh").Build(), EngineOptions{}).status().code(),
            kInvalid);
  EXPECT_EQ(
      Engine::Create(base().Channel("empty", ChannelType::kWebshop, {}).Build(), EngineOptions{})
          .status()
          .code(),
      kInvalid);
  Model bad_override =
      base()
          .Override({.pattern = "*", .channel = "web", .origin = "x:1", .protect = {{"s1", 1}}})
          .Build();
  EXPECT_EQ(Engine::Create(bad_override, EngineOptions{}).status().code(), kInvalid);
  EngineOptions no_lines;
  no_lines.max_lines = 0;
  EXPECT_EQ(Engine::Create(base().Build(), no_lines).status().code(), kInvalid);
}

TEST(EngineLinesTest, DuplicateSkuIsNamedInShortAndLongReserves) {
  std::unique_ptr<Engine> engine = *Engine::Create(
      ModelBuilder().Location("wh").Channel("web", ChannelType::kWebshop, {"wh"}).Build(),
      EngineOptions());
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(
        engine->ExecuteAndWait(Cmd(CountCmd{"wh", "S" + std::to_string(i), 5, std::nullopt, ""}))
            .ok());
  }
  for (size_t n : {3u, 15u, 16u, 40u}) {
    std::vector<Line> lines;
    for (size_t i = 0; i < n; ++i) lines.push_back(L("S" + std::to_string(i), 1));
    lines.push_back(L("S1", 1));  // the duplicate, last
    absl::StatusOr<Outcome> r = engine->ExecuteAndWait(Cmd(t::Reserve("web", lines)));
    ASSERT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << n;
    EXPECT_EQ(r.status().message(),
              "lines[" + std::to_string(n) + "]: sku 'S1' already in lines[1]")
        << n;
    lines.pop_back();
    EXPECT_TRUE(engine->ExecuteAndWait(Cmd(t::Reserve("web", lines))).ok()) << n;
  }
  EXPECT_TRUE(engine->CheckInvariants().ok());
}

}  // namespace
}  // namespace stockd::engine
