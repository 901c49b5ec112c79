// A live reload's change of the daemon's channels (docs/reload.md): the adapters of the
// push engine, order ingestion and the reconciliation periods (StartChannels, in
// daemon_start.cc, starts them).
#include <map>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "daemon/orders/orders.h"
#include "daemon/push/push_engine.h"
#include "daemon/reconcile/reconciler.h"
#include "daemon/server/daemon_impl.h"
#include "daemon/util/log.h"

namespace stockd::server {

std::map<std::string, int64_t> Daemon::Impl::ReconcilePeriods(const config::Config& config) {
  std::map<std::string, int64_t> every;
  for (const config::AdapterConfig& a : config.adapters) {
    if (a.reconcile_every_ms > 0) every[a.channel] = a.reconcile_every_ms;
  }
  return every;
}

absl::StatusOr<std::function<void()>> Daemon::Impl::PrepareChannels(const config::Config& next) {
  // Everything is loaded before anything changes: a plugin, listings file or secret that
  // cannot be read refuses the reload with nothing applied.
  absl::StatusOr<push::AdapterPlan> push = push_->Prepare(next.PushSlice());
  if (!push.ok()) return push.status();
  absl::StatusOr<orders::OrdersPlan> orders = orders_->Prepare(next.OrdersSlice());
  if (!orders.ok()) return orders.status();
  // std::function is copyable: the plans travel in shared pointers, committed once.
  auto push_plan = std::make_shared<push::AdapterPlan>(*std::move(push));
  auto orders_plan = std::make_shared<orders::OrdersPlan>(*std::move(orders));
  return [this, push_plan, orders_plan, periods = ReconcilePeriods(next)]() mutable {
    // Orders first: a new pusher that meets a conflict asks how far its channel's orders
    // are ingested.
    orders_->Commit(std::move(*orders_plan));
    push_->Commit(std::move(*push_plan));
    reconciler_->SetPeriods(std::move(periods));
  };
}

}  // namespace stockd::server
