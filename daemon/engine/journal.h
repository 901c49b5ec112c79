// The engine's durability seam. Every applied mutation becomes one MutationRecord that
// the engine hands to a Journal; the mutation is acknowledged (its Done callback runs)
// only after the journal reports the record durable. The storage layer (Redis) implements
// this interface; the engine knows nothing of it.
//
// Ordering contract: Append is called while the engine still holds the locks of every
// SKU the record touches, so records of one SKU reach the journal in apply order.
// Implementations must keep that order (FIFO) and must not call back into the engine
// from inside Append.
#ifndef STOCKD_DAEMON_ENGINE_JOURNAL_H_
#define STOCKD_DAEMON_ENGINE_JOURNAL_H_

#include <functional>
#include <memory>
#include <optional>

#include "absl/status/status.h"
#include "daemon/engine/commands.h"

namespace stockd::engine {

struct IdempotencyRecord {
  std::string request_id;
  uint64_t fingerprint = 0;
  Outcome outcome;
  int64_t expires_ms = 0;
};

struct MutationRecord {
  uint64_t sequence = 0;        // engine-wide, increasing in apply order
  std::vector<HoldView> holds;  // holds after the mutation (any state)
  // ApplyOrder: the order after the mutation and what this revision changed of its
  // problems. Null for every other command.
  std::shared_ptr<const OrderEvent> order;
  // Shared with the engine's in-memory entry for the request id, which answers replays
  // from it: one copy of the first result, not two. Null without a request id.
  std::shared_ptr<const IdempotencyRecord> idempotency;
  // Its own allocation: the engine's audit ring keeps only this, not the whole record
  // (rows, holds, idempotency copies) of the last audit_capacity mutations. Never null.
  std::shared_ptr<const AuditEntry> audit;
  std::vector<PublishedChange> changes;
  std::vector<AlertEvent> alerts;  // the alerts the mutation raised (docs/alerts.md)
  // The whole alert state of each SKU whose state the mutation changed (a velocity, a
  // raised or re-armed key): what the journal stores so a restart neither forgets a
  // velocity nor raises an alert twice.
  std::vector<AlertStateView> alert_states;

  // The rows the mutation touched, absolute counters after it: the audit entry's `after`
  // (kept once, not copied into the record).
  const std::vector<RowView>& rows() const { return audit->after; }
};

class Journal {
 public:
  virtual ~Journal() = default;
  // Takes the record; calls `done` exactly once, from any thread, with OK when durable
  // or UNAVAILABLE (or another error) when it is not. Must be cheap (enqueue only).
  virtual void Append(std::shared_ptr<const MutationRecord> record,
                      std::function<void(absl::Status)> done) = 0;
};

// Receives published-quantity changes after their mutation is durable, in apply order
// per SKU. Called from the thread that completes the mutation; must not block.
class ChangeListener {
 public:
  virtual ~ChangeListener() = default;
  virtual void OnPublishedChanges(const std::vector<PublishedChange>& changes) = 0;
  // An order revision was applied and is durable (stale revisions are not announced).
  // After OnPublishedChanges of the same mutation.
  virtual void OnOrderApplied(const OrderEvent& event) {}
  // The alerts a mutation raised (docs/alerts.md), durable, after its
  // OnPublishedChanges and OnOrderApplied.
  virtual void OnAlerts(const std::vector<AlertEvent>& alerts) {}
};

}  // namespace stockd::engine

#endif  // STOCKD_DAEMON_ENGINE_JOURNAL_H_
