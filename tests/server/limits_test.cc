// End to end through gRPC: the bounds of what one call may ask and answer (issue 10:
// responses that fit, paging, decode errors, Watch stream limits) and the Watch delivery
// contract (no merged keys, increasing sequences on resume).
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "daemon/config/config.h"
#include "daemon/server/daemon.h"
#include "stockd/v1/stockd.grpc.pb.h"

namespace stockd {
namespace {

constexpr char kBaseConfig[] = R"yaml(
server:
  listen: "127.0.0.1:0"
redis:
  mode: memory
locations:
  - {id: wh, type: warehouse}
  - {id: s1, type: store}
  - {id: s2, type: store}
  - {id: s3, type: store}
  - {id: s4, type: store}
channels:
  - {id: webshop, type: webshop, sources: [wh, s1, s2, s3, s4]}
  - {id: pos1, type: store, sources: [s1]}
  - {id: pos10, type: store, sources: [s1]}
)yaml";

class LimitsTest : public ::testing::Test {
 protected:
  void Start(const std::string& extra_server = "", const std::string& extra = "") {
    std::string yaml = kBaseConfig;
    if (!extra_server.empty()) {
      const std::string anchor = "  listen: \"127.0.0.1:0\"\n";
      yaml.replace(yaml.find(anchor), anchor.size(), anchor + extra_server);
    }
    yaml += extra;
    absl::StatusOr<config::Config> config = config::ParseConfig(yaml, "limits.yaml");
    ASSERT_TRUE(config.ok()) << config.status();
    absl::StatusOr<std::unique_ptr<server::Daemon>> daemon = server::Daemon::Start(*config);
    ASSERT_TRUE(daemon.ok()) << daemon.status();
    daemon_ = std::move(*daemon);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(daemon_->port()),
                                   grpc::InsecureChannelCredentials());
    stub_ = v1::Stock::NewStub(channel_);
  }
  void TearDown() override {
    if (daemon_) daemon_->Shutdown();
  }

  void Count(const std::string& location, const std::string& sku, int64_t on_hand) {
    grpc::ClientContext ctx;
    v1::CountRequest req;
    req.set_location(location);
    req.set_sku(sku);
    req.set_on_hand(on_hand);
    v1::StockRowResponse resp;
    grpc::Status st = stub_->Count(&ctx, req, &resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }

  v1::StockRow Row(const std::string& location, const std::string& sku) {
    grpc::ClientContext ctx;
    v1::GetStockRequest req;
    req.set_sku(sku);
    req.add_locations(location);
    v1::GetStockResponse resp;
    grpc::Status st = stub_->GetStock(&ctx, req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp.rows_size() == 1 ? resp.rows(0) : v1::StockRow();
  }

  static v1::BatchOperation ReserveOp(const std::vector<std::string>& skus, int64_t qty) {
    v1::BatchOperation op;
    v1::ReserveRequest* r = op.mutable_reserve();
    r->set_channel("webshop");
    for (const std::string& sku : skus) {
      v1::HoldLine* line = r->add_lines();
      line->set_sku(sku);
      line->set_qty(qty);
    }
    return op;
  }

  std::unique_ptr<server::Daemon> daemon_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Stock::Stub> stub_;
};

// ------------------------------------------------------------------ Watch

// Regression (bug 1): (pos1, 0A) and (pos10, A) shared a merge key, so one of the two
// snapshot events replaced the other.
TEST_F(LimitsTest, WatchSnapshotKeepsKeysThatConcatenateAlike) {
  Start();
  Count("s1", "0A", 5);
  Count("s1", "A", 7);
  grpc::ClientContext ctx;
  v1::WatchRequest req;
  req.add_channels("pos1");
  req.add_channels("pos10");
  req.set_snapshot(true);
  std::unique_ptr<grpc::ClientReader<v1::WatchEvent>> reader = stub_->Watch(&ctx, req);
  std::set<std::pair<std::string, std::string>> keys;
  v1::WatchEvent e;
  while (reader->Read(&e) && !e.snapshot_done()) {
    keys.insert({e.channel(), e.sku()});
    EXPECT_EQ(e.published(), e.sku() == "0A" ? 5 : 7) << e.channel() << "/" << e.sku();
  }
  EXPECT_TRUE(e.snapshot_done());
  const std::set<std::pair<std::string, std::string>> want = {
      {"pos1", "0A"}, {"pos1", "A"}, {"pos10", "0A"}, {"pos10", "A"}};
  EXPECT_EQ(keys, want);
  ctx.TryCancel();
}

// Regression (bug 2): a resumed stream replayed +1, +18, +16, ...: a client that saved
// the last sequence it saw and disconnected mid-replay missed the changes below it.
TEST_F(LimitsTest, WatchResumeReplaysInIncreasingSequence) {
  Start();
  Count("wh", "R-0", 1);
  uint64_t first = 0;
  {
    grpc::ClientContext ctx;
    v1::WatchRequest req;
    req.add_channels("webshop");
    req.set_snapshot(true);  // its end marker shows the stream is registered
    std::unique_ptr<grpc::ClientReader<v1::WatchEvent>> reader = stub_->Watch(&ctx, req);
    v1::WatchEvent e;
    do {
      ASSERT_TRUE(reader->Read(&e));
    } while (!e.snapshot_done());
    Count("wh", "R-0", 2);
    ASSERT_TRUE(reader->Read(&e));
    ASSERT_EQ(e.sku(), "R-0");
    first = e.sequence();
    ctx.TryCancel();
  }
  // Changes of ten SKUs, then the first ones again: coalesced keys must move to their
  // newest sequence.
  for (int i = 1; i < 10; ++i) Count("wh", absl::StrCat("R-", i), 10 + i);
  for (int i = 0; i < 10; i += 3) Count("wh", absl::StrCat("R-", i), 100 + i);
  grpc::ClientContext ctx;
  v1::WatchRequest req;
  req.add_channels("webshop");
  req.set_resume_after(first);
  std::unique_ptr<grpc::ClientReader<v1::WatchEvent>> reader = stub_->Watch(&ctx, req);
  std::map<std::string, int64_t> last;
  uint64_t previous = first;
  v1::WatchEvent e;
  while (last.size() < 10 || last["R-9"] != 109) {
    ASSERT_TRUE(reader->Read(&e));
    ASSERT_FALSE(e.snapshot()) << "the history covers the resume point";
    EXPECT_GT(e.sequence(), previous) << "after " << previous;
    previous = e.sequence();
    last[e.sku()] = e.published();
  }
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(last[absl::StrCat("R-", i)], i % 3 == 0 ? 100 + i : 10 + i) << i;
  }
  ctx.TryCancel();
}

TEST_F(LimitsTest, WatchStreamsBeyondTheLimitAreRefused) {
  Start("  max_watch_streams: 2\n");
  Count("wh", "W-1", 1);
  v1::WatchRequest req;
  req.set_snapshot(true);  // the snapshot's end marker shows the stream is open
  auto open_stream = [&](grpc::ClientContext* ctx) {
    auto reader = stub_->Watch(ctx, req);
    v1::WatchEvent e;
    while (reader->Read(&e)) {
      if (e.snapshot_done()) return std::make_pair(std::move(reader), true);
    }
    return std::make_pair(std::move(reader), false);
  };
  grpc::ClientContext a_ctx, b_ctx;
  auto a = open_stream(&a_ctx);
  auto b = open_stream(&b_ctx);
  ASSERT_TRUE(a.second);
  ASSERT_TRUE(b.second);
  {
    grpc::ClientContext c_ctx;
    auto c = open_stream(&c_ctx);
    EXPECT_FALSE(c.second);
    grpc::Status st = c.first->Finish();
    EXPECT_EQ(st.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
    EXPECT_NE(st.error_message().find("max_watch_streams"), std::string::npos);
  }
  a_ctx.TryCancel();
  a.first->Finish();
  // The slot is free again once the cancelled stream is done (asynchronously).
  bool reopened = false;
  for (int attempt = 0; attempt < 200 && !reopened; ++attempt) {
    grpc::ClientContext d_ctx;
    auto d = open_stream(&d_ctx);
    reopened = d.second;
    d_ctx.TryCancel();
    d.first->Finish();
    if (!reopened) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(reopened);
  b_ctx.TryCancel();
  b.first->Finish();
}

// ------------------------------------------------------------------ decoding

grpc::Status RawCall(grpc::Channel* channel, const std::string& method, const std::string& bytes) {
  grpc::GenericStub generic(channel->shared_from_this());
  grpc::ClientContext ctx;
  grpc::Slice slice(bytes);
  grpc::ByteBuffer request(&slice, 1), response;
  std::promise<grpc::Status> done;
  generic.UnaryCall(&ctx, method, grpc::StubOptions(), &request, &response,
                    [&done](grpc::Status s) { done.set_value(s); });
  return done.get_future().get();
}

// Regression (bug 7): an undecodable request answered UNIMPLEMENTED with no message.
TEST_F(LimitsTest, UndecodableRequestIsInvalidArgument) {
  Start();
  // Field 2 (channel) as length-delimited with a length past the end of the buffer.
  grpc::Status st = RawCall(channel_.get(), "/stockd.v1.Stock/Reserve",
                            std::string("\x12\x50"
                                        "ab",
                                        4));
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(st.error_message().find("/stockd.v1.Stock/Reserve"), std::string::npos)
      << st.error_message();
  st = RawCall(channel_.get(), "/stockd.v1.Stock/GetStock", std::string("\xff\xff\xff", 3));
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  // A method that does not exist stays UNIMPLEMENTED.
  st = RawCall(channel_.get(), "/stockd.v1.Stock/NoSuchMethod", "");
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  // A well-formed request still works.
  v1::GetStockRequest ok;
  ok.set_sku("NOPE");
  st = RawCall(channel_.get(), "/stockd.v1.Stock/GetStock", ok.SerializeAsString());
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);
}

// ------------------------------------------------------------------ response bounds

// Regression (bug 6): 1,000 multi-line Reserves in one Batch created the holds and then
// answered more than a default client accepts. Now refused before anything is applied.
TEST_F(LimitsTest, BatchThatCouldAnswerTooMuchIsRefusedBeforeApplying) {
  Start();
  std::vector<std::string> skus;
  for (int i = 0; i < 500; ++i) {
    skus.push_back(absl::StrCat("BIG-", i));
    Count("wh", skus.back(), 1000);
  }
  // The tester's Batch (1,000 Reserves of 500 lines) is now over the request limit.
  v1::BatchRequest tester;
  for (int i = 0; i < 1000; ++i) *tester.add_ops() = ReserveOp(skus, 1);
  {
    grpc::ClientContext ctx;
    v1::BatchResponse resp;
    EXPECT_EQ(stub_->Batch(&ctx, tester, &resp).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  }
  // 1,000 Reserves of 100 lines fit the request limit; their answer could not.
  v1::BatchRequest req;
  std::vector<std::string> hundred(skus.begin(), skus.begin() + 100);
  for (int i = 0; i < 1000; ++i) *req.add_ops() = ReserveOp(hundred, 1);
  ASSERT_LT(req.ByteSizeLong(), 4u << 20);
  grpc::ClientContext ctx;
  v1::BatchResponse resp;
  grpc::Status st = stub_->Batch(&ctx, req, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(st.error_message().find("max_response_bytes"), std::string::npos) << st.error_message();
  EXPECT_NE(st.error_message().find("nothing was applied"), std::string::npos);
  for (int i = 0; i < 500; i += 99) EXPECT_EQ(Row("wh", skus[i]).held(), 0) << skus[i];

  // What fits is applied, and its answer fits what a default client accepts.
  v1::BatchRequest fits;
  std::vector<std::string> twenty(skus.begin(), skus.begin() + 20);
  for (int i = 0; i < 1000; ++i) *fits.add_ops() = ReserveOp(twenty, 1);
  grpc::ClientContext ctx2;
  v1::BatchResponse resp2;
  st = stub_->Batch(&ctx2, fits, &resp2);
  ASSERT_TRUE(st.ok()) << st.error_message();
  ASSERT_EQ(resp2.results_size(), 1000);
  EXPECT_EQ(resp2.results(999).code(), 0);
  EXPECT_LT(resp2.ByteSizeLong(), 4u << 20);
  EXPECT_EQ(Row("wh", skus[0]).held(), 1000);
}

TEST_F(LimitsTest, BatchBoundCountsTheLinesOfExistingHolds) {
  Start("  max_response_bytes: 65536\n", "holds: {max_lines: 100}\n");
  std::vector<std::string> skus;
  for (int i = 0; i < 100; ++i) {
    skus.push_back(absl::StrCat("H-", i));
    Count("wh", skus.back(), 100);
  }
  // Ten 100-line holds: releasing them all at once could answer ten 100-line holds.
  std::vector<std::string> holds;
  for (int h = 0; h < 10; ++h) {
    grpc::ClientContext ctx;
    v1::ReserveRequest r = ReserveOp(skus, 1).reserve();
    v1::ReserveResponse resp;
    ASSERT_TRUE(stub_->Reserve(&ctx, r, &resp).ok());
    holds.push_back(resp.hold().hold_id());
  }
  v1::BatchRequest req;
  for (const std::string& id : holds) req.add_ops()->mutable_release()->set_hold_id(id);
  grpc::ClientContext ctx;
  v1::BatchResponse resp;
  grpc::Status st = stub_->Batch(&ctx, req, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << st.error_message();
  EXPECT_EQ(Row("wh", "H-0").held(), 10);
  // Two at a time fit.
  v1::BatchRequest two;
  for (int h = 0; h < 2; ++h) two.add_ops()->mutable_release()->set_hold_id(holds[h]);
  grpc::ClientContext ctx2;
  st = stub_->Batch(&ctx2, two, &resp);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(Row("wh", "H-0").held(), 8);
}

TEST_F(LimitsTest, RequestsOverTheLimitAreRefusedUndecoded) {
  Start("  max_request_bytes: 65536\n");
  v1::BatchRequest req;
  for (int i = 0; i < 300; ++i) {
    v1::AdjustRequest* a = req.add_ops()->mutable_adjust();
    a->set_location("wh");
    a->set_sku("ADJ-1");
    a->set_delta(1);
    a->set_reason(v1::RECEIPT);
    a->set_note(std::string(250, 'n'));
  }
  ASSERT_GT(req.ByteSizeLong(), 65536u);
  grpc::ClientContext ctx;
  v1::BatchResponse resp;
  grpc::Status st = stub_->Batch(&ctx, req, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  grpc::ClientContext ctx2;
  v1::GetStockRequest get;
  get.set_sku("ADJ-1");
  v1::GetStockResponse got;
  EXPECT_EQ(stub_->GetStock(&ctx2, get, &got).error_code(), grpc::StatusCode::NOT_FOUND);
}

// ------------------------------------------------------------------ paging

TEST_F(LimitsTest, ListHoldsPagesCoverEveryHoldOnceInOrder) {
  Start("  max_response_bytes: 65536\n", "holds: {max_lines: 100}\n");
  std::vector<std::string> skus;
  for (int i = 0; i < 60; ++i) {
    skus.push_back(absl::StrCat("P-", i, "-", std::string(100, 'x')));
    Count("wh", skus.back(), 1000);
  }
  std::vector<std::string> created;
  for (int h = 0; h < 45; ++h) {
    grpc::ClientContext ctx;
    std::vector<std::string> lines(skus.begin(), skus.begin() + (h % 3 == 0 ? 60 : 1));
    v1::ReserveResponse resp;
    ASSERT_TRUE(stub_->Reserve(&ctx, ReserveOp(lines, 1).reserve(), &resp).ok());
    created.push_back(resp.hold().hold_id());
  }
  for (int limit : {7, 1000}) {
    std::vector<std::string> listed;
    std::string token;
    int pages = 0;
    do {
      grpc::ClientContext ctx;
      v1::ListHoldsRequest req;
      req.set_limit(limit);
      req.set_page_token(token);
      v1::ListHoldsResponse resp;
      grpc::Status st = stub_->ListHolds(&ctx, req, &resp);
      ASSERT_TRUE(st.ok()) << st.error_message();
      EXPECT_LE(resp.ByteSizeLong(), 65536u);
      EXPECT_LE(resp.holds_size(), limit);
      for (const v1::Hold& h : resp.holds()) listed.push_back(h.hold_id());
      token = resp.next_page_token();
      ASSERT_LT(++pages, 100);
    } while (!token.empty());
    EXPECT_EQ(listed, created) << "limit " << limit;
    // 15 holds of 60 lines of 100-byte SKUs do not fit in 64 KiB: pages end early.
    if (limit == 1000) EXPECT_GT(pages, 1);
  }
  grpc::ClientContext ctx;
  v1::ListHoldsRequest bad;
  bad.set_page_token("garbage");
  v1::ListHoldsResponse resp;
  EXPECT_EQ(stub_->ListHolds(&ctx, bad, &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(LimitsTest, ListAuditAndGetStockPage) {
  Start();
  for (int i = 0; i < 12; ++i) Count("wh", "AUD-1", i + 1);
  std::vector<uint64_t> sequences;
  std::string token;
  do {
    grpc::ClientContext ctx;
    v1::ListAuditRequest req;
    req.set_sku("AUD-1");
    req.set_limit(5);
    req.set_page_token(token);
    v1::ListAuditResponse resp;
    ASSERT_TRUE(stub_->ListAudit(&ctx, req, &resp).ok());
    for (const v1::AuditEntry& e : resp.entries()) sequences.push_back(e.sequence());
    token = resp.next_page_token();
  } while (!token.empty());
  ASSERT_EQ(sequences.size(), 12u);
  for (size_t i = 1; i < sequences.size(); ++i) EXPECT_GT(sequences[i - 1], sequences[i]);

  for (const char* l : {"wh", "s1", "s2", "s3", "s4"}) Count(l, "ROWS-1", 3);
  std::vector<std::string> locations;
  token.clear();
  do {
    grpc::ClientContext ctx;
    v1::GetStockRequest req;
    req.set_sku("ROWS-1");
    req.set_page_size(2);
    req.set_page_token(token);
    v1::GetStockResponse resp;
    ASSERT_TRUE(stub_->GetStock(&ctx, req, &resp).ok());
    EXPECT_LE(resp.rows_size(), 2);
    for (const v1::StockRow& r : resp.rows()) locations.push_back(r.location());
    token = resp.next_page_token();
  } while (!token.empty());
  EXPECT_EQ(locations, (std::vector<std::string>{"wh", "s1", "s2", "s3", "s4"}));

  // Bad paging arguments are refused with the field named.
  auto get_stock = [&](int page_size, const std::string& token) {
    grpc::ClientContext ctx;
    v1::GetStockRequest req;
    req.set_sku("ROWS-1");
    req.set_page_size(page_size);
    req.set_page_token(token);
    v1::GetStockResponse resp;
    return stub_->GetStock(&ctx, req, &resp);
  };
  for (const auto& [size, token] :
       std::vector<std::pair<int, std::string>>{{-1, ""}, {4097, ""}, {0, "x"}, {0, "6"}}) {
    grpc::Status st = get_stock(size, token);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << size << " " << token;
    EXPECT_NE(st.error_message().find(size != 0 ? "page_size" : "page_token"), std::string::npos)
        << st.error_message();
  }
  EXPECT_TRUE(get_stock(0, "5").ok());  // just past the last row: an empty last page
  for (const std::string& token : {"x", "0", "-3"}) {
    grpc::ClientContext ctx;
    v1::ListAuditRequest req;
    req.set_page_token(token);
    v1::ListAuditResponse resp;
    grpc::Status st = stub_->ListAudit(&ctx, req, &resp);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << token;
    EXPECT_NE(st.error_message().find("page_token"), std::string::npos);
  }
}

TEST(LimitsConfigTest, ResponseLimitMustHoldTheLargestHold) {
  absl::StatusOr<config::Config> config = config::ParseConfig(
      "server:\n  max_response_bytes: 65536\nholds:\n  max_lines: 1000\n"
      "locations: [{id: wh, type: warehouse}]\n"
      "channels: [{id: web, type: webshop, sources: [wh]}]\n",
      "small.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("small.yaml:2:3: server.max_response_bytes"),
            std::string::npos)
      << config.status().message();
}

}  // namespace
}  // namespace stockd
