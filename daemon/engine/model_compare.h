// Comparing the model in force with a new one, for Engine::PreviewModel and
// Engine::Reconfigure (reconfigure.cc): canonicalising the new model to the current one's
// indices, its model-level changes, and the per-channel summary of published changes.
// Internal to daemon/engine; docs/reload.md has the rules.
//
// Thread-safety: CanonicalizeModel and CompareModels are pure functions; a DiffBuilder
// belongs to one thread.
#ifndef STOCKD_DAEMON_ENGINE_MODEL_COMPARE_H_
#define STOCKD_DAEMON_ENGINE_MODEL_COMPARE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "daemon/engine/model.h"
#include "daemon/engine/model_diff.h"

namespace stockd::engine {

inline constexpr int kMaxDiffTopN = 1000;

// `next` with the current model's indices: every location and channel of `current` keeps
// its index (matched by id; `next`'s name and, for a channel, type, sources and policy are
// taken), the new ones follow in `next`'s order, and every index inside (sources, protect
// vectors, overrides' channel and protected locations) is remapped; overrides keep their
// order. FAILED_PRECONDITION naming the first location or channel of `current` that
// `next` lacks (removed or renamed) or a location whose type changes ("... requires a
// restart"); INVALID_ARGUMENT when `next` breaks the structural rules (ValidateModel).
absl::StatusOr<Model> CanonicalizeModel(const Model& current, const Model& next);

// The model-level part of a ModelDiff (`channels` and `skus` left empty): locations and
// channels added, existing channels whose policy or sources differ, overrides added,
// removed and changed (matched by channel id and pattern, in order). `next` canonical.
ModelDiff CompareModels(const Model& current, const Model& next);

// Sums the published changes of each channel and keeps its `top_n` largest.
class DiffBuilder {
 public:
  // `next` canonical; the first `current_channels` channels existed before.
  DiffBuilder(const Model& next, size_t current_channels, int top_n);
  // One SKU's published quantity on channel `c` (an index of `next`) before and after.
  void Add(int c, absl::string_view sku, int64_t before, int64_t after);
  // Fills diff->channels (one per channel of `next`).
  void Finish(ModelDiff* diff);

 private:
  struct Channel {
    ChannelDiff diff;
    std::vector<SkuChange> heap;  // the best `top_n_` so far; the worst at the front
  };
  // Whether `a` ranks before `b`: larger |change| first, then the smaller SKU.
  static bool Ranks(const SkuChange& a, const SkuChange& b);
  std::vector<Channel> channels_;
  size_t top_n_;
};

}  // namespace stockd::engine

#endif  // STOCKD_DAEMON_ENGINE_MODEL_COMPARE_H_
