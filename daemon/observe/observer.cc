#include "daemon/observe/observer.h"

#include <prometheus/counter.h>
#include <prometheus/text_serializer.h>

#include <sstream>

namespace stockd::observe {
namespace {

prometheus::Histogram& BatchRecords(prometheus::Registry& registry) {
  return prometheus::BuildHistogram()
      .Name("stockd_journal_batch_records")
      .Help("Mutation records per group commit (one MULTI/EXEC round trip to Redis)")
      .Register(registry)
      .Add({}, prometheus::Histogram::BucketBoundaries{1, 2, 4, 8, 16, 32, 64, 128, 256, 512,
                                                       1024, 2048, 4096});
}

prometheus::Histogram& CommitSeconds(prometheus::Registry& registry) {
  return prometheus::BuildHistogram()
      .Name("stockd_journal_commit_seconds")
      .Help("Group commit latency: MULTI sent to EXEC's replies read (Redis executing and "
            "fsyncing the batch)")
      .Register(registry)
      .Add({}, prometheus::Histogram::BucketBoundaries{0.0001, 0.00025, 0.0005, 0.001, 0.0025,
                                                       0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                       0.5, 1, 2.5});
}

}  // namespace

Observer::Observer(ObserverOptions options)
    : rpc_(registry_, options.rpc_methods),
      batch_records_(BatchRecords(registry_)),
      commit_seconds_(CommitSeconds(registry_)),
      reloads_(prometheus::BuildCounter()
                   .Name("stockd_config_reloads_total")
                   .Help("Config reloads since start, by result: ok (applied) or error "
                         "(rejected, the running config kept)")
                   .Register(registry_)),
      reloads_ok_(reloads_.Add({{"result", "ok"}})),
      reloads_failed_(reloads_.Add({{"result", "error"}})),
      last_reload_success_(prometheus::BuildGauge()
                               .Name("stockd_config_last_reload_success")
                               .Help("1 when the latest config reload was applied, 0 when it "
                                     "was rejected (no sample before the first reload)")
                               .Register(registry_)),
      last_reload_time_(prometheus::BuildGauge()
                            .Name("stockd_config_last_reload_timestamp_seconds")
                            .Help("When the latest config reload was attempted")
                            .Register(registry_)) {
  prometheus::BuildGauge()
      .Name("stockd_build_info")
      .Help("Always 1; the stockd version as a label")
      .Register(registry_)
      .Add({{"version", options.version}})
      .Set(1);
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> Observer::RpcInterceptor() {
  return rpc_.Interceptor();
}

void Observer::OnJournalCommit(size_t records, int64_t commit_ns) {
  batch_records_.Observe(static_cast<double>(records));
  commit_seconds_.Observe(static_cast<double>(commit_ns) / 1e9);
}

void Observer::SetSources(Sources sources, int64_t started_ms) {
  absl::MutexLock lock(&mu_);
  sources_ = sources;
  started_ms_ = started_ms;
  state_ = std::make_shared<const StateCollector>(std::move(sources));
}

void Observer::RecordReload(int64_t time_ms, bool ok, std::string message) {
  (ok ? reloads_ok_ : reloads_failed_).Increment();
  absl::MutexLock lock(&mu_);
  if (last_reload_ok_ == nullptr) {
    last_reload_ok_ = &last_reload_success_.Add({});
    last_reload_at_ = &last_reload_time_.Add({});
  }
  last_reload_ok_->Set(ok ? 1 : 0);
  last_reload_at_->Set(static_cast<double>(time_ms) / 1000);
  reloads_shown_.push_front({time_ms, ok, std::move(message)});
  if (reloads_shown_.size() > kReloadsShown) reloads_shown_.pop_back();
}

std::string Observer::RenderMetrics() const {
  std::vector<prometheus::MetricFamily> families = registry_.Collect();
  std::shared_ptr<const StateCollector> state;
  {
    absl::MutexLock lock(&mu_);
    state = state_;
  }
  if (state != nullptr) {
    for (prometheus::MetricFamily& f : state->Collect()) families.push_back(std::move(f));
  }
  for (prometheus::MetricFamily& f : process_.Collect()) families.push_back(std::move(f));
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

StatusReport Observer::Status() const {
  Sources sources;
  int64_t started_ms = 0;
  std::vector<ReloadEntry> reloads;
  {
    absl::MutexLock lock(&mu_);
    if (state_ == nullptr) return {};
    sources = sources_;
    started_ms = started_ms_;
    reloads.assign(reloads_shown_.begin(), reloads_shown_.end());
  }
  return GatherStatus(sources, started_ms, std::move(reloads));
}

}  // namespace stockd::observe
