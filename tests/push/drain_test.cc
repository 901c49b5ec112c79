// The push engine inside a real daemon (memory mode) against the fake channel endpoint:
// draining with Resyncs pending on a channel that never answers, the bound on queued
// Resyncs, credentials in an adapter URL kept out of logs and push status, and the
// channel id reaching the adapter (and a fetch) whatever else its config holds.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "daemon/config/config.h"
#include "daemon/server/daemon.h"
#include "stockd/v1/stockd.grpc.pb.h"
#include "tests/fakes/fake_channel_server.h"

namespace stockd {
namespace {

using namespace std::chrono_literals;
using fakes::Behaviour;
using fakes::FakeChannelServer;

// One webhook channel of the test config.
struct WebhookChannel {
  std::string id;
  std::string policy;  // extra channel keys, e.g. "safety_stock: 2"
  std::string config;  // extra webhook config keys, e.g. "timeout_ms: 300"
  std::string url;     // default: the fake's
};

class PushDrainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_ = std::make_unique<FakeChannelServer>();
    std::string error;
    ASSERT_TRUE(fake_->Start(&error)) << error;
  }
  void TearDown() override {
    daemon_.reset();
    fake_.reset();
  }

  void Start(const std::vector<WebhookChannel>& channels) {
    std::string yaml = R"yaml(
server: {listen: "127.0.0.1:0", drain_timeout: 1s}
redis: {mode: memory}
plugin_dir: )yaml" + std::string(STOCKD_BINARY_DIR) +
                       R"yaml(/plugins
locations:
  - {id: wh, type: warehouse}
channels:
)yaml";
    for (const WebhookChannel& c : channels) {
      yaml += "  - id: " + c.id + "\n    type: marketplace\n    sources: [wh]\n";
      if (!c.policy.empty()) yaml += "    " + c.policy + "\n";
      yaml += "    adapter:\n      plugin: webhook\n      config: {url: \"" +
              (c.url.empty() ? fake_->url() : c.url) + "\"" +
              (c.config.empty() ? "" : ", " + c.config) +
              "}\n      retry_initial: 20ms\n      retry_max: 200ms\n      coalesce_window: 0ms\n"
              // Push only: no order polls among the requests counted.
              "    orders: {poll_interval: 0s}\n";
    }
    absl::StatusOr<config::Config> config = config::ParseConfig(yaml, "drain.yaml");
    ASSERT_TRUE(config.ok()) << config.status();
    absl::StatusOr<std::unique_ptr<server::Daemon>> d = server::Daemon::Start(*config);
    ASSERT_TRUE(d.ok()) << d.status();
    daemon_ = std::move(*d);
    stub_ = v1::Stock::NewStub(grpc::CreateChannel("127.0.0.1:" + std::to_string(daemon_->port()),
                                                   grpc::InsecureChannelCredentials()));
  }

  void Count(const std::string& sku, int64_t n) {
    grpc::ClientContext ctx;
    v1::CountRequest req;
    req.set_location("wh");
    req.set_sku(sku);
    req.set_on_hand(n);
    v1::StockRowResponse resp;
    ASSERT_TRUE(stub_->Count(&ctx, req, &resp).ok());
  }

  v1::PushStatus Status(const std::string& channel) {
    grpc::ClientContext ctx;
    v1::GetPushStatusRequest req;
    req.set_channel(channel);
    v1::GetPushStatusResponse resp;
    EXPECT_TRUE(stub_->GetPushStatus(&ctx, req, &resp).ok());
    return resp.channels_size() == 1 ? resp.channels(0) : v1::PushStatus();
  }

  bool WaitFor(const std::function<bool()>& done, std::chrono::milliseconds timeout = 10s) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
      if (done()) return true;
      std::this_thread::sleep_for(5ms);
    }
    return done();
  }

  std::unique_ptr<FakeChannelServer> fake_;
  std::unique_ptr<server::Daemon> daemon_;
  std::unique_ptr<v1::Stock::Stub> stub_;
};

// Resync RPCs in flight through the async stub, with their answers.
class PendingResyncs {
 public:
  explicit PendingResyncs(v1::Stock::Stub* stub) : stub_(stub) {}

  void Send(const std::string& channel) {
    auto call = std::make_unique<Call>();
    call->request.set_channel(channel);
    Call* c = call.get();
    {
      std::lock_guard<std::mutex> lock(mu_);
      calls_.push_back(std::move(call));
    }
    stub_->async()->Resync(&c->context, &c->request, &c->response, [this, c](grpc::Status s) {
      std::lock_guard<std::mutex> lock(mu_);
      c->status = std::move(s);
      c->answered = true;
      cv_.notify_all();
    });
  }
  bool WaitAnswered(size_t index, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return calls_[index]->answered; });
  }
  size_t Answered() {
    std::lock_guard<std::mutex> lock(mu_);
    size_t n = 0;
    for (const auto& c : calls_) n += c->answered;
    return n;
  }
  grpc::Status status(size_t index) {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_[index]->status;
  }
  // Every call must be answered before the contexts go.
  ~PendingResyncs() {
    std::unique_lock<std::mutex> lock(mu_);
    for (auto& c : calls_) c->context.TryCancel();
    cv_.wait(lock, [&] {
      for (const auto& c : calls_) {
        if (!c->answered) return false;
      }
      return true;
    });
  }

 private:
  struct Call {
    grpc::ClientContext context;
    v1::ResyncRequest request;
    v1::ResyncResponse response;
    grpc::Status status;
    bool answered = false;
  };
  v1::Stock::Stub* const stub_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Call>> calls_;
};

TEST_F(PushDrainTest, ShutdownAnswersPendingResyncsWithinTheDrainAndTheQueueIsBounded) {
  // The adapter's own timeout is long: only the daemon's Stop can end a hung fetch early.
  Start({{"amazon", "", "timeout_ms: 3000", ""}});
  Count("R-1", 20);
  ASSERT_TRUE(fake_->WaitForQuantity("R-1", 20, 10s));
  for (int i = 0; i < 10; ++i) fake_->Enqueue(Behaviour::Timeout(60'000));  // never answers

  // Wait for the fetch itself (one more GET), not for any request: the fake stores a
  // pushed quantity before it records the request, so the push of R-1 may be recorded
  // after WaitForQuantity returned, and counting all requests would take it for the fetch.
  const auto gets = [this] {
    size_t n = 0;
    for (const fakes::RequestRecord& r : fake_->Requests()) n += r.method == "GET" ? 1 : 0;
    return n;
  };
  const size_t gets_before = gets();
  PendingResyncs resyncs(stub_.get());
  resyncs.Send("amazon");  // runs: its fetch hangs
  bool fetching = false;
  for (auto deadline = std::chrono::steady_clock::now() + 10s;
       !fetching && std::chrono::steady_clock::now() < deadline;) {
    fetching = gets() > gets_before;
    if (!fetching) std::this_thread::sleep_for(5ms);
  }
  ASSERT_TRUE(fetching) << "the Resync's fetch never reached the channel";
  // Five more: four queue behind it (the bound is 4) and one is refused at once. gRPC may
  // deliver the five in any order, so whichever arrives last is the refused one.
  for (int i = 0; i < 5; ++i) resyncs.Send("amazon");
  size_t refused = 0;
  for (auto deadline = std::chrono::steady_clock::now() + 2s;
       refused == 0 && std::chrono::steady_clock::now() < deadline;) {
    for (size_t i = 1; i <= 5; ++i) {
      if (resyncs.WaitAnswered(i, 10ms)) refused = i;
    }
  }
  ASSERT_NE(refused, 0u) << "the Resync over the bound was not refused";
  EXPECT_EQ(resyncs.status(refused).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(resyncs.status(refused).error_message(),
            "channel 'amazon' already has 4 resyncs waiting (at most 4; its adapter may be "
            "slow or hung): retry later");
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(resyncs.Answered(), 1u) << "a Resync was answered before the drain";

  const auto start = std::chrono::steady_clock::now();
  daemon_->Shutdown();
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_LT(took, 3s) << "drain_timeout is 1 s";
  for (size_t i = 0; i < 6; ++i) {
    if (i == refused) continue;
    EXPECT_TRUE(resyncs.WaitAnswered(i, 2s)) << "Resync " << i << " not answered in time";
    EXPECT_EQ(resyncs.status(i).error_code(), grpc::StatusCode::UNAVAILABLE) << i;
    EXPECT_EQ(resyncs.status(i).error_message(),
              "channel 'amazon': the daemon is stopping (draining); resync not run, retry "
              "after the restart")
        << i;
  }
}

TEST_F(PushDrainTest, UrlCredentialsNeverReachTheLogsOrThePushStatus) {
  const std::string url =
      "http://user:s3cr3t@127.0.0.1:" + std::to_string(fake_->port()) + "/stock?token=abc";
  const std::string shown =
      "http://***@127.0.0.1:" + std::to_string(fake_->port()) + "/stock?token=***";
  testing::internal::CaptureStderr();
  Start({{"amazon", "", "timeout_ms: 2000", url}});
  // Two resets: curl silently retries a request once on a reused connection.
  fake_->Enqueue(
      {Behaviour::Status(400, "unknown listing"), Behaviour::Reset(), Behaviour::Reset()});
  Count("S-1", 20);  // rejected (400): the adapter logs a warning naming the URL
  ASSERT_TRUE(WaitFor([&] { return Status("amazon").items_permanent() == 1; }));
  Count("S-2", 20);  // reset: a transport error naming the URL, retried
  ASSERT_TRUE(WaitFor([&] { return Status("amazon").items_retry() >= 1; }));
  const std::string last_error = Status("amazon").last_error();
  ASSERT_TRUE(fake_->WaitForQuantity("S-2", 20, 10s));
  daemon_->Shutdown();
  const std::string logs = testing::internal::GetCapturedStderr();

  EXPECT_EQ(last_error.rfind("S-2: POST " + shown + ": ", 0), 0u) << last_error;
  EXPECT_NE(logs.find("POST " + shown + " rejected 1 items: HTTP 400: unknown listing"),
            std::string::npos)
      << logs;
  for (const std::string& secret : {"s3cr3t", "abc"}) {
    EXPECT_EQ(last_error.find(secret), std::string::npos) << last_error;
    EXPECT_EQ(logs.find(secret), std::string::npos) << logs;
  }
}

TEST_F(PushDrainTest, AHeaderValuedChannelDoesNotHideTheChannelId) {
  Start({{"amazon", "", R"(headers: {X-Tag: "channel"})", ""}});
  Count("H-1", 5);
  ASSERT_TRUE(fake_->WaitForQuantity("H-1", 5, 10s));
  const std::vector<fakes::ReceivedBatch> batches = fake_->Batches();
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_EQ(batches[0].channel, "amazon");
  ASSERT_TRUE(fake_->WaitForRequests(1, 10s));  // recorded just after the batch is stored
  const std::vector<fakes::RequestRecord> requests = fake_->Requests();
  EXPECT_EQ(requests[0].headers.at("x-tag"), "channel");
}

TEST_F(PushDrainTest, TwoChannelsOnOneEndpointResyncWithoutDrift) {
  Start({{"amazon", "safety_stock: 2", "", ""}, {"ebay", "safety_stock: 5", "", ""}});
  const std::vector<std::string> skus = {"T-1", "T-2", "T-3"};
  for (const std::string& sku : skus) Count(sku, 20);
  ASSERT_TRUE(WaitFor([&] {
    for (const std::string& sku : skus) {
      if (fake_->ChannelQuantity("amazon", sku) != 18 || fake_->ChannelQuantity("ebay", sku) != 15)
        return false;
    }
    return true;
  }));
  for (const char* channel : {"amazon", "ebay"}) {
    grpc::ClientContext ctx;
    v1::ResyncRequest req;
    req.set_channel(channel);
    v1::ResyncResponse resp;
    ASSERT_TRUE(stub_->Resync(&ctx, req, &resp).ok()) << channel;
    EXPECT_TRUE(resp.fetched()) << channel;
    EXPECT_EQ(resp.checked(), 3) << channel;
    EXPECT_EQ(resp.drifted(), 0) << channel << ": phantom drift, e.g. " << resp.DebugString();
  }
  const std::vector<fakes::RequestRecord> requests = fake_->Requests();
  ASSERT_GE(requests.size(), 2u);
  EXPECT_EQ(requests[requests.size() - 2].target.rfind("/stock?channel=amazon&listing_ids=", 0),
            0u);
  EXPECT_EQ(requests.back().target.rfind("/stock?channel=ebay&listing_ids=", 0), 0u);
}

}  // namespace
}  // namespace stockd
