// Stock alerts through the API and stockctl on the daemon's embedded default
// (docs/alerts.md): ListAlerts lists the recent alerts newest first and, with `active`,
// the keys raised now by days of cover; both survive a restart (the state is in Redis)
// and nothing is raised twice; filters and bad requests get precise statuses; `stockctl
// alerts` prints the table and JSON lines.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "daemon/config/config.h"
#include "daemon/server/daemon.h"
#include "stockd/v1/stockd.grpc.pb.h"
#include "tests/support/stockctl_runner.h"

namespace stockd {
namespace {

using grpc::StatusCode;

class AlertsRpcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/stockd-alerts-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    ASSERT_NO_FATAL_FAILURE(Start());
  }
  void TearDown() override {
    daemon_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Start() {
    const std::string yaml = absl::StrCat(R"yaml(
server: {listen: "127.0.0.1:0", drain_timeout: 2s}
data_dir: )yaml",
                                          dir_, R"yaml(/data
locations:
  - {id: wh, type: warehouse}
  - {id: store, type: store}
channels:
  - {id: webshop, type: webshop, sources: [wh]}
  - {id: pos, type: store, sources: [store]}
alerts: {back_in_stock_at: 2}
reorder:
  - {skus: "MUG-*", point: 10}
kits:
  - {sku: BIKE, components: [{sku: FRAME, qty: 1}, {sku: PEDAL, qty: 2}]}
)yaml");
    absl::StatusOr<config::Config> config = config::ParseConfig(yaml, "t.yaml");
    ASSERT_TRUE(config.ok()) << config.status();
    absl::StatusOr<std::unique_ptr<server::Daemon>> d = server::Daemon::Start(*config);
    ASSERT_TRUE(d.ok()) << d.status();
    daemon_ = std::move(*d);
    addr_ = "127.0.0.1:" + std::to_string(daemon_->port());
    stub_ = v1::Stock::NewStub(grpc::CreateChannel(addr_, grpc::InsecureChannelCredentials()));
  }
  void Count(const std::string& location, const std::string& sku, int64_t n) {
    grpc::ClientContext ctx;
    v1::CountRequest req;
    req.set_location(location);
    req.set_sku(sku);
    req.set_on_hand(n);
    v1::StockRowResponse resp;
    grpc::Status st = stub_->Count(&ctx, req, &resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }
  void Sell(const std::string& channel, const std::string& location, const std::string& sku,
            int64_t qty) {
    grpc::ClientContext ctx;
    v1::SellRequest req;
    req.set_channel(channel);
    req.set_location(location);
    req.set_sku(sku);
    req.set_qty(qty);
    v1::SellResponse resp;
    grpc::Status st = stub_->Sell(&ctx, req, &resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }
  grpc::Status List(const v1::ListAlertsRequest& req, v1::ListAlertsResponse* resp) {
    grpc::ClientContext ctx;
    return stub_->ListAlerts(&ctx, req, resp);
  }
  v1::ListAlertsResponse Recent() {
    v1::ListAlertsResponse resp;
    grpc::Status st = List(v1::ListAlertsRequest(), &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp;
  }
  v1::ListAlertsResponse Active() {
    v1::ListAlertsRequest req;
    req.set_active(true);
    v1::ListAlertsResponse resp;
    grpc::Status st = List(req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp;
  }
  std::string Stockctl(const std::string& args) {
    return stockd::testing::RunStockctl(addr_, args, &exit_);
  }

  std::string dir_, addr_;
  std::unique_ptr<server::Daemon> daemon_;
  std::unique_ptr<v1::Stock::Stub> stub_;
  int exit_ = -1;
};

TEST_F(AlertsRpcTest, RecentAndActiveAlertsSurviveARestartAndNothingIsRaisedTwice) {
  Count("wh", "MUG-1", 20);
  Count("store", "MUG-2", 3);          // below its point at once
  Sell("webshop", "wh", "MUG-1", 12);  // 8 < 10
  Sell("pos", "store", "MUG-2", 3);    // pos sold out
  v1::ListAlertsResponse recent = Recent();
  ASSERT_EQ(recent.alerts_size(), 3);
  EXPECT_EQ(recent.alerts(0).kind(), v1::ALERT_SOLD_OUT);
  EXPECT_EQ(recent.alerts(0).channel(), "pos");
  EXPECT_EQ(recent.alerts(0).previous_published(), 3);
  EXPECT_EQ(recent.alerts(0).published(), 0);
  EXPECT_EQ(recent.alerts(1).kind(), v1::ALERT_REORDER);
  EXPECT_EQ(recent.alerts(1).sku(), "MUG-1");
  EXPECT_EQ(recent.alerts(1).location(), "wh");
  EXPECT_EQ(recent.alerts(1).free(), 8);
  EXPECT_EQ(recent.alerts(1).point(), 10);
  EXPECT_GT(recent.alerts(1).velocity(), 0) << "12 sold";
  EXPECT_GT(recent.alerts(1).time_ms(), 0);
  EXPECT_GT(recent.alerts(0).sequence(), recent.alerts(1).sequence());
  EXPECT_EQ(recent.alerts(2).sku(), "MUG-2");
  EXPECT_EQ(recent.alerts(2).days_of_cover(), -1) << "MUG-2 had not sold when it alerted";

  // Active: MUG-2's store row (free 0: 0 days) and pos sold out first, then MUG-1.
  v1::ListAlertsResponse active = Active();
  ASSERT_EQ(active.alerts_size(), 3);
  EXPECT_EQ(active.alerts(2).sku(), "MUG-1");
  EXPECT_EQ(active.alerts(2).time_ms(), 0);
  EXPECT_GT(active.alerts(2).days_of_cover(), 0);

  daemon_.reset();
  ASSERT_NO_FATAL_FAILURE(Start());
  EXPECT_EQ(Recent().alerts_size(), 3) << "the recent alerts came back";
  EXPECT_EQ(Active().alerts_size(), 3) << "the raised keys came back";
  Sell("webshop", "wh", "MUG-1", 1);  // still below: nothing new
  Count("store", "MUG-2", 1);         // pos 1: not back (back_in_stock_at 2)
  EXPECT_EQ(Recent().alerts_size(), 3);
  Count("store", "MUG-2", 2);
  recent = Recent();
  ASSERT_EQ(recent.alerts_size(), 4);
  EXPECT_EQ(recent.alerts(0).kind(), v1::ALERT_BACK_IN_STOCK);
  EXPECT_EQ(recent.alerts(0).published(), 2);

  // Filters.
  v1::ListAlertsRequest req;
  req.add_kinds(v1::ALERT_REORDER);
  v1::ListAlertsResponse resp;
  ASSERT_TRUE(List(req, &resp).ok());
  EXPECT_EQ(resp.alerts_size(), 2);
  req.Clear();
  req.set_channel("pos");
  ASSERT_TRUE(List(req, &resp).ok());
  EXPECT_EQ(resp.alerts_size(), 2) << "sold out and back in stock at pos";
  req.Clear();
  req.set_limit(1);
  resp.Clear();
  ASSERT_TRUE(List(req, &resp).ok());
  EXPECT_EQ(resp.alerts_size(), 1);
  EXPECT_TRUE(resp.truncated());

  // stockctl: a table, and one JSON object per line.
  std::string out = Stockctl("alerts --active");
  EXPECT_EQ(exit_, 0) << out;
  EXPECT_TRUE(absl::StrContains(out, "reorder")) << out;
  EXPECT_TRUE(absl::StrContains(out, "MUG-1")) << out;
  out = Stockctl("alerts --kind sold_out --json");
  EXPECT_EQ(exit_, 0) << out;
  EXPECT_TRUE(absl::StrContains(out, "\"kind\": \"ALERT_SOLD_OUT\"") ||
              absl::StrContains(out, "\"kind\":\"ALERT_SOLD_OUT\""))
      << out;
  out = Stockctl("alerts --kind nonsense");
  EXPECT_EQ(WEXITSTATUS(exit_), 2) << out;
  EXPECT_TRUE(absl::StrContains(out, "--kind: 'nonsense'")) << out;
}

// Issue 16 parts 3 and 5 on Watch: every alert is an event in sequence order after its
// mutation's published changes, never coalesced; a watcher of a channel gets that
// channel's alerts, one of every channel the location alerts too. An override sale that
// takes a click & collect hold's units raises a breach and an uncovered alert naming the
// hold; ListAlerts, stockctl alerts and stockctl check name it too.
TEST_F(AlertsRpcTest, WatchCarriesAlertsInOrderAndTheUncoveredAlertNamesTheHoldAtRisk) {
  auto open = [this](grpc::ClientContext* ctx, const std::string& channel) {
    v1::WatchRequest req;
    if (!channel.empty()) req.add_channels(channel);
    req.set_snapshot(true);  // the snapshot-done marker says the stream is registered
    std::unique_ptr<grpc::ClientReader<v1::WatchEvent>> reader = stub_->Watch(ctx, req);
    v1::WatchEvent e;
    while (reader->Read(&e) && !e.snapshot_done()) {
    }
    return reader;
  };
  grpc::ClientContext all_ctx, pos_ctx;
  auto all = open(&all_ctx, "");
  auto pos = open(&pos_ctx, "pos");

  Count("store", "MUG-3", 2);  // pos 0 -> 2; below MUG-*'s point 10: reorder
  std::string hold;
  {
    grpc::ClientContext ctx;
    v1::ReserveRequest req;
    req.set_channel("pos");
    v1::HoldLine* line = req.add_lines();
    line->set_sku("MUG-3");
    line->set_location("store");
    line->set_qty(1);
    v1::ReserveResponse resp;
    grpc::Status st = stub_->Reserve(&ctx, req, &resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
    hold = resp.hold().hold_id();
  }
  {
    grpc::ClientContext ctx;
    v1::SellRequest req;
    req.set_channel("pos");
    req.set_location("store");
    req.set_sku("MUG-3");
    req.set_qty(2);
    req.set_override(true);  // avail 1: a breach of 1; free 2 - 1 - 2 = -1: the hold uncovered
    v1::SellResponse resp;
    grpc::Status st = stub_->Sell(&ctx, req, &resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }
  Count("wh", "MUG-END", 50);  // a last change every watcher sees (webshop; not pos)
  Count("store", "MUG-END", 50);

  auto read = [](grpc::ClientReader<v1::WatchEvent>* reader) {
    std::vector<std::string> out;
    v1::WatchEvent e;
    uint64_t last = 0;
    while (reader->Read(&e)) {
      EXPECT_GT(e.sequence(), last);
      last = e.sequence();
      if (e.has_alert()) {
        const v1::Alert& a = e.alert();
        std::string what = absl::StrCat(v1::AlertKind_Name(a.kind()), " ", e.sku(), " ",
                                        a.channel().empty() ? a.location() : a.channel());
        if (a.kind() == v1::ALERT_UNCOVERED) {
          absl::StrAppend(&what, " free ", a.free(), " holds ", a.holds_at_risk(), ":",
                          absl::StrJoin(a.hold_ids(), ","));
        }
        if (a.kind() == v1::ALERT_BREACH) absl::StrAppend(&what, " units ", a.units());
        EXPECT_EQ(e.published(), 0) << what;
        out.push_back(what);
      } else {
        out.push_back(absl::StrCat(e.channel(), " ", e.sku(), " ", e.previous_published(), "->",
                                   e.published()));
      }
      if (e.sku() == "MUG-END" && !e.has_alert() && e.channel() == "pos") break;
    }
    return out;
  };
  EXPECT_EQ(read(all.get()),
            (std::vector<std::string>{
                "pos MUG-3 0->2", "ALERT_REORDER MUG-3 store", "pos MUG-3 2->1", "pos MUG-3 1->0",
                "ALERT_SOLD_OUT MUG-3 pos", "ALERT_UNCOVERED MUG-3 store free -1 holds 1:" + hold,
                "ALERT_BREACH MUG-3 pos units 1", "webshop MUG-END 0->50", "pos MUG-END 0->50"}));
  EXPECT_EQ(read(pos.get()),
            (std::vector<std::string>{"pos MUG-3 0->2", "pos MUG-3 2->1", "pos MUG-3 1->0",
                                      "ALERT_SOLD_OUT MUG-3 pos", "ALERT_BREACH MUG-3 pos units 1",
                                      "pos MUG-END 0->50"}));
  all_ctx.TryCancel();
  pos_ctx.TryCancel();

  v1::ListAlertsRequest req;
  req.add_kinds(v1::ALERT_UNCOVERED);
  req.set_active(true);
  v1::ListAlertsResponse resp;
  ASSERT_TRUE(List(req, &resp).ok());
  ASSERT_EQ(resp.alerts_size(), 1);
  EXPECT_EQ(resp.alerts(0).holds_at_risk(), 1);
  ASSERT_EQ(resp.alerts(0).hold_ids_size(), 1);
  EXPECT_EQ(resp.alerts(0).hold_ids(0), hold);
  std::string out = Stockctl("alerts --kind uncovered --kind breach");
  EXPECT_EQ(exit_, 0) << out;
  EXPECT_TRUE(absl::StrContains(out, "at risk: " + hold)) << out;
  EXPECT_TRUE(absl::StrContains(out, "1 beyond avail")) << out;
  out = Stockctl("check");
  EXPECT_EQ(exit_, 0) << out;
  EXPECT_TRUE(absl::StrContains(out, "MUG-3@store: free -1, holds at risk: " + hold)) << out;
}

// A kit sells out through its component (docs/kits.md, "Alerts"): a watcher of the kit
// sees its quantity drop and then the alert; the raised key is listed, survives a
// restart, and the kit comes back in stock once.
TEST_F(AlertsRpcTest, AKitSellsOutOnWatchAndComesBackInStockAfterARestart) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  v1::WatchRequest req;
  req.add_skus("BIKE");
  req.set_snapshot(true);
  std::unique_ptr<grpc::ClientReader<v1::WatchEvent>> reader = stub_->Watch(&ctx, req);
  v1::WatchEvent e;
  while (reader->Read(&e) && !e.snapshot_done()) {
  }
  std::vector<std::string> seen;
  auto read = [&](size_t n) {
    while (seen.size() < n && reader->Read(&e)) {
    if (e.has_alert()) {
      seen.push_back(absl::StrCat(v1::AlertKind_Name(e.alert().kind()), " ", e.sku(), " ",
                                  e.alert().channel(), " ", e.alert().previous_published(), "->",
                                  e.alert().published()));
    } else if (e.published() != e.previous_published()) {
      seen.push_back(absl::StrCat(e.channel(), " ", e.sku(), " ", e.previous_published(), "->",
                                  e.published()));
    }
    }
  };
  Count("wh", "FRAME", 1);
  Count("wh", "PEDAL", 2);  // 1 bike on the webshop
  read(1);  // announced (a kit's are a moment after): the sale below is a drop from 1
  Sell("webshop", "wh", "PEDAL", 2);
  read(3);
  EXPECT_EQ(seen, (std::vector<std::string>{"webshop BIKE 0->1", "webshop BIKE 1->0",
                                            "ALERT_SOLD_OUT BIKE webshop 1->0"}));
  ctx.TryCancel();

  v1::ListAlertsRequest active;
  active.set_active(true);
  active.set_sku("BIKE");
  v1::ListAlertsResponse resp;
  ASSERT_TRUE(List(active, &resp).ok());
  ASSERT_EQ(resp.alerts_size(), 1);
  EXPECT_EQ(resp.alerts(0).kind(), v1::ALERT_SOLD_OUT);
  EXPECT_EQ(resp.alerts(0).channel(), "webshop");
  std::string out = Stockctl("alerts --active --sku BIKE");
  EXPECT_EQ(exit_, 0) << out;
  EXPECT_TRUE(absl::StrContains(out, "BIKE")) << out;

  daemon_.reset();
  ASSERT_NO_FATAL_FAILURE(Start());
  resp.Clear();
  ASSERT_TRUE(List(active, &resp).ok());
  EXPECT_EQ(resp.alerts_size(), 1) << "the kit's raised key came back";
  Count("wh", "PEDAL", 4);  // 1 bike: below back_in_stock_at 2
  Count("wh", "FRAME", 2);  // 2 bikes
  v1::ListAlertsRequest recent;
  recent.set_sku("BIKE");
  for (int i = 0; i < 500; ++i) {  // the announcer raises it a moment after the count
    resp.Clear();
    ASSERT_TRUE(List(recent, &resp).ok());
    if (resp.alerts_size() >= 2) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(resp.alerts_size(), 2);
  EXPECT_EQ(resp.alerts(0).kind(), v1::ALERT_BACK_IN_STOCK);
  EXPECT_EQ(resp.alerts(0).published(), 2);
  EXPECT_EQ(resp.alerts(1).kind(), v1::ALERT_SOLD_OUT);
  resp.Clear();
  ASSERT_TRUE(List(active, &resp).ok());
  EXPECT_EQ(resp.alerts_size(), 0);
}

TEST_F(AlertsRpcTest, BadRequestsGetPreciseStatuses) {
  v1::ListAlertsResponse resp;
  v1::ListAlertsRequest req;
  req.set_limit(1001);
  EXPECT_EQ(List(req, &resp).error_code(), StatusCode::INVALID_ARGUMENT);
  req.set_limit(-1);
  EXPECT_EQ(List(req, &resp).error_code(), StatusCode::INVALID_ARGUMENT);
  req.Clear();
  req.add_kinds(static_cast<v1::AlertKind>(99));
  EXPECT_EQ(List(req, &resp).error_code(), StatusCode::INVALID_ARGUMENT);
  req.Clear();
  req.add_kinds(v1::ALERT_KIND_UNSPECIFIED);
  EXPECT_EQ(List(req, &resp).error_code(), StatusCode::INVALID_ARGUMENT);
  req.Clear();
  req.set_location("nowhere");
  EXPECT_EQ(List(req, &resp).error_code(), StatusCode::NOT_FOUND);
  req.Clear();
  req.set_channel("nowhere");
  EXPECT_EQ(List(req, &resp).error_code(), StatusCode::NOT_FOUND);
  req.Clear();
  req.set_sku("bad sku");
  EXPECT_EQ(List(req, &resp).error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(resp.alerts_size(), 0);
}

}  // namespace
}  // namespace stockd
