// Live reload through the admin RPCs (docs/reload.md) on a real Daemon started from a
// config file: the dry run's exact figures and that it changes nothing; ReloadConfig
// applies what the dry run said; an invalid file (or a refused change) keeps the running
// config and says why; a policy change is pushed to the channel through its adapter;
// reloads under load fail no call.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "daemon/config/config.h"
#include "daemon/server/auth.h"
#include "daemon/server/config_reloader.h"
#include "daemon/server/daemon.h"
#include "httplib.h"
#include "stockd/v1/stockd.grpc.pb.h"
#include "tests/support/prom_text.h"
#include "tests/support/temp_dir.h"

namespace stockd {
namespace {

using grpc::StatusCode;
using namespace std::chrono_literals;
using testing::ParsePromText;
using testing::PromKey;
using testing::PromText;

// webshop pushes to a file (the file adapter); amazon and pos have no adapter.
constexpr char kConfig[] = R"yaml(
server: {listen: "127.0.0.1:0", drain_timeout: 5s, max_response_bytes: 65536}
holds: {max_lines: 100}
plugin_dir: $PLUGINS
metrics: {listen: "127.0.0.1:0"}
redis: {mode: memory}
locations:
  - {id: wh, type: warehouse}
  - {id: store, type: store}
channels:
  - id: webshop
    type: webshop
    sources: [wh, store]
    safety_stock: $WEB_SAFETY
    adapter: {plugin: file, config: {path: "$DIR/webshop.jsonl"}}
  - {id: amazon, type: marketplace, sources: [wh], share_percent: $AMAZON_SHARE}
  - {id: pos, type: store, sources: [store]}
)yaml";

class ReloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.path() + "/stockd.yaml";
    Write(Yaml(0, 100));
    absl::StatusOr<config::Config> config = config::LoadConfigFile(path_);
    ASSERT_TRUE(config.ok()) << config.status();
    absl::StatusOr<std::unique_ptr<server::Daemon>> daemon = server::Daemon::Start(*config);
    ASSERT_TRUE(daemon.ok()) << daemon.status();
    daemon_ = std::move(*daemon);
    stub_ = v1::Stock::NewStub(grpc::CreateChannel(absl::StrCat("127.0.0.1:", daemon_->port()),
                                                   grpc::InsecureChannelCredentials()));
  }
  void TearDown() override {
    if (daemon_) daemon_->Shutdown();
  }

  std::string Yaml(int web_safety, int amazon_share) const {
    return absl::StrReplaceAll(kConfig, {{"$PLUGINS", std::string(STOCKD_BINARY_DIR) + "/plugins"},
                                         {"$DIR", dir_.path()},
                                         {"$WEB_SAFETY", absl::StrCat(web_safety)},
                                         {"$AMAZON_SHARE", absl::StrCat(amazon_share)}});
  }
  void Write(const std::string& yaml) const { std::ofstream(path_, std::ios::trunc) << yaml; }

  static void Deadline(grpc::ClientContext* ctx) {
    ctx->set_deadline(std::chrono::system_clock::now() + 20s);
  }
  grpc::Status Count(const std::string& location, const std::string& sku, int64_t on_hand) {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    v1::CountRequest req;
    req.set_location(location);
    req.set_sku(sku);
    req.set_on_hand(on_hand);
    v1::StockRowResponse resp;
    return stub_->Count(&ctx, req, &resp);
  }
  int64_t Published(const std::string& sku, const std::string& channel) {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    v1::GetAvailabilityRequest req;
    req.add_skus(sku);
    req.add_channels(channel);
    v1::GetAvailabilityResponse resp;
    const grpc::Status st = stub_->GetAvailability(&ctx, req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return st.ok() && resp.items_size() == 1 ? resp.items(0).published() : -1;
  }
  grpc::Status Diff(const std::string& yaml, v1::ConfigDiff* out, int top_n = 0) {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    v1::DiffConfigRequest req;
    req.set_yaml(yaml);
    req.set_source_name("new.yaml");
    req.set_top_n(top_n);
    return stub_->DiffConfig(&ctx, req, out);
  }
  grpc::Status Reload(v1::ReloadConfigResponse* out, const std::string& actor = "") {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    if (!actor.empty()) ctx.AddMetadata("x-stockd-actor", actor);
    v1::ReloadConfigRequest req;
    return stub_->ReloadConfig(&ctx, req, out);
  }
  const v1::ChannelQuantityDiff* ChannelOf(const v1::ConfigDiff& diff, const std::string& id) {
    for (const v1::ChannelQuantityDiff& c : diff.channels()) {
      if (c.channel() == id) return &c;
    }
    ADD_FAILURE() << "no channel " << id << " in the diff";
    return nullptr;
  }
  // The webshop file's last pushed quantity per SKU.
  std::map<std::string, int64_t> PushedToWebshop() const {
    std::map<std::string, int64_t> last;
    std::ifstream in(dir_.path() + "/webshop.jsonl");
    for (std::string line; std::getline(in, line);) {
      const size_t sku_at = line.find("\"sku\":\"");
      const size_t qty_at = line.find("\"quantity\":");
      if (sku_at == std::string::npos || qty_at == std::string::npos) continue;
      const size_t sku_begin = sku_at + 7;
      const std::string sku = line.substr(sku_begin, line.find('"', sku_begin) - sku_begin);
      const size_t qty_begin = qty_at + 11;
      int64_t qty = 0;
      if (absl::SimpleAtoi(line.substr(qty_begin, line.find(',', qty_begin) - qty_begin), &qty)) {
        last[sku] = qty;
      }
    }
    return last;
  }
  bool WaitPushed(const std::map<std::string, int64_t>& want) const {
    for (int i = 0; i < 500; ++i) {  // 10 s
      if (PushedToWebshop() == want) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }
  PromText Scrape() const {
    httplib::Client client(absl::StrCat("http://127.0.0.1:", daemon_->metrics_port()));
    client.set_read_timeout(5, 0);
    httplib::Result res = client.Get("/metrics");
    EXPECT_TRUE(res && res->status == 200) << "no 200 from /metrics";
    return res ? ParsePromText(res->body) : PromText{};
  }

  testing::TempDir dir_{"stockd-reload"};
  std::string path_;
  std::unique_ptr<server::Daemon> daemon_;
  std::unique_ptr<v1::Stock::Stub> stub_;
};

TEST_F(ReloadTest, DiffConfigChangesNothingAndReloadConfigAppliesExactlyIt) {
  // S1..S4 with 10, 20, 30, 40 units at wh: amazon (100 %) shows them all.
  for (int i = 1; i <= 4; ++i) ASSERT_TRUE(Count("wh", absl::StrCat("S", i), 10 * i).ok());
  ASSERT_EQ(Published("S4", "amazon"), 40);

  // The dry run of "amazon 25 %, webshop keeps 15 back": floor(x * 25 / 100) and x - 15.
  const std::string next = Yaml(15, 25);
  v1::ConfigDiff diff;
  ASSERT_TRUE(Diff(next, &diff, 2).ok());
  EXPECT_EQ(diff.skus(), 4);
  EXPECT_EQ(diff.clients(), 0);
  EXPECT_EQ(
      std::vector<std::string>(diff.channels_changed().begin(), diff.channels_changed().end()),
      (std::vector<std::string>{"webshop", "amazon"}));
  EXPECT_TRUE(diff.restart_required().empty());
  const v1::ChannelQuantityDiff* amazon = ChannelOf(diff, "amazon");
  ASSERT_NE(amazon, nullptr);
  // 10->2, 20->5, 30->7, 40->10: 4 SKUs, 76 units down.
  EXPECT_EQ(amazon->skus_changed(), 4);
  EXPECT_EQ(amazon->units_changed(), 76);
  EXPECT_EQ(amazon->net_change(), -76);
  EXPECT_EQ(amazon->skus_zeroed(), 0);
  ASSERT_EQ(amazon->top_size(), 2);
  EXPECT_EQ(amazon->top(0).sku(), "S4");
  EXPECT_EQ(amazon->top(0).before(), 40);
  EXPECT_EQ(amazon->top(0).after(), 10);
  const v1::ChannelQuantityDiff* webshop = ChannelOf(diff, "webshop");
  ASSERT_NE(webshop, nullptr);
  // 10->0, 20->5, 30->15, 40->25: 55 units, S1 zeroed.
  EXPECT_EQ(webshop->skus_changed(), 4);
  EXPECT_EQ(webshop->units_changed(), 55);
  EXPECT_EQ(webshop->net_change(), -55);
  EXPECT_EQ(webshop->skus_zeroed(), 1);
  EXPECT_EQ(ChannelOf(diff, "pos")->skus_changed(), 0);
  // Nothing changed.
  EXPECT_EQ(Published("S4", "amazon"), 40);
  EXPECT_EQ(Published("S1", "webshop"), 10);

  // The file on disk, diffed with no text, says the same; ReloadConfig applies it.
  Write(next);
  v1::ConfigDiff on_disk;
  ASSERT_TRUE(Diff("", &on_disk, 2).ok());
  EXPECT_EQ(on_disk.SerializeAsString(), diff.SerializeAsString());
  v1::ReloadConfigResponse applied;
  ASSERT_TRUE(Reload(&applied, "ops-alice").ok());
  // The reload's own top_n default is 10: compare the figures, not the lists.
  for (v1::ChannelQuantityDiff& c : *applied.mutable_applied()->mutable_channels()) {
    if (c.top_size() > 2) c.mutable_top()->DeleteSubrange(2, c.top_size() - 2);
  }
  EXPECT_EQ(applied.applied().SerializeAsString(), diff.SerializeAsString());
  EXPECT_EQ(applied.config_path(), path_);
  EXPECT_GT(applied.total_us(), 0);
  EXPECT_EQ(Published("S4", "amazon"), 10);
  EXPECT_EQ(Published("S1", "webshop"), 0);
  EXPECT_EQ(Published("S3", "webshop"), 15);

  // The audit names who reloaded.
  grpc::ClientContext ctx;
  Deadline(&ctx);
  v1::ListAuditRequest audit;
  audit.set_limit(1);
  v1::ListAuditResponse entries;
  ASSERT_TRUE(stub_->ListAudit(&ctx, audit, &entries).ok());
  ASSERT_EQ(entries.entries_size(), 1);
  EXPECT_EQ(entries.entries(0).operation(), "reconfigure");
  EXPECT_EQ(entries.entries(0).actor(), "ops-alice");
  const PromText metrics = Scrape();
  EXPECT_EQ(metrics.Get(PromKey("stockd_config_reloads_total", {{"result", "ok"}})), 1);
}

TEST_F(ReloadTest, AnInvalidOrRefusedConfigKeepsTheRunningOneAndSaysWhy) {
  ASSERT_TRUE(Count("wh", "S1", 10).ok());
  const std::string good = Yaml(0, 100);

  // A syntax error: INVALID_ARGUMENT at file:line, from the dry run and from the reload.
  const std::string broken = good + "  - {id: ebay, type: marketplace, sources: [nowhere]}\n";
  v1::ConfigDiff diff;
  grpc::Status st = Diff(broken, &diff);
  EXPECT_EQ(st.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StartsWith(st.error_message(), "new.yaml:")) << st.error_message();
  EXPECT_TRUE(absl::StrContains(st.error_message(), "nowhere")) << st.error_message();
  Write(broken);
  v1::ReloadConfigResponse applied;
  st = Reload(&applied);
  EXPECT_EQ(st.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StartsWith(st.error_message(), path_ + ":")) << st.error_message();

  // Removing a channel is refused by the engine: FAILED_PRECONDITION, nothing applied.
  const std::string without_pos =
      absl::StrReplaceAll(Yaml(3, 50), {{"  - {id: pos, type: store, sources: [store]}\n", ""}});
  st = Diff(without_pos, &diff);
  EXPECT_EQ(st.error_code(), StatusCode::FAILED_PRECONDITION);
  EXPECT_TRUE(absl::StrContains(st.error_message(), "channel 'pos'")) << st.error_message();
  Write(without_pos);
  st = Reload(&applied);
  EXPECT_EQ(st.error_code(), StatusCode::FAILED_PRECONDITION) << st.error_message();

  // A missing file: FAILED_PRECONDITION. top_n out of range: INVALID_ARGUMENT.
  std::remove(path_.c_str());
  EXPECT_EQ(Reload(&applied).error_code(), StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Diff("", &diff).error_code(), StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Diff(good, &diff, 1001).error_code(), StatusCode::INVALID_ARGUMENT);

  // The running config is the first one, still serving.
  EXPECT_EQ(Published("S1", "amazon"), 10);
  EXPECT_EQ(Published("S1", "webshop"), 10);
  ASSERT_TRUE(Count("wh", "S1", 12).ok());
  EXPECT_EQ(Published("S1", "pos"), 0);
  EXPECT_EQ(Published("S1", "amazon"), 12);
  const PromText metrics = Scrape();
  EXPECT_EQ(metrics.Get(PromKey("stockd_config_reloads_total", {{"result", "error"}})), 3);
  // No ok reload: the series is absent or 0.
  EXPECT_FALSE(metrics.Get(PromKey("stockd_config_reloads_total", {{"result", "ok"}})) > 0);
}

TEST_F(ReloadTest, APolicyChangeIsPushedToTheChannel) {
  ASSERT_TRUE(Count("wh", "S1", 8).ok());
  ASSERT_TRUE(Count("store", "S1", 2).ok());
  ASSERT_TRUE(Count("wh", "S2", 30).ok());
  ASSERT_TRUE(WaitPushed({{"S1", 10}, {"S2", 30}})) << "first push missing";
  Write(Yaml(5, 100));
  v1::ReloadConfigResponse applied;
  ASSERT_TRUE(Reload(&applied).ok());
  EXPECT_EQ(ChannelOf(applied.applied(), "webshop")->skus_changed(), 2);
  EXPECT_TRUE(WaitPushed({{"S1", 5}, {"S2", 25}}))
      << "the reload's changes were not pushed; last pushed S1=" << PushedToWebshop()["S1"];
}

TEST_F(ReloadTest, ALongDiffIsShortenedToFitTheResponseLimit) {
  // 1,000 SKUs with 100-character names, on two channels that both change: 1,000 top
  // entries per channel would be ~250 KB, over server.max_response_bytes (64 KiB here).
  for (int first = 0; first < 1000; first += 25) {  // a Batch's answer fits 64 KiB too
    grpc::ClientContext ctx;
    Deadline(&ctx);
    v1::BatchRequest batch;
    for (int i = first; i < first + 25; ++i) {
      v1::CountRequest* count = batch.add_ops()->mutable_count();
      count->set_location("wh");
      count->set_sku(absl::StrCat(std::string(96, 'X'), 1000 + i));
      count->set_on_hand(10 + i);
    }
    v1::BatchResponse counted;
    const grpc::Status st = stub_->Batch(&ctx, batch, &counted);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }
  v1::ConfigDiff diff;
  const grpc::Status st = Diff(Yaml(1, 50), &diff, 1000);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_LE(diff.ByteSizeLong(), 65536u);
  const v1::ChannelQuantityDiff* webshop = ChannelOf(diff, "webshop");
  const v1::ChannelQuantityDiff* amazon = ChannelOf(diff, "amazon");
  ASSERT_NE(webshop, nullptr);
  ASSERT_NE(amazon, nullptr);
  // The figures stay whole; the lists are shortened alike, largest first.
  EXPECT_EQ(webshop->skus_changed(), 1000);
  EXPECT_EQ(amazon->skus_changed(), 1000);
  EXPECT_GT(amazon->top_size(), 0);
  EXPECT_LT(amazon->top_size(), 1000);
  EXPECT_EQ(webshop->top_size(), amazon->top_size());
  EXPECT_EQ(amazon->top(0).sku(), absl::StrCat(std::string(96, 'X'), 1999));
  EXPECT_EQ(amazon->top(0).before(), 1009);
  EXPECT_EQ(amazon->top(0).after(), 504);
}

TEST_F(ReloadTest, AfterTheDrainAReloadIsRefusedAsUnavailable) {
  v1::ConfigDiff diff;
  ASSERT_TRUE(Diff(Yaml(0, 100), &diff).ok());
  // Queued to a stopped reloader (as at SIGTERM, once the server has drained): answered
  // UNAVAILABLE, not run.
  absl::StatusOr<config::Config> config = config::LoadConfigFile(path_);
  ASSERT_TRUE(config.ok()) << config.status();
  server::Authenticator auth(config->clients);
  server::ConfigReloader::Options options;
  options.running = &*config;
  options.engine = daemon_->engine();
  options.auth = &auth;
  server::ConfigReloader reloader(std::move(options));
  reloader.Stop();
  absl::Status answer = absl::UnknownError("not answered");
  reloader.QueueDiff("", "", 10, [&](absl::StatusOr<server::ReloadReport> r) {
    answer = r.status();
  });
  EXPECT_EQ(answer.code(), absl::StatusCode::kUnavailable) << answer;
  reloader.QueueReload("test", 10, [&](absl::StatusOr<server::ReloadReport> r) {
    answer = r.status();
  });
  EXPECT_EQ(answer.code(), absl::StatusCode::kUnavailable) << answer;
}

TEST_F(ReloadTest, ReloadsUnderLoadFailNoCall) {
  // Writers reserve and release on pos and webshop while the config flips between two
  // policies (amazon's share, webshop's safety stock) twenty times.
  for (int i = 0; i < 8; ++i) {
    ASSERT_TRUE(Count("store", absl::StrCat("L", i), 1'000'000).ok());
    ASSERT_TRUE(Count("wh", absl::StrCat("L", i), 1'000'000).ok());
  }
  std::atomic<bool> stop{false};
  std::atomic<int64_t> calls{0};
  std::atomic<int64_t> failed{0};
  std::vector<std::string> failures;
  absl::Mutex failures_mu;
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&, w] {
      const std::string channel = w % 2 == 0 ? "pos" : "webshop";
      int n = 0;
      while (!stop.load()) {
        const std::string sku = absl::StrCat("L", (w + n++) % 8);
        grpc::ClientContext ctx;
        Deadline(&ctx);
        v1::ReserveRequest reserve;
        reserve.set_channel(channel);
        v1::HoldLine* line = reserve.add_lines();
        line->set_sku(sku);
        line->set_qty(1);
        v1::ReserveResponse held;
        grpc::Status st = stub_->Reserve(&ctx, reserve, &held);
        if (st.ok()) {
          grpc::ClientContext c2;
          Deadline(&c2);
          v1::ReleaseRequest release;
          release.set_hold_id(held.hold().hold_id());
          v1::HoldResponse released;
          st = stub_->Release(&c2, release, &released);
        }
        calls.fetch_add(1);
        if (!st.ok()) {
          failed.fetch_add(1);
          absl::MutexLock lock(&failures_mu);
          if (failures.size() < 5) failures.push_back(st.error_message());
        }
      }
    });
  }
  int reloads = 0;
  for (int i = 0; i < 20; ++i) {
    Write(i % 2 == 0 ? Yaml(2, 60) : Yaml(0, 100));
    v1::ReloadConfigResponse applied;
    const grpc::Status st = Reload(&applied);
    EXPECT_TRUE(st.ok()) << st.error_message();
    reloads += st.ok();
    std::this_thread::sleep_for(10ms);
  }
  stop.store(true);
  for (std::thread& t : writers) t.join();
  EXPECT_EQ(reloads, 20);
  EXPECT_GT(calls.load(), 40);  // the writers ran throughout
  EXPECT_EQ(failed.load(), 0) << (failures.empty() ? "" : failures[0]);
  // Every hold was released; the counters agree with the holds.
  EXPECT_TRUE(daemon_->engine()->CheckInvariants().violations.empty());
  EXPECT_EQ(Published("L0", "amazon"), 1'000'000);  // the last config: 100 %
}

}  // namespace
}  // namespace stockd
