#include "daemon/cli/commands.h"

#include <algorithm>
#include <iostream>

#include "absl/strings/str_cat.h"

namespace stockd::cli {
namespace {

constexpr size_t kAny = CommandSpec::kUnbounded;

constexpr FlagSpec kRequestIdFlag = {
    "request-id", "ID", "idempotency key (default: random); a replay returns the first result"};

const std::vector<CommandSpec>& CommandTable() {
  static const auto* const kCommands = new std::vector<CommandSpec>{
      // ---------------------------------------------------------------- queries
      {.name = "get",
       .usage = "SKU [LOCATION...]",
       .summary = "stock counters of a SKU per location",
       .details = "Shows on_hand, held, committed and free (= on_hand - held - committed) at\n"
                  "the given locations, or at every location the SKU has stock at.",
       .min_args = 1,
       .max_args = kAny,
       .run = RunGet},
      {.name = "avail",
       .usage = "SKU... [--channel C]...",
       .summary = "what each channel may sell (reservable) and is shown (published)",
       .min_args = 1,
       .max_args = kAny,
       .flags = {{"channel", "C", "only this channel (repeatable; default: every channel)", true}},
       .run = RunAvail},
      {.name = "explain",
       .usage = "CHANNEL SKU [--qty N [--single-location]]",
       .summary = "why a channel shows what it shows: every term of the computation",
       .details = "With --qty: where a reserve of N units (no @LOCATION) would be held now,\n"
                  "whole from one source or split over several, or why it would be refused.",
       .min_args = 2,
       .max_args = 2,
       .flags = {{"qty", "N", "also plan a reserve line of N units"},
                 {"single-location", "", "plan it whole from one location (with --qty)"}},
       .run = RunExplain},
      {.name = "watch",
       .usage = "[--channel C]... [--sku S]... [--snapshot]",
       .summary = "stream published-quantity changes until Ctrl-C",
       .flags = {{"channel", "C", "only this channel (repeatable)", true},
                 {"sku", "S", "only this SKU (repeatable)", true},
                 {"snapshot", "", "first print the current published quantities"}},
       .run = RunWatch},
      // ---------------------------------------------------------------- holds
      {.name = "reserve",
       .usage = "CHANNEL SKU:QTY[@LOCATION]... [--ttl DURATION] [--ref TEXT] [--single-location]",
       .summary = "hold units for a checkout or click & collect (all lines or none)",
       .details = "A line without @LOCATION takes the first source of the channel whose\n"
                  "available stock covers the whole line; when none does, it is split over\n"
                  "the sources in order (one hold line per location), unless --single-location\n"
                  "or the channel's split_lines: false.",
       .min_args = 2,
       .max_args = kAny,
       .mutation = true,
       .flags = {{"ttl", "DURATION", "time to live, e.g. 30s, 15m (default: the daemon's)"},
                 {"ref", "TEXT", "your reference: order or cart id"},
                 {"single-location", "", "every line whole from one location (click & collect)"}},
       .run = RunReserve},
      {.name = "commit",
       .usage = "HOLD [SKU:QTY[@LOCATION]...]",
       .summary = "held -> committed (an order was placed); lines: commit part, release rest",
       .details = "SKU:QTY takes QTY from the SKU's hold lines in order (a split line's\n"
                  "locations in source order); SKU:QTY@LOCATION from its part at LOCATION.",
       .min_args = 1,
       .max_args = kAny,
       .mutation = true,
       .run = RunCommit},
      {.name = "release",
       .usage = "HOLD",
       .summary = "held -> released: the units become free again",
       .min_args = 1,
       .max_args = 1,
       .mutation = true,
       .run = RunRelease},
      {.name = "fulfill",
       .usage = "HOLD [SKU:QTY[@LOCATION]...]",
       .summary = "committed -> fulfilled: the units leave on_hand (lines: part of them)",
       .details = "SKU:QTY takes QTY from the SKU's hold lines in order (a split line's\n"
                  "locations in source order); SKU:QTY@LOCATION from its part at LOCATION.",
       .min_args = 1,
       .max_args = kAny,
       .mutation = true,
       .run = RunFulfill},
      {.name = "cancel",
       .usage = "HOLD",
       .summary = "committed -> cancelled: the units become free again",
       .min_args = 1,
       .max_args = 1,
       .mutation = true,
       .run = RunCancel},
      {.name = "extend",
       .usage = "HOLD DURATION",
       .summary = "set a held hold's deadline to now + DURATION",
       .min_args = 2,
       .max_args = 2,
       .mutation = true,
       .run = RunExtend},
      {.name = "hold",
       .usage = "HOLD",
       .summary = "show one hold",
       .min_args = 1,
       .max_args = 1,
       .run = RunHold},
      {.name = "holds",
       .usage = "[--channel C] [--sku S] [--state STATE] [--limit N]",
       .summary = "list holds, oldest first (default: the open ones)",
       .flags = {{"channel", "C", "only holds of this channel"},
                 {"sku", "S", "only holds with a line of this SKU"},
                 {"state", "STATE",
                  "held|committed|released|expired|fulfilled|cancelled (default: open holds)"},
                 {"limit", "N", "at most N holds, 1..1000 (default 100)"}},
       .run = RunHolds},
      // ---------------------------------------------------------------- movements
      {.name = "sell",
       .usage = "CHANNEL LOCATION SKU QTY [--override] [--ref TEXT]",
       .summary = "record a point-of-sale sale of units in hand",
       .details = "Refused (FAILED_PRECONDITION) when it exceeds what CHANNEL may sell at\n"
                  "LOCATION, unless --override: the sale is a physical fact, it is recorded\n"
                  "and reported as a breach.",
       .min_args = 4,
       .max_args = 4,
       .mutation = true,
       .flags = {{"override", "", "record the sale even beyond what the channel may sell"},
                 {"ref", "TEXT", "receipt number"}},
       .run = RunSell},
      {.name = "adjust",
       .usage = "LOCATION SKU DELTA --reason REASON [--note TEXT]",
       .summary = "change on_hand by DELTA (goods received, returns, damage, ...)",
       .details = "REASON is receipt or return (DELTA > 0), damage or shrinkage (DELTA < 0),\n"
                  "or correction (either sign).",
       .min_args = 3,
       .max_args = 3,
       .mutation = true,
       .flags = {{"reason", "REASON", "receipt|return|damage|shrinkage|correction (required)"},
                 {"note", "TEXT", "free text for the audit log"}},
       .run = RunAdjust},
      {.name = "count",
       .usage = "LOCATION SKU ON_HAND [--observed-at TIME] [--expected N] [--note TEXT]",
       .summary = "set on_hand after a stock take",
       .min_args = 3,
       .max_args = 3,
       .mutation = true,
       .flags = {{"observed-at", "TIME",
                  "when it was counted (2026-12-03T10:00:00Z, local time, or 2h ago as 2h): "
                  "the movements since are netted"},
                 {"expected", "N", "apply only if on_hand is still N (else ABORTED)"},
                 {"note", "TEXT", "free text for the audit log"}},
       .run = RunCount},
      {.name = "transfer",
       .usage = "FROM TO SKU QTY [--note TEXT]",
       .summary = "move free units from one location to another",
       .min_args = 4,
       .max_args = 4,
       .mutation = true,
       .flags = {{"note", "TEXT", "free text for the audit log"}},
       .run = RunTransfer},
      {.name = "import",
       .usage = "FILE.csv [--batch N]",
       .summary = "set on_hand from a CSV file of sku,location,on_hand[,observed_at]",
       .details = "The header line is optional; blank lines and lines starting with # are\n"
                  "skipped. The whole file is checked before anything is sent; then the\n"
                  "rows are sent as counts over one Session stream. observed_at (RFC 3339,\n"
                  "a local time, or how long ago: 2h; empty = now) is when the row was counted:\n"
                  "stockd adds the movements since to the counted units.",
       .min_args = 1,
       .max_args = 1,
       .flags = {{"batch", "N", "rows per stream message (default 500; never more than the "
                                 "daemon's window in flight)"}},
       .run = RunImport},
      // ---------------------------------------------------------------- admin
      {.name = "config",
       .usage = "[diff [NEW.yaml] | reload] [--top N]",
       .summary = "the running configuration; what a new one would change; reload it",
       .details = "config: the locations, channels and policies in force.\n"
                  "config diff [NEW.yaml]: the dry run. What applying NEW.yaml (default: the\n"
                  "  daemon's own config file as it is on disk now) would change, changing\n"
                  "  nothing: per channel how many SKUs' published quantities move, the units,\n"
                  "  how many drop to 0, and the SKUs that move most. Refused (exit 1) with\n"
                  "  file:line errors when the file is invalid, as a reload would be.\n"
                  "config reload: re-reads the daemon's config file and applies it, as\n"
                  "  SIGHUP does, and prints what changed (docs/reload.md).",
       .max_args = 2,
       .flags = {{"top", "N", "SKUs listed per channel, 1..1000 (default 10)"}},
       .run = RunConfig},
      {.name = "audit",
       .usage = "[--sku S] [--location L] [--channel C] [--hold H] [--request-id R]\n"
                "       [--by ACTOR] [--since T] [--until T] [--limit N] [--jsonl]",
       .summary = "the audit ledger, newest first (durable: served after a restart)",
       .details = "Every filter is optional; they combine. T is a time (2026-12-03T10:00:00Z,\n"
                  "  or 2026-12-03 10:00 in local time) or how long ago (30m, 2h, 7d).\n"
                  "  Pages through the ledger until N entries or its end. --json prints one\n"
                  "  ListAuditResponse, --jsonl one entry per line (for export). Says so when\n"
                  "  the query reaches past what the ledger retains (docs/audit.md).",
       .flags = {{"sku", "S", "entries with a row of this SKU"},
                 {"location", "L", "entries with a row at this location"},
                 {"channel", "C", "entries of this channel"},
                 {"hold", "H", "entries of this hold"},
                 {"request-id", "R", "entries of this request id"},
                 {"by", "ACTOR", "entries made by this client (--actor is who you are)"},
                 {"since", "T", "entries at or after T"},
                 {"until", "T", "entries before T"},
                 {"limit", "N", "at most N entries (default 100)"},
                 {"page-token", "TOKEN", "go on from where an earlier listing stopped"},
                 {"jsonl", "", "one JSON object per entry and line"}},
       .run = RunAudit},
      {.name = "check",
       .usage = "",
       .summary = "verify the daemon's invariants (exit 1 on violations)",
       .run = RunCheck},
      {.name = "resync",
       .usage = "CHANNEL [--force]",
       .summary = "compare a channel's numbers with what it should show; push corrections",
       .details = "Uses the channel's own numbers when its adapter can read them, else the\n"
                  "numbers the channel last acknowledged. Prints how many SKUs drifted and\n"
                  "the largest differences.",
       .min_args = 1,
       .max_args = 1,
       .flags = {{"force", "", "re-push every SKU, even those that look in sync"}},
       .run = RunResync},
      {.name = "reconcile",
       .usage = "CHANNEL",
       .summary = "three-way check of a channel: published, acknowledged, its own, orders",
       .details = "Per SKU: what stockd publishes, what the channel last acknowledged, the\n"
                  "channel's own number and the units of its orders not ingested yet, and\n"
                  "the class: ok, in_flight (a push on its way or orders not ingested yet),\n"
                  "drift (changed on the channel: a push is queued) or unknown_listing.\n"
                  "Then the count per class.",
       .min_args = 1,
       .max_args = 1,
       .run = RunReconcile},
      {.name = "orders",
       .usage = "problems [--channel C] | list [--channel C] [--problems] [--open] | get "
                "CHANNEL ORDER_ID",
       .summary = "marketplace orders: problems to look at, the order table, one order",
       .details = "problems: breaches (units taken beyond the channel's avail), backorders\n"
                  "(open units no stock covers), unstocked shipments and unmapped orders,\n"
                  "one row per (order, line, kind). list: the orders stockd applied, by\n"
                  "channel and order id. get: one order with its lines. --json prints one\n"
                  "object per row.",
       .min_args = 1,
       .max_args = 3,
       .flags = {{"channel", "C", "only this channel (problems, list)"},
                 {"problems", "", "only orders with a problem (list)"},
                 {"open", "", "only orders not closed (list)"}},
       .run = RunOrders},
      {.name = "alerts",
       .usage = "[--active] [--kind K]... [--sku S] [--location L] [--channel C] [--limit N]",
       .summary = "stock alerts: reorder points crossed, sold out, back in stock, uncovered",
       .details = "Without --active: the alerts raised recently, newest first (the last\n"
                  "1,000 are kept across restarts). --active: the alerts raised now, with\n"
                  "today's numbers, by days of cover (fast movers first). --json prints one\n"
                  "object per alert (docs/alerts.md).",
       .flags = {{"active", "", "the alerts raised now instead of the recent ones"},
                 {"kind", "K", "reorder | sold_out | back_in_stock | uncovered (repeatable)",
                  true},
                 {"sku", "S", "only this SKU"},
                 {"location", "L", "only this location"},
                 {"channel", "C", "only this channel's (sold_out, back_in_stock)"},
                 {"limit", "N", "at most N alerts, 1..1000 (default 100)"}},
       .run = RunAlerts},
      {.name = "push-status",
       .usage = "[CHANNEL]",
       .summary = "sync state per channel: backlog, pushes, failures, latency",
       .max_args = 1,
       .run = RunPushStatus},
      {.name = "token",
       .usage = "new NAME [--role ROLE]... [--channel C]...",
       .summary = "a new bearer token for a client, and its line for the config",
       .details = "Prints a random token once and the clients[] entry that holds only its\n"
                  "SHA-256. Roles: read < sell < operate < admin (each includes the ones\n"
                  "before it). Without --channel the client may act for every channel.\n"
                  "Needs no daemon.",
       .min_args = 2,
       .max_args = 2,
       .needs_daemon = false,
       .flags = {{"role", "ROLE", "read | sell | operate | admin (default read)", true},
                 {"channel", "C", "a channel it may act for (repeatable; default every)", true}},
       .run = RunToken},
      {.name = "help",
       .usage = "[COMMAND]",
       .summary = "this overview, or the help of one command",
       .max_args = 1,
       .needs_daemon = false,
       .run = RunHelp},
  };
  return *kCommands;
}

std::string FlagSynopsis(const FlagSpec& flag) {
  std::string text = absl::StrCat("--", flag.name);
  if (!flag.value_name.empty()) absl::StrAppend(&text, " ", flag.value_name);
  return text;
}

void PrintFlagList(std::ostream& out, std::span<const FlagSpec> flags) {
  size_t width = 0;
  for (const FlagSpec& flag : flags) width = std::max(width, FlagSynopsis(flag).size());
  for (const FlagSpec& flag : flags) {
    std::string synopsis = FlagSynopsis(flag);
    out << "  " << synopsis << std::string(width - synopsis.size() + 2, ' ') << flag.help << "\n";
  }
}

}  // namespace

std::span<const CommandSpec> AllCommands() { return CommandTable(); }

const CommandSpec* FindCommand(absl::string_view name) {
  for (const CommandSpec& command : CommandTable()) {
    if (command.name == name) return &command;
  }
  return nullptr;
}

std::vector<FlagSpec> CommandFlags(const CommandSpec& command) {
  std::vector<FlagSpec> flags = command.flags;
  if (command.mutation) flags.push_back(kRequestIdFlag);
  return flags;
}

int Invocation::UsageError(absl::string_view message) const {
  std::cerr << "stockctl " << command.name << ": " << message << "\n"
            << "usage: stockctl " << command.name << (command.usage.empty() ? "" : " ")
            << command.usage << "\n"
            << "(stockctl " << command.name << " --help for more)\n";
  return kExitUsage;
}

std::string Invocation::RequestId() const {
  std::string given = args.Value(kRequestIdFlag.name);
  return given.empty() ? NewRequestId() : given;
}

void PrintOverview(std::ostream& out) {
  out << "stockctl: operator tool of stockd, the cross-channel inventory daemon\n\n"
         "usage: stockctl [--addr HOST:PORT] [--json] [--actor NAME] [--timeout SECONDS]\n"
         "                COMMAND [ARGS...]\n\n"
         "commands:\n";
  size_t width = 0;
  for (const CommandSpec& command : CommandTable()) {
    width = std::max(width, command.name.size());
  }
  for (const CommandSpec& command : CommandTable()) {
    out << "  " << command.name << std::string(width - command.name.size() + 2, ' ')
        << command.summary << "\n";
  }
  out << "\noptions (before or after the command):\n";
  PrintFlagList(out, GlobalFlags());
  out << "\nDurations: 500ms, 30s, 15m, 2h, 7d (as in the config). Mutations take --request-id "
         "ID.\n"
         "Exit status: 0 ok, 1 refused by the daemon, 2 usage error, 3 daemon unreachable.\n"
         "Run 'stockctl COMMAND --help' for the details of a command.\n";
}

void PrintCommandHelp(std::ostream& out, const CommandSpec& command) {
  out << "usage: stockctl " << command.name << (command.usage.empty() ? "" : " ") << command.usage
      << "\n\n"
      << command.summary << "\n";
  if (!command.details.empty()) out << "\n" << command.details << "\n";
  std::vector<FlagSpec> flags = CommandFlags(command);
  if (!flags.empty()) {
    out << "\noptions:\n";
    PrintFlagList(out, flags);
  }
}

int RunHelp(Invocation& invocation) {
  if (invocation.args.positionals().empty()) {
    PrintOverview(invocation.out);
    return kExitOk;
  }
  const std::string& name = invocation.args.positional(0);
  const CommandSpec* command = FindCommand(name);
  if (command == nullptr) {
    return invocation.UsageError(absl::StrCat("no command '", name, "'"));
  }
  PrintCommandHelp(invocation.out, *command);
  return kExitOk;
}

}  // namespace stockd::cli
