// Crash test (durability issue, item 6): the real `stockd` binary runs as a child process
// on its embedded redis-server. Concurrent clients mutate stock with request_ids while the
// test SIGKILLs stockd (or its redis-server) at random moments and restarts it. A checker
// then holds the daemon to docs/design.md "Durability":
//   - every acknowledged mutation is present: its replay returns the first response and
//     changes nothing;
//   - every mutation whose outcome the client never learned applies exactly once when
//     replayed with its request_id;
//   - the final state equals an independent model built from the acknowledged responses,
//     no counter is negative, CheckInvariants() is ok, and every channel's availability
//     equals a from-scratch recomputation of the docs/design.md formula;
//   - (redis-server killed) stockd answers UNAVAILABLE while Redis is down, never
//     acknowledges a write Redis could not have taken, and re-syncs within 5 s of Redis
//     answering again;
//   - a final SIGKILL + restart serves exactly the state that was served before it;
//   - (redis-server killed) every acknowledged mutation has its audit entry in Redis;
//     the figure lost/acknowledged is printed per cycle. With appendfsync everysec (the
//     lossy variant, DISABLED_ by default) losses are the documented Redis 7.0 window:
//     reported, not failed, and the checks above run on the operations Redis kept.
//
// Environment: STOCKD_CRASH_CYCLES (default 10), STOCKD_CRASH_THREADS (default 8),
// STOCKD_CRASH_SEED (default random; printed), STOCKD_CRASH_KEEP=1 keeps the temp dir
// (it is always kept when the test fails), STOCKD_CRASH_VERBOSE=1 prints every cycle,
// STOCKD_CRASH_LOAD_MS=MIN-MAX the load before each kill (default 100-800 ms, drawn
// uniformly per cycle).
// `scripts/crash-test` sets them.
//
// This file holds the cases (the variants and one run's cycles); the parts are
// harness.h (stockd and its redis-server as child processes, the shop's config), load.h
// (the load client), oracle.h and model.h (what the acknowledged writes imply, and the
// check of the recovered state).
//
// Thread safety: the fixture runs on the GoogleTest thread; each load Worker owns its own
// records until it is joined; LoadControl and Probe are shared and synchronized.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "tests/crash/harness.h"
#include "tests/crash/load.h"
#include "tests/crash/oracle.h"

namespace stockd::crash {
namespace {

enum class Target { kStockd, kRedis };

// STOCKD_CRASH_LOAD_MS=MIN-MAX, when set; false when it is set and not such a window.
bool LoadWindow(int* min_ms, int* max_ms) {
  const char* v = std::getenv("STOCKD_CRASH_LOAD_MS");
  if (v == nullptr) return true;
  int lo = 0, hi = 0, used = 0;
  if (std::sscanf(v, "%d-%d%n", &lo, &hi, &used) != 2 || v[used] != '\0' || lo <= 0 || hi < lo) {
    return false;
  }
  *min_ms = lo;
  *max_ms = hi;
  return true;
}

class CrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(process_.SetUp());
    run_.skus = ShopSkus();
  }

  void TearDown() override {
    StopLoad();
    process_.TearDown(HasFailure() || EnvInt("STOCKD_CRASH_KEEP", 0) != 0);
  }

  // Starts stockd and hands the fresh stub to the load.
  void StartStockd() {
    std::shared_ptr<v1::Stock::Stub> stub;
    ASSERT_NO_FATAL_FAILURE(process_.Start(&stub));
    control_.set_stub(stub);
  }

  void StartLoad(int threads, uint64_t seed, bool with_probe) {
    control_.stop = false;
    for (int i = 0; i < threads; ++i) {
      run_.workers.push_back(std::make_unique<Worker>(i, seed + 1 + i, &control_, &run_.skus));
    }
    for (auto& w : run_.workers) threads_.emplace_back([w = w.get()] { w->Run(); });
    if (with_probe) {
      run_.probe = std::make_unique<Probe>(&control_);
      threads_.emplace_back([p = run_.probe.get()] { p->Run(); });
    }
    control_.serving = true;
  }

  void StopLoad() {
    control_.stop = true;
    for (std::thread& t : threads_) {
      if (t.joinable()) t.join();
    }
    threads_.clear();
  }

  void Run(Target target, const std::string& appendfsync) {
    const int cycles = std::max(1, EnvInt("STOCKD_CRASH_CYCLES", 10));
    const int threads = std::max(1, EnvInt("STOCKD_CRASH_THREADS", 8));
    const uint64_t seed = std::getenv("STOCKD_CRASH_SEED")
                              ? std::strtoull(std::getenv("STOCKD_CRASH_SEED"), nullptr, 10)
                              : std::random_device{}();
    std::mt19937_64 rng(seed);
    int load_min_ms = 100, load_max_ms = 800;
    ASSERT_TRUE(LoadWindow(&load_min_ms, &load_max_ms))
        << "STOCKD_CRASH_LOAD_MS must be MIN-MAX with 0 < MIN <= MAX, e.g. 100-800";
    const char* victim = target == Target::kStockd ? "stockd" : "redis-server";
    std::printf(
        "[crash] SIGKILL %s, appendfsync %s, %d cycles, %d clients, %d-%d ms of load a cycle, "
        "seed %llu, dir %s\n",
        victim, appendfsync.c_str(), cycles, threads, load_min_ms, load_max_ms,
        static_cast<unsigned long long>(seed), process_.dir().c_str());
    const int64_t run_start = NowUs();

    YamlExtras extras;
    extras.whole_audit = target == Target::kRedis;  // FindLostAcks reads every request_id
    process_.WriteConfig(appendfsync, extras);
    ASSERT_NO_FATAL_FAILURE(StartStockd());
    ASSERT_NO_FATAL_FAILURE(SeedStock(oracle_, rng, &run_));
    StartLoad(threads, seed, target == Target::kRedis);

    const bool verbose = EnvInt("STOCKD_CRASH_VERBOSE", 0) != 0;
    for (int cycle = 1; cycle <= cycles; ++cycle) {
      const int load_ms = std::uniform_int_distribution<int>(load_min_ms, load_max_ms)(rng);
      SleepMs(load_ms);
      if (target == Target::kStockd) {
        control_.serving = false;
        const int64_t killed_at = WallMs();
        ASSERT_NO_FATAL_FAILURE(process_.Kill());
        const int64_t reaped_at = WallMs();
        if (cycle == cycles) StopLoad();  // the checker runs on the recovered state
        if (std::uniform_int_distribution<int>(0, 4)(rng) == 0) {
          // Once in a while, also kill it while it starts (loading, replacing the old
          // redis-server, starting its own).
          ASSERT_NO_FATAL_FAILURE(process_.SpawnOnly());
          SleepMs(std::uniform_int_distribution<int>(0, 150)(rng));
          ASSERT_NO_FATAL_FAILURE(process_.Kill());
          ++startup_kills_;
        }
        ASSERT_NO_FATAL_FAILURE(StartStockd());
        control_.serving = true;
        if (verbose) {
          std::printf(
              "[crash] cycle %d: SIGKILL after %d ms of load at %lld, reaped +%lld ms, "
              "ready +%lld ms\n",
              cycle, load_ms, static_cast<long long>(killed_at),
              static_cast<long long>(reaped_at - killed_at),
              static_cast<long long>(WallMs() - killed_at));
          std::fflush(stdout);  // a long run's log is read while it runs
        }
      } else {
        ASSERT_NO_FATAL_FAILURE(process_.KillRedis(
            cycle, *control_.stub(), run_.skus.front(),
            [this](int64_t after_us) { return run_.probe->FirstOkAfter(after_us); },
            &run_.outages));
        if (verbose) {
          const Outage& o = run_.outages.back();
          std::printf(
              "[crash] cycle %d: SIGKILL redis-server after %d ms of load; PING fails "
              "+%.0f ms, answers again +%.0f ms, first write +%.0f ms\n",
              cycle, load_ms, Ms(o.first_down_us - o.kill_us), Ms(o.up_us - o.kill_us),
              Ms(o.first_write_us - o.kill_us));
          std::fflush(stdout);
        }
      }
    }
    if (target == Target::kRedis) {
      SleepMs(std::uniform_int_distribution<int>(load_min_ms, load_max_ms)(rng));
      StopLoad();
    }
    const double load_s = Ms(NowUs() - run_start) / 1000.0;

    Summary summary;
    summary.cycles = cycles;
    // appendfsync everysec: a SIGKILLed redis-server may lose acknowledged writes (the
    // documented Redis 7.0 window, docs/storage.md). They are counted, not failed; every
    // other check still holds on what Redis kept.
    oracle_.set_lossy(target == Target::kRedis && appendfsync != "always");
    if (target == Target::kRedis) {
      ASSERT_NO_FATAL_FAILURE(oracle_.FindLostAcks(process_.redis_socket(), &summary));
    }
    oracle_.CheckLoadViolations(&summary);
    if (target == Target::kRedis) oracle_.CheckOutages(&summary);
    ASSERT_NO_FATAL_FAILURE(oracle_.Check(&summary));
    // A last SIGKILL + restart (no load) must serve exactly what was served before it: the
    // state in Redis is the state in memory, idempotency records included.
    ASSERT_NO_FATAL_FAILURE(oracle_.CheckRestartServesSameState(
        [this] {
          ASSERT_NO_FATAL_FAILURE(process_.Kill());
          ASSERT_NO_FATAL_FAILURE(StartStockd());
        },
        &summary));

    // The summary.
    int64_t acked = 0, unknown = 0;
    std::string by_kind;
    for (int k = 0; k < kKinds; ++k) {
      int64_t n = 0, rejected = 0;
      for (const auto& w : run_.workers) {
        for (const OpRecord& r : w->acked()) n += static_cast<int>(r.kind) == k;
        rejected += w->rejected(static_cast<Kind>(k));
      }
      if (n + rejected == 0) continue;
      by_kind += " " + std::string(KindName(static_cast<Kind>(k))) + "=" + std::to_string(n);
      if (rejected > 0) by_kind += "(+" + std::to_string(rejected) + " refused)";
    }
    for (const auto& w : run_.workers) {
      acked += static_cast<int64_t>(w->acked().size());
      unknown += static_cast<int64_t>(w->unknown().size());
    }
    std::printf("[crash] summary: SIGKILL %s, appendfsync %s: %d cycles in %.1f s\n", victim,
                appendfsync.c_str(), cycles, load_s);
    std::printf("[crash]   acknowledged ops: %lld (+%zu seed counts):%s\n",
                static_cast<long long>(acked), run_.seed.size(), by_kind.c_str());
    std::printf(
        "[crash]   unknown outcomes: %lld -> had been applied %lld, applied on replay "
        "%lld, refused on replay %lld\n",
        static_cast<long long>(unknown), static_cast<long long>(summary.had_applied),
        static_cast<long long>(summary.applied_now), static_cast<long long>(summary.refused_now));
    std::printf("[crash]   replays checked: %lld (identical first result, no state change)\n",
                static_cast<long long>(summary.replays));
    std::printf("[crash]   lost acks: %lld, double applies: %lld\n",
                static_cast<long long>(summary.lost_acks),
                static_cast<long long>(summary.double_applies));
    std::printf(
        "[crash]   final state: %lld rows, %lld open holds match the model; "
        "CheckInvariants ok: %s\n",
        static_cast<long long>(summary.rows), static_cast<long long>(summary.open_holds),
        summary.invariants_ok ? "yes" : "NO");
    std::printf(
        "[crash]   stockd start to ready: %s (first start and %zu restarts); "
        "%d more SIGKILLs during start-up\n",
        Spread(process_.start_ms()).c_str(), process_.start_ms().size() - 1, startup_kills_);
    if (target == Target::kRedis) {
      std::vector<double> resync, down;
      for (const Outage& o : run_.outages) {
        if (o.first_write_us > 0) resync.push_back(Ms(o.first_write_us - o.up_us));
        down.push_back(Ms(o.up_us - o.kill_us));
      }
      std::printf("[crash]   redis down (kill to PING): %s\n", Spread(down).c_str());
      std::printf("[crash]   re-sync (redis PING to first acknowledged write): %s\n",
                  Spread(resync).c_str());
      std::printf(
          "[crash]   UNAVAILABLE answers while redis was down: %lld; acks "
          "without redis: %lld\n",
          static_cast<long long>(summary.unavailable_during_outages),
          static_cast<long long>(summary.acks_without_redis));
      oracle_.PrintLosses(summary);
    }
  }

  StockdProcess process_;
  LoadControl control_;
  RunRecord run_;
  Oracle oracle_{&control_, &run_};
  std::vector<std::thread> threads_;
  int startup_kills_ = 0;
};

TEST_F(CrashTest, KillStockdEverysec) { Run(Target::kStockd, "everysec"); }
TEST_F(CrashTest, KillStockdAlways) { Run(Target::kStockd, "always"); }
TEST_F(CrashTest, KillRedisAlways) { Run(Target::kRedis, "always"); }
// Not in the default suite: with appendfsync everysec, Redis 7.0 may postpone its AOF
// write by up to 2 s while still replying when a background fsync is slow (busy disk), so
// a SIGKILL of redis-server can lose acknowledged writes — the reason the embedded
// default is `always` (docs/storage.md). It reports those losses (lost/acknowledged per
// cycle and in total) instead of failing on them, and fails on anything else: a double
// apply, a violated invariant, a state that differs from what Redis kept, a crash.
// `scripts/crash-test --include-lossy` (or `--fsync everysec`) runs it.
TEST_F(CrashTest, DISABLED_KillRedisEverysec) { Run(Target::kRedis, "everysec"); }

}  // namespace
}  // namespace stockd::crash
