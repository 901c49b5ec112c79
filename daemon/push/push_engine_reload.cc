// PushEngine's part of a live reload (docs/reload.md, "Adapters added, removed or changed
// live"): Prepare loads what a new config changes, Commit swaps it in.
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "daemon/config/channel_changes.h"
#include "daemon/push/push_engine.h"

namespace stockd::push {

AdapterPlan::~AdapterPlan() = default;

absl::StatusOr<AdapterPlan> PushEngine::Prepare(const config::PushConfig& next) const {
  std::map<std::string, config::AdapterConfig> running;
  {
    absl::ReaderMutexLock lock(&pushers_mu_);
    for (const auto& [channel, r] : pushers_) running.emplace(channel, r.config);
  }
  AdapterPlan plan;
  bool any_added = false;
  for (const config::AdapterConfig& a : next.adapters) {
    auto it = running.find(a.channel);
    const bool exists = it != running.end();
    if (exists && !config::PusherChanged(it->second, a)) {
      if (config::AdapterChanged(it->second, a)) plan.periods_.emplace(a.channel, a);
      running.erase(it);
      continue;
    }
    absl::StatusOr<AdapterPlan::Built> built = Build(a);
    if (!built.ok()) return built.status();
    built->replaces = exists;
    plan.built_[a.channel] = *std::move(built);
    any_added = any_added || !exists;
    if (exists) running.erase(it);
  }
  for (const auto& [channel, config] : running) plan.stopped_.push_back(channel);
  if (any_added) {
    absl::StatusOr<AckMap> acked = acks_->LoadAll();
    if (!acked.ok()) {
      return absl::UnavailableError(absl::StrCat(
          "cannot read what the added channels acknowledged: ", acked.status().message()));
    }
    for (const auto& [channel, built] : plan.built_) {
      if (built.replaces) continue;
      if (auto it = acked->find(channel); it != acked->end()) {
        plan.acked_[channel] = std::move(it->second);
      }
    }
  }
  return plan;
}

void PushEngine::Commit(AdapterPlan plan) {
  bool stopping;
  {
    absl::MutexLock lock(&mu_);
    stopping = stopping_;
    for (const auto& [channel, a] : plan.periods_) {
      reconcile_interval_ms_[channel] = a.reconcile_interval_ms;
    }
    for (const std::string& channel : plan.stopped_) reconcile_interval_ms_.erase(channel);
    for (const auto& [channel, built] : plan.built_) {
      reconcile_interval_ms_[channel] = built.config.reconcile_interval_ms;
    }
  }
  if (stopping) return;  // the plan's pushers were never started: dropping it unloads them
  // The periods' other half, and the pushers that go: out of the map first (offers stop
  // reaching them), then stopped without the lock (a hung channel cannot hold offers up).
  std::vector<std::shared_ptr<ChannelPusher>> gone;
  std::map<std::string, std::shared_ptr<ChannelPusher>> replaced;
  std::vector<std::shared_ptr<AlertSender>> senders_gone;  // removed and replaced channels'
  {
    absl::MutexLock lock(&pushers_mu_);
    for (const auto& [channel, a] : plan.periods_) {
      if (auto it = pushers_.find(channel); it != pushers_.end()) it->second.config = a;
    }
    for (const std::string& channel : plan.stopped_) {
      if (auto it = pushers_.find(channel); it != pushers_.end()) {
        gone.push_back(std::move(it->second.pusher));
        if (it->second.alerts) senders_gone.push_back(std::move(it->second.alerts));
        pushers_.erase(it);
      }
    }
    for (const auto& [channel, built] : plan.built_) {
      if (auto it = pushers_.find(channel); it != pushers_.end()) {
        replaced[channel] = std::move(it->second.pusher);
        if (it->second.alerts) senders_gone.push_back(std::move(it->second.alerts));
        pushers_.erase(it);
      }
    }
  }
  for (const std::shared_ptr<ChannelPusher>& p : gone) {
    p->Stop();
    if (log_) log_(log::Level::kInfo, absl::StrCat("push[", p->channel(), "]: adapter removed"));
  }
  for (auto& [channel, p] : replaced) p->Stop();
  for (const std::shared_ptr<AlertSender>& s : senders_gone) s->Stop();
  std::vector<std::string> installed;  // logged once the lock is released
  {
    absl::MutexLock lock(&pushers_mu_);
    for (auto& [channel, built] : plan.built_) {
      ShownMap acked;
      auto old = replaced.find(channel);
      if (old != replaced.end()) {
        acked = old->second->AckedAll();
      } else if (auto it = plan.acked_.find(channel); it != plan.acked_.end()) {
        acked = std::move(it->second);
      }
      const size_t acknowledged = acked.size();
      std::shared_ptr<ChannelPusher> pusher = std::move(built.pusher);
      const absl::Time fill_start = absl::Now();
      const int64_t queued = Fill(pusher.get(), acked);
      const int64_t fill_ms = absl::ToInt64Milliseconds(absl::Now() - fill_start);
      std::shared_ptr<AlertSender> alerts = std::move(built.alerts);
      if (alerts) alerts->Start();
      pushers_[channel] = Running{std::move(pusher), std::move(alerts), built.config};
      // The fill held the journal's offers this long (docs/reload.md).
      installed.push_back(absl::StrCat("push[", channel, "]: adapter ",
                                       old != replaced.end() ? "changed" : "added", " (",
                                       built.config.plugin, "): ", acknowledged, " acknowledged, ",
                                       queued, " to push (filled in ", fill_ms, " ms)"));
    }
  }
  if (log_) {
    for (const std::string& line : installed) log_(log::Level::kInfo, line);
  }
}

}  // namespace stockd::push
