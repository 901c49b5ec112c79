// The poll worker: every order of a poll made durable before the cursor is stored; a
// poll with an order not made durable keeps the old cursor and is re-read with nothing
// counted twice; malformed orders are skipped and counted; the overlap window re-reads;
// the "ingested up to" watermark. Driven tick by tick with PollOnce, on a manual clock.
#include "daemon/orders/order_worker.h"

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/orders/orders_test_support.h"

namespace stockd::orders {
namespace {

using testing::Counters;
using testing::Line;
using testing::MakeOrder;
using testing::ScriptedAdapter;
using Status = plugins::Order::Status;

class OrderWorkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = testing::MakeEngine(&clock_);
    ASSERT_NE(engine_, nullptr);
    testing::Stock(engine_.get(), "SKU-1", 10);
    absl::StatusOr<std::unique_ptr<OrderIngest>> ingest =
        OrderIngest::Create(engine_.get(), &store_, {}, &clock_, {});
    ASSERT_TRUE(ingest.ok()) << ingest.status();
    ingest_ = *std::move(ingest);
  }

  // A worker for amazon on a fresh adapter sharing `orders` (copied into it).
  std::unique_ptr<OrderWorker> NewWorker(int64_t overlap_ms = 0) {
    auto adapter = std::make_unique<ScriptedAdapter>();
    adapter_ = adapter.get();
    for (const plugins::Order& o : log_) adapter_->Put(o);
    WorkerOptions options;
    options.channel = "amazon";
    options.overlap_ms = overlap_ms;
    return std::make_unique<OrderWorker>(options, std::move(adapter), ingest_.get(), &store_,
                                         nullptr, &clock_, nullptr);
  }
  void Put(plugins::Order o) {
    log_.push_back(o);
    adapter_->Put(std::move(o));
  }
  std::string StoredCursor() {
    absl::StatusOr<std::map<std::string, std::string>> cursors = store_.LoadCursors();
    EXPECT_TRUE(cursors.ok());
    auto it = cursors->find("amazon");
    return it == cursors->end() ? "<none>" : it->second;
  }

  engine::ManualClock clock_;
  std::unique_ptr<engine::Engine> engine_;
  MemoryOrderStore store_;
  std::unique_ptr<OrderIngest> ingest_;
  std::vector<plugins::Order> log_;
  ScriptedAdapter* adapter_ = nullptr;
};

TEST_F(OrderWorkerTest, StoresTheCursorOnceEveryOrderIsDurable) {
  std::unique_ptr<OrderWorker> worker = NewWorker();
  Put(MakeOrder("O-1", 1, Status::kPending, {Line("SKU-1", 2)}));
  Put(MakeOrder("O-2", 1, Status::kAccepted, {Line("SKU-1", 1)}));
  const int64_t t0 = clock_.NowMs();
  ASSERT_TRUE(worker->PollOnce().ok());
  EXPECT_EQ(Counters(engine_.get(), "SKU-1"), "10/2/1");
  EXPECT_EQ(StoredCursor(), "2");
  WorkerStats stats = worker->Stats();
  EXPECT_EQ(stats.seen, 2);
  EXPECT_EQ(stats.applied, 2);
  EXPECT_EQ(stats.ingested_up_to_ms, t0);
  EXPECT_EQ(stats.cursor, "2");
  EXPECT_EQ(adapter_->Froms(), (std::vector<std::string>{""}));

  // The next poll starts from the cursor; an update of O-1 moves it.
  clock_.Advance(5000);
  Put(MakeOrder("O-1", 2, Status::kCancelled, {Line("SKU-1", 2, 0, 2)}));
  ASSERT_TRUE(worker->PollOnce().ok());
  EXPECT_EQ(Counters(engine_.get(), "SKU-1"), "10/0/1");
  EXPECT_EQ(StoredCursor(), "3");
  EXPECT_EQ(adapter_->Froms(), (std::vector<std::string>{"", "2"}));

  // A restart from scratch (no stored cursor) re-reads everything: replays only.
  std::unique_ptr<OrderWorker> again = NewWorker();
  ASSERT_TRUE(again->PollOnce().ok());
  EXPECT_EQ(Counters(engine_.get(), "SKU-1"), "10/0/1");
  stats = again->Stats();
  EXPECT_EQ(stats.seen, 2);  // O-2@1 and O-1@2, the log's latest
  EXPECT_EQ(stats.applied, 0);
  EXPECT_EQ(stats.replayed, 2);
}

TEST_F(OrderWorkerTest, APollWithAnOrderNotDurableKeepsTheCursorAndIsReRead) {
  std::unique_ptr<OrderWorker> worker = NewWorker();
  Put(MakeOrder("O-1", 1, Status::kPending, {Line("SKU-1", 2)}));
  ASSERT_TRUE(worker->PollOnce().ok());
  const int64_t first = clock_.NowMs();
  Put(MakeOrder("O-2", 1, Status::kPending, {Line("SKU-1", 1)}));
  Put(MakeOrder("O-3", 1, Status::kPending, {Line("SKU-1", 3)}));

  engine_->SetWritable(false, "redis down");
  clock_.Advance(5000);
  absl::Status st = worker->PollOnce();
  EXPECT_EQ(st.code(), absl::StatusCode::kUnavailable) << st;
  EXPECT_EQ(StoredCursor(), "1");
  WorkerStats stats = worker->Stats();
  EXPECT_EQ(stats.failed_polls, 1);
  EXPECT_NE(stats.last_error.find("2 of 2 orders not made durable"), std::string::npos)
      << stats.last_error;
  EXPECT_EQ(stats.ingested_up_to_ms, first);
  EXPECT_EQ(Counters(engine_.get(), "SKU-1"), "10/2/0");

  engine_->SetWritable(true);
  clock_.Advance(1000);
  ASSERT_TRUE(worker->PollOnce().ok());
  EXPECT_EQ(adapter_->Froms(), (std::vector<std::string>{"", "1", "1"}));
  EXPECT_EQ(Counters(engine_.get(), "SKU-1"), "10/6/0");
  EXPECT_EQ(StoredCursor(), "3");
  stats = worker->Stats();
  EXPECT_EQ(stats.applied, 3);
  EXPECT_EQ(stats.last_error, "");
  EXPECT_EQ(stats.ingested_up_to_ms, clock_.NowMs());
}

TEST_F(OrderWorkerTest, AFailedPollKeepsTheCursor) {
  std::unique_ptr<OrderWorker> worker = NewWorker();
  Put(MakeOrder("O-1", 1, Status::kPending, {Line("SKU-1", 1)}));
  ASSERT_TRUE(worker->PollOnce().ok());
  adapter_->FailPolls(absl::UnavailableError("HTTP 503"));
  absl::Status st = worker->PollOnce();
  EXPECT_EQ(st.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(worker->Stats().last_error, "poll: HTTP 503");
  EXPECT_EQ(StoredCursor(), "1");
}

TEST_F(OrderWorkerTest, MalformedOrdersAreSkippedAndCounted) {
  std::unique_ptr<OrderWorker> worker = NewWorker();
  Put(MakeOrder("O-1", 1, Status::kPending, {Line("SKU-1", 1)}));
  // An order whose SKU stockd does not know is parked, not lost; a malformed one is
  // counted bad; neither holds the cursor back.
  Put(MakeOrder("O-2", 1, Status::kPending, {Line("NO-SUCH", 1)}));
  adapter_->DeliverMalformed();
  ASSERT_TRUE(worker->PollOnce().ok());
  WorkerStats stats = worker->Stats();
  EXPECT_EQ(stats.seen, 2);
  EXPECT_EQ(stats.applied, 1);
  EXPECT_EQ(stats.parked, 1);
  EXPECT_EQ(stats.bad, 1);
  EXPECT_EQ(StoredCursor(), "2");
  EXPECT_EQ(Counters(engine_.get(), "SKU-1"), "10/1/0");
}

// overlap 60s: each poll starts from the cursor of the last poll that started at least
// 60 s ago, and that is the cursor stored.
TEST_F(OrderWorkerTest, TheOverlapWindowIsReRead) {
  std::unique_ptr<OrderWorker> worker = NewWorker(60'000);
  Put(MakeOrder("O-1", 1, Status::kPending, {Line("SKU-1", 1)}));
  ASSERT_TRUE(worker->PollOnce().ok());  // t=0: from "", returns 1
  EXPECT_EQ(StoredCursor(), "");         // "1" is not 60 s old yet
  clock_.Advance(30'000);
  Put(MakeOrder("O-2", 1, Status::kPending, {Line("SKU-1", 1)}));
  ASSERT_TRUE(worker->PollOnce().ok());  // t=30s: from "" again, returns 2
  clock_.Advance(40'000);
  ASSERT_TRUE(worker->PollOnce().ok());  // t=70s: from 1 (t=0 is 70 s old; t=30s is not)
  EXPECT_EQ(StoredCursor(), "1");
  clock_.Advance(30'000);
  ASSERT_TRUE(worker->PollOnce().ok());  // t=100s: from 2 (t=30s is 70 s old)
  EXPECT_EQ(adapter_->Froms(), (std::vector<std::string>{"", "", "1", "2"}));
  EXPECT_EQ(Counters(engine_.get(), "SKU-1"), "10/2/0");  // re-reads counted once
  WorkerStats stats = worker->Stats();
  EXPECT_EQ(stats.applied, 2);
  EXPECT_EQ(stats.replayed, 2);  // O-1 at t=30s, O-2 at t=70s, nothing new at t=100s
}

}  // namespace
}  // namespace stockd::orders
