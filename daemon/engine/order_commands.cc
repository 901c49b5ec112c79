// ApplyOrder (docs/orders.md): moves an order's one hold to what a revision of the order
// on its channel says. Takes the order's stripe, then the hold's stripe, then the shards
// of every SKU of the order (the lock order), diffs the applied state against the
// revision line by line, and Seals the whole revision as one mutation.
#include <algorithm>
#include <cstdlib>
#include <limits>

#include "absl/strings/str_cat.h"
#include "daemon/engine/availability.h"
#include "daemon/engine/engine_impl.h"
#include "daemon/engine/validation.h"

namespace stockd::engine {
namespace {

// An order id: 1..128 printable bytes without whitespace (channels' ids are wider than
// stockd's own identifiers: "#1001", "123-4567890-1234567", "gid://shopify/Order/1").
absl::Status CheckOrderId(const std::string& id) {
  if (id.empty() || id.size() > 128) {
    return absl::InvalidArgumentError("order_id: must be 1..128 bytes");
  }
  for (unsigned char ch : id) {
    if (ch <= 0x20 || ch == 0x7f) {
      return absl::InvalidArgumentError(
          "order_id: must not contain whitespace or control characters");
    }
  }
  return absl::OkStatus();
}

absl::Status CheckOrder(const ApplyOrderCmd& cmd, size_t max_lines) {
  if (absl::Status st = CheckOrderId(cmd.order_id); !st.ok()) return st;
  if (cmd.revision < 1) {
    return absl::InvalidArgumentError(absl::StrCat("revision: must be >= 1, got ", cmd.revision));
  }
  if (cmd.status < OrderStatus::kPending || cmd.status > OrderStatus::kCancelled) {
    return absl::InvalidArgumentError("status: unknown order status");
  }
  if (cmd.lines.empty()) return absl::InvalidArgumentError("lines: an order has at least one");
  if (cmd.lines.size() > max_lines) {
    return absl::InvalidArgumentError(
        absl::StrCat("lines: ", cmd.lines.size(), " exceeds the maximum of ", max_lines));
  }
  for (size_t i = 0; i < cmd.lines.size(); ++i) {
    const OrderLineCmd& l = cmd.lines[i];
    const std::string at = absl::StrCat("lines[", i, "].");
    if (absl::Status st = CheckId(at + "sku", l.sku); !st.ok()) return st;
    if (!l.location.empty()) {
      if (absl::Status st = CheckId(at + "location", l.location); !st.ok()) return st;
    }
    if (absl::Status st = CheckQty(at + "qty", l.qty); !st.ok()) return st;
    if (l.shipped < 0 || l.shipped > l.qty) {
      return absl::InvalidArgumentError(
          absl::StrCat(at, "shipped: ", l.shipped, " is not within 0..", l.qty));
    }
    if (l.cancelled < 0 || l.cancelled > l.qty - l.shipped) {
      return absl::InvalidArgumentError(
          absl::StrCat(at, "cancelled: ", l.cancelled, " is not within 0..", l.qty - l.shipped));
    }
  }
  return absl::OkStatus();
}

bool SameLine(const OrderLineView& applied, const OrderLineCmd& line) {
  return applied.sku == line.sku && applied.kit == line.kit;
}

// Which applied line each line of the revision continues: the one at the same index when
// it has the same SKU (and is a component of the same kit, or of none), else the first
// unclaimed such one; -1 = a new line.
std::vector<int> MatchLines(const std::vector<OrderLineView>& applied,
                            const std::vector<OrderLineCmd>& lines) {
  std::vector<int> match(lines.size(), -1);
  std::vector<bool> claimed(applied.size(), false);
  for (size_t i = 0; i < lines.size() && i < applied.size(); ++i) {
    if (SameLine(applied[i], lines[i])) {
      match[i] = static_cast<int>(i);
      claimed[i] = true;
    }
  }
  for (size_t i = 0; i < lines.size(); ++i) {
    if (match[i] >= 0) continue;
    for (size_t j = 0; j < applied.size(); ++j) {
      if (!claimed[j] && SameLine(applied[j], lines[i])) {
        match[i] = static_cast<int>(j);
        claimed[j] = true;
        break;
      }
    }
  }
  return match;
}

// The lines of `order` as revision `cmd` continues them (the revision's lines in its
// order, then applied lines it no longer has, cancelled whole), and what each should be.
// `groups`: each of the revision's lines' kit group (Engine::Impl::ExpandKitOrderLines).
std::vector<OrderTarget> MergeRevision(const ApplyOrderCmd& cmd, const std::vector<int>& groups,
                                       OrderView* order) {
  const std::vector<int> match = MatchLines(order->lines, cmd.lines);
  std::vector<OrderTarget> targets;
  std::vector<bool> kept(order->lines.size(), false);
  std::vector<OrderLineView> lines;
  for (size_t i = 0; i < cmd.lines.size(); ++i) {
    const OrderLineCmd& in = cmd.lines[i];
    if (match[i] >= 0) {
      kept[match[i]] = true;
      lines.push_back(order->lines[match[i]]);
    } else {
      OrderLineView fresh;
      fresh.sku = in.sku;
      fresh.location = in.location;  // resolved below, once the shards are locked
      fresh.kit = in.kit;
      fresh.per_kit = in.per_kit;
      lines.push_back(std::move(fresh));
    }
    targets.push_back(
        {static_cast<int>(lines.size() - 1), in.qty, in.shipped, in.cancelled, groups[i]});
  }
  for (size_t j = 0; j < order->lines.size(); ++j) {
    if (kept[j]) continue;
    const OrderLineView& gone = order->lines[j];
    lines.push_back(gone);
    targets.push_back(
        {static_cast<int>(lines.size() - 1), gone.qty, gone.shipped, gone.qty - gone.shipped});
  }
  order->lines = std::move(lines);

  return targets;
}

}  // namespace

int Engine::Impl::ChooseOrderSource(int channel, const SkuState& s, int64_t need) const {
  const std::vector<int>& sources = model().channels[channel].sources;
  for (int l : sources) {
    if (Avail(*s.policies, channel, l, s.rows[l]) >= need) return l;
  }
  for (int l : sources) {
    if (s.rows[l].free() >= need) return l;
  }
  int best = sources.front();
  for (int l : sources) {
    if (s.rows[l].free() > s.rows[best].free()) best = l;
  }
  return best;
}

RecordOr Engine::Impl::Apply(ApplyOrderCmd& cmd, const CommandMeta& meta,
                             const std::shared_ptr<Pending>& p) {
  absl::StatusOr<int> channel = ResolveChannel(model(), cmd.channel);
  if (!channel.ok()) return channel.status();
  const int c = *channel;
  if (absl::Status st = CheckOrder(cmd, options_.max_lines); !st.ok()) return st;
  std::vector<int> groups;  // by line: its kit group, -1 for a SKU's own line
  if (absl::Status st = ExpandKitOrderLines(&cmd, &groups); !st.ok()) return st;

  const std::string key = OrderTable::Key(cmd.channel, cmd.order_id);
  OrderStripe& order_stripe = orders_.StripeFor(key);
  absl::MutexLock order_lock(&order_stripe.mu);
  const OrderView* existing = OrderTable::Find(order_stripe, key);
  if (existing != nullptr &&
      (cmd.revision < existing->revision || (cmd.revision == existing->revision && !cmd.recheck))) {
    p->outcome.order = *existing;
    p->outcome.order_stale = true;
    return std::shared_ptr<const MutationRecord>();  // nothing changes, nothing to write
  }
  if (existing == nullptr && cmd.recheck) {
    return absl::NotFoundError(
        absl::StrCat("no order '", cmd.order_id, "' of channel '", cmd.channel, "' to recheck"));
  }

  const int64_t now = NowMs();
  OrderView order;
  if (existing != nullptr) {
    order = *existing;
  } else {
    order.channel = cmd.channel;
    order.order_id = cmd.order_id;
    order.created_ms = now;
    order.hold_id = absl::StrCat(hold_prefix_, hold_counter_.fetch_add(1) + 1);
  }
  auto event = std::make_shared<OrderEvent>();
  for (const OrderLineView& l : order.lines) event->previous_backorder += l.backorder;
  order.revision = cmd.revision;
  order.updated_ms = now;
  const OrderStatus previous_status = order.status;
  order.status = cmd.status;

  Change change;
  change.channel = cmd.channel;
  std::string reason = absl::StrCat("order ", cmd.order_id, " revision ", cmd.revision, " ",
                                    OrderStatusName(cmd.status));

  HoldStripe& hold_stripe = holds_.StripeFor(order.hold_id);
  absl::MutexLock hold_lock(&hold_stripe.mu);
  std::vector<OrderTarget> targets;
  std::vector<absl::string_view> skus;
  if (!order.closed) {
    targets = MergeRevision(cmd, groups, &order);
    for (const OrderLineView& l : order.lines) skus.push_back(l.sku);
  }
  // Held until the record is sealed (Seal reads the touched shards).
  ShardLocks locks;
  locks.LockSorted(ShardsFor(skus));
  if (order.closed) {
    // A closed order keeps nothing and owes nothing: later revisions are recorded, but the
    // stock it moved stays moved (returns come back as Adjust).
    order.status = previous_status;
    change.reason = absl::StrCat(reason, "; the order is closed: no stock moves");
  } else {
    HoldRec* hold = nullptr;
    if (existing != nullptr) {
      absl::StatusOr<HoldRec*> found = HoldTable::Find(hold_stripe, order.hold_id);
      if (!found.ok()) std::abort();  // an open order's hold is open, so never purged
      hold = *found;
    }
    if (absl::Status st = ApplyOrderLines(cmd, c, targets, &order, hold, hold_stripe, &change,
                                          event.get(), &reason);
        !st.ok()) {
      return st;
    }
    change.reason = std::move(reason);
  }

  event->order = order;
  event->time_ms = now;
  if (change.hold != nullptr) p->outcome.hold = change.hold->view;
  p->outcome.order = order;
  p->outcome.breach = event->new_breach > 0;
  p->outcome.breach_units = event->new_breach;
  if (event->new_breach > 0) {
    breaches_.fetch_add(1);
    order_breaches_.fetch_add(1);
    std::string skus;
    for (const OrderEvent::LineChange& l : event->lines) {
      if (l.new_breach > 0 && l.line < order.lines.size()) {
        const OrderLineView& line = order.lines[l.line];
        absl::StrAppend(&skus, skus.empty() ? "" : " ", line.sku);
        change.Breach(line.sku, line.location, l.new_breach, cmd.order_id);
      }
    }
    RecordBreach({now, cmd.channel, "order", std::move(skus), "", cmd.order_id, event->new_breach});
  }
  if (event->backorder > 0) order_backorders_.fetch_add(1);
  change.order = std::move(event);
  orders_.Put(order_stripe, key, std::move(order));
  return Seal(change, meta, "order", p);
}

absl::Status Engine::Impl::ApplyOrderLines(const ApplyOrderCmd& cmd, int c,
                                           const std::vector<OrderTarget>& targets,
                                           OrderView* order, HoldRec* hold, HoldStripe& hold_stripe,
                                           Change* change, OrderEvent* event, std::string* reason) {
  bool ships = false;
  for (size_t i = 0; i < targets.size(); ++i) {
    ships = ships || targets[i].shipped > 0 || order->lines[targets[i].line].fulfilled > 0;
  }
  const bool cancelled = cmd.status == OrderStatus::kCancelled;
  const bool was_committed = hold != nullptr && hold->view.state == HoldState::kCommitted;
  // Paid (accepted, shipped) or partly shipped: committed. A cancellation keeps the state
  // it ends (a held hold is released, a committed one cancelled).
  const bool want_committed = cmd.status == OrderStatus::kAccepted ||
                              cmd.status == OrderStatus::kShipped || ships ||
                              (cancelled && was_committed);

  // Every SKU must exist before anything changes (an order for a SKU stockd does not
  // know is parked by the orders layer, as an unmapped listing is).
  std::vector<SkuState*> states(order->lines.size());
  std::vector<int> locs(order->lines.size(), -1);
  for (size_t i = 0; i < order->lines.size(); ++i) {
    OrderLineView& line = order->lines[i];
    Shard& shard = ShardFor(line.sku);
    LockedByShardLocks(shard);
    states[i] = FindSku(shard, line.sku);
    if (states[i] == nullptr) return UnknownSku(line.sku);
    // An applied line keeps its location; a new one takes the channel's when stockd
    // knows it (-1: chosen below).
    locs[i] = line.location.empty() ? -1 : model().LocationIndex(line.location);
  }
  // Switch the open units between held and committed when the hold changes state.
  if (hold != nullptr && want_committed != was_committed) {
    for (size_t i = 0; i < order->lines.size(); ++i) {
      const OrderLineView& line = order->lines[i];
      if (line.open == 0) continue;
      change->Touch(states[i], locs[i]);
      Counters& row = states[i]->rows[locs[i]];
      (was_committed ? row.committed : row.held) -= line.open;
      (want_committed ? row.committed : row.held) += line.open;
    }
  }

  PlaceKitOrderLines(c, targets, cancelled, states, order, &locs, reason);

  int64_t breach = 0, backorder = 0, unstocked = 0;
  for (const OrderTarget& t : targets) {
    OrderLineView& line = order->lines[t.line];
    SkuState* s = states[t.line];
    // Shipped units never come back: a revision saying fewer than applied keeps the more.
    const int64_t shipped = std::max(line.shipped, t.shipped);
    const int64_t ship = shipped - line.shipped;
    const int64_t target_open = TargetOpen(t, shipped, cancelled);
    const int64_t breach_before = line.breach, unstocked_before = line.unstocked;
    const int64_t backorder_before = line.backorder;
    int& l = locs[t.line];
    if (l < 0) {
      if (!line.location.empty()) {
        absl::StrAppend(reason, "; location '", line.location, "' of ", line.sku,
                        " is unknown: taken from the channel's sources");
      }
      l = ChooseOrderSource(c, *s, target_open + ship);
      line.location = model().locations[l].id;
    }
    change->Touch(s, l);
    Counters& row = s->rows[l];
    int64_t& kept_counter = want_committed ? row.committed : row.held;
    // 1. Shipped units leave on_hand: from the units the hold keeps first, then, for units
    //    the hold never had, from whatever is on the shelf (a fact: beyond avail is a
    //    breach; beyond on_hand nothing can be taken and a count is needed).
    const int64_t from_open = std::min(ship, line.open);
    kept_counter -= from_open;
    row.on_hand -= from_open;
    line.open -= from_open;
    line.fulfilled += from_open;
    if (const int64_t rest = ship - from_open; rest > 0) {
      const int64_t avail = Avail(*s->policies, c, l, row);
      const int64_t take = std::min(rest, std::max<int64_t>(0, row.on_hand));
      row.on_hand -= take;
      line.fulfilled += take;
      breach += std::max<int64_t>(0, take - avail);
      line.breach += std::max<int64_t>(0, take - avail);
      line.unstocked += rest - take;
      unstocked += rest - take;
    }
    // 2. The open units: release what the order no longer needs, take what it newly needs
    //    (from free stock: beyond avail is a breach, beyond free a backorder).
    if (target_open < line.open) {
      kept_counter -= line.open - target_open;
      line.open = target_open;
    } else if (target_open > line.open) {
      const int64_t need = target_open - line.open;
      const int64_t avail = Avail(*s->policies, c, l, row);
      const int64_t take = std::min(need, std::max<int64_t>(0, row.free()));
      kept_counter += take;
      line.open += take;
      breach += std::max<int64_t>(0, take - avail);
      line.breach += std::max<int64_t>(0, take - avail);
    }
    line.qty = t.qty;
    line.shipped = shipped;
    line.cancelled = cancelled ? std::max<int64_t>(0, t.qty - shipped)
                               : std::min(t.cancelled, std::max<int64_t>(0, t.qty - shipped));
    line.backorder = target_open - line.open;
    backorder += line.backorder;
    if (line.breach != breach_before || line.unstocked != unstocked_before ||
        line.backorder != backorder_before) {
      event->lines.push_back({static_cast<size_t>(t.line), line.breach - breach_before,
                              line.unstocked - unstocked_before, backorder_before, line.backorder});
    }
  }
  event->new_breach = breach;
  event->new_unstocked = unstocked;
  event->backorder = backorder;
  if (breach > 0) absl::StrAppend(reason, "; BREACH: ", breach, " units beyond avail");
  if (backorder > 0) absl::StrAppend(reason, "; BACKORDER: ", backorder, " units uncovered");
  if (unstocked > 0) {
    absl::StrAppend(reason, "; UNSTOCKED: ", unstocked, " shipped units not on hand");
  }

  // The hold: one line per order line that keeps or took units.
  const int64_t now = NowMs();
  bool owes = false;
  bool fulfilled_any = false;
  for (const OrderLineView& line : order->lines) {
    owes = owes || line.open > 0 || line.backorder > 0;
    fulfilled_any = fulfilled_any || line.fulfilled > 0;
  }
  if (hold == nullptr) {
    auto rec = std::make_unique<HoldRec>();
    rec->channel = c;
    rec->order_key = OrderTable::Key(order->channel, order->order_id);
    rec->view.hold_id = order->hold_id;
    rec->view.channel = order->channel;
    rec->view.state = HoldState::kHeld;
    rec->view.created_ms = now;
    rec->view.deadline_ms = kOrderHoldDeadline;
    rec->view.reference = absl::StrCat("order ", order->order_id);
    hold = holds_.Insert(hold_stripe, std::move(rec));
  }
  hold->view.lines.clear();
  hold->locations.clear();
  for (size_t i = 0; i < order->lines.size(); ++i) {
    const OrderLineView& line = order->lines[i];
    if (line.open + line.fulfilled == 0) continue;
    hold->view.lines.push_back(
        {line.sku, line.location, line.open + line.fulfilled, want_committed ? line.fulfilled : 0});
    hold->locations.push_back(locs[i]);
  }
  hold->view.updated_ms = now;
  if (!owes) {
    order->closed = true;
    const HoldState final_state = fulfilled_any    ? HoldState::kFulfilled
                                  : want_committed ? HoldState::kCancelled
                                                   : HoldState::kReleased;
    holds_.Resolve(hold_stripe, *hold, final_state, now);
  } else if (want_committed) {
    if (hold->view.state != HoldState::kCommitted) {
      holds_.Resolve(hold_stripe, *hold, HoldState::kCommitted, now);
    }
  } else {
    hold->view.state = HoldState::kHeld;
    hold->view.deadline_ms = kOrderHoldDeadline;
  }
  change->hold = hold;
  return absl::OkStatus();
}

}  // namespace stockd::engine
