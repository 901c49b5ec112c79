// OrderIngest: the OrderIntake of the daemon (order_intake.h). It maps each line's
// listing id to a SKU through the channel's ListingMap and applies the revision to the
// engine as one ApplyOrderCmd under the request id order/<channel>/<order id>/<revision>
// (docs/orders.md); a revision with a listing that maps to no SKU is parked, durably, in
// the OrderStore and re-submitted by RetryUnmapped once its listings map.
//
// Thread safety: thread-safe. Submit from any thread; `done` runs on the engine's
// completion thread (inline without a journal) or on the calling thread; a parked order
// that is applied is unparked there first (one Redis HDEL, rare). Parking and
// unparking hold the parked-orders lock across the store write, so the durable and the
// in-memory view never disagree; ListUnmapped may wait for such a write.
#ifndef STOCKD_DAEMON_ORDERS_ORDER_INGEST_H_
#define STOCKD_DAEMON_ORDERS_ORDER_INGEST_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "daemon/engine/clock.h"
#include "daemon/engine/engine.h"
#include "daemon/orders/listing_map.h"
#include "daemon/orders/order_intake.h"
#include "daemon/orders/order_store.h"
#include "daemon/util/log.h"

namespace stockd::orders {

// What became of a revision that was made durable.
enum class IngestResult { kApplied, kStale, kParked };

// The request id of a revision: order/<channel>/<order id>/<revision>, or, when that is
// longer than 128 bytes, order/<channel>/h<16 hex digits of the FNV-1a 64 hash of the
// order id>/<revision>.
std::string OrderRequestId(const std::string& channel, const std::string& order_id,
                           int64_t revision);

class OrderIngest final : public OrderIntake {
 public:
  using ResultDone = std::function<void(absl::StatusOr<IngestResult>)>;

  // `maps`: the ListingMap of every channel with a listings file (others map by
  // identity); not owned, must outlive this (or their replacement by SetMaps). Loads the parked orders from `store`.
  // `engine`, `store`, `clock` not owned.
  static absl::StatusOr<std::unique_ptr<OrderIngest>> Create(
      engine::Engine* engine, OrderStore* store, std::map<std::string, ListingMap*> maps,
      const engine::Clock* clock, log::Sink log);

  void Submit(const std::string& channel, plugins::Order order,
              std::function<void(absl::Status)> done) override;
  // As Submit, saying what became of the revision.
  void SubmitWithResult(const std::string& channel, plugins::Order order, ResultDone done);

  // Re-submits every parked revision whose listings all map now (of `channel`, or of
  // every channel when ""). Returns how many were re-submitted; their results are logged.
  int RetryUnmapped(const std::string& channel = "");
  // Replaces the listing maps (a live reload). Once it returns, no call uses a map that
  // is not in `maps` any more: the caller may free those.
  void SetMaps(std::map<std::string, ListingMap*> maps) ABSL_LOCKS_EXCLUDED(maps_mu_);
  std::vector<UnmappedOrder> ListUnmapped() const;

 private:
  OrderIngest(engine::Engine* engine, OrderStore* store, std::map<std::string, ListingMap*> maps,
              const engine::Clock* clock, log::Sink log);
  // The listings of `order` that map to no SKU; when none, `cmd` is filled.
  std::vector<std::string> Map(const std::string& channel, const plugins::Order& order,
                               engine::ApplyOrderCmd* cmd) const ABSL_LOCKS_EXCLUDED(maps_mu_);
  absl::StatusOr<IngestResult> Park(const std::string& channel, const plugins::Order& order,
                                    std::vector<std::string> missing);
  void Apply(const std::string& channel, engine::ApplyOrderCmd cmd, ResultDone done);
  // Drops the parked revision of the order if it is not newer than `applied_revision`.
  void UnparkUpTo(const std::string& channel, const std::string& order_id,
                  int64_t applied_revision);

  engine::Engine* const engine_;
  OrderStore* const store_;
  // Held (shared) while a map is in use; SetMaps holds it exclusively.
  mutable absl::Mutex maps_mu_;
  std::map<std::string, ListingMap*> maps_ ABSL_GUARDED_BY(maps_mu_);
  const engine::Clock* const clock_;
  const log::Sink log_;
  mutable absl::Mutex mu_;
  std::map<std::pair<std::string, std::string>, ParkedOrder> parked_ ABSL_GUARDED_BY(mu_);
};

}  // namespace stockd::orders

#endif  // STOCKD_DAEMON_ORDERS_ORDER_INGEST_H_
