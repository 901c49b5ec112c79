// Gathering the status page's data from the daemon's components (status.h).
#include "daemon/observe/status.h"

#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "daemon/engine/model.h"
#include "daemon/orders/orders.h"
#include "daemon/push/push_engine.h"
#include "daemon/reconcile/reconciler.h"
#include "daemon/storage/durable_store.h"

namespace stockd::observe {
namespace {

constexpr int64_t kBreachAlertWindowMs = 60 * 60 * 1000;  // StockBreach: the last hour

void AddChannels(const Sources& s, int64_t now, StatusReport* r) {
  const std::shared_ptr<const engine::Model> snapshot = s.engine->model();
  const engine::Model& model = *snapshot;
  std::map<std::string, ChannelStatus*> by_id;
  for (const engine::Channel& c : model.channels) {
    ChannelStatus cs;
    cs.id = c.id;
    cs.type = engine::ChannelTypeName(c.type);
    r->channels.push_back(std::move(cs));
  }
  for (ChannelStatus& c : r->channels) by_id[c.id] = &c;

  // Published SKUs: one pass over every SKU's published quantities (page requests only).
  s.engine->ForEachPublished({}, {}, [&by_id](const engine::PublishedChange& p) {
    if (p.published <= 0) return;
    auto it = by_id.find(p.channel);
    if (it != by_id.end()) ++it->second->published_skus;
  });
  for (const auto& [channel, n] : r->engine.breaches_by_channel) {
    auto it = by_id.find(channel);
    if (it != by_id.end()) it->second->breaches = n;
  }
  if (s.push != nullptr) {
    for (const push::PusherStats& p : s.push->Stats()) {
      auto it = by_id.find(p.channel);
      if (it == by_id.end()) continue;
      ChannelStatus& c = *it->second;
      c.adapter = p.adapter;
      c.acked_skus = p.acked;
      c.backlog = p.dirty;
      c.push_lag_ms = p.oldest_dirty_ms > 0 ? std::max<int64_t>(0, now - p.oldest_dirty_ms) : 0;
      c.latency_p99_ms = p.latency_p99_ms;
      c.pushed_ok = p.items_ok;
      c.failed_retryable = p.items_retry;
      c.failed_permanent = p.items_permanent;
      c.conflicts = p.items_conflict;
      c.paused = p.paused_until_ms > now;
      c.paused_for_ms = c.paused ? p.paused_until_ms - now : 0;
      c.last_error = p.last_error;
    }
  }
  if (s.orders != nullptr) {
    for (const orders::WorkerStats& w : s.orders->Stats()) {
      auto it = by_id.find(w.channel);
      if (it == by_id.end()) continue;
      ChannelStatus& c = *it->second;
      c.orders_polled = true;
      c.order_polls = w.polls;
      c.order_poll_failures = w.failed_polls;
      c.orders_last_error = w.last_error;
    }
  }
  if (s.reconciler != nullptr) {
    for (ChannelStatus& c : r->channels) {
      std::optional<reconcile::Report> last = s.reconciler->Last(c.id);
      if (!last.has_value()) continue;
      c.reconciled_ms = last->time_ms;
      c.reconcile_ok = last->count(reconcile::SkuClass::kOk);
      c.reconcile_in_flight = last->count(reconcile::SkuClass::kInFlight);
      c.reconcile_drift = last->count(reconcile::SkuClass::kDrift);
      c.reconcile_unknown = last->count(reconcile::SkuClass::kUnknownListing);
    }
  }
}

// The conditions of docs/alerts.yaml, as far as they can be seen from one snapshot.
void AddAlerts(StatusReport* r) {
  if (r->durable && !r->redis_up) {
    r->alerts.push_back({"RedisDown", "critical",
                         absl::StrCat("redis ", r->redis_address,
                                      ": writes fail with UNAVAILABLE until it re-syncs")});
  }
  if (!r->write_serving) {
    r->alerts.push_back({"WritePathNotServing", "critical",
                         "the health service reports stockd.v1.Stock.Write NOT_SERVING"});
  }
  for (const ChannelStatus& c : r->channels) {
    if (c.paused) {
      r->alerts.push_back({"ChannelPaused", "warning",
                           absl::StrCat(c.id, ": pushes paused for ", c.paused_for_ms,
                                        " ms after a batch failed: ", c.last_error)});
    }
    if (c.push_lag_ms > kPushLagAlertMs) {
      r->alerts.push_back({"PushLagHigh", "warning",
                           absl::StrCat(c.id, ": the oldest of ", c.backlog,
                                        " dirty SKUs waits for ", c.push_lag_ms / 1000, " s")});
    }
    if (c.reconcile_drift > 0) {
      r->alerts.push_back({"ChannelDrift", "warning",
                           absl::StrCat(c.id, ": the latest reconciliation found ",
                                        c.reconcile_drift, " SKUs drifted")});
    }
  }
  int64_t recent = 0;
  for (const engine::BreachView& b : r->breaches) {
    if (b.time_ms >= r->now_ms - kBreachAlertWindowMs) ++recent;
  }
  if (recent > 0) {
    r->alerts.push_back({"StockBreach", "warning",
                         absl::StrCat(recent, " breaches of protected units in the last hour")});
  }
}

}  // namespace

StatusReport GatherStatus(const Sources& s, int64_t started_ms, std::vector<ReloadEntry> reloads) {
  StatusReport r;
  r.now_ms = s.now_ms ? s.now_ms() : 0;
  r.started_ms = started_ms;
  r.engine = s.engine->Stats();
  r.breaches = s.engine->RecentBreaches();
  r.write_serving = s.write_serving ? s.write_serving() : s.engine->writable();
  if (s.store != nullptr) {
    r.durable = true;
    r.redis_address = s.store->address().empty() ? "embedded" : s.store->address();
    r.redis_up = s.store->writable();
    const storage::ResyncStats rs = s.store->resync_stats();
    r.resyncs = rs.recoveries;
    r.resyncs_without_reload = rs.recoveries_without_reload;
    const storage::JournalStats js = s.store->journal_stats();
    r.journal_batches = js.batches;
    r.journal_records = js.records;
    r.journal_failed_records = js.failed_records;
  }
  AddChannels(s, r.now_ms, &r);
  r.reloads = std::move(reloads);
  AddAlerts(&r);
  return r;
}

}  // namespace stockd::observe
