#include "daemon/engine/kits.h"

#include <limits>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "daemon/engine/state.h"

namespace stockd::engine {

absl::Status ValidateKits(const Model& model) {
  auto bad = [](const Kit& kit, auto&&... parts) {
    return absl::InvalidArgumentError(
        absl::StrCat("kit '", kit.sku, "' (", kit.origin, "): ", parts...));
  };
  if (model.kits.size() > static_cast<size_t>(kMaxKits)) {
    return absl::InvalidArgumentError(absl::StrCat("more than ", kMaxKits, " kits"));
  }
  absl::flat_hash_set<absl::string_view> kits;
  for (const Kit& kit : model.kits) {
    if (!IsValidId(kit.sku)) return bad(kit, "invalid SKU");
    if (!kits.insert(kit.sku).second) return bad(kit, "defined twice");
  }
  for (const Kit& kit : model.kits) {
    if (kit.components.empty()) return bad(kit, "no components");
    if (kit.components.size() > static_cast<size_t>(kMaxKitComponents)) {
      return bad(kit, "more than ", kMaxKitComponents, " components");
    }
    absl::flat_hash_set<absl::string_view> seen;
    for (const KitComponent& c : kit.components) {
      if (!IsValidId(c.sku)) return bad(kit, "invalid component SKU");
      if (kits.contains(c.sku)) return bad(kit, "component '", c.sku, "' is a kit");
      if (!seen.insert(c.sku).second) return bad(kit, "component '", c.sku, "' listed twice");
      if (c.qty < 1 || c.qty > kMaxKitComponentQty) {
        return bad(kit, "component '", c.sku, "': qty outside 1..", kMaxKitComponentQty);
      }
    }
  }
  return absl::OkStatus();
}

KitIndex::KitIndex(const Model& model) : model_(&model) {
  for (size_t i = 0; i < model.kits.size(); ++i) {
    const Kit& kit = model.kits[i];
    kits_.emplace(kit.sku, static_cast<int>(i));
    for (const KitComponent& c : kit.components) {
      containing_[c.sku].push_back(static_cast<int>(i));
    }
  }
}

const Kit* KitIndex::Find(absl::string_view sku) const {
  if (kits_.empty()) return nullptr;
  auto it = kits_.find(sku);
  return it == kits_.end() ? nullptr : &model_->kits[it->second];
}

const std::vector<int>& KitIndex::KitsOf(absl::string_view component) const {
  static const std::vector<int> kNone;
  if (containing_.empty()) return kNone;
  auto it = containing_.find(component);
  return it == containing_.end() ? kNone : it->second;
}

const std::vector<Counters>& PlanningRows::Of(const SkuState& s) {
  if (!copy_) return s.rows;
  return rows_.try_emplace(&s, s.rows).first->second;
}

void PlanningRows::Take(const LineTake& take) {
  if (copy_)
    rows_.try_emplace(take.sku, take.sku->rows).first->second[take.location].held += take.qty;
}

int64_t ComponentAvail(const ComponentState& k, int channel, int location) {
  if (k.rows.empty() || k.policies == nullptr) return 0;
  return Avail(*k.policies, channel, location, k.rows[location]);
}

int64_t KitsAt(const std::vector<ComponentState>& components, int channel, int location,
               int* limiting) {
  int64_t kits = std::numeric_limits<int64_t>::max();
  int bound = -1;
  for (size_t i = 0; i < components.size(); ++i) {
    const int64_t n = ComponentAvail(components[i], channel, location) / components[i].qty;
    if (n < kits) {
      kits = n;
      bound = static_cast<int>(i);
    }
  }
  if (limiting != nullptr) *limiting = bound;
  return bound < 0 ? 0 : kits;
}

int64_t KitReservable(const Model& model, const std::vector<ComponentState>& components,
                      int channel) {
  int64_t sum = 0;
  for (int l : model.channels[channel].sources) sum += KitsAt(components, channel, l, nullptr);
  return sum;
}

}  // namespace stockd::engine
