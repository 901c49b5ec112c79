// The order table's records (records.h): engine::OrderView <-> stockd.records.v1.StoredOrder.
// Orders are written once per applied revision, not per reserve, so the generated
// Protobuf code encodes them (wire.cc hand-encodes the hot records).
#include "absl/strings/str_cat.h"
#include "daemon/storage/records.h"
#include "stockd/storage/v1/records.pb.h"

namespace stockd::storage {
namespace {

using records::v1::StoredOrder;
using records::v1::StoredOrderLine;

void ToStored(const engine::OrderView& o, StoredOrder* s) {
  s->set_channel(o.channel);
  s->set_order_id(o.order_id);
  s->set_revision(o.revision);
  s->set_status(static_cast<int32_t>(o.status));
  s->set_hold_id(o.hold_id);
  for (const engine::OrderLineView& l : o.lines) {
    StoredOrderLine* sl = s->add_lines();
    sl->set_sku(l.sku);
    sl->set_location(l.location);
    sl->set_qty(l.qty);
    sl->set_shipped(l.shipped);
    sl->set_cancelled(l.cancelled);
    sl->set_open(l.open);
    sl->set_fulfilled(l.fulfilled);
    sl->set_breach(l.breach);
    sl->set_backorder(l.backorder);
    sl->set_unstocked(l.unstocked);
    sl->set_kit(l.kit);
    sl->set_per_kit(l.per_kit);
  }
  s->set_created_ms(o.created_ms);
  s->set_updated_ms(o.updated_ms);
  s->set_closed(o.closed);
}

absl::StatusOr<engine::OrderView> FromStored(const StoredOrder& s) {
  if (s.channel().empty() || s.order_id().empty() || s.hold_id().empty() || s.revision() < 1 ||
      s.status() < static_cast<int32_t>(engine::OrderStatus::kPending) ||
      s.status() > static_cast<int32_t>(engine::OrderStatus::kCancelled)) {
    return absl::DataLossError("undecodable order");
  }
  engine::OrderView o;
  o.channel = s.channel();
  o.order_id = s.order_id();
  o.revision = s.revision();
  o.status = static_cast<engine::OrderStatus>(s.status());
  o.hold_id = s.hold_id();
  o.lines.reserve(s.lines_size());
  for (const StoredOrderLine& sl : s.lines()) {
    if (sl.open() < 0 || sl.fulfilled() < 0 || sl.backorder() < 0 || sl.per_kit() < 0 ||
        sl.kit().empty() != (sl.per_kit() == 0)) {
      return absl::DataLossError(absl::StrCat("order '", s.order_id(), "': undecodable line"));
    }
    engine::OrderLineView& line = o.lines.emplace_back();
    line.sku = sl.sku();
    line.location = sl.location();
    line.qty = sl.qty();
    line.shipped = sl.shipped();
    line.cancelled = sl.cancelled();
    line.open = sl.open();
    line.fulfilled = sl.fulfilled();
    line.breach = sl.breach();
    line.backorder = sl.backorder();
    line.unstocked = sl.unstocked();
    line.kit = sl.kit();
    line.per_kit = sl.per_kit();
  }
  o.created_ms = s.created_ms();
  o.updated_ms = s.updated_ms();
  o.closed = s.closed();
  return o;
}

}  // namespace

std::string KeyLayout::ClosedOrders(int64_t bucket) const {
  return absl::StrCat(tag_, "closed-orders:", bucket);
}

std::string EncodeOrder(const engine::OrderView& order) {
  StoredOrder s;
  ToStored(order, &s);
  return s.SerializeAsString();
}

absl::StatusOr<engine::OrderView> DecodeOrder(const std::string& bytes) {
  StoredOrder s;
  if (!s.ParseFromString(bytes)) return absl::DataLossError("undecodable order");
  return FromStored(s);
}

void AppendClosedOrder(const engine::OrderView& order, std::string* orders) {
  records::v1::StoredOrders one;
  ToStored(order, one.add_orders());
  one.AppendToString(orders);  // concatenated messages merge their repeated fields
}

absl::StatusOr<std::vector<engine::OrderView>> DecodeClosedOrders(const std::string& bytes) {
  records::v1::StoredOrders stored;
  if (!stored.ParseFromString(bytes)) return absl::DataLossError("undecodable orders");
  std::vector<engine::OrderView> out;
  out.reserve(stored.orders_size());
  for (const StoredOrder& s : stored.orders()) {
    absl::StatusOr<engine::OrderView> o = FromStored(s);
    if (!o.ok()) return o.status();
    out.push_back(std::move(*o));
  }
  return out;
}

}  // namespace stockd::storage
