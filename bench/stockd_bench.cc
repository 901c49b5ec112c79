// stockd-bench: a closed-loop load generator for stockd over the gRPC callback API.
// See docs/bench-tool.md and `stockd-bench --help`.
//
// main: parse the flags, connect, check the target is what the op needs, then optionally
// load stock (--setup), run (driver.h), check for oversell (--check), and report
// (report.h).
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <random>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "bench/driver.h"
#include "bench/echo.grpc.pb.h"
#include "bench/options.h"
#include "bench/proc_cpu.h"
#include "bench/report.h"
#include "bench/workload.h"
#include "stockd/v1/stockd.grpc.pb.h"

namespace stockd::bench {
namespace {

enum ExitCode : int {
  kExitOk = 0,
  kExitFailed = 1,  // a check failed, setup failed, or no call succeeded
  kExitUsage = 2,
  kExitUnreachable = 3,  // the target cannot be reached or is not what the op needs
};

constexpr auto kPreflightTimeout = std::chrono::seconds(5);
constexpr int kCheckSampleSkus = 100;

// An error that ends the program with `code`.
struct Failure {
  int code;
  std::string message;
};

uint64_t RandomWord() {
  std::random_device entropy;
  return (static_cast<uint64_t>(entropy()) << 32) ^ entropy() ^
         static_cast<uint64_t>(absl::GetCurrentTimeNanos());
}

std::vector<std::shared_ptr<grpc::Channel>> MakeChannels(const BenchOptions& o) {
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int i = 0; i < o.channels; ++i) {
    grpc::ChannelArguments args;
    // Distinct arguments and a private subchannel pool: each channel opens its own
    // TCP connection instead of sharing the process-wide one.
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetInt("grpc.channel_id", i);
    std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
    if (!o.tls_ca.empty()) {
      grpc::SslCredentialsOptions ssl;
      std::ifstream in(o.tls_ca);
      std::stringstream pem;
      pem << in.rdbuf();
      ssl.pem_root_certs = pem.str();
      credentials = grpc::SslCredentials(ssl);
    }
    channels.push_back(grpc::CreateCustomChannel(o.target, credentials, args));
  }
  return channels;
}

void PrepareContext(const BenchOptions& o, grpc::ClientContext* context) {
  context->AddMetadata("x-stockd-actor", o.actor);
  if (!o.authorization.empty()) context->AddMetadata("authorization", o.authorization);
  context->set_deadline(std::chrono::system_clock::now() + kPreflightTimeout);
}

std::string Describe(const grpc::Status& status) {
  return absl::StrCat(StatusCodeName(status.error_code()), ": ", status.error_message());
}

// A failed preflight call: unreachable targets exit 3, refusals 1.
Failure CallFailed(absl::string_view what, const grpc::Status& status) {
  const bool unreachable = status.error_code() == grpc::StatusCode::UNAVAILABLE ||
                           status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED ||
                           status.error_code() == grpc::StatusCode::UNIMPLEMENTED;
  return {unreachable ? kExitUnreachable : kExitFailed,
          absl::StrCat(what, " failed: ", Describe(status))};
}

std::optional<Failure> Connect(const BenchOptions& o,
                               const std::vector<std::shared_ptr<grpc::Channel>>& channels) {
  const auto deadline = std::chrono::system_clock::now() + kPreflightTimeout;
  for (const auto& channel : channels) {
    // Ends at READY, at the first failed attempt (nothing listening), or at the deadline.
    grpc_connectivity_state state = channel->GetState(/*try_to_connect=*/true);
    while (state != GRPC_CHANNEL_READY && state != GRPC_CHANNEL_TRANSIENT_FAILURE &&
           channel->WaitForStateChange(state, deadline)) {
      state = channel->GetState(/*try_to_connect=*/true);
    }
    if (state != GRPC_CHANNEL_READY) {
      return Failure{
          kExitUnreachable,
          absl::StrCat("cannot connect to ", o.target, ": is ",
                       o.op == Op::kEcho ? "stockd-echo-server" : "stockd", " running there?")};
    }
  }
  return std::nullopt;
}

std::optional<Failure> PreflightEcho(const BenchOptions& o,
                                     const std::shared_ptr<grpc::Channel>& channel) {
  auto stub = stockd::bench::v1::Echo::NewStub(channel);
  grpc::ClientContext context;
  PrepareContext(o, &context);
  stockd::bench::v1::EchoRequest request;
  stockd::bench::v1::EchoReply reply;
  grpc::Status status = stub->Echo(&context, request, &reply);
  if (status.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
    return Failure{kExitUnreachable, absl::StrCat(o.target,
                                                  " does not serve stockd.bench.v1.Echo: "
                                                  "point --target at stockd-echo-server")};
  }
  if (!status.ok()) return CallFailed("Echo", status);
  return std::nullopt;
}

// Checks the daemon knows the channel(s) and locations the run uses.
std::optional<Failure> PreflightStock(const BenchOptions& o, stockd::v1::Stock::Stub* stub,
                                      std::string* version) {
  grpc::ClientContext context;
  PrepareContext(o, &context);
  stockd::v1::ConfigSummary summary;
  grpc::Status status = stub->GetConfigSummary(&context, {}, &summary);
  if (status.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
    return Failure{kExitUnreachable, absl::StrCat(o.target, " does not serve stockd.v1.Stock")};
  }
  if (!status.ok()) return CallFailed("GetConfigSummary", status);
  *version = summary.version();

  std::vector<std::string> known_locations, known_channels;
  for (const auto& location : summary.locations()) known_locations.push_back(location.id());
  for (const auto& channel : summary.channels()) known_channels.push_back(channel.id());
  auto has = [](const std::vector<std::string>& ids, const std::string& id) {
    return std::find(ids.begin(), ids.end(), id) != ids.end();
  };
  std::vector<std::string> needed_locations = o.locations;
  std::vector<std::string> needed_channels;
  if (o.op == Op::kSell) {
    needed_channels.push_back(o.sell_channel);
    needed_locations.push_back(o.sell_location);
  } else {
    needed_channels.push_back(o.channel_name);
  }
  for (const std::string& location : needed_locations) {
    if (!has(known_locations, location)) {
      return Failure{kExitFailed,
                     absl::StrCat("the daemon has no location '", location,
                                  "' (it has: ", absl::StrJoin(known_locations, ", "), ")")};
    }
  }
  for (const std::string& channel : needed_channels) {
    if (!has(known_channels, channel)) {
      return Failure{kExitFailed,
                     absl::StrCat("the daemon has no channel '", channel,
                                  "' (it has: ", absl::StrJoin(known_channels, ", "), ")")};
    }
  }
  return std::nullopt;
}

// Checks the first and the last SKU of the data set have stock rows.
std::optional<Failure> CheckDataSet(const BenchOptions& o, stockd::v1::Stock::Stub* stub) {
  SkuNamer namer(o.sku_prefix, o.sku_width);
  for (int64_t index : {int64_t{0}, o.skus - 1}) {
    grpc::ClientContext context;
    PrepareContext(o, &context);
    stockd::v1::GetStockRequest request;
    request.set_sku(namer.Name(index));
    stockd::v1::GetStockResponse response;
    grpc::Status status = stub->GetStock(&context, request, &response);
    if (status.error_code() == grpc::StatusCode::NOT_FOUND ||
        (status.ok() && response.rows().empty())) {
      return Failure{kExitFailed,
                     absl::StrCat("SKU '", request.sku(), "' is not in the daemon: load the data ",
                                  "set first (--setup with the same --skus/--sku-prefix)")};
    }
    if (!status.ok()) return CallFailed("GetStock", status);
  }
  return std::nullopt;
}

// --check: no row of the sampled SKUs (SKU 0, the hot one, and an even spread) has
// more held + committed than on_hand, and the daemon's own invariant check passes.
CheckReport RunCheck(const BenchOptions& o, stockd::v1::Stock::Stub* stub) {
  CheckReport check;
  check.ran = true;
  SkuNamer namer(o.sku_prefix, o.sku_width);
  const int64_t samples = std::min<int64_t>(kCheckSampleSkus, o.skus);
  int64_t rows = 0;
  for (int64_t i = 0; i < samples; ++i) {
    const int64_t index = i * o.skus / samples;
    grpc::ClientContext context;
    PrepareContext(o, &context);
    stockd::v1::GetStockRequest request;
    request.set_sku(namer.Name(index));
    for (const std::string& location : o.locations) request.add_locations(location);
    stockd::v1::GetStockResponse response;
    grpc::Status status = stub->GetStock(&context, request, &response);
    if (!status.ok()) {
      check.violations.push_back(absl::StrCat("GetStock ", request.sku(), ": ", Describe(status)));
      continue;
    }
    for (const stockd::v1::StockRow& row : response.rows()) {
      ++rows;
      const std::string where = absl::StrCat(row.sku(), "@", row.location());
      if (index == 0) {
        check.rows.push_back(absl::StrCat(where, " on_hand=", row.on_hand(), " held=", row.held(),
                                          " committed=", row.committed(), " free=", row.free()));
      }
      if (row.held() + row.committed() > row.on_hand()) {
        check.violations.push_back(absl::StrCat(where, ": oversold: held ", row.held(),
                                                " + committed ", row.committed(), " > on_hand ",
                                                row.on_hand()));
      }
      if (row.on_hand() < 0 || row.held() < 0 || row.committed() < 0) {
        check.violations.push_back(absl::StrCat(where, ": negative counter"));
      }
      if (row.free() != row.on_hand() - row.held() - row.committed()) {
        check.violations.push_back(
            absl::StrCat(where, ": free ", row.free(), " != on_hand - held - committed"));
      }
    }
  }
  check.rows.push_back(absl::StrCat(rows, " rows of ", samples,
                                    " sampled SKUs checked for held + committed <= on_hand"));

  grpc::ClientContext context;
  context.AddMetadata("x-stockd-actor", o.actor);
  if (!o.authorization.empty()) context.AddMetadata("authorization", o.authorization);
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  stockd::v1::CheckInvariantsResponse invariants;
  grpc::Status status = stub->CheckInvariants(&context, {}, &invariants);
  if (!status.ok()) {
    check.violations.push_back(absl::StrCat("CheckInvariants: ", Describe(status)));
  } else {
    check.rows_checked = invariants.rows_checked();
    check.holds_checked = invariants.holds_checked();
    for (const std::string& v : invariants.violations()) check.violations.push_back(v);
    if (!invariants.ok() && invariants.violations().empty()) {
      check.violations.push_back("CheckInvariants: not ok");
    }
  }
  check.ok = check.violations.empty();
  return check;
}

int Main(int argc, char** argv) {
  // Like stockd (daemon/main.cc): Debian's absl records every lock in a deadlock graph,
  // which cost the load generator ~5% of its CPU, taken from the server on 2 shared cores.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  absl::StatusOr<BenchOptions> parsed = ParseOptions(argc, argv);
  if (!parsed.ok()) {
    std::cerr << "stockd-bench: " << parsed.status().message() << "\n(stockd-bench --help)\n";
    return kExitUsage;
  }
  BenchOptions options = *std::move(parsed);
  if (options.help) {
    std::cout << Usage();
    return kExitOk;
  }
  if (options.tree_cpu) {
    if (options.server_pids.empty()) {
      std::cerr << "stockd-bench: --tree-cpu needs --server-pids\n";
      return kExitUsage;
    }
    std::printf("%.3f\n", TreeCpuSeconds(options.server_pids));
    return kExitOk;
  }
  if (!options.token_file.empty()) {
    std::ifstream in(options.token_file);
    std::stringstream token;
    token << in.rdbuf();
    std::string text(absl::StripAsciiWhitespace(token.str()));
    if (!in.is_open() || text.empty()) {
      std::cerr << "stockd-bench: --token-file '" << options.token_file
                << "': cannot read a token from it\n";
      return kExitUsage;
    }
    options.authorization = "Bearer " + text;
  }
  if (options.payload_bytes < 0) options.payload_bytes = SingleLineReserveRequestBytes(options);
  if (options.reply_bytes < 0) options.reply_bytes = SingleLineReserveResponseBytes(options);

  RunInfo info;
  info.started = absl::Now();
  info.seed = options.seed != 0 ? options.seed : RandomWord();
  RequestIds ids(options.id_prefix, RandomWord());
  info.run_id = ids.run_id();

  auto fail = [](const Failure& failure) {
    std::cerr << "stockd-bench: " << failure.message << "\n";
    return failure.code;
  };
  std::vector<std::shared_ptr<grpc::Channel>> channels = MakeChannels(options);
  if (auto failure = Connect(options, channels)) return fail(*failure);
  auto stub = stockd::v1::Stock::NewStub(channels.front());
  if (options.op == Op::kEcho) {
    if (auto failure = PreflightEcho(options, channels.front())) return fail(*failure);
  } else {
    if (auto failure = PreflightStock(options, stub.get(), &info.server_version)) {
      return fail(*failure);
    }
  }

  Driver driver(options, channels, &ids, info.seed);
  int exit_code = kExitOk;
  std::unique_ptr<RunResult> setup, run;
  const bool load = options.setup || options.setup_and_run;
  if (load) {
    setup = driver.Setup();
    PrintSetup(std::cout, options, *setup);
    if (setup->failed_lines != 0 || setup->primary().lines() == 0) exit_code = kExitFailed;
  }
  if (!options.setup && exit_code == kExitOk) {
    if (options.op != Op::kEcho && !load) {
      if (auto failure = CheckDataSet(options, stub.get())) return fail(*failure);
    }
    run = driver.Run();
    PrintRun(std::cout, options, info, *run);
    std::cout << ResultLine(options, *run) << std::endl;
    // Stock running out (FAILED_PRECONDITION) is the expected answer of an oversell
    // scenario; any other way of getting nothing done is a failed run.
    const uint64_t out_of_stock =
        run->errors[static_cast<int>(grpc::StatusCode::FAILED_PRECONDITION)];
    if (run->primary().ok() == 0 && run->total_errors() != out_of_stock) {
      std::cerr << "stockd-bench: no call succeeded in the window\n";
      exit_code = kExitFailed;
    } else if (run->primary().ok() == 0) {
      std::cerr << "stockd-bench: every call was refused for lack of stock\n";
    }
  }
  CheckReport check;
  if (options.check) {
    check = RunCheck(options, stub.get());
    PrintCheck(std::cout, check);
    if (!check.ok) exit_code = kExitFailed;
  }
  if (!options.json_path.empty()) {
    absl::Status written =
        WriteJson(options.json_path, options, info, setup.get(), run.get(), check);
    if (!written.ok()) {
      std::cerr << "stockd-bench: " << written.message() << "\n";
      if (exit_code == kExitOk) exit_code = kExitFailed;
    }
  }
  std::cout.flush();
  if (run != nullptr && !run->drained) std::_Exit(exit_code);  // calls still reference the driver
  return exit_code;
}

}  // namespace
}  // namespace stockd::bench

int main(int argc, char** argv) { return stockd::bench::Main(argc, argv); }
