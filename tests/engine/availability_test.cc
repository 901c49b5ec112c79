// The availability formula of docs/design.md, checked on a table of cases twice: through the
// engine (stock put in with Count/Reserve/Commit, read back with GetAvailability and
// Explain) and through the pure functions of daemon/engine/availability.h.
//
//   avail_c(L)   = max(0, free(L) - Σ_{c' != c, L in protect(c')} protect_c'(L))
//   reservable_c = Σ_{L in sources(c)} avail_c(L)
//   x            = max(0, reservable_c - safety_stock_c)
//   x            = floor(x * share_percent_c / 100)
//   published_c  = x < min_publish_c ? 0 : min(x, max_publish_c)
#include "daemon/engine/availability.h"

#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_join.h"
#include "daemon/engine/engine.h"
#include "gtest/gtest.h"
#include "tests/support/test_model.h"

namespace stockd::engine {
namespace {

using ::stockd::testing::Cmd;
using ::stockd::testing::L;
using ::stockd::testing::ModelBuilder;
using Protections = std::vector<std::pair<std::string, int64_t>>;

// ---------------------------------------------------------------- models

// Two warehouses and two stores. The webshop sells from wh and both stores and protects
// 2 units at s1; each store's POS sells from its own store; the marketplace sells from
// wh. `dc` is nobody's source.
ModelBuilder ShopBuilder() {
  ModelBuilder b;
  b.Location("wh")
      .Location("s1", LocationType::kStore)
      .Location("s2", LocationType::kStore)
      .Location("dc")
      .Channel("web", ChannelType::kWebshop, {"wh", "s1", "s2"})
      .Channel("pos1", ChannelType::kStore, {"s1"})
      .Channel("pos2", ChannelType::kStore, {"s2"})
      .Channel("amazon", ChannelType::kMarketplace, {"wh"})
      .Protect("web", "s1", 2);
  return b;
}

// Four channels selling from one store; three of them protect units there.
Model CrowdedModel() {
  return ModelBuilder()
      .Location("s1", LocationType::kStore)
      .Channel("web", ChannelType::kWebshop, {"s1"})
      .Channel("click", ChannelType::kWebshop, {"s1"})
      .Channel("pos1", ChannelType::kStore, {"s1"})
      .Channel("amazon", ChannelType::kMarketplace, {"s1"})
      .Protect("web", "s1", 2)
      .Protect("click", "s1", 3)
      .Protect("pos1", "s1", 1)
      .Build();
}

// One warehouse, one marketplace channel with the given publishing policy.
Model PolicyModel(int64_t safety, int32_t share, int64_t min_publish, int64_t max_publish) {
  return ModelBuilder()
      .Location("wh")
      .Channel("m", ChannelType::kMarketplace, {"wh"})
      .Safety("m", safety)
      .Share("m", share)
      .MinPublish("m", min_publish)
      .MaxPublish("m", max_publish)
      .Build();
}

// The shop with per-SKU overrides, in this order:
//   t.yaml:5   "*"            web:    protect s1 = 1, safety 1
//   t.yaml:10  "TSHIRT-*"     amazon: safety 1, share 50
//   t.yaml:20  "TSHIRT-RED-?" amazon: share 80
//   t.yaml:30  "TSHIRT-*"     web:    protect s1 = 5
//   t.yaml:40  "MUG-[0-9]"    pos1:   max_publish 3
// The marketplace's base policy keeps a safety stock of 2.
Model OverrideModel() {
  ModelBuilder b = ShopBuilder();
  b.Safety("amazon", 2);
  b.Override({.pattern = "*",
              .channel = "web",
              .origin = "t.yaml:5",
              .protect = {{"s1", 1}},
              .safety_stock = 1});
  b.Override({.pattern = "TSHIRT-*",
              .channel = "amazon",
              .origin = "t.yaml:10",
              .safety_stock = 1,
              .share_percent = 50});
  b.Override(
      {.pattern = "TSHIRT-RED-?", .channel = "amazon", .origin = "t.yaml:20", .share_percent = 80});
  b.Override(
      {.pattern = "TSHIRT-*", .channel = "web", .origin = "t.yaml:30", .protect = {{"s1", 5}}});
  b.Override({.pattern = "MUG-[0-9]", .channel = "pos1", .origin = "t.yaml:40", .max_publish = 3});
  return b.Build();
}

// ---------------------------------------------------------------- the table

// Counters of one row, and the channel whose holds make up held/committed.
struct RowSetup {
  std::string location;
  int64_t on_hand = 0;
  int64_t held = 0;
  int64_t committed = 0;
  std::string via = "web";
};

struct SourceExpect {
  std::string location;
  int64_t avail = 0;
  int64_t protected_total = 0;
  int64_t own_protect = 0;
  Protections protected_by_others;
};

struct ChannelExpect {
  std::string channel;
  std::vector<SourceExpect> sources;  // in the channel's source order
  int64_t reservable = 0;
  int64_t after_safety = 0;
  int64_t after_share = 0;
  int64_t published = 0;
  std::vector<std::string> overrides_applied;
};

struct Case {
  std::string name;
  Model model;
  std::string sku;
  std::vector<RowSetup> rows;
  std::vector<ChannelExpect> expect;  // one per channel of the model, in model order
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

std::vector<Case> Cases() {
  std::vector<Case> cases;
  const Protections none;

  // The webshop protects 2 at s1: the POS of s1 sees free - 2, the webshop all of it.
  cases.push_back({"WebshopProtectsTwoAtStore",
                   ShopBuilder().Build(),
                   "A",
                   {{"s1", 10}},
                   {{"web",
                     {{"wh", 0, 0, 0, none}, {"s1", 10, 0, 2, none}, {"s2", 0, 0, 0, none}},
                     10,
                     10,
                     10,
                     10},
                    {"pos1", {{"s1", 8, 2, 0, {{"web", 2}}}}, 8, 8, 8, 8},
                    {"pos2", {{"s2", 0, 0, 0, none}}, 0, 0, 0, 0},
                    {"amazon", {{"wh", 0, 0, 0, none}}, 0, 0, 0, 0}}});

  // dc is nobody's source: its 50 units count for no channel.
  cases.push_back(
      {"NonSourceContributesNothing",
       ShopBuilder().Build(),
       "A",
       {{"wh", 5}, {"dc", 50}},
       {{"web", {{"wh", 5, 0, 0, none}, {"s1", 0, 0, 2, none}, {"s2", 0, 0, 0, none}}, 5, 5, 5, 5},
        {"pos1", {{"s1", 0, 2, 0, {{"web", 2}}}}, 0, 0, 0, 0},
        {"pos2", {{"s2", 0, 0, 0, none}}, 0, 0, 0, 0},
        {"amazon", {{"wh", 5, 0, 0, none}}, 5, 5, 5, 5}}});

  // A buffer larger than the free stock clamps avail at 0 for the others.
  cases.push_back(
      {"ProtectionAboveFreeClampsToZero",
       ShopBuilder().Build(),
       "A",
       {{"s1", 1}},
       {{"web", {{"wh", 0, 0, 0, none}, {"s1", 1, 0, 2, none}, {"s2", 0, 0, 0, none}}, 1, 1, 1, 1},
        {"pos1", {{"s1", 0, 2, 0, {{"web", 2}}}}, 0, 0, 0, 0},
        {"pos2", {{"s2", 0, 0, 0, none}}, 0, 0, 0, 0},
        {"amazon", {{"wh", 0, 0, 0, none}}, 0, 0, 0, 0}}});

  // Held and committed units are not free; other sources still count.
  cases.push_back({"HeldAndCommittedAreNotFree",
                   ShopBuilder().Build(),
                   "A",
                   {{"wh", 9, 2, 3}, {"s1", 10, 1, 0}, {"s2", 4, 0, 0}},
                   {{"web",
                     {{"wh", 4, 0, 0, none}, {"s1", 9, 0, 2, none}, {"s2", 4, 0, 0, none}},
                     17,
                     17,
                     17,
                     17},
                    {"pos1", {{"s1", 7, 2, 0, {{"web", 2}}}}, 7, 7, 7, 7},
                    {"pos2", {{"s2", 4, 0, 0, none}}, 4, 4, 4, 4},
                    {"amazon", {{"wh", 4, 0, 0, none}}, 4, 4, 4, 4}}});

  // A count below held + committed makes free negative (5 - 4 - 3 = -2): every avail at
  // that location clamps to 0, never negative, and the other sources are unaffected.
  cases.push_back(
      {"NegativeFreeClampsToZero",
       ShopBuilder().Build(),
       "A",
       {{"wh", 7}, {"s1", 5, 4, 3}},
       {{"web", {{"wh", 7, 0, 0, none}, {"s1", 0, 0, 2, none}, {"s2", 0, 0, 0, none}}, 7, 7, 7, 7},
        {"pos1", {{"s1", 0, 2, 0, {{"web", 2}}}}, 0, 0, 0, 0},
        {"pos2", {{"s2", 0, 0, 0, none}}, 0, 0, 0, 0},
        {"amazon", {{"wh", 7, 0, 0, none}}, 7, 7, 7, 7}}});

  // Three channels protect s1 (web 2, click 3, pos1 1): each sees free minus the OTHERS'
  // buffers, never its own; a channel without a buffer sees free minus all of them.
  cases.push_back(
      {"SeveralChannelsProtectOneLocation",
       CrowdedModel(),
       "A",
       {{"s1", 20}},
       {{"web", {{"s1", 16, 4, 2, {{"click", 3}, {"pos1", 1}}}}, 16, 16, 16, 16},
        {"click", {{"s1", 17, 3, 3, {{"web", 2}, {"pos1", 1}}}}, 17, 17, 17, 17},
        {"pos1", {{"s1", 15, 5, 1, {{"web", 2}, {"click", 3}}}}, 15, 15, 15, 15},
        {"amazon", {{"s1", 14, 6, 0, {{"web", 2}, {"click", 3}, {"pos1", 1}}}}, 14, 14, 14, 14}}});

  cases.push_back(
      {"SeveralChannelsProtectLowStock",
       CrowdedModel(),
       "A",
       {{"s1", 4}},
       {{"web", {{"s1", 0, 4, 2, {{"click", 3}, {"pos1", 1}}}}, 0, 0, 0, 0},
        {"click", {{"s1", 1, 3, 3, {{"web", 2}, {"pos1", 1}}}}, 1, 1, 1, 1},
        {"pos1", {{"s1", 0, 5, 1, {{"web", 2}, {"click", 3}}}}, 0, 0, 0, 0},
        {"amazon", {{"s1", 0, 6, 0, {{"web", 2}, {"click", 3}, {"pos1", 1}}}}, 0, 0, 0, 0}}});

  // Safety stock, share (floored) and min/max.
  auto policy = [&](const std::string& name, Model model, int64_t on_hand, int64_t reservable,
                    int64_t after_safety, int64_t after_share, int64_t published) {
    cases.push_back({name,
                     std::move(model),
                     "A",
                     {{"wh", on_hand}},
                     {{"m",
                       {{"wh", reservable, 0, 0, none}},
                       reservable,
                       after_safety,
                       after_share,
                       published}}});
  };
  // floor((20 - 3) * 33 / 100) = floor(5.61) = 5
  policy("SafetyAndShareFloor", PolicyModel(3, 33, 0, kNoCap), 20, 20, 17, 5, 5);
  policy("BelowMinPublishIsZero", PolicyModel(3, 33, 6, kNoCap), 20, 20, 17, 5, 0);
  policy("AtMinPublishIsPublished", PolicyModel(3, 33, 5, kNoCap), 20, 20, 17, 5, 5);
  policy("MaxPublishCaps", PolicyModel(0, 100, 0, 4), 20, 20, 20, 20, 4);
  policy("MaxPublishZero", PolicyModel(0, 100, 0, 0), 20, 20, 20, 20, 0);
  policy("MinAndMaxTogether", PolicyModel(1, 50, 3, 8), 30, 30, 29, 14, 8);
  policy("ShareZeroPublishesNothing", PolicyModel(0, 0, 0, kNoCap), 20, 20, 20, 0, 0);
  policy("ShareFloorsToZero", PolicyModel(0, 99, 0, kNoCap), 1, 1, 1, 0, 0);
  policy("ShareHalfOfOdd", PolicyModel(0, 50, 0, kNoCap), 3, 3, 3, 1, 1);
  policy("SafetyAboveReservable", PolicyModel(25, 100, 0, kNoCap), 20, 20, 0, 0, 0);
  policy("SafetyEqualsReservable", PolicyModel(20, 100, 0, kNoCap), 20, 20, 0, 0, 0);
  policy("NoStock", PolicyModel(0, 100, 0, kNoCap), 0, 0, 0, 0, 0);

  // Overrides: later wins per field, only the named channel changes, Explain lists them.
  const std::string t5 = "t.yaml:5 (*)", t10 = "t.yaml:10 (TSHIRT-*)",
                    t20 = "t.yaml:20 (TSHIRT-RED-?)", t30 = "t.yaml:30 (TSHIRT-*)",
                    t40 = "t.yaml:40 (MUG-[0-9])";
  // web: protect s1 = 5 (t30 after t5), safety 1 (t5): 40 - 1 = 39.
  // amazon: safety 1 (t10), share 80 (t20 after t10): floor(29 * 0.8) = 23.
  cases.push_back({"OverridesLaterWinsPerField",
                   OverrideModel(),
                   "TSHIRT-RED-M",
                   {{"wh", 30}, {"s1", 10}},
                   {{"web",
                     {{"wh", 30, 0, 0, none}, {"s1", 10, 0, 5, none}, {"s2", 0, 0, 0, none}},
                     40,
                     39,
                     39,
                     39,
                     {t5, t30}},
                    {"pos1", {{"s1", 5, 5, 0, {{"web", 5}}}}, 5, 5, 5, 5},
                    {"pos2", {{"s2", 0, 0, 0, none}}, 0, 0, 0, 0},
                    {"amazon", {{"wh", 30, 0, 0, none}}, 30, 29, 23, 23, {t10, t20}}}});
  // Not RED: amazon keeps t10's share 50: floor(29 * 0.5) = 14.
  cases.push_back({"OverridesOnlyMatchingPatterns",
                   OverrideModel(),
                   "TSHIRT-BLUE-XL",
                   {{"wh", 30}, {"s1", 10}},
                   {{"web",
                     {{"wh", 30, 0, 0, none}, {"s1", 10, 0, 5, none}, {"s2", 0, 0, 0, none}},
                     40,
                     39,
                     39,
                     39,
                     {t5, t30}},
                    {"pos1", {{"s1", 5, 5, 0, {{"web", 5}}}}, 5, 5, 5, 5},
                    {"pos2", {{"s2", 0, 0, 0, none}}, 0, 0, 0, 0},
                    {"amazon", {{"wh", 30, 0, 0, none}}, 30, 29, 14, 14, {t10}}}});
  // A mug: web protect 1 (t5), pos1 capped at 3 (t40), amazon on its base safety 2.
  cases.push_back({"OverrideMaxOnOneChannel",
                   OverrideModel(),
                   "MUG-1",
                   {{"wh", 30}, {"s1", 10}},
                   {{"web",
                     {{"wh", 30, 0, 0, none}, {"s1", 10, 0, 1, none}, {"s2", 0, 0, 0, none}},
                     40,
                     39,
                     39,
                     39,
                     {t5}},
                    {"pos1", {{"s1", 9, 1, 0, {{"web", 1}}}}, 9, 9, 9, 3, {t40}},
                    {"pos2", {{"s2", 0, 0, 0, none}}, 0, 0, 0, 0},
                    {"amazon", {{"wh", 30, 0, 0, none}}, 30, 28, 28, 28}}});
  // "MUG-[0-9]" is anchored: MUG-10 does not match it.
  cases.push_back({"OverrideGlobIsAnchored",
                   OverrideModel(),
                   "MUG-10",
                   {{"wh", 30}, {"s1", 10}},
                   {{"web",
                     {{"wh", 30, 0, 0, none}, {"s1", 10, 0, 1, none}, {"s2", 0, 0, 0, none}},
                     40,
                     39,
                     39,
                     39,
                     {t5}},
                    {"pos1", {{"s1", 9, 1, 0, {{"web", 1}}}}, 9, 9, 9, 9},
                    {"pos2", {{"s2", 0, 0, 0, none}}, 0, 0, 0, 0},
                    {"amazon", {{"wh", 30, 0, 0, none}}, 30, 28, 28, 28}}});
  return cases;
}

class AvailabilityTableTest : public ::testing::TestWithParam<Case> {};

std::string Describe(const std::vector<std::string>& v) { return absl::StrJoin(v, " | "); }

// Puts the case's rows into a fresh engine: counts a large on_hand, reserves (and
// commits) the held/committed units through the row's channel, then counts on_hand to
// its final value, which may be below held + committed.
std::unique_ptr<Engine> Load(const Case& c) {
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Create(c.model, EngineOptions{});
  EXPECT_TRUE(engine.ok()) << engine.status();
  if (!engine.ok()) return nullptr;
  Engine& e = **engine;
  for (const RowSetup& row : c.rows) {
    const int64_t margin = row.on_hand + row.held + row.committed + 1000;
    EXPECT_TRUE(e.ExecuteAndWait(Cmd(testing::Count(row.location, c.sku, margin))).ok());
    if (row.held > 0) {
      auto r = e.ExecuteAndWait(Cmd(testing::Reserve(row.via, {L(c.sku, row.held, row.location)})));
      EXPECT_TRUE(r.ok()) << r.status();
    }
    if (row.committed > 0) {
      auto r =
          e.ExecuteAndWait(Cmd(testing::Reserve(row.via, {L(c.sku, row.committed, row.location)})));
      EXPECT_TRUE(r.ok()) << r.status();
      if (r.ok()) {
        auto commit = e.ExecuteAndWait(Cmd(testing::Commit(r->hold->hold_id)));
        EXPECT_TRUE(commit.ok()) << commit.status();
      }
    }
    EXPECT_TRUE(e.ExecuteAndWait(Cmd(testing::Count(row.location, c.sku, row.on_hand))).ok());
  }
  return std::move(*engine);
}

Counters RowCounters(const Case& c, const std::string& location) {
  for (const RowSetup& row : c.rows) {
    if (row.location == location) return Counters{row.on_hand, row.held, row.committed};
  }
  return Counters{};
}

TEST_P(AvailabilityTableTest, ThroughTheEngine) {
  const Case& c = GetParam();
  ASSERT_EQ(c.expect.size(), c.model.channels.size()) << "the table must cover every channel";
  std::unique_ptr<Engine> engine = Load(c);
  ASSERT_NE(engine, nullptr);

  // Counters are what the setup intended (free may be negative).
  for (const RowSetup& row : c.rows) {
    auto rows = engine->GetStock(c.sku, {row.location});
    ASSERT_TRUE(rows.ok()) << rows.status();
    ASSERT_EQ(rows->size(), 1u);
    EXPECT_EQ((*rows)[0].counters, (Counters{row.on_hand, row.held, row.committed}))
        << row.location;
  }

  // GetAvailability: every channel, in model order.
  auto items = engine->GetAvailability({c.sku}, {});
  ASSERT_TRUE(items.ok()) << items.status();
  ASSERT_EQ(items->size(), c.expect.size());
  for (size_t i = 0; i < c.expect.size(); ++i) {
    const ChannelExpect& x = c.expect[i];
    EXPECT_EQ((*items)[i].sku, c.sku);
    EXPECT_EQ((*items)[i].channel, x.channel);
    EXPECT_EQ((*items)[i].reservable, x.reservable) << x.channel;
    EXPECT_EQ((*items)[i].published, x.published) << x.channel;
  }

  // Explain: every term.
  for (const ChannelExpect& x : c.expect) {
    SCOPED_TRACE("channel " + x.channel);
    auto e = engine->Explain(x.channel, c.sku);
    ASSERT_TRUE(e.ok()) << e.status();
    EXPECT_EQ(e->channel, x.channel);
    EXPECT_EQ(e->sku, c.sku);
    ASSERT_EQ(e->sources.size(), x.sources.size());
    for (size_t i = 0; i < x.sources.size(); ++i) {
      const SourceExpect& s = x.sources[i];
      SCOPED_TRACE("source " + s.location);
      EXPECT_EQ(e->sources[i].location, s.location);
      EXPECT_EQ(e->sources[i].counters, RowCounters(c, s.location));
      EXPECT_EQ(e->sources[i].avail, s.avail);
      EXPECT_EQ(e->sources[i].protected_total, s.protected_total);
      EXPECT_EQ(e->sources[i].own_protect, s.own_protect);
      EXPECT_EQ(e->sources[i].protected_by_others, s.protected_by_others);
    }
    EXPECT_EQ(e->reservable, x.reservable);
    EXPECT_EQ(e->after_safety, x.after_safety);
    EXPECT_EQ(e->after_share, x.after_share);
    EXPECT_EQ(e->published, x.published);
    EXPECT_EQ(e->overrides_applied, x.overrides_applied)
        << "got: " << Describe(e->overrides_applied);
  }
  InvariantReport report = engine->CheckInvariants();
  EXPECT_TRUE(report.ok()) << Describe(report.violations);
}

TEST_P(AvailabilityTableTest, ThroughThePureFunctions) {
  const Case& c = GetParam();
  const Model& m = c.model;
  std::vector<Counters> rows(m.locations.size());
  for (const RowSetup& row : c.rows) {
    rows[m.LocationIndex(row.location)] = Counters{row.on_hand, row.held, row.committed};
  }
  std::vector<int> matched;
  for (size_t i = 0; i < m.overrides.size(); ++i) {
    if (GlobMatch(m.overrides[i].pattern, c.sku)) matched.push_back(static_cast<int>(i));
  }
  std::shared_ptr<const PolicySet> p = BuildPolicySet(m, matched);
  ASSERT_NE(p, nullptr);
  ASSERT_EQ(p->channels.size(), m.channels.size());
  ASSERT_EQ(p->protect_total.size(), m.locations.size());

  for (const ChannelExpect& x : c.expect) {
    SCOPED_TRACE("channel " + x.channel);
    const int ch = m.ChannelIndex(x.channel);
    ASSERT_GE(ch, 0);
    ASSERT_EQ(m.channels[ch].sources.size(), x.sources.size());
    for (size_t i = 0; i < x.sources.size(); ++i) {
      const SourceExpect& s = x.sources[i];
      const int loc = m.channels[ch].sources[i];
      SCOPED_TRACE("source " + s.location);
      EXPECT_EQ(m.locations[loc].id, s.location);
      EXPECT_EQ(ProtectedByOthers(*p, ch, loc), s.protected_total);
      EXPECT_EQ(p->channels[ch].protect[loc], s.own_protect);
      EXPECT_EQ(Avail(*p, ch, loc, rows[loc]), s.avail);
    }
    EXPECT_EQ(Reservable(m, *p, ch, rows), x.reservable);
    EXPECT_EQ(Publish(p->channels[ch], x.reservable), x.published);
    EXPECT_EQ(p->applied[ch], x.overrides_applied) << "got: " << Describe(p->applied[ch]);
  }
}

INSTANTIATE_TEST_SUITE_P(Formula, AvailabilityTableTest, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return info.param.name;
                         });

// ---------------------------------------------------------------- beyond the table

std::unique_ptr<Engine> MakeEngine(Model model) {
  auto engine = Engine::Create(std::move(model), EngineOptions{});
  EXPECT_TRUE(engine.ok()) << engine.status();
  return engine.ok() ? std::move(*engine) : nullptr;
}

int64_t Reservable(const Engine& e, const std::string& channel, const std::string& sku) {
  auto items = e.GetAvailability({sku}, {channel});
  EXPECT_TRUE(items.ok()) << items.status();
  return items.ok() && items->size() == 1 ? (*items)[0].reservable : -1;
}
int64_t Published(const Engine& e, const std::string& channel, const std::string& sku) {
  auto items = e.GetAvailability({sku}, {channel});
  EXPECT_TRUE(items.ok()) << items.status();
  return items.ok() && items->size() == 1 ? (*items)[0].published : -1;
}

TEST(AvailabilityTest, OverrideChangesOnlyTheFieldsItSets) {
  std::unique_ptr<Engine> engine = MakeEngine(OverrideModel());
  ASSERT_NE(engine, nullptr);
  for (const std::string sku : {"TSHIRT-RED-M", "TSHIRT-BLUE-XL", "MUG-1", "PLAIN"}) {
    ASSERT_TRUE(engine->ExecuteAndWait(Cmd(testing::Count("wh", sku, 30))).ok());
  }
  struct Want {
    std::string channel, sku;
    int64_t safety;
    int32_t share;
    int64_t min, max;
  };
  const std::vector<Want> wants = {
      {"amazon", "TSHIRT-RED-M", 1, 80, 0, kNoCap},    // t10 safety, t20 share wins
      {"amazon", "TSHIRT-BLUE-XL", 1, 50, 0, kNoCap},  // t10 only
      {"amazon", "MUG-1", 2, 100, 0, kNoCap},          // base
      {"web", "TSHIRT-RED-M", 1, 100, 0, kNoCap},      // t5 safety survives t30
      {"web", "PLAIN", 1, 100, 0, kNoCap},             // "*" matches everything
      {"pos1", "MUG-1", 0, 100, 0, 3},                 // t40
      {"pos1", "TSHIRT-RED-M", 0, 100, 0, kNoCap},     // untouched channel
      {"pos2", "MUG-1", 0, 100, 0, kNoCap},
  };
  for (const Want& w : wants) {
    SCOPED_TRACE(w.channel + " " + w.sku);
    auto e = engine->Explain(w.channel, w.sku);
    ASSERT_TRUE(e.ok()) << e.status();
    EXPECT_EQ(e->policy.safety_stock, w.safety);
    EXPECT_EQ(e->policy.share_percent, w.share);
    EXPECT_EQ(e->policy.min_publish, w.min);
    EXPECT_EQ(e->policy.max_publish, w.max);
  }
  // PLAIN on amazon: base safety 2 -> 28; no override listed.
  auto plain = engine->Explain("amazon", "PLAIN");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->published, 28);
  EXPECT_TRUE(plain->overrides_applied.empty()) << Describe(plain->overrides_applied);
}

TEST(AvailabilityTest, ReservationsMoveEveryChannelsView) {
  std::unique_ptr<Engine> engine = MakeEngine(ShopBuilder().Build());
  ASSERT_NE(engine, nullptr);
  ASSERT_TRUE(engine->ExecuteAndWait(Cmd(testing::Count("s1", "A", 10))).ok());
  ASSERT_EQ(Reservable(*engine, "pos1", "A"), 8);
  ASSERT_EQ(Reservable(*engine, "web", "A"), 10);

  // The webshop takes 3 at s1: free 7; the POS still keeps clear of the 2 protected.
  auto hold = engine->ExecuteAndWait(Cmd(testing::Reserve("web", {L("A", 3, "s1")})));
  ASSERT_TRUE(hold.ok()) << hold.status();
  EXPECT_EQ(Reservable(*engine, "web", "A"), 7);
  EXPECT_EQ(Reservable(*engine, "pos1", "A"), 5);

  // The POS sells all it may: 5. The webshop still sees its protected 2.
  auto sale = engine->ExecuteAndWait(Cmd(testing::Sell("pos1", "s1", "A", 5)));
  ASSERT_TRUE(sale.ok()) << sale.status();
  EXPECT_EQ(Reservable(*engine, "pos1", "A"), 0);
  EXPECT_EQ(Reservable(*engine, "web", "A"), 2);
  EXPECT_EQ(Published(*engine, "web", "A"), 2);

  // Releasing the hold gives 3 back to both.
  ASSERT_TRUE(engine->ExecuteAndWait(Cmd(testing::Release(hold->hold->hold_id))).ok());
  EXPECT_EQ(Reservable(*engine, "web", "A"), 5);
  EXPECT_EQ(Reservable(*engine, "pos1", "A"), 3);
  EXPECT_TRUE(engine->CheckInvariants().ok());
}

TEST(AvailabilityTest, BatchQueryIsSkuMajorInRequestOrder) {
  std::unique_ptr<Engine> engine = MakeEngine(ShopBuilder().Build());
  ASSERT_NE(engine, nullptr);
  ASSERT_TRUE(engine->ExecuteAndWait(Cmd(testing::Count("wh", "A", 4))).ok());
  ASSERT_TRUE(engine->ExecuteAndWait(Cmd(testing::Count("s2", "B", 6))).ok());
  auto items = engine->GetAvailability({"B", "A"}, {"pos2", "web"});
  ASSERT_TRUE(items.ok()) << items.status();
  ASSERT_EQ(items->size(), 4u);
  const std::vector<std::tuple<std::string, std::string, int64_t>> want = {
      {"B", "pos2", 6}, {"B", "web", 6}, {"A", "pos2", 0}, {"A", "web", 4}};
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ((*items)[i].sku, std::get<0>(want[i]));
    EXPECT_EQ((*items)[i].channel, std::get<1>(want[i]));
    EXPECT_EQ((*items)[i].reservable, std::get<2>(want[i]));
    EXPECT_EQ((*items)[i].published, std::get<2>(want[i]));
  }
}

TEST(AvailabilityTest, QueryErrors) {
  std::unique_ptr<Engine> engine = MakeEngine(ShopBuilder().Build());
  ASSERT_NE(engine, nullptr);
  ASSERT_TRUE(engine->ExecuteAndWait(Cmd(testing::Count("wh", "A", 4))).ok());
  EXPECT_EQ(engine->Explain("web", "NOPE").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(engine->Explain("nochannel", "A").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(engine->Explain("web", "bad sku!").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(engine->Explain("bad channel!", "A").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(engine->GetAvailability({"NOPE"}, {}).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(engine->GetAvailability({"A"}, {"nochannel"}).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(engine->GetAvailability({"bad sku!"}, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(engine->GetAvailability({}, {}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(AvailabilityTest, PublishByHand) {
  ChannelPolicy p;
  EXPECT_EQ(Publish(p, 0), 0);
  EXPECT_EQ(Publish(p, 7), 7);
  p.safety_stock = 2;
  p.share_percent = 75;
  EXPECT_EQ(Publish(p, 1), 0);   // max(0, -1) = 0
  EXPECT_EQ(Publish(p, 10), 6);  // floor(8 * 0.75)
  EXPECT_EQ(Publish(p, 11), 6);  // floor(9 * 0.75) = floor(6.75)
  EXPECT_EQ(Publish(p, 12), 7);  // floor(10 * 0.75) = floor(7.5)
  p.min_publish = 7;
  EXPECT_EQ(Publish(p, 11), 0);
  EXPECT_EQ(Publish(p, 12), 7);
  p.max_publish = 7;
  EXPECT_EQ(Publish(p, 1'000'000), 7);
  // Large stock: no overflow in x * share.
  ChannelPolicy big;
  big.share_percent = 99;
  EXPECT_EQ(Publish(big, kMaxQuantity), kMaxQuantity / 100 * 99);
}

TEST(AvailabilityTest, GlobMatch) {
  EXPECT_TRUE(GlobMatch("*", ""));
  EXPECT_TRUE(GlobMatch("*", "ABC"));
  EXPECT_TRUE(GlobMatch("TSHIRT-*", "TSHIRT-"));
  EXPECT_TRUE(GlobMatch("TSHIRT-*", "TSHIRT-RED-M"));
  EXPECT_FALSE(GlobMatch("TSHIRT-*", "XTSHIRT-RED"));
  EXPECT_TRUE(GlobMatch("TSHIRT-RED-?", "TSHIRT-RED-M"));
  EXPECT_FALSE(GlobMatch("TSHIRT-RED-?", "TSHIRT-RED-XL"));
  EXPECT_TRUE(GlobMatch("MUG-[0-9]", "MUG-7"));
  EXPECT_FALSE(GlobMatch("MUG-[0-9]", "MUG-10"));
  EXPECT_FALSE(GlobMatch("MUG-[0-9]", "MUG-a"));
  EXPECT_TRUE(GlobMatch("[abc]x", "bx"));
  EXPECT_FALSE(GlobMatch("[abc]x", "dx"));
  EXPECT_TRUE(GlobMatch("*-RED-*", "TSHIRT-RED-M"));
  EXPECT_FALSE(GlobMatch("A", "AB"));
  EXPECT_FALSE(GlobMatch("AB", "A"));
}

}  // namespace
}  // namespace stockd::engine
