// The daemon on its embedded default (its own redis-server under a temp data_dir),
// through gRPC: state survives a daemon restart; a stalled Redis makes writes fail with
// UNAVAILABLE within the call's deadline (never an ack without EXEC) while reads keep
// serving, the health service reports the write path, and writes come back after Redis
// does.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include "daemon/config/config.h"
#include "daemon/server/daemon.h"
#include "stockd/v1/stockd.grpc.pb.h"

namespace stockd {
namespace {

using namespace std::chrono_literals;

std::string Yaml(const std::string& data_dir) {
  return R"yaml(
server: {listen: "127.0.0.1:0", drain_timeout: 2s}
data_dir: )yaml" +
         data_dir + R"yaml(
redis: {timeout: 1s}
locations:
  - {id: wh, type: warehouse}
  - {id: store, type: store}
channels:
  - {id: webshop, type: webshop, sources: [wh, store], protect: {store: 1}}
  - {id: pos, type: store, sources: [store]}
)yaml";
}

class ServerDurabilityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/stockd-srv-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    Start();
  }
  void TearDown() override {
    if (redis_stopped_) kill(RedisPid(), SIGCONT);
    daemon_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Start() {
    absl::StatusOr<config::Config> config = config::ParseConfig(Yaml(dir_ + "/data"), "t.yaml");
    ASSERT_TRUE(config.ok()) << config.status();
    absl::StatusOr<std::unique_ptr<server::Daemon>> d = server::Daemon::Start(*config);
    ASSERT_TRUE(d.ok()) << d.status();
    daemon_ = std::move(*d);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(daemon_->port()),
                                   grpc::InsecureChannelCredentials());
    stub_ = v1::Stock::NewStub(channel_);
  }
  pid_t RedisPid() {
    std::ifstream in(dir_ + "/data/redis.pid");
    pid_t pid = 0;
    in >> pid;
    return pid;
  }
  grpc::Status Count(const std::string& sku, int64_t n, std::chrono::milliseconds deadline = 5s) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + deadline);
    v1::CountRequest req;
    req.set_location("wh");
    req.set_sku(sku);
    req.set_on_hand(n);
    req.set_request_id("count-" + sku + "-" + std::to_string(n));
    v1::StockRowResponse resp;
    return stub_->Count(&ctx, req, &resp);
  }
  int64_t OnHand(const std::string& sku) {
    grpc::ClientContext ctx;
    v1::GetStockRequest req;
    req.set_sku(sku);
    v1::GetStockResponse resp;
    grpc::Status st = stub_->GetStock(&ctx, req, &resp);
    if (!st.ok() || resp.rows_size() == 0) return -1;
    return resp.rows(0).on_hand();
  }
  // grpc.health.v1 status of `service`: 1 SERVING, 2 NOT_SERVING, -1 error.
  int Health(const std::string& service) {
    grpc::GenericStub generic(channel_);
    grpc::ClientContext ctx;
    std::string req;
    if (!service.empty()) {
      req.push_back(0x0a);
      req.push_back(static_cast<char>(service.size()));
      req += service;
    }
    grpc::Slice slice(req);
    grpc::ByteBuffer request(&slice, 1), response;
    std::promise<grpc::Status> done;
    generic.UnaryCall(&ctx, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request,
                      &response, [&done](grpc::Status s) { done.set_value(s); });
    if (!done.get_future().get().ok()) return -1;
    std::vector<grpc::Slice> slices;
    if (!response.Dump(&slices).ok()) return -1;
    std::string bytes;
    for (const grpc::Slice& s : slices)
      bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
    return bytes.size() == 2 && bytes[0] == 0x08 ? bytes[1] : -1;
  }

  std::string dir_;
  bool redis_stopped_ = false;
  std::unique_ptr<server::Daemon> daemon_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Stock::Stub> stub_;
};

TEST_F(ServerDurabilityTest, StateSurvivesDaemonRestartOnEmbeddedRedis) {
  ASSERT_TRUE(Count("P-1", 42).ok());
  daemon_->Shutdown();
  daemon_.reset();
  Start();
  EXPECT_EQ(OnHand("P-1"), 42);
  // The replay of the acknowledged request is answered from its durable record.
  EXPECT_TRUE(Count("P-1", 42).ok());
}

TEST_F(ServerDurabilityTest, StalledRedisFailsWritesWithinDeadlineThenRecovers) {
  ASSERT_TRUE(Count("S-1", 10).ok());
  EXPECT_EQ(Health("stockd.v1.Stock.Write"), 1);
  ASSERT_EQ(kill(RedisPid(), SIGSTOP), 0);
  redis_stopped_ = true;

  const auto start = std::chrono::steady_clock::now();
  grpc::Status st = Count("S-1", 11, 400ms);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAVAILABLE) << st.error_message();
  EXPECT_LT(took, 400ms);
  EXPECT_GE(OnHand("S-1"), 10);  // reads keep serving from memory meanwhile
  // After redis.timeout (1 s) the write path is reported down and writes fail fast.
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(Health("stockd.v1.Stock.Write"), 2);
  EXPECT_EQ(Health(""), 1);
  EXPECT_EQ(Count("S-1", 12, 2s).error_code(), grpc::StatusCode::UNAVAILABLE);

  ASSERT_EQ(kill(RedisPid(), SIGCONT), 0);
  redis_stopped_ = false;
  const auto resumed = std::chrono::steady_clock::now();
  grpc::Status ok;
  while (std::chrono::steady_clock::now() - resumed < 10s) {
    ok = Count("S-1", 13, 1s);
    if (ok.ok()) break;
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_TRUE(ok.ok()) << ok.error_message();
  EXPECT_LT(std::chrono::steady_clock::now() - resumed, 5s);
  EXPECT_EQ(OnHand("S-1"), 13);
  EXPECT_EQ(Health("stockd.v1.Stock.Write"), 1);

  // What Redis holds is exactly what the daemon shows.
  daemon_->Shutdown();
  daemon_.reset();
  Start();
  EXPECT_EQ(OnHand("S-1"), 13);
}

// The deadline guard covers Batch too: with Redis stalled, a Batch whose ops cannot be
// made durable answers UNAVAILABLE before the client's deadline (not a bare
// DEADLINE_EXCEEDED). Retried with the same request ids after Redis returns, every op is
// applied exactly once, whether or not the first attempt reached Redis.
TEST_F(ServerDurabilityTest, StalledRedisFailsBatchWithinDeadlineAndRetryAppliesOnce) {
  const std::vector<std::string> skus = {"B-1", "B-2", "B-3"};
  for (const std::string& sku : skus) {
    grpc::ClientContext ctx;
    v1::CountRequest req;
    req.set_location("store");
    req.set_sku(sku);
    req.set_on_hand(10);
    v1::StockRowResponse resp;
    ASSERT_TRUE(stub_->Count(&ctx, req, &resp).ok());
  }
  auto store_on_hand = [&](const std::string& sku) -> int64_t {
    grpc::ClientContext ctx;
    v1::GetStockRequest req;
    req.set_sku(sku);
    req.add_locations("store");
    v1::GetStockResponse resp;
    if (!stub_->GetStock(&ctx, req, &resp).ok() || resp.rows_size() != 1) return -1;
    return resp.rows(0).on_hand();
  };
  v1::BatchRequest batch;
  for (const std::string& sku : skus) {
    v1::SellRequest* sell = batch.add_ops()->mutable_sell();
    sell->set_request_id("batch-sell-" + sku);
    sell->set_channel("pos");
    sell->set_location("store");
    sell->set_sku(sku);
    sell->set_qty(1);
  }
  auto send = [&](std::chrono::milliseconds deadline, v1::BatchResponse* resp) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + deadline);
    return stub_->Batch(&ctx, batch, resp);
  };

  ASSERT_EQ(kill(RedisPid(), SIGSTOP), 0);
  redis_stopped_ = true;
  const auto start = std::chrono::steady_clock::now();
  v1::BatchResponse failed;
  grpc::Status st = send(400ms, &failed);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 400ms);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAVAILABLE) << st.error_message();
  EXPECT_EQ(failed.results_size(), 0) << "an UNAVAILABLE Batch carries no results";

  ASSERT_EQ(kill(RedisPid(), SIGCONT), 0);
  redis_stopped_ = false;
  v1::BatchResponse ok;
  const auto resumed = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - resumed < 10s) {
    ok.Clear();
    st = send(2s, &ok);
    if (st.ok()) break;
    ASSERT_EQ(st.error_code(), grpc::StatusCode::UNAVAILABLE) << st.error_message();
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_TRUE(st.ok()) << st.error_message();
  ASSERT_EQ(ok.results_size(), 3);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(ok.results(i).code(), 0) << ok.results(i).message();
    EXPECT_EQ(ok.results(i).sell().row().on_hand(), 9) << skus[i];
  }
  // Exactly once: 10 - 1, also after another replay and after a restart from Redis.
  ASSERT_TRUE(send(2s, &ok).ok());
  for (const std::string& sku : skus) EXPECT_EQ(store_on_hand(sku), 9) << sku;
  daemon_->Shutdown();
  daemon_.reset();
  Start();
  for (const std::string& sku : skus) EXPECT_EQ(store_on_hand(sku), 9) << sku;
}

}  // namespace
}  // namespace stockd
