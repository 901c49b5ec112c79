// Kits and bundles (docs/kits.md): a kit SKU has no stock of its own; it is `qty` units of
// each of its components, all taken from one location (a kit ships as one parcel). Per
// channel c:
//
//   kits_c(L)       = min over components k of floor(avail_c(k, L) / qty_k)
//   reservable_c    = Σ_{L in sources(c)} kits_c(L)
//   published_c     = the kit's own channel policy applied to reservable_c
//
// avail_c(k, L) is the component's own (its policies and the buffers protecting it).
// These are pure functions over copies of the components' rows; KitIndex indexes a model's
// kits. Thread-safety: immutable once built.
#ifndef STOCKD_DAEMON_ENGINE_KITS_H_
#define STOCKD_DAEMON_ENGINE_KITS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "daemon/engine/availability.h"
#include "daemon/engine/model.h"

namespace stockd::engine {

inline constexpr int kMaxKitComponents = 64;
inline constexpr int64_t kMaxKitComponentQty = 10'000;
inline constexpr int kMaxKits = 100'000;

// The structural rules of a model's kits (ValidateModel): valid distinct kit SKUs, 1 to
// kMaxKitComponents distinct components each, qty 1..kMaxKitComponentQty, no component
// that is a kit. INVALID_ARGUMENT naming the kit's origin.
absl::Status ValidateKits(const Model& model);

// The kits of one model by SKU, and which kits contain a component.
class KitIndex {
 public:
  explicit KitIndex(const Model& model);
  // Null when `sku` is not a kit.
  const Kit* Find(absl::string_view sku) const;
  // Indices into model.kits of the kits that list `component` (empty: none).
  const std::vector<int>& KitsOf(absl::string_view component) const;
  bool empty() const { return kits_.empty(); }

 private:
  const Model* model_;
  absl::flat_hash_map<std::string, int> kits_;
  absl::flat_hash_map<std::string, std::vector<int>> containing_;
};

// One component as a kit query read it (copied under its shard's lock).
struct ComponentState {
  std::string sku;
  int64_t qty = 1;
  std::vector<Counters> rows;                 // by location index; empty: no stock record (avail 0)
  std::shared_ptr<const PolicySet> policies;  // null with empty rows
};

struct SkuState;

// What one line of a Reserve takes: `qty` units of a SKU at a location.
struct LineTake {
  SkuState* sku = nullptr;
  int location = -1;
  int64_t qty = 0;
};

// The rows a Reserve plans against: the SKUs' own or, in a request with a kit line,
// copies that include what its earlier lines took already, so that a kit and one of its
// components (or two kits sharing one) are checked together. Callers hold the SKUs'
// shards.
class PlanningRows {
 public:
  explicit PlanningRows(bool copy) : copy_(copy) {}
  const std::vector<Counters>& Of(const SkuState& s);
  void Take(const LineTake& take);

 private:
  const bool copy_;
  absl::flat_hash_map<const SkuState*, std::vector<Counters>> rows_;
};

// avail_c(k, L) of a component.
int64_t ComponentAvail(const ComponentState& k, int channel, int location);

// kits_c(L). `*limiting` (if not null): the index of the component that bounds it (the
// first in kit order with the fewest kits' worth).
int64_t KitsAt(const std::vector<ComponentState>& components, int channel, int location,
               int* limiting);

// reservable_c of the kit.
int64_t KitReservable(const Model& model, const std::vector<ComponentState>& components,
                      int channel);

}  // namespace stockd::engine

#endif  // STOCKD_DAEMON_ENGINE_KITS_H_
