#include "bench/options.h"

#include <cstdlib>
#include <functional>
#include <map>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "bench/pacing.h"

namespace stockd::bench {
namespace {

constexpr char kUsage[] =
    R"(usage: stockd-bench [FLAGS]

A load generator for stockd over the gRPC callback API. Closed loop (the default): keeps
exactly --inflight calls outstanding, each completion issues the next call. Open loop
(--rate N): issues N ops per second on a fixed schedule, at most --inflight outstanding;
an op due while all are busy is skipped and counted; latency counts from the due time.

Connection
  --target HOST:PORT       daemon (or stockd-echo-server) address   [127.0.0.1:50551]
  --channels N             gRPC channels, one TCP connection each    [1]
  --inflight N             calls outstanding at every moment; with --rate, at most
                                                                     [64]
  --timeout DUR            deadline of every call                    [10s]
  --actor NAME             x-stockd-actor metadata                   [stockd-bench]
  --tls-ca FILE            speak TLS, trusting this PEM CA           [plaintext]
  --token-file FILE        send the token in FILE as a bearer token  [none]

Run
  --op OP                  reserve | reserve-commit | reserve-release | sell | batch | echo
                                                                     [reserve]
  --duration DUR           measured time                             [10s]
  --warmup DUR             time before it; its results are discarded [2s]
  --rate N                 ops per second, evenly spaced (open loop); 0 = closed loop
                                                                     [0]
  --progress               print ops/s every second to stderr
  --session                reserve / sell over Session streams (echo over EchoStream),
                           one stream per channel, --inflight ops outstanding in all;
                           each result is answered by the next op on its stream

Workload
  --skus N                 SKUs in the data set                      [100000]
  --sku-prefix P           SKU i = P + i zero-padded to --sku-width  [BENCH-]
  --sku-width N            digits of the SKU index                   [8]
  --locations A,B          locations loaded by --setup and checked   [wh-central,store-berlin]
  --channel-name C         channel of Reserve                        [webshop]
  --sell-channel C         channel of Sell                           [pos-berlin]
  --sell-location L        location of Sell                          [store-berlin]
  --skew S                 uniform | hot (SKU 0 only) | zipf         [uniform]
  --zipf-s S               Zipf exponent                             [0.99]
  --lines N                lines per Reserve of --op batch           [100]
  --ttl DUR                TTL of every hold                         [2s]
  --id-prefix P            request_id = P + run id + "-" + counter   [bench-]
  --seed N                 random seed (0 = random)                  [0]
  --payload-bytes N        echo request payload (-1 = size of a 1-line Reserve request)
  --reply-bytes N          echo reply payload (-1 = size of a 1-line Reserve response)

Setup and checks
  --setup                  load stock (Batch of Count ops), then exit
  --setup-and-run          load stock, then run
  --stock N                on_hand set for every SKU at every location [1000000]
  --setup-batch N          Count ops per Batch call                  [1000]
  --setup-inflight N       Batch calls outstanding during setup      [4]
  --check                  at the end: GetStock of SKU 0 (held + committed <= on_hand,
                           on_hand >= 0 at every location) and CheckInvariants;
                           exit 1 on a violation

Output
  --server-pids P,...      server process trees (daemon + its redis-server, postmaster, ...):
                           their CPU in the window, reported per op (server_cpu_us_per_op)
  --tree-cpu               print the CPU seconds the --server-pids trees used so far; exit
  --json FILE              write parameters and results as JSON
  --label TEXT             free text carried into the report

Durations: 500ms, 2s, 1m or a bare number of seconds.
Exit status: 0 ok; 1 a check failed, setup failed, or no call succeeded (for a reason
other than FAILED_PRECONDITION, i.e. stock running out); 2 usage;
3 the target cannot be reached.
)";

absl::Status Invalid(absl::string_view flag, absl::string_view value, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(flag, ": '", value, "': ", why));
}

absl::Status ParseDurationFlag(absl::string_view flag, absl::string_view value,
                               absl::Duration* out) {
  double seconds = 0;
  if (absl::SimpleAtod(value, &seconds)) {
    *out = absl::Seconds(seconds);
  } else if (!absl::ParseDuration(value, out)) {
    return Invalid(flag, value, "not a duration (500ms, 2s, 1m)");
  }
  if (*out < absl::ZeroDuration()) return Invalid(flag, value, "must not be negative");
  return absl::OkStatus();
}

template <typename Int>
absl::Status ParseIntFlag(absl::string_view flag, absl::string_view value, Int min, Int max,
                          Int* out) {
  int64_t parsed = 0;
  if (!absl::SimpleAtoi(value, &parsed)) return Invalid(flag, value, "not an integer");
  if (parsed < static_cast<int64_t>(min) || parsed > static_cast<int64_t>(max)) {
    return Invalid(flag, value, absl::StrCat("must be within ", min, "..", max));
  }
  *out = static_cast<Int>(parsed);
  return absl::OkStatus();
}

absl::Status ParseOp(absl::string_view value, Op* out) {
  for (Op op :
       {Op::kReserve, Op::kReserveCommit, Op::kReserveRelease, Op::kSell, Op::kBatch, Op::kEcho}) {
    if (value == OpName(op)) {
      *out = op;
      return absl::OkStatus();
    }
  }
  return Invalid("--op", value,
                 "one of reserve, reserve-commit, reserve-release, sell, batch, echo");
}

absl::Status ParseSkew(absl::string_view value, Skew* out) {
  for (Skew skew : {Skew::kUniform, Skew::kHot, Skew::kZipf}) {
    if (value == SkewName(skew)) {
      *out = skew;
      return absl::OkStatus();
    }
  }
  return Invalid("--skew", value, "one of uniform, hot, zipf");
}

// Cross-flag rules, checked once every flag is known.
absl::Status Validate(const BenchOptions& o) {
  int64_t max_skus = 1;
  for (int i = 0; i < o.sku_width; ++i) max_skus *= 10;
  if (o.skus > max_skus) {
    return absl::InvalidArgumentError(
        absl::StrCat("--skus ", o.skus, " does not fit in --sku-width ", o.sku_width, " digits"));
  }
  if (o.sku_prefix.size() + o.sku_width > 128) {
    return absl::InvalidArgumentError("--sku-prefix + --sku-width: a SKU is at most 128 bytes");
  }
  if (o.op == Op::kBatch && o.lines > o.skus) {
    return absl::InvalidArgumentError(
        absl::StrCat("--lines ", o.lines, " needs at least as many --skus (", o.skus, ")"));
  }
  if (o.locations.empty()) return absl::InvalidArgumentError("--locations: empty");
  if (o.op == Op::kEcho && (o.setup || o.setup_and_run || o.check)) {
    return absl::InvalidArgumentError("--op echo talks to stockd-echo-server: no --setup/--check");
  }
  if (o.session && o.op != Op::kReserve && o.op != Op::kSell && o.op != Op::kEcho) {
    return absl::InvalidArgumentError(
        absl::StrCat("--session: --op reserve, sell or echo (not ", OpName(o.op), ")"));
  }
  if (o.session && o.rate > 0) {
    return absl::InvalidArgumentError("--session: closed loop only (no --rate)");
  }
  if (o.session && o.inflight < o.channels) {
    return absl::InvalidArgumentError("--session: --inflight must be >= --channels (streams)");
  }
  if (o.setup && o.setup_and_run) {
    return absl::InvalidArgumentError("--setup and --setup-and-run: pick one");
  }
  if (o.ttl < absl::Milliseconds(100)) {
    return absl::InvalidArgumentError("--ttl: the daemon accepts 100ms at least");
  }
  if (o.id_prefix.size() > 80) return absl::InvalidArgumentError("--id-prefix: at most 80 bytes");
  if (o.duration <= absl::ZeroDuration() && !o.setup) {
    return absl::InvalidArgumentError("--duration: must be > 0");
  }
  return absl::OkStatus();
}

}  // namespace

absl::string_view OpName(Op op) {
  switch (op) {
    case Op::kReserve:
      return "reserve";
    case Op::kReserveCommit:
      return "reserve-commit";
    case Op::kReserveRelease:
      return "reserve-release";
    case Op::kSell:
      return "sell";
    case Op::kBatch:
      return "batch";
    case Op::kEcho:
      return "echo";
  }
  return "?";
}

absl::string_view SkewName(Skew skew) {
  switch (skew) {
    case Skew::kUniform:
      return "uniform";
    case Skew::kHot:
      return "hot";
    case Skew::kZipf:
      return "zipf";
  }
  return "?";
}

const char* Usage() { return kUsage; }

absl::StatusOr<BenchOptions> ParseOptions(int argc, char** argv) {
  BenchOptions o;
  using Setter = std::function<absl::Status(absl::string_view)>;
  auto text = [](std::string* field) -> Setter {
    return [field](absl::string_view v) {
      *field = std::string(v);
      return absl::OkStatus();
    };
  };
  auto duration = [](absl::string_view flag, absl::Duration* field) -> Setter {
    return [flag, field](absl::string_view v) { return ParseDurationFlag(flag, v, field); };
  };
  const std::map<std::string, Setter, std::less<>> with_value = {
      {"--target", text(&o.target)},
      {"--op", [&o](absl::string_view v) { return ParseOp(v, &o.op); }},
      {"--inflight",
       [&o](absl::string_view v) { return ParseIntFlag("--inflight", v, 1, 100000, &o.inflight); }},
      {"--rate",
       [&o](absl::string_view v) {
         return ParseIntFlag<int64_t>("--rate", v, 0, PaceSchedule::kMaxRate, &o.rate);
       }},
      {"--channels",
       [&o](absl::string_view v) { return ParseIntFlag("--channels", v, 1, 1024, &o.channels); }},
      {"--duration", duration("--duration", &o.duration)},
      {"--warmup", duration("--warmup", &o.warmup)},
      {"--timeout", duration("--timeout", &o.timeout)},
      {"--skus",
       [&o](absl::string_view v) {
         return ParseIntFlag<int64_t>("--skus", v, 1, int64_t{1} << 40, &o.skus);
       }},
      {"--sku-prefix", text(&o.sku_prefix)},
      {"--sku-width",
       [&o](absl::string_view v) { return ParseIntFlag("--sku-width", v, 1, 18, &o.sku_width); }},
      {"--locations",
       [&o](absl::string_view v) {
         o.locations = absl::StrSplit(v, ',', absl::SkipEmpty());
         return absl::OkStatus();
       }},
      {"--server-pids",
       [&o](absl::string_view v) {
         o.server_pids.clear();
         for (absl::string_view p : absl::StrSplit(v, ',', absl::SkipEmpty())) {
           int pid = 0;
           if (!absl::SimpleAtoi(p, &pid) || pid <= 0) {
             return Invalid("--server-pids", v, "a comma-separated list of process ids");
           }
           o.server_pids.push_back(pid);
         }
         return absl::OkStatus();
       }},
      {"--channel-name", text(&o.channel_name)},
      {"--sell-channel", text(&o.sell_channel)},
      {"--sell-location", text(&o.sell_location)},
      {"--skew", [&o](absl::string_view v) { return ParseSkew(v, &o.skew); }},
      {"--zipf-s",
       [&o](absl::string_view v) {
         if (!absl::SimpleAtod(v, &o.zipf_s) || !(o.zipf_s > 0) || o.zipf_s > 10) {
           return Invalid("--zipf-s", v, "a number in (0, 10]");
         }
         return absl::OkStatus();
       }},
      {"--lines",
       [&o](absl::string_view v) { return ParseIntFlag("--lines", v, 1, 100000, &o.lines); }},
      {"--ttl", duration("--ttl", &o.ttl)},
      {"--id-prefix", text(&o.id_prefix)},
      {"--actor", text(&o.actor)},
      {"--tls-ca", text(&o.tls_ca)},
      {"--token-file", text(&o.token_file)},
      {"--seed",
       [&o](absl::string_view v) {
         if (!absl::SimpleAtoi(v, &o.seed)) return Invalid("--seed", v, "not an integer");
         return absl::OkStatus();
       }},
      {"--payload-bytes",
       [&o](absl::string_view v) {
         return ParseIntFlag<int64_t>("--payload-bytes", v, -1, 4 << 20, &o.payload_bytes);
       }},
      {"--reply-bytes",
       [&o](absl::string_view v) {
         return ParseIntFlag<int64_t>("--reply-bytes", v, -1, 4 << 20, &o.reply_bytes);
       }},
      {"--stock",
       [&o](absl::string_view v) {
         return ParseIntFlag<int64_t>("--stock", v, 0, int64_t{1} << 50, &o.stock);
       }},
      {"--setup-batch",
       [&o](absl::string_view v) {
         return ParseIntFlag("--setup-batch", v, 1, 100000, &o.setup_batch);
       }},
      {"--setup-inflight",
       [&o](absl::string_view v) {
         return ParseIntFlag("--setup-inflight", v, 1, 1024, &o.setup_inflight);
       }},
      {"--json", text(&o.json_path)},
      {"--label", text(&o.label)},
  };
  const std::map<std::string, bool*, std::less<>> switches = {
      {"--setup", &o.setup},     {"--setup-and-run", &o.setup_and_run},
      {"--check", &o.check},     {"--progress", &o.progress},
      {"--session", &o.session}, {"--tree-cpu", &o.tree_cpu},
      {"--help", &o.help},       {"-h", &o.help},
  };

  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    absl::string_view name = arg;
    absl::string_view value;
    bool has_value = false;
    if (size_t eq = arg.find('='); eq != absl::string_view::npos && arg.substr(0, 2) == "--") {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      has_value = true;
    }
    if (auto sw = switches.find(name); sw != switches.end()) {
      if (has_value) return absl::InvalidArgumentError(absl::StrCat(name, " takes no value"));
      *sw->second = true;
      continue;
    }
    auto setter = with_value.find(name);
    if (setter == with_value.end()) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag '", arg, "'"));
    }
    if (!has_value) {
      if (i + 1 >= argc) return absl::InvalidArgumentError(absl::StrCat(name, " needs a value"));
      value = argv[++i];
    }
    if (absl::Status st = setter->second(value); !st.ok()) return st;
  }
  if (o.help) return o;
  if (absl::Status st = Validate(o); !st.ok()) return st;
  return o;
}

}  // namespace stockd::bench
