#include "daemon/cli/csv_import.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "daemon/cli/commands.h"
#include "daemon/cli/format.h"
#include "daemon/cli/session_sender.h"

namespace stockd::cli {
namespace {

namespace v1 = stockd::v1;

constexpr int64_t kDefaultBatchSize = 500;  // rows per message, within the window
constexpr size_t kMaxProblemsShown = 20;
constexpr size_t kMaxIdLength = 128;

bool IsIdentifier(absl::string_view id) {
  if (id.empty() || id.size() > kMaxIdLength) return false;
  for (char c : id) {
    bool allowed =
        absl::ascii_isalnum(c) || c == '.' || c == '_' || c == ':' || c == '/' || c == '-';
    if (!allowed) return false;
  }
  return true;
}

absl::string_view Unquote(absl::string_view field) {
  field = absl::StripAsciiWhitespace(field);
  if (field.size() >= 2 && field.front() == '"' && field.back() == '"') {
    field = absl::StripAsciiWhitespace(field.substr(1, field.size() - 2));
  }
  return field;
}

bool IsHeader(const std::vector<absl::string_view>& fields) {
  return (fields.size() == 3 || fields.size() == 4) && absl::EqualsIgnoreCase(fields[0], "sku") &&
         absl::EqualsIgnoreCase(fields[1], "location") &&
         absl::EqualsIgnoreCase(fields[2], "on_hand") &&
         (fields.size() == 3 || absl::EqualsIgnoreCase(fields[3], "observed_at"));
}

bool ReadFile(const std::string& path, std::string* contents, std::string* error) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    *error = std::strerror(errno);
    return false;
  }
  std::ostringstream buffer;
  buffer << file.rdbuf();
  if (file.bad()) {
    *error = "read error";
    return false;
  }
  *contents = std::move(buffer).str();
  return true;
}

struct Failure {
  const CsvStockRow* row;
  std::string code;
  std::string message;
};

}  // namespace

ParsedStockCsv ParseStockCsv(absl::string_view text, int64_t now_ms) {
  ParsedStockCsv parsed;
  if (absl::StartsWith(text, "\xEF\xBB\xBF")) text.remove_prefix(3);
  std::map<std::pair<std::string, std::string>, int> first_line_of;
  bool seen_data = false;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    if (absl::EndsWith(line, "\r")) line.remove_suffix(1);
    absl::string_view trimmed = absl::StripAsciiWhitespace(line);
    if (trimmed.empty() || absl::StartsWith(trimmed, "#")) continue;

    std::vector<absl::string_view> fields;
    for (absl::string_view field : absl::StrSplit(trimmed, ',')) fields.push_back(Unquote(field));
    auto problem = [&](std::string message) {
      parsed.problems.push_back({line_number, std::move(message)});
    };
    bool first_data_line = !seen_data;
    seen_data = true;
    if (first_data_line && IsHeader(fields)) continue;
    if (fields.size() != 3 && fields.size() != 4) {
      problem(
          absl::StrCat("expected 3 fields sku,location,on_hand (and optionally observed_at), "
                       "found ",
                       fields.size()));
      continue;
    }
    CsvStockRow row{line_number, std::string(fields[0]), std::string(fields[1]), 0};
    std::optional<int64_t> on_hand = ParseInt64(fields[2]);
    std::optional<int64_t> observed_at;
    if (fields.size() == 4 && !fields[3].empty()) observed_at = ParseTimeArg(fields[3], now_ms);
    if (fields.size() == 4 && !fields[3].empty() && (!observed_at || *observed_at <= 0)) {
      problem(absl::StrCat("observed_at '", fields[3],
                           "' is not a time (2026-12-03T10:00:00Z, 2026-12-03 10:00 local, or "
                           "how long ago: 2h)"));
    } else if (!IsIdentifier(row.sku)) {
      problem(absl::StrCat("bad sku '", row.sku, "' (1..128 of [A-Za-z0-9._:/-])"));
    } else if (!IsIdentifier(row.location)) {
      problem(absl::StrCat("bad location '", row.location, "' (1..128 of [A-Za-z0-9._:/-])"));
    } else if (!on_hand || *on_hand < 0) {
      problem(absl::StrCat("on_hand '", fields[2], "' is not a whole number >= 0"));
    } else {
      row.on_hand = *on_hand;
      row.observed_at_ms = observed_at.value_or(0);
      auto [it, inserted] = first_line_of.try_emplace({row.sku, row.location}, line_number);
      if (!inserted) {
        problem(absl::StrCat(row.sku, " at ", row.location, " already set on line ", it->second));
      } else {
        parsed.rows.push_back(std::move(row));
      }
    }
  }
  return parsed;
}

int RunImport(Invocation& invocation) {
  Args& args = invocation.args;
  const std::string& path = args.positional(0);
  int64_t batch_size =
      args.Has("batch") ? args.PositiveInt(args.Value("batch"), "--batch") : kDefaultBatchSize;
  if (!args.ok()) return invocation.BadArguments();

  std::string contents;
  std::string read_error;
  if (!ReadFile(path, &contents, &read_error)) {
    std::cerr << "stockctl import: cannot read " << path << ": " << read_error << "\n";
    return kExitFailed;
  }
  ParsedStockCsv csv = ParseStockCsv(contents, absl::ToUnixMillis(absl::Now()));
  if (!csv.problems.empty()) {
    for (size_t i = 0; i < csv.problems.size() && i < kMaxProblemsShown; ++i) {
      std::cerr << path << ":" << csv.problems[i].line << ": " << csv.problems[i].message << "\n";
    }
    if (csv.problems.size() > kMaxProblemsShown) {
      std::cerr << "... and " << csv.problems.size() - kMaxProblemsShown << " more\n";
    }
    std::cerr << "stockctl import: " << csv.problems.size() << " problem(s) in " << path
              << "; nothing was sent\n";
    return kExitFailed;
  }

  // Short run id: unique per run, readable in the audit log.
  std::string run_id = NewRequestId().substr(0, 16);
  std::vector<v1::BatchOperation> ops(csv.rows.size());
  for (size_t i = 0; i < csv.rows.size(); ++i) {
    const CsvStockRow& row = csv.rows[i];
    v1::CountRequest* count = ops[i].mutable_count();
    count->set_request_id(absl::StrCat("import-", run_id, "-", row.line));
    count->set_location(row.location);
    count->set_sku(row.sku);
    count->set_on_hand(row.on_hand);
    count->set_observed_at_ms(row.observed_at_ms);
    count->set_note(absl::StrCat("import ", path, ":", row.line));
  }
  const auto op_deadline_ms =
      static_cast<int64_t>(invocation.client.options().timeout_seconds * 1000);
  SessionSendReport report;
  grpc::Status status = SendOverSession(invocation.client, ops, static_cast<int>(batch_size),
                                        op_deadline_ms, &report);
  std::vector<Failure> failures;
  size_t applied = 0;
  for (size_t i = 0; i < ops.size(); ++i) {
    if (!report.answered[i]) continue;
    const v1::BatchResult& result = report.results[i];
    if (result.code() == 0) {
      ++applied;
    } else {
      failures.push_back(
          {&csv.rows[i], std::string(StatusCodeName(result.code())), result.message()});
    }
  }
  if (report.answered_count < ops.size()) {
    std::cerr << "stockctl import: the stream ended with " << ops.size() - report.answered_count
              << " of " << ops.size() << " rows unanswered (their outcome is unknown; " << applied
              << " rows were applied); running the import again is safe: it sets the same "
                 "levels\n";
    return ReportRpcError(
        status.ok() ? grpc::Status(grpc::StatusCode::UNKNOWN, "the daemon ended the stream early")
                    : status);
  }
  if (invocation.json()) {
    v1::BatchResponse response;  // the results in file order, as one Batch would answer
    for (v1::BatchResult& r : report.results) response.add_results()->Swap(&r);
    PrintJson(invocation.out, response);
  }

  if (!invocation.json()) {
    invocation.out << "imported " << path << ": " << csv.rows.size()
                   << " rows over a Session stream (" << report.messages
                   << (report.messages == 1 ? " message" : " messages") << "), " << applied
                   << " ok, " << failures.size() << " failed\n";
  }
  for (const Failure& failure : failures) {
    std::cerr << path << ":" << failure.row->line << ": " << failure.row->sku << " at "
              << failure.row->location << ": " << failure.code << ": " << failure.message << "\n";
  }
  return failures.empty() ? kExitOk : kExitFailed;
}

}  // namespace stockd::cli
