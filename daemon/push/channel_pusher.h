// Desired-state reconciliation for one channel: keeps the channel's published quantity
// of every SKU equal to what the engine decided, through the channel's adapter.
//
// * Offer(sku, desired) marks the SKU dirty with the latest desired value (coalescing:
//   1,000 changes of one SKU while a push is in flight become one more push). Offer
//   never blocks on the adapter: it takes the pusher's lock for a map update.
// * A worker thread drains dirty SKUs in batches of up to max_batch, oldest first, with a
//   priority lane for sold-out crossings (the channel shows > 0 and must show 0, or the
//   reverse) that overtakes any backlog; honours a token-bucket rate limit (items/s),
//   Retry-After, and exponential backoff with jitter; and records what the channel
//   acknowledged in the AckStore, so a restart re-sends nothing acknowledged.
// * Items the channel rejects permanently are not retried until their desired value
//   changes or an operator resyncs.
// * Resync compares the channel's own quantities (adapter fetch) — or, without fetch,
//   the acknowledged ones — with the desired ones and pushes corrections. It is a task
//   queued for the worker (at most max_queued_resyncs wait; more are refused) and
//   answered through a callback: no thread waits for it.
// * RunOnWorker queues any other job that needs the channel's adapter (the three-way
//   reconciliation's fetch and order poll, daemon/reconcile/) the same way: it runs on
//   the worker between pushes, with State and Correct to read and fix the pusher's view.
// * Stop answers every queued Resync with UNAVAILABLE and interrupts the adapter call in
//   progress (Adapter::Interrupt), so stopping is prompt even when the channel hangs.
//
// The mechanisms are parts of their own: DirtyQueue (dirty SKUs, lanes, coalescing
// window), TokenBucket (rate limit), Backoff (retry delays) and LatencyRing (push-status
// latencies). This class is the worker loop that composes them, under one mutex, with
// the channel's acknowledged and rejected quantities, the ack saves and the Resync tasks.
//
// A slow or hung adapter only holds up its own worker: the engine and other channels are
// untouched. Adapter messages reach Stats().last_error through util::RedactSecrets.
//
// Thread safety: Offer, Resync, Stop and the accessors are thread-safe; Start once, from
// the owner.
#ifndef STOCKD_DAEMON_PUSH_CHANNEL_PUSHER_H_
#define STOCKD_DAEMON_PUSH_CHANNEL_PUSHER_H_

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "daemon/engine/clock.h"
#include "daemon/engine/push_report.h"
#include "daemon/plugins/adapter.h"
#include "daemon/push/ack_store.h"
#include "daemon/push/backoff.h"
#include "daemon/push/dirty_queue.h"
#include "daemon/push/latency_ring.h"
#include "daemon/push/token_bucket.h"
#include "daemon/util/log.h"

namespace stockd::push {

// The push engine drives adapter plugins through the plugins layer's types.
using plugins::Adapter;
using plugins::PushItem;
using plugins::PushResult;

struct PusherOptions {
  std::string channel;
  int max_batch = 100;         // capped by the adapter's own maximum
  double rate_per_second = 0;  // items/s; 0 = unlimited
  int burst = 0;               // bucket size; 0 = max(1, rate)
  int64_t retry_initial_ms = 200;
  int64_t retry_max_ms = 60'000;
  // A SKU pushed less than this long ago waits for the rest of the window (its latest
  // value then goes out), so a SKU changing 1,000 times a second costs one or two
  // pushes, not one per round trip. Sold-out crossings ignore the window. 0 = off.
  int64_t coalesce_window_ms = 1000;
  // Resyncs waiting behind the one in progress; one more is refused (RESOURCE_EXHAUSTED).
  int max_queued_resyncs = 4;
  absl::flat_hash_map<std::string, std::string> listings;  // sku -> listing id
  // Never overwrite a sale (docs/orders.md): when the channel refuses a compare-and-set
  // (PushResult::kConflict: it sold units stockd has not ingested yet), the SKU waits
  // until this returns a time after the conflict — the start of the latest poll of the
  // channel's orders that is wholly durable — so its published quantity includes the
  // sale; then the channel's number is read back (fetch) and the push goes again from
  // it. Empty: the channel's orders are not ingested; a conflict is read back at once.
  std::function<int64_t()> orders_ingested_until;
  // Push failures, at warn (may be empty): a batch that failed as a whole (the channel
  // pauses for its backoff), items the channel rejected for good, a failed ack save.
  // Called on the worker with no lock held.
  log::Sink log;
};

// The reports are engine values (daemon/engine/push_report.h), so the api layer can
// map them without depending on push.
using DriftItem = engine::DriftItem;
using DriftReport = engine::DriftReport;
using PusherStats = engine::PusherStats;

class ChannelPusher {
 public:
  // Every SKU the channel should show, with its published quantity. Called on the worker
  // when the Resync starts, so it sees the latest state.
  using DesiredFn = std::function<std::vector<std::pair<std::string, int64_t>>()>;
  // Receives a Resync's outcome, exactly once, on the worker, on the thread that called
  // Stop, or (refused at once) on the caller's thread; never under the pusher's lock.
  using ResyncDone = std::function<void(absl::StatusOr<DriftReport>)>;
  // A job for the worker with the channel's adapter (not owned; valid during the call).
  using WorkerJob = std::function<void(Adapter* adapter)>;
  // Why a job was not run: RESOURCE_EXHAUSTED, UNAVAILABLE (draining).
  using JobRefused = std::function<void(absl::Status why)>;
  // What the pusher knows of one SKU now.
  struct SkuState {
    int64_t acked = -1;  // what the channel last acknowledged; -1 never
    bool dirty = false;  // a push of it is queued (or waiting out a retry)
  };

  ChannelPusher(PusherOptions options, std::unique_ptr<Adapter> adapter, AckStore* acks,
                const engine::Clock* clock);
  ~ChannelPusher();  // Stop()
  ChannelPusher(const ChannelPusher&) = delete;
  ChannelPusher& operator=(const ChannelPusher&) = delete;

  // What the channel acknowledged before (from the AckStore). Call before Start.
  void LoadAcked(absl::flat_hash_map<std::string, int64_t> acked);
  void Start();
  // Interrupts the adapter call in flight, answers every queued Resync with UNAVAILABLE
  // ("draining"), and joins the worker. What is still dirty is re-derived at the next
  // start from the engine and the acknowledged values. Idempotent.
  void Stop();

  void Offer(const std::string& sku, int64_t desired);

  // Queues a comparison of the channel with `desired()` for the worker (between pushes);
  // `force`: re-push every SKU. `done` gets the DriftReport, or RESOURCE_EXHAUSTED when
  // max_queued_resyncs already wait, UNAVAILABLE when the pusher is stopping or stopped
  // (also for a queued one at Stop, or one whose fetch Stop interrupted).
  void Resync(DesiredFn desired, bool force, ResyncDone done);

  // Queues `run` for the worker like a Resync (same bound, same queue, same answers at
  // Stop); exactly one of `run` (on the worker, between pushes: no push is in flight
  // while it runs) and `refused` (on the caller's thread or Stop's) is called.
  void RunOnWorker(WorkerJob run, JobRefused refused);
  SkuState State(const std::string& sku) const;
  // The channel shows `channel_quantity` (its own number; -1 none) where it should show
  // `desired`: records that number as what the channel shows and queues a forced push of
  // `desired`, as a Resync does for a drifted SKU.
  void Correct(const std::string& sku, int64_t channel_quantity, int64_t desired);
  // Stop has begun: an adapter call made now or in progress gives up.
  bool interrupted() const { return interrupted_.load(); }
  // The UNAVAILABLE a job that Stop cut short answers.
  absl::Status Draining() const;

  PusherStats Stats() const;
  // -1 when the channel never acknowledged the SKU.
  int64_t Acked(const std::string& sku) const;
  // Every SKU's acknowledged quantity (a reload hands a changed adapter's successor
  // what its predecessor knew, saved or not).
  ShownMap AckedAll() const;
  // Nothing dirty and no push in flight.
  bool Idle() const;
  const std::string& channel() const { return options_.channel; }
  std::string ListingId(const std::string& sku) const;

 private:
  // A Resync or a RunOnWorker job: `run` does the work on the worker and returns what to
  // call once the pusher's bookkeeping is done (a Resync's answer); `refuse` answers it
  // instead when it will not run.
  struct PendingResync {
    std::function<std::function<void()>()> run;
    std::function<void(absl::Status)> refuse;
  };
  void Queue(PendingResync job);

  void WorkerLoop() ABSL_LOCKS_EXCLUDED(mu_);
  // The worker's three kinds of work, each taking mu_ only around its bookkeeping.
  void RunResync(PendingResync& resync) ABSL_LOCKS_EXCLUDED(mu_);
  // Pushes `batch` and applies the outcome; adds what is due to be saved to *to_save.
  // `ingested_until`: orders_ingested_until() read before the batch was taken.
  void PushBatch(const std::vector<DirtyQueue::Item>& batch, int64_t ingested_until,
                 std::vector<std::pair<std::string, int64_t>>* to_save) ABSL_LOCKS_EXCLUDED(mu_);
  // Of `batch`, the SKUs the channel refused a compare-and-set for: those whose orders are
  // not ingested past the conflict yet are put back (removed from *batch); the others get
  // the channel's number read back into acked_ (their `previous`).
  void SettleConflicts(std::vector<DirtyQueue::Item>* batch, int64_t ingested_until)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Saves acknowledged quantities; after a failure keeps them for a later, backed-off try.
  void SaveAcks(const std::vector<std::pair<std::string, int64_t>>& to_save)
      ABSL_LOCKS_EXCLUDED(mu_);
  void OfferLocked(const std::string& sku, int64_t desired, bool force)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Picks the next batch; empty when nothing is due. Sets *wait_ms to when to look again.
  std::vector<DirtyQueue::Item> TakeBatch(int64_t now, int64_t* wait_ms)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Returns the failures worth a warning ("" when none), for the caller to log once it
  // released mu_.
  std::string ApplyResults(const std::vector<DirtyQueue::Item>& sent,
                           const std::vector<PushResult>& results, int64_t now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // False while a failed ack save backs off (no attempt before save_retry_at_ms_).
  bool SaveDue() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return clock_->NowMs() >= save_retry_at_ms_;
  }
  absl::StatusOr<DriftReport> DoResync(const std::vector<std::pair<std::string, int64_t>>& desired,
                                       bool force) ABSL_LOCKS_EXCLUDED(mu_);
  // Counts an acknowledged SKU's latency in stats_'s histogram.
  void AddLatency(int64_t latency_ms) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Records an adapter's or the ack store's message, redacted.
  void SetLastError(const std::string& message) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const PusherOptions options_;
  const std::unique_ptr<Adapter> adapter_;  // worker thread only (and Resync, on the worker)
  AckStore* const acks_;
  const engine::Clock* const clock_;
  const int max_batch_;

  mutable absl::Mutex mu_;
  absl::CondVar wake_;
  DirtyQueue dirty_ ABSL_GUARDED_BY(mu_);
  ShownMap acked_ ABSL_GUARDED_BY(mu_);  // what the channel acknowledged
  // Quantities the channel refused for good: not offered again until they change.
  absl::flat_hash_map<std::string, int64_t> rejected_ ABSL_GUARDED_BY(mu_);
  // SKUs whose last push the channel refused as a conflict, and when.
  absl::flat_hash_map<std::string, int64_t> conflicts_ ABSL_GUARDED_BY(mu_);
  TokenBucket tokens_ ABSL_GUARDED_BY(mu_);
  // One schedule (and one random generator) for SKU retries, channel pauses and ack saves.
  Backoff backoff_ ABSL_GUARDED_BY(mu_);
  LatencyRing latencies_ ABSL_GUARDED_BY(mu_);
  std::vector<std::pair<std::string, int64_t>> unsaved_ ABSL_GUARDED_BY(mu_);
  int save_failures_ ABSL_GUARDED_BY(mu_) = 0;         // consecutive failed ack saves
  int64_t save_retry_at_ms_ ABSL_GUARDED_BY(mu_) = 0;  // no save attempt before this
  std::deque<PendingResync> resyncs_ ABSL_GUARDED_BY(mu_);
  bool resync_running_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::atomic<bool> interrupted_{false};  // set by Stop; read by the worker without mu_
  bool pushing_ ABSL_GUARDED_BY(mu_) = false;
  int64_t paused_until_ms_ ABSL_GUARDED_BY(mu_) = 0;
  int channel_failures_ ABSL_GUARDED_BY(mu_) = 0;  // consecutive batches that all failed
  bool throttled_ ABSL_GUARDED_BY(mu_) = false;   // waiting for the rate limit now
  PusherStats stats_ ABSL_GUARDED_BY(mu_);
  std::thread worker_;
};

}  // namespace stockd::push

#endif  // STOCKD_DAEMON_PUSH_CHANNEL_PUSHER_H_
