#include "daemon/engine/model_generation.h"

namespace stockd::engine {

ModelGeneration::ModelGeneration(std::shared_ptr<const Model> model)
    : model_(std::move(model)), base_policies_(BuildPolicySet(*model_, {})), kits_(*model_) {}

std::shared_ptr<const PolicySet> ModelGeneration::PoliciesFor(const std::string& sku) const {
  std::vector<int> matched;
  for (size_t i = 0; i < model_->overrides.size(); ++i) {
    if (GlobMatch(model_->overrides[i].pattern, sku)) matched.push_back(static_cast<int>(i));
  }
  if (matched.empty()) return base_policies_;
  absl::MutexLock lock(&mu_);
  auto& slot = cache_[matched];
  if (!slot) slot = BuildPolicySet(*model_, matched);
  return slot;
}

void ModelGeneration::DropCache() const {
  absl::MutexLock lock(&mu_);
  cache_.clear();
}

}  // namespace stockd::engine
