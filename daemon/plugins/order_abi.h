// Orders from adapter plugins: the C structs of adapters/include/stockd/adapter.h decoded
// into push::Order and checked (docs/orders.md). Both entry points land here: the
// lifecycle's stockd_order_revision (read as far as the plugin's struct_size and
// line_size cover it, so plugins built against an older or newer header both work) and
// the original stockd_order ("placed" / "cancelled"), read as the only lifecycle it can
// express.
//
// Pure functions; thread-safe.
#ifndef STOCKD_DAEMON_PLUGINS_ORDER_ABI_H_
#define STOCKD_DAEMON_PLUGINS_ORDER_ABI_H_

#include "absl/status/statusor.h"
#include "daemon/plugins/adapter.h"
#include "stockd/adapter.h"

namespace stockd::plugins {

// INVALID_ARGUMENT, naming the order and what is wrong, when the plugin's struct is too
// small to carry an order (order id, revision, status, lines), or its values break the
// model: an unknown status, or what CheckOrder (adapter.h) refuses.
absl::StatusOr<Order> DecodeOrderRevision(const stockd_order_revision& c_order);

// The original ABI's order: "placed" is accepted at revision 1, "cancelled" is cancelled
// (every line wholly) at revision 2. Same checks; any other status is INVALID_ARGUMENT.
absl::StatusOr<Order> DecodeOriginalOrder(const stockd_order& c_order);

}  // namespace stockd::plugins

#endif  // STOCKD_DAEMON_PLUGINS_ORDER_ABI_H_
