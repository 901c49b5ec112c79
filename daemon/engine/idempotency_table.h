// The request-id table: which mutations (by request id) are in flight or done, their first
// results for replays, their expiry, and the idempotency.max_records cap. Internal to
// daemon/engine; owned by Engine::Impl.
//
// Thread-safety: striped by request id, each stripe behind its own mutex, held briefly and
// never while taking another engine lock. Begin, Finish and PurgeExpired are thread-safe.
// LockAll/UnlockAll (the capability all_stripes()) bracket InstallLocked and AdoptLocked
// (Restore, AdoptDurable), which take every stripe after every hold stripe and shard.
#ifndef STOCKD_DAEMON_ENGINE_IDEMPOTENCY_TABLE_H_
#define STOCKD_DAEMON_ENGINE_IDEMPOTENCY_TABLE_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "daemon/engine/clock.h"
#include "daemon/engine/journal.h"
#include "daemon/engine/lock_set.h"
#include "daemon/engine/state.h"
#include "daemon/util/log.h"

namespace stockd::engine {

struct IdemEntry {
  uint64_t fingerprint = 0;
  bool done = false;
  // Once done: the first result, and when it may be forgotten (record->expires_ms, the
  // expiry stored with it in Redis, so a restart forgets it at the same time).
  std::shared_ptr<const IdempotencyRecord> record;
  std::vector<Engine::Done> waiters;  // replays that arrived while in flight
};

struct IdemStripe {
  absl::Mutex mu;
  absl::flat_hash_map<std::string, IdemEntry> entries ABSL_GUARDED_BY(mu);
  std::deque<std::pair<int64_t, std::string>> expiry ABSL_GUARDED_BY(mu);  // FIFO
};

class IdempotencyTable {
 public:
  using LogFn = log::Sink;

  // `clock` is not owned and outlives the table; `log` may be empty.
  IdempotencyTable(int64_t max_records, int64_t ttl_ms, const Clock* clock, LogFn log)
      : max_records_(max_records),
        ttl_ms_(ttl_ms),
        clock_(clock),
        log_(std::move(log)),
        all_stripes_(MutexesOf(stripes_)) {}
  IdempotencyTable(const IdempotencyTable&) = delete;
  IdempotencyTable& operator=(const IdempotencyTable&) = delete;

  // Looks up `pending`'s request id (which must be set). Returns true when the caller should
  // go on and apply the command; otherwise `pending->done` was answered (a replay, a misuse
  // of the id, the cap) or queued behind the same request in flight.
  bool Begin(const std::shared_ptr<Pending>& pending);

  // Ends `pending`'s entry: an OK mutation records its first result (`record`'s, or one
  // built from pending.outcome), a failed one is forgotten. Returns the replays that waited.
  std::vector<Engine::Done> Finish(const Pending& pending, const MutationRecord* record, bool ok);

  // Drops the records whose idempotency.ttl has passed (the reaper's job, also done on
  // demand when the table is full).
  void PurgeExpired(int64_t now);

  // ---- Restore and AdoptDurable, under every engine lock.
  struct Contents {
    std::array<absl::flat_hash_map<std::string, IdemEntry>, kIdemStripes> entries;
    std::array<std::deque<std::pair<int64_t, std::string>>, kIdemStripes> expiry;
  };
  // Builds the table of `records` off-lock, expiry queues in expiry order; of a request
  // id recorded twice, the record that expires last. Shares the records, copies none.
  static Contents Build(const std::vector<std::shared_ptr<const IdempotencyRecord>>& records);

  // The capability "every stripe is locked" (see lock_set.h).
  const LockSet& all_stripes() const ABSL_LOCK_RETURNED(all_stripes_) { return all_stripes_; }
  // Every stripe in index order / in reverse.
  void LockAll() ABSL_EXCLUSIVE_LOCK_FUNCTION(all_stripes_) { all_stripes_.Lock(); }
  void UnlockAll() ABSL_UNLOCK_FUNCTION(all_stripes_) { all_stripes_.Unlock(); }
  // Replaces the entries with `contents`; requests still in flight keep theirs (their
  // journal completion resolves them).
  void InstallLocked(Contents contents) ABSL_EXCLUSIVE_LOCKS_REQUIRED(all_stripes_);
  // Records the first results of `records` (mutations whose callers were told UNAVAILABLE
  // but that turned out durable).
  void AdoptLocked(const std::vector<std::shared_ptr<const MutationRecord>>& records)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(all_stripes_);

 private:
  // What a request id is in the table.
  enum class Lookup { kNew, kFull, kMisuse, kInFlight, kReplay };

  static size_t StripeIndex(const std::string& request_id);
  IdemStripe& StripeFor(const std::string& request_id) { return stripes_[StripeIndex(request_id)]; }
  // Looks the request id up; a new id takes a slot of max_records (kFull when there is
  // none left; `*drained` when taking it ended a full period).
  Lookup LookUp(const std::shared_ptr<Pending>& pending, Outcome* replay, bool* drained);
  bool TakeSlot(bool* drained);
  void Log(log::Level level, const std::string& msg) const {
    if (log_) log_(level, msg);
  }

  const int64_t max_records_;
  const int64_t ttl_ms_;
  const Clock* const clock_;
  const LogFn log_;
  std::array<IdemStripe, kIdemStripes> stripes_;
  const LockSet all_stripes_;        // every stripes_[i].mu, in index order
  std::atomic<int64_t> records_{0};  // entries of stripes_ (counted against max_records_)
  std::atomic<bool> full_{false};    // a refusal was logged; re-armed below 90%
};

}  // namespace stockd::engine

#endif  // STOCKD_DAEMON_ENGINE_IDEMPOTENCY_TABLE_H_
