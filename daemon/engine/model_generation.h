// One model the engine runs on, with what is derived from it: the base policies and the
// cache of PolicySets per set of matching overrides. Internal to daemon/engine.
//
// The engine installs a new generation on Reconfigure (reconfigure.cc) and keeps every
// generation it ever installed until it is destroyed, so a `const ModelGeneration*` (and
// the Model in it) read once stays valid for the engine's lifetime: code that validates
// ids before it takes locks may keep using what it read. A reload is an operator action
// and a model is kilobytes; after a swap the old generation's policy cache is emptied.
//
// Thread-safety: `model` and `base_policies` are immutable; PoliciesFor may be called from
// any thread (the cache has its own mutex, a leaf lock).
#ifndef STOCKD_DAEMON_ENGINE_MODEL_GENERATION_H_
#define STOCKD_DAEMON_ENGINE_MODEL_GENERATION_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "daemon/engine/availability.h"
#include "daemon/engine/kits.h"
#include "daemon/engine/model.h"

namespace stockd::engine {

class ModelGeneration {
 public:
  explicit ModelGeneration(std::shared_ptr<const Model> model);
  ModelGeneration(const ModelGeneration&) = delete;
  ModelGeneration& operator=(const ModelGeneration&) = delete;

  const Model& model() const { return *model_; }
  const std::shared_ptr<const Model>& shared_model() const { return model_; }

  // The effective policies of `sku`: the base set, or the one of the overrides matching it
  // (shared by every SKU that matches the same overrides).
  std::shared_ptr<const PolicySet> PoliciesFor(const std::string& sku) const;
  // Forgets the cached sets (the SKUs keep the ones they point at).
  void DropCache() const;
  // The model's kits (kits.h).
  const KitIndex& kits() const { return kits_; }

 private:
  const std::shared_ptr<const Model> model_;
  const std::shared_ptr<const PolicySet> base_policies_;
  const KitIndex kits_;
  mutable absl::Mutex mu_;
  mutable std::map<std::vector<int>, std::shared_ptr<const PolicySet>> cache_ ABSL_GUARDED_BY(mu_);
};

}  // namespace stockd::engine

#endif  // STOCKD_DAEMON_ENGINE_MODEL_GENERATION_H_
