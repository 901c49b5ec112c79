// The fault matrix's fixture (scripts/fault-test, docs/testing.md "Fault matrix"): the
// crash test's parts (harness.h, load.h, oracle.h) put together for one fault scenario per
// case. A case starts the real `stockd` on the shop, seeds the stock, runs the load (the
// Workers with request ids and the Probe's steady write) while it injects its fault a
// number of cycles, lets the load run on after the last one, and then holds the daemon to
// the full Oracle check (every acknowledged mutation present, every unknown outcome
// applied exactly once, the final state equal to the independent model, invariants, the
// availability formula, and a final SIGKILL + restart serving the same state). Its row of
// the table (fault_report.h) is written in TearDown, FAIL when the case failed anywhere.
//
// Environment: STOCKD_FAULT_CYCLES (default 3), STOCKD_FAULT_SECONDS (how long a fault
// lasts; default 3, slow-disk 5), STOCKD_CRASH_THREADS (default 8), STOCKD_CRASH_SEED,
// STOCKD_CRASH_KEEP=1, STOCKD_FAULT_REPORT (the table file). scripts/fault-test sets them.
//
// Thread safety: the fixture runs on the GoogleTest thread; the load threads share only
// LoadControl and the Probe (synchronized); the Workers' records are read after StopLoad.
#ifndef STOCKD_TESTS_CRASH_FAULT_FIXTURE_H_
#define STOCKD_TESTS_CRASH_FAULT_FIXTURE_H_

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "tests/crash/fault_report.h"
#include "tests/crash/harness.h"
#include "tests/crash/load.h"
#include "tests/crash/oracle.h"

namespace stockd::crash {

// A stretch of time a fault lasted (NowUs()).
struct Window {
  int64_t from_us = 0;
  int64_t to_us = 0;
};

// What the load saw in some windows, computed once the load has stopped.
struct LoadFigures {
  int64_t acked = 0;        // acknowledged calls that ended inside the windows
  double acks_per_s = 0;    // ... per second of window
  int64_t unavailable = 0;  // calls answered UNAVAILABLE that ended inside them
  int64_t deadline = 0;     // calls that ran out of their deadline inside them
  double p50_ms = 0;        // latency of the acknowledged calls sent inside them
  double p99_ms = 0;
  double max_ms = 0;
};

class FaultTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Names the row; call first.
  void Begin(const std::string& scenario, int default_seconds = 3);
  // Writes stockd.yaml (appendfsync always), starts stockd, seeds the stock, starts the
  // load and the probe.
  void StartAll(const YamlExtras& extras = {});
  // Starts stockd and hands the fresh stub to the load.
  void StartStockd();
  void StartLoad();
  void StopLoad();
  // The load between faults: 0.5-1.5 s.
  void LoadBetweenFaults();
  // State for stockd to reload at start and re-sync, outside the load's SKUs (the oracle
  // does not look at them; CheckInvariants does): `counts` Counts with request ids over
  // kBulkSkus SKUs "BULK-00000"... at the warehouse, then `holds` one-unit Reserves on
  // the webshop that stay open, sent in Batch calls of 1000 from one thread.
  void BuildState(int64_t counts, int64_t holds);
  // Waits (up to `timeout_ms`) for the first successful probe write that completes after
  // `after_us`; its delay in ms, recorded as this cycle's recovery. Fails the test
  // when none comes.
  void RecordFirstWriteAfter(int64_t after_us, int64_t timeout_ms = 30'000);
  // After the last cycle: load for 1 s more, stop it, and run the oracle: FindLostAcks,
  // CheckLoadViolations, CheckOutages (when `outages_checked`), Check, and a final SIGKILL
  // + restart. Fills the row's counts.
  void FinishAndCheck(bool outages_checked);
  // Figures of the load (call after StopLoad) in `windows`.
  LoadFigures FiguresIn(const std::vector<Window>& windows) const;
  // The same over the time before the first fault, for comparison.
  LoadFigures FiguresBefore(int64_t until_us) const;
  void Note(const std::string& note) { row_.notes.push_back(note); }
  // Skips the case with `reason`, in the row too.
  void SkipBecause(const std::string& reason);

  int cycles() const { return cycles_; }
  int64_t fault_ms() const { return fault_ms_; }
  std::mt19937_64& rng() { return rng_; }

  StockdProcess process_;
  LoadControl control_;
  RunRecord run_;
  Oracle oracle_{&control_, &run_};
  FaultRow row_;
  int64_t load_started_us_ = 0;

 private:
  std::vector<std::thread> threads_;
  int cycles_ = 3;
  int64_t fault_ms_ = 3000;
  uint64_t seed_ = 0;
  std::mt19937_64 rng_;
  bool began_ = false;
};

// "%.0f" of a double, for notes.
std::string Fixed(double value, int decimals = 0);

}  // namespace stockd::crash

#endif  // STOCKD_TESTS_CRASH_FAULT_FIXTURE_H_
