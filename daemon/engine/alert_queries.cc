// Engine::Impl's alert queries (docs/alerts.md): the ring of recent alerts, filled as
// durable mutations are announced, and the alert keys raised now, read from the SKUs'
// state one shard at a time.
#include <algorithm>
#include <tuple>

#include "daemon/engine/alerts.h"
#include "daemon/engine/engine_impl.h"
#include "daemon/engine/validation.h"

namespace stockd::engine {

namespace {

bool Matches(const AlertFilter& f, const AlertEvent& e) {
  if (!f.kinds.empty() && std::find(f.kinds.begin(), f.kinds.end(), e.kind) == f.kinds.end()) {
    return false;
  }
  return (f.sku.empty() || f.sku == e.sku) && (f.location.empty() || f.location == e.location) &&
         (f.channel.empty() || f.channel == e.channel);
}

}  // namespace

void Engine::Impl::RememberAlerts(const std::vector<AlertEvent>& alerts) {
  absl::MutexLock lock(&alerts_mu_);
  for (const AlertEvent& a : alerts) {
    recent_alerts_.push_front(a);
    ++alerts_raised_[a.kind];
  }
  while (recent_alerts_.size() > Engine::kRecentAlerts) recent_alerts_.pop_back();
}

std::vector<AlertEvent> Engine::Impl::RecentAlerts(const AlertFilter& filter) const {
  std::vector<AlertEvent> out;
  absl::MutexLock lock(&alerts_mu_);
  for (const AlertEvent& a : recent_alerts_) {
    if (out.size() >= filter.limit) break;
    if (Matches(filter, a)) out.push_back(a);
  }
  return out;
}

std::vector<AlertEvent> Engine::Impl::ActiveAlerts(const AlertFilter& filter) const {
  const Model& m = model();
  const int64_t now = NowMs();
  const int64_t half_life = m.alerts.velocity_half_life_ms;
  std::vector<AlertEvent> out;
  auto keep = [&](AlertEvent e) {
    if (Matches(filter, e)) out.push_back(std::move(e));
  };
  for (const Shard& shard : shards_) {
    absl::MutexLock lock(&shard.mu);
    for (const auto& [name, sp] : shard.skus) {
      const SkuState& s = *sp;
      if (s.extras == nullptr) continue;  // nothing raised, never sold
      const SkuExtras& x = *s.extras;
      const ReorderRule* rule = nullptr;
      if (x.total_reorder_raised || !x.alerts.empty()) rule = ReorderRuleFor(m, s.sku);
      double total_velocity = 0;
      int64_t total_free = 0;
      for (size_t l = 0; l < s.rows.size(); ++l) {
        total_free += s.rows[l].free();
        if (l >= x.alerts.size()) continue;
        const RowAlertState& a = x.alerts[l];
        const double velocity = VelocityAt(a, now, half_life);
        total_velocity += velocity;
        if (!a.reorder_raised && !a.uncovered_raised) continue;
        AlertEvent e;
        e.sku = s.sku;
        e.location = m.locations[l].id;
        e.free = s.rows[l].free();
        e.velocity = velocity;
        if (a.uncovered_raised) {
          AlertEvent u = e;
          u.kind = AlertKind::kUncovered;
          NameHoldsAtRisk(s, static_cast<int>(l), &u);
          keep(std::move(u));
        }
        if (a.reorder_raised) {
          e.kind = AlertKind::kReorder;
          e.point = rule != nullptr ? ReorderPoint(*rule, /*total=*/false, velocity) : 0;
          keep(std::move(e));
        }
      }
      if (x.total_reorder_raised) {
        AlertEvent e;
        e.kind = AlertKind::kReorder;
        e.sku = s.sku;
        e.free = total_free;
        e.velocity = total_velocity;
        e.point = rule != nullptr ? ReorderPoint(*rule, /*total=*/true, total_velocity) : 0;
        keep(std::move(e));
      }
      for (size_t c = 0; c < x.sold_out.size() && c < m.channels.size(); ++c) {
        if (!x.sold_out[c]) continue;
        AlertEvent e;
        e.kind = AlertKind::kSoldOut;
        e.sku = s.sku;
        e.channel = m.channels[c].id;
        e.published = s.published[c];
        e.velocity = total_velocity;
        keep(std::move(e));
      }
    }
  }
  std::vector<AlertEvent> kits;  // a kit's sold_out keys (kit_alerts.cc)
  ActiveKitAlerts(&kits);
  for (AlertEvent& e : kits) keep(std::move(e));
  std::sort(out.begin(), out.end(), [](const AlertEvent& a, const AlertEvent& b) {
    const double da = DaysOfCover(a), db = DaysOfCover(b);
    if (da != db) return da < db;
    if (a.velocity != b.velocity) return a.velocity > b.velocity;
    return std::tie(a.sku, a.location, a.channel, a.kind) <
           std::tie(b.sku, b.location, b.channel, b.kind);
  });
  if (out.size() > filter.limit) out.resize(filter.limit);
  return out;
}

absl::StatusOr<std::vector<std::pair<std::string, double>>> Engine::Impl::SalesVelocity(
    const std::string& sku) const {
  const Model& m = model();
  const int64_t now = NowMs();
  const Shard& shard = ShardFor(sku);
  absl::MutexLock lock(&shard.mu);
  const SkuState* s = FindSku(shard, sku);
  if (s == nullptr) return UnknownSku(sku);
  std::vector<std::pair<std::string, double>> out;
  const std::vector<RowAlertState>& rows = s->ReadExtras().alerts;
  for (size_t l = 0; l < s->rows.size(); ++l) {
    if (!s->present[l]) continue;
    const double v =
        l < rows.size() ? VelocityAt(rows[l], now, m.alerts.velocity_half_life_ms) : 0;
    out.emplace_back(m.locations[l].id, v);
  }
  return out;
}

}  // namespace stockd::engine
