// Live reconfiguration (docs/reload.md): Engine::Reconfigure installs a new model while
// serving and Engine::PreviewModel predicts what it would change. Exact published
// quantities by the formula (docs/design.md), the changes the listeners get, index
// stability when the config lists a new location in the middle, refusals that change
// nothing, Preview == Reconfigure, and the announcement ordered by the journal. The
// concurrent case is in reconfigure_concurrency_test.cc. The fixture is engine_fixture.h.
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "tests/engine/engine_fixture.h"

namespace stockd::engine {
namespace {

// TestModel() (engine_fixture.h) with amazon's policy and optional extras, by id.
ModelBuilder Base() {
  return ModelBuilder()
      .Location("wh")
      .Location("s1", LocationType::kStore)
      .Location("s2", LocationType::kStore)
      .Location("dc")
      .Channel("web", ChannelType::kWebshop, {"wh", "s1"})
      .Channel("pos1", ChannelType::kStore, {"s1"})
      .Channel("pos2", ChannelType::kStore, {"s2"})
      .Channel("amazon", ChannelType::kMarketplace, {"wh"})
      .Protect("web", "s1", 2);
}

std::string Str(const SkuChange& c) { return absl::StrCat(c.sku, " ", c.before, "->", c.after); }

std::string Str(const ChannelDiff& d) {
  std::vector<std::string> top;
  for (const SkuChange& c : d.top) top.push_back(Str(c));
  return absl::StrCat(d.channel, d.added ? " (added)" : "", ": ", d.skus_changed, " skus, ",
                      d.units_changed, " units, net ", d.net_change, ", zeroed ", d.skus_zeroed,
                      " [", absl::StrJoin(top, ", "), "]");
}

// The channels whose published quantities change, one line each.
std::string Channels(const ModelDiff& d) {
  std::vector<std::string> lines;
  for (const ChannelDiff& c : d.channels) {
    if (c.skus_changed > 0 || c.added) lines.push_back(Str(c));
  }
  return absl::StrJoin(lines, "\n");
}

std::string ModelLevel(const ModelDiff& d) {
  return absl::StrCat("locations+ [", absl::StrJoin(d.locations_added, ","), "] channels+ [",
                      absl::StrJoin(d.channels_added, ","), "] changed [",
                      absl::StrJoin(d.channels_changed, ","), "] overrides +", d.overrides_added,
                      " -", d.overrides_removed, " ~", d.overrides_changed, " skus ", d.skus);
}

std::vector<std::string> Ids(const std::vector<Location>& v) {
  std::vector<std::string> out;
  for (const Location& l : v) out.push_back(l.id);
  return out;
}
std::vector<std::string> Ids(const std::vector<Channel>& v) {
  std::vector<std::string> out;
  for (const Channel& c : v) out.push_back(c.id);
  return out;
}

class ReconfigureTest : public EngineTest {
 protected:
  // Reconfigures; the result must be OK.
  ReconfigureResult Reload(const Model& next, int top_n = 10) {
    ReconfigureOptions options;
    options.top_n = top_n;
    options.actor = "ops";
    absl::StatusOr<ReconfigureResult> r = engine_->Reconfigure(next, options);
    if (!r.ok()) throw std::runtime_error("Reconfigure failed: " + r.status().ToString());
    return *r;
  }
  // "channel:sku before->after rRESERVABLE" of the changes announced since the last call,
  // sorted; their time must be now.
  std::string Announced() {
    std::vector<std::string> parts;
    for (const PublishedChange& c : listener_.Take()) {
      EXPECT_EQ(c.time_ms, clock_.NowMs());
      parts.push_back(absl::StrCat(c.channel, ":", c.sku, " ", c.previous, "->", c.published, " r",
                                   c.reservable));
    }
    std::sort(parts.begin(), parts.end());
    return absl::StrJoin(parts, " | ");
  }
};

// StockUp(): A at wh 10, s1 10, s2 5; B at wh 5; C at s1 3. Before, amazon (safety 2,
// share 50) publishes A floor((10-2)*50/100) = 4, B floor((5-2)/2) = 1, C 0.
TEST_F(ReconfigureTest, PolicyChangeMovesPublishedByTheFormulaAndAnnouncesExactlyThat) {
  StockUp();
  ASSERT_EQ(Published("amazon", "A"), 4);
  ASSERT_EQ(Published("amazon", "B"), 1);
  // amazon: safety 0, share 100: A 10, B 5. web: min_publish 6: B (5) and C (3) go to 0.
  Model next = Base().Share("amazon", 100).MinPublish("web", 6).Build();
  ReconfigureResult r = Reload(next);

  EXPECT_EQ(Announced(), "amazon:A 4->10 r10 | amazon:B 1->5 r5 | web:B 5->0 r5 | web:C 3->0 r3");
  EXPECT_EQ(Published("amazon", "A"), 10);
  EXPECT_EQ(Published("amazon", "B"), 5);
  EXPECT_EQ(Published("web", "A"), 20);
  EXPECT_EQ(Published("web", "B"), 0);
  EXPECT_EQ(Channels(r.diff),
            "web: 2 skus, 8 units, net -8, zeroed 2 [B 5->0, C 3->0]\n"
            "amazon: 2 skus, 10 units, net 10, zeroed 0 [A 4->10, B 1->5]");
  EXPECT_EQ(ModelLevel(r.diff),
            "locations+ [] channels+ [] changed [web,amazon] overrides +0 -0 ~0 skus 3");
  EXPECT_GT(r.sequence, 0u);

  // The reconfigure is one mutation: an audit entry naming who and what.
  std::vector<AuditEntry> audit = engine_->ListAudit("", 1);
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0].sequence, r.sequence);
  EXPECT_EQ(audit[0].operation, "reconfigure");
  EXPECT_EQ(audit[0].actor, "ops");
  EXPECT_EQ(audit[0].reason, "channels changed: web, amazon; 4 published quantities changed");
  EXPECT_TRUE(audit[0].after.empty());

  // Mutations after it are judged by the new policy: amazon may take all 10 at wh.
  Outcome o = Ok(t::Reserve("amazon", {L("A", 10)}));
  ASSERT_TRUE(o.hold.has_value());
  EXPECT_EQ(Announced(), "amazon:A 10->0 r0 | web:A 20->10 r10");
}

TEST_F(ReconfigureTest, ALocationListedInTheMiddleKeepsTheOldIndices) {
  StockUp();
  const std::string hold = Hold("pos2", {L("A", 2)});  // at s2, index 2
  EXPECT_EQ(Announced(), "pos2:A 5->3 r3");
  // The new config lists s3 between s1 and s2, and a channel pos3 selling from it before
  // the others; web now also sells from s3.
  Model next = ModelBuilder()
                   .Location("wh")
                   .Location("s1", LocationType::kStore)
                   .Location("s3", LocationType::kStore)
                   .Location("s2", LocationType::kStore)
                   .Location("dc")
                   .Channel("pos3", ChannelType::kStore, {"s3"})
                   .Channel("web", ChannelType::kWebshop, {"wh", "s1", "s3"})
                   .Channel("pos1", ChannelType::kStore, {"s1"})
                   .Channel("pos2", ChannelType::kStore, {"s2"})
                   .Channel("amazon", ChannelType::kMarketplace, {"wh"})
                   .Protect("web", "s1", 2)
                   .Protect("pos3", "s3", 1)
                   .Safety("amazon", 2)
                   .Share("amazon", 50)
                   .Build();
  ReconfigureResult r = Reload(next);
  EXPECT_EQ(Announced(), "") << "nothing is stocked at s3 yet";
  EXPECT_EQ(ModelLevel(r.diff),
            "locations+ [s3] channels+ [pos3] changed [web] overrides +0 -0 ~0 skus 3");
  EXPECT_EQ(Channels(r.diff), "pos3 (added): 0 skus, 0 units, net 0, zeroed 0 []");

  std::shared_ptr<const Model> m = engine_->model();
  EXPECT_EQ(absl::StrJoin(Ids(m->locations), ","), "wh,s1,s2,dc,s3");
  EXPECT_EQ(absl::StrJoin(Ids(m->channels), ","), "web,pos1,pos2,amazon,pos3");
  EXPECT_EQ(m->channels[0].sources, (std::vector<int>{0, 1, 4}));
  EXPECT_EQ(m->channels[4].sources, (std::vector<int>{4}));
  EXPECT_EQ(m->channels[0].policy.protect, (std::vector<int64_t>{0, 2, 0, 0, 0}));
  EXPECT_EQ(m->channels[4].policy.protect, (std::vector<int64_t>{0, 0, 0, 0, 1}));

  // The rows stayed where they were: s2 still has A 5 with the hold's 2 held.
  EXPECT_EQ(Row("A", "s2"), (Counters{5, 2, 0}));
  EXPECT_EQ(Row("A", "s3"), (Counters{0, 0, 0}));
  SetStock("s3", "A", 4);
  // web: wh 10 + s1 10 + s3 (4 - pos3's 1) = 23; pos3: 4 (its own protection is its own).
  EXPECT_EQ(Announced(), "pos3:A 0->4 r4 | web:A 20->23 r23");
  EXPECT_EQ(Published("pos1", "A"), 8);
  Ok(t::Release(hold));
  EXPECT_EQ(Row("A", "s2"), (Counters{5, 0, 0}));
  EXPECT_EQ(Published("pos2", "A"), 5);
  auto rows = engine_->GetStock("A", {});
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(Str(*rows), "A@wh=10/0/0, A@s1=10/0/0, A@s2=5/0/0, A@s3=4/0/0");
}

TEST_F(ReconfigureTest, AnAddedChannelGetsPublishedValues) {
  StockUp();
  Model next = Base()
                   .Safety("amazon", 2)
                   .Share("amazon", 50)
                   .Channel("ebay", ChannelType::kMarketplace, {"wh", "s2"})
                   .Share("ebay", 50)
                   .Build();
  ReconfigureResult r = Reload(next);
  // ebay: A (10 + 5) * 50% = 7, B 5 * 50% = 2, C (at s1 only) 0.
  EXPECT_EQ(Announced(), "ebay:A 0->7 r15 | ebay:B 0->2 r5");
  EXPECT_EQ(Channels(r.diff), "ebay (added): 2 skus, 9 units, net 9, zeroed 0 [A 0->7, B 0->2]");
  EXPECT_EQ(Published("ebay", "A"), 7);
  EXPECT_EQ(Published("ebay", "C"), 0);
  Outcome o = Ok(t::Reserve("ebay", {L("A", 3, "s2")}));
  ASSERT_TRUE(o.hold.has_value());
  EXPECT_EQ(o.hold->lines[0].location, "s2");
  // A at s2: 5 - 3 = 2: ebay (10 + 2) / 2 = 6, pos2 2.
  EXPECT_EQ(Announced(), "ebay:A 7->6 r12 | pos2:A 5->2 r2");
}

TEST_F(ReconfigureTest, RemovalsAndTypeChangesAreRefusedAndChangeNothing) {
  StockUp();
  const std::shared_ptr<const Model> before_model = engine_->model();
  const std::string before = Observe();
  struct Case {
    const char* what;
    Model next;
    const char* message;
  };
  std::vector<Case> cases = {
      {"location removed",
       ModelBuilder()
           .Location("wh")
           .Location("s1", LocationType::kStore)
           .Location("s2", LocationType::kStore)
           .Channel("web", ChannelType::kWebshop, {"wh", "s1"})
           .Channel("pos1", ChannelType::kStore, {"s1"})
           .Channel("pos2", ChannelType::kStore, {"s2"})
           .Channel("amazon", ChannelType::kMarketplace, {"wh"})
           .Build(),
       "location 'dc' is not in the new config: removing or renaming a location requires a "
       "restart"},
      {"location renamed",
       ModelBuilder()
           .Location("warehouse")
           .Location("s1", LocationType::kStore)
           .Location("s2", LocationType::kStore)
           .Location("dc")
           .Channel("web", ChannelType::kWebshop, {"warehouse", "s1"})
           .Channel("pos1", ChannelType::kStore, {"s1"})
           .Channel("pos2", ChannelType::kStore, {"s2"})
           .Channel("amazon", ChannelType::kMarketplace, {"warehouse"})
           .Build(),
       "location 'wh' is not in the new config: removing or renaming a location requires a "
       "restart"},
      {"location type",
       ModelBuilder()
           .Location("wh")
           .Location("s1", LocationType::kStore)
           .Location("s2")
           .Location("dc")
           .Channel("web", ChannelType::kWebshop, {"wh", "s1"})
           .Channel("pos1", ChannelType::kStore, {"s1"})
           .Channel("pos2", ChannelType::kStore, {"s2"})
           .Channel("amazon", ChannelType::kMarketplace, {"wh"})
           .Build(),
       "location 's2' changes type from store to warehouse: changing a location's type requires "
       "a restart"},
      {"channel removed",
       ModelBuilder()
           .Location("wh")
           .Location("s1", LocationType::kStore)
           .Location("s2", LocationType::kStore)
           .Location("dc")
           .Channel("web", ChannelType::kWebshop, {"wh", "s1"})
           .Channel("pos1", ChannelType::kStore, {"s1"})
           .Channel("amazon", ChannelType::kMarketplace, {"wh"})
           .Build(),
       "channel 'pos2' is not in the new config: removing or renaming a channel requires a "
       "restart"},
  };
  for (Case& c : cases) {
    SCOPED_TRACE(c.what);
    absl::StatusOr<ModelDiff> preview = engine_->PreviewModel(c.next);
    EXPECT_EQ(preview.status(), absl::FailedPreconditionError(c.message));
    absl::StatusOr<ReconfigureResult> r = engine_->Reconfigure(c.next);
    EXPECT_EQ(r.status(), absl::FailedPreconditionError(c.message));
    EXPECT_EQ(engine_->model(), before_model) << "the model in force stays";
    EXPECT_EQ(Observe(), before);
    EXPECT_EQ(Announced(), "");
  }
  // A structurally broken model: INVALID_ARGUMENT, nothing changed.
  Model broken = Base().Build();
  broken.channels[0].sources = {7};
  EXPECT_EQ(engine_->Reconfigure(broken).status().code(), kInvalid);
  ReconfigureOptions bad_top;
  bad_top.top_n = 1001;
  EXPECT_EQ(engine_->Reconfigure(Base().Build(), bad_top).status(),
            absl::InvalidArgumentError("top_n: 1001 outside 0..1000"));
  EXPECT_EQ(engine_->model(), before_model);
  EXPECT_EQ(Observe(), before);
}

TEST_F(ReconfigureTest, OverridesAreRemappedWhenTheConfigReordersChannels) {
  StockUp();
  // The channels in another order; an override of amazon for A*: share 100.
  Model next =
      ModelBuilder()
          .Location("dc")
          .Location("s2", LocationType::kStore)
          .Location("s1", LocationType::kStore)
          .Location("wh")
          .Channel("amazon", ChannelType::kMarketplace, {"wh"})
          .Channel("pos2", ChannelType::kStore, {"s2"})
          .Channel("pos1", ChannelType::kStore, {"s1"})
          .Channel("web", ChannelType::kWebshop, {"wh", "s1"})
          .Protect("web", "s1", 2)
          .Safety("amazon", 2)
          .Share("amazon", 50)
          .Override(
              {.pattern = "A*", .channel = "amazon", .origin = "new.yaml:9", .share_percent = 100})
          .Override(
              {.pattern = "C", .channel = "pos1", .origin = "new.yaml:12", .protect = {{"s1", 1}}})
          .Build();
  ReconfigureResult r = Reload(next);
  // amazon A: (10 - 2) * 100% = 8. C: pos1 protects 1 at s1: web C = 3 - 1 = 2; pos1 C
  // = 3 - web's 2 = 1, unchanged.
  EXPECT_EQ(Announced(), "amazon:A 4->8 r10 | web:C 3->2 r2");
  EXPECT_EQ(ModelLevel(r.diff), "locations+ [] channels+ [] changed [] overrides +2 -0 ~0 skus 3");
  std::shared_ptr<const Model> m = engine_->model();
  EXPECT_EQ(absl::StrJoin(Ids(m->channels), ","), "web,pos1,pos2,amazon");
  ASSERT_EQ(m->overrides.size(), 2u);
  EXPECT_EQ(m->overrides[0].channel, 3);
  EXPECT_EQ(m->overrides[1].channel, 1);
  EXPECT_EQ(m->overrides[1].protect, (std::vector<std::pair<int, int64_t>>{{1, 1}}));
  auto explained = engine_->Explain("amazon", "A");
  ASSERT_TRUE(explained.ok());
  EXPECT_EQ(explained->overrides_applied, (std::vector<std::string>{"new.yaml:9 (A*)"}));

  // Overrides matched by (channel, pattern): one changed, one removed, one added.
  Model later =
      ModelBuilder()
          .Location("wh")
          .Location("s1", LocationType::kStore)
          .Location("s2", LocationType::kStore)
          .Location("dc")
          .Channel("web", ChannelType::kWebshop, {"wh", "s1"})
          .Channel("pos1", ChannelType::kStore, {"s1"})
          .Channel("pos2", ChannelType::kStore, {"s2"})
          .Channel("amazon", ChannelType::kMarketplace, {"wh"})
          .Protect("web", "s1", 2)
          .Safety("amazon", 2)
          .Share("amazon", 50)
          .Override(
              {.pattern = "A*", .channel = "amazon", .origin = "x.yaml:1", .share_percent = 75})
          .Override({.pattern = "B", .channel = "web", .origin = "x.yaml:5", .max_publish = 1})
          .Build();
  absl::StatusOr<ModelDiff> preview = engine_->PreviewModel(later);
  ASSERT_TRUE(preview.ok()) << preview.status();
  EXPECT_EQ(ModelLevel(*preview),
            "locations+ [] channels+ [] changed [] overrides +1 -1 ~1 skus 3");
  // amazon A: 8 * 75% = 6; web B: capped at 1; web C: back to 3.
  EXPECT_EQ(Channels(*preview),
            "web: 2 skus, 5 units, net -3, zeroed 0 [B 5->1, C 2->3]\n"
            "amazon: 1 skus, 2 units, net -2, zeroed 0 [A 8->6]");
  EXPECT_EQ(Announced(), "") << "a preview changes nothing";
  EXPECT_EQ(Reload(later).diff, *preview);
}

TEST_F(ReconfigureTest, PreviewEqualsWhatReconfigureThenDoes) {
  // 300 SKUs with stock spread over wh, s1 and s2.
  for (int i = 0; i < 300; ++i) {
    const std::string sku = absl::StrCat("P", 1000 + i);
    SetStock("wh", sku, i % 17);
    if (i % 3 == 0) SetStock("s1", sku, i % 11);
    if (i % 5 == 0) SetStock("s2", sku, 1 + i % 7);
  }
  listener_.Take();
  Model next =
      Base()
          .Location("s9", LocationType::kStore)
          .Channel("ebay", ChannelType::kMarketplace, {"s2", "wh"})
          .Safety("ebay", 1)
          .Share("ebay", 80)
          .Protect("pos1", "s1", 3)
          .Safety("amazon", 4)
          .MinPublish("amazon", 3)
          .Override(
              {.pattern = "P10[0-4]?", .channel = "web", .origin = "n.yaml:3", .max_publish = 5})
          .Build();
  for (int top_n : {0, 1, 7, 1000}) {
    SCOPED_TRACE(top_n);
    absl::StatusOr<ModelDiff> preview = engine_->PreviewModel(next, top_n);
    ASSERT_TRUE(preview.ok()) << preview.status();
    for (const ChannelDiff& c : preview->channels) {
      EXPECT_LE(c.top.size(), static_cast<size_t>(top_n));
      EXPECT_EQ(c.top.size(), std::min<size_t>(top_n, c.skus_changed));
    }
  }
  absl::StatusOr<ModelDiff> preview = engine_->PreviewModel(next, 7);
  ASSERT_TRUE(preview.ok());
  EXPECT_EQ(preview->skus, 300);
  ReconfigureResult r = Reload(next, 7);
  EXPECT_EQ(r.diff, *preview) << Channels(r.diff) << "\n---\n" << Channels(*preview);

  // The announcement says the same, change by change.
  std::vector<PublishedChange> announced = listener_.Take();
  int64_t changed = 0, units = 0;
  for (const ChannelDiff& c : r.diff.channels) {
    changed += c.skus_changed;
    units += c.units_changed;
  }
  int64_t announced_units = 0;
  for (const PublishedChange& c : announced)
    announced_units += std::llabs(c.published - c.previous);
  EXPECT_EQ(static_cast<int64_t>(announced.size()), changed);
  EXPECT_EQ(announced_units, units);
  EXPECT_GT(changed, 100) << "the change should move many SKUs";
  // Every published quantity equals the formula under the new model (CheckInvariants in
  // TearDown recomputes them all), and a second preview of the same model changes nothing.
  absl::StatusOr<ModelDiff> again = engine_->PreviewModel(next, 7);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(Channels(*again), "");
  EXPECT_EQ(ModelLevel(*again),
            "locations+ [] channels+ [] changed [] overrides +0 -0 ~0 skus 300");
}

// Issue 16 part 3: the diff lists the reorder rules a reload adds, removes and changes
// (matched by pattern) and whether the alert options change.
TEST_F(ReconfigureTest, TheDiffListsReorderRuleAndAlertOptionChanges) {
  auto rule = [](const std::string& pattern, std::optional<int64_t> point, double lead) {
    ReorderRule r;
    r.pattern = pattern;
    r.point = point;
    r.lead_time_days = lead;
    r.cover_days = point ? 0 : 10;
    r.origin = "n.yaml:1";
    return r;
  };
  auto rules = [](const ModelDiff& d) {
    return absl::StrCat("+", d.reorder_rules_added, " -", d.reorder_rules_removed, " ~",
                        d.reorder_rules_changed, d.alert_options_changed ? " options" : "");
  };
  Model next = Base().Build();
  next.reorder = {rule("A*", 5, 0), rule("B*", std::nullopt, 5)};
  next.alerts.hysteresis_percent = 30;
  absl::StatusOr<ModelDiff> preview = engine_->PreviewModel(next);
  ASSERT_TRUE(preview.ok()) << preview.status();
  EXPECT_EQ(rules(*preview), "+2 -0 ~0 options");
  EXPECT_EQ(rules(Reload(next).diff), "+2 -0 ~0 options");

  Model after = next;
  after.reorder = {rule("C*", 3, 0), rule("A*", 6, 0)};  // A changed, B removed, C added
  preview = engine_->PreviewModel(after);
  ASSERT_TRUE(preview.ok()) << preview.status();
  EXPECT_EQ(rules(*preview), "+1 -1 ~1");
  EXPECT_EQ(rules(Reload(after).diff), "+1 -1 ~1");
  preview = engine_->PreviewModel(after);
  ASSERT_TRUE(preview.ok());
  EXPECT_EQ(rules(*preview), "+0 -0 ~0");
}

TEST_F(ReconfigureTest, TopSkusAreTheLargestChangesTiesBySku) {
  SetStock("wh", "K3", 8);
  SetStock("wh", "K1", 8);
  SetStock("wh", "K2", 4);
  SetStock("wh", "K0", 12);
  listener_.Take();
  // web loses wh entirely (sources s1 only): each SKU drops by its stock at wh.
  Model next = ModelBuilder()
                   .Location("wh")
                   .Location("s1", LocationType::kStore)
                   .Location("s2", LocationType::kStore)
                   .Location("dc")
                   .Channel("web", ChannelType::kWebshop, {"s1"})
                   .Channel("pos1", ChannelType::kStore, {"s1"})
                   .Channel("pos2", ChannelType::kStore, {"s2"})
                   .Channel("amazon", ChannelType::kMarketplace, {"wh"})
                   .Protect("web", "s1", 2)
                   .Safety("amazon", 2)
                   .Share("amazon", 50)
                   .Build();
  absl::StatusOr<ModelDiff> preview = engine_->PreviewModel(next, 3);
  ASSERT_TRUE(preview.ok());
  EXPECT_EQ(Channels(*preview),
            "web: 4 skus, 32 units, net -32, zeroed 4 [K0 12->0, K1 8->0, K3 8->0]");
  // A Sell at wh on web is refused once wh is no longer its source.
  Reload(next);
  EXPECT_REJECTED(kPrecondition, t::Sell("web", "wh", "K0", 1));
}

// ---------------------------------------------------------------- with a journal

// Queues records; the test completes them in order.
class QueueJournal : public Journal {
 public:
  void Append(std::shared_ptr<const MutationRecord> record,
              std::function<void(absl::Status)> done) override {
    absl::MutexLock lock(&mu_);
    queue_.push_back({std::move(record), std::move(done)});
  }
  std::shared_ptr<const MutationRecord> Next() {
    absl::MutexLock lock(&mu_);
    return queue_.empty() ? nullptr : queue_.front().first;
  }
  void CompleteNext() {
    std::function<void(absl::Status)> done;
    {
      absl::MutexLock lock(&mu_);
      ASSERT_FALSE(queue_.empty());
      done = std::move(queue_.front().second);
      queue_.pop_front();
    }
    done(absl::OkStatus());
  }

 private:
  absl::Mutex mu_;
  std::deque<std::pair<std::shared_ptr<const MutationRecord>, std::function<void(absl::Status)>>>
      queue_ ABSL_GUARDED_BY(mu_);
};

TEST(ReconfigureJournalTest, TheAnnouncementFollowsTheMutationsAppendedBeforeIt) {
  ManualClock clock;
  QueueJournal journal;
  RecordingListener listener;
  EngineOptions options;
  options.clock = &clock;
  options.journal = &journal;
  auto created = Engine::Create(TestModel(), options);
  ASSERT_TRUE(created.ok());
  std::unique_ptr<Engine> engine = std::move(*created);
  engine->AddListener(&listener);
  engine->Execute(Cmd(t::Count("wh", "A", 10)), [](const absl::StatusOr<Outcome>&) {});
  journal.CompleteNext();
  EXPECT_EQ(StrChanges(listener.Take()), StrChanges({{"amazon", "A", 0, 4, 10, clock.NowMs()},
                                                     {"web", "A", 0, 10, 10, clock.NowMs()}}));

  // A reserve is applied but not durable yet when the policy changes.
  bool reserved = false;
  engine->Execute(Cmd(t::Reserve("amazon", {L("A", 2)})),
                  [&reserved](const absl::StatusOr<Outcome>& r) { reserved = r.ok(); });
  Model next = TestModel();
  next.channels[3].policy.share_percent = 100;  // amazon
  absl::StatusOr<ReconfigureResult> r = engine->Reconfigure(next);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(StrChanges(listener.Take()), "") << "announced only once durable";

  // The journal has the reserve first, then the reconfigure (no rows, its changes).
  journal.CompleteNext();
  EXPECT_TRUE(reserved);
  EXPECT_EQ(StrChanges(listener.Take()), StrChanges({{"amazon", "A", 4, 3, 8, clock.NowMs()},
                                                     {"web", "A", 10, 8, 8, clock.NowMs()}}));
  std::shared_ptr<const MutationRecord> record = journal.Next();
  ASSERT_NE(record, nullptr);
  EXPECT_EQ(record->sequence, r->sequence);
  EXPECT_TRUE(record->rows().empty());
  EXPECT_TRUE(record->holds.empty());
  EXPECT_EQ(record->audit->operation, "reconfigure");
  EXPECT_EQ(record->audit->actor, "config");
  journal.CompleteNext();
  // (8 - 2) * 100% = 6.
  EXPECT_EQ(StrChanges(listener.Take()), StrChanges({{"amazon", "A", 3, 6, 8, clock.NowMs()}}));
  EXPECT_TRUE(engine->CheckInvariants().ok());
}

}  // namespace
}  // namespace stockd::engine
