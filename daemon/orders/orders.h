// The orders layer's facade (docs/orders.md), as push::PushEngine is push's: from the
// config's OrdersConfig it builds the intake every order enters by (OrderIngest), a
// ListingMap per channel with a listings file, and a poll worker per channel whose
// adapter can poll orders (its own plugin instance) and whose poll_interval is not 0,
// and the webhook receiver (config `orders.listen`) for the channels whose orders are
// delivered (channels[].orders.webhook); the workers and the receiver submit to intake().
//
// Every message it logs for itself or for an adapter passes through util::RedactSecrets.
//
// Thread safety: intake(), ListUnmapped() and Stats() are thread-safe once created;
// Start/Stop from the owner.
#ifndef STOCKD_DAEMON_ORDERS_ORDERS_H_
#define STOCKD_DAEMON_ORDERS_ORDERS_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/config/slices.h"
#include "daemon/engine/clock.h"
#include "daemon/engine/engine.h"
#include "daemon/orders/listing_map.h"
#include "daemon/orders/order_ingest.h"
#include "daemon/orders/order_intake.h"
#include "daemon/orders/order_store.h"
#include "daemon/orders/order_worker.h"
#include "daemon/orders/webhook_receiver.h"
#include "daemon/util/log.h"

namespace stockd::orders {

class Orders {
 public:
  // Loads the listings files, the parked orders, the plugin of every channel that polls
  // and the secret of every channel whose orders are delivered. Any failure is returned (a
  // bad listings file, a plugin that cannot be loaded, a secret file that cannot be read
  // or that others may read, a webhook without `orders.listen`, Redis unreachable),
  // prefixed with the channel's config origin. Call after the engine is restored. `engine`,
  // `store`, `clock` not owned.
  static absl::StatusOr<std::unique_ptr<Orders>> Create(const config::OrdersConfig& config,
                                                        engine::Engine* engine, OrderStore* store,
                                                        const engine::Clock* clock, log::Sink log);
  ~Orders();  // Stop()

  // Loads the stored cursors, starts the workers, then binds the webhook receiver
  // (UNAVAILABLE when its address cannot be bound).
  absl::Status Start();
  // Stops the receiver (answering the deliveries in progress), then every worker
  // (interrupting its adapter). Idempotent.
  void Stop();

  // The webhook receiver's bound port; 0 when there is none (or before Start).
  int webhook_port() const { return receiver_ ? receiver_->port() : 0; }

  OrderIntake* intake() { return ingest_.get(); }
  OrderIngest* ingest() { return ingest_.get(); }
  std::vector<UnmappedOrder> ListUnmapped() const { return ingest_->ListUnmapped(); }
  std::vector<WorkerStats> Stats() const;
  // nullptr when the channel is not polled.
  OrderWorker* worker(const std::string& channel) const;
  // The start time of the latest poll of `channel` whose orders are all durable (0 before
  // the first); INT64_MAX when the channel is not polled (nothing to wait for).
  int64_t IngestedUntil(const std::string& channel) const;

 private:
  Orders() = default;
  absl::Status StartWorkers();

  OrderStore* store_ = nullptr;
  log::Sink log_;
  std::map<std::string, std::unique_ptr<ListingMap>> maps_;
  std::unique_ptr<OrderIngest> ingest_;
  std::map<std::string, std::unique_ptr<OrderWorker>> workers_;
  WebhookReceiverOptions receiver_options_;  // channels empty: no receiver
  std::unique_ptr<WebhookReceiver> receiver_;
  bool stopped_ = false;  // owner thread only
};

}  // namespace stockd::orders

#endif  // STOCKD_DAEMON_ORDERS_ORDERS_H_
