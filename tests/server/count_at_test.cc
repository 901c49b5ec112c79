// Counts observed in the past through the API and stockctl, on the daemon's embedded
// default (docs/design.md, "Counts observed in the past"): Count and a Batch's count with
// observed_at_ms net every movement after it, also across a restart (the history is
// stored in Redis); a time in the future is INVALID_ARGUMENT, one before the history (the
// first start) is FAILED_PRECONDITION naming the oldest time; `stockctl count
// --observed-at` and an `observed_at` column of `stockctl import` do the same.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "daemon/config/config.h"
#include "daemon/server/daemon.h"
#include "stockd/v1/stockd.grpc.pb.h"
#include "tests/support/stockctl_runner.h"

namespace stockd {
namespace {

int64_t NowMs() { return absl::ToUnixMillis(absl::Now()); }
void WriteFile(const std::string& path, const std::string& text) { std::ofstream(path) << text; }
std::string Rfc3339(int64_t ms) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixMillis(ms), absl::UTCTimeZone());
}

class CountAtServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/stockd-count-at-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    Start();
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
)yaml");
    absl::StatusOr<config::Config> config = config::ParseConfig(yaml, "t.yaml");
    ASSERT_TRUE(config.ok()) << config.status();
    absl::StatusOr<std::unique_ptr<server::Daemon>> d = server::Daemon::Start(*config);
    ASSERT_TRUE(d.ok()) << d.status();
    daemon_ = std::move(*d);
    addr_ = "127.0.0.1:" + std::to_string(daemon_->port());
    stub_ = v1::Stock::NewStub(grpc::CreateChannel(addr_, grpc::InsecureChannelCredentials()));
  }
  grpc::Status Count(const std::string& location, const std::string& sku, int64_t n,
                     int64_t observed_at, v1::StockRowResponse* resp) {
    grpc::ClientContext ctx;
    v1::CountRequest req;
    req.set_request_id(absl::StrCat("count-", ++ids_));
    req.set_location(location);
    req.set_sku(sku);
    req.set_on_hand(n);
    req.set_observed_at_ms(observed_at);
    return stub_->Count(&ctx, req, resp);
  }
  void Sell(const std::string& channel, const std::string& location, const std::string& sku,
            int64_t qty) {
    grpc::ClientContext ctx;
    v1::SellRequest req;
    req.set_request_id(absl::StrCat("sell-", ++ids_));
    req.set_channel(channel);
    req.set_location(location);
    req.set_sku(sku);
    req.set_qty(qty);
    v1::SellResponse resp;
    grpc::Status st = stub_->Sell(&ctx, req, &resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }
  int64_t OnHand(const std::string& sku, const std::string& location) {
    grpc::ClientContext ctx;
    v1::GetStockRequest req;
    req.set_sku(sku);
    req.add_locations(location);
    v1::GetStockResponse resp;
    grpc::Status st = stub_->GetStock(&ctx, req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return st.ok() && resp.rows_size() == 1 ? resp.rows(0).on_hand() : -1;
  }
  // Waits until the daemon's clock is past `ms` (the same clock: this machine's).
  static void After(int64_t ms) {
    while (NowMs() <= ms) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::string Stockctl(const std::string& args) {
    return stockd::testing::RunStockctl(addr_, args, &exit_);
  }

  std::string dir_, addr_;
  std::unique_ptr<server::Daemon> daemon_;
  std::unique_ptr<v1::Stock::Stub> stub_;
  int ids_ = 0;
  int exit_ = -1;
};

TEST_F(CountAtServerTest, ACountTakenBeforeSalesNetsThem) {
  v1::StockRowResponse resp;
  ASSERT_TRUE(Count("wh", "A", 20, 0, &resp).ok());
  ASSERT_TRUE(Count("store", "A", 6, 0, &resp).ok());
  const int64_t taken = NowMs();
  After(taken);
  Sell("webshop", "wh", "A", 3);
  Sell("pos", "store", "A", 2);
  // The stock take at wh counted 18 (two units had gone missing) before the 3 were sold.
  grpc::Status st = Count("wh", "A", 18, taken, &resp);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(resp.before().on_hand(), 17);
  EXPECT_EQ(resp.after().on_hand(), 15);
  EXPECT_EQ(OnHand("A", "store"), 4);

  // The same through a Batch.
  grpc::ClientContext ctx;
  v1::BatchRequest batch;
  v1::CountRequest* count = batch.add_ops()->mutable_count();
  count->set_request_id("batch-count");
  count->set_location("store");
  count->set_sku("A");
  count->set_on_hand(5);
  count->set_observed_at_ms(taken);
  v1::BatchResponse results;
  ASSERT_TRUE(stub_->Batch(&ctx, batch, &results).ok());
  ASSERT_EQ(results.results_size(), 1);
  EXPECT_EQ(results.results(0).code(), 0) << results.results(0).message();
  EXPECT_EQ(results.results(0).row().after().on_hand(), 3);
}

TEST_F(CountAtServerTest, OutOfRangeTimesArePreciseErrorsAndChangeNothing) {
  v1::StockRowResponse resp;
  ASSERT_TRUE(Count("wh", "A", 20, 0, &resp).ok());
  grpc::Status st = Count("wh", "A", 5, NowMs() + 3'600'000, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << st.error_message();
  EXPECT_TRUE(absl::StrContains(st.error_message(), "in the future")) << st.error_message();
  st = Count("wh", "A", 5, -5, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << st.error_message();
  // Before the daemon first started: no history can net it.
  st = Count("wh", "A", 5, NowMs() - 3'600'000, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << st.error_message();
  EXPECT_TRUE(absl::StrContains(st.error_message(), "the oldest count it can net was observed at"))
      << st.error_message();
  EXPECT_EQ(OnHand("A", "wh"), 20);

  // The history is stored in Redis and reloaded: a count taken before a restart nets the
  // sales on both sides of it; one before the first start is still refused.
  const int64_t taken = NowMs();
  After(taken);
  Sell("webshop", "wh", "A", 2);
  daemon_.reset();
  Start();
  Sell("webshop", "wh", "A", 1);
  st = Count("wh", "A", 5, taken, &resp);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(resp.before().on_hand(), 17);
  EXPECT_EQ(resp.after().on_hand(), 2) << "5 counted, then 2 sold before the restart, 1 after";
  st = Count("wh", "A", 5, NowMs() - 3'600'000, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << st.error_message();
}

TEST_F(CountAtServerTest, StockctlCountAndImportTakeTheObservedTime) {
  v1::StockRowResponse resp;
  ASSERT_TRUE(Count("wh", "A", 20, 0, &resp).ok());
  ASSERT_TRUE(Count("wh", "B", 10, 0, &resp).ok());
  const int64_t taken = NowMs();
  After(taken);
  Sell("webshop", "wh", "A", 4);
  Sell("webshop", "wh", "B", 1);

  std::string out = Stockctl(absl::StrCat("count wh A 12 --observed-at ", Rfc3339(taken)));
  EXPECT_EQ(exit_, 0) << out;
  EXPECT_EQ(OnHand("A", "wh"), 8) << out;
  out = Stockctl("count wh A 12 --observed-at yesterday-ish");
  EXPECT_NE(exit_, 0) << out;
  EXPECT_TRUE(absl::StrContains(out, "--observed-at 'yesterday-ish'")) << out;

  // A later stock take of B, exported with its time, and a row of now (empty time).
  const std::string csv = dir_ + "/take.csv";
  const int64_t b_taken = NowMs();
  After(b_taken);
  Sell("webshop", "wh", "B", 2);
  WriteFile(csv, absl::StrCat("sku,location,on_hand,observed_at\nB,wh,7,", Rfc3339(b_taken),
                              "\nC,store,4,\n"));
  out = Stockctl("import " + csv);
  EXPECT_EQ(exit_, 0) << out;
  EXPECT_EQ(OnHand("B", "wh"), 5) << out;
  EXPECT_EQ(OnHand("C", "store"), 4) << out;

  WriteFile(csv, "sku,location,on_hand,observed_at\nB,wh,1,not-a-time\n");
  out = Stockctl("import " + csv);
  EXPECT_NE(exit_, 0) << out;
  EXPECT_TRUE(absl::StrContains(out, ":2: observed_at 'not-a-time' is not a time")) << out;
  EXPECT_EQ(OnHand("B", "wh"), 5);
}

}  // namespace
}  // namespace stockd
