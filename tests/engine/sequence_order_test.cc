// The journal receives records in sequence order (Engine::Impl::SequenceAndAppend), however
// many threads seal mutations on disjoint shards at once. Group commits store their last
// record's sequence as meta.sequence and name their request-id and resolved-hold fields by
// it; a record numbered before another but appended after it made a batch end on a lower
// number, and after a restart the daemon handed the numbers above it out again, and a new
// batch overwrote an old batch's request ids (acknowledged writes lost; the crash test
// found it under load, 2026-12-03).
//
// Without a journal (redis.mode: memory) listeners hear each SKU's published changes in
// the order they happened: two Counts of one SKU finished their locked part in one order
// and told the push engine in the other, and the channel kept the older number
// (ReloadAdaptersTest failed in CI, 2026-12-03).
#include <gtest/gtest.h>

#include <map>
#include <thread>
#include <utility>
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

// Checks that each (channel, SKU)'s changes form one chain: every change starts from the
// quantity the one before it ended on.
class ChainCheckingListener : public ChangeListener {
 public:
  void OnPublishedChanges(const std::vector<PublishedChange>& changes) override {
    absl::MutexLock lock(&mu_);
    for (const PublishedChange& c : changes) {
      int64_t& last = last_[{c.channel, c.sku}];
      if (c.previous != last) ++breaks_;
      last = c.published;
    }
  }
  int breaks() {
    absl::MutexLock lock(&mu_);
    return breaks_;
  }
  std::map<std::pair<std::string, std::string>, int64_t> last() {
    absl::MutexLock lock(&mu_);
    return last_;
  }

 private:
  absl::Mutex mu_;
  std::map<std::pair<std::string, std::string>, int64_t> last_ ABSL_GUARDED_BY(mu_);
  int breaks_ ABSL_GUARDED_BY(mu_) = 0;
};

TEST(SequenceOrderTest, WithoutAJournalListenersHearEachSkusChangesInOrder) {
  ChainCheckingListener listener;
  EngineOptions options;
  options.shards = 16;
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Create(TestModel(), options);
  ASSERT_TRUE(engine.ok()) << engine.status();
  (*engine)->AddListener(&listener);
  // Many threads on two SKUs, each Count a new on-hand: every one changes what is shown.
  constexpr int kThreads = 8, kPerThread = 2000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string sku = (i % 2 == 0) ? "HOT-A" : "HOT-B";
        absl::StatusOr<Outcome> r = (*engine)->ExecuteAndWait(
            Command{{"", "test"}, CountCmd{"wh", sku, 1 + (i * 7 + t * 13) % 97, {}, ""}});
        ASSERT_TRUE(r.ok()) << r.status();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(listener.breaks(), 0) << "changes heard out of order";
  const auto last = listener.last();
  for (const char* sku : {"HOT-A", "HOT-B"}) {
    absl::StatusOr<std::vector<AvailabilityItem>> items =
        (*engine)->GetAvailability({sku}, {"web", "amazon"});
    ASSERT_TRUE(items.ok()) << items.status();
    for (const AvailabilityItem& a : *items) {
      auto it = last.find({a.channel, sku});
      ASSERT_NE(it, last.end()) << a.channel << " " << sku;
      EXPECT_EQ(it->second, a.published) << a.channel << " " << sku << ": the listener was told "
                                         << it->second << ", the engine publishes " << a.published;
    }
  }
}

}  // namespace
}  // namespace stockd::engine
