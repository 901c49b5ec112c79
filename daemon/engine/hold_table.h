// Holds by id: the striped table of every hold (open, and resolved ones until their
// retention passes), the deadline heap the reaper expires from, and the open-hold count.
// Internal to daemon/engine; owned by Engine::Impl.
//
// Thread-safety: striped by hold id, each HoldStripe behind its own mutex. Methods that
// take a stripe lock themselves say so; the others name the lock their caller must hold
// (one stripe, or all_stripes(): every stripe, taken by LockAll). In the lock order a hold
// stripe comes before any SKU shard (see state.h).
#ifndef STOCKD_DAEMON_ENGINE_HOLD_TABLE_H_
#define STOCKD_DAEMON_ENGINE_HOLD_TABLE_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "daemon/engine/lock_set.h"
#include "daemon/engine/state.h"

namespace stockd::engine {

class HoldTable {
 public:
  using Stripes = std::array<HoldStripe, kHoldStripes>;

  HoldTable();
  HoldTable(const HoldTable&) = delete;
  HoldTable& operator=(const HoldTable&) = delete;

  static size_t StripeIndex(absl::string_view hold_id);
  HoldStripe& StripeFor(absl::string_view hold_id) { return stripes_[StripeIndex(hold_id)]; }
  const HoldStripe& StripeFor(absl::string_view hold_id) const {
    return stripes_[StripeIndex(hold_id)];
  }
  // For scans: ListHolds locks each stripe while reading it; CheckInvariants holds
  // all_stripes() and claims each stripe with all_stripes().AssertMemberHeld.
  const Stripes& stripes() const { return stripes_; }
  // The capability "every stripe is locked" (see lock_set.h).
  const LockSet& all_stripes() const ABSL_LOCK_RETURNED(all_stripes_) { return all_stripes_; }
  // Holds HELD or COMMITTED.
  int64_t open() const { return open_.load(); }

  // NOT_FOUND (unknown hold) when `stripe` has no hold `id`.
  static absl::StatusOr<HoldRec*> Find(HoldStripe& stripe, const std::string& id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(stripe.mu);
  // Adds a new HELD hold to its stripe and its deadline to the heap.
  HoldRec* Insert(HoldStripe& stripe, std::unique_ptr<HoldRec> hold)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(stripe.mu);
  // After a HELD hold's deadline moved: the heap learns the new one (the old goes stale).
  static void Rearm(HoldStripe& stripe, const HoldRec& hold)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(stripe.mu);
  // Moves `hold` to `state` at `now`; a terminal state queues it for the retention purge.
  void Resolve(HoldStripe& stripe, HoldRec& hold, HoldState state, int64_t now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(stripe.mu);

  // Takes each stripe in turn: pops the HELD holds due by `now` into `due` (skipping stale
  // heap entries) and drops resolved holds past `retention_ms` (memory only; storage keeps
  // its own TTL). Returns the earliest deadline still pending (INT64_MAX when none).
  int64_t CollectDue(int64_t now, int64_t retention_ms, std::vector<Deadline>* due);
  // Puts a due entry back (its expiry was not durable); takes its stripe lock.
  void Requeue(const Deadline& entry);

  // ---- Restore, under every engine lock.
  struct Contents {
    std::array<absl::flat_hash_map<std::string, std::unique_ptr<HoldRec>>, kHoldStripes> holds;
    std::array<std::vector<Deadline>, kHoldStripes> deadlines, resolved;
    int64_t open = 0;
  };
  // Adds a stored hold to `contents` (off-lock).
  static void AddTo(Contents* contents, std::unique_ptr<HoldRec> hold);
  // Every stripe in index order / in reverse.
  void LockAll() const ABSL_EXCLUSIVE_LOCK_FUNCTION(all_stripes_) { all_stripes_.Lock(); }
  void UnlockAll() const ABSL_UNLOCK_FUNCTION(all_stripes_) { all_stripes_.Unlock(); }
  // Replaces every hold with `contents`.
  void InstallLocked(Contents contents) ABSL_EXCLUSIVE_LOCKS_REQUIRED(all_stripes_);

 private:
  Stripes stripes_;
  const LockSet all_stripes_;  // every stripes_[i].mu, in index order
  std::atomic<int64_t> open_{0};
};

}  // namespace stockd::engine

#endif  // STOCKD_DAEMON_ENGINE_HOLD_TABLE_H_
