#include "daemon/cli/format.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <iostream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "daemon/util/clock.h"

namespace stockd::cli {
namespace {

namespace v1 = stockd::v1;

size_t DisplayWidth(absl::string_view text) {
  // Count code points: every byte that is not a UTF-8 continuation byte.
  return std::count_if(text.begin(), text.end(),
                       [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
}

std::string FormatLocal(int64_t epoch_ms, const char* pattern) {
  std::time_t seconds = static_cast<std::time_t>(epoch_ms / 1000);
  std::tm local{};
  localtime_r(&seconds, &local);
  char buffer[64];
  size_t n = std::strftime(buffer, sizeof(buffer), pattern, &local);
  return std::string(buffer, n);
}

struct HoldStateEntry {
  v1::HoldState state;
  absl::string_view name;
};
constexpr HoldStateEntry kHoldStates[] = {
    {v1::HELD, "held"},       {v1::COMMITTED, "committed"}, {v1::RELEASED, "released"},
    {v1::EXPIRED, "expired"}, {v1::FULFILLED, "fulfilled"}, {v1::CANCELLED, "cancelled"},
};

}  // namespace

Table::Table(std::vector<Column> columns) : columns_(std::move(columns)) {}

void Table::AddRow(std::vector<std::string> cells) {
  cells.resize(columns_.size());
  rows_.push_back(std::move(cells));
}

void Table::Print(std::ostream& out, int indent) const {
  std::vector<size_t> widths(columns_.size());
  for (size_t c = 0; c < columns_.size(); ++c) {
    widths[c] = DisplayWidth(columns_[c].title);
    for (const auto& row : rows_) widths[c] = std::max(widths[c], DisplayWidth(row[c]));
  }
  auto print_line = [&](const std::vector<absl::string_view>& cells) {
    std::string line(indent, ' ');
    for (size_t c = 0; c < cells.size(); ++c) {
      size_t padding = widths[c] - DisplayWidth(cells[c]);
      bool last = c + 1 == cells.size();
      if (c > 0) line += "  ";
      if (columns_[c].align == Align::kRight) {
        line.append(padding, ' ');
        line.append(cells[c].data(), cells[c].size());
      } else {
        line.append(cells[c].data(), cells[c].size());
        if (!last) line.append(padding, ' ');
      }
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << "\n";
  };
  std::vector<absl::string_view> header;
  for (const Column& column : columns_) header.push_back(column.title);
  print_line(header);
  for (const auto& row : rows_) print_line({row.begin(), row.end()});
}

Table::Column Num(std::string title) { return {std::move(title), Table::Align::kRight}; }

void PrintJson(std::ostream& out, const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  std::string json;
  auto status = google::protobuf::util::MessageToJsonString(message, &json, options);
  if (!status.ok()) {
    // Only possible for a message the generated code cannot describe: a bug.
    std::cerr << "stockctl: cannot print " << message.GetTypeName()
              << " as JSON: " << status.ToString() << "\n";
    std::abort();
  }
  out << json << "\n";
}

std::string FormatTime(int64_t epoch_ms) {
  if (epoch_ms == 0) return "-";
  return FormatLocal(epoch_ms, "%Y-%m-%d %H:%M:%S");
}

std::string FormatClock(int64_t epoch_ms) {
  return absl::StrCat(FormatLocal(epoch_ms, "%H:%M:%S"), ".",
                      absl::Dec((epoch_ms % 1000 + 1000) % 1000, absl::kZeroPad3));
}

std::string FormatDuration(int64_t ms) {
  if (ms < 0) return absl::StrCat("-", FormatDuration(-ms));
  if (ms < 1000) return absl::StrCat(ms, "ms");
  if (ms < 10'000) {
    return absl::StrCat(ms / 1000, ".", (ms % 1000) / 100, "s");
  }
  int64_t seconds = ms / 1000;
  int64_t hours = seconds / 3600;
  int64_t minutes = seconds % 3600 / 60;
  seconds %= 60;
  std::string text;
  if (hours > 0) absl::StrAppend(&text, hours, "h");
  if (minutes > 0) absl::StrAppend(&text, minutes, "m");
  if (seconds > 0 && hours == 0) absl::StrAppend(&text, seconds, "s");
  return text;
}

std::string FormatDeadline(int64_t epoch_ms) {
  if (epoch_ms == 0) return "-";
  int64_t remaining = epoch_ms - util::WallMs();
  std::string relative = remaining >= 0 ? absl::StrCat("in ", FormatDuration(remaining))
                                        : absl::StrCat(FormatDuration(-remaining), " ago");
  return absl::StrCat(FormatTime(epoch_ms), " (", relative, ")");
}

absl::string_view HoldStateName(v1::HoldState state) {
  for (const HoldStateEntry& entry : kHoldStates) {
    if (entry.state == state) return entry.name;
  }
  return "unspecified";
}

std::optional<v1::HoldState> ParseHoldState(absl::string_view name) {
  for (const HoldStateEntry& entry : kHoldStates) {
    if (entry.name == name) return entry.state;
  }
  return std::nullopt;
}

std::string FormatLines(const google::protobuf::RepeatedPtrField<v1::HoldLine>& lines) {
  return absl::StrJoin(lines, ", ", [](std::string* out, const v1::HoldLine& line) {
    absl::StrAppend(out, line.sku(), ":", line.qty());
    if (!line.location().empty()) absl::StrAppend(out, "@", line.location());
  });
}

StockRowTable::StockRowTable(std::string label_title)
    : labelled_(!label_title.empty()), table_([&] {
        std::vector<Table::Column> columns;
        if (!label_title.empty()) columns.push_back({label_title});
        for (Table::Column column : {Table::Column{"SKU"}, Table::Column{"LOCATION"},
                                     Num("ON_HAND"), Num("HELD"), Num("COMMITTED"), Num("FREE")}) {
          columns.push_back(std::move(column));
        }
        return columns;
      }()) {}

void StockRowTable::Add(const v1::StockRow& row, std::string label) {
  std::vector<std::string> cells;
  if (labelled_) cells.push_back(std::move(label));
  for (std::string cell :
       {row.sku(), row.location(), absl::StrCat(row.on_hand()), absl::StrCat(row.held()),
        absl::StrCat(row.committed()), absl::StrCat(row.free())}) {
    cells.push_back(std::move(cell));
  }
  table_.AddRow(std::move(cells));
}

void PrintFields(std::ostream& out, const std::vector<Field>& fields, int indent) {
  size_t width = 0;
  for (const Field& field : fields) width = std::max(width, DisplayWidth(field.name));
  for (const Field& field : fields) {
    out << std::string(indent, ' ') << field.name
        << std::string(width - DisplayWidth(field.name) + 2, ' ') << field.value << "\n";
  }
}

void PrintHold(std::ostream& out, const v1::Hold& hold) {
  std::vector<Field> fields = {
      {"hold", hold.hold_id()},
      {"channel", hold.channel()},
      {"state", absl::AsciiStrToUpper(HoldStateName(hold.state()))},
  };
  if (hold.state() == v1::HELD) fields.push_back({"deadline", FormatDeadline(hold.deadline_ms())});
  if (!hold.reference().empty()) fields.push_back({"reference", hold.reference()});
  fields.push_back({"created", FormatTime(hold.created_ms())});
  fields.push_back({"updated", FormatTime(hold.updated_ms())});
  PrintFields(out, fields);
  out << "\n";
  bool show_fulfilled = hold.state() == v1::COMMITTED || hold.state() == v1::FULFILLED;
  std::vector<Table::Column> columns = {{"SKU"}, {"LOCATION"}, Num("QTY")};
  if (show_fulfilled) columns.push_back(Num("FULFILLED"));
  Table lines(std::move(columns));
  for (const v1::HoldLine& line : hold.lines()) {
    lines.AddRow(
        {line.sku(), line.location(), absl::StrCat(line.qty()), absl::StrCat(line.fulfilled())});
  }
  lines.Print(out);
}

}  // namespace stockd::cli
