// stockd-alerts-engine-bench: what alert bookkeeping costs the engine itself, per
// operation, without gRPC, Redis or a client sharing the cores (docs/alerts.md "Cost";
// scripts/bench-alerts measures the whole daemon).
//
//   stockd-alerts-engine-bench [--ops 200000] [--blocks 7] [--skus 10000] [--only SCENARIO]
//
// Two in-memory engines per block, the same but for their alerts config (off:
// `alerts: {enabled: false}`; on: a reorder rule on every SKU), run the same operations
// on one thread, in alternating order (off first in odd blocks, on first in even ones).
// Scenarios:
//   hot-reserve      `ops` reserves of 1 unit of one SKU: every hold stays open, so the
//                    SKU's open-hold index ends holding `ops` holds (its worst case);
//   uniform-reserve  `ops` reserves spread over `skus` SKUs;
//   reserve-commit   `ops` / 2 reserve + commit pairs over `skus` SKUs (each commit is
//                    demand: velocity and the reorder state move).
// Every block starts from fresh engines. The figure is the process's CPU time per
// operation (the calling thread's and the engine's own threads': the announcer that
// hands published changes and alerts to listeners), so other processes on a shared
// machine lengthen the wall time, not the figure. Prints the
// median CPU ns per op of each arm, and the median of the per-block differences and
// on/off ratios.
//
// Thread-safety: a single-threaded tool.
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "daemon/config/config.h"
#include "daemon/engine/engine.h"

namespace {

using namespace stockd;  // NOLINT: a tool's main file

int64_t ProcessCpuNanos() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

std::string Sku(int i) { return absl::StrCat("BENCH-", i); }

std::unique_ptr<engine::Engine> Create(bool alerts) {
  std::string yaml = R"yaml(
redis: {mode: memory}
holds: {retention: 1m}
locations:
  - {id: wh, type: warehouse}
  - {id: store, type: store}
channels:
  - {id: webshop, type: webshop, sources: [wh, store]}
  - {id: pos, type: store, sources: [store]}
)yaml";
  absl::StrAppend(&yaml,
                  alerts ? "reorder:\n  - {skus: \"BENCH-*\", lead_time_days: 5, cover_days: 10}\n"
                         : "alerts: {enabled: false}\n");
  absl::StatusOr<config::Config> config = config::ParseConfig(yaml, "alerts-bench.yaml");
  if (!config.ok()) {
    std::fprintf(stderr, "%s\n", config.status().ToString().c_str());
    std::exit(1);
  }
  absl::StatusOr<std::unique_ptr<engine::Engine>> created =
      engine::Engine::Create(config->model, engine::EngineOptions{});
  if (!created.ok()) {
    std::fprintf(stderr, "%s\n", created.status().ToString().c_str());
    std::exit(1);
  }
  return *std::move(created);
}

engine::Outcome Run(engine::Engine& eng, engine::CommandBody cmd) {
  absl::StatusOr<engine::Outcome> r = eng.ExecuteAndWait({{"", "bench"}, std::move(cmd)});
  if (!r.ok()) {
    std::fprintf(stderr, "%s\n", r.status().ToString().c_str());
    std::exit(1);
  }
  return *std::move(r);
}

void Stock(engine::Engine& eng, int skus) {
  for (int i = 0; i < skus; ++i) {
    for (const char* location : {"wh", "store"}) {
      engine::CountCmd count;
      count.location = location;
      count.sku = Sku(i);
      count.on_hand = 100'000'000;
      Run(eng, std::move(count));
    }
  }
}

engine::Outcome Reserve(engine::Engine& eng, const std::string& sku) {
  engine::ReserveCmd reserve;
  reserve.channel = "webshop";
  reserve.lines = {{sku, "", 1, 0}};
  reserve.ttl_ms = 3'600'000;
  return Run(eng, std::move(reserve));
}

// One scenario's operations on a stocked engine; returns how many it ran.
using Scenario = std::function<int64_t(engine::Engine&, int ops, int skus)>;

int64_t HotReserve(engine::Engine& eng, int ops, int) {
  const std::string sku = Sku(0);
  for (int i = 0; i < ops; ++i) Reserve(eng, sku);
  return ops;
}

int64_t UniformReserve(engine::Engine& eng, int ops, int skus) {
  uint64_t x = 88172645463325252ULL;  // xorshift: the same SKU order in both arms
  for (int i = 0; i < ops; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    Reserve(eng, Sku(static_cast<int>(x % static_cast<uint64_t>(skus))));
  }
  return ops;
}

int64_t ReserveCommit(engine::Engine& eng, int ops, int skus) {
  uint64_t x = 88172645463325252ULL;
  for (int i = 0; i < ops / 2; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    engine::Outcome held = Reserve(eng, Sku(static_cast<int>(x % static_cast<uint64_t>(skus))));
    Run(eng, engine::CommitCmd{held.hold->hold_id, {}});
  }
  return ops / 2 * 2;
}

// CPU ns per op of one arm in one block.
double Measure(bool alerts, const Scenario& scenario, int ops, int skus) {
  std::unique_ptr<engine::Engine> eng = Create(alerts);
  Stock(*eng, skus);
  const int64_t start = ProcessCpuNanos();
  const int64_t ran = scenario(*eng, ops, skus);
  return static_cast<double>(ProcessCpuNanos() - start) / static_cast<double>(ran);
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);  // as daemon/main.cc
  int ops = 200'000, blocks = 7, skus = 10'000;
  std::string only;
  for (int i = 1; i < argc; ++i) {
    const bool has_value = i + 1 < argc;
    if (has_value && !std::strcmp(argv[i], "--ops")) {
      ops = std::atoi(argv[++i]);
    } else if (has_value && !std::strcmp(argv[i], "--blocks")) {
      blocks = std::atoi(argv[++i]);
    } else if (has_value && !std::strcmp(argv[i], "--skus")) {
      skus = std::atoi(argv[++i]);
    } else if (has_value && !std::strcmp(argv[i], "--only")) {
      only = argv[++i];
    } else {
      std::fprintf(stderr, "usage: %s [--ops N] [--blocks N] [--skus N] [--only SCENARIO]\n",
                   argv[0]);
      return 2;
    }
  }
  if (ops < 2 || blocks < 1 || skus < 1) {
    std::fprintf(stderr, "--ops must be >= 2, --blocks and --skus >= 1\n");
    return 2;
  }
  const std::vector<std::pair<const char*, Scenario>> scenarios = {
      {"hot-reserve", HotReserve},
      {"uniform-reserve", UniformReserve},
      {"reserve-commit", ReserveCommit}};
  std::printf(
      "| scenario | off ns/op | on ns/op | on - off ns/op, median of %d blocks | on/off, median "
      "of blocks (range) |\n",
      blocks);
  std::printf("|---|---:|---:|---:|---|\n");
  for (const auto& [name, scenario] : scenarios) {
    if (!only.empty() && only != name) continue;
    std::vector<double> off, on, ratio, extra;
    for (int b = 0; b < blocks; ++b) {
      double first, second;
      if (b % 2 == 0) {
        first = Measure(false, scenario, ops, skus);
        second = Measure(true, scenario, ops, skus);
        off.push_back(first);
        on.push_back(second);
      } else {
        first = Measure(true, scenario, ops, skus);
        second = Measure(false, scenario, ops, skus);
        on.push_back(first);
        off.push_back(second);
      }
      ratio.push_back(on.back() / off.back());
      extra.push_back(on.back() - off.back());
    }
    std::printf("| %s | %.0f | %.0f | %.0f | %.3f (%.3f-%.3f) |\n", name, Median(off), Median(on),
                Median(extra), Median(ratio), *std::min_element(ratio.begin(), ratio.end()),
                *std::max_element(ratio.begin(), ratio.end()));
    std::fflush(stdout);
  }
  return 0;
}
