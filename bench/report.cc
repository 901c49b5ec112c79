#include "bench/report.h"

#include <cstdio>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "bench/pacing.h"

namespace stockd::bench {
namespace {

double Ms(uint64_t nanos) { return nanos / 1e6; }

double PerSecond(uint64_t count, double seconds) { return seconds > 0 ? count / seconds : 0.0; }

// Server CPU (the --server-pids trees) per completed op, in microseconds.
double ServerCpuUsPerOp(const RunResult& r) {
  const uint64_t ops = r.primary().ok();
  return ops > 0 ? r.server_cpu_seconds * 1e6 / static_cast<double>(ops) : 0.0;
}

std::string ErrorsText(const RunResult& run) {
  std::vector<std::string> parts;
  for (int code = 0; code < kStatusCodes; ++code) {
    if (run.errors[code] != 0) {
      parts.push_back(absl::StrCat(StatusCodeName(code), "=", run.errors[code]));
    }
  }
  return parts.empty() ? "none" : absl::StrJoin(parts, " ");
}

void PrintSeriesTable(std::ostream& out, const RunResult& run) {
  out << absl::StrFormat("%-16s %10s %11s %9s %9s %9s %9s %9s\n", "latency (ms)", "ok", "per s",
                         "mean", "p50", "p99", "p99.9", "max");
  for (const auto& series : run.series) {
    const LatencyHistogram& h = series->latency();
    out << absl::StrFormat("%-16s %10d %11.1f %9.3f %9.3f %9.3f %9.3f %9.3f\n", series->name(),
                           series->ok(), PerSecond(series->ok(), run.seconds), h.Mean() / 1e6,
                           Ms(h.ValueAtQuantile(0.5)), Ms(h.ValueAtQuantile(0.99)),
                           Ms(h.ValueAtQuantile(0.999)), Ms(h.Max()));
  }
}

// A small streaming JSON writer: enough for flat objects, arrays and numbers.
class Json {
 public:
  Json& Open(char bracket) {
    Separate();
    text_.push_back(bracket);
    first_ = true;
    return *this;
  }
  Json& Close(char bracket) {
    text_.push_back(bracket);
    first_ = false;
    return *this;
  }
  Json& Key(absl::string_view key) {
    Separate();
    AppendString(key);
    text_.push_back(':');
    after_key_ = true;
    return *this;
  }
  Json& Str(absl::string_view value) {
    Separate();
    AppendString(value);
    return *this;
  }
  Json& Num(double value) {
    Separate();
    absl::StrAppend(&text_, absl::StrFormat("%.6g", value));
    return *this;
  }
  Json& Int(int64_t value) {
    Separate();
    absl::StrAppend(&text_, value);
    return *this;
  }
  Json& Bool(bool value) {
    Separate();
    text_ += value ? "true" : "false";
    return *this;
  }
  const std::string& text() const { return text_; }

 private:
  void Separate() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (!first_) text_.push_back(',');
    first_ = false;
  }
  void AppendString(absl::string_view s) {
    text_.push_back('"');
    for (char c : s) {
      switch (c) {
        case '"':
          text_ += "\\\"";
          break;
        case '\\':
          text_ += "\\\\";
          break;
        case '\n':
          text_ += "\\n";
          break;
        case '\t':
          text_ += "\\t";
          break;
        default:
          if (static_cast<unsigned char>(c) < 0x20) {
            absl::StrAppend(&text_, absl::StrFormat("\\u%04x", c));
          } else {
            text_.push_back(c);
          }
      }
    }
    text_.push_back('"');
  }

  std::string text_;
  bool first_ = true;
  bool after_key_ = false;
};

void JsonParams(Json& j, const BenchOptions& o, const RunInfo& info) {
  j.Key("params").Open('{');
  j.Key("target").Str(o.target);
  j.Key("op").Str(OpName(o.op));
  j.Key("inflight").Int(o.inflight);
  j.Key("rate").Int(o.rate);
  j.Key("channels").Int(o.channels);
  j.Key("session").Bool(o.session);
  j.Key("duration_s").Num(absl::ToDoubleSeconds(o.duration));
  j.Key("warmup_s").Num(absl::ToDoubleSeconds(o.warmup));
  j.Key("timeout_s").Num(absl::ToDoubleSeconds(o.timeout));
  j.Key("skus").Int(o.skus);
  j.Key("sku_prefix").Str(o.sku_prefix);
  j.Key("sku_width").Int(o.sku_width);
  j.Key("locations").Open('[');
  for (const std::string& location : o.locations) j.Str(location);
  j.Close(']');
  j.Key("channel").Str(o.channel_name);
  j.Key("sell_channel").Str(o.sell_channel);
  j.Key("sell_location").Str(o.sell_location);
  j.Key("skew").Str(SkewName(o.skew));
  j.Key("zipf_s").Num(o.zipf_s);
  j.Key("lines").Int(o.op == Op::kBatch ? o.lines : 1);
  j.Key("ttl_ms").Int(absl::ToInt64Milliseconds(o.ttl));
  j.Key("seed").Str(absl::StrCat(info.seed));
  j.Key("payload_bytes").Int(o.payload_bytes);
  j.Key("reply_bytes").Int(o.reply_bytes);
  j.Key("stock").Int(o.stock);
  j.Key("setup_batch").Int(o.setup_batch);
  j.Key("setup_inflight").Int(o.setup_inflight);
  j.Close('}');
}

void JsonResult(Json& j, const RunResult& r) {
  const Series& op = r.primary();
  j.Open('{');
  j.Key("seconds").Num(r.seconds);
  j.Key("ops").Int(op.ok());
  j.Key("ops_per_s").Num(PerSecond(op.ok(), r.seconds));
  j.Key("lines").Int(op.lines());
  j.Key("lines_per_s").Num(PerSecond(op.lines(), r.seconds));
  j.Key("rpcs_ok").Int(r.rpcs_ok);
  j.Key("rpcs_per_s").Num(PerSecond(r.rpcs_ok, r.seconds));
  j.Key("client_cpu_cores").Num(r.seconds > 0 ? r.client_cpu_seconds / r.seconds : 0);
  if (r.server_cpu_seconds >= 0) {
    j.Key("server_cpu_seconds").Num(r.server_cpu_seconds);
    j.Key("server_cpu_us_per_op").Num(ServerCpuUsPerOp(r));
  }
  j.Key("drained").Bool(r.drained);
  j.Key("errors_total").Int(r.total_errors());
  j.Key("errors").Open('{');
  for (int code = 0; code < kStatusCodes; ++code) {
    if (r.errors[code] != 0) j.Key(StatusCodeName(code)).Int(r.errors[code]);
  }
  j.Close('}');
  if (r.failed_lines != 0) j.Key("failed_lines").Int(r.failed_lines);
  if (r.pacing.rate > 0) {
    j.Key("pacing").Open('{');
    j.Key("rate").Int(r.pacing.rate);
    j.Key("due").Int(static_cast<int64_t>(r.pacing.due));
    j.Key("issued").Int(static_cast<int64_t>(r.pacing.issued));
    j.Key("issued_per_s").Num(PerSecond(r.pacing.issued, r.seconds));
    j.Key("skipped").Int(static_cast<int64_t>(r.pacing.skipped));
    j.Key("late").Int(static_cast<int64_t>(r.pacing.late));
    j.Key("late_threshold_ms").Num(kLateIssueNs / 1e6);
    j.Key("max_lag_ms").Num(r.pacing.max_lag_ns / 1e6);
    j.Close('}');
  }
  j.Key("series").Open('[');
  for (const auto& series : r.series) {
    const LatencyHistogram& h = series->latency();
    j.Open('{');
    j.Key("name").Str(series->name());
    j.Key("ok").Int(series->ok());
    j.Key("per_s").Num(PerSecond(series->ok(), r.seconds));
    j.Key("lines").Int(series->lines());
    j.Key("latency_ms").Open('{');
    j.Key("mean").Num(h.Mean() / 1e6);
    j.Key("min").Num(Ms(h.Min()));
    j.Key("p50").Num(Ms(h.ValueAtQuantile(0.5)));
    j.Key("p90").Num(Ms(h.ValueAtQuantile(0.9)));
    j.Key("p99").Num(Ms(h.ValueAtQuantile(0.99)));
    j.Key("p999").Num(Ms(h.ValueAtQuantile(0.999)));
    j.Key("max").Num(Ms(h.Max()));
    j.Close('}');
    j.Close('}');
  }
  j.Close(']');
  j.Close('}');
}

}  // namespace

void PrintSetup(std::ostream& out, const BenchOptions& options, const RunResult& setup) {
  const Series& op = setup.primary();
  out << absl::StrFormat(
      "setup: %d rows (%d SKUs x %d locations) set to on_hand=%d in %.2f s: %.0f rows/s, "
      "%d Batch calls of up to %d Count ops, p50 %.1f ms, p99 %.1f ms per call\n",
      op.lines(), options.skus, options.locations.size(), options.stock, setup.seconds,
      PerSecond(op.lines(), setup.seconds), op.ok(), options.setup_batch,
      Ms(op.latency().ValueAtQuantile(0.5)), Ms(op.latency().ValueAtQuantile(0.99)));
  if (setup.failed_lines != 0 || setup.total_errors() != 0) {
    out << "setup: " << setup.failed_lines << " rows NOT set; errors " << ErrorsText(setup) << "\n";
  }
}

void PrintRun(std::ostream& out, const BenchOptions& o, const RunInfo& info, const RunResult& run) {
  const Series& op = run.primary();
  out << absl::StrFormat(
      "stockd-bench run %s: op=%s skew=%s%s inflight=%d%s channels=%d target=%s\n", info.run_id,
      OpName(o.op), SkewName(o.skew), o.op == Op::kBatch ? absl::StrCat(" lines=", o.lines) : "",
      o.inflight, o.rate > 0 ? absl::StrCat(" rate=", o.rate, "/s") : "", o.channels, o.target);
  out << absl::StrFormat("window %.2f s after %.2f s warm-up; %d SKUs; client CPU %.2f cores%s\n",
                         run.seconds, absl::ToDoubleSeconds(o.warmup), o.skus,
                         run.seconds > 0 ? run.client_cpu_seconds / run.seconds : 0.0,
                         o.label.empty() ? "" : absl::StrCat("; ", o.label));
  PrintSeriesTable(out, run);
  out << absl::StrFormat("ops/s %.1f   lines/s %.1f   rpcs/s %.1f   errors %s\n",
                         PerSecond(op.ok(), run.seconds), PerSecond(op.lines(), run.seconds),
                         PerSecond(run.rpcs_ok, run.seconds), ErrorsText(run));
  if (run.server_cpu_seconds >= 0) {
    out << absl::StrFormat("server CPU %.2f cores, %.1f us per op (pids %s)\n",
                           run.seconds > 0 ? run.server_cpu_seconds / run.seconds : 0.0,
                           ServerCpuUsPerOp(run), absl::StrJoin(o.server_pids, ","));
  }
  if (run.pacing.rate > 0) {
    const RunResult::Pacing& p = run.pacing;
    out << absl::StrFormat(
        "paced: rate %d/s asked; in the window %d issues due, %d sent (%.1f/s), %d skipped "
        "(every slot busy), %d late (>= %.0f ms after due), max issue lag %.3f ms; latency "
        "counts from each op's due time\n",
        p.rate, p.due, p.issued, PerSecond(p.issued, run.seconds), p.skipped, p.late,
        kLateIssueNs / 1e6, Ms(static_cast<uint64_t>(p.max_lag_ns)));
  }
  if (!run.drained) out << "warning: calls still outstanding after the stop (see --timeout)\n";
}

void PrintCheck(std::ostream& out, const CheckReport& check) {
  if (!check.ran) return;
  for (const std::string& row : check.rows) out << "check: " << row << "\n";
  for (const std::string& violation : check.violations)
    out << "check: VIOLATION " << violation << "\n";
  out << absl::StrFormat("CHECK %s oversell=%s invariants_rows=%d invariants_holds=%d\n",
                         check.ok ? "ok" : "FAILED", check.ok ? "none" : "see above",
                         check.rows_checked, check.holds_checked);
}

std::string ResultLine(const BenchOptions& o, const RunResult& run) {
  const Series& op = run.primary();
  const LatencyHistogram& h = op.latency();
  std::string paced;
  if (run.pacing.rate > 0) {
    paced = absl::StrFormat(" rate=%d issued=%d skipped=%d late=%d", run.pacing.rate,
                            run.pacing.issued, run.pacing.skipped, run.pacing.late);
  }
  if (o.session) paced += " session=1";
  if (run.server_cpu_seconds >= 0) {
    paced += absl::StrFormat(" server_cpu_us_per_op=%.1f", ServerCpuUsPerOp(run));
  }
  return absl::StrFormat(
      "RESULT op=%s skew=%s lines=%d inflight=%d channels=%d seconds=%.2f ops=%d "
      "ops_per_s=%.1f lines_per_s=%.1f p50_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f "
      "errors=%d%s",
      OpName(o.op), SkewName(o.skew), o.op == Op::kBatch ? o.lines : 1, o.inflight, o.channels,
      run.seconds, op.ok(), PerSecond(op.ok(), run.seconds), PerSecond(op.lines(), run.seconds),
      Ms(h.ValueAtQuantile(0.5)), Ms(h.ValueAtQuantile(0.99)), Ms(h.ValueAtQuantile(0.999)),
      Ms(h.Max()), run.total_errors(), paced);
}

absl::Status WriteJson(const std::string& path, const BenchOptions& options, const RunInfo& info,
                       const RunResult* setup, const RunResult* run, const CheckReport& check) {
  Json j;
  j.Open('{');
  j.Key("tool").Str("stockd-bench");
  j.Key("run_id").Str(info.run_id);
  j.Key("started_at").Str(absl::FormatTime(absl::RFC3339_sec, info.started, absl::UTCTimeZone()));
  j.Key("label").Str(options.label);
  j.Key("server_version").Str(info.server_version);
  JsonParams(j, options, info);
  if (setup != nullptr) {
    j.Key("setup");
    JsonResult(j, *setup);
  }
  if (run != nullptr) {
    j.Key("run");
    JsonResult(j, *run);
  }
  if (check.ran) {
    j.Key("check").Open('{');
    j.Key("ok").Bool(check.ok);
    j.Key("rows").Open('[');
    for (const std::string& row : check.rows) j.Str(row);
    j.Close(']');
    j.Key("violations").Open('[');
    for (const std::string& v : check.violations) j.Str(v);
    j.Close(']');
    j.Key("invariant_rows_checked").Int(check.rows_checked);
    j.Key("invariant_holds_checked").Int(check.holds_checked);
    j.Close('}');
  }
  j.Close('}');
  std::ofstream file(path, std::ios::trunc);
  file << j.text() << "\n";
  file.close();
  if (!file) return absl::UnavailableError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

}  // namespace stockd::bench
