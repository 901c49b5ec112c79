// Order ingestion end to end: a real daemon on a real redis-server (external, so the test
// can stop it), the real webhook plugin polling the fake marketplace's order book. Orders
// placed on the fake become engine holds with exact counters; replays change nothing; a
// restart resumes from the durable cursor; an order with an unmapped listing is parked
// (listed, in Redis) and applied once the listings file maps it; with Redis stopped the
// apply fails, the cursor stays, and the page is re-polled later with nothing counted twice.
// Orders delivered to the daemon's webhook receiver (signed, duplicated, out of order, and
// the same orders polled too) are applied once; a bad signature or an unknown channel
// changes nothing.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "daemon/config/config.h"
#include "daemon/orders/orders.h"
#include "daemon/server/daemon.h"
#include "tests/fakes/fake_channel_server.h"
#include "tests/fakes/order_delivery.h"
#include "tests/support/redis_fixture.h"
#include "tests/support/test_model.h"

namespace stockd {
namespace {

using namespace std::chrono_literals;
using fakes::FakeChannelServer;
using fakes::FakeOrderStatus;

class OrdersE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.ok());
    char tmpl[] = "/tmp/stockd-orders-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    std::ofstream(dir_ + "/secret") << "s3cret\n";
    ASSERT_EQ(chmod((dir_ + "/secret").c_str(), 0600), 0);  // the receiver refuses 0644
    fake_ = std::make_unique<FakeChannelServer>(FakeChannelServer::Options{"s3cret", 0});
    std::string error;
    ASSERT_TRUE(fake_->Start(&error)) << error;
    WriteListings("sku,listing_id\nSKU-1,L-1\nSKU-2,L-2\n");
  }
  void TearDown() override {
    daemon_.reset();
    fake_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Rewrites the listings file with a surely later mtime.
  void WriteListings(const std::string& text) {
    const std::string path = dir_ + "/listings.csv";
    std::ofstream(path, std::ios::trunc) << text;
    std::filesystem::last_write_time(
        path, std::filesystem::file_time_type::clock::now() + std::chrono::seconds(++bump_));
  }

  // `orders` is the amazon channel's orders section; `webhook` adds the receiver, with
  // the web channel (no adapter) delivering by webhook only.
  void Start(const std::string& orders = "{poll_interval: 50ms}", bool webhook = false) {
    absl::StatusOr<std::unique_ptr<server::Daemon>> d = TryStart(orders, webhook);
    ASSERT_TRUE(d.ok()) << d.status();
    daemon_ = *std::move(d);
  }
  absl::StatusOr<std::unique_ptr<server::Daemon>> TryStart(const std::string& orders,
                                                           bool webhook) {
    last_orders_ = orders;
    last_webhook_ = webhook;
    const std::string hook = "{signature: stockd, secret_file: \"" + dir_ + "/secret\"}";
    const std::string yaml = R"yaml(
server: {listen: "127.0.0.1:0", drain_timeout: 1s}
)yaml" + std::string(webhook ? "orders: {listen: \"127.0.0.1:0\", deadline: 2s}\n" : "") +
                             R"yaml(
redis: {mode: external, address: ")yaml" +
                             redis_.address() +
                             R"yaml(", timeout: 1s}
plugin_dir: )yaml" + std::string(STOCKD_BINARY_DIR) +
                             R"yaml(/plugins
locations:
  - {id: wh, type: warehouse}
channels:
  - id: amazon
    type: marketplace
    sources: [wh]
    adapter:
      plugin: webhook
      config: {url: ")yaml" + fake_->url() +
                             R"yaml(", secret_file: ")yaml" + dir_ +
                             R"yaml(/secret", timeout_ms: 500, connect_timeout_ms: 200}
      listings: )yaml" + dir_ +
                             R"yaml(/listings.csv
    orders: )yaml" + orders + R"yaml(
  - id: web
    type: webshop
    sources: [wh]
)yaml" + (webhook ? "    orders: {webhook: " + hook + "}\n" : "");
    absl::StatusOr<config::Config> config = config::ParseConfig(yaml, "orders.yaml");
    if (!config.ok()) return config.status();
    return server::Daemon::Start(*config);
  }
  void Restart() {
    daemon_->Shutdown();
    daemon_.reset();
    Start(last_orders_, last_webhook_);
  }
  std::string ReceiverUrl(const std::string& channel) {
    return absl::StrCat("http://127.0.0.1:", daemon_->orders()->webhook_port(), "/orders/",
                        channel);
  }
  // Delivers every order of `channel` on the fake to the daemon's receiver.
  fakes::DeliveryReport Deliver(const std::string& channel, const std::string& secret,
                                int duplicates = 0, uint64_t shuffle_seed = 0) {
    fakes::DeliveryOptions options;
    options.channel = channel;
    options.duplicates = duplicates;
    options.shuffle_seed = shuffle_seed;
    absl::StatusOr<fakes::DeliveryReport> report =
        fakes::DeliverOrders(fake_->orders(), ReceiverUrl(channel), secret, options);
    EXPECT_TRUE(report.ok()) << report.status();
    return report.ok() ? *std::move(report) : fakes::DeliveryReport{};
  }

  void Count(const std::string& sku, int64_t n) {
    absl::StatusOr<engine::Outcome> out =
        daemon_->engine()->ExecuteAndWait(testing::Cmd(testing::Count("wh", sku, n)));
    ASSERT_TRUE(out.ok()) << out.status();
  }
  std::string Counters(const std::string& sku) {
    absl::StatusOr<std::vector<engine::RowView>> rows = daemon_->engine()->GetStock(sku, {"wh"});
    if (!rows.ok() || rows->empty()) return "none";
    const engine::Counters& c = (*rows)[0].counters;
    return absl::StrCat(c.on_hand, "/", c.held, "/", c.committed);
  }
  orders::WorkerStats Stats() { return daemon_->orders()->worker("amazon")->Stats(); }
  std::string StoredCursor() {
    absl::StatusOr<std::vector<std::string>> r =
        redis_.Command({"HGET", "{stockd}:orders:cursor", "amazon"});
    return r.ok() && r->size() == 1 ? (*r)[0] : "<error>";
  }
  void Place(const std::string& id, std::vector<fakes::NewOrderLine> lines,
             FakeOrderStatus status = FakeOrderStatus::kPending) {
    ASSERT_TRUE(fake_->orders().PlaceOrder("amazon", id, lines, status).ok());
  }

  // Polls `what` until it holds (the workers poll every 50 ms).
  ::testing::AssertionResult Eventually(const std::function<bool()>& what,
                                        const std::string& describe,
                                        std::chrono::seconds timeout = 20s) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
      if (what()) return ::testing::AssertionSuccess();
      std::this_thread::sleep_for(10ms);
    }
    return ::testing::AssertionFailure() << "timed out waiting for " << describe;
  }
  // Waits for a poll that started after now and was all durable.
  ::testing::AssertionResult APollCompletes() {
    const int64_t polls = Stats().polls;
    return Eventually([&] { return Stats().polls >= polls + 2; }, "two more complete polls");
  }

  stockd::testing::TestRedis redis_;
  std::string dir_;
  int bump_ = 0;
  std::string last_orders_;
  bool last_webhook_ = false;
  std::unique_ptr<FakeChannelServer> fake_;
  std::unique_ptr<server::Daemon> daemon_;
};

TEST_F(OrdersE2ETest, OrdersBecomeHoldsOnceAndARestartResumesFromTheDurableCursor) {
  Start();
  Count("SKU-1", 10);
  Count("SKU-2", 10);
  Place("O-1", {{"L-1", 2, ""}});
  Place("O-2", {{"L-2", 1, ""}}, FakeOrderStatus::kAccepted);
  ASSERT_TRUE(Eventually([&] { return Counters("SKU-1") == "10/2/0"; }, "O-1 held"));
  ASSERT_TRUE(Eventually([&] { return Counters("SKU-2") == "10/0/1"; }, "O-2 committed"));
  ASSERT_TRUE(APollCompletes());
  // Re-polls changed nothing.
  EXPECT_EQ(Counters("SKU-1"), "10/2/0");
  EXPECT_EQ(Counters("SKU-2"), "10/0/1");
  orders::WorkerStats stats = Stats();
  EXPECT_EQ(stats.seen, 2);
  EXPECT_EQ(stats.applied, 2);
  EXPECT_EQ(stats.bad, 0);
  EXPECT_EQ(StoredCursor(), stats.cursor);
  EXPECT_FALSE(stats.cursor.empty());

  daemon_->Shutdown();
  ASSERT_TRUE(fake_->orders().AcceptOrder("amazon", "O-1").ok());
  Restart();
  ASSERT_TRUE(Eventually([&] { return Counters("SKU-1") == "10/0/2"; }, "O-1 committed"));
  ASSERT_TRUE(APollCompletes());
  stats = Stats();
  EXPECT_EQ(stats.seen, 1);  // only O-1's new revision: polled from the stored cursor
  EXPECT_EQ(stats.applied, 1);
  EXPECT_EQ(Counters("SKU-2"), "10/0/1");
}

TEST_F(OrdersE2ETest, AnUnmappedOrderIsParkedAndAppliedOnceTheListingsFileMapsIt) {
  Start();
  Count("SKU-1", 10);
  Count("SKU-3", 10);
  Place("O-3", {{"L-1", 1, ""}, {"L-3", 2, ""}});
  ASSERT_TRUE(
      Eventually([&] { return daemon_->orders()->ListUnmapped().size() == 1; }, "O-3 parked"));
  std::vector<orders::UnmappedOrder> unmapped = daemon_->orders()->ListUnmapped();
  EXPECT_EQ(unmapped[0].order_id, "O-3");
  EXPECT_EQ(unmapped[0].revision, 1);
  EXPECT_EQ(unmapped[0].listing_ids, std::vector<std::string>{"L-3"});
  absl::StatusOr<std::vector<std::string>> raw =
      redis_.Command({"HEXISTS", "{stockd}:orders:unmapped", "amazon O-3"});
  ASSERT_TRUE(raw.ok()) << raw.status();
  EXPECT_EQ(*raw, std::vector<std::string>{"1"});
  ASSERT_TRUE(APollCompletes());  // parked is durable: the cursor moves past it
  EXPECT_EQ(Counters("SKU-1"), "10/0/0");
  EXPECT_EQ(Stats().parked, 1);

  // Parked survives a restart.
  Restart();
  EXPECT_EQ(daemon_->orders()->ListUnmapped().size(), 1u);

  WriteListings("sku,listing_id\nSKU-1,L-1\nSKU-2,L-2\nSKU-3,L-3\n");
  ASSERT_TRUE(Eventually([&] { return daemon_->orders()->ListUnmapped().empty(); },
                         "O-3 applied and unparked"));
  EXPECT_EQ(Counters("SKU-3"), "10/2/0");
  EXPECT_EQ(Counters("SKU-1"), "10/1/0");
  raw = redis_.Command({"HLEN", "{stockd}:orders:unmapped"});
  ASSERT_TRUE(raw.ok()) << raw.status();
  EXPECT_EQ(*raw, std::vector<std::string>{"0"});
}

TEST_F(OrdersE2ETest, WithRedisStoppedTheCursorStaysAndThePageIsReadAgain) {
  Start();
  Count("SKU-1", 10);
  Place("O-1", {{"L-1", 1, ""}});
  ASSERT_TRUE(Eventually([&] { return Counters("SKU-1") == "10/1/0"; }, "O-1 held"));
  ASSERT_TRUE(APollCompletes());
  const std::string cursor = StoredCursor();

  redis_.Stop();
  Place("O-2", {{"L-1", 2, ""}});
  Place("O-3", {{"L-1", 3, ""}}, FakeOrderStatus::kAccepted);
  ASSERT_TRUE(Eventually([&] { return Stats().failed_polls > 0; }, "a failed poll"));
  EXPECT_NE(Stats().last_error, "");
  EXPECT_EQ(Stats().cursor, cursor);  // not moved past orders that are not durable

  ASSERT_TRUE(redis_.Restart().ok());
  ASSERT_TRUE(Eventually([&] { return Counters("SKU-1") == "10/3/3"; }, "O-2, O-3 applied"));
  ASSERT_TRUE(APollCompletes());
  EXPECT_EQ(Counters("SKU-1"), "10/3/3");  // once each
  EXPECT_NE(StoredCursor(), cursor);
  EXPECT_EQ(StoredCursor(), Stats().cursor);
  EXPECT_EQ(Stats().last_error, "");
}

// The same orders by poll and by webhook, each webhook event three times and shuffled:
// one hold per order, exact counters.
TEST_F(OrdersE2ETest, OrdersPolledAndDeliveredByWebhookAreAppliedOnce) {
  Start("{poll_interval: 50ms, webhook: {signature: stockd, secret_file: \"" + dir_ + "/secret\"}}",
        /*webhook=*/true);
  ASSERT_GT(daemon_->orders()->webhook_port(), 0);
  Count("SKU-1", 10);
  Count("SKU-2", 10);
  Place("O-1", {{"L-1", 2, ""}});
  Place("O-2", {{"L-2", 1, ""}}, FakeOrderStatus::kAccepted);
  Place("O-3", {{"L-1", 3, ""}, {"L-2", 2, ""}});
  // The fake sends each order's latest revision: deliver, change, deliver again.
  fakes::DeliveryReport report = Deliver("amazon", "s3cret", /*duplicates=*/2, /*seed=*/7);
  EXPECT_EQ(report.statuses, std::vector<int>(9, 200));  // 3 orders, 3 times each
  ASSERT_TRUE(fake_->orders().AcceptOrder("amazon", "O-1").ok());
  ASSERT_TRUE(fake_->orders().CancelOrder("amazon", "O-3").ok());
  report = Deliver("amazon", "s3cret", /*duplicates=*/2, /*seed=*/8);
  EXPECT_EQ(report.statuses, std::vector<int>(9, 200));
  ASSERT_TRUE(APollCompletes());
  EXPECT_EQ(Counters("SKU-1"), "10/0/2");
  EXPECT_EQ(Counters("SKU-2"), "10/0/1");
  absl::StatusOr<engine::OrderView> o3 = daemon_->engine()->GetOrder("amazon", "O-3");
  ASSERT_TRUE(o3.ok()) << o3.status();
  EXPECT_TRUE(o3->closed);
  EXPECT_EQ(daemon_->engine()->ListHolds(engine::HoldFilter{}).size(), 2u);  // O-1, O-2

  // Delivered again after a restart (the receiver's remembered event ids are gone, the
  // order table is not): still once.
  Restart();
  report = Deliver("amazon", "s3cret", /*duplicates=*/0, /*seed=*/11);
  EXPECT_EQ(report.statuses, std::vector<int>(3, 200));
  EXPECT_EQ(Counters("SKU-1"), "10/0/2");
  EXPECT_EQ(Counters("SKU-2"), "10/0/1");
  EXPECT_EQ(daemon_->engine()->ListHolds(engine::HoldFilter{}).size(), 2u);
}

// A channel that only delivers (no adapter): bad or missing signature 401, unknown
// channel 404, nothing applied; the right signature applies.
TEST_F(OrdersE2ETest, AWebhookOnlyChannelRefusesWhatIsNotSignedByItsSecret) {
  Start("{poll_interval: 0s}", /*webhook=*/true);
  Count("SKU-1", 10);
  ASSERT_TRUE(
      fake_->orders().PlaceOrder("web", "W-1", {{"SKU-1", 4, ""}}, FakeOrderStatus::kPending).ok());
  fakes::DeliveryReport report = Deliver("web", "another secret");
  EXPECT_EQ(report.statuses, std::vector<int>{401});
  report = Deliver("web", "");
  EXPECT_EQ(report.statuses, std::vector<int>{401});
  EXPECT_EQ(Counters("SKU-1"), "10/0/0");
  fakes::DeliveryOptions options;
  options.channel = "web";
  absl::StatusOr<fakes::DeliveryReport> unknown =
      fakes::DeliverOrders(fake_->orders(), ReceiverUrl("no-such-channel"), "s3cret", options);
  ASSERT_TRUE(unknown.ok()) << unknown.status();
  EXPECT_EQ(unknown->statuses, std::vector<int>{404});
  EXPECT_EQ(Counters("SKU-1"), "10/0/0");
  EXPECT_EQ(daemon_->engine()->GetOrder("web", "W-1").status().code(), absl::StatusCode::kNotFound);

  report = Deliver("web", "s3cret", /*duplicates=*/1);
  EXPECT_EQ(report.statuses, (std::vector<int>{200, 200}));
  EXPECT_EQ(Counters("SKU-1"), "10/4/0");
}

// The receiver's secrets are read at start: a file others may read, or a webhook with no
// receiver address, stops the start naming the channel's config line.
TEST_F(OrdersE2ETest, AWebhookSecretOthersMayReadOrNoReceiverStopsTheStart) {
  ASSERT_EQ(chmod((dir_ + "/secret").c_str(), 0644), 0);
  absl::StatusOr<std::unique_ptr<server::Daemon>> d = TryStart("{poll_interval: 0s}", true);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), absl::StatusCode::kFailedPrecondition) << d.status();
  EXPECT_EQ(d.status().message().rfind("orders.yaml:", 0), 0u) << d.status();
  EXPECT_NE(d.status().message().find("channel 'web'"), std::string::npos) << d.status();
  EXPECT_NE(d.status().message().find(dir_ + "/secret"), std::string::npos) << d.status();

  ASSERT_EQ(chmod((dir_ + "/secret").c_str(), 0600), 0);
  d = TryStart(
      "{poll_interval: 0s, webhook: {signature: shopify, secret_file: \"" + dir_ + "/secret\"}}",
      false);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument) << d.status();
  EXPECT_NE(d.status().message().find(
                "channel 'amazon': orders.webhook needs the receiver: set the top-level "
                "orders.listen"),
            std::string::npos)
      << d.status();
}

}  // namespace
}  // namespace stockd
