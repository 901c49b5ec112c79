// The whole sync path: a real daemon (embedded Redis), the real webhook plugin, and a
// fake marketplace endpoint that answers on a fault schedule (429 + Retry-After, 500,
// slow, timeout, connection reset). Proves: after any fault schedule the channel ends
// with exactly the daemon's published quantities; a restart in the middle of a backlog
// finishes it and re-sends nothing acknowledged; a stalled Watch client does not slow the
// others; a reconnecting watcher resumes from its last sequence.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "daemon/config/config.h"
#include "daemon/server/daemon.h"
#include "daemon/storage/embedded_redis.h"
#include "httplib.h"
#include "stockd/v1/stockd.grpc.pb.h"
#include "tests/fakes/fake_channel_server.h"
#include "tests/support/prom_text.h"
#include "tests/support/redis_fixture.h"

namespace stockd {
namespace {

using namespace std::chrono_literals;
using fakes::Behaviour;
using fakes::FakeChannelServer;
using testing::ParsePromText;
using testing::PromKey;
using testing::PromText;

class PushE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/stockd-push-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    std::ofstream(dir_ + "/secret") << "s3cret\n";
    FakeChannelServer::Options o;
    o.secret = "s3cret";
    fake_ = std::make_unique<FakeChannelServer>(o);
    std::string error;
    ASSERT_TRUE(fake_->Start(&error)) << error;
  }
  void TearDown() override {
    daemon_.reset();
    fake_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::string Yaml(const std::string& extra_adapter = "") {
    return R"yaml(
server: {listen: "127.0.0.1:0", drain_timeout: 2s}
metrics: {listen: "127.0.0.1:0"}
data_dir: )yaml" +
           dir_ + R"yaml(/data
plugin_dir: )yaml" +
           std::string(STOCKD_BINARY_DIR) + R"yaml(/plugins
locations:
  - {id: wh, type: warehouse}
  - {id: store, type: store}
channels:
  - {id: webshop, type: webshop, sources: [wh, store], protect: {store: 1}}
  - id: amazon
    type: marketplace
    sources: [wh]
    safety_stock: 2
    share_percent: 80
    adapter:
      plugin: webhook
      config: {url: ")yaml" +
           fake_->url() + R"yaml(", secret_file: ")yaml" + dir_ +
           R"yaml(/secret", timeout_ms: 300, connect_timeout_ms: 200)yaml" + adapter_config_ +
           R"yaml(}
      retry_initial: 20ms
      retry_max: 300ms
      coalesce_window: 50ms
)yaml" + extra_adapter +
           R"yaml(
    orders: {poll_interval: 0s}  # push only: no order polls among the faults
  - {id: pos, type: store, sources: [store]}
)yaml";
  }

  void Start(const std::string& extra_adapter = "") {
    absl::StatusOr<config::Config> config = config::ParseConfig(Yaml(extra_adapter), "push.yaml");
    ASSERT_TRUE(config.ok()) << config.status();
    absl::StatusOr<std::unique_ptr<server::Daemon>> d = server::Daemon::Start(*config);
    ASSERT_TRUE(d.ok()) << d.status();
    daemon_ = std::move(*d);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(daemon_->port()),
                                   grpc::InsecureChannelCredentials());
    stub_ = v1::Stock::NewStub(channel_);
  }

  // More keys of the webhook adapter's config, each with a leading ", ".
  std::string adapter_config_;

  void Count(const std::string& sku, int64_t n) {
    grpc::ClientContext ctx;
    v1::CountRequest req;
    req.set_location("wh");
    req.set_sku(sku);
    req.set_on_hand(n);
    v1::StockRowResponse resp;
    ASSERT_TRUE(stub_->Count(&ctx, req, &resp).ok());
  }

  std::map<std::string, int64_t> Published(const std::vector<std::string>& skus) {
    grpc::ClientContext ctx;
    v1::GetAvailabilityRequest req;
    for (const std::string& s : skus) req.add_skus(s);
    req.add_channels("amazon");
    v1::GetAvailabilityResponse resp;
    EXPECT_TRUE(stub_->GetAvailability(&ctx, req, &resp).ok());
    std::map<std::string, int64_t> out;
    for (const v1::Availability& a : resp.items()) out[a.sku()] = a.published();
    return out;
  }

  v1::PushStatus Status() {
    grpc::ClientContext ctx;
    v1::GetPushStatusRequest req;
    req.set_channel("amazon");
    v1::GetPushStatusResponse resp;
    EXPECT_TRUE(stub_->GetPushStatus(&ctx, req, &resp).ok());
    return resp.channels_size() == 1 ? resp.channels(0) : v1::PushStatus();
  }

  // Waits until the fake shows exactly the published quantity of every SKU.
  ::testing::AssertionResult Converges(const std::vector<std::string>& skus,
                                       std::chrono::seconds timeout = 30s) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    std::string diff;
    while (std::chrono::steady_clock::now() < end) {
      std::map<std::string, int64_t> want = Published(skus);
      diff.clear();
      for (const auto& [sku, qty] : want) {
        std::optional<int64_t> have = fake_->Quantity(sku);
        if (!have || *have != qty) {
          absl::StrAppend(&diff, sku, " fake=", have ? std::to_string(*have) : "none",
                          " published=", qty, "; ");
        }
      }
      if (diff.empty() && Status().dirty() == 0) return ::testing::AssertionSuccess();
      std::this_thread::sleep_for(20ms);
    }
    return ::testing::AssertionFailure() << "not converged: " << diff;
  }

  std::string dir_;
  std::unique_ptr<FakeChannelServer> fake_;
  std::unique_ptr<server::Daemon> daemon_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Stock::Stub> stub_;
};

TEST_F(PushE2ETest, AnyFaultScheduleEndsWithThePublishedQuantities) {
  Start();
  std::vector<std::string> skus;
  for (int i = 0; i < 20; ++i) skus.push_back("F-" + std::to_string(i));
  fake_->Enqueue({Behaviour::ServerError(), Behaviour::Reset(), Behaviour::Timeout(600),
                  Behaviour::Slow(100), Behaviour::TooManyRequests(1), Behaviour::ServerError(),
                  Behaviour::Reset(/*apply=*/true), Behaviour::Timeout(600, /*apply=*/true),
                  Behaviour::Ok(), Behaviour::ServerError()});
  std::mt19937 rng(7);
  for (int round = 0; round < 300; ++round) {
    Count(skus[rng() % skus.size()], static_cast<int64_t>(rng() % 40));
    if (round % 50 == 0) std::this_thread::sleep_for(30ms);
  }
  EXPECT_TRUE(Converges(skus));
  // Keep changing stock until every scheduled fault has been served, then converge again.
  for (int round = 0; fake_->PendingBehaviours() > 0 && round < 50; ++round) {
    Count(skus[rng() % skus.size()], static_cast<int64_t>(rng() % 40));
    std::this_thread::sleep_for(60ms);
  }
  EXPECT_EQ(fake_->PendingBehaviours(), 0u) << "the schedule was not fully exercised";
  EXPECT_TRUE(Converges(skus));
  EXPECT_EQ(fake_->SignatureFailures(), 0);
  v1::PushStatus s = Status();
  EXPECT_GT(s.items_retry(), 0);
  EXPECT_EQ(s.items_permanent(), 0);
}

// What the stopped daemon had recorded as acknowledged on `channel` (the SKUs of its
// {stockd}:acked:<channel> hash, docs/storage.md), read through a redis-server of its own
// on the daemon's data dir, as the next start reads it.
std::set<std::string> AckedSkus(const std::string& data_dir, const std::string& channel) {
  storage::EmbeddedRedisOptions o;
  o.data_dir = data_dir;
  absl::StatusOr<std::unique_ptr<storage::EmbeddedRedis>> redis = storage::EmbeddedRedis::Start(o);
  EXPECT_TRUE(redis.ok()) << redis.status();
  if (!redis.ok()) return {};
  absl::StatusOr<std::vector<std::string>> keys =
      testing::RedisCommand((*redis)->socket_path(), {"HKEYS", "{stockd}:acked:" + channel});
  EXPECT_TRUE(keys.ok()) << keys.status();
  if (!keys.ok()) return {};
  return {keys->begin(), keys->end()};
}

TEST_F(PushE2ETest, RestartMidBacklogFinishesItAndResendsNothingAcknowledged) {
  // 10 items/s: a backlog of 100 SKUs takes ~10 s; stop after ~1.5 s.
  Start("      rate_limit: 10\n      burst: 10\n");
  std::vector<std::string> skus;
  for (int i = 0; i < 100; ++i) {
    skus.push_back("B-" + std::to_string(i));
    Count(skus.back(), 10 + i);  // published = floor((10+i-2)*0.8) > 0
  }
  std::this_thread::sleep_for(1500ms);
  daemon_->Shutdown();
  daemon_.reset();
  const std::map<std::string, int64_t> before = fake_->PushCounts();
  ASSERT_GT(before.size(), 5u);
  ASSERT_LT(before.size(), 100u) << "the backlog should not be finished yet";
  // The stop abandons the push in flight (docs/push.md, "Stopping"): the channel may have
  // applied it without stockd learning so, and then it is rightly sent again. What stockd
  // had acknowledged must not be.
  const std::set<std::string> acked = AckedSkus(dir_ + "/data", "amazon");
  ASSERT_GT(acked.size(), 5u);

  Start("      rate_limit: 1000\n      burst: 100\n");
  EXPECT_TRUE(Converges(skus));
  const std::map<std::string, int64_t> after = fake_->PushCounts();
  EXPECT_EQ(after.size(), 100u);
  int64_t unacknowledged_first_pushes = 0;
  for (const auto& [listing, pushes] : after) {
    const auto first = before.find(listing);
    const int64_t first_run = first == before.end() ? 0 : first->second;
    EXPECT_LE(first_run, 1) << listing << " was pushed twice before the restart";
    if (acked.count(listing) > 0) {
      // Each SKU changed once: acknowledged in the first run, never sent again.
      EXPECT_EQ(first_run, 1) << listing << " acknowledged without being pushed";
      EXPECT_EQ(pushes, 1) << listing << " was pushed again after its acknowledgement";
    } else {
      EXPECT_EQ(pushes - first_run, 1)
          << listing << " was not pushed exactly once after the restart";
      unacknowledged_first_pushes += first_run;
    }
  }
  // Only the batch the stop abandoned can have been applied without its answer reaching
  // stockd: at 10 items/s with a burst of 10, at most 10 items.
  EXPECT_LE(unacknowledged_first_pushes, 10) << "of " << before.size() << " first-run pushes";
}

TEST_F(PushE2ETest, ResyncRepairsDriftOnTheChannel) {
  Start();
  std::vector<std::string> skus = {"D-1", "D-2", "D-3"};
  for (const std::string& s : skus) Count(s, 20);  // published 14
  ASSERT_TRUE(Converges(skus));
  fake_->SetQuantity("D-2", 3);  // someone edited the listing by hand
  grpc::ClientContext ctx;
  v1::ResyncRequest req;
  req.set_channel("amazon");
  v1::ResyncResponse resp;
  ASSERT_TRUE(stub_->Resync(&ctx, req, &resp).ok());
  EXPECT_TRUE(resp.fetched());
  EXPECT_EQ(resp.checked(), 3);
  EXPECT_EQ(resp.drifted(), 1);
  ASSERT_EQ(resp.largest_size(), 1);
  EXPECT_EQ(resp.largest(0).sku(), "D-2");
  EXPECT_EQ(resp.largest(0).channel_quantity(), 3);
  EXPECT_EQ(resp.largest(0).published(), 14);
  EXPECT_TRUE(Converges(skus));

  grpc::ClientContext bad;
  req.set_channel("webshop");  // no adapter
  EXPECT_EQ(stub_->Resync(&bad, req, &resp).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
}

// Issue 16 part 3: an adapter that takes alerts (the webhook adapter with alerts_url)
// gets its channel's alerts and those of its sources, at least once through faults, on a
// thread of their own; the fake checks the body as a receiver would (signature, shape).
TEST_F(PushE2ETest, AlertsReachTheAlertsUrlThroughFaultsWithTheChannelsOwnOnly) {
  adapter_config_ = ", alerts_url: \"" + fake_->alerts_url() + "\"";
  Start();
  fake_->Enqueue({Behaviour::ServerError(), Behaviour::Reset(), Behaviour::ServerError()});
  Count("AL-1", 5);  // amazon (80% of 5 - 2) shows 2
  Count("AL-1", 0);  // amazon and the webshop sold out: amazon's adapter gets amazon's
  Count("AL-2", 5);
  std::string hold;
  {
    grpc::ClientContext ctx;
    v1::ReserveRequest req;
    req.set_channel("amazon");
    v1::HoldLine* line = req.add_lines();
    line->set_sku("AL-2");
    line->set_qty(1);
    v1::ReserveResponse resp;
    ASSERT_TRUE(stub_->Reserve(&ctx, req, &resp).ok());
    hold = resp.hold().hold_id();
  }
  Count("AL-2", 0);  // free -1 at wh (amazon's source): uncovered, naming the hold

  std::vector<std::string> got;
  const auto deadline = std::chrono::steady_clock::now() + 15s;
  while (std::chrono::steady_clock::now() < deadline) {
    got = fake_->Alerts();
    if (got.size() >= 3) break;
    std::this_thread::sleep_for(20ms);
  }
  auto has = [&got](const std::vector<std::string>& parts) {
    return std::any_of(got.begin(), got.end(), [&parts](const std::string& a) {
      return std::all_of(parts.begin(), parts.end(),
                         [&a](const std::string& p) { return a.find(p) != std::string::npos; });
    });
  };
  std::string all;
  for (const std::string& a : got) all += a + "\n";
  EXPECT_TRUE(has({"\"kind\":\"ALERT_SOLD_OUT\"", "\"sku\":\"AL-1\"", "\"channel\":\"amazon\""}))
      << all;
  EXPECT_TRUE(has({"\"kind\":\"ALERT_SOLD_OUT\"", "\"sku\":\"AL-2\"", "\"channel\":\"amazon\""}))
      << all;
  EXPECT_TRUE(has({"\"kind\":\"ALERT_UNCOVERED\"", "\"sku\":\"AL-2\"", "\"location\":\"wh\"",
                   "\"hold_ids\":[\"" + hold + "\"]"}))
      << all;
  for (const std::string& a : got) {
    EXPECT_EQ(a.find("\"channel\":\"webshop\""), std::string::npos) << "not amazon's: " << a;
    EXPECT_NE(a.find("\"batch_channel\":\"amazon\""), std::string::npos) << a;
  }
  EXPECT_EQ(fake_->SignatureFailures(), 0);

  // The metrics count what the sender did: what the fake stored was delivered, nothing
  // waits, nothing was dropped; the webshop has no alert sender, so no alert series.
  // (The sender's books are updated just after the adapter returns: scrape until they
  // show the last delivery.)
  const auto amazon = [](const std::string& name) {
    return PromKey(name, {{"channel", "amazon"}});
  };
  httplib::Client metrics(absl::StrCat("http://127.0.0.1:", daemon_->metrics_port()));
  PromText prom;
  for (int i = 0; i < 250; ++i) {  // 5 s
    httplib::Result res = metrics.Get("/metrics");
    ASSERT_TRUE(res && res->status == 200);
    prom = ParsePromText(res->body);
    if (prom.Get(amazon("stockd_channel_alert_deliveries_total")) >= 1 &&
        prom.Get(amazon("stockd_channel_alert_queue")) == 0) {
      break;
    }
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_GE(prom.Get(amazon("stockd_channel_alert_deliveries_total")), 1);
  EXPECT_TRUE(prom.Has(amazon("stockd_channel_alert_delivery_failures_total")));
  EXPECT_EQ(prom.Get(amazon("stockd_channel_alerts_dropped_total")), 0);
  EXPECT_EQ(prom.Get(amazon("stockd_channel_alert_queue")), 0);
  EXPECT_FALSE(
      prom.Has(PromKey("stockd_channel_alert_deliveries_total", {{"channel", "webshop"}})));
}

TEST_F(PushE2ETest, StalledWatcherDoesNotSlowOthersAndWatchersResume) {
  Start();
  grpc::ClientContext stalled_ctx;
  v1::WatchRequest all;
  std::unique_ptr<grpc::ClientReader<v1::WatchEvent>> stalled = stub_->Watch(&stalled_ctx, all);
  // (never read)

  grpc::ClientContext live_ctx;
  v1::WatchRequest amazon;
  amazon.add_channels("amazon");
  std::unique_ptr<grpc::ClientReader<v1::WatchEvent>> live = stub_->Watch(&live_ctx, amazon);

  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 2000; ++i) Count("W-" + std::to_string(i % 50), 10 + i);
  const auto writes = std::chrono::steady_clock::now() - start;
  EXPECT_LT(writes, 30s);  // a stalled stream must not throttle writers

  // The live watcher sees every SKU's latest value (coalesced, never stale).
  std::map<std::string, int64_t> seen;
  uint64_t last_sequence = 0;
  std::map<std::string, int64_t> want;
  for (int i = 0; i < 50; ++i) want["W-" + std::to_string(i)] = 0;
  want = Published([&] {
    std::vector<std::string> v;
    for (const auto& [k, _] : want) v.push_back(k);
    return v;
  }());
  v1::WatchEvent e;
  while (seen != want && live->Read(&e)) {
    seen[e.sku()] = e.published();
    last_sequence = e.sequence();
  }
  EXPECT_EQ(seen, want);
  live_ctx.TryCancel();
  live->Finish();

  // Changes while disconnected are replayed on resume.
  Count("W-0", 500);
  Count("W-1", 600);
  grpc::ClientContext resume_ctx;
  v1::WatchRequest resume = amazon;
  resume.set_resume_after(last_sequence);
  std::unique_ptr<grpc::ClientReader<v1::WatchEvent>> again = stub_->Watch(&resume_ctx, resume);
  ASSERT_TRUE(again->Read(&e));
  EXPECT_EQ(e.sku(), "W-0");
  EXPECT_FALSE(e.snapshot());
  EXPECT_GT(e.sequence(), last_sequence);
  ASSERT_TRUE(again->Read(&e));
  EXPECT_EQ(e.sku(), "W-1");
  resume_ctx.TryCancel();
  again->Finish();

  // A resume point from before the history (or another run) gets a snapshot.
  grpc::ClientContext old_ctx;
  v1::WatchRequest old = amazon;
  old.set_resume_after(1);
  std::unique_ptr<grpc::ClientReader<v1::WatchEvent>> snap = stub_->Watch(&old_ctx, old);
  ASSERT_TRUE(snap->Read(&e));
  EXPECT_TRUE(e.snapshot());
  old_ctx.TryCancel();
  snap->Finish();
  stalled_ctx.TryCancel();
  stalled->Finish();
}

}  // namespace
}  // namespace stockd
