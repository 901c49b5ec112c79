// End to end: a real Daemon (config parsed from YAML, gRPC server on an ephemeral
// loopback port) driven through the generated stockd.v1 client.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "absl/strings/match.h"
#include "daemon/config/config.h"
#include "daemon/server/daemon.h"
#include "stockd/v1/stockd.grpc.pb.h"

namespace stockd {
namespace {

constexpr char kConfig[] = R"yaml(
server:
  listen: "127.0.0.1:0"
redis:
  mode: memory
locations:
  - {id: wh, type: warehouse}
  - {id: store-a, type: store}
channels:
  - id: webshop
    type: webshop
    sources: [wh, store-a]
    protect: {store-a: 2}
  - id: amazon
    type: marketplace
    sources: [wh]
    safety_stock: 3
    share_percent: 80
    min_publish: 2
    max_publish: 50
  - id: pos-a
    type: store
    sources: [store-a]
)yaml";

std::pair<int64_t, int64_t> Pair(int64_t reservable, int64_t published) {
  return {reservable, published};
}

class ServerE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<config::Config> config = config::ParseConfig(kConfig, "e2e.yaml");
    ASSERT_TRUE(config.ok()) << config.status();
    absl::StatusOr<std::unique_ptr<server::Daemon>> daemon = server::Daemon::Start(*config);
    ASSERT_TRUE(daemon.ok()) << daemon.status();
    daemon_ = std::move(*daemon);
    ASSERT_GT(daemon_->port(), 0);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(daemon_->port()),
                                   grpc::InsecureChannelCredentials());
    stub_ = v1::Stock::NewStub(channel_);
  }

  void TearDown() override {
    if (daemon_) daemon_->Shutdown();
  }

  grpc::Status Count(const std::string& location, const std::string& sku, int64_t on_hand) {
    grpc::ClientContext ctx;
    v1::CountRequest req;
    req.set_location(location);
    req.set_sku(sku);
    req.set_on_hand(on_hand);
    v1::StockRowResponse resp;
    return stub_->Count(&ctx, req, &resp);
  }

  grpc::Status Reserve(const std::string& channel, const std::string& sku, int64_t qty,
                       const std::string& request_id, v1::ReserveResponse* resp,
                       const std::string& location = "") {
    grpc::ClientContext ctx;
    v1::ReserveRequest req;
    req.set_request_id(request_id);
    req.set_channel(channel);
    v1::HoldLine* line = req.add_lines();
    line->set_sku(sku);
    line->set_qty(qty);
    line->set_location(location);
    return stub_->Reserve(&ctx, req, resp);
  }

  // reservable/published of one sku on one channel.
  std::pair<int64_t, int64_t> Avail(const std::string& sku, const std::string& channel) {
    grpc::ClientContext ctx;
    v1::GetAvailabilityRequest req;
    req.add_skus(sku);
    req.add_channels(channel);
    v1::GetAvailabilityResponse resp;
    grpc::Status st = stub_->GetAvailability(&ctx, req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    if (resp.items_size() != 1) return {-1, -1};
    return {resp.items(0).reservable(), resp.items(0).published()};
  }

  std::unique_ptr<server::Daemon> daemon_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Stock::Stub> stub_;
};

TEST_F(ServerE2ETest, ReserveCommitFulfillThroughGrpc) {
  ASSERT_TRUE(Count("wh", "SKU-1", 10).ok());
  ASSERT_TRUE(Count("store-a", "SKU-1", 5).ok());
  // webshop: 10 + 5 (own protection not subtracted); amazon: floor((10-3)*0.8) = 5.
  EXPECT_EQ(Avail("SKU-1", "webshop"), Pair(15, 15));
  EXPECT_EQ(Avail("SKU-1", "amazon"), Pair(10, 5));
  EXPECT_EQ(Avail("SKU-1", "pos-a"), Pair(3, 3));

  v1::ReserveResponse reserved;
  ASSERT_TRUE(Reserve("webshop", "SKU-1", 4, "r-1", &reserved).ok());
  ASSERT_EQ(reserved.hold().lines_size(), 1);
  EXPECT_EQ(reserved.hold().lines(0).location(), "wh");
  EXPECT_EQ(reserved.hold().state(), v1::HELD);
  EXPECT_EQ(Avail("SKU-1", "amazon"), Pair(6, 2));

  grpc::ClientContext commit_ctx;
  v1::CommitRequest commit;
  commit.set_hold_id(reserved.hold().hold_id());
  v1::HoldResponse committed;
  ASSERT_TRUE(stub_->Commit(&commit_ctx, commit, &committed).ok());
  EXPECT_EQ(committed.hold().state(), v1::COMMITTED);

  grpc::ClientContext fulfill_ctx;
  v1::FulfillRequest fulfill;
  fulfill.set_hold_id(reserved.hold().hold_id());
  v1::HoldResponse fulfilled;
  ASSERT_TRUE(stub_->Fulfill(&fulfill_ctx, fulfill, &fulfilled).ok());
  EXPECT_EQ(fulfilled.hold().state(), v1::FULFILLED);

  grpc::ClientContext stock_ctx;
  v1::GetStockRequest get;
  get.set_sku("SKU-1");
  get.add_locations("wh");
  v1::GetStockResponse stock;
  ASSERT_TRUE(stub_->GetStock(&stock_ctx, get, &stock).ok());
  ASSERT_EQ(stock.rows_size(), 1);
  EXPECT_EQ(stock.rows(0).on_hand(), 6);
  EXPECT_EQ(stock.rows(0).held(), 0);
  EXPECT_EQ(stock.rows(0).committed(), 0);

  grpc::ClientContext check_ctx;
  v1::CheckInvariantsResponse check;
  ASSERT_TRUE(stub_->CheckInvariants(&check_ctx, v1::CheckInvariantsRequest(), &check).ok());
  EXPECT_TRUE(check.ok());
}

// A line no single source covers is split over the sources (docs/design.md "Operations");
// single_location refuses it; Explain's plan shows the split; Commit picks a part.
TEST_F(ServerE2ETest, SplitLinesThroughGrpc) {
  ASSERT_TRUE(Count("wh", "SKU-S", 3).ok());
  ASSERT_TRUE(Count("store-a", "SKU-S", 6).ok());
  EXPECT_EQ(Avail("SKU-S", "webshop"), Pair(9, 9));

  grpc::ClientContext explain_ctx;
  v1::ExplainRequest explain;
  explain.set_channel("webshop");
  explain.set_sku("SKU-S");
  explain.set_qty(7);
  v1::ExplainResponse plan;
  ASSERT_TRUE(stub_->Explain(&explain_ctx, explain, &plan).ok());
  ASSERT_EQ(plan.plan_size(), 2);
  EXPECT_EQ(plan.plan(0).location(), "wh");
  EXPECT_EQ(plan.plan(0).qty(), 3);
  EXPECT_EQ(plan.plan(1).location(), "store-a");
  EXPECT_EQ(plan.plan(1).qty(), 4);
  EXPECT_EQ(plan.plan_refused(), "");

  grpc::ClientContext bad_ctx;
  explain.set_qty(-1);
  EXPECT_EQ(stub_->Explain(&bad_ctx, explain, &plan).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  grpc::ClientContext whole_ctx;
  v1::ReserveRequest whole;
  whole.set_channel("webshop");
  whole.set_single_location(true);
  v1::HoldLine* line = whole.add_lines();
  line->set_sku("SKU-S");
  line->set_qty(7);
  v1::ReserveResponse refused;
  grpc::Status st = stub_->Reserve(&whole_ctx, whole, &refused);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << st.error_message();
  EXPECT_EQ(Avail("SKU-S", "webshop"), Pair(9, 9)) << "a refused reserve holds nothing";

  v1::ReserveResponse reserved;
  ASSERT_TRUE(Reserve("webshop", "SKU-S", 7, "split-1", &reserved).ok());
  ASSERT_EQ(reserved.hold().lines_size(), 2);
  EXPECT_EQ(reserved.hold().lines(0).location(), "wh");
  EXPECT_EQ(reserved.hold().lines(0).qty(), 3);
  EXPECT_EQ(reserved.hold().lines(1).location(), "store-a");
  EXPECT_EQ(reserved.hold().lines(1).qty(), 4);
  EXPECT_EQ(Avail("SKU-S", "webshop"), Pair(2, 2));

  grpc::ClientContext commit_ctx;
  v1::CommitRequest commit;
  commit.set_hold_id(reserved.hold().hold_id());
  v1::HoldLine* part = commit.add_lines();
  part->set_sku("SKU-S");
  part->set_location("store-a");
  part->set_qty(2);
  v1::HoldResponse committed;
  ASSERT_TRUE(stub_->Commit(&commit_ctx, commit, &committed).ok());
  ASSERT_EQ(committed.hold().lines_size(), 1);
  EXPECT_EQ(committed.hold().lines(0).location(), "store-a");
  EXPECT_EQ(committed.hold().lines(0).qty(), 2);
  EXPECT_EQ(Avail("SKU-S", "webshop"), Pair(7, 7)) << "wh's 3 and store-a's other 2 released";

  grpc::ClientContext check_ctx;
  v1::CheckInvariantsResponse check;
  ASSERT_TRUE(stub_->CheckInvariants(&check_ctx, v1::CheckInvariantsRequest(), &check).ok());
  EXPECT_TRUE(check.ok());
}

TEST_F(ServerE2ETest, StatusCodesAreExact) {
  ASSERT_TRUE(Count("store-a", "SKU-2", 3).ok());
  v1::ReserveResponse resp;
  EXPECT_EQ(Reserve("nope", "SKU-2", 1, "", &resp).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Reserve("webshop", "UNKNOWN", 1, "", &resp).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Reserve("webshop", "SKU-2", 0, "", &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Reserve("webshop", "bad sku!", 1, "", &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Reserve("webshop", "SKU-2", 4, "", &resp).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Reserve("amazon", "SKU-2", 1, "", &resp, "store-a").error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  // POS sale eating the webshop's 2 protected units: refused, then overridden.
  grpc::ClientContext sell_ctx;
  v1::SellRequest sell;
  sell.set_channel("pos-a");
  sell.set_location("store-a");
  sell.set_sku("SKU-2");
  sell.set_qty(2);
  v1::SellResponse sold;
  grpc::Status refused = stub_->Sell(&sell_ctx, sell, &sold);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(refused.error_message().find("may sell 1"), std::string::npos)
      << refused.error_message();
  grpc::ClientContext override_ctx;
  sell.set_override(true);
  ASSERT_TRUE(stub_->Sell(&override_ctx, sell, &sold).ok());
  EXPECT_TRUE(sold.breach());
  EXPECT_EQ(sold.breach_units(), 1);
  EXPECT_EQ(sold.row().on_hand(), 1);

  grpc::ClientContext count_ctx;
  v1::CountRequest count;
  count.set_location("store-a");
  count.set_sku("SKU-2");
  count.set_on_hand(9);
  count.set_expected(7);
  v1::StockRowResponse row;
  EXPECT_EQ(stub_->Count(&count_ctx, count, &row).error_code(), grpc::StatusCode::ABORTED);

  grpc::ClientContext hold_ctx;
  v1::GetHoldRequest get_hold;
  get_hold.set_hold_id("h-does-not-exist");
  v1::Hold hold;
  EXPECT_EQ(stub_->GetHold(&hold_ctx, get_hold, &hold).error_code(), grpc::StatusCode::NOT_FOUND);

  grpc::ClientContext batch_ctx;
  v1::BatchRequest empty_batch;
  v1::BatchResponse batch_resp;
  EXPECT_EQ(stub_->Batch(&batch_ctx, empty_batch, &batch_resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(ServerE2ETest, RequestIdReplayReturnsFirstResult) {
  ASSERT_TRUE(Count("wh", "SKU-3", 5).ok());
  v1::ReserveResponse first, again;
  ASSERT_TRUE(Reserve("webshop", "SKU-3", 2, "order-77", &first).ok());
  ASSERT_TRUE(Reserve("webshop", "SKU-3", 2, "order-77", &again).ok());
  EXPECT_EQ(first.hold().hold_id(), again.hold().hold_id());
  EXPECT_EQ(Avail("SKU-3", "webshop").first, 3);  // reserved once
  v1::ReserveResponse misuse;
  EXPECT_EQ(Reserve("webshop", "SKU-3", 1, "order-77", &misuse).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(ServerE2ETest, BatchAppliesEachOperationIndependently) {
  v1::BatchRequest req;
  for (int i = 0; i < 50; ++i) {
    v1::CountRequest* c = req.add_ops()->mutable_count();
    c->set_location("wh");
    c->set_sku("B-" + std::to_string(i));
    c->set_on_hand(i);
  }
  v1::AdjustRequest* bad = req.add_ops()->mutable_adjust();
  bad->set_location("wh");
  bad->set_sku("B-1");
  bad->set_delta(-5);
  bad->set_reason(v1::SHRINKAGE);  // on_hand 1 - 5 < 0
  req.add_ops();                   // no operation set
  grpc::ClientContext ctx;
  v1::BatchResponse resp;
  ASSERT_TRUE(stub_->Batch(&ctx, req, &resp).ok());
  ASSERT_EQ(resp.results_size(), 52);
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(resp.results(i).code(), 0) << resp.results(i).message();
    EXPECT_EQ(resp.results(i).row().after().on_hand(), i);
  }
  EXPECT_EQ(resp.results(50).code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(resp.results(51).code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(ServerE2ETest, WatchStreamsSnapshotThenChanges) {
  ASSERT_TRUE(Count("wh", "W-1", 10).ok());
  grpc::ClientContext ctx;
  v1::WatchRequest req;
  req.add_channels("amazon");
  req.set_snapshot(true);
  std::unique_ptr<grpc::ClientReader<v1::WatchEvent>> reader = stub_->Watch(&ctx, req);
  v1::WatchEvent e;
  ASSERT_TRUE(reader->Read(&e));
  EXPECT_TRUE(e.snapshot());
  EXPECT_EQ(e.sku(), "W-1");
  EXPECT_EQ(e.published(), 5);  // floor((10-3)*0.8)
  ASSERT_TRUE(reader->Read(&e));
  EXPECT_TRUE(e.snapshot_done());

  ASSERT_TRUE(Count("wh", "W-1", 20).ok());  // amazon: floor(17*0.8) = 13
  ASSERT_TRUE(reader->Read(&e));
  EXPECT_FALSE(e.snapshot());
  EXPECT_EQ(e.channel(), "amazon");
  EXPECT_EQ(e.previous_published(), 5);
  EXPECT_EQ(e.published(), 13);
  EXPECT_GT(e.sequence(), 0u);
  ctx.TryCancel();
}

TEST_F(ServerE2ETest, HealthServiceReportsServing) {
  // grpc.health.v1.Health/Check with an empty request; SERVING is field 1 = 1.
  grpc::GenericStub generic(channel_);
  grpc::ClientContext ctx;
  grpc::Slice empty;
  grpc::ByteBuffer request(&empty, 1), response;
  std::promise<grpc::Status> done;
  generic.UnaryCall(&ctx, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &response,
                    [&done](grpc::Status s) { done.set_value(s); });
  grpc::Status st = done.get_future().get();
  ASSERT_TRUE(st.ok()) << st.error_message();
  std::vector<grpc::Slice> slices;
  ASSERT_TRUE(response.Dump(&slices).ok());
  std::string bytes;
  for (const grpc::Slice& s : slices)
    bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  EXPECT_EQ(bytes, std::string("\x08\x01", 2));
}

TEST(DaemonTest, RefusesNonLoopbackWithoutTls) {
  // The address table is in tests/config/listen_test.cc (CheckListenAddressTest); this checks that
  // Start applies the same check to a Config changed in code.
  absl::StatusOr<config::Config> config = config::ParseConfig(kConfig, "e2e.yaml");
  ASSERT_TRUE(config.ok()) << config.status();
  config->server.listen = "0.0.0.0:0";
  absl::StatusOr<std::unique_ptr<server::Daemon>> daemon = server::Daemon::Start(*config);
  EXPECT_EQ(daemon.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(daemon.status().message(),
            "server.listen '0.0.0.0:0': 0.0.0.0 is not a loopback address; without TLS stockd "
            "listens only on loopback addresses (127.0.0.0/8, [::1]) or a unix: socket");
  config->server.listen = "127.0.0.1.example.com:0";
  daemon = server::Daemon::Start(*config);
  EXPECT_NE(daemon.status().code(), absl::StatusCode::kOk);
  EXPECT_TRUE(absl::StrContains(daemon.status().message(),
                                "server.listen '127.0.0.1.example.com:0': host "
                                "'127.0.0.1.example.com' "))
      << daemon.status();
}

}  // namespace
}  // namespace stockd
