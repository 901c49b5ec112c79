// Reserve: a channel takes units into a new hold. Its lines are planned against the rows
// as they stand once the shards are locked (each line whole from one location, split over
// the channel's sources, or a kit line's components from one location; availability.h,
// kits.h), then held in one step and Sealed. The other hold commands: hold_commands.cc.
#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"
#include "daemon/engine/availability.h"
#include "daemon/engine/engine_impl.h"
#include "daemon/engine/validation.h"

namespace stockd::engine {

RecordOr Engine::Impl::Apply(ReserveCmd& cmd, const CommandMeta& meta,
                             const std::shared_ptr<Pending>& p) {
  // Ids resolve against the model read here; the sources and policies are the ones in
  // force once the shards are locked (engine_impl.h, "The model").
  const Model& unlocked_model = model();
  absl::StatusOr<int> channel = ResolveChannel(unlocked_model, cmd.channel);
  if (!channel.ok()) return channel.status();
  const int c = *channel;
  if (absl::Status st = CheckLines(cmd.lines, options_.max_lines, true); !st.ok()) return st;
  std::vector<int> wanted(cmd.lines.size(), -1);
  // A kit line takes its components (kits.h); kits are fixed until a restart.
  std::vector<const Kit*> kits(cmd.lines.size(), nullptr);
  const KitIndex& kit_index = generation().kits();
  std::vector<absl::string_view> skus;
  for (size_t i = 0; i < cmd.lines.size(); ++i) {
    if ((kits[i] = kit_index.Find(cmd.lines[i].sku)) != nullptr) {
      for (const KitComponent& k : kits[i]->components) skus.push_back(k.sku);
    } else {
      skus.push_back(cmd.lines[i].sku);
    }
    if (cmd.lines[i].location.empty()) continue;
    absl::StatusOr<int> l = ResolveLocation(unlocked_model, cmd.lines[i].location);
    if (!l.ok()) return l.status();
    wanted[i] = *l;
  }
  absl::StatusOr<int64_t> ttl = ResolveTtl(options_, cmd.ttl_ms);
  if (!ttl.ok()) return ttl.status();
  if (absl::Status st = CheckText("reference", cmd.reference); !st.ok()) return st;

  const std::string id = absl::StrCat(hold_prefix_, hold_counter_.fetch_add(1) + 1);
  HoldStripe& stripe = holds_.StripeFor(id);
  absl::MutexLock hold_lock(&stripe.mu);
  ShardLocks locks;
  locks.LockSorted(ShardsFor(skus));
  const Model& m = model();
  for (int l : wanted) {
    if (l >= 0 && !IsSource(m, c, l)) return NotASource(m, c, l);
  }

  // A line's parts: one (whole from one location), or its split over the sources; a kit
  // line's components, all from one location.
  const bool may_split = m.channels[c].split_lines && !cmd.single_location;
  const bool any_kit = std::any_of(kits.begin(), kits.end(), [](const Kit* k) { return k; });
  PlanningRows rows(any_kit);
  std::vector<LineTake> takes;
  takes.reserve(cmd.lines.size());
  for (size_t i = 0; i < cmd.lines.size(); ++i) {
    const Line& line = cmd.lines[i];
    if (kits[i] != nullptr) {
      absl::Status st = PlanKitLine(m, c, *kits[i], line.qty, wanted[i], &rows, &takes);
      if (!st.ok()) return st;
      continue;
    }
    Shard& shard = ShardFor(line.sku);
    LockedByShardLocks(shard);
    SkuState* s = FindSku(shard, line.sku);
    if (s == nullptr) return UnknownSku(line.sku);
    const PolicySet& ps = *s->policies;
    const std::vector<Counters>& planned = rows.Of(*s);
    if (wanted[i] >= 0) {
      int64_t avail = Avail(ps, c, wanted[i], planned[wanted[i]]);
      if (avail < line.qty) {
        return absl::FailedPreconditionError(
            absl::StrCat("sku '", line.sku, "': channel '", cmd.channel, "' may take ", avail,
                         " at '", m.locations[wanted[i]].id, "', asked ", line.qty));
      }
      takes.push_back({s, wanted[i], line.qty});
      rows.Take(takes.back());
      continue;
    }
    std::vector<LinePart> parts = PlanLine(m, ps, c, planned, line.qty, may_split);
    if (parts.empty()) {
      return LineNotCovered(m, ps, c, planned, line.sku, line.qty, may_split, cmd.single_location);
    }
    for (const LinePart& part : parts) {
      takes.push_back({s, part.location, part.qty});
      rows.Take(takes.back());
    }
  }

  const int64_t now = NowMs();
  auto rec = std::make_unique<HoldRec>();
  rec->channel = c;
  HoldView& v = rec->view;
  v.hold_id = id;
  v.channel = cmd.channel;
  v.state = HoldState::kHeld;
  v.created_ms = v.updated_ms = now;
  v.deadline_ms = now + *ttl;
  v.reference = cmd.reference;
  Change change;
  change.channel = cmd.channel;
  change.reason = cmd.reference;
  // One hold line per (SKU, location): two kits sharing a component, or a kit and one of
  // its components, at one location hold it in one line.
  FirstSeen<std::pair<const SkuState*, int>> lines;
  for (const LineTake& take : takes) {
    change.Touch(take.sku, take.location);
    take.sku->rows[take.location].held += take.qty;
    if (const size_t at = lines.Add({take.sku, take.location}); at < v.lines.size()) {
      v.lines[at].qty += take.qty;
      continue;
    }
    v.lines.push_back({take.sku->sku, m.locations[take.location].id, take.qty, 0});
    rec->locations.push_back(take.location);
  }
  HoldRec* raw = holds_.Insert(stripe, std::move(rec));
  change.hold = raw;
  p->outcome.hold = raw->view;
  return Seal(change, meta, "reserve", p);
}

}  // namespace stockd::engine
