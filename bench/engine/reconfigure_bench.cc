// stockd-reconfigure-bench: how long Engine::PreviewModel and Engine::Reconfigure take
// with many SKUs (issue 14 targets: a reload of 100,000 SKUs applies in <= 1 s, the dry-run
// diff answers in <= 2 s), and how long a writer waits meanwhile.
//
//   stockd-reconfigure-bench [--config config/example.yaml] [--skus 100000] [--runs 7]
//
// Loads the config's model, stocks every SKU at every location (deterministic
// pseudo-random counts; SKU names hit the example's overrides), then times, `runs` times
// each: PreviewModel of a policy change (every channel's safety stock +1, share -10
// points), Reconfigure to it and back (two swaps per run), and one Reconfigure adding a
// location and a channel. A writer thread reserves and releases one unit throughout;
// its slowest call during each phase shows how long writers were held up. Prints medians.
//
// Thread-safety: a single-purpose tool; the writer thread only calls the engine.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include <time.h>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "daemon/config/config.h"
#include "daemon/engine/engine.h"

namespace {

using namespace stockd;  // NOLINT: a tool's main file
using Clock = std::chrono::steady_clock;

int64_t Micros(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration_cast<std::chrono::microseconds>(b - a).count();
}

int64_t Median(std::vector<int64_t> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// CPU time of the calling thread: on a shared machine the wall time of a phase includes
// the time other processes had the cores; this is what the phase itself cost.
int64_t ThreadCpuMicros() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000;
}

std::string Ms(int64_t us) { return absl::StrCat(us / 1000, ".", (us % 1000) / 100, " ms"); }

engine::Model PolicyChange(engine::Model m) {
  for (engine::Channel& c : m.channels) {
    c.policy.safety_stock += 1;
    c.policy.share_percent = std::max(0, c.policy.share_percent - 10);
  }
  return m;
}

// Reserves and releases one unit again and again; records the slowest call per phase.
class Writer {
 public:
  explicit Writer(engine::Engine* engine) : engine_(engine), thread_([this] { Run(); }) {}
  ~Writer() {
    stop_.store(true);
    thread_.join();
  }
  void StartPhase() { slowest_us_.store(0); }
  int64_t slowest_us() const { return slowest_us_.load(); }
  int64_t calls() const { return calls_.load(); }

 private:
  void Run() {
    while (!stop_.load()) {
      const Clock::time_point start = Clock::now();
      engine::Command reserve{{"", "bench"},
                              engine::ReserveCmd{"webshop", {{"WRITER-1", "", 1, 0}}}};
      absl::StatusOr<engine::Outcome> held = engine_->ExecuteAndWait(std::move(reserve));
      if (held.ok() && held->hold) {
        (void)engine_->ExecuteAndWait({{"", "bench"}, engine::ReleaseCmd{held->hold->hold_id}});
      }
      const int64_t took = Micros(start, Clock::now());
      int64_t seen = slowest_us_.load();
      while (took > seen && !slowest_us_.compare_exchange_weak(seen, took)) {
      }
      calls_.fetch_add(1);
    }
  }

  engine::Engine* const engine_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> slowest_us_{0};
  std::atomic<int64_t> calls_{0};
  std::thread thread_;
};

}  // namespace

int main(int argc, char** argv) {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);  // as daemon/main.cc
  std::string config_path = "config/example.yaml";
  int64_t num_skus = 100'000;
  int runs = 7;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--config")) {
      config_path = argv[i + 1];
    } else if (!std::strcmp(argv[i], "--skus")) {
      num_skus = std::atoll(argv[i + 1]);
    } else if (!std::strcmp(argv[i], "--runs")) {
      runs = std::atoi(argv[i + 1]);
    } else {
      std::fprintf(stderr, "usage: %s [--config PATH] [--skus N] [--runs N]\n", argv[0]);
      return 2;
    }
  }
  absl::StatusOr<config::Config> config = config::LoadConfigFile(config_path);
  if (!config.ok()) {
    std::fprintf(stderr, "%s\n", config.status().ToString().c_str());
    return 1;
  }
  const engine::Model base = config->model;
  const engine::Model changed = PolicyChange(base);
  engine::EngineOptions options;  // in memory: no journal, the engine's own cost
  absl::StatusOr<std::unique_ptr<engine::Engine>> created = engine::Engine::Create(base, options);
  if (!created.ok()) {
    std::fprintf(stderr, "%s\n", created.status().ToString().c_str());
    return 1;
  }
  engine::Engine& eng = **created;

  const char* kPrefixes[] = {"TSHIRT-", "SNEAKER-", "GIFTCARD-", "CLEARANCE-", "JEANS-"};
  uint64_t seed = 42;
  auto next = [&seed] {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return seed >> 33;
  };
  const Clock::time_point load_start = Clock::now();
  for (int64_t i = 0; i < num_skus; ++i) {
    const std::string sku = absl::StrCat(kPrefixes[i % 5], i);
    for (const engine::Location& l : base.locations) {
      const int64_t units = static_cast<int64_t>(next() % 40);
      if (units == 0) continue;
      engine::CountCmd count;
      count.location = l.id;
      count.sku = sku;
      count.on_hand = units;
      if (!eng.ExecuteAndWait({{"", "bench"}, count}).ok()) return 1;
    }
  }
  {
    engine::CountCmd count{base.locations[0].id, "WRITER-1", 1'000'000};
    if (!eng.ExecuteAndWait({{"", "bench"}, count}).ok()) return 1;
  }
  std::printf("%lld SKUs x %zu locations x %zu channels (%s), loaded in %s\n",
              static_cast<long long>(num_skus), base.locations.size(), base.channels.size(),
              config_path.c_str(), Ms(Micros(load_start, Clock::now())).c_str());

  Writer writer(&eng);
  std::vector<int64_t> preview_us, preview_writer_us, apply_us, locked_us, apply_writer_us;
  std::vector<int64_t> preview_cpu_us, apply_cpu_us;
  int64_t changed_per_preview = 0;
  for (int run = 0; run < runs; ++run) {
    writer.StartPhase();
    const Clock::time_point start = Clock::now();
    const int64_t cpu_start = ThreadCpuMicros();
    absl::StatusOr<engine::ModelDiff> diff = eng.PreviewModel(changed, 10);
    preview_cpu_us.push_back(ThreadCpuMicros() - cpu_start);
    preview_us.push_back(Micros(start, Clock::now()));
    preview_writer_us.push_back(writer.slowest_us());
    if (!diff.ok()) {
      std::fprintf(stderr, "preview: %s\n", diff.status().ToString().c_str());
      return 1;
    }
    changed_per_preview = 0;
    for (const engine::ChannelDiff& c : diff->channels) changed_per_preview += c.skus_changed;

    for (const engine::Model* m : {&changed, &base}) {
      writer.StartPhase();
      const int64_t cpu_start = ThreadCpuMicros();
      absl::StatusOr<engine::ReconfigureResult> r = eng.Reconfigure(*m);
      apply_cpu_us.push_back(ThreadCpuMicros() - cpu_start);
      if (!r.ok()) {
        std::fprintf(stderr, "reconfigure: %s\n", r.status().ToString().c_str());
        return 1;
      }
      apply_us.push_back(r->total_us);
      locked_us.push_back(r->locked_us);
      apply_writer_us.push_back(writer.slowest_us());
    }
  }
  std::printf(
      "PreviewModel (policy change, %lld published changes): median %s (CPU %s) over %d runs;"
      " slowest writer call meanwhile: median %s\n",
      static_cast<long long>(changed_per_preview), Ms(Median(preview_us)).c_str(),
      Ms(Median(preview_cpu_us)).c_str(), runs, Ms(Median(preview_writer_us)).c_str());
  std::printf(
      "Reconfigure (policy change and back): median %s (CPU %s), locks held median %s over %zu"
      " swaps; slowest writer call meanwhile: median %s\n",
      Ms(Median(apply_us)).c_str(), Ms(Median(apply_cpu_us)).c_str(),
      Ms(Median(locked_us)).c_str(), apply_us.size(), Ms(Median(apply_writer_us)).c_str());

  engine::Model grown = base;
  grown.locations.insert(grown.locations.begin() + 1,
                         {"store-new", engine::LocationType::kStore, "New store"});
  for (engine::Channel& c : grown.channels) {
    c.policy.protect.insert(c.policy.protect.begin() + 1, 0);
    for (int& l : c.sources) l += l >= 1 ? 1 : 0;
  }
  for (engine::PolicyOverride& o : grown.overrides) {
    for (auto& [l, units] : o.protect) l += l >= 1 ? 1 : 0;
  }
  engine::Channel pos;
  pos.id = "pos-new";
  pos.type = engine::ChannelType::kStore;
  pos.sources = {1};
  pos.policy.protect.assign(grown.locations.size(), 0);
  grown.channels.push_back(pos);
  writer.StartPhase();
  absl::StatusOr<engine::ReconfigureResult> r = eng.Reconfigure(grown);
  if (!r.ok()) {
    std::fprintf(stderr, "reconfigure (grow): %s\n", r.status().ToString().c_str());
    return 1;
  }
  std::printf(
      "Reconfigure adding a location (listed second) and a channel: %s, locks held %s;"
      " slowest writer call meanwhile: %s\n",
      Ms(r->total_us).c_str(), Ms(r->locked_us).c_str(), Ms(writer.slowest_us()).c_str());
  engine::InvariantReport report = eng.CheckInvariants();
  std::printf("invariants: %s; writer calls: %lld\n", report.ok() ? "ok" : "VIOLATED",
              static_cast<long long>(writer.calls()));
  return report.ok() ? 0 : 1;
}
