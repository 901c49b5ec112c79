// The daemon's state as metrics, read at scrape time (no counter on a hot path): the
// engine's stats (holds, breaches by channel, expiries, orders), storage (Redis up,
// re-syncs, journal totals), the write path, per channel the push engine's stats (backlog,
// oldest dirty age, latency histogram, failures by kind, throttles, drift, paused), order
// polling and the latest reconciliation. docs/metrics.md lists every name.
//
// Thread safety: Collect is thread-safe (it calls the components' thread-safe accessors).
#ifndef STOCKD_DAEMON_OBSERVE_STATE_COLLECTOR_H_
#define STOCKD_DAEMON_OBSERVE_STATE_COLLECTOR_H_

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <vector>

#include "daemon/observe/sources.h"

namespace stockd::observe {

class StateCollector final : public prometheus::Collectable {
 public:
  explicit StateCollector(Sources sources) : sources_(std::move(sources)) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const Sources sources_;
};

}  // namespace stockd::observe

#endif  // STOCKD_DAEMON_OBSERVE_STATE_COLLECTOR_H_
