// The Session stream's contract (docs/session-stream.md) through a real Daemon: the
// window announced first, results by tag, a refused op that does not end the stream,
// idempotent replays, no result before Redis has it (a SIGSTOPped redis-server holds
// every answer back), a tag reused while in flight, per-op deadlines, the window's
// back-pressure and RESOURCE_EXHAUSTED beyond it, many streams on one SKU with zero
// oversell, the stream limit, a message over max_batch, and the drain.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "daemon/config/config.h"
#include "daemon/server/daemon.h"
#include "stockd/v1/stockd.grpc.pb.h"
#include "tests/support/temp_dir.h"

namespace stockd {
namespace {

using namespace std::chrono_literals;
using grpc::StatusCode;

// One client stream: a thread reads every response into a queue the test waits on.
class TestSession {
 public:
  explicit TestSession(v1::Stock::Stub* stub) {
    ctx_.set_deadline(std::chrono::system_clock::now() + 60s);
    stream_ = stub->Session(&ctx_);
    reader_ = std::thread([this] {
      v1::SessionResponse r;
      while (stream_->Read(&r)) {
        std::lock_guard<std::mutex> lock(mu_);
        responses_.push_back(r);
        cv_.notify_all();
      }
      std::lock_guard<std::mutex> lock(mu_);
      ended_ = true;
      cv_.notify_all();
    });
  }
  ~TestSession() {
    if (reader_.joinable()) {
      ctx_.TryCancel();
      reader_.join();
    }
  }

  bool Send(const std::vector<v1::SessionOp>& ops) {
    v1::SessionRequest req;
    for (const v1::SessionOp& op : ops) *req.add_ops() = op;
    return stream_->Write(req);
  }

  // The next response, or nullopt if none came within `wait` (or the stream ended).
  std::optional<v1::SessionResponse> Next(std::chrono::milliseconds wait = 10s) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, wait, [this] { return !responses_.empty() || ended_; });
    if (responses_.empty()) return std::nullopt;
    v1::SessionResponse r = std::move(responses_.front());
    responses_.pop_front();
    return r;
  }

  // Results until `n` have come (by tag), or what came within `wait`; `credits` gets
  // every response's credit.
  std::map<uint64_t, v1::BatchResult> Results(size_t n, std::chrono::milliseconds wait = 10s,
                                              std::vector<uint32_t>* credits = nullptr) {
    std::map<uint64_t, v1::BatchResult> out;
    const auto until = std::chrono::steady_clock::now() + wait;
    while (out.size() < n) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          until - std::chrono::steady_clock::now());
      if (left <= 0ms) break;
      std::optional<v1::SessionResponse> r = Next(left);
      if (!r) break;
      if (credits != nullptr) credits->push_back(r->credit());
      for (const v1::SessionResult& res : r->results()) {
        EXPECT_FALSE(out.contains(res.tag())) << "tag " << res.tag() << " answered twice";
        out[res.tag()] = res.result();
      }
    }
    return out;
  }

  // Half-closes, waits for the server to end the stream and returns its status.
  grpc::Status Close() {
    stream_->WritesDone();
    return Wait();
  }
  // Waits for the server to end the stream (no half-close) and returns its status.
  grpc::Status Wait() {
    reader_.join();
    return stream_->Finish();
  }

 private:
  grpc::ClientContext ctx_;
  std::unique_ptr<grpc::ClientReaderWriter<v1::SessionRequest, v1::SessionResponse>> stream_;
  std::thread reader_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<v1::SessionResponse> responses_;
  bool ended_ = false;
};

v1::SessionOp CountOp(uint64_t tag, const std::string& sku, int64_t on_hand,
                      const std::string& location = "wh") {
  v1::SessionOp op;
  op.set_tag(tag);
  v1::CountRequest* c = op.mutable_op()->mutable_count();
  c->set_location(location);
  c->set_sku(sku);
  c->set_on_hand(on_hand);
  return op;
}

v1::SessionOp ReserveOp(uint64_t tag, const std::string& sku, int64_t qty,
                        const std::string& request_id = "",
                        const std::string& channel = "webshop") {
  v1::SessionOp op;
  op.set_tag(tag);
  v1::ReserveRequest* r = op.mutable_op()->mutable_reserve();
  r->set_channel(channel);
  r->set_request_id(request_id);
  v1::HoldLine* line = r->add_lines();
  line->set_sku(sku);
  line->set_qty(qty);
  return op;
}

v1::SessionOp SellOp(uint64_t tag, const std::string& sku, int64_t qty) {
  v1::SessionOp op;
  op.set_tag(tag);
  v1::SellRequest* s = op.mutable_op()->mutable_sell();
  s->set_channel("pos");
  s->set_location("store");
  s->set_sku(sku);
  s->set_qty(qty);
  return op;
}

class SessionTest : public ::testing::Test {
 protected:
  // `durable`: the embedded Redis under the test's directory; else redis.mode: memory.
  void Start(bool durable, const std::string& server_extra = "") {
    std::string yaml =
        absl::StrCat("server: {listen: \"127.0.0.1:0\", drain_timeout: 30s", server_extra, "}\n");
    if (durable) {
      yaml += absl::StrCat("data_dir: ", dir_.path(), "/data\nredis: {timeout: 5s}\n");
    } else {
      yaml += "redis: {mode: memory}\n";
    }
    yaml += R"yaml(
locations:
  - {id: wh, type: warehouse}
  - {id: store, type: store}
channels:
  - {id: webshop, type: webshop, sources: [wh]}
  - {id: pos, type: store, sources: [store]}
)yaml";
    absl::StatusOr<config::Config> config = config::ParseConfig(yaml, "session.yaml");
    ASSERT_TRUE(config.ok()) << config.status();
    absl::StatusOr<std::unique_ptr<server::Daemon>> d = server::Daemon::Start(*config);
    ASSERT_TRUE(d.ok()) << d.status();
    daemon_ = std::move(*d);
    stub_ = v1::Stock::NewStub(grpc::CreateChannel(absl::StrCat("127.0.0.1:", daemon_->port()),
                                                   grpc::InsecureChannelCredentials()));
  }
  void TearDown() override {
    if (redis_stopped_) ContinueRedis();
    daemon_.reset();
  }

  pid_t RedisPid() {
    std::ifstream in(dir_.path() + "/data/redis.pid");
    pid_t pid = 0;
    in >> pid;
    return pid;
  }
  void StopRedis() {
    ASSERT_EQ(kill(RedisPid(), SIGSTOP), 0);
    redis_stopped_ = true;
  }
  void ContinueRedis() {
    kill(RedisPid(), SIGCONT);
    redis_stopped_ = false;
  }

  v1::StockRow Row(const std::string& location, const std::string& sku) {
    grpc::ClientContext ctx;
    v1::GetStockRequest req;
    req.set_sku(sku);
    req.add_locations(location);
    v1::GetStockResponse resp;
    grpc::Status st = stub_->GetStock(&ctx, req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp.rows_size() > 0 ? resp.rows(0) : v1::StockRow();
  }

  testing::TempDir dir_;
  std::unique_ptr<server::Daemon> daemon_;
  std::unique_ptr<v1::Stock::Stub> stub_;
  bool redis_stopped_ = false;
};

TEST_F(SessionTest, FirstResponseAnnouncesTheWindowAndResultsComeBackByTag) {
  Start(/*durable=*/false, ", session_inflight: 8");
  TestSession s(stub_.get());
  std::optional<v1::SessionResponse> first = s.Next();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->results_size(), 0);
  EXPECT_EQ(first->credit(), 8u);

  ASSERT_TRUE(s.Send({CountOp(70, "A", 10), CountOp(71, "A", 4, "store")}));
  std::map<uint64_t, v1::BatchResult> counted = s.Results(2);
  ASSERT_EQ(counted.size(), 2u);
  EXPECT_EQ(counted[70].code(), 0) << counted[70].message();
  EXPECT_EQ(counted[70].row().after().on_hand(), 10);
  EXPECT_EQ(counted[71].row().after().on_hand(), 4);

  ASSERT_TRUE(s.Send({ReserveOp(5, "A", 3), SellOp(6, "A", 1)}));
  std::map<uint64_t, v1::BatchResult> r = s.Results(2);
  ASSERT_EQ(r.size(), 2u);
  ASSERT_EQ(r[5].code(), 0) << r[5].message();
  ASSERT_EQ(r[5].result_case(), v1::BatchResult::kReserve);
  EXPECT_FALSE(r[5].reserve().hold().hold_id().empty());
  ASSERT_EQ(r[6].code(), 0) << r[6].message();
  EXPECT_EQ(r[6].sell().row().on_hand(), 3);
  EXPECT_EQ(Row("wh", "A").held(), 3);
  EXPECT_EQ(Row("store", "A").on_hand(), 3);
  grpc::Status st = s.Close();
  EXPECT_TRUE(st.ok()) << st.error_message();
}

TEST_F(SessionTest, ARefusedOperationDoesNotEndTheStream) {
  Start(/*durable=*/false);
  TestSession s(stub_.get());
  ASSERT_TRUE(s.Next().has_value());
  v1::SessionOp empty;
  empty.set_tag(2);
  v1::SessionOp late = CountOp(3, "B", 1);
  late.set_deadline_ms(-5);
  ASSERT_TRUE(s.Send({ReserveOp(1, "B", 1, "", "nowhere"), empty, late, CountOp(4, "B", 7),
                      ReserveOp(5, "B", 8)}));
  std::map<uint64_t, v1::BatchResult> r = s.Results(5);
  ASSERT_EQ(r.size(), 5u);
  EXPECT_EQ(r[1].code(), static_cast<int>(StatusCode::NOT_FOUND)) << r[1].message();
  EXPECT_EQ(r[2].code(), static_cast<int>(StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(r[2].message(), "op: no operation set");
  EXPECT_EQ(r[3].code(), static_cast<int>(StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(r[3].message(), "deadline_ms: -5 is negative");
  EXPECT_EQ(r[4].code(), 0) << r[4].message();
  EXPECT_EQ(r[5].code(), static_cast<int>(StatusCode::FAILED_PRECONDITION)) << r[5].message();
  // Still open: the next op is served.
  ASSERT_TRUE(s.Send({ReserveOp(6, "B", 7)}));
  std::map<uint64_t, v1::BatchResult> more = s.Results(1);
  ASSERT_EQ(more.size(), 1u);
  EXPECT_EQ(more[6].code(), 0) << more[6].message();
  EXPECT_EQ(Row("wh", "B").held(), 7);
  EXPECT_TRUE(s.Close().ok());
}

TEST_F(SessionTest, AReplayedRequestIdAnswersTheFirstResultAndMovesStockOnce) {
  Start(/*durable=*/true);
  TestSession s(stub_.get());
  ASSERT_TRUE(s.Next().has_value());
  ASSERT_TRUE(s.Send({CountOp(1, "C", 10)}));
  ASSERT_EQ(s.Results(1)[1].code(), 0);
  ASSERT_TRUE(s.Send({ReserveOp(2, "C", 4, "order-77")}));
  std::map<uint64_t, v1::BatchResult> first = s.Results(1);
  ASSERT_EQ(first[2].code(), 0) << first[2].message();
  ASSERT_TRUE(s.Send({ReserveOp(3, "C", 4, "order-77")}));
  std::map<uint64_t, v1::BatchResult> again = s.Results(1);
  ASSERT_EQ(again[3].code(), 0) << again[3].message();
  EXPECT_EQ(again[3].reserve().hold().hold_id(), first[2].reserve().hold().hold_id());
  EXPECT_EQ(Row("wh", "C").held(), 4);
  EXPECT_TRUE(s.Close().ok());
}

// No result before Redis has the write; a tag in flight cannot be reused; an op past
// its own deadline is answered "outcome unknown" and its retry with the same request id
// finds what was applied.
TEST_F(SessionTest, NothingIsAnsweredBeforeItIsDurable) {
  Start(/*durable=*/true);
  TestSession s(stub_.get());
  ASSERT_TRUE(s.Next().has_value());
  ASSERT_TRUE(s.Send({CountOp(1, "D", 10)}));
  ASSERT_EQ(s.Results(1)[1].code(), 0);

  StopRedis();
  v1::SessionOp timed = ReserveOp(2, "D", 2, "r-timed");
  timed.set_deadline_ms(700);
  ASSERT_TRUE(s.Send({ReserveOp(1, "D", 3, "r-held"), timed}));
  ASSERT_TRUE(s.Send({ReserveOp(1, "D", 1, "r-dup")}));
  std::map<uint64_t, v1::BatchResult> early = s.Results(2, 3s);
  ASSERT_EQ(early.size(), 2u);
  // The duplicate tag, at once; the timed op, at its deadline; nothing for tag 1.
  EXPECT_EQ(early[1].code(), static_cast<int>(StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(early[1].message(), "tag 1 is already in flight on this stream");
  EXPECT_EQ(early[2].code(), static_cast<int>(StatusCode::UNAVAILABLE)) << early[2].message();
  EXPECT_TRUE(s.Results(1, 500ms).empty()) << "an answer before Redis took the write";

  ContinueRedis();
  std::map<uint64_t, v1::BatchResult> held = s.Results(1);
  ASSERT_EQ(held[1].code(), 0) << held[1].message();
  ASSERT_TRUE(s.Send({ReserveOp(9, "D", 2, "r-timed")}));
  std::map<uint64_t, v1::BatchResult> retry = s.Results(1);
  ASSERT_EQ(retry[9].code(), 0) << retry[9].message();
  EXPECT_EQ(Row("wh", "D").held(), 5);  // 3 + 2: the timed op was applied once
  EXPECT_TRUE(s.Close().ok());
}

// The window: with 4 unanswered, the rest of a message is refused and the next message
// is not read until results free the window; credits follow.
TEST_F(SessionTest, TheWindowHoldsBackAndRefusesWhatDoesNotFit) {
  Start(/*durable=*/true, ", session_inflight: 4");
  TestSession s(stub_.get());
  std::optional<v1::SessionResponse> first = s.Next();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->credit(), 4u);
  ASSERT_TRUE(s.Send({CountOp(100, "E", 100)}));
  ASSERT_EQ(s.Results(1)[100].code(), 0);

  StopRedis();
  std::vector<v1::SessionOp> six;
  for (uint64_t t = 1; t <= 6; ++t) six.push_back(ReserveOp(t, "E", 1, absl::StrCat("e-", t)));
  ASSERT_TRUE(s.Send(six));
  std::vector<uint32_t> credits;
  std::map<uint64_t, v1::BatchResult> refused = s.Results(2, 5s, &credits);
  ASSERT_EQ(refused.size(), 2u);
  EXPECT_EQ(refused[5].code(), static_cast<int>(StatusCode::RESOURCE_EXHAUSTED));
  EXPECT_EQ(refused[6].code(), static_cast<int>(StatusCode::RESOURCE_EXHAUSTED));
  EXPECT_EQ(credits.back(), 0u);
  // Not read while the window is full: no answer at all for tag 7 yet.
  ASSERT_TRUE(s.Send({ReserveOp(7, "E", 1, "e-7")}));
  EXPECT_TRUE(s.Results(1, 700ms).empty());

  ContinueRedis();
  credits.clear();
  std::map<uint64_t, v1::BatchResult> done = s.Results(5, 10s, &credits);
  ASSERT_EQ(done.size(), 5u);
  for (uint64_t t : {1, 2, 3, 4, 7}) EXPECT_EQ(done[t].code(), 0) << t << done[t].message();
  EXPECT_EQ(credits.back(), 4u);
  EXPECT_EQ(Row("wh", "E").held(), 5);
  EXPECT_TRUE(s.Close().ok());
}

// A client that sends a new op for every result it reads keeps (sent - received) at the
// window and is never refused, although gRPC may report a write done after the client
// has read it (the results on the wire do not count against the client). This client
// is slow to answer (a thread hand-off per response); tests/clients drives the same at
// full speed, where the race shows every run.
TEST_F(SessionTest, AClientThatKeepsItsWindowFullIsNeverRefused) {
  Start(/*durable=*/true, ", session_inflight: 8");
  TestSession s(stub_.get());
  std::optional<v1::SessionResponse> first = s.Next();
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(s.Send({CountOp(0, "W", 1'000'000)}));
  ASSERT_EQ(s.Results(1)[0].code(), 0);
  constexpr int kOps = 4000;
  std::vector<v1::SessionOp> initial;
  for (uint64_t t = 0; t < 8; ++t) initial.push_back(ReserveOp(t, "W", 1));
  ASSERT_TRUE(s.Send(initial));
  int sent = 8, ok = 0, refused = 0;
  while (ok + refused < kOps) {
    std::optional<v1::SessionResponse> r = s.Next();
    ASSERT_TRUE(r.has_value()) << ok << " ok, " << refused << " refused";
    std::vector<v1::SessionOp> more;
    for (const v1::SessionResult& res : r->results()) {
      if (res.result().code() == 0) {
        ++ok;
      } else {
        ++refused;
        ADD_FAILURE() << res.result().message();
      }
      if (sent < kOps) {
        more.push_back(ReserveOp(res.tag(), "W", 1));
        ++sent;
      }
    }
    if (!more.empty()) ASSERT_TRUE(s.Send(more));
  }
  EXPECT_EQ(ok, kOps);
  EXPECT_EQ(refused, 0);
  EXPECT_EQ(Row("wh", "W").held(), kOps);
  EXPECT_TRUE(s.Close().ok());
}

TEST_F(SessionTest, ManyStreamsOnOneSkuNeverOversell) {
  Start(/*durable=*/true, ", session_inflight: 64");  // each stream keeps within its window
  {
    TestSession s(stub_.get());
    ASSERT_TRUE(s.Next().has_value());
    ASSERT_TRUE(s.Send({CountOp(1, "HOT", 100)}));
    ASSERT_EQ(s.Results(1)[1].code(), 0);
    EXPECT_TRUE(s.Close().ok());
  }
  constexpr int kStreams = 8;
  constexpr int kOpsPerStream = 40;  // 320 reserves of 1 for 100 units
  std::vector<int> ok(kStreams, 0), short_of_stock(kStreams, 0), other(kStreams, 0);
  std::vector<std::thread> threads;
  for (int i = 0; i < kStreams; ++i) {
    threads.emplace_back([&, i] {
      TestSession s(stub_.get());
      if (!s.Next().has_value()) return;
      for (int k = 0; k < kOpsPerStream; k += 10) {
        std::vector<v1::SessionOp> ops;
        for (int j = k; j < k + 10; ++j) {
          ops.push_back(ReserveOp(j, "HOT", 1, absl::StrCat("hot-", i, "-", j)));
        }
        s.Send(ops);
      }
      for (const auto& [tag, r] : s.Results(kOpsPerStream, 30s)) {
        if (r.code() == 0) {
          ++ok[i];
        } else if (r.code() == static_cast<int>(StatusCode::FAILED_PRECONDITION)) {
          ++short_of_stock[i];
        } else {
          ++other[i];
        }
      }
      s.Close();
    });
  }
  for (std::thread& t : threads) t.join();
  int total_ok = 0, total_short = 0, total_other = 0;
  for (int i = 0; i < kStreams; ++i) {
    total_ok += ok[i];
    total_short += short_of_stock[i];
    total_other += other[i];
  }
  EXPECT_EQ(total_ok, 100);
  EXPECT_EQ(total_short, kStreams * kOpsPerStream - 100);
  EXPECT_EQ(total_other, 0);
  EXPECT_EQ(Row("wh", "HOT").held(), 100);

  grpc::ClientContext ctx;
  v1::CheckInvariantsResponse inv;
  ASSERT_TRUE(stub_->CheckInvariants(&ctx, v1::CheckInvariantsRequest(), &inv).ok());
  EXPECT_TRUE(inv.ok());
  EXPECT_EQ(inv.violations_size(), 0);
}

TEST_F(SessionTest, StreamLimitAndOversizedMessageAreRefused) {
  Start(/*durable=*/false, ", max_sessions: 1, max_batch: 3");
  TestSession first(stub_.get());
  ASSERT_TRUE(first.Next().has_value());
  {
    TestSession second(stub_.get());
    grpc::Status st = second.Wait();
    EXPECT_EQ(st.error_code(), StatusCode::RESOURCE_EXHAUSTED);
    EXPECT_NE(st.error_message().find("server.max_sessions"), std::string::npos);
  }
  ASSERT_TRUE(
      first.Send({CountOp(1, "F", 1), CountOp(2, "F", 2), CountOp(3, "F", 3), CountOp(4, "F", 4)}));
  grpc::Status st = first.Wait();
  EXPECT_EQ(st.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message(),
            "ops: 4 operations in one message, at most 3 (server.max_batch); nothing of that "
            "message was applied");
  grpc::ClientContext ctx;
  v1::GetStockRequest req;
  req.set_sku("F");
  v1::GetStockResponse resp;
  EXPECT_EQ(stub_->GetStock(&ctx, req, &resp).error_code(), StatusCode::NOT_FOUND);
}

// SIGTERM's drain: a stream with an op in flight gets its answer, then ends UNAVAILABLE;
// the drain does not wait for the client to hang up.
TEST_F(SessionTest, TheDrainAnswersWhatIsInFlightAndEndsTheStream) {
  Start(/*durable=*/true);
  TestSession s(stub_.get());
  ASSERT_TRUE(s.Next().has_value());
  ASSERT_TRUE(s.Send({CountOp(1, "G", 5)}));
  ASSERT_EQ(s.Results(1)[1].code(), 0);
  StopRedis();
  ASSERT_TRUE(s.Send({ReserveOp(2, "G", 1, "g-2")}));
  std::this_thread::sleep_for(200ms);
  const auto started = std::chrono::steady_clock::now();
  std::thread shutdown([this] { daemon_->Shutdown(); });
  std::this_thread::sleep_for(300ms);
  ContinueRedis();
  std::map<uint64_t, v1::BatchResult> r = s.Results(1);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[2].code(), 0) << r[2].message();
  grpc::Status st = s.Wait();
  EXPECT_EQ(st.error_code(), StatusCode::UNAVAILABLE);
  EXPECT_NE(st.error_message().find("draining"), std::string::npos) << st.error_message();
  shutdown.join();
  // Well before server.drain_timeout (30 s): the stream did not hold the drain.
  EXPECT_LT(std::chrono::steady_clock::now() - started, 20s);
}

}  // namespace
}  // namespace stockd
