// The load loop of stockd-bench. Closed loop (the default): `inflight` slots each keep
// exactly one call outstanding; a slot's completion callback (on a gRPC callback thread)
// records the result and issues the slot's next call at once, so no thread sleeps or
// polls. Open loop (`rate` > 0): one pacer thread sleeps until the next issue of a fixed
// schedule (pacing.h) and hands it to a free slot; a completion returns its slot to the
// free list instead of issuing. An issue due while every slot is busy is skipped and
// counted, never sent late in a burst; latency counts from the due time. Slots
// are spread round-robin over the gRPC channels.
//
// A run is: warm-up (results discarded), measurement, stop. A result counts when its
// call completes inside the measurement window; ops/s is what completed OK in the window
// divided by the window's length. After the stop every slot finishes its outstanding call
// and retires; the results are read once the last one has.
//
// Thread-safety: Driver's methods are called from one thread (main). Slots run on gRPC
// threads (and, paced, are issued from the pacer thread); they share only atomics (phase,
// counters, histograms), the mutex-guarded free-slot list and immutable state.
#ifndef STOCKD_BENCH_DRIVER_H_
#define STOCKD_BENCH_DRIVER_H_

#include <grpcpp/grpcpp.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bench/histogram.h"
#include "bench/options.h"
#include "bench/workload.h"

namespace stockd::bench {

// One measured quantity: OK completions, their lines and their latency.
class Series {
 public:
  explicit Series(std::string name) : name_(std::move(name)) {}
  Series(const Series&) = delete;
  Series& operator=(const Series&) = delete;

  void RecordOk(uint64_t nanos, uint64_t lines) {
    latency_.Record(nanos);
    lines_.fetch_add(lines, std::memory_order_relaxed);
  }
  const std::string& name() const { return name_; }
  const LatencyHistogram& latency() const { return latency_; }
  uint64_t ok() const { return latency_.Count(); }
  uint64_t lines() const { return lines_.load(std::memory_order_relaxed); }

 private:
  std::string name_;
  LatencyHistogram latency_;
  std::atomic<uint64_t> lines_{0};
};

// Number of canonical gRPC status codes (OK .. UNAUTHENTICATED).
inline constexpr int kStatusCodes = 17;
// "OK", "CANCELLED", ... ; "UNKNOWN" for a code out of range.
absl::string_view StatusCodeName(int code);

// Everything a run measured.
struct RunResult {
  // series[0] is the op itself (a reserve, a reserve+commit pair, a batch call, ...);
  // the others time its individual RPCs where an op makes more than one.
  std::vector<std::unique_ptr<Series>> series;
  // Failed RPCs (and, in setup, failed Count ops inside a Batch) by status code.
  std::array<uint64_t, kStatusCodes> errors{};
  uint64_t rpcs_ok = 0;           // successful RPCs in the window, every kind
  uint64_t failed_lines = 0;      // setup: Count ops that did not apply
  double seconds = 0;             // length of the measurement window
  double client_cpu_seconds = 0;  // CPU time of this process in the window (user + sys)
  // CPU time of the --server-pids trees in the window; < 0 when not measured.
  double server_cpu_seconds = -1;
  bool drained = true;  // every call completed after the stop

  // Open loop (--rate) only: the schedule's issues that fell due in the window.
  struct Pacing {
    int64_t rate = 0;        // asked, per second; 0 = closed loop (the rest is 0)
    uint64_t due = 0;        // issues due in the window
    uint64_t issued = 0;     // ... sent (to a free slot)
    uint64_t skipped = 0;    // ... not sent: every slot was busy
    uint64_t late = 0;       // sent >= kLateIssueNs (1 ms) after they were due
    int64_t max_lag_ns = 0;  // the longest an issue went out after it was due
  } pacing;

  const Series& primary() const { return *series.front(); }
  uint64_t total_errors() const;
};

// Serialized sizes of a single-line ReserveRequest / ReserveResponse as the bench builds
// them: the default echo payload and reply, so the echo ceiling moves the same bytes.
int64_t SingleLineReserveRequestBytes(const BenchOptions& options);
int64_t SingleLineReserveResponseBytes(const BenchOptions& options);

class Driver {
 public:
  // `options` must outlive the Driver; echo payload sizes must be resolved (>= 0).
  Driver(const BenchOptions& options, std::vector<std::shared_ptr<grpc::Channel>> channels,
         RequestIds* ids, uint64_t seed);
  ~Driver();
  Driver(const Driver&) = delete;
  Driver& operator=(const Driver&) = delete;

  // Warm-up, measurement, stop and drain, with options.op.
  std::unique_ptr<RunResult> Run();
  // Sets every (SKU, location) row to options.stock: Batch calls of Count ops,
  // options.setup_inflight outstanding. The whole setup is the measured window.
  std::unique_ptr<RunResult> Setup();

  struct Shared;  // state the slots share (driver.cc)

 private:
  std::unique_ptr<RunResult> Drive(bool setup);

  const BenchOptions& options_;
  std::vector<std::shared_ptr<grpc::Channel>> channels_;
  RequestIds* ids_;
  uint64_t seed_;
};

}  // namespace stockd::bench

#endif  // STOCKD_BENCH_DRIVER_H_
