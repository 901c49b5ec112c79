// Command line of stockd-bench: every flag, its default, and the parser.
//
// Single-threaded: parsed once in main; the resulting BenchOptions is read-only after.
#ifndef STOCKD_BENCH_OPTIONS_H_
#define STOCKD_BENCH_OPTIONS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace stockd::bench {

// What one unit of work ("op") is.
enum class Op {
  kReserve,         // Reserve, 1 line, qty 1; the hold is left to expire (--ttl)
  kReserveCommit,   // Reserve, then Commit of that hold
  kReserveRelease,  // Reserve, then Release of that hold
  kSell,            // Sell qty 1 on --sell-channel at --sell-location
  kBatch,           // one Reserve with --lines distinct SKUs (counts as --lines lines)
  kEcho,            // Echo on stockd-echo-server: the gRPC ceiling
};

// Which SKU an op touches.
enum class Skew {
  kUniform,  // every SKU equally likely
  kHot,      // SKU 0 only (a batch takes SKUs 0..lines-1)
  kZipf,     // P(rank k) ~ 1 / (k + 1)^s; rank k is SKU k
};

absl::string_view OpName(Op op);
absl::string_view SkewName(Skew skew);

struct BenchOptions {
  std::string target = "127.0.0.1:50551";
  Op op = Op::kReserve;
  int inflight = 64;  // closed loop: calls outstanding at every moment; paced: at most
  int64_t rate = 0;   // ops per second on a fixed schedule (open loop); 0 = closed loop
  int channels = 1;   // gRPC channels (one TCP connection each)
  // --session: reserve and sell go over Session streams (echo over EchoStream), one per
  // channel; --inflight ops outstanding in all, spread over the streams.
  bool session = false;
  absl::Duration duration = absl::Seconds(10);
  absl::Duration warmup = absl::Seconds(2);
  absl::Duration timeout = absl::Seconds(10);  // deadline of every call

  // Workload.
  int64_t skus = 100000;
  std::string sku_prefix = "BENCH-";
  int sku_width = 8;  // SKU i is sku_prefix + i zero-padded to sku_width digits
  std::vector<std::string> locations = {"wh-central", "store-berlin"};
  std::string channel_name = "webshop";  // channel of Reserve
  std::string sell_channel = "pos-berlin";
  std::string sell_location = "store-berlin";
  Skew skew = Skew::kUniform;
  double zipf_s = 0.99;
  int lines = 100;  // lines per Reserve of --op batch
  absl::Duration ttl = absl::Seconds(2);
  std::string id_prefix = "bench-";    // request_id = id_prefix + run id + "-" + counter
  std::string actor = "stockd-bench";  // x-stockd-actor metadata on every call
  std::string tls_ca;                  // "" = plaintext; else TLS trusting this PEM CA
  std::string token_file;              // "" = no token; else its content is sent as a bearer token
  std::string authorization;           // "Bearer <token>" read from token_file ("" = none)
  uint64_t seed = 0;                   // 0 = random

  // Echo: request/response payload sizes; -1 = the serialized size of a single-line
  // ReserveRequest / ReserveResponse as this tool builds them.
  int64_t payload_bytes = -1;
  int64_t reply_bytes = -1;

  // Setup: Batch calls of Count ops setting every SKU at every location to `stock`.
  bool setup = false;          // setup, then exit
  bool setup_and_run = false;  // setup, then run
  int64_t stock = 1000000;
  int setup_batch = 1000;  // Count ops per Batch call
  int setup_inflight = 4;  // Batch calls outstanding

  // Root pids of the server side (a daemon, its redis-server is its child; a postmaster;
  // a redis-server): the CPU of their process trees in the window is reported per op.
  std::vector<int> server_pids;
  // --tree-cpu: print the CPU seconds the --server-pids trees have used so far, and exit
  // (scripts/bench reads the other systems' servers with it around their own clients).
  bool tree_cpu = false;

  bool check = false;  // zero-oversell check of SKU 0 + CheckInvariants at the end
  std::string json_path;
  std::string label;      // free text carried into the report
  bool progress = false;  // per-second throughput on stderr

  bool help = false;
};

// Parses argv (`--flag value` or `--flag=value`). Durations are "500ms", "2s", "1m" or
// a bare number of seconds. INVALID_ARGUMENT names the flag at fault.
absl::StatusOr<BenchOptions> ParseOptions(int argc, char** argv);

// The --help text.
const char* Usage();

}  // namespace stockd::bench

#endif  // STOCKD_BENCH_OPTIONS_H_
