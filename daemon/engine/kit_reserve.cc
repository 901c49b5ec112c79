// A Reserve line of kits (kits.h, docs/kits.md, "Reserving kits"): every component at one
// location, planned against what the request's earlier lines take (PlanningRows).
#include "absl/strings/str_cat.h"
#include "daemon/engine/engine_impl.h"
#include "daemon/engine/kits.h"

namespace stockd::engine {

absl::Status Engine::Impl::PlanKitLine(const Model& m, int c, const Kit& kit, int64_t kits,
                                       int wanted, PlanningRows* rows,
                                       std::vector<LineTake>* takes) {
  std::vector<ComponentState> components;
  std::vector<SkuState*> states;
  for (const KitComponent& k : kit.components) {
    Shard& shard = ShardFor(k.sku);
    LockedByShardLocks(shard);
    SkuState* s = FindSku(shard, k.sku);
    ComponentState state{k.sku, k.qty, {}, nullptr};
    if (s != nullptr) {
      state.rows = rows->Of(*s);
      state.policies = s->policies;
    }
    components.push_back(std::move(state));
    states.push_back(s);
  }
  auto take_at = [&](int l) {
    for (size_t i = 0; i < kit.components.size(); ++i) {
      const LineTake take{states[i], l, kit.components[i].qty * kits};
      rows->Take(take);
      takes->push_back(take);
    }
    return absl::OkStatus();
  };
  const std::string& channel = m.channels[c].id;
  if (wanted >= 0) {
    int limiting = -1;
    const int64_t here = KitsAt(components, c, wanted, &limiting);
    if (here >= kits) return take_at(wanted);
    const ComponentState& k = components[limiting];
    return absl::FailedPreconditionError(
        absl::StrCat("kit '", kit.sku, "': channel '", channel, "' may take ", here, " at '",
                     m.locations[wanted].id, "', asked ", kits, " (limited by '", k.sku,
                     "': avail ", ComponentAvail(k, c, wanted), ", ", k.qty, " per kit)"));
  }
  std::string per_source;
  for (int l : m.channels[c].sources) {
    int limiting = -1;
    const int64_t here = KitsAt(components, c, l, &limiting);
    if (here >= kits) return take_at(l);
    absl::StrAppend(&per_source, per_source.empty() ? "" : ", ", m.locations[l].id, " ", here, " (",
                    components[limiting].sku, ")");
  }
  return absl::FailedPreconditionError(
      absl::StrCat("kit '", kit.sku, "': no single source of channel '", channel, "' covers ", kits,
                   " (a kit is taken from one location; kits per source and what limits "
                   "them: ",
                   per_source, ")"));
}

}  // namespace stockd::engine
