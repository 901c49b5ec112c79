// The three-way reconciliation's rules (daemon/reconcile/classify.h): a scripted mix of
// SKUs classified exactly, and the un-ingested units counted from order revisions against
// what the engine applied.
#include "daemon/reconcile/classify.h"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace stockd::reconcile {
namespace {

using Status = plugins::Order::Status;

SkuFacts Facts(int64_t published, int64_t acked, int64_t channel, int64_t uningested = 0,
               bool dirty = false) {
  return SkuFacts{published, acked, channel, uningested, dirty};
}

TEST(ClassifyTest, AScriptedMixIsClassifiedExactly) {
  struct Case {
    const char* what;
    SkuFacts facts;
    SkuClass want;
  };
  const std::vector<Case> cases = {
      {"in sync", Facts(5, 5, 5), SkuClass::kOk},
      {"in sync, never acknowledged", Facts(5, -1, 5), SkuClass::kOk},
      {"in sync at 0", Facts(0, 0, 0), SkuClass::kOk},
      {"push queued", Facts(4, 5, 5, 0, /*dirty=*/true), SkuClass::kInFlight},
      {"not acknowledged yet", Facts(4, 5, 5), SkuClass::kInFlight},
      {"never acknowledged, channel differs", Facts(4, -1, 7), SkuClass::kInFlight},
      {"sale not ingested: F = A - U", Facts(10, 10, 8, 2), SkuClass::kInFlight},
      {"sale not ingested: F = P - U", Facts(10, 10, 7, 3), SkuClass::kInFlight},
      {"cancellation not ingested: F = A - U, U < 0", Facts(6, 6, 8, -2), SkuClass::kInFlight},
      {"orders do not explain it", Facts(10, 10, 5, 2), SkuClass::kDrift},
      {"edited on the channel", Facts(10, 10, 25), SkuClass::kDrift},
      {"edited down to 0", Facts(3, 3, 0), SkuClass::kDrift},
      {"unknown listing", Facts(5, 5, -1), SkuClass::kUnknownListing},
      {"unknown listing, push queued", Facts(5, -1, -1, 0, true), SkuClass::kUnknownListing},
  };
  std::map<SkuClass, int> counts;
  for (const Case& c : cases) {
    EXPECT_EQ(Classify(c.facts), c.want) << c.what;
    ++counts[Classify(c.facts)];
  }
  EXPECT_EQ(counts[SkuClass::kOk], 3);
  EXPECT_EQ(counts[SkuClass::kInFlight], 6);
  EXPECT_EQ(counts[SkuClass::kDrift], 3);
  EXPECT_EQ(counts[SkuClass::kUnknownListing], 2);
}

TEST(ClassifyTest, ClassNames) {
  EXPECT_STREQ(SkuClassName(SkuClass::kOk), "ok");
  EXPECT_STREQ(SkuClassName(SkuClass::kInFlight), "in_flight");
  EXPECT_STREQ(SkuClassName(SkuClass::kDrift), "drift");
  EXPECT_STREQ(SkuClassName(SkuClass::kUnknownListing), "unknown_listing");
}

plugins::Order MakeOrder(const std::string& id, int64_t revision, Status status,
                         std::vector<plugins::OrderLine> lines) {
  plugins::Order o;
  o.order_id = id;
  o.revision = revision;
  o.status = status;
  o.lines = std::move(lines);
  return o;
}

plugins::OrderLine Line(const std::string& listing, int64_t qty, int64_t shipped = 0,
                        int64_t cancelled = 0) {
  return plugins::OrderLine{listing, qty, shipped, cancelled, ""};
}

std::optional<std::string> SkuOf(const std::string& listing) {
  static const std::map<std::string, std::string> kMap = {{"L-A", "A"}, {"L-B", "B"}};
  auto it = kMap.find(listing);
  if (it == kMap.end()) return std::nullopt;
  return it->second;
}

TEST(UningestedTest, CountsWhatNewerRevisionsTakeBeyondWhatTheEngineApplied) {
  const std::vector<plugins::Order> polled = {
      // Never applied: 3 of A, and 2 of B of which 1 cancelled.
      MakeOrder("new", 1, Status::kPending, {Line("L-A", 3), Line("L-B", 2, 0, 1)}),
      // Applied at revision 2 (the same): nothing un-ingested.
      MakeOrder("in", 2, Status::kAccepted, {Line("L-A", 4)}),
      // Applied at revision 1 with 5 of B taken; revision 2 cancelled 2 of them: -2.
      MakeOrder("part", 2, Status::kAccepted, {Line("L-B", 5, 0, 2)}),
      // An older revision of "new" polled too (overlap): the newest counts, once.
      MakeOrder("new", 0, Status::kPending, {Line("L-A", 9)}),
      // Cancelled whole before stockd saw it: takes nothing.
      MakeOrder("gone", 1, Status::kCancelled, {Line("L-A", 2, 0, 2)}),
      // A listing stockd does not push: not counted.
      MakeOrder("other", 1, Status::kPending, {Line("L-X", 7)}),
      // Shipped 1 then cancelled the rest, applied while pending with 2 open: -1.
      MakeOrder("shipped", 3, Status::kCancelled, {Line("L-A", 2, 1, 1)}),
  };
  auto applied = [](const std::string& id) -> std::optional<AppliedOrder> {
    if (id == "in") return AppliedOrder{2, {{"A", 4}}};
    if (id == "part") return AppliedOrder{1, {{"B", 5}}};
    if (id == "shipped") return AppliedOrder{1, {{"A", 2}}};
    return std::nullopt;
  };
  const std::map<std::string, int64_t> u = Uningested(polled, SkuOf, applied);
  // A: 3 (new) + 0 (gone) - 1 (shipped) = 2; B: 1 (new) - 2 (part) = -1.
  EXPECT_EQ(u, (std::map<std::string, int64_t>{{"A", 2}, {"B", -1}}));
}

TEST(UningestedTest, NothingWhenEveryRevisionIsApplied) {
  const std::vector<plugins::Order> polled = {
      MakeOrder("o", 5, Status::kShipped, {Line("L-A", 2, 2)}),
  };
  auto applied = [](const std::string&) -> std::optional<AppliedOrder> {
    return AppliedOrder{7, {{"A", 2}}};
  };
  EXPECT_TRUE(Uningested(polled, SkuOf, applied).empty());
}

TEST(UningestedTest, FromViewAddsOpenAndFulfilledPerSku) {
  engine::OrderView view;
  view.revision = 4;
  view.lines.push_back(engine::OrderLineView{"A", "wh", 5, 2, 1, 2, 2});
  view.lines.push_back(engine::OrderLineView{"A", "wh", 1, 0, 0, 1, 0});
  view.lines.push_back(engine::OrderLineView{"B", "wh", 3, 0, 3, 0, 0});
  const AppliedOrder a = FromView(view);
  EXPECT_EQ(a.revision, 4);
  EXPECT_EQ(a.taken, (std::map<std::string, int64_t>{{"A", 5}, {"B", 0}}));
}

TEST(UningestedTest, FromViewCountsAKitLineInKitsAsTheChannelDoes) {
  // 3 bikes (FRAME x1 + PEDAL x2) ordered, 2 kits' worth of pedals taken and 3 frames;
  // and a frame of its own.
  engine::OrderView view;
  view.revision = 2;
  auto component = [](const std::string& sku, int64_t per_kit, int64_t open) {
    engine::OrderLineView l;
    l.sku = sku;
    l.location = "wh";
    l.qty = 3 * per_kit;
    l.open = open;
    l.kit = "BIKE";
    l.per_kit = per_kit;
    return l;
  };
  view.lines.push_back(component("FRAME", 1, 3));
  view.lines.push_back(component("PEDAL", 2, 4));
  engine::OrderLineView frame;
  frame.sku = "FRAME";
  frame.qty = 1;
  frame.open = 1;
  view.lines.push_back(frame);
  EXPECT_EQ(FromView(view).taken, (std::map<std::string, int64_t>{{"BIKE", 3}, {"FRAME", 1}}));
}

}  // namespace
}  // namespace stockd::reconcile
