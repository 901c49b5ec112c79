// Output of stockctl: aligned tables for people, JSON lines for scripts, and the
// renderings of the API messages several commands share (stock rows, holds).
//
// Single-threaded.
#ifndef STOCKD_DAEMON_CLI_FORMAT_H_
#define STOCKD_DAEMON_CLI_FORMAT_H_

#include <google/protobuf/message.h>

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "stockd/v1/stockd.pb.h"

namespace stockd::cli {

// A table printed with aligned columns separated by two spaces. Column titles are
// printed as given (upper case by convention). Widths count UTF-8 code points.
class Table {
 public:
  enum class Align { kLeft, kRight };
  struct Column {
    std::string title;
    Align align = Align::kLeft;
  };

  explicit Table(std::vector<Column> columns);

  // `cells` has one entry per column (missing cells print empty).
  void AddRow(std::vector<std::string> cells);
  bool empty() const { return rows_.empty(); }
  // Header, then rows; each line indented by `indent` spaces.
  void Print(std::ostream& out, int indent = 0) const;

 private:
  std::vector<Column> columns_;
  std::vector<std::vector<std::string>> rows_;
};

// "name  value" lines with the values aligned.
struct Field {
  std::string name;
  std::string value;
};
void PrintFields(std::ostream& out, const std::vector<Field>& fields, int indent = 0);

// Shorthand for a right-aligned (numeric) column.
Table::Column Num(std::string title);

// Prints `message` as one line of JSON (proto3 JSON mapping, default values included).
void PrintJson(std::ostream& out, const google::protobuf::Message& message);

// "2024-05-01 14:03:07" in local time; "-" for 0.
std::string FormatTime(int64_t epoch_ms);
// "14:03:07.123" in local time.
std::string FormatClock(int64_t epoch_ms);
// "1h2m", "9m59s", "2.5s", "-3s" (negative: in the past).
std::string FormatDuration(int64_t ms);
// "2024-05-01 14:13:07 (in 9m59s)"; "-" for 0.
std::string FormatDeadline(int64_t epoch_ms);

// "held", "committed", ... (lower case, as typed on the command line).
absl::string_view HoldStateName(stockd::v1::HoldState state);
// Parses a name printed by HoldStateName.
std::optional<stockd::v1::HoldState> ParseHoldState(absl::string_view name);

// "SKU:2@store-berlin, SKU2:1@wh-central".
std::string FormatLines(const google::protobuf::RepeatedPtrField<stockd::v1::HoldLine>& lines);

// A table of stock rows with an optional leading label column (e.g. "before").
class StockRowTable {
 public:
  explicit StockRowTable(std::string label_title = "");
  void Add(const stockd::v1::StockRow& row, std::string label = "");
  void Print(std::ostream& out) const { table_.Print(out); }

 private:
  bool labelled_;
  Table table_;
};

// The full human rendering of one hold: header fields and its lines.
void PrintHold(std::ostream& out, const stockd::v1::Hold& hold);

}  // namespace stockd::cli

#endif  // STOCKD_DAEMON_CLI_FORMAT_H_
