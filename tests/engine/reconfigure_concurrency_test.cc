// Engine::Reconfigure while the engine serves (docs/reload.md): threads reserve and
// release, sell a scarce SKU to the last unit, and read, while another thread installs a
// new model again and again (policies flipping, locations and a channel added). No call
// fails because of a reload, the scarce SKU is sold exactly to its stock (no oversell),
// the invariants hold, and a listener that applies every announcement in order ends with
// exactly the engine's published quantities (the journal orders reloads among mutations).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
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

// A journal whose own thread completes records in append order, as the Redis journal does.
class FifoJournal : public Journal {
 public:
  FifoJournal() : worker_([this] { Run(); }) {}
  ~FifoJournal() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    worker_.join();
  }
  void Append(std::shared_ptr<const MutationRecord> record,
              std::function<void(absl::Status)> done) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.push_back(std::move(done));
    }
    cv_.notify_one();
  }

 private:
  void Run() {
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      std::function<void(absl::Status)> done = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      done(absl::OkStatus());
      lock.lock();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void(absl::Status)>> queue_;
  bool stopping_ = false;
  std::thread worker_;
};

// Applies every announced change in order: its final state must be the engine's.
class LastValueListener : public ChangeListener {
 public:
  void OnPublishedChanges(const std::vector<PublishedChange>& changes) override {
    std::lock_guard<std::mutex> lock(mu_);
    for (const PublishedChange& c : changes) {
      auto [it, inserted] = published_.try_emplace({c.channel, c.sku}, 0);
      if (it->second != c.previous) {
        ++out_of_order_;
        if (samples_.size() < 5) {
          samples_.push_back(absl::StrCat(c.channel, ":", c.sku, " announced ", c.previous, "->",
                                          c.published, " after ", it->second));
        }
      }
      it->second = c.published;
    }
  }
  std::map<std::pair<std::string, std::string>, int64_t> published() {
    std::lock_guard<std::mutex> lock(mu_);
    return published_;
  }
  std::string problems() {
    std::lock_guard<std::mutex> lock(mu_);
    return absl::StrCat(out_of_order_, " out of order: ", absl::StrJoin(samples_, "; "));
  }
  int out_of_order() {
    std::lock_guard<std::mutex> lock(mu_);
    return out_of_order_;
  }

 private:
  std::mutex mu_;
  std::map<std::pair<std::string, std::string>, int64_t> published_;
  int out_of_order_ = 0;
  std::vector<std::string> samples_;
};

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

// Round `round` of the reloads: policies flip every round, a location is added every 4th
// round (the new ones listed first), a channel from round 6 on.
Model RoundModel(int round) {
  ModelBuilder b;
  for (int x = round / 4; x >= 1; --x) b.Location(absl::StrCat("x", x), LocationType::kStore);
  b.Location("wh")
      .Location("s1", LocationType::kStore)
      .Location("s2", LocationType::kStore)
      .Channel("web", ChannelType::kWebshop, {"wh", "s1"})
      .Channel("pos1", ChannelType::kStore, {"s1"})
      .Channel("pos2", ChannelType::kStore, {"s2"})
      .Channel("amazon", ChannelType::kMarketplace, {"wh"})
      .Safety("amazon", round % 2 == 0 ? 2 : 0)
      .Share("amazon", round % 2 == 0 ? 50 : 100)
      .Protect("pos1", "s1", round % 3)
      .Protect("web", "s1", 1);
  if (round >= 6) {
    std::vector<std::string> sources = {"s2"};
    if (round >= 8) sources.push_back("x1");
    b.Channel("ebay", ChannelType::kMarketplace, sources).Share("ebay", round % 2 == 0 ? 40 : 90);
  }
  return b.Build();
}

void WithDeadline(std::chrono::seconds limit, const std::function<void()>& body) {
  std::promise<void> finished;
  std::future<void> done = finished.get_future();
  std::thread runner([&] {
    body();
    finished.set_value();
  });
  if (done.wait_for(limit) != std::future_status::ready) {
    ADD_FAILURE() << "no progress within " << limit.count() << " s: deadlock?";
    std::fprintf(stderr, "reconfigure_concurrency_test: deadlock suspected, aborting\n");
    std::abort();
  }
  runner.join();
}

TEST(ReconfigureConcurrencyTest, MutationsDuringReloadsAllCompleteAndNothingOversells) {
  constexpr int kChurnThreads = 4;
  constexpr int kChurnOps = 300;
  constexpr int kHotThreads = 3;
  constexpr int64_t kHotUnits = 60;
  constexpr int kRounds = 40;

  auto journal = std::make_unique<FifoJournal>();
  LastValueListener listener;
  EngineOptions options;
  options.shards = 16;
  options.journal = journal.get();
  auto created = Engine::Create(RoundModel(0), options);
  ASSERT_TRUE(created.ok()) << created.status();
  std::unique_ptr<Engine> engine = std::move(*created);
  engine->AddListener(&listener);
  for (int i = 0; i < kChurnThreads; ++i) {
    ASSERT_TRUE(engine->ExecuteAndWait(Cmd(t::Count("wh", absl::StrCat("R", i), 1000))).ok());
    ASSERT_TRUE(engine->ExecuteAndWait(Cmd(t::Count("s1", absl::StrCat("R", i), 20))).ok());
  }
  ASSERT_TRUE(engine->ExecuteAndWait(Cmd(t::Count("wh", "HOT", kHotUnits))).ok());
  ASSERT_TRUE(engine->ExecuteAndWait(Cmd(t::Count("s2", "HOT", 7))).ok());

  Failures failures;
  std::atomic<int64_t> hot_sold{0};
  std::atomic<int> reloads{0}, previews{0};
  std::atomic<bool> writers_done{false};
  WithDeadline(std::chrono::seconds(300), [&] {
    std::vector<std::thread> threads;
    for (int i = 0; i < kChurnThreads; ++i) {
      threads.emplace_back([&, i] {
        const std::string sku = absl::StrCat("R", i);
        for (int op = 0; op < kChurnOps; ++op) {
          absl::StatusOr<Outcome> r =
              engine->ExecuteAndWait(Cmd(t::Reserve(i % 2 ? "web" : "amazon", {L(sku, 2)})));
          if (!r.ok() || !r->hold) {
            failures.Add(absl::StrCat("reserve ", sku, ": ", r.status().ToString()));
            continue;
          }
          absl::StatusOr<Outcome> done =
              op % 2 ? engine->ExecuteAndWait(Cmd(t::Release(r->hold->hold_id)))
                     : engine->ExecuteAndWait(Cmd(t::Commit(r->hold->hold_id)));
          if (!done.ok()) failures.Add(absl::StrCat("release/commit: ", done.status().ToString()));
          if (op % 2 == 0 && done.ok()) {
            absl::StatusOr<Outcome> shipped =
                engine->ExecuteAndWait(Cmd(t::Fulfill(r->hold->hold_id)));
            if (!shipped.ok()) failures.Add(absl::StrCat("fulfill: ", shipped.status().ToString()));
            // Back on the shelf: the SKU never runs out.
            absl::StatusOr<Outcome> back = engine->ExecuteAndWait(
                Cmd(t::Adjust(r->hold->lines[0].location, sku, 2, AdjustReason::kReturn)));
            if (!back.ok()) failures.Add(absl::StrCat("adjust: ", back.status().ToString()));
          }
        }
      });
    }
    for (int i = 0; i < kHotThreads; ++i) {
      threads.emplace_back([&] {
        while (true) {
          // web sells HOT from wh only (it has none at s1); no other channel protects wh.
          absl::StatusOr<Outcome> r = engine->ExecuteAndWait(Cmd(t::Reserve("web", {L("HOT", 1)})));
          if (r.ok()) {
            hot_sold.fetch_add(1);
            continue;
          }
          if (r.status().code() != absl::StatusCode::kFailedPrecondition) {
            failures.Add(absl::StrCat("hot reserve: ", r.status().ToString()));
          }
          break;  // sold out
        }
      });
    }
    std::thread reader([&] {
      while (!writers_done.load()) {
        auto items = engine->GetAvailability({"HOT", "R0", "R1"}, {});
        if (!items.ok()) failures.Add(absl::StrCat("read: ", items.status().ToString()));
        auto explained = engine->Explain("web", "R2");
        if (!explained.ok()) failures.Add(absl::StrCat("explain: ", explained.status().ToString()));
        // The last round's model lists every location and channel any round has.
        absl::StatusOr<ModelDiff> preview = engine->PreviewModel(RoundModel(kRounds), 3);
        if (!preview.ok()) {
          failures.Add(absl::StrCat("preview: ", preview.status().ToString()));
        } else {
          previews.fetch_add(1);
        }
      }
    });
    std::thread reloader([&] {
      for (int round = 1; round <= kRounds; ++round) {
        absl::StatusOr<ReconfigureResult> r = engine->Reconfigure(RoundModel(round));
        if (!r.ok()) {
          failures.Add(absl::StrCat("reconfigure ", round, ": ", r.status().ToString()));
        } else {
          reloads.fetch_add(1);
        }
        std::this_thread::yield();
      }
    });
    reloader.join();
    for (std::thread& th : threads) th.join();
    writers_done.store(true);
    reader.join();
  });
  journal.reset();  // completes what is queued: every announcement is made

  EXPECT_EQ(failures.count(), 0) << failures.Describe();
  EXPECT_EQ(reloads.load(), kRounds);
  EXPECT_GT(previews.load(), 0);
  EXPECT_EQ(hot_sold.load(), kHotUnits) << "web sells HOT at wh to the last unit, not beyond";
  InvariantReport report = engine->CheckInvariants();
  EXPECT_TRUE(report.ok()) << absl::StrJoin(report.violations, "\n");

  std::shared_ptr<const Model> m = engine->model();
  EXPECT_EQ(m->locations.size(), 3u + kRounds / 4);
  EXPECT_EQ(m->LocationIndex("wh"), 0) << "the first model's indices stay";
  ASSERT_EQ(m->channels.size(), 5u);
  EXPECT_EQ(m->channels[4].id, "ebay");
  auto hot = engine->GetStock("HOT", {"wh"});
  ASSERT_TRUE(hot.ok());
  EXPECT_EQ((*hot)[0].counters, (Counters{kHotUnits, kHotUnits, 0}));

  // The listener, applying every announcement in order, ends where the engine is.
  EXPECT_EQ(listener.out_of_order(), 0) << listener.problems();
  std::map<std::pair<std::string, std::string>, int64_t> announced = listener.published();
  std::vector<std::string> skus = {"HOT"};
  for (int i = 0; i < kChurnThreads; ++i) skus.push_back(absl::StrCat("R", i));
  auto items = engine->GetAvailability(skus, {});
  ASSERT_TRUE(items.ok());
  for (const AvailabilityItem& item : *items) {
    auto it = announced.find({item.channel, item.sku});
    const int64_t last = it == announced.end() ? 0 : it->second;
    EXPECT_EQ(last, item.published) << item.channel << ":" << item.sku;
  }
}

}  // namespace
}  // namespace stockd::engine
