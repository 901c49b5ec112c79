#include "bench/session_load.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "bench/driver_shared.h"

namespace stockd::bench {
namespace {

using Shared = Driver::Shared;

// The loop, over any stream whose messages carry tagged items. Tags are slot numbers
// 0..window-1: each slot has exactly one op outstanding.
template <typename Request, typename Response>
class StreamLoop : public StreamLoad, public grpc::ClientBidiReactor<Request, Response> {
 public:
  StreamLoop(Shared* shared, uint64_t seed, int window)
      : shared_(shared), rng_(seed), window_(window), sent_ns_(static_cast<size_t>(window)) {}

  void Start() override {
    context_.AddMetadata(kActorHeader, shared_->options.actor);
    if (!shared_->options.authorization.empty()) {
      context_.AddMetadata("authorization", shared_->options.authorization);
    }
    // The stream lives for the whole run (each op's own deadline is not the point here:
    // a stalled op shows in the latency and in the drain).
    const absl::Duration life = shared_->options.warmup + shared_->options.duration +
                                shared_->options.timeout + absl::Seconds(30);
    context_.set_deadline(std::chrono::system_clock::now() + absl::ToChronoNanoseconds(life));
    StartRpc(&context_);
    this->StartRead(&response_);
    this->StartCall();
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;  // the stream ended: OnDone follows
    const int64_t now = NowNanos();
    const bool measuring = shared_->Measuring();
    bool write = false;
    bool close = false;
    {
      absl::MutexLock lock(&mu_);
      if (!started_) {
        started_ = true;
        window_ = std::min(window_, Credit(response_));
        for (int slot = 0; slot < window_ && !shared_->Stopping(); ++slot) {
          QueueLocked(static_cast<uint64_t>(slot), now);
        }
      }
      results_.clear();
      Results(response_, &results_);
      for (const auto& [tag, code] : results_) {
        shared_->OpDone();
        if (code != 0) {
          shared_->RecordError(code, measuring);
        } else if (measuring) {
          shared_->RecordRpcOk(measuring);
          shared_->op_series->RecordOk(now - sent_ns_[tag], 1);
        }
        --outstanding_;
        if (!shared_->Stopping()) QueueLocked(tag, now);
      }
      write = TakeWriteLocked();
      close = TakeCloseLocked();
    }
    if (write) this->StartWrite(&writing_msg_);
    if (close) this->StartWritesDone();
    this->StartRead(&response_);
  }

  void OnWriteDone(bool ok) override {
    bool write = false;
    bool close = false;
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      if (!ok) return;  // the stream broke: reads fail and OnDone follows
      write = TakeWriteLocked();
      close = TakeCloseLocked();
    }
    if (write) this->StartWrite(&writing_msg_);
    if (close) this->StartWritesDone();
  }

  void OnDone(const grpc::Status& status) override {
    if (!status.ok()) shared_->RecordError(status.error_code(), shared_->Measuring());
    shared_->Retire();
  }

 protected:
  virtual void StartRpc(grpc::ClientContext* context) = 0;
  virtual int Credit(const Response& first) const = 0;
  // Adds the next op of `tag` to the message being built.
  virtual void AddOp(uint64_t tag, Request* message) = 0;
  virtual void Results(const Response& response,
                       std::vector<std::pair<uint64_t, int>>* out) const = 0;

  Shared* const shared_;
  Rng rng_;

 private:
  void QueueLocked(uint64_t tag, int64_t now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    sent_ns_[tag] = now;
    AddOp(tag, &pending_);
    ++queued_;
    ++outstanding_;
  }
  // A write is due: the ops queued go out (the caller starts it outside the lock).
  bool TakeWriteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (writing_ || queued_ == 0) return false;
    writing_msg_.Clear();
    writing_msg_.Swap(&pending_);
    queued_ = 0;
    writing_ = true;
    return true;
  }
  // Stopped and everything answered: half-close once.
  bool TakeCloseLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (closed_ || !shared_->Stopping() || outstanding_ > 0 || writing_) return false;
    closed_ = true;
    return true;
  }

  grpc::ClientContext context_;
  Response response_;  // the read buffer: one read outstanding at a time
  absl::Mutex mu_;
  int window_ ABSL_GUARDED_BY(mu_);
  std::vector<int64_t> sent_ns_ ABSL_GUARDED_BY(mu_);  // by tag: when its op was queued
  std::vector<std::pair<uint64_t, int>> results_ ABSL_GUARDED_BY(mu_);
  Request pending_ ABSL_GUARDED_BY(mu_);
  Request writing_msg_;                       // owned by the write in flight while writing_
  int queued_ ABSL_GUARDED_BY(mu_) = 0;       // ops in pending_
  int outstanding_ ABSL_GUARDED_BY(mu_) = 0;  // ops queued or sent, not yet answered
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

class SessionLoad final
    : public StreamLoop<stockd::v1::SessionRequest, stockd::v1::SessionResponse> {
 public:
  SessionLoad(Shared* shared, uint64_t seed, stockd::v1::Stock::Stub* stub, int window)
      : StreamLoop(shared, seed, window), stub_(stub) {}

 protected:
  void StartRpc(grpc::ClientContext* context) override { stub_->async()->Session(context, this); }
  int Credit(const stockd::v1::SessionResponse& first) const override {
    return static_cast<int>(std::min<uint32_t>(first.credit(), std::numeric_limits<int>::max()));
  }
  void AddOp(uint64_t tag, stockd::v1::SessionRequest* message) override {
    const BenchOptions& o = shared_->options;
    stockd::v1::SessionOp* op = message->add_ops();
    op->set_tag(tag);
    if (o.op == Op::kSell) {
      stockd::v1::SellRequest* sell = op->mutable_op()->mutable_sell();
      shared_->ids->Next(sell->mutable_request_id());
      sell->set_channel(o.sell_channel);
      sell->set_location(o.sell_location);
      shared_->namer.Name(shared_->picker.Pick(rng_), sell->mutable_sku());
      sell->set_qty(1);
      return;
    }
    stockd::v1::ReserveRequest* reserve = op->mutable_op()->mutable_reserve();
    shared_->ids->Next(reserve->mutable_request_id());
    reserve->set_channel(o.channel_name);
    reserve->set_ttl_ms(absl::ToInt64Milliseconds(o.ttl));
    stockd::v1::HoldLine* line = reserve->add_lines();
    shared_->namer.Name(shared_->picker.Pick(rng_), line->mutable_sku());
    line->set_qty(1);
  }
  void Results(const stockd::v1::SessionResponse& response,
               std::vector<std::pair<uint64_t, int>>* out) const override {
    for (const stockd::v1::SessionResult& r : response.results()) {
      out->emplace_back(r.tag(), r.result().code());
    }
  }

 private:
  stockd::v1::Stock::Stub* const stub_;
};

class EchoStreamLoad final
    : public StreamLoop<stockd::bench::v1::EchoBatch, stockd::bench::v1::EchoBatch> {
 public:
  EchoStreamLoad(Shared* shared, uint64_t seed, stockd::bench::v1::Echo::Stub* stub, int window)
      : StreamLoop(shared, seed, window),
        stub_(stub),
        payload_(static_cast<size_t>(shared->options.payload_bytes), 'x') {}

 protected:
  void StartRpc(grpc::ClientContext* context) override {
    stub_->async()->EchoStream(context, this);
  }
  int Credit(const stockd::bench::v1::EchoBatch&) const override {
    return std::numeric_limits<int>::max();
  }
  void AddOp(uint64_t tag, stockd::bench::v1::EchoBatch* message) override {
    message->set_reply_bytes(static_cast<int32_t>(shared_->options.reply_bytes));
    stockd::bench::v1::EchoItem* item = message->add_items();
    item->set_tag(tag);
    item->set_payload(payload_);
  }
  void Results(const stockd::bench::v1::EchoBatch& response,
               std::vector<std::pair<uint64_t, int>>* out) const override {
    for (const stockd::bench::v1::EchoItem& item : response.items())
      out->emplace_back(item.tag(), 0);
  }

 private:
  stockd::bench::v1::Echo::Stub* const stub_;
  const std::string payload_;
};

}  // namespace

std::unique_ptr<StreamLoad> MakeSessionLoad(Driver::Shared* shared, uint64_t seed,
                                            stockd::v1::Stock::Stub* stub, int window) {
  return std::make_unique<SessionLoad>(shared, seed, stub, window);
}

std::unique_ptr<StreamLoad> MakeEchoStreamLoad(Driver::Shared* shared, uint64_t seed,
                                               stockd::bench::v1::Echo::Stub* stub, int window) {
  return std::make_unique<EchoStreamLoad>(shared, seed, stub, window);
}

}  // namespace stockd::bench
