#include "daemon/observe/state_collector.h"

#include <algorithm>
#include <deque>
#include <iterator>
#include <map>
#include <string>

#include "daemon/engine/push_report.h"
#include "daemon/observe/families.h"
#include "daemon/orders/orders.h"
#include "daemon/plugins/adapter_counters.h"
#include "daemon/push/push_engine.h"
#include "daemon/reconcile/reconciler.h"
#include "daemon/storage/durable_store.h"

namespace stockd::observe {
namespace {

using prometheus::MetricFamily;
using prometheus::MetricType;
constexpr MetricType kCounter = MetricType::Counter;
constexpr MetricType kGauge = MetricType::Gauge;

// A deque: a family stays where it is while later ones are added.
using Families = std::deque<MetricFamily>;
MetricFamily& AddFamily(Families* out, const std::string& name, const std::string& help,
                        MetricType type) {
  return out->emplace_back(Family(name, help, type));
}

double D(int64_t v) { return static_cast<double>(v); }

void Engine(const Sources& s, Families* out) {
  const engine::EngineStats e = s.engine->Stats();
  auto one = [out](const char* name, const char* help, MetricType type, double v) {
    AddValue(&AddFamily(out, name, help, type), {}, v);
  };
  one("stockd_skus", "SKUs the engine holds", kGauge, D(e.skus));
  one("stockd_stock_rows", "SKU x location rows the engine holds", kGauge, D(e.rows));
  one("stockd_open_holds", "Holds (reservations) open now", kGauge, D(e.open_holds));
  one("stockd_orders", "Orders in the order table", kGauge, D(e.orders));
  one("stockd_mutations_total", "Mutations applied since start", kCounter, D(e.mutations));
  one("stockd_hold_expiries_total", "Holds expired by their deadline since start", kCounter,
      D(e.expired_holds));
  one("stockd_order_breaches_total", "Order revisions applied with a breach since start", kCounter,
      D(e.order_breaches));
  one("stockd_order_backorders_total", "Order revisions applied leaving a backorder since start",
      kCounter, D(e.order_backorders));
  // Every channel has a series (0 until its first breach), so increase() sees the first.
  MetricFamily& breaches =
      AddFamily(out, "stockd_breaches_total",
                "Sales and order revisions that took units beyond the selling channel's avail "
                "(protected units of other channels), by that channel, since start",
                kCounter);
  const std::shared_ptr<const engine::Model> model = s.engine->model();
  for (const engine::Channel& c : model->channels) {
    int64_t n = 0;
    for (const auto& [channel, count] : e.breaches_by_channel) {
      if (channel == c.id) n = count;
    }
    AddValue(&breaches, {{"channel", c.id}}, D(n));
  }
  MetricFamily& alerts = AddFamily(
      out, "stockd_alerts_raised_total",
      "Stock alerts raised since start (durable), by kind: reorder, sold_out, back_in_stock, "
      "uncovered (docs/alerts.md)",
      kCounter);
  for (const auto& [kind, count] : e.alerts_raised) {
    AddValue(&alerts, {{"kind", engine::AlertKindName(kind)}}, D(count));
  }
  MetricFamily& active = AddFamily(
      out, "stockd_alerts_active",
      "Alert keys raised now, by kind: reorder (a location's or a SKU's overall), uncovered, "
      "sold_out (a channel's); they re-arm when the condition clears (docs/alerts.md)",
      kGauge);
  for (const auto& [kind, count] : e.alerts_active) {
    AddValue(&active, {{"kind", engine::AlertKindName(kind)}}, D(count));
  }
  const bool serving = s.write_serving ? s.write_serving() : s.engine->writable();
  one("stockd_write_path_serving",
      "1 when writes are accepted (health stockd.v1.Stock.Write SERVING), else 0", kGauge,
      serving ? 1 : 0);
}

void Storage(const Sources& s, Families* out) {
  AddValue(&AddFamily(out, "stockd_durable",
                      "1 when state is made durable in Redis, 0 with redis.mode memory", kGauge),
           {}, s.store != nullptr ? 1 : 0);
  if (s.store == nullptr) return;
  AddValue(&AddFamily(out, "stockd_redis_up",
                      "1 while the journal writes to Redis, 0 from a failed write until the "
                      "re-sync reopened writes",
                      kGauge),
           {}, s.store->writable() ? 1 : 0);
  const storage::ResyncStats rs = s.store->resync_stats();
  MetricFamily& resyncs = AddFamily(
      out, "stockd_redis_resyncs_total",
      "Redis outages re-synced since start, by whether the whole state was reloaded", kCounter);
  AddValue(&resyncs, {{"reload", "false"}}, rs.recoveries_without_reload);
  AddValue(&resyncs, {{"reload", "true"}}, rs.recoveries - rs.recoveries_without_reload);
  const storage::JournalStats js = s.store->journal_stats();
  AddValue(&AddFamily(out, "stockd_journal_batches_total",
                      "Group commits (MULTI/EXEC) that landed since start", kCounter),
           {}, D(js.batches));
  AddValue(&AddFamily(out, "stockd_journal_records_total",
                      "Mutation records made durable since start", kCounter),
           {}, D(js.records));
  AddValue(&AddFamily(out, "stockd_journal_failed_records_total",
                      "Mutation records whose batch failed (answered UNAVAILABLE) since start",
                      kCounter),
           {}, D(js.failed_records));
}

void Push(const Sources& s, int64_t now, Families* out) {
  if (s.push == nullptr) return;
  std::vector<push::PusherStats> stats = s.push->Stats();
  MetricFamily& backlog = AddFamily(out, "stockd_channel_push_backlog",
                                    "SKUs waiting to be pushed to the channel (dirty)", kGauge);
  MetricFamily& age = AddFamily(out, "stockd_channel_push_oldest_dirty_age_seconds",
                                "How long the oldest dirty SKU of the channel has waited "
                                "(0 when none): the push lag",
                                kGauge);
  MetricFamily& acked = AddFamily(out, "stockd_channel_acknowledged_skus",
                                  "SKUs the channel has acknowledged a quantity of", kGauge);
  MetricFamily& paused =
      AddFamily(out, "stockd_channel_paused",
                "1 while the channel's pushes are paused after a batch that wholly failed", kGauge);
  MetricFamily& pushed = AddFamily(out, "stockd_channel_pushed_items_total",
                                   "SKU quantities the channel acknowledged", kCounter);
  MetricFamily& calls = AddFamily(out, "stockd_channel_push_batches_total",
                                  "Adapter push calls (batches) made", kCounter);
  MetricFamily& failures =
      AddFamily(out, "stockd_channel_push_failures_total",
                "Pushed items the channel did not take, by kind: retryable (retried with "
                "backoff), permanent (not retried until the quantity changes), conflict "
                "(compare-and-set refused: a sale not ingested yet), ack_save (saving "
                "acknowledged quantities to Redis failed; per attempt)",
                kCounter);
  MetricFamily& throttles = AddFamily(
      out, "stockd_channel_throttles_total",
      "Times pushes waited for a rate limit: by=rate_limit the channel's configured rate, "
      "by=channel a Retry-After the channel answered",
      kCounter);
  MetricFamily& drift = AddFamily(
      out, "stockd_channel_drifted_skus_total",
      "SKUs a resync or reconciliation found showing another quantity than they should", kCounter);
  MetricFamily& latency =
      AddFamily(out, "stockd_channel_push_latency_seconds",
                "First dirty to acknowledged by the channel, per SKU push", MetricType::Histogram);
  std::vector<double> bounds;
  for (int64_t ms : engine::kPushLatencyBoundsMs) bounds.push_back(D(ms) / 1000);
  for (const push::PusherStats& p : stats) {
    const Labels ch = {{"channel", p.channel}};
    AddValue(&backlog, ch, D(p.dirty));
    AddValue(&age, ch,
             p.oldest_dirty_ms > 0 ? D(std::max<int64_t>(0, now - p.oldest_dirty_ms)) / 1000 : 0);
    AddValue(&acked, ch, D(p.acked));
    AddValue(&paused, ch, p.paused_until_ms > now ? 1 : 0);
    AddValue(&pushed, ch, D(p.items_ok));
    AddValue(&calls, ch, D(p.pushes));
    AddValue(&failures, {{"channel", p.channel}, {"kind", "retryable"}}, D(p.items_retry));
    AddValue(&failures, {{"channel", p.channel}, {"kind", "permanent"}}, D(p.items_permanent));
    AddValue(&failures, {{"channel", p.channel}, {"kind", "conflict"}}, D(p.items_conflict));
    AddValue(&failures, {{"channel", p.channel}, {"kind", "ack_save"}}, D(p.ack_save_failures));
    AddValue(&throttles, {{"channel", p.channel}, {"by", "rate_limit"}}, D(p.throttled_local));
    AddValue(&throttles, {{"channel", p.channel}, {"by", "channel"}}, D(p.throttled_channel));
    AddValue(&drift, ch, D(p.drifted));
    AddHistogram(&latency, ch, bounds,
                 std::vector<int64_t>(p.latency_buckets.begin(), p.latency_buckets.end()),
                 D(p.latency_sum_ms) / 1000);
  }
  // Stock alerts delivered through adapters that take them (docs/alerts.md).
  const std::vector<std::pair<std::string, push::AlertSenderStats>> senders = s.push->AlertStats();
  if (senders.empty()) return;
  MetricFamily& delivered =
      AddFamily(out, "stockd_channel_alert_deliveries_total",
                "Arrays of stock alerts the channel's adapter took (notify_alerts)", kCounter);
  MetricFamily& alert_failures = AddFamily(
      out, "stockd_channel_alert_delivery_failures_total",
      "Attempts to hand the channel's adapter an array of alerts that failed (each retried)",
      kCounter);
  MetricFamily& dropped = AddFamily(
      out, "stockd_channel_alerts_dropped_total",
      "Arrays of alerts dropped because 1,000 were already waiting for the channel", kCounter);
  MetricFamily& queued = AddFamily(out, "stockd_channel_alert_queue",
                                   "Arrays of alerts waiting for the channel's adapter", kGauge);
  for (const auto& [channel, a] : senders) {
    const Labels ch = {{"channel", channel}};
    AddValue(&delivered, ch, D(a.delivered));
    AddValue(&alert_failures, ch, D(a.failures));
    AddValue(&dropped, ch, D(a.dropped));
    AddValue(&queued, ch, D(a.queued));
  }
}

void Orders(const Sources& s, Families* out) {
  if (s.orders == nullptr) return;
  std::vector<orders::WorkerStats> stats = s.orders->Stats();
  if (stats.empty()) return;
  MetricFamily& polls = AddFamily(out, "stockd_channel_order_polls_total",
                                  "Polls of the channel's orders, by result", kCounter);
  MetricFamily& revisions =
      AddFamily(out, "stockd_channel_order_revisions_total",
                "Order revisions polled from the channel, by outcome: applied (changed stock), "
                "replayed (already applied), parked (unmapped listing), bad (malformed or refused)",
                kCounter);
  for (const orders::WorkerStats& w : stats) {
    AddValue(&polls, {{"channel", w.channel}, {"result", "ok"}}, D(w.polls));
    AddValue(&polls, {{"channel", w.channel}, {"result", "failed"}}, D(w.failed_polls));
    AddValue(&revisions, {{"channel", w.channel}, {"outcome", "applied"}}, D(w.applied));
    AddValue(&revisions, {{"channel", w.channel}, {"outcome", "replayed"}}, D(w.replayed));
    AddValue(&revisions, {{"channel", w.channel}, {"outcome", "parked"}}, D(w.parked));
    AddValue(&revisions, {{"channel", w.channel}, {"outcome", "bad"}}, D(w.bad));
  }
}

// stockd_host.count of the plugins: stockd_adapter_<name>_total{channel}, the push and
// the order-polling instances of a channel summed.
void AdapterCounts(const Sources& s, Families* out) {
  std::map<std::string, std::map<std::string, double>> by_name;  // name -> channel -> total
  const auto add = [&by_name](const plugins::AdapterCounters& counters) {
    for (const auto& [key, value] : counters.Snapshot()) by_name[key.second][key.first] += value;
  };
  if (s.push != nullptr) add(s.push->adapter_counters());
  if (s.orders != nullptr) add(s.orders->adapter_counters());
  for (const auto& [name, channels] : by_name) {
    MetricFamily& family =
        AddFamily(out, "stockd_adapter_" + name + "_total",
                  "What the channel's adapter plugin counted as \"" + name +
                      "\" (stockd_host.count; the plugin's docs say what it counts)",
                  kCounter);
    for (const auto& [channel, value] : channels) AddValue(&family, {{"channel", channel}}, value);
  }
}

void Reconcile(const Sources& s, Families* out) {
  if (s.reconciler == nullptr) return;
  std::vector<std::pair<std::string, reconcile::Report>> reports;
  const std::shared_ptr<const engine::Model> model = s.engine->model();
  for (const engine::Channel& c : model->channels) {
    if (std::optional<reconcile::Report> r = s.reconciler->Last(c.id)) {
      reports.emplace_back(c.id, *std::move(r));
    }
  }
  if (reports.empty()) return;
  MetricFamily& skus =
      AddFamily(out, "stockd_channel_reconcile_skus",
                "SKUs of the channel's latest reconciliation, by class (ok, in_flight, drift, "
                "unknown_listing)",
                kGauge);
  MetricFamily& when = AddFamily(out, "stockd_channel_reconcile_timestamp_seconds",
                                 "When the channel's latest reconciliation ran", kGauge);
  for (const auto& [channel, r] : reports) {
    for (int c = 0; c < reconcile::kSkuClasses; ++c) {
      const auto cls = static_cast<reconcile::SkuClass>(c);
      AddValue(&skus, {{"channel", channel}, {"class", reconcile::SkuClassName(cls)}},
               D(r.count(cls)));
    }
    AddValue(&when, {{"channel", channel}}, D(r.time_ms) / 1000);
  }
}

}  // namespace

std::vector<MetricFamily> StateCollector::Collect() const {
  if (sources_.engine == nullptr) return {};
  Families out;
  const int64_t now = sources_.now_ms ? sources_.now_ms() : 0;
  Engine(sources_, &out);
  Storage(sources_, &out);
  Push(sources_, now, &out);
  Orders(sources_, &out);
  AdapterCounts(sources_, &out);
  Reconcile(sources_, &out);
  return {std::make_move_iterator(out.begin()), std::make_move_iterator(out.end())};
}

}  // namespace stockd::observe
