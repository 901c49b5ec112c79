// `stockctl import`: stock levels from a CSV file of `sku,location,on_hand`, with an
// optional fourth column `observed_at`: when the row was counted (an ERP export or a stock
// take that arrives late; the daemon nets the movements since, docs/design.md).
//
// The whole file is parsed and checked first (every problem is reported with its
// line); only a clean file is sent, as Count operations over one Session stream
// (session_sender.h): the daemon's window stays full and each row is answered as soon as
// it is durable. Each Count carries the request id "import-<run id>-<line>", and a
// second run of the same file simply sets the same levels again.
//
// Single-threaded.
#ifndef STOCKD_DAEMON_CLI_CSV_IMPORT_H_
#define STOCKD_DAEMON_CLI_CSV_IMPORT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace stockd::cli {

struct CsvStockRow {
  int line = 0;  // 1-based line number in the file
  std::string sku;
  std::string location;
  int64_t on_hand = 0;
  int64_t observed_at_ms = 0;  // 0 = now
};

struct CsvProblem {
  int line = 0;
  std::string message;
};

struct ParsedStockCsv {
  std::vector<CsvStockRow> rows;
  std::vector<CsvProblem> problems;  // empty = the file is fine
};

// Parses the text of a stock CSV. Accepted: an optional header `sku,location,on_hand`
// (or `sku,location,on_hand,observed_at`), blank lines, lines starting with '#', CRLF
// line ends, a UTF-8 BOM, fields quoted with '"' and surrounding spaces. Checked: three
// or four fields, identifiers of 1..128 characters of [A-Za-z0-9._:/-], on_hand a whole
// number >= 0, observed_at empty (now) or a time as `stockctl` takes one (RFC 3339, a
// local time, or how long before `now_ms`: "2h"), no (sku, location) twice.
ParsedStockCsv ParseStockCsv(absl::string_view text, int64_t now_ms);

}  // namespace stockd::cli

#endif  // STOCKD_DAEMON_CLI_CSV_IMPORT_H_
