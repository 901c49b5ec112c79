// The state every load slot and stream of one Driver run shares (driver.cc,
// session_load.cc): the phase, the counters, the request ids and the workload.
//
// Thread-safety: read and updated from gRPC threads; atomics, one mutex-guarded free
// list and immutable state only.
#ifndef STOCKD_BENCH_DRIVER_SHARED_H_
#define STOCKD_BENCH_DRIVER_SHARED_H_

#include <grpcpp/grpcpp.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "bench/driver.h"

namespace stockd::bench {

inline constexpr char kActorHeader[] = "x-stockd-actor";

enum Phase : int { kWarmup, kMeasure, kStop };

inline int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct Driver::Shared {
  Shared(const BenchOptions& o, RequestIds* request_ids)
      : options(o),
        ids(request_ids),
        picker(o.skew, o.skus, o.zipf_s),
        namer(o.sku_prefix, o.sku_width),
        timeout(absl::ToChronoNanoseconds(o.timeout)) {}

  bool Measuring() const { return phase.load(std::memory_order_relaxed) == kMeasure; }
  bool Stopping() const { return phase.load(std::memory_order_relaxed) == kStop; }

  void PrepareContext(grpc::ClientContext* context) const {
    context->AddMetadata(kActorHeader, options.actor);
    if (!options.authorization.empty()) {
      context->AddMetadata("authorization", options.authorization);
    }
    context->set_deadline(std::chrono::system_clock::now() + timeout);
  }

  void RecordError(int code, bool measuring, uint64_t count = 1) {
    if (!measuring) return;
    if (code < 0 || code >= kStatusCodes) code = static_cast<int>(grpc::StatusCode::UNKNOWN);
    errors[code].fetch_add(count, std::memory_order_relaxed);
  }
  void RecordRpcOk(bool measuring) {
    if (measuring) rpcs_ok.fetch_add(1, std::memory_order_relaxed);
  }
  void OpDone() { ops_done.fetch_add(1, std::memory_order_relaxed); }

  // The slot will issue no more calls. The last one wakes the driver.
  void Retire() {
    if (live_slots.fetch_sub(1, std::memory_order_acq_rel) == 1) all_retired.Notify();
  }

  // Paced: slot `index` is free for the pacer's next issue. Once the free list is closed
  // (the run stopped) the slot retires instead.
  void ReturnSlot(int index) {
    {
      absl::MutexLock lock(&idle_mu);
      if (!idle_closed) {
        idle.push_back(index);
        return;
      }
    }
    Retire();
  }
  // Paced: a free slot's index, or -1 when every slot is busy. The one free longest, so
  // successive issues rotate over the slots, hence over the channels.
  int TakeSlot() {
    absl::MutexLock lock(&idle_mu);
    if (idle.empty()) return -1;
    const int index = idle.front();
    idle.pop_front();
    return index;
  }
  // Paced, at the stop: no slot will be issued again; the free ones retire now, the busy
  // ones when their op completes.
  void CloseSlots() {
    size_t free_slots = 0;
    {
      absl::MutexLock lock(&idle_mu);
      idle_closed = true;
      free_slots = idle.size();
      idle.clear();
    }
    for (size_t i = 0; i < free_slots; ++i) Retire();
  }

  const BenchOptions& options;
  RequestIds* ids;
  const SkuPicker picker;
  const SkuNamer namer;
  const std::chrono::nanoseconds timeout;

  // Roles of the series (owned by the RunResult): the op, and its first/second RPC
  // when the op makes two.
  Series* op_series = nullptr;
  Series* first_rpc_series = nullptr;
  Series* second_rpc_series = nullptr;

  std::atomic<int> phase{kWarmup};
  std::array<std::atomic<uint64_t>, kStatusCodes> errors{};
  std::atomic<uint64_t> rpcs_ok{0};
  std::atomic<uint64_t> ops_done{0};      // every phase, OK or not: for --progress
  std::atomic<uint64_t> failed_lines{0};  // setup: Count ops that did not apply
  std::atomic<int> live_slots{0};
  absl::Notification all_retired;

  // Open loop (--rate): a pacer thread issues; completions return their slot here.
  bool paced = false;
  absl::Mutex idle_mu;
  std::deque<int> idle ABSL_GUARDED_BY(idle_mu);  // indexes of the free slots, FIFO
  bool idle_closed ABSL_GUARDED_BY(idle_mu) = false;
  // Written by the pacer thread only; counted in the measurement window.
  std::atomic<uint64_t> paced_due{0};
  std::atomic<uint64_t> paced_issued{0};
  std::atomic<uint64_t> paced_skipped{0};
  std::atomic<uint64_t> paced_late{0};
  std::atomic<int64_t> paced_max_lag_ns{0};

  // Setup: the next chunk of rows to load, and how many there are.
  std::atomic<int64_t> next_chunk{0};
  int64_t chunks = 0;
  int64_t rows = 0;
};

}  // namespace stockd::bench

#endif  // STOCKD_BENCH_DRIVER_SHARED_H_
