// Three-way reconciliation end to end: a real daemon on a real redis-server, the real
// webhook plugin against the fake marketplace and its order book. A scripted channel has
// one SKU in sync (ok), one with an order placed on the channel that stockd has not
// ingested (in_flight: the channel's orders are not polled), one whose listing was edited
// on the channel (drift, corrected by the push the reconcile queues) and one the channel
// does not know (unknown_listing); the counts are exact over gRPC and in stockctl's table.
// Also: the RPC's errors, and the periodic option.
#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "daemon/config/config.h"
#include "daemon/server/daemon.h"
#include "stockd/v1/stockd.grpc.pb.h"
#include "tests/fakes/fake_channel_server.h"
#include "tests/support/redis_fixture.h"
#include "tests/support/stockctl_runner.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_model.h"

namespace stockd {
namespace {

using namespace std::chrono_literals;
using fakes::Behaviour;
using fakes::FakeChannelServer;

class ReconcileE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.ok());
    std::ofstream(dir_.path() + "/secret") << "s3cret\n";
    std::ofstream(dir_.path() + "/listings.csv")
        << "sku,listing_id\nSKU-OK,L-OK\nSKU-ORD,L-ORD\nSKU-EDIT,L-EDIT\nSKU-GONE,L-GONE\n";
    fake_ = std::make_unique<FakeChannelServer>(FakeChannelServer::Options{"s3cret", 0});
    std::string error;
    ASSERT_TRUE(fake_->Start(&error)) << error;
  }
  void TearDown() override {
    if (daemon_) daemon_->Shutdown();
    daemon_.reset();
    fake_.reset();
  }

  // The channel's orders are not polled (poll_interval 0): an order placed on the fake
  // stays un-ingested, so the reconcile counts it.
  void Start(const std::string& reconcile_every = "0s") {
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
                             R"yaml(", secret_file: ")yaml" + dir_.path() +
                             R"yaml(/secret", timeout_ms: 500, connect_timeout_ms: 200}
      listings: )yaml" + dir_.path() +
                             R"yaml(/listings.csv
      coalesce_window: 0s
    orders: {poll_interval: 0s}
    reconcile_every: )yaml" + reconcile_every +
                             R"yaml(
  - {id: web, type: webshop, sources: [wh]}
)yaml";
    absl::StatusOr<config::Config> config = config::ParseConfig(yaml, "reconcile.yaml");
    ASSERT_TRUE(config.ok()) << config.status();
    absl::StatusOr<std::unique_ptr<server::Daemon>> d = server::Daemon::Start(*config);
    ASSERT_TRUE(d.ok()) << d.status();
    daemon_ = *std::move(d);
    addr_ = "127.0.0.1:" + std::to_string(daemon_->port());
    stub_ = v1::Stock::NewStub(grpc::CreateChannel(addr_, grpc::InsecureChannelCredentials()));
  }

  void Count(const std::string& sku, int64_t n) {
    absl::StatusOr<engine::Outcome> out =
        daemon_->engine()->ExecuteAndWait(testing::Cmd(testing::Count("wh", sku, n)));
    ASSERT_TRUE(out.ok()) << out.status();
  }
  int64_t Shown(const std::string& listing) {
    return fake_->ChannelQuantity("amazon", listing).value_or(-1);
  }

  ::testing::AssertionResult Eventually(const std::function<bool()>& what,
                                        const std::string& describe) {
    const auto end = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < end) {
      if (what()) return ::testing::AssertionSuccess();
      std::this_thread::sleep_for(10ms);
    }
    return ::testing::AssertionFailure() << "timed out waiting for " << describe;
  }

  // SKU-GONE's push is refused for good (the channel has no such listing: never stored),
  // the other three are pushed (10 each) and acknowledged; then an order of 3 SKU-ORD is
  // placed on the channel (its number drops to 7) and L-EDIT is edited to 25 there.
  void ScriptTheChannel() {
    // Every request of the test refuses L-GONE (GETs are answered as usual), so a
    // periodic reconcile's fetch or poll cannot use the refusal up before the push.
    for (int i = 0; i < 1000; ++i) fake_->Enqueue(Behaviour::PerItemError("L-GONE"));
    Count("SKU-GONE", 10);
    ASSERT_TRUE(Eventually(
        [&] { return daemon_->engine() != nullptr && PushStatus().items_permanent() == 1; },
        "SKU-GONE refused"));
    for (const char* sku : {"SKU-OK", "SKU-ORD", "SKU-EDIT"}) Count(sku, 10);
    ASSERT_TRUE(Eventually(
        [&] {
          return Shown("L-OK") == 10 && Shown("L-ORD") == 10 && Shown("L-EDIT") == 10 &&
                 PushStatus().dirty() == 0 && PushStatus().acknowledged() == 3;
        },
        "three SKUs pushed and acknowledged"));
    ASSERT_TRUE(fake_->orders().PlaceOrder("amazon", "O-1", {{"L-ORD", 3, ""}}).ok());
    ASSERT_EQ(Shown("L-ORD"), 7);
    fake_->SetChannelQuantity("amazon", "L-EDIT", 25);
  }

  v1::PushStatus PushStatus() {
    grpc::ClientContext ctx;
    v1::GetPushStatusRequest req;
    req.set_channel("amazon");
    v1::GetPushStatusResponse resp;
    grpc::Status st = stub_->GetPushStatus(&ctx, req, &resp);
    return st.ok() && resp.channels_size() == 1 ? resp.channels(0) : v1::PushStatus();
  }

  grpc::Status Reconcile(const std::string& channel, v1::ReconcileResponse* resp) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 30s);
    v1::ReconcileRequest req;
    req.set_channel(channel);
    return stub_->Reconcile(&ctx, req, resp);
  }

  std::string Stockctl(const std::string& args) {
    return stockd::testing::RunStockctl(addr_, args, &last_exit_);
  }

  stockd::testing::TestRedis redis_;
  stockd::testing::TempDir dir_{"stockd-reconcile"};
  std::unique_ptr<FakeChannelServer> fake_;
  std::unique_ptr<server::Daemon> daemon_;
  std::string addr_;
  std::unique_ptr<v1::Stock::Stub> stub_;
  int last_exit_ = -1;
};

// "SKU LISTING PUBLISHED ACKED CHANNEL UNINGESTED CLASS" of a row.
std::string Row(const v1::ReconcileRow& r) {
  return absl::StrJoin({r.sku(), r.listing_id(), std::to_string(r.published()),
                        std::to_string(r.acked()), std::to_string(r.channel()),
                        std::to_string(r.uningested()), v1::ReconcileRow::Class_Name(r.class_())},
                       " ");
}

// The lines of `text` with runs of spaces squeezed to one (the table's alignment aside).
std::vector<std::string> Squeezed(const std::string& text) {
  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    lines.push_back(absl::StrJoin(absl::StrSplit(line, ' ', absl::SkipEmpty()), " "));
  }
  return lines;
}

TEST_F(ReconcileE2ETest, ClassifiesAScriptedMixExactlyAndCorrectsTheDrift) {
  Start();
  ScriptTheChannel();

  v1::ReconcileResponse resp;
  grpc::Status st = Reconcile("amazon", &resp);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(resp.channel(), "amazon");
  EXPECT_TRUE(resp.orders_polled());
  EXPECT_EQ(resp.ok(), 1);
  EXPECT_EQ(resp.in_flight(), 1);
  EXPECT_EQ(resp.drift(), 1);
  EXPECT_EQ(resp.unknown_listing(), 1);
  EXPECT_FALSE(resp.rows_truncated());
  std::vector<std::string> rows;
  for (const v1::ReconcileRow& r : resp.rows()) rows.push_back(Row(r));
  EXPECT_EQ(rows, (std::vector<std::string>{
                      "SKU-EDIT L-EDIT 10 10 25 0 DRIFT",
                      "SKU-GONE L-GONE 10 -1 -1 0 UNKNOWN_LISTING",
                      "SKU-OK L-OK 10 10 10 0 OK",
                      "SKU-ORD L-ORD 10 10 7 3 IN_FLIGHT",
                  }));

  // The drift was queued: the push puts 10 back on the channel. Nothing else moved.
  ASSERT_TRUE(Eventually([&] { return Shown("L-EDIT") == 10 && PushStatus().dirty() == 0; },
                         "the drifted listing corrected"));
  EXPECT_EQ(Shown("L-ORD"), 7);
  EXPECT_EQ(Shown("L-GONE"), -1);
  EXPECT_EQ(daemon_->engine()->GetOrder("amazon", "O-1").status().code(),
            absl::StatusCode::kNotFound);  // the reconcile ingests nothing

  // stockctl: the aligned table, then the counts.
  const std::string out = Stockctl("reconcile amazon");
  EXPECT_EQ(last_exit_, 0) << out;
  std::vector<std::string> lines = Squeezed(out);
  ASSERT_EQ(lines.size(), 7u) << out;
  EXPECT_EQ(lines[1], "SKU LISTING PUBLISHED ACKED CHANNEL UN-INGESTED CLASS");
  EXPECT_EQ(lines[2], "SKU-EDIT L-EDIT 10 10 10 0 ok");
  EXPECT_EQ(lines[3], "SKU-GONE L-GONE 10 - - 0 unknown_listing");
  EXPECT_EQ(lines[4], "SKU-OK L-OK 10 10 10 0 ok");
  EXPECT_EQ(lines[5], "SKU-ORD L-ORD 10 10 7 3 in_flight");
  EXPECT_EQ(lines[6], "ok 2, in_flight 1, drift 0, unknown_listing 1");
  // The columns line up: every row's CLASS starts where the header's does.
  std::vector<std::string> raw = absl::StrSplit(out, '\n', absl::SkipEmpty());
  const size_t at = raw[1].find("CLASS");
  ASSERT_NE(at, std::string::npos) << out;
  for (size_t i = 2; i < 6; ++i) {
    ASSERT_GT(raw[i].size(), at) << raw[i];
    EXPECT_EQ(raw[i][at - 1], ' ') << raw[i];
    EXPECT_NE(raw[i][at], ' ') << raw[i];
  }

  const std::string json = Stockctl("--json reconcile amazon");
  EXPECT_EQ(last_exit_, 0) << json;
  v1::ReconcileResponse parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &parsed).ok()) << json;
  EXPECT_EQ(parsed.ok(), 2);
  EXPECT_EQ(parsed.in_flight(), 1);
  EXPECT_EQ(parsed.drift(), 0);
  EXPECT_EQ(parsed.unknown_listing(), 1);
  EXPECT_EQ(parsed.rows_size(), 4);
}

TEST_F(ReconcileE2ETest, RefusalsAreExact) {
  Start();
  v1::ReconcileResponse resp;
  EXPECT_EQ(Reconcile("", &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  grpc::Status st = Reconcile("ebay", &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(st.error_message(), "unknown channel 'ebay'");
  st = Reconcile("web", &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(st.error_message(), "channel 'web' has no adapter to reconcile with");
  // The channel cannot be reached: UNAVAILABLE, and nothing is queued.
  Count("SKU-OK", 4);
  ASSERT_TRUE(
      Eventually([&] { return Shown("L-OK") == 4 && PushStatus().dirty() == 0; }, "SKU-OK pushed"));
  fake_->Stop();
  st = Reconcile("amazon", &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAVAILABLE) << st.error_message();
  EXPECT_EQ(PushStatus().dirty(), 0);
  const std::string out = Stockctl("reconcile amazon");
  EXPECT_NE(last_exit_, 0) << out;
  EXPECT_NE(out.find("UNAVAILABLE"), std::string::npos) << out;
}

TEST_F(ReconcileE2ETest, ThePeriodicOptionReconcilesOnItsOwn) {
  Start("200ms");
  ScriptTheChannel();
  // L-EDIT was pushed once (its count); only a reconcile pushes it again: one that found
  // the edit and queued the correction.
  ASSERT_TRUE(Eventually([&] { return fake_->PushCount("L-EDIT") == 2 && Shown("L-EDIT") == 10; },
                         "the periodic reconcile correcting the drift"));
  const int64_t corrected_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count();
  std::optional<reconcile::Report> report;
  ASSERT_TRUE(Eventually(
      [&] {
        report = daemon_->reconciler()->Last("amazon");
        return report.has_value() && report->time_ms > corrected_ms;
      },
      "a periodic report after the correction"));
  EXPECT_EQ(report->count(reconcile::SkuClass::kOk), 2);
  EXPECT_EQ(report->count(reconcile::SkuClass::kInFlight), 1);
  EXPECT_EQ(report->count(reconcile::SkuClass::kDrift), 0);
  EXPECT_EQ(report->count(reconcile::SkuClass::kUnknownListing), 1);
  EXPECT_EQ(fake_->PushCount("L-EDIT"), 2);
}

}  // namespace
}  // namespace stockd
