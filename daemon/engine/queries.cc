// The queries: they read the committed-in-memory state under the lock of each shard or
// hold stripe they look at, one at a time, and never wait for the journal.
#include <algorithm>
#include <limits>
#include <optional>
#include <string_view>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "daemon/engine/availability.h"
#include "daemon/engine/engine_impl.h"
#include "daemon/engine/validation.h"

namespace stockd::engine {

absl::StatusOr<std::vector<RowView>> Engine::Impl::GetStock(
    const std::string& sku, const std::vector<std::string>& locations) const {
  if (absl::Status st = CheckId("sku", sku); !st.ok()) return st;
  std::vector<int> wanted;
  for (const std::string& l : locations) {
    absl::StatusOr<int> index = ResolveLocation(model(), l);
    if (!index.ok()) return index.status();
    wanted.push_back(*index);
  }
  const Shard& shard = ShardFor(sku);
  absl::MutexLock lock(&shard.mu);
  const SkuState* s = FindSku(shard, sku);
  if (s == nullptr) return UnknownSku(sku);
  std::vector<RowView> rows;
  if (wanted.empty()) {
    for (size_t l = 0; l < s->rows.size(); ++l) {
      if (s->present[l]) rows.push_back(View(*s, static_cast<int>(l)));
    }
  } else {
    for (int l : wanted) rows.push_back(View(*s, l));
  }
  return rows;
}

bool Engine::Impl::HasSku(const std::string& sku) const {
  if (const Kit* kit = generation().kits().Find(sku)) {
    for (const KitComponent& k : kit->components) {
      if (!HasSku(k.sku)) return false;
    }
    return true;
  }
  const Shard& shard = ShardFor(sku);
  absl::MutexLock lock(&shard.mu);
  return FindSku(shard, sku) != nullptr;
}

absl::StatusOr<std::vector<AvailabilityItem>> Engine::Impl::GetAvailability(
    const std::vector<std::string>& skus, const std::vector<std::string>& channels) const {
  if (skus.empty()) return absl::InvalidArgumentError("skus: at least one sku required");
  std::vector<int> chans;
  for (const std::string& c : channels) {
    absl::StatusOr<int> index = ResolveChannel(model(), c);
    if (!index.ok()) return index.status();
    chans.push_back(*index);
  }
  if (chans.empty()) {
    for (size_t c = 0; c < model().channels.size(); ++c) chans.push_back(static_cast<int>(c));
  }
  std::vector<AvailabilityItem> items;
  items.reserve(skus.size() * chans.size());
  for (const std::string& sku : skus) {
    if (absl::Status st = CheckId("sku", sku); !st.ok()) return st;
    if (const Kit* kit = generation().kits().Find(sku)) {
      KitAvailability(*kit, chans, &items);
      continue;
    }
    const Shard& shard = ShardFor(sku);
    absl::MutexLock lock(&shard.mu);
    const SkuState* s = FindSku(shard, sku);
    if (s == nullptr) return UnknownSku(sku);
    for (int c : chans) {
      items.push_back({sku, model().channels[c].id, Reservable(model(), *s->policies, c, s->rows),
                       s->published[c]});
    }
  }
  return items;
}

absl::StatusOr<Explanation> Engine::Impl::Explain(const std::string& channel,
                                                  const std::string& sku,
                                                  const ExplainQuery& query) const {
  absl::StatusOr<int> c = ResolveChannel(model(), channel);
  if (!c.ok()) return c.status();
  if (absl::Status st = CheckId("sku", sku); !st.ok()) return st;
  if (query.plan_qty != 0) {
    if (absl::Status st = CheckQty("qty", query.plan_qty); !st.ok()) return st;
  }
  if (const Kit* kit = generation().kits().Find(sku)) return ExplainKit(*kit, *c, query);
  const Shard& shard = ShardFor(sku);
  absl::MutexLock lock(&shard.mu);
  const SkuState* s = FindSku(shard, sku);
  if (s == nullptr) return UnknownSku(sku);
  const PolicySet& p = *s->policies;
  const Model& m = model();  // the one in force under the shard lock
  Explanation e;
  e.channel = channel;
  e.sku = sku;
  for (int l : m.channels[*c].sources) {
    ExplainSourceTerm term;
    term.location = m.locations[l].id;
    term.counters = s->rows[l];
    for (size_t other = 0; other < m.channels.size(); ++other) {
      int64_t units = p.channels[other].protect[l];
      if (static_cast<int>(other) != *c && units > 0) {
        term.protected_by_others.emplace_back(m.channels[other].id, units);
      }
    }
    term.protected_total = ProtectedByOthers(p, *c, l);
    term.own_protect = p.channels[*c].protect[l];
    term.avail = Avail(p, *c, l, s->rows[l]);
    e.reservable += term.avail;
    e.sources.push_back(std::move(term));
  }
  e.policy = p.channels[*c];
  e.policy.protect.clear();
  e.after_safety = std::max<int64_t>(0, e.reservable - e.policy.safety_stock);
  e.after_share = e.after_safety * e.policy.share_percent / 100;
  e.published = Publish(p.channels[*c], e.reservable);
  e.overrides_applied = p.applied[*c];
  if (query.plan_qty > 0) {
    const bool may_split = m.channels[*c].split_lines && !query.single_location;
    for (const LinePart& part : PlanLine(m, p, *c, s->rows, query.plan_qty, may_split)) {
      e.plan.push_back({sku, m.locations[part.location].id, part.qty, 0});
    }
    if (e.plan.empty()) {
      e.plan_refused = std::string(
          LineNotCovered(m, p, *c, s->rows, sku, query.plan_qty, may_split, query.single_location)
              .message());
    }
  }
  return e;
}

absl::StatusOr<HoldView> Engine::Impl::GetHold(const std::string& hold_id) const {
  if (absl::Status st = CheckHoldId(hold_id); !st.ok()) return st;
  const HoldStripe& stripe = holds_.StripeFor(hold_id);
  absl::MutexLock lock(&stripe.mu);
  auto it = stripe.holds.find(hold_id);
  if (it == stripe.holds.end()) return UnknownHold(hold_id);
  return it->second->view;
}

absl::StatusOr<OrderView> Engine::Impl::GetOrder(const std::string& channel,
                                                 const std::string& order_id) const {
  const std::string key = OrderTable::Key(channel, order_id);
  const OrderStripe& stripe = orders_.StripeFor(key);
  absl::MutexLock lock(&stripe.mu);
  auto it = stripe.orders.find(key);
  if (it == stripe.orders.end()) {
    return absl::NotFoundError(
        absl::StrCat("no order '", order_id, "' of channel '", channel, "'"));
  }
  return it->second;
}

std::vector<OrderView> Engine::Impl::ListOrders(const OrderFilter& f) const {
  std::vector<OrderView> out;
  for (const OrderStripe& stripe : orders_.stripes()) {
    absl::MutexLock lock(&stripe.mu);
    for (const auto& [key, order] : stripe.orders) {
      if (!f.channel.empty() && order.channel != f.channel) continue;
      if (f.problems_only && !order.has_problem()) continue;
      if (f.open_only && order.closed) continue;
      out.push_back(order);
    }
  }
  std::sort(out.begin(), out.end(), [](const OrderView& a, const OrderView& b) {
    return std::tie(a.channel, a.order_id) < std::tie(b.channel, b.order_id);
  });
  if (f.limit > 0 && out.size() > static_cast<size_t>(f.limit)) out.resize(f.limit);
  return out;
}

std::vector<HoldView> Engine::Impl::ListHolds(const HoldFilter& f) const {
  // Oldest first. Within one millisecond, creation order: ids of one daemon run share a
  // prefix and end in a decimal counter, so shorter ids are older. Only the `limit`
  // oldest holds after the cursor are kept while scanning (a bounded max-heap), so a
  // page costs one pass over the holds and `limit` copies, not a copy and sort of all.
  auto order_key = [](const HoldView& v) {
    return std::make_tuple(v.created_ms, v.hold_id.size(), std::string_view(v.hold_id));
  };
  auto older = [&](const HoldView& a, const HoldView& b) { return order_key(a) < order_key(b); };
  std::optional<std::tuple<int64_t, size_t, std::string_view>> after;
  if (f.after.has_value()) {
    after.emplace(f.after->created_ms, f.after->hold_id.size(), f.after->hold_id);
  }
  const size_t limit =
      f.limit > 0 ? static_cast<size_t>(f.limit) : std::numeric_limits<size_t>::max();
  std::vector<HoldView> out;  // a max-heap by `older` while scanning
  for (const HoldStripe& stripe : holds_.stripes()) {
    absl::MutexLock lock(&stripe.mu);
    for (const auto& [id, rec] : stripe.holds) {
      const HoldView& v = rec->view;
      if (f.state ? v.state != *f.state : !IsOpen(v.state)) continue;
      if (!f.channel.empty() && v.channel != f.channel) continue;
      if (after.has_value() && !(*after < order_key(v))) continue;
      if (out.size() == limit && !older(v, out.front())) continue;
      if (!f.sku.empty() && std::none_of(v.lines.begin(), v.lines.end(),
                                         [&](const Line& l) { return l.sku == f.sku; })) {
        continue;
      }
      if (out.size() == limit) {
        std::pop_heap(out.begin(), out.end(), older);
        out.back() = v;
      } else {
        out.push_back(v);
      }
      std::push_heap(out.begin(), out.end(), older);
    }
  }
  std::sort_heap(out.begin(), out.end(), older);
  return out;
}

int Engine::Impl::HoldLineCount(const std::string& hold_id) const {
  const HoldStripe& stripe = holds_.StripeFor(hold_id);
  absl::MutexLock lock(&stripe.mu);
  auto it = stripe.holds.find(hold_id);
  return it == stripe.holds.end() ? 0 : static_cast<int>(it->second->view.lines.size());
}

std::vector<AuditEntry> Engine::Impl::ListAudit(const AuditQuery& query, int limit,
                                                uint64_t before_sequence) const {
  std::vector<AuditEntry> out;
  auto matches = [&query, before_sequence](const AuditEntry& e) {
    if (before_sequence > 0 && e.sequence >= before_sequence) return false;
    return query.Matches(e);
  };
  for (const Shard& shard : shards_) {
    absl::MutexLock lock(&shard.mu);
    for (const auto& entry : shard.audit) {
      if (matches(*entry)) out.push_back(*entry);
    }
  }
  std::sort(out.begin(), out.end(),
            [](const AuditEntry& a, const AuditEntry& b) { return a.sequence > b.sequence; });
  if (limit > 0 && out.size() > static_cast<size_t>(limit)) out.resize(limit);
  return out;
}

void Engine::Impl::ForEachPublished(const std::vector<std::string>& channels,
                                    const std::vector<std::string>& skus,
                                    const std::function<void(const PublishedChange&)>& emit) const {
  std::vector<int> chans;
  for (const std::string& c : channels) {
    int index = model().ChannelIndex(c);
    if (index >= 0) chans.push_back(index);
  }
  if (channels.empty()) {
    for (size_t c = 0; c < model().channels.size(); ++c) chans.push_back(static_cast<int>(c));
  }
  const int64_t now = NowMs();
  auto emit_sku = [&](const SkuState& s) {
    for (int c : chans) {
      PublishedChange change{model().channels[c].id,
                             s.sku,
                             s.published[c],
                             s.published[c],
                             Reservable(model(), *s.policies, c, s.rows),
                             now};
      emit(change);
    }
  };
  if (!skus.empty()) {
    for (const std::string& sku : skus) {
      const Shard& shard = ShardFor(sku);
      absl::MutexLock lock(&shard.mu);
      if (const SkuState* s = FindSku(shard, sku)) emit_sku(*s);
    }
  } else {
    for (const Shard& shard : shards_) {
      absl::MutexLock lock(&shard.mu);
      for (const auto& [name, s] : shard.skus) emit_sku(*s);
    }
  }
  if (!generation().kits().empty()) ForEachKitPublished(chans, skus, emit);
}

}  // namespace stockd::engine
