// Sealing a mutation: what one mutation collects while it applies (the rows it touched,
// with their counters before), and turning that into its MutationRecord: the audit entry,
// the recomputed published quantities and the list of published changes. Internal to
// daemon/engine; Engine::Impl::Seal (sealing.cc) adds the sequence, the idempotency record,
// the audit ring and the journal hand-off.
//
// Thread-safety: a Change belongs to one mutation on one thread. SealRecord runs with the
// locks of every touched SKU's shard (and the hold's stripe) held by its caller.
#ifndef STOCKD_DAEMON_ENGINE_SEALING_H_
#define STOCKD_DAEMON_ENGINE_SEALING_H_

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "daemon/engine/commands.h"
#include "daemon/engine/model.h"
#include "daemon/engine/state.h"

namespace stockd::engine {

struct RaisedCounts;  // alerts.h

// A row touched by one mutation, with its counters before it.
struct Touched {
  SkuState* sku;
  int location;
  Counters before;
  bool was_present;
};

// One line of an order as a revision wants it (order_commands.cc): the index of the
// line in the order and its ordered, shipped and cancelled quantities.
struct OrderTarget {
  int line = 0;
  int64_t qty = 0, shipped = 0, cancelled = 0;
  // The component lines of one kit line of the revision share a group (>= 0) and one
  // location; -1: a SKU's own line.
  int group = -1;
};

// The units a line of the revision should keep open: ordered less shipped (`shipped`, the
// line's after the revision) and cancelled; none once the order is cancelled.
inline int64_t TargetOpen(const OrderTarget& t, int64_t shipped, bool order_cancelled) {
  return order_cancelled ? 0 : std::max<int64_t>(0, t.qty - shipped - t.cancelled);
}

// Everything one mutation collects before it is sealed into a record.
struct Change {
  std::vector<Touched> rows;
  HoldRec* hold = nullptr;
  std::shared_ptr<const OrderEvent> order;  // ApplyOrder only
  std::string channel;
  std::string reason;
  // A Count: when its units were counted (its movement is stamped with it); 0 otherwise.
  int64_t count_observed_at_ms = 0;
  // A sale or an order revision that took units beyond the channel's avail: a breach
  // alert per SKU x location (kind, sku, location, channel, units, order id set; the time
  // and sequence are the mutation's).
  std::vector<AlertEvent> breaches;
  void Breach(std::string sku, std::string location, int64_t units, std::string order_id = "") {
    AlertEvent& e = breaches.emplace_back();
    e.kind = AlertKind::kBreach;
    e.sku = std::move(sku);
    e.location = std::move(location);
    e.channel = channel;
    e.units = units;
    e.order_id = std::move(order_id);
  }

  // An internal kit alert (KitAlertCmd, kit_alerts.cc): the alert (its time and sequence
  // are the mutation's) and the kit's whole alert state, sealed as they are.
  std::vector<AlertEvent> kit_alerts;
  std::vector<AlertStateView> kit_alert_states;

  // (SKU, location) of each entry of `rows`, in the same order.
  FirstSeen<std::pair<const SkuState*, int>> touched;

  // Call before changing the row's counters.
  void Touch(SkuState* s, int l) {
    if (touched.Add({s, l}) < rows.size()) return;  // touched before
    rows.push_back({s, l, s->rows[l], s->present[l]});
  }
};

// Fills `record` (whose sequence is set) and its `audit` entry from `change`: marks the
// touched rows present, records them before and after, recomputes the published
// quantities of the touched SKUs (updating SkuState::published) and lists the changes.
// Sets `*skus` to the touched SKUs in first-touch order; adds to `*raised_delta` how the
// alert keys raised changed (alerts.h); returns how many rows came into existence.
int64_t SealRecord(const Model& model, const Change& change, const CommandMeta& meta,
                   const char* operation, int64_t now, MutationRecord* record, AuditEntry* audit,
                   std::vector<SkuState*>* skus, RaisedCounts* raised_delta);

}  // namespace stockd::engine

#endif  // STOCKD_DAEMON_ENGINE_SEALING_H_
