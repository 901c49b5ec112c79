// Stock alerts (docs/alerts.md): sales velocity, reorder points, and the once-per-crossing
// state of each alert key. Internal to daemon/engine: SealRecord (sealing.cc) calls
// EvaluateAlerts and EvaluatePublished with every touched SKU's shard held; these
// functions read and write that SKU's state only.
#ifndef STOCKD_DAEMON_ENGINE_ALERTS_H_
#define STOCKD_DAEMON_ENGINE_ALERTS_H_

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "daemon/engine/model.h"
#include "daemon/engine/sealing.h"
#include "daemon/engine/state.h"

namespace stockd::engine {

// The model's alert options and reorder rules: INVALID_ARGUMENT naming the rule's origin.
absl::Status ValidateAlerts(const Model& model);

// A row's velocity in units per day at `now`: its stored rate halved every half life.
double VelocityAt(const RowAlertState& row, int64_t now, int64_t half_life_ms);
// Adds `units` of demand at `now` to a row's velocity (a rate of q units a day, kept up,
// converges to q).
void AddDemand(RowAlertState* row, int64_t units, int64_t now, int64_t half_life_ms);

// The rule that applies to `sku`: the last whose pattern matches it; null for none.
const ReorderRule* ReorderRuleFor(const Model& model, std::string_view sku);
// The reorder point a rule gives at a location (`total` false) or for the SKU overall,
// at `velocity` units per day; 0 when it gives none.
int64_t ReorderPoint(const ReorderRule& rule, bool total, double velocity);
// How far above `point` free stock must come back before a raised reorder alert re-arms
// (at least 1 unit).
int64_t HysteresisBand(int64_t point, int32_t percent);

// Where the evaluation puts what it found: the alerts raised, and the SKUs whose alert
// state changed (each once), whose state the journal stores.
struct AlertOutput {
  std::vector<AlertEvent>* alerts;
  std::vector<SkuState*> changed;
  void Changed(SkuState* s);
};

// What a sealed change did to the alert state of its SKUs (`skus`, its touched SKUs):
// adds the demand of a sale or commit to the rows' velocities, and raises reorder and
// uncovered alerts that crossed. `operation` is the audit operation ("sell", "commit",
// ...).
void EvaluateAlerts(const Model& model, const Change& change, const char* operation, int64_t now,
                    const std::vector<SkuState*>& skus, AlertOutput* out);

// The crossing of one channel's published quantity, from `previous` to `published`, for
// a key `raised` or not: sold_out when it drops from above 0 to 0, back_in_stock when a
// raised key comes back to `back_in_stock_at` or more; nullopt for neither. A SKU's
// alerts (EvaluatePublished) and a kit's (kit_alerts.cc) follow this one rule.
std::optional<AlertKind> PublishedCrossing(bool raised, int64_t previous, int64_t published,
                                           int64_t back_in_stock_at);

// A channel's published quantity of `s` moved from `previous` to `published`: raises
// sold_out at 0 and back_in_stock at AlertOptions::back_in_stock_at, once each.
void EvaluatePublished(const Model& model, SkuState* s, int channel, int64_t previous,
                       int64_t published, int64_t now, AlertOutput* out);

// After `hold` was sealed: the open-hold list (SkuExtras::open_holds) of every SKU of
// `skus` (the SKUs the hold's mutation touched) learns the locations of the hold's open
// lines of it, or drops the hold when it has none left. The caller holds the hold's
// stripe and the shards of `skus`.
void TrackOpenHolds(HoldRec& hold, const std::vector<SkuState*>& skus);
// The holds with open units of `s` at location `l`, sorted by id: sets the alert's
// hold_ids (at most AlertEvent::kMaxHoldsNamed) and holds_at_risk.
void NameHoldsAtRisk(const SkuState& s, int l, AlertEvent* alert);

// The alert keys a SKU has raised now, by kind: reorder (each location's and the SKU
// overall), uncovered, sold_out (per channel). What the engine's gauge of raised keys
// (EngineStats::alerts_active) adds up: sealing adds the difference a mutation makes,
// Restore the whole state.
struct RaisedCounts {
  int64_t reorder = 0;
  int64_t uncovered = 0;
  int64_t sold_out = 0;
  RaisedCounts& operator+=(const RaisedCounts& o) {
    reorder += o.reorder;
    uncovered += o.uncovered;
    sold_out += o.sold_out;
    return *this;
  }
  RaisedCounts& operator-=(const RaisedCounts& o) {
    reorder -= o.reorder;
    uncovered -= o.uncovered;
    sold_out -= o.sold_out;
    return *this;
  }
};
RaisedCounts RaisedOf(const SkuState& s);

// A SKU's alert state as stored, and back (rows of locations and channels the model no
// longer has are dropped).
AlertStateView AlertStateOf(const Model& model, const SkuState& s);
void ApplyAlertState(const Model& model, const AlertStateView& view, SkuState* s);

}  // namespace stockd::engine

#endif  // STOCKD_DAEMON_ENGINE_ALERTS_H_
