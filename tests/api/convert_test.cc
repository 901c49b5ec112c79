// The mappings the server used to write field by field and that now live in
// daemon/api/convert.h: push status, resync drift, Watch events, Batch errors and the
// server's part of the config summary.
#include "daemon/api/convert.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

namespace stockd {
namespace {

TEST(ApiConvertTest, PushStatusHasEveryCounter) {
  engine::PusherStats s;
  s.channel = "amazon";
  s.adapter = "webhook";
  s.dirty = 1;
  s.acked = 2;
  s.pushes = 3;
  s.items_ok = 4;
  s.items_retry = 5;
  s.items_permanent = 6;
  s.priority_items = 7;
  s.ack_save_failures = 8;
  s.latency_p50_ms = 9;
  s.latency_p99_ms = 10;
  s.latency_max_ms = 11;
  s.latency_samples = 12;  // not part of the message
  s.paused_until_ms = 13;
  s.last_error = "429 Too Many Requests";
  v1::PushStatus p;
  api::ToProto(s, &p);
  EXPECT_EQ(p.channel(), "amazon");
  EXPECT_EQ(p.adapter(), "webhook");
  EXPECT_EQ(p.dirty(), 1);
  EXPECT_EQ(p.acknowledged(), 2);
  EXPECT_EQ(p.pushes(), 3);
  EXPECT_EQ(p.items_ok(), 4);
  EXPECT_EQ(p.items_retry(), 5);
  EXPECT_EQ(p.items_permanent(), 6);
  EXPECT_EQ(p.priority_items(), 7);
  EXPECT_EQ(p.ack_save_failures(), 8);
  EXPECT_EQ(p.latency_p50_ms(), 9);
  EXPECT_EQ(p.latency_p99_ms(), 10);
  EXPECT_EQ(p.latency_max_ms(), 11);
  EXPECT_EQ(p.paused_until_ms(), 13);
  EXPECT_EQ(p.last_error(), "429 Too Many Requests");
}

TEST(ApiConvertTest, ResyncKeepsTheLargestDriftsInOrder) {
  engine::DriftReport r;
  r.checked = 100;
  r.drifted = 2;
  r.fetched = true;
  r.largest = {{"SKU-2", "B00X", 9, 1}, {"SKU-1", "B00Y", -1, 4}};
  v1::ResyncResponse resp;
  api::ToProto("amazon", r, &resp);
  EXPECT_EQ(resp.channel(), "amazon");
  EXPECT_EQ(resp.checked(), 100);
  EXPECT_EQ(resp.drifted(), 2);
  EXPECT_TRUE(resp.fetched());
  ASSERT_EQ(resp.largest_size(), 2);
  EXPECT_EQ(resp.largest(0).sku(), "SKU-2");
  EXPECT_EQ(resp.largest(0).listing_id(), "B00X");
  EXPECT_EQ(resp.largest(0).channel_quantity(), 9);
  EXPECT_EQ(resp.largest(0).published(), 1);
  EXPECT_EQ(resp.largest(1).channel_quantity(), -1);
}

TEST(ApiConvertTest, WatchEventsAndTheSnapshotMarker) {
  engine::PublishedChange c{"webshop", "SKU-1", 5, 3, 4, 1795510316168};
  v1::WatchEvent e = api::ToWatchEvent(42, c, /*snapshot=*/true);
  EXPECT_EQ(e.sequence(), 42u);
  EXPECT_EQ(e.channel(), "webshop");
  EXPECT_EQ(e.sku(), "SKU-1");
  EXPECT_EQ(e.previous_published(), 5);
  EXPECT_EQ(e.published(), 3);
  EXPECT_EQ(e.reservable(), 4);
  EXPECT_EQ(e.time_ms(), 1795510316168);
  EXPECT_TRUE(e.snapshot());
  EXPECT_FALSE(e.snapshot_done());

  v1::WatchEvent done = api::SnapshotDoneEvent(43);
  v1::WatchEvent expected;
  expected.set_sequence(43);
  expected.set_snapshot_done(true);
  EXPECT_EQ(done.SerializeAsString(), expected.SerializeAsString());  // nothing else set
}

TEST(ApiConvertTest, BatchErrorIsTheStatusCodeAndMessage) {
  v1::BatchResult r;
  api::ToBatchError(absl::FailedPreconditionError("hold h1 is not HELD"), &r);
  EXPECT_EQ(r.code(), static_cast<int>(grpc::StatusCode::FAILED_PRECONDITION));
  EXPECT_EQ(r.message(), "hold h1 is not HELD");
}

TEST(ApiConvertTest, ConfigSummaryCarriesTheServerPart) {
  engine::Model model;
  v1::ConfigSummary s;
  api::ToProto(model, engine::EngineStats{}, "/etc/stockd/stockd.yaml", "127.0.0.1:50051", "0.1.0",
               &s);
  EXPECT_EQ(s.config_path(), "/etc/stockd/stockd.yaml");
  EXPECT_EQ(s.listen(), "127.0.0.1:50051");
  EXPECT_EQ(s.version(), "0.1.0");
}

// Each Watch problem names the line the revision changed, with that line's units; a
// backorder covered again is a resolved BACKORDER of its line.
TEST(ApiConvertTest, WatchProblemsNameTheChangedLines) {
  engine::OrderEvent e;
  e.order.channel = "amazon";
  e.order.order_id = "A-1";
  e.order.revision = 3;
  e.order.updated_ms = 1000;
  for (const char* sku : {"SKU-1", "SKU-2", "SKU-3"}) {
    engine::OrderLineView line;
    line.sku = sku;
    line.location = "wh";
    e.order.lines.push_back(line);
  }
  e.order.lines[0].breach = 5;  // older history of line 0: not this revision's
  e.lines = {{1, /*new_breach=*/2, /*new_unstocked=*/0, /*before=*/0, /*after=*/3},
             {2, 0, /*new_unstocked=*/1, /*before=*/4, /*after=*/0}};
  e.time_ms = 2000;
  std::vector<std::string> got;
  for (const v1::OrderProblem& p : api::ToWatchProblems(e)) {
    got.push_back(absl::StrCat(v1::OrderProblemKind_Name(p.kind()), " ", p.sku(), " ", p.units(),
                               p.resolved() ? " resolved" : "", " @", p.updated_ms()));
  }
  EXPECT_EQ(got, (std::vector<std::string>{"BREACH SKU-2 2 @2000", "BACKORDER SKU-2 3 @2000",
                                           "BACKORDER SKU-3 0 resolved @2000",
                                           "UNSTOCKED SKU-3 1 @2000"}));
}

// A kit's Explain: per source the kits there and the component that limits them, the
// components, the component and location to restock first, and the formula over them.
TEST(ApiConvertTest, AKitsExplanationNamesItsLimitingComponents) {
  engine::Explanation e;
  e.channel = "web";
  e.sku = "BIKE";
  e.kit_components = {{"FRAME", 1}, {"PEDAL", 2}};
  engine::ExplainSourceTerm wh;
  wh.location = "wh";
  wh.avail = 1;
  wh.limiting_sku = "PEDAL";
  wh.limiting_avail = 3;
  wh.limiting_qty = 2;
  engine::ExplainSourceTerm s1 = wh;
  s1.location = "s1";
  s1.avail = 2;
  s1.limiting_sku = "FRAME";
  s1.limiting_avail = 2;
  s1.limiting_qty = 1;
  e.sources = {wh, s1};
  e.reservable = 3;
  e.after_safety = 3;
  e.after_share = 3;
  e.published = 3;
  e.limiting_sku = "PEDAL";
  e.limiting_location = "wh";
  v1::ExplainResponse out;
  api::ToProto(e, &out);
  ASSERT_EQ(out.kit_components_size(), 2);
  EXPECT_EQ(out.kit_components(1).sku(), "PEDAL");
  EXPECT_EQ(out.kit_components(1).qty(), 2);
  ASSERT_EQ(out.sources_size(), 2);
  EXPECT_EQ(out.sources(0).limiting_sku(), "PEDAL");
  EXPECT_EQ(out.sources(0).limiting_avail(), 3);
  EXPECT_EQ(out.sources(0).limiting_qty(), 2);
  EXPECT_EQ(out.sources(1).avail(), 2);
  EXPECT_EQ(out.limiting_sku(), "PEDAL");
  EXPECT_EQ(out.limiting_location(), "wh");
  EXPECT_EQ(
      out.formula().rfind("reservable = wh: floor(PEDAL 3 / 2) + s1: floor(FRAME 2 / 1) = 3; ", 0),
      0u)
      << out.formula();
}

}  // namespace
}  // namespace stockd
