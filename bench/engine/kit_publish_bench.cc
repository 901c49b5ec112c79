// stockd-kit-bench: how long a component's change takes to reach the push engine as the
// new published quantities of every kit that contains it (issue 16 target: a component
// shared by 1,000 kits changes; all 1,000 kits' new published quantities reach the push
// engine within 50 ms p99; docs/kits.md "Pushing kits").
//
//   stockd-kit-bench [--kits 1000] [--changes 200] [--gap-ms 20] [--writers 0] [--sellout]
//
// The engine in memory (no journal: the durable write that precedes every announcement
// is the same for a kit as for any SKU, and scripts/bench measures it) with two
// locations, a webshop and a POS channel, and `kits` kits KIT-i = PART x1 + OWN-i x1, so
// PART limits every kit. Each change counts PART at the warehouse to a new quantity; a
// listener registered like the push engine (Engine::AddListener) records when the last of
// the `kits` webshop changes to that quantity arrives. The latency is from the Count's
// call to that moment. `gap-ms` apart, so every change is measured alone; `writers`
// threads reserve and release other SKUs meanwhile (the announcer shares the cores with
// them, as in a busy daemon). `--sellout` alternates PART between 0 and stock, so every
// change makes every kit sell out or come back in stock: each announcement is followed by
// the kit's alert (a mutation of its own, docs/kits.md "Alerts"), on the same announcer
// thread. Prints p50, p90, p99 and max, and the kit alerts raised.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "daemon/config/config.h"
#include "daemon/engine/engine.h"
#include "daemon/engine/journal.h"

namespace {

using namespace stockd;  // NOLINT: a tool's main file
using Clock = std::chrono::steady_clock;

// Counts the webshop kit changes to `want`; wakes the waiter at `kits`.
class KitListener final : public engine::ChangeListener {
 public:
  explicit KitListener(int kits) : kits_(kits) {}
  void Expect(int64_t want) {
    absl::MutexLock lock(&mu_);
    want_ = want;
    seen_ = 0;
  }
  void OnPublishedChanges(const std::vector<engine::PublishedChange>& changes) override {
    absl::MutexLock lock(&mu_);
    for (const engine::PublishedChange& c : changes) {
      if (c.channel == "webshop" && c.sku.rfind("KIT-", 0) == 0 && c.published == want_) ++seen_;
    }
  }
  void OnAlerts(const std::vector<engine::AlertEvent>& alerts) override {
    absl::MutexLock lock(&mu_);
    for (const engine::AlertEvent& a : alerts) kit_alerts_ += a.sku.rfind("KIT-", 0) == 0;
  }
  int64_t kit_alerts() {
    absl::MutexLock lock(&mu_);
    return kit_alerts_;
  }
  // True when every kit arrived within `timeout`.
  bool Wait(absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto all = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return seen_ >= kits_; };
    return mu_.AwaitWithTimeout(absl::Condition(&all), timeout);
  }

 private:
  const int kits_;
  absl::Mutex mu_;
  int64_t want_ ABSL_GUARDED_BY(mu_) = -1;
  int seen_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t kit_alerts_ ABSL_GUARDED_BY(mu_) = 0;
};

double Ms(int64_t us) { return static_cast<double>(us) / 1000.0; }

}  // namespace

int main(int argc, char** argv) {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);  // as daemon/main.cc
  int kits = 1000, changes = 200, gap_ms = 20, writers = 0;
  bool sellout = false;
  for (int i = 1; i < argc; ++i) {
    const bool has_value = i + 1 < argc;
    if (!std::strcmp(argv[i], "--sellout")) {
      sellout = true;
    } else if (has_value && !std::strcmp(argv[i], "--kits")) {
      kits = std::atoi(argv[++i]);
    } else if (has_value && !std::strcmp(argv[i], "--changes")) {
      changes = std::atoi(argv[++i]);
    } else if (has_value && !std::strcmp(argv[i], "--gap-ms")) {
      gap_ms = std::atoi(argv[++i]);
    } else if (has_value && !std::strcmp(argv[i], "--writers")) {
      writers = std::atoi(argv[++i]);
    } else {
      std::fprintf(stderr,
                   "usage: %s [--kits N] [--changes N] [--gap-ms N] [--writers N] [--sellout]\n",
                   argv[0]);
      return 2;
    }
  }
  if (kits < 1 || changes < 1 || gap_ms < 0 || writers < 0) {
    std::fprintf(stderr, "--kits and --changes must be >= 1, --gap-ms and --writers >= 0\n");
    return 2;
  }
  std::string yaml = R"yaml(
redis: {mode: memory}
locations:
  - {id: wh, type: warehouse}
  - {id: store, type: store}
channels:
  - {id: webshop, type: webshop, sources: [wh, store]}
  - {id: pos, type: store, sources: [store]}
kits:
)yaml";
  for (int k = 0; k < kits; ++k) {
    absl::StrAppend(&yaml, "  - {sku: KIT-", k, ", components: [{sku: PART}, {sku: OWN-", k,
                    "}]}\n");
  }
  absl::StatusOr<config::Config> config = config::ParseConfig(yaml, "kit-bench.yaml");
  if (!config.ok()) {
    std::fprintf(stderr, "%s\n", config.status().ToString().c_str());
    return 1;
  }
  absl::StatusOr<std::unique_ptr<engine::Engine>> created =
      engine::Engine::Create(config->model, engine::EngineOptions{});
  if (!created.ok()) {
    std::fprintf(stderr, "%s\n", created.status().ToString().c_str());
    return 1;
  }
  engine::Engine& eng = **created;
  auto count = [&eng](const std::string& sku, int64_t on_hand) {
    engine::CountCmd cmd;
    cmd.location = "wh";
    cmd.sku = sku;
    cmd.on_hand = on_hand;
    absl::StatusOr<engine::Outcome> r = eng.ExecuteAndWait({{"", "bench"}, std::move(cmd)});
    if (!r.ok()) {
      std::fprintf(stderr, "count %s: %s\n", sku.c_str(), r.status().ToString().c_str());
      std::exit(1);
    }
  };
  for (int k = 0; k < kits; ++k) count(absl::StrCat("OWN-", k), 1'000'000);
  for (int w = 0; w < writers; ++w) count(absl::StrCat("WRITER-", w), 1'000'000);
  // Every kit announced at its starting quantity before the first measured change (else
  // the announcer may coalesce the two: a first change to 0 then moves nothing).
  KitListener listener(kits);
  eng.AddListener(&listener);
  listener.Expect(1000);
  count("PART", 1000);
  if (!listener.Wait(absl::Seconds(10))) {
    std::fprintf(stderr, "the kits never showed their starting quantity\n");
    return 1;
  }
  std::atomic<bool> stop{false};
  std::atomic<int64_t> written{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w) {
    threads.emplace_back([&, w] {
      const std::string sku = absl::StrCat("WRITER-", w);
      while (!stop.load()) {
        engine::ReserveCmd reserve;
        reserve.channel = "webshop";
        reserve.lines = {{sku, "", 1, 0}};
        absl::StatusOr<engine::Outcome> held =
            eng.ExecuteAndWait({{"", "bench"}, std::move(reserve)});
        if (held.ok() && held->hold) {
          (void)eng.ExecuteAndWait({{"", "bench"}, engine::ReleaseCmd{held->hold->hold_id}});
        }
        written.fetch_add(2);
      }
    });
  }

  std::vector<int64_t> latency_us;
  int missed = 0;
  const Clock::time_point run_start = Clock::now();
  for (int i = 0; i < changes; ++i) {
    // A new number every time; with --sellout, 0 and back.
    const int64_t quantity = sellout ? (i % 2 == 0 ? 0 : 500 + i % 7) : 500 + (i % 2) * 100 + i % 7;
    listener.Expect(quantity);
    const Clock::time_point start = Clock::now();
    count("PART", quantity);
    if (!listener.Wait(absl::Seconds(10))) {
      ++missed;
      continue;
    }
    latency_us.push_back(
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count());
    std::this_thread::sleep_for(std::chrono::milliseconds(gap_ms));
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - run_start).count();
  stop.store(true);
  for (std::thread& t : threads) t.join();
  if (latency_us.empty()) {
    std::fprintf(stderr, "no change reached every kit within 10 s\n");
    return 1;
  }
  std::sort(latency_us.begin(), latency_us.end());
  auto at = [&latency_us](double q) {
    return latency_us[std::min(latency_us.size() - 1, static_cast<size_t>(q * latency_us.size()))];
  };
  std::printf(
      "kits=%d changes=%d writers=%d writer_ops_per_s=%.0f: all %d kits' new quantity reached "
      "the listener after p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms; missed %d; kit "
      "alerts %lld\n",
      kits, changes, writers, static_cast<double>(written.load()) / seconds, kits, Ms(at(0.5)),
      Ms(at(0.9)), Ms(at(0.99)), Ms(latency_us.back()), missed,
      static_cast<long long>(listener.kit_alerts()));
  std::printf("RESULT kits=%d writers=%d p50_ms=%.3f p99_ms=%.3f max_ms=%.3f missed=%d target=%s\n",
              kits, writers, Ms(at(0.5)), Ms(at(0.99)), Ms(latency_us.back()), missed,
              at(0.99) <= 50'000 && missed == 0 ? "ok" : "MISS");
  return missed == 0 ? 0 : 1;
}
