// Order ingestion end to end: a real daemon on a real redis-server (external, so the test
// can stop it), the real webhook plugin polling the fake marketplace's order book. Orders
// placed on the fake become engine holds with exact counters; replays change nothing; a
// restart resumes from the durable cursor; an order with an unmapped listing is parked
// (listed, in Redis) and applied once the listings file maps it; with Redis stopped the
// apply fails, the cursor stays, and the page is re-polled later with nothing counted twice.
#include <gtest/gtest.h>

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

  void Start() {
    const std::string yaml = R"yaml(
server: {listen: "127.0.0.1:0", drain_timeout: 1s}
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
    orders: {poll_interval: 50ms}
  - {id: web, type: webshop, sources: [wh]}
)yaml";
    absl::StatusOr<config::Config> config = config::ParseConfig(yaml, "orders.yaml");
    ASSERT_TRUE(config.ok()) << config.status();
    absl::StatusOr<std::unique_ptr<server::Daemon>> d = server::Daemon::Start(*config);
    ASSERT_TRUE(d.ok()) << d.status();
    daemon_ = *std::move(d);
  }
  void Restart() {
    daemon_->Shutdown();
    daemon_.reset();
    Start();
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

}  // namespace
}  // namespace stockd
