// Fault matrix (scripts/fault-test, docs/testing.md "Fault matrix"): the disk under the
// embedded redis-server, full and slow, under load.
//   disk-full  the data directory on its own tmpfs (kTmpfsBytes); a filler file takes every
//              byte left for the fault's length, then is removed. With appendfsync always,
//              Redis 7.0 exits on an AOF write error ("Can't recover from AOF write error
//              when the AOF fsync policy is 'always'. Exiting..."): stockd answers
//              UNAVAILABLE, its supervisor restarts redis-server with growing backoff, and
//              the re-sync reloads once Redis runs again. Recovery = filler removed ->
//              first successful probe write. SKIPPED when the mount is refused.
//   slow-disk  every fsync/fdatasync of redis-server delayed by kSlowFsyncMs (strace
//              syscall injection) for the fault's length (default 5 s); the acknowledged
//              writes' latency during the window is reported. Recovery = strace detached
//              -> first successful probe write. SKIPPED when strace cannot attach.
// Each ends with the full oracle check (fault_fixture.h).
//
// The cases are DISABLED_ (not in ctest); scripts/fault-test runs them.
//
// Thread safety: the GoogleTest thread only (the fixture's load threads aside).
#include <string>
#include <vector>

#include "tests/crash/fault_fixture.h"
#include "tests/crash/faults.h"

namespace stockd::crash {
namespace {

constexpr int64_t kTmpfsBytes = 256ll << 20;
constexpr int64_t kSlowFsyncMs = 100;

TEST_F(FaultTest, DISABLED_DiskFull) {
  Begin("disk-full");
  std::string error;
  if (!process_.MountDataDirTmpfs(kTmpfsBytes, &error)) {
    SkipBecause("cannot mount a tmpfs on the data directory: " + error);
    return;
  }
  ASSERT_NO_FATAL_FAILURE(StartAll());
  LogWatcher log(process_.log_path());
  log.Mark();
  std::vector<Window> faults;
  std::vector<double> filled_mb, fill_ms;
  for (int cycle = 1; cycle <= cycles(); ++cycle) {
    LoadBetweenFaults();
    DiskFiller filler;
    const int64_t fill_started = NowUs();
    ASSERT_TRUE(filler.Fill(process_.data_dir() + "/filler", &error)) << error;
    Window w{NowUs(), 0};  // full from here on
    filled_mb.push_back(static_cast<double>(filler.bytes()) / (1 << 20));
    fill_ms.push_back(Ms(w.from_us - fill_started));
    SleepMs(fault_ms());
    filler.Remove();
    w.to_us = NowUs();
    faults.push_back(w);
    ASSERT_NO_FATAL_FAILURE(RecordFirstWriteAfter(w.to_us, 60'000));
  }
  const int redis_exits = log.Count("restarting in");
  const int restart_failures = log.Count("cannot restart redis-server");
  const int aof_cuts = log.Count("ended inside a transaction");
  ASSERT_NO_FATAL_FAILURE(FinishAndCheck(/*outages_checked=*/false));
  const LoadFigures during = FiguresIn(faults);
  Note("tmpfs " + std::to_string(kTmpfsBytes >> 20) + " MiB, filler " + MedianMax(filled_mb) +
       " MiB written in " + MedianMax(fill_ms) + " ms");
  Note("acks/s while full " + Fixed(during.acks_per_s) + " (before " +
       Fixed(FiguresBefore(faults.front().from_us).acks_per_s) + ")");
  Note(std::to_string(during.unavailable) + " UNAVAILABLE + " + std::to_string(during.deadline) +
       " deadline answers while full");
  Note("redis-server exits " + std::to_string(redis_exits) + ", failed restarts " +
       std::to_string(restart_failures) + ", AOF tails cut " + std::to_string(aof_cuts));
  Note("re-syncs: " + std::to_string(log.Count("ms without a reload")) + " without a reload, " +
       std::to_string(log.Count("ms by a full reload")) + " full reload");
}

TEST_F(FaultTest, DISABLED_SlowDisk) {
  Begin("slow-disk", /*default_seconds=*/5);
  ASSERT_NO_FATAL_FAILURE(StartAll());
  std::vector<Window> faults;
  int64_t delayed = 0;
  for (int cycle = 1; cycle <= cycles(); ++cycle) {
    LoadBetweenFaults();
    const pid_t redis = process_.RedisPid();
    ASSERT_GT(redis, 0) << "no redis-server child of stockd";
    SlowSyscalls slow;
    std::string error;
    const std::string strace_log = process_.dir() + "/strace-" + std::to_string(cycle) + ".log";
    if (!slow.Start(redis, kSlowFsyncMs, strace_log, &error)) {
      if (cycle == 1) {
        StopLoad();
        SkipBecause("strace cannot delay redis-server's fsync: " + error);
        return;
      }
      FAIL() << "strace: " << error;
    }
    Window w{NowUs(), 0};
    SleepMs(fault_ms());
    w.to_us = NowUs();
    slow.Stop();
    const int64_t detached_us = NowUs();
    faults.push_back(w);
    delayed += slow.DelayedCalls();
    ASSERT_NO_FATAL_FAILURE(RecordFirstWriteAfter(detached_us));
  }
  ASSERT_NO_FATAL_FAILURE(FinishAndCheck(/*outages_checked=*/false));
  EXPECT_GT(delayed, 0) << "strace delayed no fsync: the fault did not happen";
  const LoadFigures during = FiguresIn(faults);
  const LoadFigures before = FiguresBefore(faults.front().from_us);
  Note("fsync +" + std::to_string(kSlowFsyncMs) + " ms: " + std::to_string(delayed) + " delayed");
  Note("ack latency p50/p99 while slow " + Fixed(during.p50_ms) + "/" + Fixed(during.p99_ms) +
       " ms (before " + Fixed(before.p50_ms, 1) + "/" + Fixed(before.p99_ms, 1) + ")");
  Note("acks/s while slow " + Fixed(during.acks_per_s) + " (before " + Fixed(before.acks_per_s) +
       ")");
  Note(std::to_string(during.unavailable + during.deadline) + " unknown outcomes while slow");
}

}  // namespace
}  // namespace stockd::crash
