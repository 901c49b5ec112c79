#include "daemon/engine/model_compare.h"

#include <algorithm>
#include <cstdlib>
#include <map>

#include "absl/strings/str_cat.h"
#include "daemon/engine/validation.h"

namespace stockd::engine {
namespace {

absl::Status NeedsRestart(absl::string_view what) {
  return absl::FailedPreconditionError(absl::StrCat(what, " requires a restart"));
}

// An override's effective fields with location ids, in one comparable string.
std::string OverrideBody(const Model& m, const PolicyOverride& o) {
  std::map<std::string, int64_t> protect;  // later entries win, as in BuildPolicySet
  for (const auto& [l, units] : o.protect) protect[m.locations[l].id] = units;
  std::string out = "protect";
  for (const auto& [id, units] : protect) absl::StrAppend(&out, " ", id, "=", units);
  auto field = [&out](const char* name, const auto& v) {
    absl::StrAppend(&out, ";", name, "=");
    if (v) absl::StrAppend(&out, *v);
  };
  field("safety_stock", o.safety_stock);
  field("share_percent", o.share_percent);
  field("min_publish", o.min_publish);
  field("max_publish", o.max_publish);
  return out;
}

// Equal policies; `a` may have fewer locations than `b` (the rest count as 0).
bool SamePolicy(const ChannelPolicy& a, const ChannelPolicy& b) {
  if (a.safety_stock != b.safety_stock || a.share_percent != b.share_percent ||
      a.min_publish != b.min_publish || a.max_publish != b.max_publish) {
    return false;
  }
  for (size_t l = 0; l < std::max(a.protect.size(), b.protect.size()); ++l) {
    const int64_t pa = l < a.protect.size() ? a.protect[l] : 0;
    const int64_t pb = l < b.protect.size() ? b.protect[l] : 0;
    if (pa != pb) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<Model> CanonicalizeModel(const Model& current, const Model& next) {
  if (absl::Status st = ValidateModel(next); !st.ok()) return st;
  Model out;
  // Index in `next` -> index in `out`.
  std::vector<int> location_at(next.locations.size(), -1);
  std::vector<int> channel_at(next.channels.size(), -1);
  for (const Location& was : current.locations) {
    const int j = next.LocationIndex(was.id);
    if (j < 0) {
      return NeedsRestart(absl::StrCat("location '", was.id,
                                       "' is not in the new config: removing or renaming a "
                                       "location"));
    }
    if (next.locations[j].type != was.type) {
      return NeedsRestart(absl::StrCat(
          "location '", was.id, "' changes type from ", LocationTypeName(was.type), " to ",
          LocationTypeName(next.locations[j].type), ": changing a location's type"));
    }
    location_at[j] = static_cast<int>(out.locations.size());
    out.locations.push_back(next.locations[j]);
  }
  for (const Channel& was : current.channels) {
    const int j = next.ChannelIndex(was.id);
    if (j < 0) {
      return NeedsRestart(absl::StrCat("channel '", was.id,
                                       "' is not in the new config: removing or renaming a "
                                       "channel"));
    }
    channel_at[j] = static_cast<int>(out.channels.size());
    out.channels.push_back(next.channels[j]);
  }
  for (size_t j = 0; j < next.locations.size(); ++j) {
    if (location_at[j] >= 0) continue;
    location_at[j] = static_cast<int>(out.locations.size());
    out.locations.push_back(next.locations[j]);
  }
  for (size_t j = 0; j < next.channels.size(); ++j) {
    if (channel_at[j] >= 0) continue;
    channel_at[j] = static_cast<int>(out.channels.size());
    out.channels.push_back(next.channels[j]);
  }
  // The copies still carry `next`'s indices: remap them.
  for (Channel& ch : out.channels) {
    for (int& l : ch.sources) l = location_at[l];
    std::vector<int64_t> protect(out.locations.size(), 0);
    for (size_t j = 0; j < ch.policy.protect.size(); ++j) {
      protect[location_at[j]] = ch.policy.protect[j];
    }
    ch.policy.protect = std::move(protect);
  }
  // Kits are fixed until a restart (docs/kits.md): what a kit is made of decides what its
  // holds took.
  auto same_kits = [](const Model& a, const Model& b) {
    if (a.kits.size() != b.kits.size()) return false;
    for (size_t i = 0; i < a.kits.size(); ++i) {
      const Kit& x = a.kits[i];
      const Kit& y = b.kits[i];
      if (x.sku != y.sku || x.components.size() != y.components.size()) return false;
      for (size_t j = 0; j < x.components.size(); ++j) {
        if (x.components[j].sku != y.components[j].sku ||
            x.components[j].qty != y.components[j].qty) {
          return false;
        }
      }
    }
    return true;
  };
  if (!same_kits(current, next)) return NeedsRestart("the kits differ: changing kits");
  out.kits = next.kits;
  out.overrides = next.overrides;
  for (PolicyOverride& o : out.overrides) {
    o.channel = channel_at[o.channel];
    for (auto& [l, units] : o.protect) l = location_at[l];
  }
  // Alert options and reorder rules apply from the next mutation on (docs/alerts.md).
  out.alerts = next.alerts;
  out.alerts.enabled = current.alerts.enabled;  // a restart's (RestartOnlyChanges)
  out.reorder = next.reorder;
  for (ReorderRule& r : out.reorder) {
    for (int& l : r.locations) l = location_at[l];
  }
  // A remapped valid model stays valid; checked anyway, the engine relies on it.
  if (absl::Status st = ValidateModel(out); !st.ok()) return st;
  return out;
}

ModelDiff CompareModels(const Model& current, const Model& next) {
  ModelDiff diff;
  for (size_t l = current.locations.size(); l < next.locations.size(); ++l) {
    diff.locations_added.push_back(next.locations[l].id);
  }
  for (size_t c = 0; c < next.channels.size(); ++c) {
    const Channel& now = next.channels[c];
    if (c >= current.channels.size()) {
      diff.channels_added.push_back(now.id);
      continue;
    }
    const Channel& was = current.channels[c];
    if (was.type != now.type || was.sources != now.sources || was.split_lines != now.split_lines ||
        !SamePolicy(was.policy, now.policy)) {
      diff.channels_changed.push_back(now.id);
    }
  }
  std::vector<bool> matched(next.overrides.size(), false);
  for (const PolicyOverride& was : current.overrides) {
    const std::string& channel = current.channels[was.channel].id;
    bool found = false;
    for (size_t j = 0; j < next.overrides.size() && !found; ++j) {
      const PolicyOverride& now = next.overrides[j];
      if (matched[j] || now.pattern != was.pattern || next.channels[now.channel].id != channel) {
        continue;
      }
      matched[j] = found = true;
      if (OverrideBody(current, was) != OverrideBody(next, now)) ++diff.overrides_changed;
    }
    if (!found) ++diff.overrides_removed;
  }
  diff.overrides_added = static_cast<int>(std::count(matched.begin(), matched.end(), false));

  std::vector<bool> rule_matched(next.reorder.size(), false);
  for (const ReorderRule& was : current.reorder) {
    bool found = false;
    for (size_t j = 0; j < next.reorder.size() && !found; ++j) {
      const ReorderRule& now = next.reorder[j];
      if (rule_matched[j] || now.pattern != was.pattern) continue;
      rule_matched[j] = found = true;
      // Location indices are stable across a reload (locations are only appended).
      if (was.point != now.point || was.total_point != now.total_point ||
          was.lead_time_days != now.lead_time_days || was.cover_days != now.cover_days ||
          was.locations != now.locations) {
        ++diff.reorder_rules_changed;
      }
    }
    if (!found) ++diff.reorder_rules_removed;
  }
  diff.reorder_rules_added =
      static_cast<int>(std::count(rule_matched.begin(), rule_matched.end(), false));
  diff.alert_options_changed =
      current.alerts.velocity_half_life_ms != next.alerts.velocity_half_life_ms ||
      current.alerts.hysteresis_percent != next.alerts.hysteresis_percent ||
      current.alerts.back_in_stock_at != next.alerts.back_in_stock_at;
  return diff;
}

DiffBuilder::DiffBuilder(const Model& next, size_t current_channels, int top_n)
    : channels_(next.channels.size()), top_n_(static_cast<size_t>(std::max(0, top_n))) {
  for (size_t c = 0; c < channels_.size(); ++c) {
    channels_[c].diff.channel = next.channels[c].id;
    channels_[c].diff.added = c >= current_channels;
  }
}

bool DiffBuilder::Ranks(const SkuChange& a, const SkuChange& b) {
  const int64_t da = std::llabs(a.after - a.before), db = std::llabs(b.after - b.before);
  if (da != db) return da > db;
  return a.sku < b.sku;
}

void DiffBuilder::Add(int c, absl::string_view sku, int64_t before, int64_t after) {
  if (before == after) return;
  Channel& ch = channels_[c];
  const int64_t delta = after - before;
  ++ch.diff.skus_changed;
  ch.diff.units_changed += std::llabs(delta);
  ch.diff.net_change += delta;
  if (before > 0 && after == 0) ++ch.diff.skus_zeroed;
  if (top_n_ == 0) return;
  // The heap's front is its worst entry (Ranks orders best first).
  if (ch.heap.size() < top_n_) {
    ch.heap.push_back({std::string(sku), before, after});
    std::push_heap(ch.heap.begin(), ch.heap.end(), Ranks);
    return;
  }
  const int64_t worst = std::llabs(ch.heap.front().after - ch.heap.front().before);
  const int64_t size = std::llabs(delta);
  if (size < worst || (size == worst && sku >= ch.heap.front().sku)) return;
  std::pop_heap(ch.heap.begin(), ch.heap.end(), Ranks);
  ch.heap.back() = {std::string(sku), before, after};
  std::push_heap(ch.heap.begin(), ch.heap.end(), Ranks);
}

void DiffBuilder::Finish(ModelDiff* diff) {
  diff->channels.clear();
  for (Channel& ch : channels_) {
    std::sort(ch.heap.begin(), ch.heap.end(), Ranks);
    ch.diff.top = std::move(ch.heap);
    diff->channels.push_back(std::move(ch.diff));
  }
  channels_.clear();
}

}  // namespace stockd::engine
