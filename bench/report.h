// What stockd-bench prints and writes: a text table on stdout, one grep-able RESULT line,
// and a JSON document with the parameters and the same numbers (--json FILE).
//
// Single-threaded: called from main after the driver has returned.
#ifndef STOCKD_BENCH_REPORT_H_
#define STOCKD_BENCH_REPORT_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "bench/driver.h"
#include "bench/options.h"

namespace stockd::bench {

// Facts about the run that are not in the options.
struct RunInfo {
  std::string run_id;
  uint64_t seed = 0;
  absl::Time started;
  std::string server_version;  // from GetConfigSummary; empty against the echo server
};

// The end-of-run consistency check (--check).
struct CheckReport {
  bool ran = false;
  bool ok = true;
  std::vector<std::string> rows;        // "BENCH-00000000@wh-central on_hand=.. held=.."
  std::vector<std::string> violations;  // empty = ok
  int64_t rows_checked = 0;             // by CheckInvariants
  int64_t holds_checked = 0;
};

void PrintSetup(std::ostream& out, const BenchOptions& options, const RunResult& setup);
void PrintRun(std::ostream& out, const BenchOptions& options, const RunInfo& info,
              const RunResult& run);
void PrintCheck(std::ostream& out, const CheckReport& check);

// "RESULT op=reserve skew=hot inflight=64 ... ops_per_s=... p99_ms=... errors=0"
std::string ResultLine(const BenchOptions& options, const RunResult& run);

// Writes the JSON report. `setup`, `run` may be null (that part did not happen).
absl::Status WriteJson(const std::string& path, const BenchOptions& options, const RunInfo& info,
                       const RunResult* setup, const RunResult* run, const CheckReport& check);

}  // namespace stockd::bench

#endif  // STOCKD_BENCH_REPORT_H_
