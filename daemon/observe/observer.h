// The observe layer's face (docs/metrics.md): one Observer per daemon owns the metrics
// registry and everything that counts into it — the gRPC interceptor (rpc_metrics.h),
// the journal's group-commit histograms (fed by storage's on_commit hook), the config
// reload record — and renders, on request, the Prometheus text (adding the state read at
// scrape time: state_collector.h, process_collector.h) and the status page (status.h).
// The HTTP endpoint serving them is http_endpoint.h.
//
// Thread safety: every method is thread-safe. SetSources once, before anything renders;
// the Observer must outlive the gRPC server, the journal and the endpoint that call it.
#ifndef STOCKD_DAEMON_OBSERVE_OBSERVER_H_
#define STOCKD_DAEMON_OBSERVE_OBSERVER_H_

#include <grpcpp/support/server_interceptor.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "daemon/observe/process_collector.h"
#include "daemon/observe/rpc_metrics.h"
#include "daemon/observe/sources.h"
#include "daemon/observe/state_collector.h"
#include "daemon/observe/status.h"

namespace stockd::observe {

struct ObserverOptions {
  // The gRPC methods the daemon serves ("/stockd.v1.Stock/Reserve", ...): their series.
  std::vector<std::string> rpc_methods;
  std::string version;  // stockd_build_info{version}
};

class Observer {
 public:
  explicit Observer(ObserverOptions options);
  Observer(const Observer&) = delete;
  Observer& operator=(const Observer&) = delete;

  // For grpc::ServerBuilder, after DecodeErrorInterceptor (rpc_metrics.h).
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> RpcInterceptor();
  // storage::DurableStoreOptions::on_commit: one group commit landed.
  void OnJournalCommit(size_t records, int64_t commit_ns);
  // The components to read at scrape time; `started_ms`: when the daemon started.
  void SetSources(Sources sources, int64_t started_ms) ABSL_LOCKS_EXCLUDED(mu_);
  // A config reload was applied (`ok`) or rejected; `message` says what changed or why
  // not. Shown on the status page (the last 10) and counted (stockd_config_reloads_total).
  void RecordReload(int64_t time_ms, bool ok, std::string message) ABSL_LOCKS_EXCLUDED(mu_);

  // The Prometheus text exposition (format 0.0.4) of every metric.
  std::string RenderMetrics() const ABSL_LOCKS_EXCLUDED(mu_);
  // The status page's data (before SetSources: none, FAILED_PRECONDITION-like empty).
  StatusReport Status() const ABSL_LOCKS_EXCLUDED(mu_);

  static constexpr size_t kReloadsShown = 10;
  static constexpr char kContentType[] = "text/plain; version=0.0.4; charset=utf-8";

 private:
  prometheus::Registry registry_;
  RpcMetrics rpc_;
  prometheus::Histogram& batch_records_;
  prometheus::Histogram& commit_seconds_;
  prometheus::Family<prometheus::Counter>& reloads_;
  prometheus::Counter& reloads_ok_;
  prometheus::Counter& reloads_failed_;
  prometheus::Family<prometheus::Gauge>& last_reload_success_;
  prometheus::Family<prometheus::Gauge>& last_reload_time_;
  ProcessCollector process_;

  mutable absl::Mutex mu_;
  std::shared_ptr<const StateCollector> state_ ABSL_GUARDED_BY(mu_);
  Sources sources_ ABSL_GUARDED_BY(mu_);
  int64_t started_ms_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<ReloadEntry> reloads_shown_ ABSL_GUARDED_BY(mu_);  // newest first
  // Created by the first reload (no sample before: there was none).
  prometheus::Gauge* last_reload_ok_ ABSL_GUARDED_BY(mu_) = nullptr;
  prometheus::Gauge* last_reload_at_ ABSL_GUARDED_BY(mu_) = nullptr;
};

}  // namespace stockd::observe

#endif  // STOCKD_DAEMON_OBSERVE_OBSERVER_H_
