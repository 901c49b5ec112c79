// One row of the fault matrix's table (scripts/fault-test, docs/testing.md "Fault
// matrix"): a scenario, what its load saw, the two verdicts the oracle counts (lost acks,
// double applies), the recovery times and a verdict. Each case writes its row once, at
// its end, to the markdown file named by STOCKD_FAULT_REPORT (appended; the script writes
// the header) and to stdout.
//
// Thread safety: FaultRow is a value; AppendRow may be called from one thread at a time.
#ifndef STOCKD_TESTS_CRASH_FAULT_REPORT_H_
#define STOCKD_TESTS_CRASH_FAULT_REPORT_H_

#include <cstdint>
#include <string>
#include <vector>

namespace stockd::crash {

struct FaultRow {
  std::string scenario;  // e.g. "redis-sigstop"
  int cycles = 0;
  int64_t acked = 0;                // acknowledged load mutations
  int64_t unknown = 0;              // load mutations whose outcome the client never learned
  int64_t lost_acks = -1;           // -1: the oracle did not get that far
  int64_t double_applies = -1;      // -1: the oracle did not get that far
  std::vector<double> recovery_ms;  // one per cycle
  std::vector<std::string> notes;   // joined with "; "
  enum class Verdict { kPass, kFail, kSkipped };
  Verdict verdict = Verdict::kFail;
  std::string reason;  // why it failed or was skipped
};

// "| scenario | cycles | acked | ... |" and its separator line.
std::string MarkdownHeader();
std::string MarkdownRow(const FaultRow& row);
// Prints the row and appends it to $STOCKD_FAULT_REPORT when set.
void AppendRow(const FaultRow& row);

}  // namespace stockd::crash

#endif  // STOCKD_TESTS_CRASH_FAULT_REPORT_H_
