// The order conversions of convert.h: the order table (engine::OrderView) and its
// problems as the admin RPCs and Watch show them.
#include "daemon/api/convert.h"

namespace stockd::api {

v1::OrderStatus ToProto(engine::OrderStatus s) {
  switch (s) {
    case engine::OrderStatus::kPending:
      return v1::ORDER_STATUS_PENDING;
    case engine::OrderStatus::kAccepted:
      return v1::ORDER_STATUS_ACCEPTED;
    case engine::OrderStatus::kShipped:
      return v1::ORDER_STATUS_SHIPPED;
    case engine::OrderStatus::kCancelled:
      return v1::ORDER_STATUS_CANCELLED;
  }
  return v1::ORDER_STATUS_UNSPECIFIED;
}

void ToProto(const engine::OrderView& v, v1::Order* out) {
  out->set_channel(v.channel);
  out->set_order_id(v.order_id);
  out->set_revision(v.revision);
  out->set_status(ToProto(v.status));
  out->set_hold_id(v.hold_id);
  for (const engine::OrderLineView& l : v.lines) {
    v1::OrderLine* line = out->add_lines();
    line->set_sku(l.sku);
    line->set_location(l.location);
    line->set_qty(l.qty);
    line->set_shipped(l.shipped);
    line->set_cancelled(l.cancelled);
    line->set_open(l.open);
    line->set_fulfilled(l.fulfilled);
    line->set_breach(l.breach);
    line->set_backorder(l.backorder);
    line->set_unstocked(l.unstocked);
    line->set_kit(l.kit);
    line->set_per_kit(l.per_kit);
  }
  out->set_created_ms(v.created_ms);
  out->set_updated_ms(v.updated_ms);
  out->set_has_problem(v.has_problem());
  out->set_closed(v.closed);
}

namespace {

v1::OrderProblem Problem(const engine::OrderView& v, const engine::OrderLineView* line,
                         v1::OrderProblemKind kind, int64_t units) {
  v1::OrderProblem p;
  p.set_kind(kind);
  p.set_channel(v.channel);
  p.set_order_id(v.order_id);
  p.set_revision(v.revision);
  if (line != nullptr) {
    p.set_sku(line->sku);
    p.set_location(line->location);
  }
  p.set_units(units);
  p.set_since_ms(v.created_ms);
  p.set_updated_ms(v.updated_ms);
  return p;
}

}  // namespace

std::vector<v1::OrderProblem> ToProblems(const engine::OrderView& v) {
  std::vector<v1::OrderProblem> out;
  for (const engine::OrderLineView& l : v.lines) {
    if (l.breach > 0) out.push_back(Problem(v, &l, v1::BREACH, l.breach));
    if (l.backorder > 0) out.push_back(Problem(v, &l, v1::BACKORDER, l.backorder));
    if (l.unstocked > 0) out.push_back(Problem(v, &l, v1::UNSTOCKED, l.unstocked));
  }
  return out;
}

v1::OrderProblem UnmappedProblem(const std::string& channel, const std::string& order_id,
                                 int64_t revision, const std::string& listing_id,
                                 int64_t since_ms) {
  v1::OrderProblem p;
  p.set_kind(v1::UNMAPPED);
  p.set_channel(channel);
  p.set_order_id(order_id);
  p.set_revision(revision);
  p.set_listing_id(listing_id);
  p.set_since_ms(since_ms);
  p.set_updated_ms(since_ms);
  return p;
}

std::vector<v1::OrderProblem> ToWatchProblems(const engine::OrderEvent& e) {
  const engine::OrderView& v = e.order;
  std::vector<v1::OrderProblem> out;
  // One problem per line and kind the revision changed, naming that line.
  for (const engine::OrderEvent::LineChange& c : e.lines) {
    const engine::OrderLineView* line = c.line < v.lines.size() ? &v.lines[c.line] : nullptr;
    if (c.new_breach > 0) out.push_back(Problem(v, line, v1::BREACH, c.new_breach));
    if (c.backorder_after > c.backorder_before) {
      out.push_back(Problem(v, line, v1::BACKORDER, c.backorder_after));
    } else if (c.backorder_after == 0 && c.backorder_before > 0) {
      v1::OrderProblem p = Problem(v, line, v1::BACKORDER, 0);
      p.set_resolved(true);
      out.push_back(std::move(p));
    }
    if (c.new_unstocked > 0) out.push_back(Problem(v, line, v1::UNSTOCKED, c.new_unstocked));
  }
  for (v1::OrderProblem& p : out) p.set_updated_ms(e.time_ms > 0 ? e.time_ms : v.updated_ms);
  return out;
}

v1::WatchEvent ToWatchNotice(const v1::OrderProblem& p) {
  v1::WatchEvent e;
  e.set_channel(p.channel());
  e.set_sku(p.sku());
  e.set_time_ms(p.updated_ms());
  *e.mutable_order_problem() = p;
  return e;
}

}  // namespace stockd::api
