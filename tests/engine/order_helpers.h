// Order revisions for the engine's tests (order_test.cc, kit_orders_test.cc): a line and
// an ApplyOrderCmd in one call each.
#ifndef STOCKD_TESTS_ENGINE_ORDER_HELPERS_H_
#define STOCKD_TESTS_ENGINE_ORDER_HELPERS_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "daemon/engine/commands.h"

namespace stockd::engine {

inline OrderLineCmd OL(const std::string& sku, int64_t qty, int64_t shipped = 0,
                       int64_t cancelled = 0, const std::string& location = "") {
  OrderLineCmd line;
  line.sku = sku;
  line.location = location;
  line.qty = qty;
  line.shipped = shipped;
  line.cancelled = cancelled;
  return line;
}

inline ApplyOrderCmd Order(const std::string& channel, const std::string& id, int64_t revision,
                           OrderStatus status, std::vector<OrderLineCmd> lines) {
  ApplyOrderCmd cmd;
  cmd.channel = channel;
  cmd.order_id = id;
  cmd.revision = revision;
  cmd.status = status;
  cmd.lines = std::move(lines);
  return cmd;
}

}  // namespace stockd::engine

#endif  // STOCKD_TESTS_ENGINE_ORDER_HELPERS_H_
