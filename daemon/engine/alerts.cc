#include "daemon/engine/alerts.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"

namespace stockd::engine {

namespace {

constexpr double kMsPerDay = 24.0 * 3600 * 1000;

// Raises (true) when `free` dropped below `point` while armed; re-arms at point + band.
bool Crossed(bool* raised, int64_t free, int64_t point, int32_t hysteresis_percent) {
  if (point <= 0) return false;  // no point: the state stays as it is
  if (!*raised && free < point) {
    *raised = true;
    return true;
  }
  if (*raised && free >= point + HysteresisBand(point, hysteresis_percent)) *raised = false;
  return false;
}

bool AppliesAt(const ReorderRule& rule, int location) {
  return rule.locations.empty() ||
         std::find(rule.locations.begin(), rule.locations.end(), location) != rule.locations.end();
}

// Units a touched row's change took as demand: units committed, and units that left the
// shelf without having been committed (a till sale, an order shipped before stockd saw it
// accepted). Fulfilling committed units counts nothing (they counted when committed);
// adjustments, counts and transfers are not demand.
int64_t Demand(const Touched& t, const Counters& after, bool leaves_as_sale) {
  const int64_t committed = std::max<int64_t>(0, after.committed - t.before.committed);
  if (!leaves_as_sale) return committed;
  const int64_t left = t.before.on_hand - after.on_hand;
  const int64_t uncommitted = std::max<int64_t>(0, t.before.committed - after.committed);
  return committed + std::max<int64_t>(0, left - uncommitted);
}

// The SKU's alert rows, sized for every location.
std::vector<RowAlertState>& SizeFor(const Model& model, SkuState* s) {
  std::vector<RowAlertState>& rows = s->Extras().alerts;
  if (rows.size() < model.locations.size()) rows.resize(model.locations.size());
  return rows;
}

}  // namespace

absl::Status ValidateAlerts(const Model& m) {
  auto bad = [](auto&&... parts) { return absl::InvalidArgumentError(absl::StrCat(parts...)); };
  const AlertOptions& o = m.alerts;
  if (o.velocity_half_life_ms <= 0) return bad("alerts: velocity_half_life must be > 0");
  if (o.hysteresis_percent < 0 || o.hysteresis_percent > 100) {
    return bad("alerts: hysteresis_percent outside 0..100");
  }
  if (o.back_in_stock_at < 1) return bad("alerts: back_in_stock_at must be >= 1");
  for (const ReorderRule& r : m.reorder) {
    const std::string who = absl::StrCat("reorder rule ", r.origin);
    if (r.pattern.empty()) return bad(who, ": empty pattern");
    if ((r.point && (*r.point < 1 || *r.point > kMaxQuantity)) ||
        (r.total_point && (*r.total_point < 1 || *r.total_point > kMaxQuantity))) {
      return bad(who, ": point and total_point must be 1..", kMaxQuantity);
    }
    for (double d : {r.lead_time_days, r.cover_days}) {
      if (!std::isfinite(d) || d < 0 || d > 3650) return bad(who, ": days outside 0..3650");
    }
    const bool days = r.lead_time_days > 0 || r.cover_days > 0;
    if (r.fixed() && days) {
      return bad(who, ": a fixed point and lead_time_days/cover_days exclude each other");
    }
    if (!r.fixed() && !days) {
      return bad(who, ": needs point, total_point, or lead_time_days + cover_days > 0");
    }
    for (int l : r.locations) {
      if (l < 0 || static_cast<size_t>(l) >= m.locations.size()) return bad(who, ": bad location");
    }
  }
  return absl::OkStatus();
}

double VelocityAt(const RowAlertState& row, int64_t now, int64_t half_life_ms) {
  if (row.velocity_at_ms == 0 || row.velocity == 0) return 0;
  const double elapsed = static_cast<double>(std::max<int64_t>(0, now - row.velocity_at_ms));
  return row.velocity * std::exp2(-elapsed / static_cast<double>(half_life_ms));
}

void AddDemand(RowAlertState* row, int64_t units, int64_t now, int64_t half_life_ms) {
  const double half_life_days = static_cast<double>(half_life_ms) / kMsPerDay;
  row->velocity =
      VelocityAt(*row, now, half_life_ms) + static_cast<double>(units) * M_LN2 / half_life_days;
  row->velocity_at_ms = now;
}

const ReorderRule* ReorderRuleFor(const Model& model, std::string_view sku) {
  for (auto it = model.reorder.rbegin(); it != model.reorder.rend(); ++it) {
    if (GlobMatch(it->pattern, sku)) return &*it;
  }
  return nullptr;
}

int64_t ReorderPoint(const ReorderRule& rule, bool total, double velocity) {
  if (rule.fixed()) return (total ? rule.total_point : rule.point).value_or(0);
  const double units = velocity * (rule.lead_time_days + rule.cover_days);
  // A hair above an integer (150.0000001 from rounding) stays that integer.
  return std::clamp<int64_t>(static_cast<int64_t>(std::ceil(units - 1e-6)), 0, kMaxQuantity);
}

int64_t HysteresisBand(int64_t point, int32_t percent) {
  return std::max<int64_t>(1, (point * percent + 99) / 100);
}

void EvaluateAlerts(const Model& model, const Change& change, const char* operation, int64_t now,
                    const std::vector<SkuState*>& skus, AlertOutput* out) {
  const AlertOptions& o = model.alerts;
  const bool leaves_as_sale = std::strcmp(operation, "sell") == 0 ||
                              std::strcmp(operation, "order") == 0 ||
                              std::strcmp(operation, "fulfill") == 0;
  const SkuState* rule_of = nullptr;
  const ReorderRule* rule = nullptr;
  for (const Touched& t : change.rows) {
    SkuState* s = t.sku;
    const Counters& counters = s->rows[t.location];
    const int64_t demand = Demand(t, counters, leaves_as_sale);
    const int64_t free = counters.free();
    if (rule_of != s) {
      rule_of = s;
      rule = ReorderRuleFor(model, s->sku);
    }
    const bool ruled = rule != nullptr && AppliesAt(*rule, t.location);
    // A row that never sold, was never uncovered and has no rule has no state: the
    // vector is only allocated for SKUs that need it (most of a big catalogue sells
    // rarely, and the rows are what the engine's memory is made of).
    if (static_cast<size_t>(t.location) >= s->ReadExtras().alerts.size() && demand == 0 &&
        free >= 0 && !ruled) {
      continue;
    }
    RowAlertState& a = SizeFor(model, s)[t.location];
    const RowAlertState was = a;
    if (demand > 0) AddDemand(&a, demand, now, o.velocity_half_life_ms);
    AlertEvent base;
    base.sku = s->sku;
    base.location = model.locations[t.location].id;
    base.time_ms = now;
    base.free = free;
    if (free < 0 && !a.uncovered_raised) {
      AlertEvent e = base;
      e.kind = AlertKind::kUncovered;
      NameHoldsAtRisk(*s, t.location, &e);
      out->alerts->push_back(std::move(e));
    }
    a.uncovered_raised = free < 0;
    if (ruled) {
      const double velocity = VelocityAt(a, now, o.velocity_half_life_ms);
      const int64_t point = ReorderPoint(*rule, /*total=*/false, velocity);
      if (Crossed(&a.reorder_raised, free, point, o.hysteresis_percent)) {
        AlertEvent e = base;
        e.kind = AlertKind::kReorder;
        e.point = point;
        e.velocity = velocity;
        out->alerts->push_back(std::move(e));
      }
    } else {
      a.reorder_raised = false;  // the rule went (a reload): nothing stays raised for it
    }
    if (a.velocity_at_ms != was.velocity_at_ms || a.velocity != was.velocity ||
        a.reorder_raised != was.reorder_raised || a.uncovered_raised != was.uncovered_raised) {
      out->Changed(s);
    }
  }
  // The SKUs overall: free and velocity summed over every location.
  for (SkuState* s : skus) {
    const ReorderRule* r = ReorderRuleFor(model, s->sku);
    if (r == nullptr) {
      if (s->ReadExtras().total_reorder_raised) {  // the rule went (a reload)
        s->extras->total_reorder_raised = false;
        out->Changed(s);
      }
      continue;
    }
    int64_t free = 0;
    double velocity = 0;
    SkuExtras& x = s->Extras();  // a SKU with a rule keeps its overall state
    for (size_t l = 0; l < s->rows.size(); ++l) {
      free += s->rows[l].free();
      if (l < x.alerts.size()) velocity += VelocityAt(x.alerts[l], now, o.velocity_half_life_ms);
    }
    const int64_t point = ReorderPoint(*r, /*total=*/true, velocity);
    const bool was = x.total_reorder_raised;
    const bool raised = Crossed(&x.total_reorder_raised, free, point, o.hysteresis_percent);
    if (x.total_reorder_raised != was) out->Changed(s);
    if (raised) {
      AlertEvent e;
      e.kind = AlertKind::kReorder;
      e.sku = s->sku;
      e.time_ms = now;
      e.free = free;
      e.point = point;
      e.velocity = velocity;
      out->alerts->push_back(std::move(e));
    }
  }
}

std::optional<AlertKind> PublishedCrossing(bool raised, int64_t previous, int64_t published,
                                           int64_t back_in_stock_at) {
  if (!raised && previous > 0 && published == 0) return AlertKind::kSoldOut;
  if (raised && published >= back_in_stock_at) return AlertKind::kBackInStock;
  return std::nullopt;
}

void EvaluatePublished(const Model& model, SkuState* s, int channel, int64_t previous,
                       int64_t published, int64_t now, AlertOutput* out) {
  const std::vector<bool>& sold_out = s->ReadExtras().sold_out;
  const bool raised = static_cast<size_t>(channel) < sold_out.size() && sold_out[channel];
  const std::optional<AlertKind> crossing =
      PublishedCrossing(raised, previous, published, model.alerts.back_in_stock_at);
  if (!crossing) return;
  const AlertKind kind = *crossing;
  std::vector<bool>& flags = s->Extras().sold_out;
  if (flags.size() < model.channels.size()) flags.resize(model.channels.size());
  flags[channel] = kind == AlertKind::kSoldOut;
  out->Changed(s);
  AlertEvent e;
  e.kind = kind;
  e.sku = s->sku;
  e.channel = model.channels[channel].id;
  e.time_ms = now;
  e.previous_published = previous;
  e.published = published;
  out->alerts->push_back(std::move(e));
}

void TrackOpenHolds(HoldRec& hold, const std::vector<SkuState*>& skus) {
  const bool open = hold.view.state == HoldState::kHeld || hold.view.state == HoldState::kCommitted;
  const std::vector<Line>& lines = hold.view.lines;
  for (SkuState* s : skus) {
    // A touched SKU the hold has no open line of any more (a partial commit released
    // it, an order revision dropped it) leaves the list too.
    HoldLocations at;
    for (size_t i = 0; i < lines.size() && i < hold.locations.size(); ++i) {
      if (lines[i].sku != s->sku) continue;
      if (open && lines[i].qty > lines[i].fulfilled) at.push_back(hold.locations[i]);
    }
    auto linked = std::find_if(hold.open_links.begin(), hold.open_links.end(),
                               [s](const std::unique_ptr<OpenHoldLink>& l) { return l->sku == s; });
    if (!at.empty() && linked != hold.open_links.end()) {
      (*linked)->at = std::move(at);
    } else if (!at.empty()) {
      SkuExtras& x = s->Extras();
      auto link = std::make_unique<OpenHoldLink>();
      link->hold = &hold;
      link->sku = s;
      link->at = std::move(at);
      link->next = x.open_holds;
      if (x.open_holds != nullptr) x.open_holds->prev = link.get();
      x.open_holds = link.get();
      ++x.open_hold_count;
      hold.open_links.push_back(std::move(link));
    } else if (linked != hold.open_links.end()) {
      OpenHoldLink* l = linked->get();
      SkuExtras& x = *s->extras;  // a SKU with a node has its extras
      (l->prev != nullptr ? l->prev->next : x.open_holds) = l->next;
      if (l->next != nullptr) l->next->prev = l->prev;
      --x.open_hold_count;
      hold.open_links.erase(linked);
    }
  }
}

void NameHoldsAtRisk(const SkuState& s, int l, AlertEvent* alert) {
  alert->hold_ids.clear();
  alert->holds_at_risk = 0;
  for (const OpenHoldLink* h = s.ReadExtras().open_holds; h != nullptr; h = h->next) {
    if (std::find(h->at.begin(), h->at.end(), l) == h->at.end()) continue;
    ++alert->holds_at_risk;
    alert->hold_ids.push_back(h->hold->view.hold_id);  // set at creation, never changed
  }
  std::sort(alert->hold_ids.begin(), alert->hold_ids.end());
  if (alert->hold_ids.size() > AlertEvent::kMaxHoldsNamed) {
    alert->hold_ids.resize(AlertEvent::kMaxHoldsNamed);
  }
}

void AlertOutput::Changed(SkuState* s) {
  if (std::find(changed.begin(), changed.end(), s) == changed.end()) changed.push_back(s);
}

RaisedCounts RaisedOf(const SkuState& s) {
  RaisedCounts n;
  const SkuExtras& x = s.ReadExtras();
  for (const RowAlertState& a : x.alerts) {
    n.reorder += a.reorder_raised ? 1 : 0;
    n.uncovered += a.uncovered_raised ? 1 : 0;
  }
  n.reorder += x.total_reorder_raised ? 1 : 0;
  for (const bool b : x.sold_out) n.sold_out += b ? 1 : 0;
  return n;
}

AlertStateView AlertStateOf(const Model& model, const SkuState& s) {
  AlertStateView v;
  v.sku = s.sku;
  const SkuExtras& x = s.ReadExtras();
  for (size_t l = 0; l < x.alerts.size() && l < model.locations.size(); ++l) {
    const RowAlertState& a = x.alerts[l];
    if (a.velocity_at_ms == 0 && !a.reorder_raised && !a.uncovered_raised) continue;
    v.rows.push_back({model.locations[l].id, a.velocity, a.velocity_at_ms, a.reorder_raised,
                      a.uncovered_raised});
  }
  v.total_reorder_raised = x.total_reorder_raised;
  for (size_t c = 0; c < x.sold_out.size() && c < model.channels.size(); ++c) {
    if (x.sold_out[c]) v.sold_out.push_back(model.channels[c].id);
  }
  return v;
}

void ApplyAlertState(const Model& model, const AlertStateView& view, SkuState* s) {
  SkuExtras& x = s->Extras();
  x.alerts.clear();
  if (!view.rows.empty()) x.alerts.assign(model.locations.size(), RowAlertState{});
  for (const AlertRowStateView& r : view.rows) {
    const int l = model.LocationIndex(r.location);
    if (l < 0) continue;
    x.alerts[l] = {r.velocity, r.velocity_at_ms, r.reorder_raised, r.uncovered_raised};
  }
  x.total_reorder_raised = view.total_reorder_raised;
  x.sold_out.clear();
  if (!view.sold_out.empty()) x.sold_out.assign(model.channels.size(), false);
  for (const std::string& channel : view.sold_out) {
    if (const int c = model.ChannelIndex(channel); c >= 0) x.sold_out[c] = true;
  }
}

}  // namespace stockd::engine
