// The status page's data (docs/metrics.md, "Status page"): what an operator wants to see
// at a glance — each channel (published SKUs, push backlog and lag, last error, paused),
// Redis and the write path, recent breaches, the alert conditions that hold now (the
// same conditions as docs/alerts.yaml), and the last config reloads — gathered from the
// daemon's components, and rendered as server-rendered HTML (every string escaped, no
// script, no external asset) or as JSON (/status.json, the same data).
//
// Thread safety: GatherStatus reads thread-safe accessors; the renderers are pure.
#ifndef STOCKD_DAEMON_OBSERVE_STATUS_H_
#define STOCKD_DAEMON_OBSERVE_STATUS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "daemon/engine/engine.h"
#include "daemon/observe/sources.h"

namespace stockd::observe {

// A config reload as the lead's reload path reports it (Observer::RecordReload).
struct ReloadEntry {
  int64_t time_ms = 0;
  bool ok = false;
  std::string message;
};

struct ChannelStatus {
  std::string id;
  std::string type;            // webshop, marketplace, store
  std::string adapter;         // "" = no adapter (nothing is pushed)
  int64_t published_skus = 0;  // SKUs whose published quantity is > 0
  int64_t acked_skus = 0;      // SKUs the channel has acknowledged a quantity of
  int64_t backlog = 0;         // dirty SKUs
  int64_t push_lag_ms = 0;     // age of the oldest dirty SKU (0 = none)
  int64_t latency_p99_ms = 0;  // first dirty -> acknowledged, last 10,000 pushes
  int64_t pushed_ok = 0;
  int64_t failed_retryable = 0;
  int64_t failed_permanent = 0;
  int64_t conflicts = 0;
  int64_t breaches = 0;        // since start, by this channel
  bool paused = false;         // backing off after a batch that wholly failed
  int64_t paused_for_ms = 0;
  std::string last_error;
  // Order polling (channels whose orders stockd polls).
  bool orders_polled = false;
  int64_t order_polls = 0;
  int64_t order_poll_failures = 0;
  std::string orders_last_error;
  // The latest reconciliation (docs/orders.md), if any.
  std::optional<int64_t> reconciled_ms;
  int64_t reconcile_ok = 0, reconcile_in_flight = 0, reconcile_drift = 0,
          reconcile_unknown = 0;
};

// A condition of docs/alerts.yaml that holds now.
struct ActiveAlert {
  std::string name;      // as in alerts.yaml: RedisDown, ChannelPaused, ...
  std::string severity;  // critical, warning
  std::string detail;
};

struct StatusReport {
  int64_t now_ms = 0;
  int64_t started_ms = 0;
  bool durable = false;         // false: redis.mode memory
  std::string redis_address;    // durable only
  bool redis_up = false;        // durable only: the journal writes
  bool write_serving = false;   // the health service's stockd.v1.Stock.Write
  int64_t resyncs = 0;
  int64_t resyncs_without_reload = 0;
  int64_t journal_batches = 0;
  int64_t journal_records = 0;
  int64_t journal_failed_records = 0;
  engine::EngineStats engine;
  std::vector<ChannelStatus> channels;     // model order
  std::vector<engine::BreachView> breaches;  // newest first
  std::vector<ActiveAlert> alerts;
  std::vector<ReloadEntry> reloads;        // newest first
};

// The push lag (oldest dirty age) past which PushLagHigh holds: as docs/alerts.yaml.
inline constexpr int64_t kPushLagAlertMs = 5 * 60 * 1000;

StatusReport GatherStatus(const Sources& sources, int64_t started_ms,
                          std::vector<ReloadEntry> reloads);
std::string RenderStatusHtml(const StatusReport& report);
std::string RenderStatusJson(const StatusReport& report);
// `s` with & < > " ' replaced by their HTML entities.
std::string HtmlEscape(const std::string& s);

}  // namespace stockd::observe

#endif  // STOCKD_DAEMON_OBSERVE_STATUS_H_
