// ApplyOrderLines and ChooseOrderSource (docs/orders.md): what one revision does to the
// counters and the hold of an order whose lines order_commands.cc has merged, line by
// line; the kit lines' one location comes from PlaceKitOrderLines (kit_commands.cc).
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "daemon/engine/availability.h"
#include "daemon/engine/engine_impl.h"
#include "daemon/engine/validation.h"

namespace stockd::engine {

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
