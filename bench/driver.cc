#include "bench/driver.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <deque>
#include <optional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "bench/driver_shared.h"
#include "bench/echo.grpc.pb.h"
#include "bench/pacing.h"
#include "bench/proc_cpu.h"
#include "bench/session_load.h"
#include "daemon/util/status_names.h"
#include "stockd/v1/stockd.grpc.pb.h"

namespace stockd::bench {
namespace {

using StockStub = stockd::v1::Stock::Stub;
using EchoStub = stockd::bench::v1::Echo::Stub;

double ProcessCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

stockd::v1::ReserveRequest SampleReserveRequest(const BenchOptions& options) {
  SkuNamer namer(options.sku_prefix, options.sku_width);
  stockd::v1::ReserveRequest request;
  // A request id of the shape RequestIds makes, with a counter of a typical run.
  request.set_request_id(absl::StrCat(options.id_prefix, "0123456789abcdef-1234567"));
  request.set_channel(options.channel_name);
  request.set_ttl_ms(absl::ToInt64Milliseconds(options.ttl));
  stockd::v1::HoldLine* line = request.add_lines();
  namer.Name(options.skus / 2, line->mutable_sku());
  line->set_qty(1);
  return request;
}

}  // namespace

absl::string_view StatusCodeName(int code) { return util::StatusCodeName(code); }

uint64_t RunResult::total_errors() const {
  uint64_t total = 0;
  for (uint64_t n : errors) total += n;
  return total;
}

int64_t SingleLineReserveRequestBytes(const BenchOptions& options) {
  return static_cast<int64_t>(SampleReserveRequest(options).ByteSizeLong());
}

int64_t SingleLineReserveResponseBytes(const BenchOptions& options) {
  // What the daemon answers: the hold with its id ("h<hex ms>-<counter>"), state, the
  // line with its location, and the timestamps.
  stockd::v1::ReserveRequest request = SampleReserveRequest(options);
  stockd::v1::ReserveResponse response;
  stockd::v1::Hold* hold = response.mutable_hold();
  hold->set_hold_id("h18f0a1b2c3d-1234567");
  hold->set_channel(request.channel());
  hold->set_state(stockd::v1::HELD);
  stockd::v1::HoldLine* line = hold->add_lines();
  line->set_sku(request.lines(0).sku());
  line->set_location(options.locations.front());
  line->set_qty(1);
  const int64_t now_ms = 1'750'000'000'000;
  hold->set_created_ms(now_ms);
  hold->set_updated_ms(now_ms);
  hold->set_deadline_ms(now_ms + request.ttl_ms());
  return static_cast<int64_t>(response.ByteSizeLong());
}

namespace {

using Shared = Driver::Shared;

// One in-flight position of the closed loop. Exactly one call of a slot is outstanding
// at a time, so its members need no lock: each completion runs after the call it
// completes was issued, and issues the next one.
class Slot {
 public:
  Slot(Shared* shared, uint64_t seed) : shared_(shared), rng_(seed) {}
  virtual ~Slot() = default;
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;

  // Issues the slot's next call, or retires the slot once the run stops.
  virtual void Issue() = 0;
  // Paced: issues the next op, which was due at `due_ns` (its latency counts from then).
  void IssueAt(int64_t due_ns) {
    due_ns_ = due_ns;
    Issue();
  }
  void set_index(int index) { index_ = index; }

 protected:
  // When the op being issued started: its due time when paced, else now.
  int64_t StartNs() {
    const int64_t due = due_ns_;
    due_ns_ = -1;
    return due >= 0 ? due : NowNanos();
  }

  // The slot's op is over (OK or not): closed loop, the next one goes out at once;
  // paced, the slot waits in the free list for the pacer.
  void Next() {
    if (shared_->paced) {
      shared_->ReturnSlot(index_);
    } else {
      Issue();
    }
  }

  // A context for the next call. The previous call has completed, so its context may go
  // (gRPC keeps its own reference to the call until the callback has returned).
  grpc::ClientContext* FreshContext() {
    context_.emplace();
    shared_->PrepareContext(&*context_);
    return &*context_;
  }

  // Completion of a one-RPC operation (sell, echo): records it, issues the next.
  void OnSingleCallDone(const grpc::Status& status) {
    const int64_t now = NowNanos();
    const bool measuring = shared_->Measuring();
    shared_->OpDone();
    if (!status.ok()) {
      shared_->RecordError(status.error_code(), measuring);
    } else if (measuring) {
      shared_->RecordRpcOk(measuring);
      shared_->op_series->RecordOk(now - start_ns_, 1);
    }
    Next();
  }

  Shared* shared_;
  Rng rng_;
  std::optional<grpc::ClientContext> context_;
  int64_t start_ns_ = 0;

 private:
  int index_ = 0;
  int64_t due_ns_ = -1;
};

// reserve, batch (one Reserve of many lines), reserve-commit, reserve-release.
class ReserveSlot final : public Slot {
 public:
  enum class FollowUp { kNone, kCommit, kRelease };

  ReserveSlot(Shared* shared, uint64_t seed, StockStub* stub, int lines, FollowUp follow_up)
      : Slot(shared, seed), stub_(stub), lines_(lines), follow_up_(follow_up) {
    const BenchOptions& o = shared->options;
    reserve_.set_channel(o.channel_name);
    reserve_.set_ttl_ms(absl::ToInt64Milliseconds(o.ttl));
    for (int i = 0; i < lines_; ++i) reserve_.add_lines()->set_qty(1);
  }

  void Issue() override {
    if (shared_->Stopping()) {
      shared_->Retire();
      return;
    }
    shared_->ids->Next(reserve_.mutable_request_id());
    if (lines_ == 1) {
      shared_->namer.Name(shared_->picker.Pick(rng_), reserve_.mutable_lines(0)->mutable_sku());
    } else {
      shared_->picker.PickDistinct(rng_, lines_, &picked_);
      for (int i = 0; i < lines_; ++i) {
        shared_->namer.Name(picked_[i], reserve_.mutable_lines(i)->mutable_sku());
      }
    }
    reserve_response_.Clear();
    start_ns_ = StartNs();
    stub_->async()->Reserve(FreshContext(), &reserve_, &reserve_response_,
                            [this](grpc::Status status) { OnReserved(status); });
  }

 private:
  void OnReserved(const grpc::Status& status) {
    const int64_t now = NowNanos();
    const bool measuring = shared_->Measuring();
    if (!status.ok()) {
      shared_->RecordError(status.error_code(), measuring);
      shared_->OpDone();
      Next();
      return;
    }
    shared_->RecordRpcOk(measuring);
    if (follow_up_ == FollowUp::kNone) {
      if (measuring) shared_->op_series->RecordOk(now - start_ns_, lines_);
      shared_->OpDone();
      Next();
      return;
    }
    if (measuring) shared_->first_rpc_series->RecordOk(now - start_ns_, lines_);
    if (shared_->Stopping()) {  // the hold expires by its TTL
      shared_->Retire();
      return;
    }
    follow_start_ns_ = now;
    hold_response_.Clear();
    auto done = [this](grpc::Status status) { OnFollowUpDone(status); };
    if (follow_up_ == FollowUp::kCommit) {
      shared_->ids->Next(commit_.mutable_request_id());
      commit_.set_hold_id(reserve_response_.hold().hold_id());
      stub_->async()->Commit(FreshContext(), &commit_, &hold_response_, std::move(done));
    } else {
      shared_->ids->Next(release_.mutable_request_id());
      release_.set_hold_id(reserve_response_.hold().hold_id());
      stub_->async()->Release(FreshContext(), &release_, &hold_response_, std::move(done));
    }
  }

  void OnFollowUpDone(const grpc::Status& status) {
    const int64_t now = NowNanos();
    const bool measuring = shared_->Measuring();
    shared_->OpDone();
    if (!status.ok()) {
      shared_->RecordError(status.error_code(), measuring);
    } else if (measuring) {
      shared_->RecordRpcOk(measuring);
      shared_->second_rpc_series->RecordOk(now - follow_start_ns_, lines_);
      shared_->op_series->RecordOk(now - start_ns_, lines_);
    }
    Next();
  }

  StockStub* stub_;
  const int lines_;
  const FollowUp follow_up_;
  std::vector<int64_t> picked_;
  stockd::v1::ReserveRequest reserve_;
  stockd::v1::ReserveResponse reserve_response_;
  stockd::v1::CommitRequest commit_;
  stockd::v1::ReleaseRequest release_;
  stockd::v1::HoldResponse hold_response_;
  int64_t follow_start_ns_ = 0;
};

class SellSlot final : public Slot {
 public:
  SellSlot(Shared* shared, uint64_t seed, StockStub* stub) : Slot(shared, seed), stub_(stub) {
    const BenchOptions& o = shared->options;
    sell_.set_channel(o.sell_channel);
    sell_.set_location(o.sell_location);
    sell_.set_qty(1);
  }

  void Issue() override {
    if (shared_->Stopping()) {
      shared_->Retire();
      return;
    }
    shared_->ids->Next(sell_.mutable_request_id());
    shared_->namer.Name(shared_->picker.Pick(rng_), sell_.mutable_sku());
    response_.Clear();
    start_ns_ = StartNs();
    stub_->async()->Sell(FreshContext(), &sell_, &response_,
                         [this](grpc::Status status) { OnSingleCallDone(status); });
  }

 private:
  StockStub* stub_;
  stockd::v1::SellRequest sell_;
  stockd::v1::SellResponse response_;
};

class EchoSlot final : public Slot {
 public:
  EchoSlot(Shared* shared, uint64_t seed, EchoStub* stub) : Slot(shared, seed), stub_(stub) {
    request_.set_payload(std::string(static_cast<size_t>(shared->options.payload_bytes), 'x'));
    request_.set_reply_bytes(static_cast<int32_t>(shared->options.reply_bytes));
  }

  void Issue() override {
    if (shared_->Stopping()) {
      shared_->Retire();
      return;
    }
    reply_.Clear();
    start_ns_ = StartNs();
    stub_->async()->Echo(FreshContext(), &request_, &reply_,
                         [this](grpc::Status status) { OnSingleCallDone(status); });
  }

 private:
  EchoStub* stub_;
  stockd::bench::v1::EchoRequest request_;
  stockd::bench::v1::EchoReply reply_;
};

// Setup: takes the next chunk of (SKU, location) rows and sets them with one Batch call
// of Count ops; retires when no chunk is left.
class SetupSlot final : public Slot {
 public:
  SetupSlot(Shared* shared, uint64_t seed, StockStub* stub) : Slot(shared, seed), stub_(stub) {}

  void Issue() override {
    const int64_t chunk = shared_->next_chunk.fetch_add(1, std::memory_order_relaxed);
    if (chunk >= shared_->chunks) {
      shared_->Retire();
      return;
    }
    const BenchOptions& o = shared_->options;
    const int64_t locations = static_cast<int64_t>(o.locations.size());
    const int64_t first = chunk * o.setup_batch;
    const int64_t last = std::min<int64_t>(first + o.setup_batch, shared_->rows);
    batch_.mutable_ops()->Clear();  // keeps the cleared messages for reuse
    for (int64_t row = first; row < last; ++row) {
      stockd::v1::CountRequest* count = batch_.add_ops()->mutable_count();
      shared_->ids->Next(count->mutable_request_id());
      count->set_location(o.locations[row % locations]);
      shared_->namer.Name(row / locations, count->mutable_sku());
      count->set_on_hand(o.stock);
    }
    rows_in_call_ = last - first;
    response_.Clear();
    start_ns_ = NowNanos();
    stub_->async()->Batch(FreshContext(), &batch_, &response_,
                          [this](grpc::Status status) { OnDone(status); });
  }

 private:
  void OnDone(const grpc::Status& status) {
    const int64_t now = NowNanos();
    shared_->OpDone();
    if (!status.ok()) {
      shared_->RecordError(status.error_code(), true);
      shared_->failed_lines.fetch_add(rows_in_call_, std::memory_order_relaxed);
    } else {
      shared_->RecordRpcOk(true);
      uint64_t applied = 0;
      for (const stockd::v1::BatchResult& result : response_.results()) {
        if (result.code() == 0) {
          ++applied;
        } else {
          shared_->RecordError(result.code(), true);
        }
      }
      shared_->failed_lines.fetch_add(rows_in_call_ - applied, std::memory_order_relaxed);
      shared_->op_series->RecordOk(now - start_ns_, applied);
    }
    Issue();
  }

  StockStub* stub_;
  stockd::v1::BatchRequest batch_;
  stockd::v1::BatchResponse response_;
  int64_t rows_in_call_ = 0;
};

// Sleeps until `until`; with `progress`, wakes every second to print the op rate.
void SleepWithProgress(const Shared& shared, absl::Time until, absl::string_view label,
                       bool progress) {
  if (!progress) {
    absl::SleepFor(until - absl::Now());
    return;
  }
  absl::Time last = absl::Now();
  uint64_t last_ops = shared.ops_done.load(std::memory_order_relaxed);
  for (absl::Time now = last; now < until; now = absl::Now()) {
    absl::SleepFor(std::min(until, last + absl::Seconds(1)) - now);
    const absl::Time t = absl::Now();
    const uint64_t ops = shared.ops_done.load(std::memory_order_relaxed);
    std::string pacing;
    if (shared.paced) {
      pacing = absl::StrCat("   skipped ", shared.paced_skipped.load(std::memory_order_relaxed),
                            " late ", shared.paced_late.load(std::memory_order_relaxed),
                            " (in the window so far)");
    }
    std::fprintf(stderr, "stockd-bench: %-8s %10.0f ops/s%s\n", std::string(label).c_str(),
                 (ops - last_ops) / absl::ToDoubleSeconds(t - last), pacing.c_str());
    last = t;
    last_ops = ops;
  }
}

// The open loop's pacer thread: sleeps until the schedule's next issue is due and hands
// it to a free slot, which issues the call from this thread (gRPC's callback API takes
// calls from any thread); when every slot is busy the issue is skipped and counted. An
// issue the pacer reaches late (it overslept: a busy machine) still goes out if a slot
// is free, counted as late, its latency from its due time. Runs until the stop.
void Pace(Shared* shared, const std::vector<std::unique_ptr<Slot>>* slots, PaceSchedule schedule) {
  constexpr int64_t kMaxSleepNs = 100'000'000;  // notices the stop within 100 ms
  PaceCursor cursor(schedule);
  while (!shared->Stopping()) {
    int64_t now = NowNanos();
    while (std::optional<int64_t> due = cursor.TakeDue(now)) {
      const bool measuring = shared->Measuring();
      if (measuring) shared->paced_due.fetch_add(1, std::memory_order_relaxed);
      const int index = shared->TakeSlot();
      if (index < 0) {
        if (measuring) shared->paced_skipped.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      const int64_t lag = now - *due;
      if (measuring) {
        shared->paced_issued.fetch_add(1, std::memory_order_relaxed);
        if (lag >= kLateIssueNs) shared->paced_late.fetch_add(1, std::memory_order_relaxed);
        if (lag > shared->paced_max_lag_ns.load(std::memory_order_relaxed)) {
          shared->paced_max_lag_ns.store(lag, std::memory_order_relaxed);
        }
      }
      (*slots)[static_cast<size_t>(index)]->IssueAt(*due);
      now = NowNanos();
    }
    const int64_t wake = std::min(cursor.NextDueAt(), NowNanos() + kMaxSleepNs);
    std::this_thread::sleep_until(
        std::chrono::steady_clock::time_point(std::chrono::nanoseconds(wake)));
  }
}

}  // namespace

// ---------------------------------------------------------------- Driver

Driver::Driver(const BenchOptions& options, std::vector<std::shared_ptr<grpc::Channel>> channels,
               RequestIds* ids, uint64_t seed)
    : options_(options), channels_(std::move(channels)), ids_(ids), seed_(seed) {}

Driver::~Driver() = default;

std::unique_ptr<RunResult> Driver::Run() { return Drive(/*setup=*/false); }
std::unique_ptr<RunResult> Driver::Setup() { return Drive(/*setup=*/true); }

std::unique_ptr<RunResult> Driver::Drive(bool setup) {
  auto result = std::make_unique<RunResult>();
  auto shared = std::make_unique<Shared>(options_, ids_);
  auto add_series = [&](std::string name) {
    result->series.push_back(std::make_unique<Series>(std::move(name)));
    return result->series.back().get();
  };
  const Op op = options_.op;
  if (setup) {
    shared->op_series = add_series("setup-batch");
    shared->rows = options_.skus * static_cast<int64_t>(options_.locations.size());
    shared->chunks = (shared->rows + options_.setup_batch - 1) / options_.setup_batch;
  } else {
    shared->op_series = add_series(std::string(OpName(op)));
    if (op == Op::kReserveCommit || op == Op::kReserveRelease) {
      shared->first_rpc_series = add_series("reserve");
      shared->second_rpc_series = add_series(op == Op::kReserveCommit ? "commit" : "release");
    }
  }

  std::vector<std::unique_ptr<StockStub>> stock_stubs;
  std::vector<std::unique_ptr<EchoStub>> echo_stubs;
  for (const auto& channel : channels_) {
    stock_stubs.push_back(stockd::v1::Stock::NewStub(channel));
    echo_stubs.push_back(stockd::bench::v1::Echo::NewStub(channel));
  }

  const bool streams = !setup && options_.session;
  const int slot_count = setup ? options_.setup_inflight : (streams ? 0 : options_.inflight);
  shared->paced = !setup && options_.rate > 0;
  // --session: one stream per channel, the in-flight ops spread over them.
  std::vector<std::unique_ptr<StreamLoad>> stream_loads;
  for (int i = 0; streams && i < static_cast<int>(channels_.size()); ++i) {
    const int n = static_cast<int>(channels_.size());
    const int window = options_.inflight / n + (i < options_.inflight % n ? 1 : 0);
    const uint64_t seed = seed_ + 0x9e3779b97f4a7c15ULL * (i + 1);
    stream_loads.push_back(op == Op::kEcho
                               ? MakeEchoStreamLoad(shared.get(), seed, echo_stubs[i].get(), window)
                               : MakeSessionLoad(shared.get(), seed, stock_stubs[i].get(), window));
  }
  std::vector<std::unique_ptr<Slot>> slots;
  for (int i = 0; i < slot_count; ++i) {
    const size_t channel = static_cast<size_t>(i) % channels_.size();
    StockStub* stock = stock_stubs[channel].get();
    const uint64_t seed = seed_ + 0x9e3779b97f4a7c15ULL * (i + 1);
    using FollowUp = ReserveSlot::FollowUp;
    if (setup) {
      slots.push_back(std::make_unique<SetupSlot>(shared.get(), seed, stock));
      continue;
    }
    switch (op) {
      case Op::kReserve:
        slots.push_back(
            std::make_unique<ReserveSlot>(shared.get(), seed, stock, 1, FollowUp::kNone));
        break;
      case Op::kBatch:
        slots.push_back(std::make_unique<ReserveSlot>(shared.get(), seed, stock, options_.lines,
                                                      FollowUp::kNone));
        break;
      case Op::kReserveCommit:
        slots.push_back(
            std::make_unique<ReserveSlot>(shared.get(), seed, stock, 1, FollowUp::kCommit));
        break;
      case Op::kReserveRelease:
        slots.push_back(
            std::make_unique<ReserveSlot>(shared.get(), seed, stock, 1, FollowUp::kRelease));
        break;
      case Op::kSell:
        slots.push_back(std::make_unique<SellSlot>(shared.get(), seed, stock));
        break;
      case Op::kEcho:
        slots.push_back(std::make_unique<EchoSlot>(shared.get(), seed, echo_stubs[channel].get()));
        break;
    }
    slots.back()->set_index(i);
  }

  shared->live_slots.store(streams ? static_cast<int>(stream_loads.size()) : slot_count);
  const bool warm_up = !setup && options_.warmup > absl::ZeroDuration();
  shared->phase.store(warm_up ? kWarmup : kMeasure);
  absl::Time begin = absl::Now();
  double cpu_begin = ProcessCpuSeconds();
  const bool server_cpu = !options_.server_pids.empty();
  double server_begin = server_cpu ? TreeCpuSeconds(options_.server_pids) : 0;
  std::thread pacer;
  if (shared->paced) {
    {
      absl::MutexLock lock(&shared->idle_mu);
      for (int i = 0; i < slot_count; ++i) shared->idle.push_back(i);
    }
    pacer = std::thread(Pace, shared.get(), &slots, PaceSchedule(options_.rate, NowNanos()));
  } else {
    for (auto& slot : slots) slot->Issue();
    for (auto& stream : stream_loads) stream->Start();
  }

  absl::Time end;
  double cpu_end = 0;
  if (setup) {
    while (!shared->all_retired.WaitForNotificationWithTimeout(absl::Seconds(1))) {
      if (options_.progress) {
        std::fprintf(stderr, "stockd-bench: setup %ld/%ld calls\n",
                     static_cast<long>(shared->ops_done.load()), static_cast<long>(shared->chunks));
      }
    }
    end = absl::Now();
    cpu_end = ProcessCpuSeconds();
    if (server_cpu) {
      result->server_cpu_seconds = TreeCpuSeconds(options_.server_pids) - server_begin;
    }
  } else {
    if (warm_up) {
      SleepWithProgress(*shared, begin + options_.warmup, "warmup", options_.progress);
      begin = absl::Now();
      cpu_begin = ProcessCpuSeconds();
      if (server_cpu) server_begin = TreeCpuSeconds(options_.server_pids);
      shared->phase.store(kMeasure);
    }
    SleepWithProgress(*shared, begin + options_.duration, "measure", options_.progress);
    shared->phase.store(kStop);
    end = absl::Now();
    cpu_end = ProcessCpuSeconds();
    if (server_cpu) {
      result->server_cpu_seconds = TreeCpuSeconds(options_.server_pids) - server_begin;
    }
    if (pacer.joinable()) {
      pacer.join();
      shared->CloseSlots();
    }
    result->drained =
        shared->all_retired.WaitForNotificationWithTimeout(options_.timeout + absl::Seconds(5));
  }

  result->seconds = absl::ToDoubleSeconds(end - begin);
  result->client_cpu_seconds = cpu_end - cpu_begin;
  result->rpcs_ok = shared->rpcs_ok.load();
  result->failed_lines = shared->failed_lines.load();
  for (int code = 0; code < kStatusCodes; ++code)
    result->errors[code] = shared->errors[code].load();
  if (shared->paced) {
    result->pacing.rate = options_.rate;
    result->pacing.due = shared->paced_due.load();
    result->pacing.issued = shared->paced_issued.load();
    result->pacing.skipped = shared->paced_skipped.load();
    result->pacing.late = shared->paced_late.load();
    result->pacing.max_lag_ns = shared->paced_max_lag_ns.load();
  }

  if (!result->drained) {
    // Calls are still outstanding and will complete into these objects: keep them.
    // The process reports and exits next.
    shared.release();
    for (auto& slot : slots) slot.release();
    for (auto& stream : stream_loads) stream.release();
    for (auto& stub : stock_stubs) stub.release();
    for (auto& stub : echo_stubs) stub.release();
    // Series are read by the report while late completions may still record into them;
    // those are outside the window and do not record (phase is kStop).
  }
  return result;
}

}  // namespace stockd::bench
