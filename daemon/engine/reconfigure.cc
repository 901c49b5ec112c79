// Live reconfiguration: PreviewModel (what a new model would change, one shard at a time)
// and Reconfigure (install it under every lock). docs/reload.md has the rules;
// model_compare.h canonicalises and compares the models.
#include <algorithm>
#include <chrono>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "daemon/engine/availability.h"
#include "daemon/engine/engine_impl.h"
#include "daemon/engine/model_compare.h"
#include "daemon/engine/validation.h"

namespace stockd::engine {
namespace {

using SteadyClock = std::chrono::steady_clock;

int64_t MicrosBetween(SteadyClock::time_point from, SteadyClock::time_point to) {
  return std::chrono::duration_cast<std::chrono::microseconds>(to - from).count();
}

absl::Status CheckTopN(int top_n) {
  if (top_n < 0 || top_n > kMaxDiffTopN) {
    return absl::InvalidArgumentError(absl::StrCat("top_n: ", top_n, " outside 0..", kMaxDiffTopN));
  }
  return absl::OkStatus();
}

// The reconfigure's audit reason: what changed in the model and how many published
// quantities moved.
std::string Summary(const ModelDiff& d, size_t published_changes) {
  std::vector<std::string> parts;
  if (!d.locations_added.empty()) {
    parts.push_back(absl::StrCat("locations added: ", absl::StrJoin(d.locations_added, ", ")));
  }
  if (!d.channels_added.empty()) {
    parts.push_back(absl::StrCat("channels added: ", absl::StrJoin(d.channels_added, ", ")));
  }
  if (!d.channels_changed.empty()) {
    parts.push_back(absl::StrCat("channels changed: ", absl::StrJoin(d.channels_changed, ", ")));
  }
  if (d.overrides_added + d.overrides_removed + d.overrides_changed > 0) {
    parts.push_back(absl::StrCat("overrides +", d.overrides_added, " -", d.overrides_removed, " ~",
                                 d.overrides_changed));
  }
  if (d.reorder_rules_added + d.reorder_rules_removed + d.reorder_rules_changed > 0) {
    parts.push_back(absl::StrCat("reorder rules +", d.reorder_rules_added, " -",
                                 d.reorder_rules_removed, " ~", d.reorder_rules_changed));
  }
  if (d.alert_options_changed) parts.push_back("alert options changed");
  if (parts.empty()) parts.push_back("model unchanged");
  parts.push_back(absl::StrCat(published_changes, " published quantities changed"));
  return absl::StrJoin(parts, "; ");
}

}  // namespace

absl::StatusOr<ModelDiff> Engine::Impl::PreviewModel(const Model& next, int top_n) const {
  if (absl::Status st = CheckTopN(top_n); !st.ok()) return st;
  // The model in force stays in force meanwhile (Reconfigure waits); writers do not.
  absl::MutexLock reload_lock(&reload_mu_);
  const Model& current = model();
  absl::StatusOr<Model> canonical = CanonicalizeModel(current, next);
  if (!canonical.ok()) return canonical.status();
  const ModelGeneration next_generation(std::make_shared<const Model>(std::move(*canonical)));
  const Model& m = next_generation.model();
  ModelDiff diff = CompareModels(current, m);
  DiffBuilder builder(m, current.channels.size(), top_n);
  std::vector<Counters> grown;  // a SKU's rows with the new locations' (empty) ones
  for (const Shard& shard : shards_) {
    // One shard at a time: a writer waits at most for this shard's SKUs.
    absl::MutexLock lock(&shard.mu);
    for (const auto& [sku, s] : shard.skus) {
      ++diff.skus;
      const std::vector<Counters>* rows = &s->rows;
      if (rows->size() != m.locations.size()) {
        grown.assign(s->rows.begin(), s->rows.end());
        grown.resize(m.locations.size());
        rows = &grown;
      }
      const std::shared_ptr<const PolicySet> policies = next_generation.PoliciesFor(sku);
      for (size_t c = 0; c < m.channels.size(); ++c) {
        const int ci = static_cast<int>(c);
        const int64_t before = c < s->published.size() ? s->published[c] : 0;
        builder.Add(ci, sku, before,
                    Publish(policies->channels[c], Reservable(m, *policies, ci, *rows)));
      }
    }
  }
  builder.Finish(&diff);
  return diff;
}

absl::StatusOr<ReconfigureResult> Engine::Impl::Reconfigure(Model next,
                                                            const ReconfigureOptions& options) {
  const SteadyClock::time_point start = SteadyClock::now();
  if (absl::Status st = CheckTopN(options.top_n); !st.ok()) return st;
  if (absl::Status st = CheckText("actor", options.actor); !st.ok()) return st;
  absl::ReleasableMutexLock reload_lock(&reload_mu_);
  const ModelGeneration& was = generation();
  const Model& current = was.model();
  absl::StatusOr<Model> canonical = CanonicalizeModel(current, next);
  if (!canonical.ok()) return canonical.status();
  auto installed =
      std::make_unique<const ModelGeneration>(std::make_shared<const Model>(std::move(*canonical)));
  const ModelGeneration& g = *installed;
  const Model& m = g.model();
  ReconfigureResult result;
  result.diff = CompareModels(current, m);

  const size_t num_locations = m.locations.size(), num_channels = m.channels.size();
  const int64_t now = NowMs();
  auto record = std::make_shared<MutationRecord>();
  auto audit = std::make_shared<AuditEntry>();
  auto pending = std::make_shared<Pending>();
  pending->done = [](const absl::StatusOr<Outcome>&) {};  // nobody waits for the announcement

  // Resolve every SKU's new policies (glob matching) before the locks are all taken, one
  // shard at a time; a SKU created meanwhile resolves its own below. (A SKU's state is
  // never freed or moved while the engine runs: its address is its key here.)
  absl::flat_hash_map<const SkuState*, std::shared_ptr<const PolicySet>> staged;
  staged.reserve(static_cast<size_t>(std::max<int64_t>(0, skus_.load())));
  for (Shard& shard : shards_) {
    absl::MutexLock lock(&shard.mu);
    for (auto& [sku, s] : shard.skus) staged.emplace(s.get(), g.PoliciesFor(sku));
  }

  LockEverything();
  const SteadyClock::time_point locked = SteadyClock::now();
  for (Shard& shard : shards_) {
    all_shards_.AssertMemberHeld(shard.mu);
    for (auto& [sku, s] : shard.skus) {
      ++result.diff.skus;
      s->rows.resize(num_locations);
      s->present.resize(num_locations, false);
      s->published.resize(num_channels, 0);
      auto it = staged.find(s.get());
      s->policies = it != staged.end() ? std::move(it->second) : g.PoliciesFor(sku);
      for (size_t c = 0; c < num_channels; ++c) {
        const int64_t reservable = Reservable(m, *s->policies, static_cast<int>(c), s->rows);
        const int64_t published = Publish(s->policies->channels[c], reservable);
        if (published == s->published[c]) continue;
        record->changes.push_back(
            {m.channels[c].id, sku, s->published[c], published, reservable, now});
        s->published[c] = published;
      }
    }
  }
  current_.store(installed.get(), std::memory_order_release);
  generations_.push_back(std::move(installed));

  // One mutation without rows: its audit entry says what changed, and the journal orders
  // its published changes among the mutations' (those sealed before are appended before).
  audit->time_ms = now;
  audit->actor = options.actor;
  audit->operation = "reconfigure";
  audit->reason = Summary(result.diff, record->changes.size());
  record->audit = audit;
  SequenceAndAppend(record, audit.get(), pending);
  result.sequence = record->sequence;
  if (audit_per_shard_ > 0) {
    Shard& shard = shards_.front();
    all_shards_.AssertMemberHeld(shard.mu);
    shard.audit.push_back(audit);
    while (shard.audit.size() > audit_per_shard_) shard.audit.pop_front();
  }
  const SteadyClock::time_point unlocked = SteadyClock::now();
  UnlockEverything();
  was.DropCache();        // no SKU asks the old generation again
  reload_lock.Release();  // listeners run without engine locks
  if (options_.journal == nullptr) Complete(pending, record, absl::OkStatus());
  // A kit's published quantity follows its own policy and its channels' sources, which
  // the new model may change without any component moving.
  if (kit_announcer_) kit_announcer_->MarkAll();

  absl::flat_hash_map<absl::string_view, int> channel_index;
  for (size_t c = 0; c < num_channels; ++c) channel_index[m.channels[c].id] = static_cast<int>(c);
  DiffBuilder builder(m, current.channels.size(), options.top_n);
  for (const PublishedChange& change : record->changes) {
    builder.Add(channel_index.at(change.channel), change.sku, change.previous, change.published);
  }
  builder.Finish(&result.diff);
  result.locked_us = MicrosBetween(locked, unlocked);
  result.total_us = MicrosBetween(start, SteadyClock::now());
  return result;
}

}  // namespace stockd::engine
