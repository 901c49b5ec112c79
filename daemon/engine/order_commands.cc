// ApplyOrder (docs/orders.md): moves an order's one hold to what a revision of the order
// on its channel says. Takes the order's stripe, then the hold's stripe, then the shards
// of every SKU of the order (the lock order), diffs the applied state against the
// revision line by line (ApplyOrderLines, order_lines.cc), and Seals the whole revision as
// one mutation.
#include <algorithm>
#include <cstdlib>

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

}  // namespace stockd::engine
