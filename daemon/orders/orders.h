// The orders layer's facade (docs/orders.md), as push::PushEngine is push's: from the
// config's OrdersConfig it builds the intake every order enters by (OrderIngest), a
// ListingMap per channel with a listings file, and a poll worker per channel whose
// adapter can poll orders (its own plugin instance) and whose poll_interval is not 0,
// and the webhook receiver (config `orders.listen`) for the channels whose orders are
// delivered (channels[].orders.webhook); the workers and the receiver submit to intake().
//
// Every message it logs for itself or for an adapter passes through util::RedactSecrets.
//
// Thread safety: intake(), ListUnmapped(), Stats(), worker(), IngestedUntil() and
// webhook_port() are thread-safe once created; Start, Stop, Prepare and Commit from the
// owner, one at a time.
#ifndef STOCKD_DAEMON_ORDERS_ORDERS_H_
#define STOCKD_DAEMON_ORDERS_ORDERS_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "daemon/config/slices.h"
#include "daemon/engine/clock.h"
#include "daemon/engine/engine.h"
#include "daemon/orders/listing_map.h"
#include "daemon/plugins/adapter_counters.h"
#include "daemon/orders/order_ingest.h"
#include "daemon/orders/order_intake.h"
#include "daemon/orders/order_store.h"
#include "daemon/orders/order_worker.h"
#include "daemon/orders/webhook_receiver.h"
#include "daemon/util/log.h"

namespace stockd::orders {

// What a new config changes in order ingestion, loaded and ready to commit
// (Orders::Prepare). Dropping it unapplied unloads what it loaded.
class OrdersPlan {
 public:
  OrdersPlan() = default;
  OrdersPlan(OrdersPlan&&) = default;
  OrdersPlan& operator=(OrdersPlan&&) = default;
  ~OrdersPlan();

 private:
  friend class Orders;
  std::vector<config::OrderChannelConfig> channels;  // the new config's
  std::vector<std::string> rebuilt;  // channels whose poller and listings are replaced
  std::map<std::string, std::unique_ptr<ListingMap>> maps;      // of rebuilt channels
  std::map<std::string, std::unique_ptr<OrderWorker>> workers;  // of rebuilt channels
  std::map<std::string, std::string> stored_cursors;  // when a new poller has no predecessor
  std::optional<std::vector<WebhookChannel>> routes;  // the new routes, when they change
  std::unique_ptr<WebhookReceiver> receiver;          // started by Prepare when none ran
};

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

  // Live reload (docs/reload.md): what `next` changes in the channels' order ingestion
  // (config::PollerChanged, RouteChanged), loaded — listings files, plugins, secrets, the
  // stored cursors of new pollers, and the receiver when a first channel gets webhook
  // deliveries — and nothing else changed yet. Create's errors (then nothing is
  // applied), and FAILED_PRECONDITION for webhook deliveries without a receiver
  // (`orders.listen` is applied at the next restart). `next.listen`, `max_body_bytes`,
  // `deadline_ms` and `plugin_dir` are not applied. One Prepare/Commit at a time.
  absl::StatusOr<OrdersPlan> Prepare(const config::OrdersConfig& next) const;
  // Applies a plan, after the engine took the new model: a replaced poller stops after
  // the adapter call in flight (interrupted) and its successor starts from its durable
  // cursor; the listing maps and the webhook routes are swapped.
  void Commit(OrdersPlan plan);

  // The webhook receiver's bound port; 0 when there is none (or before Start).
  int webhook_port() const;

  OrderIntake* intake() { return ingest_.get(); }
  OrderIngest* ingest() { return ingest_.get(); }
  std::vector<UnmappedOrder> ListUnmapped() const { return ingest_->ListUnmapped(); }
  std::vector<WorkerStats> Stats() const;
  // nullptr when the channel is not polled. A worker a reload replaces is stopped but
  // stays valid as long as the caller holds it.
  std::shared_ptr<OrderWorker> worker(const std::string& channel) const;
  // The start time of the latest poll of `channel` whose orders are all durable (0 before
  // the first); INT64_MAX when the channel is not polled (nothing to wait for).
  int64_t IngestedUntil(const std::string& channel) const;
  // What the order-polling instances of the adapters counted (stockd_host.count).
  const plugins::AdapterCounters& adapter_counters() const { return *adapter_counters_; }

 private:
  Orders() = default;
  absl::Status StartWorkers();
  // The channel's poller (its own plugin instance), not started; nullptr when the
  // channel does not poll (no adapter, poll_interval 0, or a plugin that cannot poll).
  absl::StatusOr<std::unique_ptr<OrderWorker>> BuildWorker(const config::OrderChannelConfig& c,
                                                           ListingMap* listings) const;
  // The ingest's view of the maps; mu_ held.
  std::map<std::string, ListingMap*> MapView() const ABSL_SHARED_LOCKS_REQUIRED(mu_);

  OrderStore* store_ = nullptr;
  engine::Engine* engine_ = nullptr;
  const engine::Clock* clock_ = nullptr;
  std::string plugin_dir_;
  std::string listen_;  // orders.listen at start
  log::Sink log_;
  std::unique_ptr<OrderIngest> ingest_;
  WebhookReceiverOptions receiver_options_;          // channels empty: no receiver
  std::vector<config::OrderChannelConfig> applied_;  // owner thread only
  // Before workers_: outlives every plugin instance that counts into it.
  const std::unique_ptr<plugins::AdapterCounters> adapter_counters_ =
      std::make_unique<plugins::AdapterCounters>();

  // Readers: the push engine (IngestedUntil), reconciliation (worker), metrics (Stats).
  mutable absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<ListingMap>> maps_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::shared_ptr<OrderWorker>> workers_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<WebhookReceiver> receiver_ ABSL_GUARDED_BY(mu_);
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace stockd::orders

#endif  // STOCKD_DAEMON_ORDERS_ORDERS_H_
