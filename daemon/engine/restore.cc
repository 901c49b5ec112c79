// Replacing and checking the whole state: Restore (start-up, re-sync), AdoptDurable
// (re-sync without a reload) and CheckInvariants. Each takes every lock, in the lock order.
#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "daemon/engine/alerts.h"
#include "daemon/engine/availability.h"
#include "daemon/engine/engine_impl.h"

namespace stockd::engine {

absl::Status Engine::Impl::Restore(const Snapshot& snap,
                                   const std::function<void()>& while_locked) {
  // The model does not change while the state is built off-lock and swapped in.
  absl::MutexLock reload_lock(&reload_mu_);
  // Build the new state off-lock; swap it in under every lock.
  std::vector<SkuMap> skus(shards_.size());
  int64_t num_rows = 0;
  auto sku_state = [&](const std::string& sku) -> SkuState* {
    auto& slot = skus[ShardIndex(sku)][sku];
    if (!slot) slot = NewSku(sku);
    return slot.get();
  };
  for (const RowView& row : snap.rows) {
    int l = model().LocationIndex(row.location);
    if (l < 0) {
      if (row.counters == Counters{}) continue;  // an empty row of a removed location
      return absl::FailedPreconditionError(
          absl::StrCat("stored stock of '", row.sku, "' at location '", row.location, "' (on_hand ",
                       row.counters.on_hand, ") but the config has no such location"));
    }
    if (!IsValidId(row.sku)) return absl::FailedPreconditionError("stored row with invalid sku");
    if (const Kit* kit = generation().kits().Find(row.sku);
        kit != nullptr && row.counters != Counters{}) {
      return absl::FailedPreconditionError(
          absl::StrCat("stored stock of '", row.sku, "' at location '", row.location, "' (on_hand ",
                       row.counters.on_hand, ") but the config defines it as a kit (", kit->origin,
                       "), which has no stock of its own: count it to 0 before making it a kit"));
    }
    SkuState* s = sku_state(row.sku);
    s->rows[l] = row.counters;
    if (!s->present[l]) ++num_rows;
    s->present[l] = true;
  }

  HoldTable::Contents holds;
  // From the open holds; the keys point into `snap`, which outlives the map.
  absl::flat_hash_map<std::pair<absl::string_view, int>, Counters> sums;
  for (const HoldView& v : snap.holds) {
    auto rec = std::make_unique<HoldRec>();
    rec->view = v;
    rec->channel = model().ChannelIndex(v.channel);
    if (rec->channel < 0 && IsOpen(v.state)) {
      return absl::FailedPreconditionError(absl::StrCat("stored open hold '", v.hold_id,
                                                        "' on channel '", v.channel,
                                                        "' but the config has no such channel"));
    }
    for (const Line& line : v.lines) {
      int l = model().LocationIndex(line.location);
      if (l < 0 && IsOpen(v.state)) {
        return absl::FailedPreconditionError(absl::StrCat(
            "stored open hold '", v.hold_id, "' at unknown location '", line.location, "'"));
      }
      rec->locations.push_back(l);
      if (v.state == HoldState::kHeld) sums[{line.sku, l}].held += line.qty;
      if (v.state == HoldState::kCommitted) {
        sums[{line.sku, l}].committed += line.qty - line.fulfilled;
      }
    }
    // Each SKU's list of its open holds (SkuExtras::open_holds), as sealing keeps it (a
    // line with no open units left may have no row: skipped). None with alerts off.
    if (IsOpen(v.state) && model().alerts.enabled) {
      std::vector<SkuState*> lines_of;
      for (const Line& line : v.lines) {
        SkuMap& shard = skus[ShardIndex(line.sku)];
        auto it = shard.find(line.sku);
        if (it == shard.end()) continue;
        if (std::find(lines_of.begin(), lines_of.end(), it->second.get()) == lines_of.end()) {
          lines_of.push_back(it->second.get());
        }
      }
      TrackOpenHolds(*rec, lines_of);
    }
    HoldTable::AddTo(&holds, std::move(rec));
  }
  // held/committed must equal the open holds exactly: they were written atomically.
  for (auto& shard : skus) {
    for (auto& [sku, s] : shard) {
      for (size_t l = 0; l < s->rows.size(); ++l) {
        auto it = sums.find({sku, static_cast<int>(l)});
        Counters want = it == sums.end() ? Counters{} : it->second;
        if (it != sums.end()) sums.erase(it);
        if (s->rows[l].held != want.held || s->rows[l].committed != want.committed) {
          return absl::FailedPreconditionError(
              absl::StrCat("stored counters of '", sku, "' at '", model().locations[l].id,
                           "' (held ", s->rows[l].held, ", committed ", s->rows[l].committed,
                           ") disagree with its open holds (held ", want.held, ", committed ",
                           want.committed, ")"));
        }
      }
      for (size_t c = 0; c < model().channels.size(); ++c) {
        s->published[c] = Publish(s->policies->channels[c],
                                  Reservable(model(), *s->policies, static_cast<int>(c), s->rows));
      }
    }
  }
  for (const auto& [key, c] : sums) {
    if (c.held != 0 || c.committed != 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("stored open holds reference '", key.first, "' which has no stored row"));
    }
  }
  // An open order's hold is open and follows the order only.
  for (const OrderView& o : snap.orders) {
    if (o.closed) continue;
    if (model().ChannelIndex(o.channel) < 0) {
      return absl::FailedPreconditionError(absl::StrCat("stored open order '", o.order_id,
                                                        "' of channel '", o.channel,
                                                        "' but the config has no such channel"));
    }
    auto& stripe = holds.holds[HoldTable::StripeIndex(o.hold_id)];
    auto it = stripe.find(o.hold_id);
    if (it == stripe.end() || !IsOpen(it->second->view.state)) {
      return absl::FailedPreconditionError(
          absl::StrCat("stored open order '", o.order_id, "' of channel '", o.channel,
                       "' but its hold '", o.hold_id, "' is not an open stored hold"));
    }
    it->second->order_key = OrderTable::Key(o.channel, o.order_id);
  }
  // Alert state (docs/alerts.md): only SKUs with stored rows, and kits (docs/kits.md,
  // "Alerts"), have one to take back.
  RaisedCounts raised;
  std::vector<const AlertStateView*> kit_states;
  const std::vector<AlertStateView> none;
  for (const AlertStateView& v : model().alerts.enabled ? snap.alert_states : none) {
    auto& shard = skus[ShardIndex(v.sku)];
    auto it = shard.find(v.sku);
    if (it != shard.end()) {
      ApplyAlertState(model(), v, it->second.get());
      raised += RaisedOf(*it->second);
    } else {
      kit_states.push_back(&v);  // RestoreKitAlerts keeps the kits'
    }
  }
  IdempotencyTable::Contents idem = IdempotencyTable::Build(snap.idempotency);
  const int64_t now = NowMs();
  RestoreMovements(snap, now, &skus);

  LockEverything();
  orders_.InstallLocked(snap.orders);
  InstallLocked(std::move(skus));
  holds_.InstallLocked(std::move(holds));
  idempotency_.InstallLocked(std::move(idem));
  rows_.store(num_rows);
  active_reorder_.store(raised.reorder);
  active_uncovered_.store(raised.uncovered);
  active_sold_out_.store(raised.sold_out + RestoreKitAlerts(kit_states));
  // Counts observed before the stored history began cannot be netted.
  history_since_ms_.store(snap.history_since_ms > 0 ? snap.history_since_ms : now);
  if (static_cast<int64_t>(snap.sequence) > mutations_.load()) mutations_.store(snap.sequence);
  if (while_locked) while_locked();
  UnlockEverything();
  if (kit_announcer_) kit_announcer_->MarkAll();  // every component may have moved
  {
    absl::MutexLock lock(&alerts_mu_);
    recent_alerts_.assign(snap.recent_alerts.begin(), snap.recent_alerts.end());
    while (recent_alerts_.size() > Engine::kRecentAlerts) recent_alerts_.pop_back();
  }
  return absl::OkStatus();
}

void Engine::Impl::RestoreMovements(const Snapshot& snap, int64_t now,
                                    std::vector<SkuMap>* skus) const {
  if (options_.count_history_ms <= 0) return;
  const int64_t cutoff = now - options_.count_history_ms;
  for (const MovementRecord& m : snap.movements) {
    if (m.at_ms < cutoff) continue;  // its bucket outlives it by up to a minute
    const int l = model().LocationIndex(m.location);
    auto& shard = (*skus)[ShardIndex(m.sku)];
    auto it = shard.find(m.sku);
    // A removed location's, or a SKU without stored rows (nothing to net on).
    if (l < 0 || it == shard.end()) continue;
    it->second->Extras().movements.push_back(Movement{m.at_ms, m.delta, l, m.count});
  }
}

bool Engine::Impl::AdoptDurable(
    const std::function<bool(std::vector<std::shared_ptr<const MutationRecord>>*)>& while_locked) {
  std::vector<std::shared_ptr<const MutationRecord>> records;
  // Every lock, in Restore's order: no mutation is between apply and Append meanwhile.
  LockEverything();
  const bool adopted = while_locked(&records);
  if (adopted) idempotency_.AdoptLocked(records);
  UnlockEverything();
  if (!adopted) return false;
  for (const auto& record : records) TellListeners(*record);
  return true;
}

void Engine::Impl::InstallLocked(std::vector<SkuMap> skus) {
  int64_t num_skus = 0;
  for (size_t i = 0; i < shards_.size(); ++i) {
    all_shards_.AssertMemberHeld(shards_[i].mu);
    shards_[i].skus = std::move(skus[i]);
    num_skus += static_cast<int64_t>(shards_[i].skus.size());
  }
  skus_.store(num_skus);
}

// A SKU's open holds, as the open holds imply them: hold -> the locations of its open
// units of the SKU (CheckInvariants compares each SKU's open-hold list with it).
using ImpliedOpenHolds = absl::flat_hash_map<const HoldRec*, HoldLocations>;

InvariantReport Engine::Impl::CheckInvariants() const {
  const ImpliedOpenHolds no_open_holds;
  InvariantReport report;
  holds_.LockAll();
  all_shards_.Lock();

  // (sku, location) -> {held, committed} summed from the open holds.
  absl::flat_hash_map<std::pair<std::string, int>, std::pair<int64_t, int64_t>> from_holds;
  // sku -> the open holds of it, as the open holds imply them (SkuExtras::open_holds).
  absl::flat_hash_map<std::string, ImpliedOpenHolds> index;
  int64_t open = 0;
  for (const HoldStripe& stripe : holds_.stripes()) {
    holds_.all_stripes().AssertMemberHeld(stripe.mu);
    for (const auto& [id, rec] : stripe.holds) {
      ++report.holds_checked;
      const HoldView& v = rec->view;
      if (!IsOpen(v.state)) {
        if (!rec->open_links.empty()) {
          report.violations.push_back(absl::StrCat("closed hold ", id, " is still in ",
                                                   rec->open_links.size(), " open-hold lists"));
        }
        continue;
      }
      ++open;
      for (size_t i = 0; i < v.lines.size(); ++i) {
        auto& sums = from_holds[{v.lines[i].sku, rec->locations[i]}];
        if (v.lines[i].qty > v.lines[i].fulfilled) {
          index[v.lines[i].sku][rec.get()].push_back(rec->locations[i]);
        }
        if (v.state == HoldState::kHeld) {
          sums.first += v.lines[i].qty;
        } else {
          sums.second += v.lines[i].qty - v.lines[i].fulfilled;
        }
        if (v.lines[i].fulfilled < 0 || v.lines[i].fulfilled > v.lines[i].qty) {
          report.violations.push_back(absl::StrCat("hold ", id, " line ", v.lines[i].sku,
                                                   ": fulfilled ", v.lines[i].fulfilled,
                                                   " outside 0..", v.lines[i].qty));
        }
      }
    }
  }
  for (const Shard& shard : shards_) {
    all_shards_.AssertMemberHeld(shard.mu);
    for (const auto& [sku, s] : shard.skus) {
      for (size_t l = 0; l < s->rows.size(); ++l) {
        const Counters& c = s->rows[l];
        if (!s->present[l]) {
          if (!(c == Counters{})) {
            report.violations.push_back(
                absl::StrCat(sku, "@", model().locations[l].id, ": counters on an absent row"));
          }
          continue;
        }
        ++report.rows_checked;
        auto it = from_holds.find({sku, static_cast<int>(l)});
        std::pair<int64_t, int64_t> expect =
            it == from_holds.end() ? std::pair<int64_t, int64_t>{0, 0} : it->second;
        if (it != from_holds.end()) from_holds.erase(it);
        const std::string where = absl::StrCat(sku, "@", model().locations[l].id);
        if (c.held != expect.first) {
          report.violations.push_back(
              absl::StrCat(where, ": held ", c.held, " != Σ HELD holds ", expect.first));
        }
        if (c.committed != expect.second) {
          report.violations.push_back(absl::StrCat(where, ": committed ", c.committed,
                                                   " != Σ COMMITTED holds ", expect.second));
        }
        if (c.on_hand < 0) {
          report.violations.push_back(absl::StrCat(where, ": on_hand ", c.on_hand, " < 0"));
        }
        if (c.free() < 0) {
          AlertEvent at_risk;
          NameHoldsAtRisk(*s, static_cast<int>(l), &at_risk);
          report.uncovered.push_back(
              absl::StrCat(where, ": free ", c.free(), ", holds at risk: ",
                           !model().alerts.enabled    ? "not indexed (alerts.enabled: false)"
                           : at_risk.hold_ids.empty() ? "none"
                                                      : absl::StrJoin(at_risk.hold_ids, ", ")));
        }
      }
      // The SKU's open-hold list: each open hold with open units of it once, with the
      // locations of those units, linked both ways, its length counted.
      const auto want = model().alerts.enabled ? index.find(sku) : index.end();
      const SkuExtras& x = s->ReadExtras();
      const size_t expected = want == index.end() ? 0 : want->second.size();
      const auto& wanted = want == index.end() ? no_open_holds : want->second;
      size_t listed = 0;
      bool same = true;
      absl::flat_hash_set<const HoldRec*> seen;
      const OpenHoldLink* prev = nullptr;
      for (const OpenHoldLink* h = x.open_holds; h != nullptr && listed <= expected;
           prev = h, h = h->next) {
        ++listed;
        const auto it = wanted.find(h->hold);
        if (it == wanted.end() || it->second != h->at || h->sku != s.get() || h->prev != prev ||
            !seen.insert(h->hold).second) {
          same = false;
        }
      }
      if (!same || listed != expected || x.open_hold_count != static_cast<int64_t>(listed)) {
        report.violations.push_back(absl::StrCat(sku, ": the open-hold list names ", listed,
                                                 " holds (counted ", x.open_hold_count,
                                                 "), the open holds ", expected));
      }
      for (size_t ch = 0; ch < model().channels.size(); ++ch) {
        int64_t want = Publish(s->policies->channels[ch],
                               Reservable(model(), *s->policies, static_cast<int>(ch), s->rows));
        if (want != s->published[ch]) {
          report.violations.push_back(absl::StrCat(sku, " on ", model().channels[ch].id,
                                                   ": published ", s->published[ch],
                                                   " != recomputed ", want));
        }
      }
    }
  }
  for (const auto& [key, sums] : from_holds) {
    report.violations.push_back(absl::StrCat(
        "holds reference ", key.first, "@", model().locations[key.second].id, " which has no row"));
  }
  if (open != holds_.open()) {
    report.violations.push_back(
        absl::StrCat("open hold counter ", holds_.open(), " != ", open, " open holds"));
  }

  all_shards_.Unlock();
  holds_.UnlockAll();
  return report;
}

}  // namespace stockd::engine
