// What the observe layer reads at scrape and page time: the daemon's components, none
// owned. The Daemon fills it in once they are all built, before the endpoint serves.
//
// Thread safety: a plain value; the pointed-to components are thread-safe in what the
// observe layer calls (their Stats/accessors).
#ifndef STOCKD_DAEMON_OBSERVE_SOURCES_H_
#define STOCKD_DAEMON_OBSERVE_SOURCES_H_

#include <functional>

#include "daemon/engine/engine.h"

namespace stockd::storage {
class DurableStore;
}  // namespace stockd::storage
namespace stockd::push {
class PushEngine;
}  // namespace stockd::push
namespace stockd::orders {
class Orders;
}  // namespace stockd::orders
namespace stockd::reconcile {
class Reconciler;
}  // namespace stockd::reconcile

namespace stockd::observe {

struct Sources {
  const engine::Engine* engine = nullptr;         // required
  const storage::DurableStore* store = nullptr;   // null: redis.mode memory
  const push::PushEngine* push = nullptr;
  const orders::Orders* orders = nullptr;
  const reconcile::Reconciler* reconciler = nullptr;
  // The health service's stockd.v1.Stock.Write status (writes accepted).
  std::function<bool()> write_serving;
  // Now, wall-clock milliseconds since the epoch (the components' clock).
  std::function<int64_t()> now_ms;
};

}  // namespace stockd::observe

#endif  // STOCKD_DAEMON_OBSERVE_SOURCES_H_
