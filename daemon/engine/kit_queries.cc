// Kits on the read side (kits.h, docs/kits.md): GetAvailability and Explain of a kit SKU,
// and the refusal of what a kit cannot do. A kit's components live in any shards; a query
// reads each under its own shard's lock, one at a time, like every query.
#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "daemon/engine/engine_impl.h"
#include "daemon/engine/kits.h"

namespace stockd::engine {
namespace {

std::string ComponentList(const Kit& kit) {
  return absl::StrJoin(kit.components, ", ", [](std::string* out, const KitComponent& c) {
    absl::StrAppend(out, c.sku, " x", c.qty);
  });
}

}  // namespace

absl::Status Engine::Impl::NotAKit(absl::string_view sku, const char* operation, bool never) const {
  const Kit* kit = generation().kits().Find(sku);
  if (kit == nullptr) return absl::OkStatus();
  if (never) {
    return absl::InvalidArgumentError(
        absl::StrCat("sku '", sku, "' is a kit (", kit->origin, "): it has no stock of its own; ",
                     operation, " its components instead (", ComponentList(*kit), ")"));
  }
  return absl::UnimplementedError(absl::StrCat("sku '", sku, "' is a kit (", kit->origin,
                                               "): ", operation,
                                               " of kits is not built yet (docs/kits.md); its "
                                               "components are ",
                                               ComponentList(*kit)));
}

std::vector<ComponentState> Engine::Impl::ReadKit(const Kit& kit) const {
  std::vector<ComponentState> out;
  out.reserve(kit.components.size());
  for (const KitComponent& c : kit.components) {
    ComponentState k;
    k.sku = c.sku;
    k.qty = c.qty;
    const Shard& shard = ShardFor(c.sku);
    absl::MutexLock lock(&shard.mu);
    if (const SkuState* s = FindSku(shard, c.sku)) {
      k.rows = s->rows;
      k.policies = s->policies;
    }
    out.push_back(std::move(k));
  }
  return out;
}

void Engine::Impl::KitAvailability(const Kit& kit, const std::vector<int>& channels,
                                   std::vector<AvailabilityItem>* items) const {
  const std::vector<ComponentState> components = ReadKit(kit);
  const std::shared_ptr<const PolicySet> own = generation().PoliciesFor(kit.sku);
  for (int c : channels) {
    const int64_t reservable = KitReservable(model(), components, c);
    items->push_back(
        {kit.sku, model().channels[c].id, reservable, Publish(own->channels[c], reservable)});
  }
}

Explanation Engine::Impl::ExplainKit(const Kit& kit, int c, const ExplainQuery& query) const {
  const std::vector<ComponentState> components = ReadKit(kit);
  const std::shared_ptr<const PolicySet> own = generation().PoliciesFor(kit.sku);
  const Model& m = model();
  Explanation e;
  e.channel = m.channels[c].id;
  e.sku = kit.sku;
  for (const KitComponent& k : kit.components) e.kit_components.push_back(k);
  int64_t fewest = std::numeric_limits<int64_t>::max();
  for (int l : m.channels[c].sources) {
    ExplainSourceTerm term;
    term.location = m.locations[l].id;
    int limiting = -1;
    term.avail = KitsAt(components, c, l, &limiting);
    if (limiting >= 0) {
      const ComponentState& k = components[limiting];
      term.limiting_sku = k.sku;
      term.limiting_avail = ComponentAvail(k, c, l);
      term.limiting_qty = k.qty;
      // The place to restock first: the first source with the fewest kits.
      if (term.avail < fewest) {
        fewest = term.avail;
        e.limiting_sku = k.sku;
        e.limiting_location = term.location;
      }
    }
    e.reservable += term.avail;
    e.sources.push_back(std::move(term));
  }
  const ChannelPolicy& p = own->channels[c];
  e.policy = p;
  e.policy.protect.clear();
  e.after_safety = std::max<int64_t>(0, e.reservable - p.safety_stock);
  e.after_share = e.after_safety * p.share_percent / 100;
  e.published = Publish(p, e.reservable);
  e.overrides_applied = own->applied[c];
  if (query.plan_qty > 0) {
    // A kit ships as one parcel: every component from the first source covering them all.
    for (const ExplainSourceTerm& term : e.sources) {
      if (term.avail < query.plan_qty) continue;
      for (const KitComponent& k : kit.components) {
        e.plan.push_back({k.sku, term.location, k.qty * query.plan_qty, 0});
      }
      break;
    }
    if (e.plan.empty()) {
      std::string per_source;
      for (const ExplainSourceTerm& term : e.sources) {
        absl::StrAppend(&per_source, per_source.empty() ? "" : ", ", term.location, " ",
                        term.avail);
      }
      e.plan_refused = absl::StrCat("no single source of channel '", e.channel, "' covers ",
                                    query.plan_qty, " of kit '", kit.sku,
                                    "' (a kit is taken from one location; kits per "
                                    "source: ",
                                    per_source, ")");
    }
  }
  return e;
}

void Engine::Impl::MarkKits(const MutationRecord& record) {
  const KitIndex& index = generation().kits();
  for (const RowView& row : record.rows()) {
    for (int k : index.KitsOf(row.sku)) kit_announcer_->Mark(k);
  }
}

void Engine::Impl::AnnounceKit(int k) {
  const Model& m = model();
  const Kit& kit = m.kits[k];
  std::vector<int> channels(m.channels.size());
  for (size_t c = 0; c < channels.size(); ++c) channels[c] = static_cast<int>(c);
  std::vector<AvailabilityItem> items;
  KitAvailability(kit, channels, &items);
  std::vector<int64_t>& last = kit_published_[k];
  last.resize(m.channels.size(), 0);  // a channel added by a reload starts at 0
  const std::vector<int64_t> previous = last;
  std::vector<PublishedChange> changes;
  const int64_t now = NowMs();
  for (size_t c = 0; c < items.size(); ++c) {
    const AvailabilityItem& a = items[c];
    if (a.published == last[c]) continue;
    changes.push_back({a.channel, kit.sku, last[c], a.published, a.reservable, now});
    last[c] = a.published;
  }
  if (!changes.empty()) {
    std::vector<ChangeListener*> listeners;
    {
      absl::MutexLock lock(&listeners_mu_);
      listeners = listeners_;
    }
    for (ChangeListener* l : listeners) l->OnPublishedChanges(changes);
  }
  // Also when nothing moved: an alert the write gate refused is still wanted.
  if (m.alerts.enabled) WantKitAlerts(k, items, previous);
}

void Engine::Impl::ForEachKitPublished(
    const std::vector<int>& channels, const std::vector<std::string>& skus,
    const std::function<void(const PublishedChange&)>& emit) const {
  const Model& m = model();
  const int64_t now = NowMs();
  for (const Kit& kit : m.kits) {
    if (!skus.empty() && std::find(skus.begin(), skus.end(), kit.sku) == skus.end()) continue;
    std::vector<AvailabilityItem> items;
    KitAvailability(kit, channels, &items);
    for (const AvailabilityItem& a : items) {
      emit({a.channel, kit.sku, a.published, a.published, a.reservable, now});
    }
  }
}

}  // namespace stockd::engine
