// Three-way reconciliation's arithmetic (docs/orders.md, "Built so far: reconciliation"):
// for one SKU of a channel, what stockd publishes (P), what the channel last acknowledged
// (A), the channel's own number (F) and the units of the channel's orders stockd has not
// ingested yet (U), and the class of their difference. Also how U is counted from the
// channel's order revisions and the engine's order table. Pure functions over values.
//
// Thread safety: stateless; every function is thread-safe.
#ifndef STOCKD_DAEMON_RECONCILE_CLASSIFY_H_
#define STOCKD_DAEMON_RECONCILE_CLASSIFY_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/engine/commands.h"
#include "daemon/plugins/adapter.h"

namespace stockd::reconcile {

enum class SkuClass {
  kOk,              // F == P
  kInFlight,        // F != P, explained by a push on its way or by orders not ingested yet
  kDrift,           // F != P, not explained: the listing was changed on the channel
  kUnknownListing,  // the channel does not know the listing (its fetch has no number)
};
inline constexpr int kSkuClasses = 4;
// "ok", "in_flight", "drift", "unknown_listing".
const char* SkuClassName(SkuClass c);

struct SkuFacts {
  int64_t published = 0;   // P: what stockd wants the channel to show now
  int64_t acked = -1;      // A: what the channel last acknowledged; -1 never
  int64_t channel = -1;    // F: the channel's own number; -1 the channel has none
  int64_t uningested = 0;  // U: units the channel's orders took that stockd has not (signed)
  bool dirty = false;      // a push of the SKU is queued
};

// The rules, in order (the first that matches):
//   1. F == -1                                  -> unknown_listing
//   2. F == P                                   -> ok
//   3. dirty, or A != P (a push is on its way)  -> in_flight
//   4. U != 0 and (F == A - U or F == P - U)    -> in_flight (orders not ingested yet)
//   5. otherwise                                -> drift
SkuClass Classify(const SkuFacts& facts);

// One order as the engine applied it: what each SKU's units of it took from stockd's
// numbers (open + fulfilled per line), at its applied revision. nullopt = never applied.
struct AppliedOrder {
  int64_t revision = 0;
  std::map<std::string, int64_t> taken;  // sku -> units
};
using AppliedOrderFn = std::function<std::optional<AppliedOrder>(const std::string& order_id)>;
// The SKU of a listing of this channel; nullopt for a listing stockd does not push.
using ListingSkuFn = std::function<std::optional<std::string>(const std::string& listing_id)>;

// What one revision of an order takes from the channel's own number, per SKU: each
// line's quantity less its cancelled units (a cancelled order: only its shipped units).
std::map<std::string, int64_t> ChannelTakes(const plugins::Order& order,
                                            const ListingSkuFn& sku_of);

// U per SKU over the orders a poll returned (the newest revision of each order id is
// used): for each order whose revision is newer than the engine's applied one, what the
// revision takes less what the applied order took. Positive: units sold on the channel
// that stockd has not taken yet; negative: units the channel gave back (a cancellation)
// that stockd has not released yet. SKUs with 0 are left out.
std::map<std::string, int64_t> Uningested(const std::vector<plugins::Order>& polled,
                                          const ListingSkuFn& sku_of,
                                          const AppliedOrderFn& applied);

// The engine's view of an order as an AppliedOrder.
AppliedOrder FromView(const engine::OrderView& view);

}  // namespace stockd::reconcile

#endif  // STOCKD_DAEMON_RECONCILE_CLASSIFY_H_
