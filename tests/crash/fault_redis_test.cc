// Fault matrix (scripts/fault-test, docs/testing.md "Fault matrix"): the embedded
// redis-server stopped, killed and restarted under load.
//   redis-sigstop  SIGSTOP for the fault's length, then SIGCONT. Writes wait, then fail
//                  (deadline, then UNAVAILABLE once redis.timeout, 2 s, has passed and the
//                  gate has closed); recovery = SIGCONT -> first successful probe write.
//   redis-sigkill  SIGKILL; stockd's supervisor restarts it; recovery = Redis answering
//                  PING again -> first successful probe write (StockdProcess::KillRedis).
//   redis-restart  the same with SIGTERM: Redis shuts down gracefully, and is restarted.
// Each ends with the full oracle check (fault_fixture.h), including that no write was
// acknowledged while Redis could not have taken it (Oracle::CheckOutages).
//
// The cases are DISABLED_ (not in ctest); scripts/fault-test runs them.
//
// Thread safety: the GoogleTest thread only (the fixture's load threads aside).
#include <signal.h>

#include <string>
#include <vector>

#include "tests/crash/fault_fixture.h"
#include "tests/crash/faults.h"

namespace stockd::crash {
namespace {

// The re-syncs stockd logged since `log` was marked: "N without a reload, M full".
std::string ResyncNote(const LogWatcher& log) {
  return "re-syncs: " + std::to_string(log.Count("ms without a reload")) + " without a reload, " +
         std::to_string(log.Count("ms by a full reload")) + " full reload";
}

// When stockd first answered UNAVAILABLE after each window began (the write gate closed).
std::string GateNote(const RunRecord& run, const std::vector<Window>& windows) {
  std::vector<double> ms;
  for (const Window& w : windows) {
    int64_t first = 0;
    for (const auto& worker : run.workers) {
      for (const OpRecord& r : worker->unknown()) {
        if (r.code != grpc::StatusCode::UNAVAILABLE || r.done_us < w.from_us) continue;
        if (first == 0 || r.done_us < first) first = r.done_us;
      }
    }
    if (first > 0 && first < w.to_us + 5'000'000) ms.push_back(Ms(first - w.from_us));
  }
  return "first UNAVAILABLE after " + Spread(ms);
}

TEST_F(FaultTest, DISABLED_RedisSigstop) {
  Begin("redis-sigstop");
  ASSERT_NO_FATAL_FAILURE(StartAll());
  LogWatcher log(process_.log_path());
  log.Mark();
  std::vector<Window> faults;
  for (int cycle = 1; cycle <= cycles(); ++cycle) {
    LoadBetweenFaults();
    const pid_t redis = process_.RedisPid();
    ASSERT_GT(redis, 0) << "no redis-server child of stockd";
    Outage o;
    o.cycle = cycle;
    o.kill_us = o.first_down_us = NowUs();
    ASSERT_EQ(kill(redis, SIGSTOP), 0);
    SleepMs(fault_ms());
    o.last_down_us = o.up_us = NowUs();
    ASSERT_EQ(kill(redis, SIGCONT), 0);
    faults.push_back({o.kill_us, o.up_us});
    ASSERT_NO_FATAL_FAILURE(RecordFirstWriteAfter(o.up_us));
    o.first_write_us = o.up_us + static_cast<int64_t>(row_.recovery_ms.back() * 1000);
    run_.outages.push_back(o);
  }
  // A stop shorter than redis.timeout (2 s) only delays writes: no UNAVAILABLE to expect.
  ASSERT_NO_FATAL_FAILURE(FinishAndCheck(/*outages_checked=*/fault_ms() >= 2500));
  const LoadFigures during = FiguresIn(faults);
  const LoadFigures before = FiguresBefore(faults.front().from_us);
  Note("acks/s while stopped " + Fixed(during.acks_per_s) + " (before " + Fixed(before.acks_per_s) +
       ")");
  Note(std::to_string(during.deadline) + " deadline + " + std::to_string(during.unavailable) +
       " UNAVAILABLE answers while stopped");
  Note(GateNote(run_, faults));
  Note(ResyncNote(log));
}

// SIGKILL or SIGTERM to redis-server, `cycles()` times, through StockdProcess::KillRedis.
class FaultRedisKillTest : public FaultTest {
 protected:
  void Run(const std::string& scenario, int signal) {
    Begin(scenario);
    ASSERT_NO_FATAL_FAILURE(StartAll());
    LogWatcher log(process_.log_path());
    log.Mark();
    std::vector<Window> faults;
    for (int cycle = 1; cycle <= cycles(); ++cycle) {
      LoadBetweenFaults();
      ASSERT_NO_FATAL_FAILURE(process_.KillRedis(
          cycle, *control_.stub(), run_.skus.front(),
          [this](int64_t after_us) { return run_.probe->FirstOkAfter(after_us); }, &run_.outages,
          signal));
      const Outage& o = run_.outages.back();
      row_.recovery_ms.push_back(Ms(o.first_write_us - o.up_us));
      faults.push_back({o.kill_us, o.first_write_us});
    }
    ASSERT_NO_FATAL_FAILURE(FinishAndCheck(/*outages_checked=*/true));
    std::vector<double> down;
    for (const Outage& o : run_.outages) down.push_back(Ms(o.up_us - o.kill_us));
    const LoadFigures during = FiguresIn(faults);
    Note("redis down (signal to PING) " + MedianMax(down) + " ms");
    Note("acks/s from signal to first write " + Fixed(during.acks_per_s) + " (before " +
         Fixed(FiguresBefore(faults.front().from_us).acks_per_s) + ")");
    Note(std::to_string(during.unavailable) + " UNAVAILABLE answers");
    Note(ResyncNote(log));
  }
};

TEST_F(FaultRedisKillTest, DISABLED_RedisSigkill) { Run("redis-sigkill", SIGKILL); }
TEST_F(FaultRedisKillTest, DISABLED_RedisRestart) { Run("redis-restart", SIGTERM); }

}  // namespace
}  // namespace stockd::crash
