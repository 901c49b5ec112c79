// The engine's in-memory state types, internal to daemon/engine (not part of the API).
//
// Owners, one per piece of state:
// - Shard (Engine::Impl::shards_): the SKUs hashed to it, each a SkuState with its counters
//   per location and the published quantities, plus the audit ring of the mutations whose
//   first-touched SKU lives there. Guarded by Shard::mu.
// - HoldStripe (HoldTable): holds by id, the deadline heap and the resolved-hold queue.
//   Guarded by HoldStripe::mu.
// - IdemStripe (IdempotencyTable): request ids and their first results. Guarded by
//   IdemStripe::mu.
// - Pending: one mutation between apply and completion, owned by its shared_ptr; touched
//   by one thread at a time (the caller of Execute, then the journal's completion).
//
// Thread-safety: the types are plain data; whoever holds the named mutex may read and write.
// Lock order (never reversed): idempotency stripe (briefly, never nested) -> order stripe
// (OrderTable, order_table.h) -> hold stripe -> SKU shards in ascending index order.
// Restore, AdoptDurable and Reconfigure take every order stripe, every hold stripe, then
// every shard, then every idempotency stripe (Restore and Reconfigure under
// Engine::Impl::reload_mu_, taken before all of them).
#ifndef STOCKD_DAEMON_ENGINE_STATE_H_
#define STOCKD_DAEMON_ENGINE_STATE_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <queue>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "daemon/engine/availability.h"
#include "daemon/engine/commands.h"
#include "daemon/engine/engine.h"
#include "daemon/engine/stripe.h"

namespace stockd::engine {

inline constexpr int kHoldStripes = 64;
inline constexpr int kIdemStripes = 64;

// A change of one row's on_hand, kept EngineOptions::count_history_ms for Counts observed
// in the past (stock_commands.cc). `count`: a Count's own correction, stamped with the
// time the units were counted; it is never netted, it marks that a count was taken then.
struct Movement {
  int64_t at_ms = 0;
  int64_t delta = 0;
  int32_t location = 0;  // location index
  bool count = false;
};

// A row's sales velocity and alert state (docs/alerts.md).
struct RowAlertState {
  double velocity = 0;         // units per day, as of velocity_at_ms
  int64_t velocity_at_ms = 0;  // 0: never sold
  bool reorder_raised = false;
  bool uncovered_raised = false;
};

struct HoldRec;
struct SkuState;

// The location indices of one hold's open lines of one SKU: one, or a few for a split
// line, kept inline (no allocation per open hold on the reserve path).
using HoldLocations = absl::InlinedVector<int, 2>;

// One open hold in one SKU's list of its open holds (SkuExtras::open_holds): the node is
// owned by the hold's record (HoldRec::open_links) and linked into the SKU's list, so
// adding or dropping a hold is a few pointer writes: no hash, no table that grows under
// the shard lock of a hot SKU (docs/alerts.md, "Cost"). prev, next and `at` belong to
// the SKU's list, written under the SKU's shard; the record adds and drops its nodes
// under its hold stripe and that shard (TrackOpenHolds, from SealRecord).
struct OpenHoldLink {
  OpenHoldLink* prev = nullptr;
  OpenHoldLink* next = nullptr;
  const HoldRec* hold = nullptr;
  const SkuState* sku = nullptr;
  HoldLocations at;  // the locations of the hold's open lines of the SKU
};

// What a SKU keeps beyond its counters, policies and published quantities, allocated the
// first time it needs any of it: most of a big catalogue sells rarely, and the SKUs are
// what the engine's memory is made of (about 110 bytes a SKU saved: docs/benchmarks.md,
// "RSS per row").
struct SkuExtras {
  // on_hand movements of the last count_history_ms at every location, in apply order
  // (so by time but for counts, stamped when they were observed). Trimmed in bulk.
  std::vector<Movement> movements;
  // Alerts (alerts.h): by location index, sized once the SKU sells, goes uncovered or
  // has a reorder rule (empty until then); the SKU's overall reorder state; by channel,
  // sold out raised (sized at the first sold out).
  std::vector<RowAlertState> alerts;
  bool total_reorder_raised = false;
  std::vector<bool> sold_out;
  // The open holds (HELD or COMMITTED) with open units of this SKU, newest first, and
  // how many: what an `uncovered` alert names as the holds at risk. Kept by SealRecord
  // from every sealed hold (a hold's lines of this SKU change only under this SKU's
  // shard) and rebuilt by Restore. A hold leaves the list in the mutation that closes
  // its last open line of this SKU, and the HoldTable frees only records that are not
  // open, so no node outlives its record (CheckInvariants compares the list with the
  // open holds, and checks that no closed hold keeps a node).
  OpenHoldLink* open_holds = nullptr;
  int64_t open_hold_count = 0;
};

// One SKU: its counters at every location, its effective policies and the published
// quantity last announced per channel. Guarded by its shard's mutex.
struct SkuState {
  std::string sku;
  std::shared_ptr<const PolicySet> policies;
  std::vector<Counters> rows;         // by location index
  std::vector<bool> present;          // by location index: the row exists
  std::vector<int64_t> published;     // by channel index
  std::unique_ptr<SkuExtras> extras;  // null until needed

  // The extras, allocated now if they were not.
  SkuExtras& Extras() {
    if (extras == nullptr) extras = std::make_unique<SkuExtras>();
    return *extras;
  }
  // The extras to read: empty ones when there are none (nothing is allocated).
  const SkuExtras& ReadExtras() const {
    static const SkuExtras kNone;
    return extras != nullptr ? *extras : kNone;
  }
};

using SkuMap = absl::flat_hash_map<std::string, std::unique_ptr<SkuState>>;

struct Shard {
  mutable absl::Mutex mu;
  SkuMap skus ABSL_GUARDED_BY(mu);
  // Audit entries of recent mutations, oldest first, bounded; shared with the journal.
  std::deque<std::shared_ptr<const AuditEntry>> audit ABSL_GUARDED_BY(mu);
};

inline SkuState* FindSku(Shard& shard, absl::string_view sku)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mu) {
  auto it = shard.skus.find(sku);
  return it == shard.skus.end() ? nullptr : it->second.get();
}
inline const SkuState* FindSku(const Shard& shard, absl::string_view sku)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mu) {
  auto it = shard.skus.find(sku);
  return it == shard.skus.end() ? nullptr : it->second.get();
}

// Tells the thread-safety analysis that the caller holds `shard.mu` through a ShardLocks (a
// lock set of variable size, which the analysis cannot follow), and checks at run time
// that it is locked (absl::Mutex::AssertHeld: one load; a shard touched without its lock
// dies here instead of racing).
inline void LockedByShardLocks(const Shard& shard) ABSL_ASSERT_EXCLUSIVE_LOCK(shard.mu) {
  shard.mu.AssertHeld();
}

struct HoldRec {
  HoldView view;
  int channel = -1;
  std::vector<int> locations;  // location index per line
  // Non-empty: the hold of this order (OrderTable::Key). It follows the order's revisions
  // only; the hold commands refuse it.
  std::string order_key;
  // Open, with alerts on: the hold's node in the open-hold list of each SKU it has open
  // units of (SkuExtras::open_holds); empty once it is closed.
  absl::InlinedVector<std::unique_ptr<OpenHoldLink>, 1> open_links;
};

// An order's HELD hold has no deadline of its own: the channel decides when a pending
// order ends (it cancels or accepts it).
inline constexpr int64_t kOrderHoldDeadline = INT64_MAX;

using Deadline = std::pair<int64_t, std::string>;  // (deadline or resolved-at ms, hold id)

struct HoldStripe {
  mutable absl::Mutex mu;
  absl::flat_hash_map<std::string, std::unique_ptr<HoldRec>> holds ABSL_GUARDED_BY(mu);
  // Min-heap of (deadline, hold id) of HELD holds. Entries go stale when a hold is
  // extended or resolved; ExpireDue skips those (lazy deletion: no erase on the hot path).
  std::priority_queue<Deadline, std::vector<Deadline>, std::greater<>> deadlines
      ABSL_GUARDED_BY(mu);
  // (resolved at, hold id) of terminal holds, in resolution order, for the retention purge.
  std::deque<Deadline> resolved ABSL_GUARDED_BY(mu);
};

// Tells the analysis that the caller holds `stripe.mu`: the callback of
// Engine::Impl::WithHold runs with it held. (A lambda cannot say so itself: clang applies
// a lambda's ABSL_EXCLUSIVE_LOCKS_REQUIRED(stripe.mu) to the closure object at the call.)
// Compiles to nothing.
inline void LockedByWithHold(const HoldStripe& stripe) ABSL_ASSERT_EXCLUSIVE_LOCK(stripe.mu) {}

// A mutation in flight between apply and completion.
struct Pending {
  std::string request_id;
  uint64_t fingerprint = 0;
  Engine::Done done;
  Outcome outcome;
  // Without a journal: the sequence of the record sealed just before this one's. Its
  // listeners hear this record only after that one's (Engine::Impl::Announce).
  uint64_t announce_after = 0;
};

// The position of each key's first Add among the keys added so far: a linear scan while
// there are few (cheaper than hashing them), a hash index from kIndexFrom keys on, so a
// 100-line mutation is not quadratic. Keys are cheap to copy (pointers, views).
template <typename Key>
class FirstSeen {
 public:
  // Adds `key` unless it was added before; returns the position of its first Add (for a
  // new key: the number of keys before it).
  size_t Add(const Key& key) {
    if (keys_.size() < kIndexFrom) {
      for (size_t i = 0; i < keys_.size(); ++i) {
        if (keys_[i] == key) return i;
      }
      keys_.push_back(key);
      if (keys_.size() == kIndexFrom) {
        for (size_t i = 0; i < keys_.size(); ++i) index_.emplace(keys_[i], i);
      }
      return keys_.size() - 1;
    }
    auto [it, inserted] = index_.try_emplace(key, keys_.size());
    if (inserted) keys_.push_back(key);
    return it->second;
  }

 private:
  static constexpr size_t kIndexFrom = 16;
  std::vector<Key> keys_;
  absl::flat_hash_map<Key, size_t> index_;
};

// Holds shard locks in ascending index order; unlocks in reverse on destruction. A
// capability of its own (a lock set of variable size, which the analysis cannot name shard
// by shard, as LockSet in lock_set.h): the analysis checks that LockSorted is called once
// and released by the destructor; code under it names each shard it uses with
// LockedByShardLocks.
class ABSL_LOCKABLE ShardLocks {
 public:
  ShardLocks() = default;
  ShardLocks(const ShardLocks&) = delete;
  ShardLocks& operator=(const ShardLocks&) = delete;
  ~ShardLocks() ABSL_UNLOCK_FUNCTION() {
    for (auto it = locked_.rbegin(); it != locked_.rend(); ++it) (*it)->Unlock();
  }
  // `shards` must be sorted ascending by index and unique.
  void LockSorted(const std::vector<Shard*>& shards) ABSL_EXCLUSIVE_LOCK_FUNCTION() {
    for (Shard* s : shards) {
      s->mu.Lock();
      locked_.push_back(&s->mu);
    }
  }

 private:
  std::vector<absl::Mutex*> locked_;
};

}  // namespace stockd::engine

#endif  // STOCKD_DAEMON_ENGINE_STATE_H_
