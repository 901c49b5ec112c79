// Kit mutations (kits.h, docs/kits.md): a Reserve line of kits (every component at one
// location, planned against what the request's earlier lines take: PlanningRows), the
// Sell of kits at a till (every component at the till's location, in one mutation), and
// an order's kit lines (one line per component, every component of a line at one
// location; ApplyOrder in order_commands.cc applies them).
#include <algorithm>
#include <limits>
#include <map>

#include "absl/strings/str_cat.h"
#include "daemon/engine/engine_impl.h"
#include "daemon/engine/kits.h"
#include "daemon/engine/validation.h"

namespace stockd::engine {

absl::Status Engine::Impl::PlanKitLine(const Model& m, int c, const Kit& kit, int64_t kits,
                                       int wanted, PlanningRows* rows,
                                       std::vector<LineTake>* takes) {
  std::vector<ComponentState> components;
  std::vector<SkuState*> states;
  for (const KitComponent& k : kit.components) {
    Shard& shard = ShardFor(k.sku);
    LockedByShardLocks(shard);
    SkuState* s = FindSku(shard, k.sku);
    ComponentState state{k.sku, k.qty, {}, nullptr};
    if (s != nullptr) {
      state.rows = rows->Of(*s);
      state.policies = s->policies;
    }
    components.push_back(std::move(state));
    states.push_back(s);
  }
  auto take_at = [&](int l) {
    for (size_t i = 0; i < kit.components.size(); ++i) {
      const LineTake take{states[i], l, kit.components[i].qty * kits};
      rows->Take(take);
      takes->push_back(take);
    }
    return absl::OkStatus();
  };
  const std::string& channel = m.channels[c].id;
  if (wanted >= 0) {
    int limiting = -1;
    const int64_t here = KitsAt(components, c, wanted, &limiting);
    if (here >= kits) return take_at(wanted);
    const ComponentState& k = components[limiting];
    return absl::FailedPreconditionError(
        absl::StrCat("kit '", kit.sku, "': channel '", channel, "' may take ", here, " at '",
                     m.locations[wanted].id, "', asked ", kits, " (limited by '", k.sku,
                     "': avail ", ComponentAvail(k, c, wanted), ", ", k.qty, " per kit)"));
  }
  std::string per_source;
  for (int l : m.channels[c].sources) {
    int limiting = -1;
    const int64_t here = KitsAt(components, c, l, &limiting);
    if (here >= kits) return take_at(l);
    absl::StrAppend(&per_source, per_source.empty() ? "" : ", ", m.locations[l].id, " ", here, " (",
                    components[limiting].sku, ")");
  }
  return absl::FailedPreconditionError(
      absl::StrCat("kit '", kit.sku, "': no single source of channel '", channel, "' covers ", kits,
                   " (a kit is taken from one location; kits per source and what limits "
                   "them: ",
                   per_source, ")"));
}

RecordOr Engine::Impl::SellKit(const Kit& kit, SellCmd& cmd, int c, int l, const CommandMeta& meta,
                               const std::shared_ptr<Pending>& p) {
  std::vector<absl::string_view> skus;
  for (const KitComponent& k : kit.components) skus.push_back(k.sku);
  ShardLocks locks;
  locks.LockSorted(ShardsFor(skus));
  // The sources in force now (engine_impl.h, "The model").
  const Model& m = model();
  if (!IsSource(m, c, l)) return NotASource(m, c, l);
  std::vector<SkuState*> states;
  std::vector<ComponentState> components;
  for (const KitComponent& k : kit.components) {
    Shard& shard = ShardFor(k.sku);
    LockedByShardLocks(shard);
    SkuState* s = FindSku(shard, k.sku);
    states.push_back(s);
    ComponentState state{k.sku, k.qty, {}, nullptr};
    if (s != nullptr) {
      state.rows = s->rows;
      state.policies = s->policies;
    }
    components.push_back(std::move(state));
  }
  // As a Sell of one SKU: the channel's bound first (unless override), then what is on
  // the shelf.
  int limiting = -1;
  const int64_t kits = KitsAt(components, c, l, &limiting);
  if (cmd.qty > kits && !cmd.override_limit) {
    const ComponentState& k = components[limiting];
    return absl::FailedPreconditionError(absl::StrCat(
        "kit '", kit.sku, "': channel '", cmd.channel, "' may sell ", kits, " at '", cmd.location,
        "' (limited by '", k.sku, "': avail ", ComponentAvail(k, c, l), ", ", k.qty,
        " per kit), asked ", cmd.qty, "; set override to record a physical sale"));
  }
  for (size_t i = 0; i < states.size(); ++i) {
    const int64_t on_hand = states[i] == nullptr ? 0 : states[i]->rows[l].on_hand;
    if (on_hand < kit.components[i].qty * cmd.qty) {
      return absl::FailedPreconditionError(
          absl::StrCat("kit '", kit.sku, "': only ", on_hand, " of '", kit.components[i].sku,
                       "' on hand at '", cmd.location, "', sold ", cmd.qty, " x ",
                       kit.components[i].qty, "; record a Count first"));
    }
  }
  Change change;
  change.channel = cmd.channel;
  change.reason = cmd.reference;
  for (size_t i = 0; i < states.size(); ++i) {
    change.Touch(states[i], l);
    states[i]->rows[l].on_hand -= kit.components[i].qty * cmd.qty;
  }
  if (cmd.qty > kits) {
    p->outcome.breach = true;
    p->outcome.breach_units = cmd.qty - kits;  // kits beyond what the channel could sell
    breaches_.fetch_add(1);
    RecordBreach({NowMs(), cmd.channel, "sell", kit.sku, cmd.location, "", cmd.qty - kits});
    change.Breach(kit.sku, cmd.location, cmd.qty - kits);  // in kits
    change.reason =
        absl::StrCat("BREACH: ", cmd.qty - kits, " kits of '", kit.sku, "' beyond avail ", kits,
                     cmd.reference.empty() ? "" : "; ", cmd.reference);
  } else {
    change.reason = absl::StrCat("kit '", kit.sku, "' x", cmd.qty,
                                 cmd.reference.empty() ? "" : "; ", cmd.reference);
  }
  for (size_t i = 0; i < states.size(); ++i) {
    p->outcome.before.push_back({states[i]->sku, cmd.location, change.rows[i].before});
    p->outcome.after.push_back(View(*states[i], l));
  }
  return Seal(change, meta, "sell", p);
}

absl::Status Engine::Impl::ExpandKitOrderLines(ApplyOrderCmd* cmd, std::vector<int>* groups) const {
  const KitIndex& kits = generation().kits();
  std::vector<OrderLineCmd> out;
  out.reserve(cmd->lines.size());
  groups->clear();
  int next_group = 0;
  for (size_t i = 0; i < cmd->lines.size(); ++i) {
    OrderLineCmd& line = cmd->lines[i];
    const Kit* kit = kits.Find(line.sku);
    if (kit == nullptr) {
      line.kit.clear();
      line.per_kit = 0;
      out.push_back(std::move(line));
      groups->push_back(-1);
      continue;
    }
    for (const KitComponent& k : kit->components) {
      if (line.qty > kMaxQuantity / k.qty) {
        return absl::InvalidArgumentError(absl::StrCat(
            "lines[", i, "].qty: ", line.qty, " kits of '", kit->sku, "' need more than ",
            kMaxQuantity, " units of '", k.sku, "' (", k.qty, " per kit)"));
      }
      out.push_back(OrderLineCmd{k.sku, line.location, line.qty * k.qty, line.shipped * k.qty,
                                 line.cancelled * k.qty, kit->sku, k.qty});
      groups->push_back(next_group);
    }
    ++next_group;
  }
  if (out.size() > static_cast<size_t>(options_.max_lines)) {
    return absl::InvalidArgumentError(
        absl::StrCat("lines: the order's ", cmd->lines.size(), " lines make ", out.size(),
                     " once its kits are split into their components, over the maximum of ",
                     options_.max_lines));
  }
  cmd->lines = std::move(out);
  return absl::OkStatus();
}

void Engine::Impl::PlaceKitOrderLines(int c, const std::vector<OrderTarget>& targets,
                                      bool order_cancelled, const std::vector<SkuState*>& states,
                                      OrderView* order, std::vector<int>* locs,
                                      std::string* reason) const {
  std::map<int, std::vector<const OrderTarget*>> groups;
  for (const OrderTarget& t : targets) {
    if (t.group >= 0) groups[t.group].push_back(&t);
  }
  const Model& m = model();
  const std::vector<int>& sources = m.channels[c].sources;
  for (const auto& entry : groups) {
    // Not a structured binding: the lambda below captures it (clang 14 refuses those).
    const std::vector<const OrderTarget*>& members = entry.second;
    int l = -1;
    bool placed = true;
    for (const OrderTarget* t : members) {
      if ((*locs)[t->line] >= 0 && l < 0) l = (*locs)[t->line];
      placed = placed && (*locs)[t->line] >= 0;
    }
    if (placed) continue;
    const OrderLineView& first = order->lines[members.front()->line];
    if (l < 0) {
      if (!first.location.empty()) {
        absl::StrAppend(reason, "; location '", first.location, "' of kit ", first.kit,
                        " is unknown: taken from the channel's sources");
      }
      // What each new component line takes now: its open units and what it ships.
      std::vector<int64_t> need(members.size());
      for (size_t i = 0; i < members.size(); ++i) {
        const OrderTarget& t = *members[i];
        const int64_t shipped = std::max(order->lines[t.line].shipped, t.shipped);
        need[i] = TargetOpen(t, shipped, order_cancelled) + shipped - order->lines[t.line].shipped;
      }
      auto covers = [&](int at, bool by_avail) {
        for (size_t i = 0; i < members.size(); ++i) {
          const SkuState& s = *states[members[i]->line];
          const int64_t have = by_avail ? Avail(*s.policies, c, at, s.rows[at]) : s.rows[at].free();
          if (have < need[i]) return false;
        }
        return true;
      };
      for (int pass = 0; pass < 2 && l < 0; ++pass) {
        for (int at : sources) {
          if (covers(at, pass == 0)) {
            l = at;
            break;
          }
        }
      }
      if (l < 0) {  // none covers it: the most whole kits' worth of free stock
        int64_t best = -1;
        for (int at : sources) {
          int64_t kits = std::numeric_limits<int64_t>::max();
          for (size_t i = 0; i < members.size(); ++i) {
            const OrderLineView& line = order->lines[members[i]->line];
            const int64_t free = std::max<int64_t>(0, states[members[i]->line]->rows[at].free());
            kits = std::min(kits, free / std::max<int64_t>(1, line.per_kit));
          }
          if (kits > best) {
            best = kits;
            l = at;
          }
        }
      }
    }
    for (const OrderTarget* t : members) {
      if ((*locs)[t->line] >= 0) continue;
      (*locs)[t->line] = l;
      order->lines[t->line].location = m.locations[l].id;
    }
  }
}

}  // namespace stockd::engine
