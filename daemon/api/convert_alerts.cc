// The stock alert conversions of convert.h (docs/alerts.md): engine::AlertEvent as
// ListAlerts shows it.
#include <cmath>
#include <string>
#include <vector>

#include "google/protobuf/util/json_util.h"

#include "daemon/api/convert.h"

namespace stockd::api {

v1::AlertKind ToProto(engine::AlertKind k) {
  switch (k) {
    case engine::AlertKind::kReorder:
      return v1::ALERT_REORDER;
    case engine::AlertKind::kSoldOut:
      return v1::ALERT_SOLD_OUT;
    case engine::AlertKind::kBackInStock:
      return v1::ALERT_BACK_IN_STOCK;
    case engine::AlertKind::kUncovered:
      return v1::ALERT_UNCOVERED;
    case engine::AlertKind::kBreach:
      return v1::ALERT_BREACH;
  }
  return v1::ALERT_KIND_UNSPECIFIED;
}

bool FromProto(v1::AlertKind k, engine::AlertKind* out) {
  switch (k) {
    case v1::ALERT_REORDER:
      *out = engine::AlertKind::kReorder;
      return true;
    case v1::ALERT_SOLD_OUT:
      *out = engine::AlertKind::kSoldOut;
      return true;
    case v1::ALERT_BACK_IN_STOCK:
      *out = engine::AlertKind::kBackInStock;
      return true;
    case v1::ALERT_UNCOVERED:
      *out = engine::AlertKind::kUncovered;
      return true;
    case v1::ALERT_BREACH:
      *out = engine::AlertKind::kBreach;
      return true;
    default:
      return false;
  }
}

void ToProto(const engine::AlertEvent& a, v1::Alert* out) {
  out->set_kind(ToProto(a.kind));
  out->set_sku(a.sku);
  out->set_location(a.location);
  out->set_channel(a.channel);
  out->set_time_ms(a.time_ms);
  out->set_sequence(a.sequence);
  out->set_free(a.free);
  out->set_point(a.point);
  out->set_velocity(a.velocity);
  const double cover = engine::DaysOfCover(a);
  out->set_days_of_cover(std::isinf(cover) ? -1 : cover);  // no sales: no end in sight
  out->set_previous_published(a.previous_published);
  out->set_published(a.published);
  out->set_units(a.units);
  out->set_order_id(a.order_id);
  for (const std::string& id : a.hold_ids) out->add_hold_ids(id);
  out->set_holds_at_risk(a.holds_at_risk);
}

std::string AlertsJson(const std::vector<engine::AlertEvent>& alerts) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;  // "free": 0 is said, not left out
  std::string out = "[";
  for (const engine::AlertEvent& a : alerts) {
    v1::Alert alert;
    ToProto(a, &alert);
    std::string json;
    if (!google::protobuf::util::MessageToJsonString(alert, &json, options).ok()) continue;
    if (out.size() > 1) out += ",";
    out += json;
  }
  out += "]";
  return out;
}

v1::WatchEvent ToWatchNotice(const engine::AlertEvent& a) {
  v1::WatchEvent e;
  e.set_channel(a.channel);
  e.set_sku(a.sku);
  e.set_time_ms(a.time_ms);
  ToProto(a, e.mutable_alert());
  return e;
}

}  // namespace stockd::api
