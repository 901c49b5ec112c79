// The journal receives records in sequence order (Engine::Impl::SequenceAndAppend), however
// many threads seal mutations on disjoint shards at once. Group commits store their last
// record's sequence as meta.sequence and name their request-id and resolved-hold fields by
// it; a record numbered before another but appended after it made a batch end on a lower
// number, and after a restart the daemon handed the numbers above it out again, and a new
// batch overwrote an old batch's request ids (acknowledged writes lost; the crash test
// found it under load, 2026-12-03).
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "daemon/engine/engine.h"
#include "tests/engine/engine_fixture.h"

namespace stockd::engine {
namespace {

// Completes every record at once and remembers the order of the sequences it was given.
class OrderCheckingJournal : public Journal {
 public:
  void Append(std::shared_ptr<const MutationRecord> record,
              std::function<void(absl::Status)> done) override {
    {
      absl::MutexLock lock(&mu_);
      sequences_.push_back(record->sequence);
    }
    done(absl::OkStatus());
  }
  std::vector<uint64_t> sequences() {
    absl::MutexLock lock(&mu_);
    return sequences_;
  }

 private:
  absl::Mutex mu_;
  std::vector<uint64_t> sequences_ ABSL_GUARDED_BY(mu_);
};

TEST(SequenceOrderTest, TheJournalReceivesEveryNumberOnceInOrder) {
  OrderCheckingJournal journal;
  ManualClock clock;
  EngineOptions options;
  options.clock = &clock;
  options.shards = 16;
  options.journal = &journal;
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Create(TestModel(), options);
  ASSERT_TRUE(engine.ok()) << engine.status();
  constexpr int kThreads = 16, kPerThread = 400;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Each thread its own SKUs: disjoint shards mostly, so seals run side by side.
      for (int i = 0; i < kPerThread; ++i) {
        const std::string sku = absl::StrCat("SKU-", t, "-", i % 8);
        absl::StatusOr<Outcome> r =
            (*engine)->ExecuteAndWait(Command{{"", "test"}, CountCmd{"wh", sku, i, {}, ""}});
        ASSERT_TRUE(r.ok()) << r.status();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  const std::vector<uint64_t> seen = journal.sequences();
  ASSERT_EQ(seen.size(), static_cast<size_t>(kThreads * kPerThread));
  for (size_t i = 0; i < seen.size(); ++i) {
    ASSERT_EQ(seen[i], i + 1) << "the journal got sequence " << seen[i] << " at position " << i;
  }
}

}  // namespace
}  // namespace stockd::engine
