// The command table of stockctl: every command's name, usage, help and flags, and the
// function that runs it. main.cc looks commands up here; each *_commands.cc file
// implements one family of commands against the stockd.v1 API.
//
// Single-threaded.
#ifndef STOCKD_DAEMON_CLI_COMMANDS_H_
#define STOCKD_DAEMON_CLI_COMMANDS_H_

#include <ostream>
#include <span>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "daemon/cli/args.h"
#include "daemon/cli/client.h"

namespace stockd::cli {

struct CommandSpec;

// Everything a command needs to run once.
struct Invocation {
  const CommandSpec& command;
  Args& args;
  Client& client;
  std::ostream& out;

  bool json() const { return client.options().json; }
  // Prints "stockctl: COMMAND: message" and the usage line; returns kExitUsage.
  int UsageError(absl::string_view message) const;
  // UsageError with the error the arguments recorded (when !args.ok()).
  int BadArguments() const { return UsageError(args.error()); }
  // The --request-id given, or a fresh random one (mutations).
  std::string RequestId() const;
};

using CommandFn = int (*)(Invocation& invocation);

struct CommandSpec {
  absl::string_view name = "";
  absl::string_view usage = "";    // arguments after the name, e.g. "SKU [LOCATION...]"
  absl::string_view summary = "";  // one line for `stockctl help`
  absl::string_view details = "";  // paragraph for `stockctl COMMAND --help`; may be empty
  size_t min_args = 0;             // positional arguments
  size_t max_args = 0;             // kUnbounded = no limit
  bool mutation = false;           // accepts --request-id
  bool needs_daemon = true;        // false: runs without calling the daemon
  std::vector<FlagSpec> flags = {};
  CommandFn run = nullptr;

  static constexpr size_t kUnbounded = static_cast<size_t>(-1);
};

// Every command, in the order `stockctl help` lists them.
std::span<const CommandSpec> AllCommands();
// nullptr if there is no such command.
const CommandSpec* FindCommand(absl::string_view name);

// The command's own flags plus --request-id for mutations.
std::vector<FlagSpec> CommandFlags(const CommandSpec& command);

// Help texts.
void PrintOverview(std::ostream& out);
void PrintCommandHelp(std::ostream& out, const CommandSpec& command);

// The commands, grouped by the file that implements them.
// token_commands.cc
int RunToken(Invocation& invocation);
// hold_commands.cc
int RunReserve(Invocation& invocation);
int RunCommit(Invocation& invocation);
int RunRelease(Invocation& invocation);
int RunFulfill(Invocation& invocation);
int RunCancel(Invocation& invocation);
int RunExtend(Invocation& invocation);
int RunHold(Invocation& invocation);
int RunHolds(Invocation& invocation);
// stock_commands.cc
int RunGet(Invocation& invocation);
int RunSell(Invocation& invocation);
int RunAdjust(Invocation& invocation);
int RunCount(Invocation& invocation);
int RunTransfer(Invocation& invocation);
// csv_import.cc
int RunImport(Invocation& invocation);
// channel_commands.cc
int RunAvail(Invocation& invocation);
int RunExplain(Invocation& invocation);
int RunWatch(Invocation& invocation);
// config_commands.cc
int RunConfig(Invocation& invocation);
// admin_commands.cc
int RunAudit(Invocation& invocation);
int RunCheck(Invocation& invocation);
int RunResync(Invocation& invocation);
int RunReconcile(Invocation& invocation);
int RunPushStatus(Invocation& invocation);
// order_commands.cc
int RunOrders(Invocation& invocation);
// alert_commands.cc
int RunAlerts(Invocation& invocation);
// commands.cc
int RunHelp(Invocation& invocation);

}  // namespace stockd::cli

#endif  // STOCKD_DAEMON_CLI_COMMANDS_H_
