// One channel's order poll worker (docs/orders.md, "Cursor durability"): a thread that
// every poll_interval asks the channel's adapter (its own plugin instance, not the push
// engine's) for the orders that changed after its cursor, hands each to the intake, waits
// until every one is durable and only then stores the cursor. A poll with any revision
// not made durable (Redis down) keeps the old cursor and is repeated after a backoff;
// every revision of it is then a replay. A revision the engine refuses for good
// (INVALID_ARGUMENT, NOT_FOUND: a malformed order, an unknown SKU) is counted as bad,
// logged, and does not hold the cursor back: repeating it could never succeed.
//
// The first cursor: with none stored the worker passes "", which the adapter ABI
// defines as "from the start of the channel's change log, as far back as the channel
// keeps it" (adapters/include/stockd/adapter.h).
//
// Overlap: the worker remembers the cursors of its recent polls with the time each poll
// started, and polls from the newest that is at least `overlap_ms` old (or the oldest it
// has), so orders a lagging channel shows late are still read; the cursor it stores is
// that one too, so a restart re-reads the window. Re-reads are replays.
//
// Thread safety: Start/Stop from the owner; Stats and PollOnce (tests, without Start)
// from any thread.
#ifndef STOCKD_DAEMON_ORDERS_ORDER_WORKER_H_
#define STOCKD_DAEMON_ORDERS_ORDER_WORKER_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "daemon/engine/clock.h"
#include "daemon/orders/listing_map.h"
#include "daemon/orders/order_ingest.h"
#include "daemon/orders/order_store.h"
#include "daemon/plugins/adapter.h"
#include "daemon/util/log.h"

namespace stockd::orders {

struct WorkerOptions {
  std::string channel;
  int64_t poll_interval_ms = 5000;  // > 0
  int64_t overlap_ms = 0;
  int64_t retry_initial_ms = 1000;  // first backoff after a failed poll (capped by the interval)
  int64_t retry_max_ms = 60'000;
};

struct WorkerStats {
  std::string channel;
  int64_t last_poll_ms = 0;  // start of the last poll (clock ms; 0 = none yet)
  std::string last_error;    // of the last poll ("" when it succeeded)
  int64_t polls = 0;         // polls whose orders were all durable
  int64_t failed_polls = 0;
  int64_t seen = 0;      // revisions delivered by the adapter (well-formed)
  int64_t applied = 0;   // changed the engine
  int64_t replayed = 0;  // already applied (replays, older revisions)
  int64_t parked = 0;    // parked as unmapped
  int64_t bad = 0;       // malformed from the adapter, or refused by the engine
  // The start time of the last poll whose orders are all durable: every order the
  // channel changed before it is in stockd (0 = none yet).
  int64_t ingested_up_to_ms = 0;
  std::string cursor;  // the durable cursor
};

class OrderWorker {
 public:
  // `adapter` must be able to poll orders. `intake`, `store`, `listings`, `clock` not
  // owned; `listings` may be null (identity).
  OrderWorker(WorkerOptions options, std::unique_ptr<plugins::Adapter> adapter, OrderIngest* intake,
              OrderStore* store, ListingMap* listings, const engine::Clock* clock, log::Sink log);
  ~OrderWorker();  // Stop()

  // The cursor to poll from (the stored one, "" for none: the default). Before Start or
  // PollOnce.
  void SetCursor(std::string cursor);
  // Starts the thread: polls at once, then every poll_interval.
  void Start();
  // Interrupts the adapter call in progress, stops and joins the thread. Idempotent.
  void Stop();
  // One tick on the calling thread: refresh the listings (re-submitting parked orders
  // when they changed), poll, submit, wait, store the cursor. The poll's error if any.
  // Not while started.
  absl::Status PollOnce();
  WorkerStats Stats() const;
  const std::string& channel() const { return options_.channel; }

 private:
  struct Mark {
    std::string cursor;
    int64_t start_ms = 0;  // when the poll that returned it started
  };
  void Loop();
  // The cursor the next poll starts from, pruning marks older than it.
  std::string FromCursor(int64_t now_ms) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Log(log::Level level, const std::string& msg) const;

  const WorkerOptions options_;
  const std::unique_ptr<plugins::Adapter> adapter_;
  OrderIngest* const intake_;
  OrderStore* const store_;
  ListingMap* const listings_;
  const engine::Clock* const clock_;
  const log::Sink log_;

  mutable absl::Mutex mu_;
  std::deque<Mark> marks_ ABSL_GUARDED_BY(mu_);  // oldest first; never empty once started
  WorkerStats stats_ ABSL_GUARDED_BY(mu_);
  std::string listings_error_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  int64_t ticks_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

}  // namespace stockd::orders

#endif  // STOCKD_DAEMON_ORDERS_ORDER_WORKER_H_
