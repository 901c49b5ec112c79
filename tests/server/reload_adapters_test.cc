// Adapters added, removed and changed by a live reload (docs/reload.md), on a real Daemon
// started from a config file, pushing to a fake channel over the webhook adapter:
//   * an adapter added while the SKUs keep changing: the channel ends up showing exactly
//     what stockd publishes for it;
//   * an adapter removed while a Resync and a Reconcile wait behind a slow push: both
//     answer, the daemon serves on, and the channel has no adapter any more;
//   * a webhook URL changed: the next pushes go to the new endpoint, and nothing the old
//     one acknowledged is sent again;
//   * order polling and a webhook route added, then removed, with the adapter;
//   * an adapter that cannot be loaded (no such plugin, a config the plugin rejects, a
//     missing listings file): the reload and its dry run are refused and nothing of the
//     new file is applied.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "daemon/config/config.h"
#include "daemon/orders/orders.h"
#include "daemon/server/daemon.h"
#include "stockd/v1/stockd.grpc.pb.h"
#include "tests/fakes/fake_channel_server.h"
#include "tests/support/temp_dir.h"

namespace stockd {
namespace {

using grpc::StatusCode;
using namespace std::chrono_literals;

// $AMAZON_ADAPTER is the amazon channel's adapter line (or nothing).
// $WEB_ORDERS, the webshop's orders entry (or nothing).
constexpr char kConfig[] = R"yaml(
server: {listen: "127.0.0.1:0", drain_timeout: 5s}
plugin_dir: $PLUGINS
redis: {mode: memory}
orders: {listen: "127.0.0.1:0"}
locations:
  - {id: wh, type: warehouse}
channels:
  - {id: webshop, type: webshop, sources: [wh]$WEB_ORDERS}
  - id: amazon
    type: marketplace
    sources: [wh]
    share_percent: $SHARE
$AMAZON_ADAPTER
)yaml";

constexpr int kSkus = 40;

std::string Sku(int i) { return absl::StrCat("SKU-", i); }

class ReloadAdaptersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.path() + "/stockd.yaml";
    std::string error;
    ASSERT_TRUE(first_.Start(&error)) << error;
    ASSERT_TRUE(second_.Start(&error)) << error;
  }
  void TearDown() override {
    if (daemon_) daemon_->Shutdown();
  }

  void StartDaemon(const std::string& yaml) {
    Write(yaml);
    absl::StatusOr<config::Config> config = config::LoadConfigFile(path_);
    ASSERT_TRUE(config.ok()) << config.status();
    absl::StatusOr<std::unique_ptr<server::Daemon>> daemon = server::Daemon::Start(*config);
    ASSERT_TRUE(daemon.ok()) << daemon.status();
    daemon_ = std::move(*daemon);
    stub_ = v1::Stock::NewStub(grpc::CreateChannel(absl::StrCat("127.0.0.1:", daemon_->port()),
                                                   grpc::InsecureChannelCredentials()));
  }

  // The amazon adapter pushing to `fake` (no coalescing: every change goes out at once).
  static std::string WebhookTo(const fakes::FakeChannelServer& fake) {
    return absl::StrCat("    adapter: {plugin: webhook, coalesce_window: 0s, retry_initial: 50ms,",
                        " config: {url: \"", fake.url(), "\", timeout_ms: 20000}}");
  }
  std::string Yaml(const std::string& amazon_adapter, int share = 100,
                   const std::string& web_orders = "") const {
    return absl::StrReplaceAll(kConfig, {{"$PLUGINS", std::string(STOCKD_BINARY_DIR) + "/plugins"},
                                         {"$SHARE", absl::StrCat(share)},
                                         {"$AMAZON_ADAPTER", amazon_adapter},
                                         {"$WEB_ORDERS", web_orders}});
  }
  void Write(const std::string& yaml) const { std::ofstream(path_, std::ios::trunc) << yaml; }

  static void Deadline(grpc::ClientContext* ctx) {
    ctx->set_deadline(std::chrono::system_clock::now() + 30s);
  }
  grpc::Status Count(const std::string& sku, int64_t on_hand) {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    v1::CountRequest req;
    req.set_location("wh");
    req.set_sku(sku);
    req.set_on_hand(on_hand);
    v1::StockRowResponse resp;
    return stub_->Count(&ctx, req, &resp);
  }
  std::map<std::string, int64_t> PublishedToAmazon() { return Published("amazon"); }
  std::map<std::string, int64_t> Published(const std::string& channel) {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    v1::GetAvailabilityRequest req;
    for (int i = 0; i < kSkus; ++i) req.add_skus(Sku(i));
    req.add_channels(channel);
    v1::GetAvailabilityResponse resp;
    const grpc::Status st = stub_->GetAvailability(&ctx, req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    std::map<std::string, int64_t> out;
    for (const v1::Availability& a : resp.items()) out[a.sku()] = a.published();
    return out;
  }
  grpc::Status Reload(v1::ReloadConfigResponse* out) {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    return stub_->ReloadConfig(&ctx, v1::ReloadConfigRequest(), out);
  }
  grpc::Status Diff(v1::ConfigDiff* out) {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    return stub_->DiffConfig(&ctx, v1::DiffConfigRequest(), out);
  }
  std::vector<std::string> PushedChannels() {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    v1::GetPushStatusResponse resp;
    const grpc::Status st = stub_->GetPushStatus(&ctx, v1::GetPushStatusRequest(), &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    std::vector<std::string> out;
    for (const auto& c : resp.channels()) out.push_back(c.channel());
    return out;
  }
  // Polls `what` until it holds.
  static bool Eventually(const std::function<bool()>& what) {
    for (auto until = std::chrono::steady_clock::now() + 20s;
         std::chrono::steady_clock::now() < until; std::this_thread::sleep_for(20ms)) {
      if (what()) return true;
    }
    return false;
  }
  // Waits until `fake` shows, for amazon, every SKU as stockd publishes it.
  bool WaitInSync(const fakes::FakeChannelServer& fake, std::map<std::string, int64_t>* shown,
                  std::map<std::string, int64_t>* published) {
    for (auto until = std::chrono::steady_clock::now() + 30s;
         std::chrono::steady_clock::now() < until; std::this_thread::sleep_for(50ms)) {
      *published = PublishedToAmazon();
      *shown = fake.ChannelQuantities("amazon");
      bool same = published->size() == static_cast<size_t>(kSkus);
      for (const auto& [sku, qty] : *published) {
        auto it = shown->find(sku);
        same = same && (it == shown->end() ? qty == 0 : it->second == qty);
      }
      if (same) return true;
    }
    return false;
  }

  testing::TempDir dir_;
  std::string path_;
  fakes::FakeChannelServer first_;
  fakes::FakeChannelServer second_;
  std::unique_ptr<server::Daemon> daemon_;
  std::unique_ptr<v1::Stock::Stub> stub_;
};

TEST_F(ReloadAdaptersTest, AnAdapterAddedUnderLoadGetsItsChannelExactlyInSync) {
  ASSERT_NO_FATAL_FAILURE(StartDaemon(Yaml("")));
  for (int i = 0; i < kSkus; ++i) ASSERT_TRUE(Count(Sku(i), 10 + i).ok());
  EXPECT_TRUE(PushedChannels().empty());

  // Writers keep moving every SKU while the adapter comes in.
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < 2; ++w) {
    writers.emplace_back([&, w] {
      for (int n = 0; !stop.load(); ++n) {
        if (!Count(Sku((n * 7 + w) % kSkus), 5 + (n % 50)).ok()) failures.fetch_add(1);
      }
    });
  }
  Write(Yaml(WebhookTo(first_)));
  v1::ConfigDiff diff;
  ASSERT_TRUE(Diff(&diff).ok());
  ASSERT_EQ(diff.adapters_added_size(), 1);
  EXPECT_EQ(diff.adapters_added(0), "amazon");
  EXPECT_EQ(first_.RequestCount(), 0u) << "a dry run pushes nothing";
  v1::ReloadConfigResponse reloaded;
  const grpc::Status st = Reload(&reloaded);
  std::this_thread::sleep_for(300ms);
  stop.store(true);
  for (std::thread& t : writers) t.join();
  ASSERT_TRUE(st.ok()) << st.error_message();
  ASSERT_EQ(reloaded.applied().adapters_added_size(), 1);
  EXPECT_EQ(reloaded.applied().adapters_added(0), "amazon");
  for (const std::string& key : reloaded.applied().restart_required()) {
    EXPECT_FALSE(absl::StrContains(key, "adapter")) << key;
  }
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(PushedChannels(), std::vector<std::string>{"amazon"});

  std::map<std::string, int64_t> shown, published;
  EXPECT_TRUE(WaitInSync(first_, &shown, &published))
      << "the channel shows " << shown.size() << " SKUs; stockd publishes " << published.size();
}

TEST_F(ReloadAdaptersTest, RemovingAnAdapterAnswersTheResyncAndReconcileWaitingForIt) {
  ASSERT_NO_FATAL_FAILURE(StartDaemon(Yaml(WebhookTo(first_))));
  for (int i = 0; i < kSkus; ++i) ASSERT_TRUE(Count(Sku(i), 10).ok());
  std::map<std::string, int64_t> shown, published;
  ASSERT_TRUE(WaitInSync(first_, &shown, &published));

  // A push that hangs at the channel, then a Resync and a Reconcile queued behind it.
  const size_t before = first_.RequestCount();
  first_.Enqueue(fakes::Behaviour::Timeout(15000));
  ASSERT_TRUE(Count(Sku(0), 3).ok());
  ASSERT_TRUE(first_.WaitForRequests(before + 1, 10s));
  grpc::Status resync_st, reconcile_st;
  std::thread resync([&] {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    v1::ResyncRequest req;
    req.set_channel("amazon");
    v1::ResyncResponse resp;
    resync_st = stub_->Resync(&ctx, req, &resp);
  });
  std::thread reconcile([&] {
    grpc::ClientContext ctx;
    Deadline(&ctx);
    v1::ReconcileRequest req;
    req.set_channel("amazon");
    v1::ReconcileResponse resp;
    reconcile_st = stub_->Reconcile(&ctx, req, &resp);
  });
  std::this_thread::sleep_for(300ms);  // both wait on the channel's worker now

  Write(Yaml(""));
  v1::ReloadConfigResponse reloaded;
  const auto started = std::chrono::steady_clock::now();
  const grpc::Status st = Reload(&reloaded);
  resync.join();
  reconcile.join();
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 10s)
      << "the hung push is interrupted, not waited for";
  ASSERT_EQ(reloaded.applied().adapters_removed_size(), 1);
  EXPECT_EQ(reloaded.applied().adapters_removed(0), "amazon");
  EXPECT_EQ(resync_st.error_code(), StatusCode::UNAVAILABLE) << resync_st.error_message();
  EXPECT_EQ(reconcile_st.error_code(), StatusCode::UNAVAILABLE) << reconcile_st.error_message();

  // The daemon serves on; the channel has no adapter to push or resync with.
  EXPECT_TRUE(Count(Sku(1), 7).ok());
  EXPECT_EQ(PublishedToAmazon()[Sku(1)], 7);
  EXPECT_TRUE(PushedChannels().empty());
  grpc::ClientContext ctx;
  Deadline(&ctx);
  v1::ResyncRequest req;
  req.set_channel("amazon");
  v1::ResyncResponse resp;
  EXPECT_EQ(stub_->Resync(&ctx, req, &resp).error_code(), StatusCode::FAILED_PRECONDITION);
}

TEST_F(ReloadAdaptersTest, ANewWebhookUrlGetsTheNextPushesAndNothingAcknowledgedAgain) {
  ASSERT_NO_FATAL_FAILURE(StartDaemon(Yaml(WebhookTo(first_))));
  for (int i = 0; i < kSkus; ++i) ASSERT_TRUE(Count(Sku(i), 20).ok());
  std::map<std::string, int64_t> shown, published;
  ASSERT_TRUE(WaitInSync(first_, &shown, &published));
  const size_t first_requests = first_.RequestCount();

  Write(Yaml(WebhookTo(second_)));
  v1::ReloadConfigResponse reloaded;
  const grpc::Status st = Reload(&reloaded);
  ASSERT_TRUE(st.ok()) << st.error_message();
  ASSERT_EQ(reloaded.applied().adapters_changed_size(), 1);
  EXPECT_EQ(reloaded.applied().adapters_changed(0), "amazon");

  ASSERT_TRUE(Count(Sku(5), 4).ok());
  ASSERT_TRUE(second_.WaitForQuantity(Sku(5), 4, 10s));
  // Pushes leave in order: had the new pusher re-sent anything acknowledged, it would
  // have been queued (and sent) before this change.
  std::vector<fakes::ReceivedBatch> batches = second_.Batches();
  ASSERT_FALSE(batches.empty());
  for (const fakes::ReceivedBatch& b : batches) {
    for (const fakes::ReceivedItem& item : b.items) EXPECT_EQ(item.sku, Sku(5));
  }
  EXPECT_EQ(first_.RequestCount(), first_requests) << "the old endpoint gets nothing more";
}

TEST_F(ReloadAdaptersTest, OrderPollingAndAWebhookRouteStartWithTheReload) {
  ASSERT_NO_FATAL_FAILURE(StartDaemon(Yaml("")));
  for (int i = 0; i < kSkus; ++i) ASSERT_TRUE(Count(Sku(i), 10).ok());
  EXPECT_EQ(daemon_->orders()->webhook_port(), 0) << "no channel has webhook deliveries yet";
  ASSERT_TRUE(first_.orders().PlaceOrder("amazon", "A-1", {{Sku(3), 2, ""}}).ok());
  ASSERT_TRUE(first_.orders().PlaceOrder("webshop", "W-1", {{Sku(4), 1, ""}}).ok());

  const std::string secret = dir_.path() + "/hook.secret";
  std::ofstream(secret) << "s3cret\n";
  ASSERT_EQ(chmod(secret.c_str(), 0600), 0);
  Write(Yaml(
      WebhookTo(first_) + "\n    orders: {poll_interval: 50ms}", 100,
      absl::StrCat(", orders: {webhook: {signature: stockd, secret_file: \"", secret, "\"}}")));
  v1::ReloadConfigResponse reloaded;
  const grpc::Status st = Reload(&reloaded);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(std::vector<std::string>(reloaded.applied().orders_changed().begin(),
                                     reloaded.applied().orders_changed().end()),
            (std::vector<std::string>{"webshop", "amazon"}));

  // amazon's order, polled: a hold of 2.
  EXPECT_TRUE(Eventually([&] { return PublishedToAmazon()[Sku(3)] == 8; }));
  // webshop's, delivered to the receiver the reload started.
  const int port = daemon_->orders()->webhook_port();
  ASSERT_GT(port, 0);
  fakes::DeliveryOptions options;
  options.channel = "webshop";
  absl::StatusOr<fakes::DeliveryReport> delivered = fakes::DeliverOrders(
      first_.orders(), absl::StrCat("http://127.0.0.1:", port, "/orders/webshop"), "s3cret",
      options);
  ASSERT_TRUE(delivered.ok()) << delivered.status();
  EXPECT_EQ(delivered->statuses, std::vector<int>{200});
  EXPECT_EQ(Published("webshop")[Sku(4)], 9);

  // Both go again with the next reload: polling stops, the route answers 404.
  Write(Yaml(""));
  ASSERT_TRUE(Reload(&reloaded).ok());
  EXPECT_EQ(daemon_->orders()->worker("amazon"), nullptr);
  delivered = fakes::DeliverOrders(first_.orders(),
                                   absl::StrCat("http://127.0.0.1:", port, "/orders/webshop"),
                                   "s3cret", options);
  ASSERT_TRUE(delivered.ok()) << delivered.status();
  EXPECT_EQ(delivered->statuses, std::vector<int>{404});
}

TEST_F(ReloadAdaptersTest, WebhookDeliveriesWithoutAReceiverAddressAreRefused) {
  // Started without orders.listen: the receiver's address is restart-only.
  const std::string no_listen = "orders: {listen: \"127.0.0.1:0\"}\n";
  std::string yaml = Yaml("");
  ASSERT_TRUE(absl::StrContains(yaml, no_listen));
  ASSERT_NO_FATAL_FAILURE(StartDaemon(absl::StrReplaceAll(yaml, {{no_listen, ""}})));
  for (int i = 0; i < kSkus; ++i) ASSERT_TRUE(Count(Sku(i), 10).ok());
  const std::string secret = dir_.path() + "/hook.secret";
  std::ofstream(secret) << "s3cret\n";
  ASSERT_EQ(chmod(secret.c_str(), 0600), 0);
  // The new file sets orders.listen too, and halves amazon's share: nothing is applied.
  Write(Yaml(
      "", 50,
      absl::StrCat(", orders: {webhook: {signature: stockd, secret_file: \"", secret, "\"}}")));
  v1::ReloadConfigResponse reloaded;
  const grpc::Status st = Reload(&reloaded);
  EXPECT_EQ(st.error_code(), StatusCode::FAILED_PRECONDITION) << st.error_message();
  EXPECT_TRUE(absl::StrContains(st.error_message(), "stockd.yaml:")) << st.error_message();
  EXPECT_TRUE(
      absl::StrContains(st.error_message(), "orders.listen takes effect at the next restart"))
      << st.error_message();
  EXPECT_EQ(daemon_->orders()->webhook_port(), 0);
  EXPECT_EQ(PublishedToAmazon()[Sku(0)], 10);
}

TEST_F(ReloadAdaptersTest, AnAdapterThatCannotBeLoadedRefusesTheWholeReload) {
  ASSERT_NO_FATAL_FAILURE(StartDaemon(Yaml("")));
  for (int i = 0; i < kSkus; ++i) ASSERT_TRUE(Count(Sku(i), 10).ok());
  const struct {
    std::string adapter;
    StatusCode code;
    std::string says;
  } cases[] = {
      {"    adapter: {plugin: nosuch}", StatusCode::FAILED_PRECONDITION, "nosuch"},
      {"    adapter: {plugin: webhook, config: {url: \"http://127.0.0.1:1/stock\", bogus: 1}}",
       StatusCode::INVALID_ARGUMENT, "bogus"},
      {absl::StrCat("    adapter: {plugin: webhook, listings: ", dir_.path(),
                    "/absent.csv, config: {url: \"http://127.0.0.1:1/stock\"}}"),
       StatusCode::FAILED_PRECONDITION, "absent.csv"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.adapter);
    // The same file halves amazon's share: none of it may be applied.
    Write(Yaml(c.adapter, 50));
    v1::ConfigDiff diff;
    const grpc::Status dry = Diff(&diff);
    EXPECT_EQ(dry.error_code(), c.code) << dry.error_message();
    v1::ReloadConfigResponse reloaded;
    const grpc::Status st = Reload(&reloaded);
    EXPECT_EQ(st.error_code(), c.code) << st.error_message();
    EXPECT_TRUE(absl::StrContains(st.error_message(), c.says)) << st.error_message();
    EXPECT_TRUE(absl::StrContains(st.error_message(), "stockd.yaml:")) << st.error_message();
    EXPECT_EQ(PublishedToAmazon()[Sku(0)], 10);
    EXPECT_TRUE(PushedChannels().empty());
  }
}

}  // namespace
}  // namespace stockd
