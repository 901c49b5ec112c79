#include "tests/crash/fault_report.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "tests/crash/faults.h"

namespace stockd::crash {

namespace {

// A table cell: '|' and line breaks would break the markdown row.
std::string Cell(std::string text) {
  for (char& c : text) {
    if (c == '|') c = '/';
    if (c == '\n' || c == '\r') c = ' ';
  }
  return text;
}

std::string Count(int64_t n) { return n < 0 ? "-" : std::to_string(n); }

}  // namespace

std::string MarkdownHeader() {
  return "| scenario | cycles | acked | unknown outcomes | lost acks | double applies | "
         "recovery median / max (ms) | notes | result |\n"
         "|---|---|---|---|---|---|---|---|---|\n";
}

std::string MarkdownRow(const FaultRow& row) {
  std::string notes;
  for (const std::string& n : row.notes) notes += (notes.empty() ? "" : "; ") + n;
  std::string result;
  switch (row.verdict) {
    case FaultRow::Verdict::kPass:
      result = "PASS";
      break;
    case FaultRow::Verdict::kFail:
      result = "**FAIL**" + (row.reason.empty() ? "" : ": " + row.reason);
      break;
    case FaultRow::Verdict::kSkipped:
      result = "SKIPPED: " + row.reason;
      break;
  }
  return "| " + Cell(row.scenario) + " | " + std::to_string(row.cycles) + " | " + Count(row.acked) +
         " | " + Count(row.unknown) + " | " + Count(row.lost_acks) + " | " +
         Count(row.double_applies) + " | " + MedianMax(row.recovery_ms) + " | " + Cell(notes) +
         " | " + Cell(result) + " |\n";
}

void AppendRow(const FaultRow& row) {
  const std::string line = MarkdownRow(row);
  std::printf("[fault] %s", line.c_str());
  std::fflush(stdout);
  const char* path = std::getenv("STOCKD_FAULT_REPORT");
  if (path == nullptr || *path == '\0') return;
  std::ofstream out(path, std::ios::app);
  out << line;
}

}  // namespace stockd::crash
