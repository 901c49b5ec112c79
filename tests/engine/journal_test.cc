// The engine's contract (docs/design.md "Operations", proto/stockd/v1/stockd.proto status
// conventions): every operation's state transitions and exact status codes, and that a
// failed call changes nothing. Tests marked CONTRACT assert documented behaviour the
// engine did not show when they were written. The fixture is engine_fixture.h.
//
// This file: the engine with a Journal: acknowledgement only after the journal completes,
// what it carries, replays in flight, and a failed write undone by re-sync.
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "tests/engine/engine_fixture.h"

namespace stockd::engine {
namespace {

// ---------------------------------------------------------------- journal

// A journal that queues records and completes them when the test says so. What it
// completes with OK is folded into a durable state, as the storage layer would keep it.
class QueueJournal : public Journal {
 public:
  void Append(std::shared_ptr<const MutationRecord> record,
              std::function<void(absl::Status)> done) override {
    absl::MutexLock lock(&mu_);
    records_.push_back(record);
    queue_.push_back({std::move(record), std::move(done)});
  }
  size_t pending() {
    absl::MutexLock lock(&mu_);
    return queue_.size();
  }
  std::vector<std::shared_ptr<const MutationRecord>> records() {
    absl::MutexLock lock(&mu_);
    return records_;
  }
  // Completes the oldest queued record with `status` (outside the journal's lock).
  void CompleteNext(absl::Status status) {
    std::function<void(absl::Status)> done;
    {
      absl::MutexLock lock(&mu_);
      ASSERT_FALSE(queue_.empty());
      if (status.ok()) Fold(*queue_.front().first);
      done = std::move(queue_.front().second);
      queue_.pop_front();
    }
    done(std::move(status));
  }
  // Everything completed with OK so far.
  Snapshot DurableState() {
    absl::MutexLock lock(&mu_);
    Snapshot snapshot;
    for (const auto& [key, row] : rows_) snapshot.rows.push_back(row);
    for (const auto& [id, hold] : holds_) snapshot.holds.push_back(hold);
    for (const auto& [id, record] : idempotency_) {
      snapshot.idempotency.push_back(std::make_shared<const IdempotencyRecord>(record));
    }
    snapshot.sequence = sequence_;
    return snapshot;
  }

 private:
  void Fold(const MutationRecord& r) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (const RowView& row : r.rows()) rows_[{row.sku, row.location}] = row;
    for (const HoldView& hold : r.holds) holds_[hold.hold_id] = hold;
    if (r.idempotency) idempotency_[r.idempotency->request_id] = *r.idempotency;
    sequence_ = std::max(sequence_, r.sequence);
  }

  absl::Mutex mu_;
  std::deque<std::pair<std::shared_ptr<const MutationRecord>, std::function<void(absl::Status)>>>
      queue_ ABSL_GUARDED_BY(mu_);
  std::vector<std::shared_ptr<const MutationRecord>> records_ ABSL_GUARDED_BY(mu_);
  std::map<std::pair<std::string, std::string>, RowView> rows_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, HoldView> holds_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, IdempotencyRecord> idempotency_ ABSL_GUARDED_BY(mu_);
  uint64_t sequence_ ABSL_GUARDED_BY(mu_) = 0;
};

// Captures the result of an asynchronous Execute.
struct Result {
  bool called = false;
  int calls = 0;
  absl::StatusOr<Outcome> value = absl::UnknownError("not called");
  Engine::Done Callback() {
    return [this](absl::StatusOr<Outcome> r) {
      called = true;
      ++calls;
      value = std::move(r);
    };
  }
};

class JournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    EngineOptions options;
    options.clock = &clock_;
    options.journal = &journal_;
    auto engine = Engine::Create(TestModel(), options);
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = std::move(*engine);
    engine_->AddListener(&listener_);
  }
  void TearDown() override {
    while (journal_.pending() > 0) journal_.CompleteNext(absl::OkStatus());
    InvariantReport report = engine_->CheckInvariants();
    EXPECT_TRUE(report.ok()) << absl::StrJoin(report.violations, "\n");
  }
  // Executes and completes durably; returns the outcome.
  absl::StatusOr<Outcome> Durable(CommandBody body, const std::string& request_id = "") {
    Result r;
    engine_->Execute(Cmd(std::move(body), request_id), r.Callback());
    if (!r.called) journal_.CompleteNext(absl::OkStatus());
    EXPECT_TRUE(r.called);
    return r.value;
  }
  Counters Row(const std::string& sku, const std::string& location) {
    auto rows = engine_->GetStock(sku, {location});
    if (!rows.ok() || rows->size() != 1) return Counters{-1, -1, -1};
    return (*rows)[0].counters;
  }

  ManualClock clock_;
  QueueJournal journal_;
  RecordingListener listener_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(JournalTest, AcknowledgesOnlyAfterTheJournalCompletes) {
  Result adjust;
  engine_->Execute(Cmd(t::Adjust("wh", "A", 10)), adjust.Callback());
  EXPECT_FALSE(adjust.called) << "done before the record was durable";
  ASSERT_EQ(journal_.pending(), 1u);
  EXPECT_EQ(StrChanges(listener_.Take()), "") << "changes are announced after durability";
  journal_.CompleteNext(absl::OkStatus());
  ASSERT_TRUE(adjust.called);
  EXPECT_EQ(adjust.calls, 1);
  ASSERT_TRUE(adjust.value.ok()) << adjust.value.status();
  EXPECT_EQ(Str(adjust.value->after), "A@wh=10/0/0");
  const int64_t now = clock_.NowMs();
  EXPECT_EQ(StrChanges(listener_.Take()),
            StrChanges({PublishedChange{"web", "A", 0, 10, 10, now},
                        PublishedChange{"amazon", "A", 0, 4, 10, now}}));

  // Two in flight: each completes on its own.
  Result second, third;
  engine_->Execute(Cmd(t::Adjust("wh", "A", 5)), second.Callback());
  engine_->Execute(Cmd(t::Adjust("s1", "A", 4)), third.Callback());
  EXPECT_FALSE(second.called);
  EXPECT_FALSE(third.called);
  journal_.CompleteNext(absl::OkStatus());
  EXPECT_TRUE(second.called);
  EXPECT_FALSE(third.called);
  journal_.CompleteNext(absl::OkStatus());
  EXPECT_TRUE(third.called);
  EXPECT_EQ(second.calls + third.calls, 2);

  // Failed validation never reaches the journal and answers at once.
  Result bad;
  engine_->Execute(Cmd(t::Adjust("wh", "A", 0, AdjustReason::kCorrection)), bad.Callback());
  EXPECT_TRUE(bad.called);
  EXPECT_EQ(bad.value.status().code(), kInvalid);
  EXPECT_EQ(journal_.pending(), 0u);
  EXPECT_EQ(journal_.records().size(), 3u);
}

TEST_F(JournalTest, DoneCarriesTheJournalError) {
  ASSERT_TRUE(Durable(t::Adjust("wh", "A", 10)).ok());
  listener_.Take();
  Result r;
  engine_->Execute(Cmd(t::Adjust("wh", "A", 1)), r.Callback());
  EXPECT_FALSE(r.called);
  journal_.CompleteNext(absl::UnavailableError("redis down"));
  ASSERT_TRUE(r.called);
  EXPECT_EQ(r.calls, 1);
  EXPECT_EQ(r.value.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(r.value.status().message(), "redis down");
  EXPECT_EQ(StrChanges(listener_.Take()), "") << "an unacknowledged mutation is not announced";
}

TEST_F(JournalTest, RecordsCarrySequenceAbsoluteRowsAndIdempotency) {
  ASSERT_TRUE(Durable(t::Adjust("wh", "A", 10)).ok());
  ASSERT_TRUE(Durable(t::Adjust("wh", "A", 5)).ok());
  const ReserveCmd reserve = t::Reserve("web", {L("A", 2, "wh")});
  absl::StatusOr<Outcome> held = Durable(reserve, "rq-1");
  ASSERT_TRUE(held.ok()) << held.status();
  ASSERT_TRUE(Durable(t::Transfer("wh", "s2", "A", 3)).ok());

  std::vector<std::shared_ptr<const MutationRecord>> records = journal_.records();
  ASSERT_EQ(records.size(), 4u);
  for (size_t i = 1; i < records.size(); ++i) {
    EXPECT_GT(records[i]->sequence, records[i - 1]->sequence);
  }
  // Absolute counters, not deltas.
  EXPECT_EQ(Str(records[0]->rows()), "A@wh=10/0/0");
  EXPECT_EQ(Str(records[1]->rows()), "A@wh=15/0/0");
  EXPECT_EQ(Str(records[2]->rows()), "A@wh=15/2/0");
  EXPECT_EQ(Str(records[3]->rows()), "A@wh=12/2/0, A@s2=3/0/0");

  EXPECT_EQ(records[0]->idempotency, nullptr);
  ASSERT_TRUE(records[2]->idempotency != nullptr);
  const IdempotencyRecord& idem = *records[2]->idempotency;
  EXPECT_EQ(idem.request_id, "rq-1");
  EXPECT_EQ(idem.fingerprint, Fingerprint(reserve));
  ASSERT_TRUE(idem.outcome.hold.has_value());
  EXPECT_EQ(idem.outcome.hold->hold_id, held->hold->hold_id);
  EXPECT_GT(idem.expires_ms, clock_.NowMs());

  ASSERT_EQ(records[2]->holds.size(), 1u);
  EXPECT_EQ(Str(records[2]->holds[0]), Str(*held->hold));
  EXPECT_EQ(records[2]->audit->operation, "reserve");
  EXPECT_EQ(records[2]->audit->request_id, "rq-1");
  EXPECT_EQ(records[2]->audit->sequence, records[2]->sequence);
  EXPECT_EQ(Str(records[2]->audit->after), "A@wh=15/2/0");
  // web 15 -> 13; amazon floor(13 / 2) = 6 -> floor(11 / 2) = 5.
  const int64_t now = clock_.NowMs();
  EXPECT_EQ(StrChanges(records[2]->changes),
            StrChanges({PublishedChange{"web", "A", 15, 13, 13, now},
                        PublishedChange{"amazon", "A", 6, 5, 13, now}}));
}

TEST_F(JournalTest, ReplayWhileInFlightWaitsForTheFirst) {
  ASSERT_TRUE(Durable(t::Adjust("wh", "A", 10)).ok());
  Result first, replay;
  engine_->Execute(Cmd(t::Reserve("web", {L("A", 2)}), "rq-2"), first.Callback());
  engine_->Execute(Cmd(t::Reserve("web", {L("A", 2)}), "rq-2"), replay.Callback());
  EXPECT_FALSE(first.called);
  EXPECT_FALSE(replay.called);
  EXPECT_EQ(journal_.pending(), 1u) << "the replay is not applied again";
  journal_.CompleteNext(absl::OkStatus());
  ASSERT_TRUE(first.called);
  ASSERT_TRUE(replay.called);
  ASSERT_TRUE(first.value.ok()) << first.value.status();
  ASSERT_TRUE(replay.value.ok()) << replay.value.status();
  ASSERT_TRUE(first.value->hold.has_value());
  ASSERT_TRUE(replay.value->hold.has_value());
  EXPECT_EQ(replay.value->hold->hold_id, first.value->hold->hold_id);
  EXPECT_EQ(Row("A", "wh"), (Counters{10, 2, 0}));
}

TEST_F(JournalTest, DoneMayCallBackIntoTheEngine) {
  ASSERT_TRUE(Durable(t::Adjust("wh", "A", 10)).ok());
  int64_t seen = -1;
  engine_->Execute(Cmd(t::Reserve("web", {L("A", 2)})), [&](absl::StatusOr<Outcome> r) {
    ASSERT_TRUE(r.ok());
    seen = Row("A", "wh").held;  // engine locks must not be held here
  });
  journal_.CompleteNext(absl::OkStatus());
  EXPECT_EQ(seen, 2);
}

// A write the journal could not make durable fails with UNAVAILABLE. The storage layer
// then closes the write gate and re-syncs the engine from what is durable (Restore):
// afterwards the failed call has left no trace, and its retry with the same request_id
// (proto: "retry with the same request_id") applies exactly once.
TEST_F(JournalTest, FailedWriteIsUndoneByReSyncAndItsRetryAppliesOnce) {
  ASSERT_TRUE(Durable(t::Adjust("wh", "A", 10)).ok());
  listener_.Take();
  Result failed;
  engine_->Execute(Cmd(t::Reserve("web", {L("A", 2, "wh")}), "rq-x"), failed.Callback());
  journal_.CompleteNext(absl::UnavailableError("redis down"));
  ASSERT_TRUE(failed.called);
  EXPECT_EQ(failed.value.status().code(), absl::StatusCode::kUnavailable);

  engine_->SetWritable(false, "redis down");
  EXPECT_FALSE(engine_->writable());
  Result gated;
  engine_->Execute(Cmd(t::Reserve("web", {L("A", 2, "wh")}), "rq-x"), gated.Callback());
  ASSERT_TRUE(gated.called) << "a closed gate fails fast";
  EXPECT_EQ(gated.value.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(journal_.pending(), 0u);

  absl::Status restored = engine_->Restore(journal_.DurableState());
  ASSERT_TRUE(restored.ok()) << restored;
  engine_->SetWritable(true);
  EXPECT_TRUE(engine_->writable());
  EXPECT_EQ(Row("A", "wh"), (Counters{10, 0, 0})) << "the failed call left no trace";
  EXPECT_TRUE(engine_->ListHolds(HoldFilter{}).empty());
  EXPECT_EQ(StrChanges(listener_.Take()), "") << "Restore emits no change events";
  auto items = engine_->GetAvailability({"A"}, {"web", "amazon"});
  ASSERT_TRUE(items.ok());
  EXPECT_EQ((*items)[0].published, 10);
  EXPECT_EQ((*items)[1].published, 4);

  absl::StatusOr<Outcome> retry = Durable(t::Reserve("web", {L("A", 2, "wh")}), "rq-x");
  ASSERT_TRUE(retry.ok()) << retry.status();
  ASSERT_TRUE(retry->hold.has_value());
  EXPECT_EQ(Row("A", "wh"), (Counters{10, 2, 0})) << "the retry applies exactly once";
  EXPECT_EQ(engine_->ListHolds(HoldFilter{}).size(), 1u);

  // A durable request survives a later re-sync: its replay still answers the first result.
  ASSERT_TRUE(engine_->Restore(journal_.DurableState()).ok());
  const size_t appended = journal_.records().size();
  Result replay;
  engine_->Execute(Cmd(t::Reserve("web", {L("A", 2, "wh")}), "rq-x"), replay.Callback());
  ASSERT_TRUE(replay.called);
  ASSERT_TRUE(replay.value.ok()) << replay.value.status();
  ASSERT_TRUE(replay.value->hold.has_value());
  EXPECT_EQ(replay.value->hold->hold_id, retry->hold->hold_id);
  EXPECT_EQ(journal_.records().size(), appended);
  EXPECT_EQ(Row("A", "wh"), (Counters{10, 2, 0}));
}

}  // namespace
}  // namespace stockd::engine
