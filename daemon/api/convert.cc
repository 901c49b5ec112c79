#include "daemon/api/convert.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace stockd::api {
namespace {

std::vector<engine::Line> ToLines(const google::protobuf::RepeatedPtrField<v1::HoldLine>& lines) {
  std::vector<engine::Line> out;
  out.reserve(lines.size());
  for (const v1::HoldLine& l : lines) out.push_back({l.sku(), l.location(), l.qty(), 0});
  return out;
}

}  // namespace

grpc::Status ToGrpc(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  // absl and gRPC share the canonical code numbering.
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

engine::CommandBody ToCommand(const v1::ReserveRequest& r) {
  return engine::ReserveCmd{r.channel(), ToLines(r.lines()), r.ttl_ms(), r.reference(),
                            r.single_location()};
}
engine::CommandBody ToCommand(const v1::ExtendRequest& r) {
  return engine::ExtendCmd{r.hold_id(), r.ttl_ms()};
}
engine::CommandBody ToCommand(const v1::CommitRequest& r) {
  return engine::CommitCmd{r.hold_id(), ToLines(r.lines())};
}
engine::CommandBody ToCommand(const v1::ReleaseRequest& r) {
  return engine::ReleaseCmd{r.hold_id()};
}
engine::CommandBody ToCommand(const v1::FulfillRequest& r) {
  return engine::FulfillCmd{r.hold_id(), ToLines(r.lines())};
}
engine::CommandBody ToCommand(const v1::CancelRequest& r) { return engine::CancelCmd{r.hold_id()}; }
engine::CommandBody ToCommand(const v1::SellRequest& r) {
  return engine::SellCmd{r.channel(), r.location(), r.sku(), r.qty(), r.override(), r.reference()};
}
engine::CommandBody ToCommand(const v1::AdjustRequest& r) {
  engine::AdjustReason reason = engine::AdjustReason::kUnspecified;
  switch (r.reason()) {
    case v1::RECEIPT:
      reason = engine::AdjustReason::kReceipt;
      break;
    case v1::RETURN:
      reason = engine::AdjustReason::kReturn;
      break;
    case v1::DAMAGE:
      reason = engine::AdjustReason::kDamage;
      break;
    case v1::SHRINKAGE:
      reason = engine::AdjustReason::kShrinkage;
      break;
    case v1::CORRECTION:
      reason = engine::AdjustReason::kCorrection;
      break;
    default:
      break;
  }
  return engine::AdjustCmd{r.location(), r.sku(), r.delta(), reason, r.note()};
}
engine::CommandBody ToCommand(const v1::CountRequest& r) {
  engine::CountCmd c{r.location(), r.sku(), r.on_hand(), std::nullopt, r.note()};
  if (r.has_expected()) c.expected = r.expected();
  c.observed_at_ms = r.observed_at_ms();
  return c;
}
engine::CommandBody ToCommand(const v1::TransferRequest& r) {
  return engine::TransferCmd{r.from_location(), r.to_location(), r.sku(), r.qty(), r.note()};
}

v1::HoldState ToProto(engine::HoldState s) {
  switch (s) {
    case engine::HoldState::kHeld:
      return v1::HELD;
    case engine::HoldState::kCommitted:
      return v1::COMMITTED;
    case engine::HoldState::kReleased:
      return v1::RELEASED;
    case engine::HoldState::kExpired:
      return v1::EXPIRED;
    case engine::HoldState::kFulfilled:
      return v1::FULFILLED;
    case engine::HoldState::kCancelled:
      return v1::CANCELLED;
  }
  return v1::HOLD_STATE_UNSPECIFIED;
}

engine::HoldState FromProto(v1::HoldState s) {
  switch (s) {
    case v1::COMMITTED:
      return engine::HoldState::kCommitted;
    case v1::RELEASED:
      return engine::HoldState::kReleased;
    case v1::EXPIRED:
      return engine::HoldState::kExpired;
    case v1::FULFILLED:
      return engine::HoldState::kFulfilled;
    case v1::CANCELLED:
      return engine::HoldState::kCancelled;
    default:
      return engine::HoldState::kHeld;
  }
}

void ToProto(const engine::HoldView& v, v1::Hold* out) {
  out->set_hold_id(v.hold_id);
  out->set_channel(v.channel);
  out->set_state(ToProto(v.state));
  for (const engine::Line& l : v.lines) {
    v1::HoldLine* line = out->add_lines();
    line->set_sku(l.sku);
    line->set_location(l.location);
    line->set_qty(l.qty);
    line->set_fulfilled(l.fulfilled);
  }
  out->set_created_ms(v.created_ms);
  out->set_deadline_ms(v.deadline_ms);
  out->set_updated_ms(v.updated_ms);
  out->set_reference(v.reference);
}

void ToProto(const engine::RowView& v, v1::StockRow* out) {
  out->set_sku(v.sku);
  out->set_location(v.location);
  out->set_on_hand(v.counters.on_hand);
  out->set_held(v.counters.held);
  out->set_committed(v.counters.committed);
  out->set_free(v.counters.free());
}

void ToProto(const engine::AuditEntry& e, v1::AuditEntry* out) {
  out->set_sequence(e.sequence);
  out->set_time_ms(e.time_ms);
  out->set_actor(e.actor);
  out->set_operation(e.operation);
  out->set_request_id(e.request_id);
  out->set_channel(e.channel);
  out->set_hold_id(e.hold_id);
  out->set_reason(e.reason);
  for (const engine::RowView& r : e.before) ToProto(r, out->add_before());
  for (const engine::RowView& r : e.after) ToProto(r, out->add_after());
  out->set_observed_at_ms(e.observed_at_ms);
}

void ToProto(const engine::Explanation& e, v1::ExplainResponse* out) {
  out->set_channel(e.channel);
  out->set_sku(e.sku);
  std::string sum;
  for (const engine::ExplainSourceTerm& t : e.sources) {
    v1::ExplainSource* s = out->add_sources();
    s->set_location(t.location);
    s->set_on_hand(t.counters.on_hand);
    s->set_held(t.counters.held);
    s->set_committed(t.counters.committed);
    s->set_free(t.counters.free());
    for (const auto& [channel, units] : t.protected_by_others) {
      v1::Protection* p = s->add_protected_by_others();
      p->set_channel(channel);
      p->set_units(units);
    }
    s->set_protected_total(t.protected_total);
    s->set_own_protect(t.own_protect);
    s->set_avail(t.avail);
    if (!e.kit_components.empty()) {
      s->set_limiting_sku(t.limiting_sku);
      s->set_limiting_avail(t.limiting_avail);
      s->set_limiting_qty(t.limiting_qty);
      absl::StrAppend(&sum, sum.empty() ? "" : " + ", t.location, ": floor(", t.limiting_sku,
                      " ", t.limiting_avail, " / ", t.limiting_qty, ")");
      continue;
    }
    absl::StrAppend(&sum, sum.empty() ? "" : " + ", "max(0, ", t.counters.free(), " - ",
                    t.protected_total, ")");
  }
  for (const engine::KitComponent& k : e.kit_components) {
    v1::KitComponent* c = out->add_kit_components();
    c->set_sku(k.sku);
    c->set_qty(k.qty);
  }
  out->set_limiting_sku(e.limiting_sku);
  out->set_limiting_location(e.limiting_location);
  const engine::ChannelPolicy& p = e.policy;
  const bool capped = p.max_publish != engine::kNoCap;
  out->set_reservable(e.reservable);
  out->set_safety_stock(p.safety_stock);
  out->set_after_safety(e.after_safety);
  out->set_share_percent(p.share_percent);
  out->set_after_share(e.after_share);
  out->set_min_publish(p.min_publish);
  out->set_max_publish(capped ? p.max_publish : -1);
  out->set_published(e.published);
  for (const std::string& o : e.overrides_applied) out->add_overrides_applied(o);
  for (const engine::Line& l : e.plan) {
    v1::HoldLine* line = out->add_plan();
    line->set_sku(l.sku);
    line->set_location(l.location);
    line->set_qty(l.qty);
  }
  out->set_plan_refused(e.plan_refused);
  out->set_formula(
      absl::StrCat("reservable = ", sum.empty() ? "0" : sum, " = ", e.reservable, "; max(0, ",
                   e.reservable, " - safety ", p.safety_stock, ") = ", e.after_safety, "; floor(",
                   e.after_safety, " x ", p.share_percent, "%) = ", e.after_share, "; ",
                   e.after_share, " < min ", p.min_publish, " ? 0 : min(", e.after_share, ", ",
                   capped ? absl::StrCat(p.max_publish) : "no cap", ") = published ", e.published));
}

void ToResponse(const engine::Outcome& o, v1::ReserveResponse* out) {
  if (o.hold) ToProto(*o.hold, out->mutable_hold());
}
void ToResponse(const engine::Outcome& o, v1::HoldResponse* out) {
  if (o.hold) ToProto(*o.hold, out->mutable_hold());
}
void ToResponse(const engine::Outcome& o, v1::SellResponse* out) {
  if (!o.after.empty()) ToProto(o.after[0], out->mutable_row());
  out->set_breach(o.breach);
  out->set_breach_units(o.breach_units);
}
void ToResponse(const engine::Outcome& o, v1::StockRowResponse* out) {
  if (!o.before.empty()) ToProto(o.before[0], out->mutable_before());
  if (!o.after.empty()) ToProto(o.after[0], out->mutable_after());
}
void ToResponse(const engine::Outcome& o, v1::TransferResponse* out) {
  if (o.after.size() == 2) {
    ToProto(o.after[0], out->mutable_from());
    ToProto(o.after[1], out->mutable_to());
  }
}

void ToProto(const engine::AvailabilityItem& i, v1::Availability* out) {
  out->set_sku(i.sku);
  out->set_channel(i.channel);
  out->set_reservable(i.reservable);
  out->set_published(i.published);
}

void ToProto(const engine::InvariantReport& r, v1::CheckInvariantsResponse* out) {
  out->set_ok(r.ok());
  for (const std::string& v : r.violations) out->add_violations(v);
  for (const std::string& u : r.uncovered) out->add_uncovered(u);
  out->set_rows_checked(r.rows_checked);
  out->set_holds_checked(r.holds_checked);
}

void ToProto(const engine::Model& m, const engine::EngineStats& stats,
             absl::string_view config_path, absl::string_view listen, absl::string_view version,
             v1::ConfigSummary* out) {
  for (const engine::Location& l : m.locations) {
    v1::LocationSummary* s = out->add_locations();
    s->set_id(l.id);
    s->set_type(engine::LocationTypeName(l.type));
    s->set_name(l.name);
  }
  for (const engine::Channel& c : m.channels) {
    v1::ChannelSummary* s = out->add_channels();
    s->set_id(c.id);
    s->set_type(engine::ChannelTypeName(c.type));
    for (int l : c.sources) s->add_sources(m.locations[l].id);
    for (size_t l = 0; l < m.locations.size(); ++l) {
      if (c.policy.protect[l] > 0) (*s->mutable_protect())[m.locations[l].id] = c.policy.protect[l];
    }
    s->set_safety_stock(c.policy.safety_stock);
    s->set_share_percent(c.policy.share_percent);
    s->set_min_publish(c.policy.min_publish);
    s->set_max_publish(c.policy.max_publish == engine::kNoCap ? -1 : c.policy.max_publish);
  }
  out->set_overrides(static_cast<int32_t>(m.overrides.size()));
  out->set_skus(stats.skus);
  out->set_rows(stats.rows);
  out->set_open_holds(stats.open_holds);
  out->set_config_path(std::string(config_path));
  out->set_listen(std::string(listen));
  out->set_version(std::string(version));
}

v1::WatchEvent ToWatchEvent(uint64_t sequence, const engine::PublishedChange& c, bool snapshot) {
  v1::WatchEvent e;
  e.set_sequence(sequence);
  e.set_channel(c.channel);
  e.set_sku(c.sku);
  e.set_published(c.published);
  e.set_reservable(c.reservable);
  e.set_previous_published(c.previous);
  e.set_time_ms(c.time_ms);
  e.set_snapshot(snapshot);
  return e;
}

v1::WatchEvent SnapshotDoneEvent(uint64_t sequence) {
  v1::WatchEvent e;
  e.set_sequence(sequence);
  e.set_snapshot_done(true);
  return e;
}

void ToProto(const engine::PusherStats& s, v1::PushStatus* out) {
  out->set_channel(s.channel);
  out->set_adapter(s.adapter);
  out->set_dirty(s.dirty);
  out->set_acknowledged(s.acked);
  out->set_pushes(s.pushes);
  out->set_items_ok(s.items_ok);
  out->set_items_retry(s.items_retry);
  out->set_items_permanent(s.items_permanent);
  out->set_items_conflict(s.items_conflict);
  out->set_priority_items(s.priority_items);
  out->set_latency_p50_ms(s.latency_p50_ms);
  out->set_latency_p99_ms(s.latency_p99_ms);
  out->set_latency_max_ms(s.latency_max_ms);
  out->set_paused_until_ms(s.paused_until_ms);
  out->set_last_error(s.last_error);
  out->set_ack_save_failures(s.ack_save_failures);
}

void ToProto(const std::string& channel, const engine::DriftReport& r, v1::ResyncResponse* out) {
  out->set_channel(channel);
  out->set_checked(r.checked);
  out->set_drifted(r.drifted);
  out->set_fetched(r.fetched);
  for (const engine::DriftItem& d : r.largest) {
    v1::DriftItem* item = out->add_largest();
    item->set_sku(d.sku);
    item->set_listing_id(d.listing_id);
    item->set_channel_quantity(d.channel_quantity);
    item->set_published(d.published);
  }
}

void ToBatchError(const absl::Status& status, v1::BatchResult* out) {
  out->set_code(static_cast<int>(status.code()));
  out->set_message(std::string(status.message()));
}

}  // namespace stockd::api
