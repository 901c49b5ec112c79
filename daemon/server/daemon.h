// The running daemon: engine, watch hub, hold reaper and gRPC server (with the standard
// health service and server reflection), assembled from a Config. main() and the
// end-to-end tests both start it through Daemon::Start.
//
// Thread safety: Start/Shutdown/Wait from one controlling thread; port(), metrics_port(),
// engine() and RecordReload() from any thread once started.
#ifndef STOCKD_DAEMON_SERVER_DAEMON_H_
#define STOCKD_DAEMON_SERVER_DAEMON_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/config/config.h"
#include "daemon/engine/engine.h"
#include "daemon/server/config_reloader.h"
#include "daemon/server/stock_service.h"

namespace stockd::orders {
class Orders;
}  // namespace stockd::orders

namespace stockd::server {

// What the daemon gets from layers it does not build itself (the orders layer's
// unmapped list, until the daemon assembles the orders layer).
struct DaemonHooks {
  UnmappedOrdersFn unmapped_orders;  // empty = no unmapped orders
  // A one-line account of what the daemon is doing (systemd's STATUS=, from main.cc):
  // each start phase, a Redis outage and its re-sync, the drain. Called from the
  // controlling thread and from the storage layer's threads; must not block.
  std::function<void(const std::string&)> status;
  // server.listen came from the command line (--listen): a reload keeps it.
  bool listen_overridden = false;
  // Around every reload from the file (SIGHUP or ReloadConfig): true before, false after
  // (systemd's RELOADING=1 / READY=1, from main.cc). Must not block.
  std::function<void(bool reloading)> reloading;
};

class Daemon {
 public:
  // Builds and starts everything; returns once the server accepts calls.
  // server.listen is checked by config::CheckListenSecurity (FAILED_PRECONDITION for a
  // non-loopback address without TLS and clients, INVALID_ARGUMENT for a malformed or unresolvable
  // one); UNAVAILABLE when the port cannot be bound.
  static absl::StatusOr<std::unique_ptr<Daemon>> Start(const config::Config& config,
                                                       DaemonHooks hooks = {});
  ~Daemon();  // Shuts down if still running.
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  int port() const;  // the bound TCP port (useful with port 0)
  engine::Engine* engine();
  orders::Orders* orders();  // order ingestion (docs/orders.md)
  reconcile::Reconciler* reconciler();  // three-way reconciliation (docs/orders.md)
  // The metrics endpoint's bound port (metrics.listen, docs/metrics.md); 0 when none.
  int metrics_port() const;
  // A config reload was applied (`ok`) or rejected (`message`: what changed, or why not):
  // shown on the status page and counted in stockd_config_reloads_total. Thread-safe;
  // a no-op without metrics.listen.
  void RecordReload(int64_t time_ms, bool ok, const std::string& message);

  // Applies `next` (parsed and validated by config::LoadConfigFile) to the running
  // daemon without dropping a call (ConfigReloader::Apply, docs/reload.md): the model
  // (policies, overrides, locations and channels added: Engine::Reconfigure, whose
  // changes the push engine then pushes), the clients and their tokens, the log level.
  // Restart-only settings that changed are listed in the report. FAILED_PRECONDITION
  // (nothing applied) when the model removes a location or channel, or the new clients
  // would leave a listener other machines can reach without authentication. Thread-safe;
  // reloads are serialised.
  absl::StatusOr<ReloadReport> Reload(const config::Config& next);
  // Re-reads the config file the daemon started from and applies it (SIGHUP and the
  // ReloadConfig RPC): logged, counted and shown on the status page. `actor` is the
  // audit entry's "who".
  absl::StatusOr<ReloadReport> ReloadFromFile(const std::string& actor);

  // The systemd watchdog's probe (watchdog.h): OK when the engine's locks are all taken
  // and released within half of `interval_ms` and, when the journal has writes pending,
  // it finished a batch within `interval_ms`; DEADLINE_EXCEEDED saying which failed.
  // A Redis that is down passes (its writes fail fast). Any thread, once started.
  absl::Status CheckProgress(int64_t interval_ms);

  // Drain: closes Watch streams, stops accepting calls, waits up to the configured drain
  // timeout for in-flight calls, then stops the reaper. Idempotent.
  void Shutdown();
  // Blocks until Shutdown has completed.
  void Wait();

 private:
  class Impl;
  explicit Daemon(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace stockd::server

#endif  // STOCKD_DAEMON_SERVER_DAEMON_H_
