// The one path by which orders enter stockd (docs/orders.md): the poll workers and the
// webhook receiver both hand each order revision to an OrderIntake, which maps its
// listings to SKUs and applies it to the engine (or parks it as unmapped), durably.
//
// Thread safety: implementations are thread-safe; Submit may be called from any thread.
#ifndef STOCKD_DAEMON_ORDERS_ORDER_INTAKE_H_
#define STOCKD_DAEMON_ORDERS_ORDER_INTAKE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "daemon/plugins/adapter.h"

namespace stockd::orders {

class OrderIntake {
 public:
  virtual ~OrderIntake() = default;
  // Applies one revision of an order of `channel`, asynchronously. `done` runs exactly
  // once, from any thread:
  //   OK                when the revision is durable in stockd: applied, found already
  //                     applied (a replay or an older revision), or parked as unmapped;
  //   UNAVAILABLE       when it could not be made durable (Redis down): deliver it again;
  //   INVALID_ARGUMENT  when the order is malformed (the message says why);
  //   NOT_FOUND         when stockd has no such channel.
  virtual void Submit(const std::string& channel, plugins::Order order,
                      std::function<void(absl::Status)> done) = 0;
};

// An order parked because a listing of it maps to no SKU; applied when the mapping appears.
struct UnmappedOrder {
  std::string channel;
  std::string order_id;
  int64_t revision = 0;
  std::vector<std::string> listing_ids;  // the listings with no SKU
  int64_t since_ms = 0;                  // when it was first parked
};

}  // namespace stockd::orders

#endif  // STOCKD_DAEMON_ORDERS_ORDER_INTAKE_H_
