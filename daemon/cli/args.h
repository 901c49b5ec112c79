// Command-line parsing for stockctl: flag declarations, the parsed arguments of one
// command, and the value syntaxes operators type (quantities, durations, hold lines).
//
// Parsing never exits the process. `Args` keeps the first usage error it meets
// (a sticky error, like a stream's failbit) so a command can read all its values and
// check `ok()` once before it sends anything.
//
// Single-threaded: stockctl runs one command on the main thread.
#ifndef STOCKD_DAEMON_CLI_ARGS_H_
#define STOCKD_DAEMON_CLI_ARGS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace stockd::cli {

// One `--name [VALUE]` flag a command accepts.
struct FlagSpec {
  absl::string_view name;        // without the leading "--"
  absl::string_view value_name;  // e.g. "DURATION"; empty = a switch without value
  absl::string_view help;
  bool repeated = false;  // may be given several times (values accumulate)
};

// Options that apply to every command. They may appear before the command name or
// among the command's own arguments.
struct GlobalOptions {
  std::string addr;             // HOST:PORT of the daemon
  bool json = false;            // print response messages as JSON lines
  std::string actor;            // sent as metadata x-stockd-actor
  double timeout_seconds = 10;  // deadline of each unary call
  // TLS (docs/security.md): tls_ca set = speak TLS, trusting that CA; tls_cert/tls_key =
  // present a client certificate (mTLS); tls_server_name = the name the server's
  // certificate must carry (default: the host of addr).
  std::string tls_ca;
  std::string tls_cert;
  std::string tls_key;
  std::string tls_server_name;
  // A file holding the bearer token (read at start; a token never goes on the command
  // line, where `ps` shows it).
  std::string token_file;
};

// The flags every command understands, in the order `help` lists them.
std::span<const FlagSpec> GlobalFlags();

// Defaults from the environment: STOCKD_ADDR, USER, STOCKD_TLS_CA, STOCKD_TLS_CERT,
// STOCKD_TLS_KEY, STOCKD_TLS_SERVER_NAME, STOCKD_TOKEN_FILE.
GlobalOptions DefaultGlobalOptions();

// If `token` (and, for a flag with a value, the token after it) is a global flag,
// applies it to `options`, advances `*index` past it and returns true. Errors (a
// missing or malformed value) are stored in `*error`.
bool ConsumeGlobalFlag(std::span<char* const> tokens, size_t* index, GlobalOptions* options,
                       std::string* error);

// The parsed arguments of one command and the accessors that convert them.
class Args {
 public:
  // Splits `tokens` (everything after the command name) into positionals and the
  // flags declared in `flags`; global flags go to `*options`. `--` ends the flags.
  // A token starting with "-" followed by a digit (a negative number) is positional.
  static Args Parse(std::span<char* const> tokens, std::span<const FlagSpec> flags,
                    GlobalOptions* options);

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  bool help_requested() const { return help_requested_; }

  const std::vector<std::string>& positionals() const { return positionals_; }
  const std::string& positional(size_t i) const { return positionals_.at(i); }

  bool Has(absl::string_view flag) const { return flags_.contains(std::string(flag)); }
  // The last value given for `flag`, or `fallback`.
  std::string Value(absl::string_view flag, absl::string_view fallback = "") const;
  // Every value given for a repeated flag, in order.
  std::vector<std::string> Values(absl::string_view flag) const;

  // Converters: on malformed text they record a usage error naming `what` and return
  // a harmless value; check ok() before using the results.
  int64_t Int(absl::string_view text, absl::string_view what);
  int64_t PositiveInt(absl::string_view text, absl::string_view what);
  int32_t PositiveInt32(absl::string_view text, absl::string_view what);
  int64_t DurationMs(absl::string_view text, absl::string_view what);
  // A point in time (ParseTimeArg, relative to `now_ms`) in milliseconds since the epoch.
  int64_t TimeMs(absl::string_view text, absl::string_view what, int64_t now_ms);

  // Records a usage error unless one is already recorded.
  void Fail(std::string message);

 private:
  std::vector<std::string> positionals_;
  std::map<std::string, std::vector<std::string>, std::less<>> flags_;
  std::string error_;
  bool help_requested_ = false;
};

// The one duration grammar (daemon/util/duration.h: "500ms", "30s", "15m", "2h", "7d")
// → milliseconds. nullopt if malformed.
std::optional<int64_t> ParseDurationMs(absl::string_view text);

// A point in time as typed → milliseconds since the epoch: RFC 3339
// ("2026-12-03T10:00:00Z", "2026-12-03T11:00:00+01:00"), a local time "2026-12-03 10:00",
// "2026-12-03 10:00:30" or a local date "2026-12-03", or a duration meaning that long
// before `now_ms` ("2h", "7d"). nullopt if malformed.
std::optional<int64_t> ParseTimeArg(absl::string_view text, int64_t now_ms);

// A whole number in decimal, optionally signed. nullopt if malformed or out of range.
std::optional<int64_t> ParseInt64(absl::string_view text);

// `SKU:QTY[@LOCATION]` as typed on the command line. SKUs may contain ':' and neither
// SKUs nor locations may contain '@', so the location is after the last '@' and the
// quantity after the last ':' before it.
struct LineArg {
  std::string sku;
  int64_t qty = 0;
  std::string location;  // empty when not given
};
std::optional<LineArg> ParseLineArg(absl::string_view text);

}  // namespace stockd::cli

#endif  // STOCKD_DAEMON_CLI_ARGS_H_
