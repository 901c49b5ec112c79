// The engine under concurrent load: many requests on one SKU never oversell, multi-line
// reserves across shards never deadlock, concurrent replays of one request_id make one
// hold, and the held/committed counters always equal the open holds.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <latch>
#include <memory>
#include <mutex>
#include <ostream>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "daemon/engine/engine.h"
#include "gtest/gtest.h"
#include "tests/support/test_model.h"

namespace stockd::engine {
namespace {

using ::stockd::testing::Cmd;
using ::stockd::testing::L;
using ::stockd::testing::ModelBuilder;
namespace t = ::stockd::testing;

// Collects failures from worker threads; the test thread reports them.
class Failures {
 public:
  void Add(std::string what) {
    std::lock_guard<std::mutex> lock(mu_);
    ++count_;
    if (samples_.size() < 10) samples_.push_back(std::move(what));
  }
  int count() {
    std::lock_guard<std::mutex> lock(mu_);
    return count_;
  }
  std::string Describe() {
    std::lock_guard<std::mutex> lock(mu_);
    return absl::StrCat(count_, " failures, e.g.:\n", absl::StrJoin(samples_, "\n"));
  }

 private:
  std::mutex mu_;
  int count_ = 0;
  std::vector<std::string> samples_;
};

// Runs `body` and aborts the whole test binary if it does not return within `limit`:
// a deadlocked engine would otherwise hang the suite forever.
void WithDeadline(std::chrono::seconds limit, const std::function<void()>& body) {
  std::promise<void> finished;
  std::future<void> done = finished.get_future();
  std::thread runner([&] {
    body();
    finished.set_value();
  });
  if (done.wait_for(limit) != std::future_status::ready) {
    ADD_FAILURE() << "no progress within " << limit.count() << " s: deadlock?";
    std::fprintf(stderr, "engine_concurrency_test: deadlock suspected, aborting\n");
    std::abort();
  }
  runner.join();
}

// ---------------------------------------------------------------- one hot SKU

constexpr int kThreads = 64;
constexpr int kRuns = 100;
constexpr int kOpsPerThread = 60;
constexpr int64_t kUnits = 1000;

struct HotSkuVariant {
  const char* name;
  std::vector<std::pair<std::string, int64_t>> stock;  // location -> on_hand
};

void PrintTo(const HotSkuVariant& v, std::ostream* os) { *os << v.name; }

class HotSkuTest : public ::testing::TestWithParam<HotSkuVariant> {};

// 64 threads reserve 1..3 units (no location) and release, commit or cancel their own
// holds at random. A watcher polls GetStock: never more than 1,000 held + committed, no
// row above its on_hand. At the end the counters equal what the threads hold.
TEST_P(HotSkuTest, NeverOversells) {
  const HotSkuVariant& variant = GetParam();
  const Model model = ModelBuilder()
                          .Location("wh1")
                          .Location("wh2")
                          .Channel("web", ChannelType::kWebshop, {"wh1", "wh2"})
                          .Build();
  Failures failures;
  std::atomic<int64_t> rejected{0}, reserved{0}, watcher_polls{0};

  for (int run = 0; run < kRuns; ++run) {
    ManualClock clock;
    EngineOptions options;
    options.clock = &clock;
    auto created = Engine::Create(model, options);
    ASSERT_TRUE(created.ok()) << created.status();
    Engine& engine = **created;
    for (const auto& [location, units] : variant.stock) {
      ASSERT_TRUE(engine.ExecuteAndWait(Cmd(t::Count(location, "HOT", units))).ok());
    }

    struct Tally {
      int64_t held = 0, committed = 0, open = 0;
    };
    std::vector<Tally> tallies(kThreads);
    std::atomic<bool> stop{false};
    std::latch start(kThreads + 2);  // workers, watcher, this thread

    std::thread watcher([&] {
      start.arrive_and_wait();
      while (!stop.load()) {
        auto rows = engine.GetStock("HOT", {});
        if (!rows.ok()) {
          failures.Add(rows.status().ToString());
          continue;
        }
        int64_t used = 0, on_hand = 0;
        for (const RowView& r : *rows) {
          used += r.counters.held + r.counters.committed;
          on_hand += r.counters.on_hand;
          if (r.counters.held + r.counters.committed > r.counters.on_hand) {
            failures.Add(absl::StrCat("row ", r.location, " over its on_hand: ", r.counters.held,
                                      "+", r.counters.committed, " > ", r.counters.on_hand));
          }
        }
        if (used > kUnits) failures.Add(absl::StrCat("oversold: ", used, " > ", kUnits));
        if (on_hand != kUnits) failures.Add(absl::StrCat("on_hand moved: ", on_hand));
        watcher_polls.fetch_add(1);
      }
    });

    std::vector<std::thread> workers;
    for (int w = 0; w < kThreads; ++w) {
      workers.emplace_back([&, w] {
        std::mt19937 rng(run * 1000 + w);
        std::vector<std::pair<std::string, int64_t>> held, committed;
        Tally& tally = tallies[w];
        start.arrive_and_wait();
        for (int op = 0; op < kOpsPerThread; ++op) {
          const int dice = static_cast<int>(rng() % 100);
          if (dice < 55 || (held.empty() && committed.empty())) {
            const int64_t qty = 1 + rng() % 3;
            auto r = engine.ExecuteAndWait(Cmd(t::Reserve("web", {L("HOT", qty)})));
            if (r.ok() && !r->hold) {
              failures.Add("reserve: no hold in the outcome");
            } else if (r.ok()) {
              held.emplace_back(r->hold->hold_id, qty);
              reserved.fetch_add(1);
            } else if (r.status().code() == absl::StatusCode::kFailedPrecondition) {
              rejected.fetch_add(1);
            } else {
              failures.Add("reserve: " + r.status().ToString());
            }
          } else if (dice < 80 && !held.empty()) {
            const size_t i = rng() % held.size();
            auto r = engine.ExecuteAndWait(Cmd(t::Release(held[i].first)));
            if (!r.ok()) failures.Add("release: " + r.status().ToString());
            held.erase(held.begin() + i);
          } else if (dice < 92 && !held.empty()) {
            const size_t i = rng() % held.size();
            auto r = engine.ExecuteAndWait(Cmd(t::Commit(held[i].first)));
            if (!r.ok()) failures.Add("commit: " + r.status().ToString());
            committed.push_back(held[i]);
            held.erase(held.begin() + i);
          } else if (!committed.empty()) {
            const size_t i = rng() % committed.size();
            auto r = engine.ExecuteAndWait(Cmd(t::Cancel(committed[i].first)));
            if (!r.ok()) failures.Add("cancel: " + r.status().ToString());
            committed.erase(committed.begin() + i);
          }
        }
        for (const auto& h : held) tally.held += h.second;
        for (const auto& c : committed) tally.committed += c.second;
        tally.open = static_cast<int64_t>(held.size() + committed.size());
      });
    }
    start.arrive_and_wait();
    for (std::thread& w : workers) w.join();
    stop.store(true);
    watcher.join();

    Tally total;
    for (const Tally& tally : tallies) {
      total.held += tally.held;
      total.committed += tally.committed;
      total.open += tally.open;
    }
    auto rows = engine.GetStock("HOT", {});
    ASSERT_TRUE(rows.ok()) << rows.status();
    int64_t held = 0, committed = 0, on_hand = 0;
    for (const RowView& r : *rows) {
      held += r.counters.held;
      committed += r.counters.committed;
      on_hand += r.counters.on_hand;
    }
    ASSERT_EQ(on_hand, kUnits) << "run " << run;
    ASSERT_LE(held + committed, kUnits) << "run " << run;
    ASSERT_EQ(held, total.held) << "run " << run;
    ASSERT_EQ(committed, total.committed) << "run " << run;
    ASSERT_EQ(engine.Stats().open_holds, total.open) << "run " << run;
    auto avail = engine.GetAvailability({"HOT"}, {"web"});
    ASSERT_TRUE(avail.ok());
    ASSERT_EQ((*avail)[0].reservable, kUnits - held - committed) << "run " << run;
    InvariantReport report = engine.CheckInvariants();
    ASSERT_TRUE(report.ok()) << "run " << run << ": " << absl::StrJoin(report.violations, "\n");
    ASSERT_EQ(failures.count(), 0) << "run " << run << ": " << failures.Describe();
  }
  // The load must actually have pushed against the limit.
  EXPECT_GT(rejected.load(), 0) << "no reservation was ever refused: the test is too light";
  EXPECT_GT(reserved.load(), kRuns * kUnits / 3);
  EXPECT_GT(watcher_polls.load(), kRuns);
  RecordProperty("reserved", static_cast<int>(reserved.load()));
  RecordProperty("rejected", static_cast<int>(rejected.load()));
}

INSTANTIATE_TEST_SUITE_P(
    Stock, HotSkuTest,
    ::testing::Values(HotSkuVariant{"OneLocation", {{"wh1", 1000}}},
                      HotSkuVariant{"TwoLocations", {{"wh1", 600}, {"wh2", 400}}}),
    [](const ::testing::TestParamInfo<HotSkuVariant>& info) { return info.param.name; });

// ---------------------------------------------------------------- many SKUs

// 16 threads run every operation on 40 SKUs spread over a few shards: multi-line
// reserves lock several shards at once, a reaper expires holds while clients commit
// them, an auditor takes every lock with CheckInvariants. Nothing deadlocks, every
// error is an expected one, and the invariants hold throughout.
TEST(EngineConcurrencyTest, ManySkusMultiLineAcrossShards) {
  const Model model = ModelBuilder()
                          .Location("wh1")
                          .Location("wh2")
                          .Location("st", LocationType::kStore)
                          .Channel("web", ChannelType::kWebshop, {"wh1", "wh2", "st"})
                          .Channel("pos", ChannelType::kStore, {"st"})
                          .Channel("market", ChannelType::kMarketplace, {"wh1"})
                          .Protect("web", "st", 1)
                          .Safety("market", 2)
                          .Share("market", 50)
                          .Build();
  constexpr int kSkus = 40;
  constexpr int kWorkers = 16;
  constexpr int kOps = 1500;
  constexpr int kRounds = 4;
  auto sku = [](int i) { return absl::StrCat("SKU-", i); };

  for (int round = 0; round < kRounds; ++round) {
    ManualClock clock;
    EngineOptions options;
    options.clock = &clock;
    options.shards = 8;  // many SKUs per shard, many shards per reserve
    auto created = Engine::Create(model, options);
    ASSERT_TRUE(created.ok()) << created.status();
    Engine& engine = **created;
    for (int i = 0; i < kSkus; ++i) {
      ASSERT_TRUE(engine.ExecuteAndWait(Cmd(t::Count("wh1", sku(i), 50))).ok());
      ASSERT_TRUE(engine.ExecuteAndWait(Cmd(t::Count("wh2", sku(i), 30))).ok());
      ASSERT_TRUE(engine.ExecuteAndWait(Cmd(t::Count("st", sku(i), 10))).ok());
    }

    Failures failures;
    std::atomic<int> running{kWorkers};
    std::atomic<int64_t> reserves_ok{0};
    auto expect_code = [&](const char* op, const absl::StatusOr<Outcome>& r,
                           std::initializer_list<absl::StatusCode> allowed) {
      if (r.ok()) return;
      for (absl::StatusCode c : allowed) {
        if (r.status().code() == c) return;
      }
      failures.Add(absl::StrCat(op, ": ", r.status().ToString()));
    };
    constexpr auto kPrecondition = absl::StatusCode::kFailedPrecondition;

    WithDeadline(std::chrono::seconds(120), [&] {
      std::vector<std::thread> threads;
      for (int w = 0; w < kWorkers; ++w) {
        threads.emplace_back([&, w] {
          std::mt19937 rng(round * 100 + w);
          std::vector<std::string> held, committed;
          const char* channels[] = {"web", "web", "pos", "market"};
          for (int op = 0; op < kOps; ++op) {
            const int dice = static_cast<int>(rng() % 100);
            if (dice < 40 || held.empty()) {
              const int n = 2 + static_cast<int>(rng() % 4);
              std::set<int> picked;
              while (static_cast<int>(picked.size()) < n) picked.insert(rng() % kSkus);
              std::vector<Line> lines;
              for (int i : picked) lines.push_back(L(sku(i), 1 + rng() % 3));
              std::shuffle(lines.begin(), lines.end(), rng);
              auto r =
                  engine.ExecuteAndWait(Cmd(t::Reserve(channels[rng() % 4], std::move(lines),
                                                       100 + static_cast<int64_t>(rng() % 2000))));
              expect_code("reserve", r, {kPrecondition});
              if (r.ok() && r->hold) {
                held.push_back(r->hold->hold_id);
                reserves_ok.fetch_add(1);
              }
            } else if (dice < 55) {
              // May lose the race against the reaper.
              auto r = engine.ExecuteAndWait(Cmd(t::Release(held.back())));
              expect_code("release", r, {kPrecondition});
              held.pop_back();
            } else if (dice < 75) {
              auto h = engine.GetHold(held.back());
              std::vector<Line> part;
              if (h.ok() && !h->lines.empty() && rng() % 2 == 0)
                part.push_back(L(h->lines[0].sku, 1));
              auto r = engine.ExecuteAndWait(Cmd(t::Commit(held.back(), part)));
              expect_code("commit", r, {kPrecondition});
              if (r.ok()) committed.push_back(held.back());
              held.pop_back();
            } else if (dice < 85 && !committed.empty()) {
              auto r = engine.ExecuteAndWait(Cmd(t::Fulfill(committed.back())));
              expect_code("fulfill", r, {});
              committed.pop_back();
            } else if (dice < 90 && !committed.empty()) {
              auto r = engine.ExecuteAndWait(Cmd(t::Cancel(committed.back())));
              expect_code("cancel", r, {});
              committed.pop_back();
            } else if (dice < 95) {
              auto r = engine.ExecuteAndWait(
                  Cmd(t::Sell("pos", "st", sku(rng() % kSkus), 1 + rng() % 2)));
              expect_code("sell", r, {kPrecondition});
            } else if (dice < 98) {
              auto r = engine.ExecuteAndWait(
                  Cmd(t::Transfer(rng() % 2 ? "wh1" : "wh2", "st", sku(rng() % kSkus), 1)));
              expect_code("transfer", r, {kPrecondition});
            } else {
              auto r = engine.ExecuteAndWait(Cmd(t::Adjust("wh2", sku(rng() % kSkus), 3)));
              expect_code("adjust", r, {});
            }
          }
          running.fetch_sub(1);
        });
      }
      // The reaper: time moves on and due holds expire while clients act on them.
      threads.emplace_back([&] {
        while (running.load() > 0) {
          clock.Advance(25);
          engine.ExpireDue();
          std::this_thread::yield();
        }
      });
      // The auditor: every lock at once, repeatedly, plus the never-negative free rule.
      threads.emplace_back([&] {
        while (running.load() > 0) {
          InvariantReport report = engine.CheckInvariants();
          if (!report.ok()) failures.Add(absl::StrJoin(report.violations, "; "));
          for (int i = 0; i < kSkus; i += 7) {
            auto rows = engine.GetStock(sku(i), {});
            if (!rows.ok()) continue;
            for (const RowView& r : *rows) {
              if (r.counters.free() < 0)
                failures.Add(absl::StrCat(r.sku, "@", r.location, " free ", r.counters.free()));
            }
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
      });
      for (std::thread& th : threads) th.join();
    });

    EXPECT_EQ(failures.count(), 0) << "round " << round << ": " << failures.Describe();
    EXPECT_GT(reserves_ok.load(), kWorkers * kOps / 20)
        << "too few reserves succeeded to exercise the engine";
    clock.Advance(10'000);
    engine.ExpireDue();
    InvariantReport report = engine.CheckInvariants();
    ASSERT_TRUE(report.ok()) << absl::StrJoin(report.violations, "\n");
    for (const HoldView& h : engine.ListHolds(HoldFilter{.limit = 100000})) {
      EXPECT_EQ(h.state, HoldState::kCommitted) << h.hold_id << ": every HELD hold expired";
    }
  }
}

// ---------------------------------------------------------------- concurrent replays

// A journal that completes records on its own thread, a little later, in FIFO order, so
// that replays arrive while the first request is still in flight.
class ThreadedJournal : public Journal {
 public:
  ThreadedJournal() : worker_([this] { Loop(); }) {}
  ~ThreadedJournal() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    worker_.join();
  }
  void Append(std::shared_ptr<const MutationRecord> /*record*/,
              std::function<void(absl::Status)> done) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.push_back(std::move(done));
      ++appended_;
    }
    cv_.notify_one();
  }
  int appended() {
    std::lock_guard<std::mutex> lock(mu_);
    return appended_;
  }

 private:
  void Loop() {
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;
      std::function<void(absl::Status)> done = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      done(absl::OkStatus());
      lock.lock();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void(absl::Status)>> queue_;
  int appended_ = 0;
  bool stop_ = false;
  std::thread worker_;
};

class ReplayTest : public ::testing::TestWithParam<bool> {};

TEST_P(ReplayTest, ConcurrentReplaysMakeOneHold) {
  const bool with_journal = GetParam();
  const Model model =
      ModelBuilder().Location("wh").Channel("web", ChannelType::kWebshop, {"wh"}).Build();
  ThreadedJournal journal;
  EngineOptions options;
  if (with_journal) options.journal = &journal;
  auto created = Engine::Create(model, options);
  ASSERT_TRUE(created.ok()) << created.status();
  Engine& engine = **created;
  ASSERT_TRUE(engine.ExecuteAndWait(Cmd(t::Count("wh", "R", 1000))).ok());

  constexpr int kReplayThreads = 32;
  constexpr int kReplayRounds = 40;
  for (int round = 0; round < kReplayRounds; ++round) {
    const std::string request_id = absl::StrCat("order-", round);
    std::vector<absl::StatusOr<Outcome>> results(kReplayThreads, absl::UnknownError("not run"));
    std::latch start(kReplayThreads);
    std::vector<std::thread> threads;
    for (int i = 0; i < kReplayThreads; ++i) {
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        results[i] = engine.ExecuteAndWait(Cmd(t::Reserve("web", {L("R", 2)}), request_id));
      });
    }
    for (std::thread& th : threads) th.join();
    ASSERT_TRUE(results[0].ok()) << results[0].status();
    ASSERT_TRUE(results[0]->hold.has_value());
    const std::string id = results[0]->hold->hold_id;
    for (int i = 1; i < kReplayThreads; ++i) {
      ASSERT_TRUE(results[i].ok()) << results[i].status();
      ASSERT_TRUE(results[i]->hold.has_value());
      ASSERT_EQ(results[i]->hold->hold_id, id) << "round " << round;
    }
    auto rows = engine.GetStock("R", {"wh"});
    ASSERT_TRUE(rows.ok());
    ASSERT_EQ((*rows)[0].counters.held, 2 * (round + 1)) << "round " << round;
    ASSERT_EQ(engine.ListHolds(HoldFilter{.limit = 1000}).size(), static_cast<size_t>(round + 1));
  }
  if (with_journal) {
    EXPECT_EQ(journal.appended(), 1 + kReplayRounds) << "a replay is never applied again";
  }
  InvariantReport report = engine.CheckInvariants();
  EXPECT_TRUE(report.ok()) << absl::StrJoin(report.violations, "\n");
}

INSTANTIATE_TEST_SUITE_P(Journal, ReplayTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "AsyncJournal" : "InMemory";
                         });

}  // namespace
}  // namespace stockd::engine
