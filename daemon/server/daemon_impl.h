// Daemon::Impl, the running daemon's parts and who owns them (private to daemon.cc,
// daemon_start.cc and daemon_channels.cc). Members are declared in dependency order:
// each is destroyed before what it uses.
#ifndef STOCKD_DAEMON_SERVER_DAEMON_IMPL_H_
#define STOCKD_DAEMON_SERVER_DAEMON_IMPL_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "daemon/observe/http_endpoint.h"
#include "daemon/observe/observer.h"
#include "daemon/orders/orders.h"
#include "daemon/push/push_engine.h"
#include "daemon/reconcile/reconciler.h"
#include "daemon/server/auth.h"
#include "daemon/server/config_reloader.h"
#include "daemon/server/daemon.h"
#include "daemon/server/stock_service.h"
#include "daemon/server/watch_hub.h"
#include "daemon/storage/audit_ledger.h"
#include "daemon/storage/durable_store.h"

namespace stockd::server {

class Daemon::Impl {
 public:
  Impl(const config::Config& config, DaemonHooks hooks)
      : config_(config), hooks_(std::move(hooks)) {}
  // Joins the store's threads (which call into the hub and the push engine) before any
  // member is destroyed, also when Start failed half way.
  ~Impl();

  // daemon_start.cc: the whole start, in order.
  absl::Status Start();

  void Shutdown();

  void Wait() { stopped_.WaitForNotification(); }

  absl::StatusOr<ReloadReport> Reload(const config::Config& next) {
    return reloader_->Apply(next, "config-reload");
  }
  absl::StatusOr<ReloadReport> ReloadFromFile(const std::string& actor) {
    return reloader_->ReloadFromFile(actor, 10);
  }

  void SetWriteHealth(bool writable);
  absl::Status CheckProgress(int64_t interval_ms);
  int port() const { return port_; }
  int metrics_port() const { return metrics_ ? metrics_->port() : 0; }
  void RecordReload(int64_t time_ms, bool ok, const std::string& message) {
    if (observer_) observer_->RecordReload(time_ms, ok, message);
  }
  engine::Engine* engine() { return engine_.get(); }
  orders::Orders* orders() { return orders_.get(); }
  reconcile::Reconciler* reconciler() { return reconciler_.get(); }

 private:
  // daemon_start.cc: the phases of Start.
  // The observer, Redis (state loaded), the engine restored and attached to the journal.
  absl::Status StartState();
  // The push engine, order ingestion and reconciliation.
  absl::Status StartChannels();
  // Clients, the reloader, the service and the gRPC listener.
  absl::Status StartServer();
  // daemon_channels.cc: a reload's change of the adapters and order ingestion, loaded;
  // the function commits it (ConfigReloader::Options::prepare_channels).
  absl::StatusOr<std::function<void()>> PrepareChannels(const config::Config& next);
  // channel -> channels[].reconcile_every, for the channels that have one.
  static std::map<std::string, int64_t> ReconcilePeriods(const config::Config& config);

  void ReportStatus(const std::string& status) const {
    if (hooks_.status) hooks_.status(status);
  }

  void ReapLoop();

  const config::Config config_;
  static constexpr char kWriteHealth[] = "stockd.v1.Stock.Write";

  engine::SystemClock clock_;
  const int64_t started_ms_ = clock_.NowMs();
  // Metrics (null without metrics.listen): declared before everything that calls into it
  // (the journal's on_commit, the server's interceptor), so it is destroyed after them.
  std::unique_ptr<observe::Observer> observer_;
  // Watch sequences start at the start time in microseconds: they keep increasing across
  // restarts, so a resume point from an earlier run is never mistaken for a recent one.
  WatchHub hub_{static_cast<uint64_t>(clock_.NowMs()) * 1000};
  std::unique_ptr<engine::Engine> engine_;
  // Declared after the engine so they stop (joining their threads) before it goes.
  std::unique_ptr<storage::DurableStore> store_;  // null in memory mode
  std::unique_ptr<storage::AuditLedger> audit_ledger_;  // null in memory mode
  std::unique_ptr<push::AckStore> acks_;
  std::unique_ptr<push::PushEngine> push_;
  std::atomic<push::PushEngine*> push_ready_{nullptr};  // for the resync callback
  std::unique_ptr<orders::OrderStore> order_store_;
  std::unique_ptr<orders::Orders> orders_;  // stops before the push engine and the store
  std::atomic<orders::Orders*> orders_ready_{nullptr};  // for the push engine's conflicts
  std::unique_ptr<reconcile::Reconciler> reconciler_;   // runs on the push workers
  std::unique_ptr<Authenticator> auth_;                 // before the service that uses it
  std::unique_ptr<ConfigReloader> reloader_;            // likewise
  std::unique_ptr<StockService> service_;
  const DaemonHooks hooks_;
  std::string durability_;  // how the state is kept, for the start line (StartState)
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::unique_ptr<observe::MetricsEndpoint> metrics_;  // reads everything above
  std::thread reaper_;
  absl::Notification stop_reaper_;
  absl::Notification stopped_;
  absl::Mutex mu_;
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  bool health_ready_ ABSL_GUARDED_BY(mu_) = false;
  bool write_healthy_ ABSL_GUARDED_BY(mu_) = true;
};

}  // namespace stockd::server

#endif  // STOCKD_DAEMON_SERVER_DAEMON_IMPL_H_
