// The stock alerts' records (records.h; docs/alerts.md): each SKU's alert state, a field
// of {stockd}:alert-state written by every group commit that changed it, and the alerts a
// group commit raised, one entry of the {stockd}:alerts stream. Written only when a
// velocity or an alert key moves (a sale, a commit, a crossing; not a reserve), so the
// generated Protobuf code encodes them.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "daemon/storage/records.h"
#include "stockd/storage/v1/records.pb.h"

namespace stockd::storage {

namespace {

absl::StatusOr<engine::AlertKind> KindOf(const std::string& name) {
  for (engine::AlertKind k : engine::kAlertKinds) {
    if (name == engine::AlertKindName(k)) return k;
  }
  return absl::DataLossError(absl::StrCat("unknown alert kind '", name, "'"));
}

}  // namespace

std::string EncodeAlertState(const engine::AlertStateView& state) {
  records::v1::StoredAlertState out;
  for (const engine::AlertRowStateView& r : state.rows) {
    records::v1::StoredAlertRow* row = out.add_rows();
    row->set_location(r.location);
    row->set_velocity(r.velocity);
    row->set_velocity_at_ms(r.velocity_at_ms);
    row->set_reorder_raised(r.reorder_raised);
    row->set_uncovered_raised(r.uncovered_raised);
  }
  out.set_total_reorder_raised(state.total_reorder_raised);
  for (const std::string& channel : state.sold_out) out.add_sold_out(channel);
  return out.SerializeAsString();
}

absl::StatusOr<engine::AlertStateView> DecodeAlertState(const std::string& sku,
                                                        const std::string& bytes) {
  records::v1::StoredAlertState in;
  if (!in.ParseFromString(bytes)) return absl::DataLossError("undecodable alert state");
  engine::AlertStateView out;
  out.sku = sku;
  for (const records::v1::StoredAlertRow& r : in.rows()) {
    if (r.location().empty()) return absl::DataLossError("alert state row without a location");
    out.rows.push_back(
        {r.location(), r.velocity(), r.velocity_at_ms(), r.reorder_raised(), r.uncovered_raised()});
  }
  out.total_reorder_raised = in.total_reorder_raised();
  out.sold_out.assign(in.sold_out().begin(), in.sold_out().end());
  return out;
}

void AppendAlerts(const std::vector<engine::AlertEvent>& alerts, std::string* value) {
  if (alerts.empty()) return;
  records::v1::StoredAlerts batch;
  for (const engine::AlertEvent& a : alerts) {
    records::v1::StoredAlert* s = batch.add_alerts();
    s->set_kind(engine::AlertKindName(a.kind));
    s->set_sku(a.sku);
    s->set_location(a.location);
    s->set_channel(a.channel);
    s->set_time_ms(a.time_ms);
    s->set_sequence(a.sequence);
    s->set_free(a.free);
    s->set_point(a.point);
    s->set_velocity(a.velocity);
    s->set_previous_published(a.previous_published);
    s->set_published(a.published);
    s->set_units(a.units);
    s->set_order_id(a.order_id);
    for (const std::string& id : a.hold_ids) s->add_hold_ids(id);
    s->set_holds_at_risk(a.holds_at_risk);
  }
  batch.AppendToString(value);  // repeated fields merge
}

absl::StatusOr<std::vector<engine::AlertEvent>> DecodeAlerts(const std::string& bytes) {
  records::v1::StoredAlerts batch;
  if (!batch.ParseFromString(bytes)) return absl::DataLossError("undecodable alerts");
  std::vector<engine::AlertEvent> out;
  out.reserve(batch.alerts_size());
  for (const records::v1::StoredAlert& s : batch.alerts()) {
    absl::StatusOr<engine::AlertKind> kind = KindOf(s.kind());
    if (!kind.ok()) return kind.status();
    if (s.sku().empty()) return absl::DataLossError("alert without a sku");
    engine::AlertEvent a;
    a.kind = *kind;
    a.sku = s.sku();
    a.location = s.location();
    a.channel = s.channel();
    a.time_ms = s.time_ms();
    a.sequence = s.sequence();
    a.free = s.free();
    a.point = s.point();
    a.velocity = s.velocity();
    a.previous_published = s.previous_published();
    a.published = s.published();
    a.units = s.units();
    a.order_id = s.order_id();
    a.hold_ids.assign(s.hold_ids().begin(), s.hold_ids().end());
    a.holds_at_risk = s.holds_at_risk();
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace stockd::storage
