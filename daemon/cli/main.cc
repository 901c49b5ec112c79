// stockctl: the operator command-line tool of stockd. It talks to the daemon only
// through the public gRPC API (stockd.v1.Stock).
//
//   stockctl [--addr HOST:PORT] [--tls-ca FILE [--tls-cert FILE --tls-key FILE]]
//            [--token-file FILE] [--json] [--actor NAME] [--timeout SECONDS] COMMAND ...
//
// This file parses the global options, finds the command in the command table
// (commands.cc), checks its arguments and runs it.
#include <iostream>
#include <span>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "daemon/cli/args.h"
#include "daemon/cli/client.h"
#include "daemon/cli/commands.h"

namespace stockd::cli {
namespace {

int GlobalUsageError(absl::string_view message) {
  std::cerr << "stockctl: " << message << "\n"
            << "usage: stockctl [--addr HOST:PORT] [--json] [--actor NAME] "
               "[--timeout SECONDS] COMMAND [ARGS...]\n"
               "(stockctl help lists the commands)\n";
  return kExitUsage;
}

absl::string_view Plural(size_t n, absl::string_view singular, absl::string_view plural) {
  return n == 1 ? singular : plural;
}

// Checks the number of positional arguments against the command's bounds.
std::string ArgumentCountError(const CommandSpec& command, size_t given) {
  if (given < command.min_args) {
    return absl::StrCat("needs ", command.min_args == command.max_args ? "" : "at least ",
                        command.min_args, " ", Plural(command.min_args, "argument", "arguments"),
                        ", got ", given);
  }
  if (command.max_args != CommandSpec::kUnbounded && given > command.max_args) {
    if (command.max_args == 0) return "takes no arguments";
    return absl::StrCat("takes at most ", command.max_args, " ",
                        Plural(command.max_args, "argument", "arguments"), ", got ", given);
  }
  return "";
}

int Main(std::span<char* const> argv) {
  GlobalOptions options = DefaultGlobalOptions();
  size_t index = 1;
  while (index < argv.size()) {
    absl::string_view token = argv[index];
    if (token == "-h" || token == "--help") {
      PrintOverview(std::cout);
      return kExitOk;
    }
    std::string error;
    if (!ConsumeGlobalFlag(argv, &index, &options, &error)) break;
    if (!error.empty()) return GlobalUsageError(error);
  }
  if (index >= argv.size()) return GlobalUsageError("no command given");

  absl::string_view name = argv[index];
  if (absl::StartsWith(name, "-")) {
    return GlobalUsageError(absl::StrCat("unknown option '", name, "'"));
  }
  const CommandSpec* command = FindCommand(name);
  if (command == nullptr) {
    return GlobalUsageError(absl::StrCat("unknown command '", name, "'"));
  }

  std::vector<FlagSpec> flags = CommandFlags(*command);
  Args args = Args::Parse(argv.subspan(index + 1), flags, &options);
  if (args.help_requested()) {
    PrintCommandHelp(std::cout, *command);
    return kExitOk;
  }
  Client client(options);
  Invocation invocation{*command, args, client, std::cout};
  if (!args.ok()) return invocation.UsageError(args.error());
  if (!client.error().empty() && command->needs_daemon) {
    std::cerr << "stockctl: " << client.error() << "\n";
    return kExitUsage;
  }
  std::string count_error = ArgumentCountError(*command, args.positionals().size());
  if (!count_error.empty()) return invocation.UsageError(count_error);

  int exit_code = command->run(invocation);
  std::cout.flush();
  return exit_code;
}

}  // namespace
}  // namespace stockd::cli

int main(int argc, char** argv) {
  return stockd::cli::Main(std::span<char* const>(argv, static_cast<size_t>(argc)));
}
