// Three-way reconciliation of a channel (docs/orders.md, "Built so far: reconciliation"):
// per SKU the push engine publishes to the channel, stockd's published quantity, the last
// quantity the channel acknowledged, the channel's own number (the adapter's fetch) and
// the units of the channel's orders stockd has not ingested yet, each SKU classified
// (classify.h). Drifted SKUs get a forced push.
//
// The work runs on the channel's push worker (ChannelPusher::RunOnWorker) with the push
// engine's own plugin instance: its fetch, and a poll of the channel's orders from the
// order worker's durable cursor that advances nothing (the cursor is read, never
// stored). No push runs meanwhile, so the acknowledged numbers cannot move under it.
// Optionally every `every_ms` per channel (channels[].reconcile_every): a one-line summary
// is logged, and a warning naming the drifted SKUs.
//
// Thread safety: Reconcile and Last are thread-safe; Start/Stop from the owner.
#ifndef STOCKD_DAEMON_RECONCILE_RECONCILER_H_
#define STOCKD_DAEMON_RECONCILE_RECONCILER_H_

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "daemon/engine/clock.h"
#include "daemon/engine/engine.h"
#include "daemon/orders/order_store.h"
#include "daemon/orders/orders.h"
#include "daemon/push/push_engine.h"
#include "daemon/reconcile/classify.h"
#include "daemon/util/log.h"

namespace stockd::reconcile {

struct SkuRow {
  std::string sku;
  std::string listing_id;
  SkuFacts facts;
  SkuClass cls = SkuClass::kOk;
};

struct Report {
  std::string channel;
  int64_t time_ms = 0;         // when it was taken (clock ms)
  bool orders_polled = false;  // U counted from the channel's orders (the adapter can poll)
  std::array<int64_t, kSkuClasses> counts{};  // per SkuClass
  std::vector<SkuRow> rows;                   // by SKU
  int64_t count(SkuClass c) const { return counts[static_cast<int>(c)]; }
};

// The durable cursor of a channel's order polling ("" = from the start of its log).
using CursorFn = std::function<absl::StatusOr<std::string>(const std::string& channel)>;
// The order worker's cursor when the channel is polled, else the stored one. `orders`,
// `store` not owned; must outlive the function.
CursorFn OrderCursor(const orders::Orders* orders, orders::OrderStore* store);

class Reconciler {
 public:
  using Done = std::function<void(absl::StatusOr<Report>)>;
  // `engine`, `push`, `clock` not owned. `every_ms`: channel -> period (0 or absent = off).
  Reconciler(engine::Engine* engine, push::PushEngine* push, CursorFn cursor,
             std::map<std::string, int64_t> every_ms, const engine::Clock* clock, log::Sink log);
  ~Reconciler();  // Stop()
  Reconciler(const Reconciler&) = delete;
  Reconciler& operator=(const Reconciler&) = delete;

  // Queues a reconciliation on the channel's push worker; `done` gets the report (on that
  // worker) or: NOT_FOUND unknown channel; FAILED_PRECONDITION no adapter, or one that
  // cannot fetch; UNAVAILABLE the channel's fetch or order poll failed, the cursor could
  // not be read, or the daemon is stopping; RESOURCE_EXHAUSTED too many waiting for the
  // channel (push::ChannelPusher::Resync's bound). Nothing is corrected on any error.
  void Reconcile(const std::string& channel, Done done);
  // The latest report of the channel (manual or periodic), if any.
  std::optional<Report> Last(const std::string& channel) const;

  // Replaces the periods (a live reload): a channel whose period changed starts a new
  // one now; one that lost its period stops being reconciled by the timer.
  void SetPeriods(std::map<std::string, int64_t> every_ms) ABSL_LOCKS_EXCLUDED(mu_);

  // Starts the periodic reconciliations (a timer thread, idle while no channel has a
  // period).
  void Start();
  void Stop();  // idempotent

 private:
  absl::StatusOr<Report> Run(const std::string& channel, push::ChannelPusher* pusher,
                             plugins::Adapter* adapter);
  void Loop();
  void LogSummary(const Report& report) const;

  engine::Engine* const engine_;
  push::PushEngine* const push_;
  const CursorFn cursor_;
  const engine::Clock* const clock_;
  const log::Sink log_;

  mutable absl::Mutex mu_;
  std::map<std::string, int64_t> every_ms_ ABSL_GUARDED_BY(mu_);
  uint64_t periods_version_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, Report> last_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread timer_;
};

}  // namespace stockd::reconcile

#endif  // STOCKD_DAEMON_RECONCILE_RECONCILER_H_
