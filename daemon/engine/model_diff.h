// What a new model changes, as Engine::PreviewModel predicts it and Engine::Reconfigure
// reports it (docs/reload.md): per channel, the published quantities that change, and the
// model-level changes (locations and channels added, policies and overrides changed).
//
// Thread-safety: plain values.
#ifndef STOCKD_DAEMON_ENGINE_MODEL_DIFF_H_
#define STOCKD_DAEMON_ENGINE_MODEL_DIFF_H_

#include <cstdint>
#include <string>
#include <vector>

namespace stockd::engine {

// One SKU's published quantity on one channel, before and after.
struct SkuChange {
  std::string sku;
  int64_t before = 0;
  int64_t after = 0;
  bool operator==(const SkuChange&) const = default;
};

// The published quantities of one channel that change.
struct ChannelDiff {
  std::string channel;
  bool added = false;         // only in the new model: every "before" is 0
  int64_t skus_changed = 0;   // SKUs whose published quantity changes
  int64_t units_changed = 0;  // Σ |after − before|
  int64_t net_change = 0;     // Σ (after − before)
  int64_t skus_zeroed = 0;    // before > 0, after 0
  // The SKUs with the largest |after − before|, largest first, ties by SKU ascending; at
  // most the `top_n` asked for.
  std::vector<SkuChange> top;
  bool operator==(const ChannelDiff&) const = default;
};

struct ModelDiff {
  // Every channel of the new model, in the engine's (canonical) index order: the channels
  // of the current model first, then the added ones.
  std::vector<ChannelDiff> channels;
  std::vector<std::string> locations_added;  // ids, in the order they were appended
  std::vector<std::string> channels_added;
  // Existing channels whose policy, sources or split_lines change (ids).
  std::vector<std::string> channels_changed;
  // Overrides are matched by (channel, pattern), in model order for repeated pairs.
  int overrides_added = 0;
  int overrides_removed = 0;
  int overrides_changed = 0;
  // Reorder rules (docs/alerts.md) are matched by pattern, in model order for repeated
  // patterns; a changed rule has the same pattern and other points, days or locations.
  int reorder_rules_added = 0;
  int reorder_rules_removed = 0;
  int reorder_rules_changed = 0;
  bool alert_options_changed = false;  // alerts: half life, hysteresis, back_in_stock_at
  int64_t skus = 0;  // SKUs compared
  bool operator==(const ModelDiff&) const = default;
};

struct ReconfigureOptions {
  int top_n = 10;                // ChannelDiff::top length; 0..1000
  std::string actor = "config";  // the audit entry's "who"
};

struct ReconfigureResult {
  ModelDiff diff;         // what the swap changed (the same shape PreviewModel returns)
  int64_t locked_us = 0;  // time every engine lock was held
  int64_t total_us = 0;   // the whole call, canonicalisation and the diff included
  uint64_t sequence = 0;  // the reconfigure's mutation sequence (its audit entry)
};

}  // namespace stockd::engine

#endif  // STOCKD_DAEMON_ENGINE_MODEL_DIFF_H_
