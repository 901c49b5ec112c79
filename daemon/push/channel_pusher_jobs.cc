// ChannelPusher's jobs on its worker (channel_pusher.h): the Resync and RunOnWorker queue
// (bounded; answered UNAVAILABLE at Stop), a Resync's comparison of the channel's numbers
// with the desired ones, and State / Correct for the three-way reconciliation.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "daemon/push/channel_pusher.h"

namespace stockd::push {
namespace {

constexpr size_t kDriftShown = 10;  // the largest drifts a DriftReport lists

}  // namespace

void ChannelPusher::RunResync(PendingResync& resync) {
  std::function<void()> answer = resync.run();
  {
    absl::MutexLock lock(&mu_);
    resync_running_ = false;
  }
  if (answer) answer();
}

void ChannelPusher::Resync(DesiredFn desired, bool force, ResyncDone done) {
  auto answer = std::make_shared<ResyncDone>(std::move(done));
  Queue({[this, desired = std::move(desired), force, answer]() -> std::function<void()> {
           auto report = std::make_shared<absl::StatusOr<DriftReport>>(DoResync(desired(), force));
           return [answer, report] { (*answer)(std::move(*report)); };
         },
         [answer](absl::Status why) { (*answer)(std::move(why)); }});
}

void ChannelPusher::RunOnWorker(WorkerJob run, JobRefused refused) {
  Queue({[this, run = std::move(run)]() -> std::function<void()> {
           run(adapter_.get());
           return nullptr;
         },
         std::move(refused)});
}

void ChannelPusher::Queue(PendingResync job) {
  absl::Status refused;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) {
      refused = Draining();
    } else if (static_cast<int>(resyncs_.size()) >= options_.max_queued_resyncs) {
      refused = absl::ResourceExhaustedError(
          absl::StrCat("channel '", options_.channel, "' already has ", resyncs_.size(),
                       " resyncs waiting (at most ", options_.max_queued_resyncs,
                       "; its adapter may be slow or hung): retry later"));
    } else {
      resyncs_.push_back(std::move(job));
      wake_.Signal();
      return;
    }
  }
  job.refuse(std::move(refused));
}

ChannelPusher::SkuState ChannelPusher::State(const std::string& sku) const {
  absl::MutexLock lock(&mu_);
  auto acked = acked_.find(sku);
  return {acked == acked_.end() ? -1 : acked->second, dirty_.Contains(sku)};
}

void ChannelPusher::Correct(const std::string& sku, int64_t channel_quantity, int64_t desired) {
  absl::MutexLock lock(&mu_);
  ++stats_.drifted;  // the reconciliation found it drifted
  if (channel_quantity >= 0) {
    acked_[sku] = channel_quantity;
  } else {
    acked_.erase(sku);
  }
  OfferLocked(sku, desired, /*force=*/true);
}

absl::StatusOr<DriftReport> ChannelPusher::DoResync(
    const std::vector<std::pair<std::string, int64_t>>& desired, bool force) {
  DriftReport report;
  report.checked = static_cast<int64_t>(desired.size());
  std::vector<DriftItem> drift;
  if (adapter_->can_fetch()) {
    report.fetched = true;
    for (size_t start = 0; start < desired.size(); start += max_batch_) {
      const size_t end = std::min(desired.size(), start + max_batch_);
      std::vector<std::string> ids;
      for (size_t i = start; i < end; ++i) ids.push_back(ListingId(desired[i].first));
      if (interrupted_.load()) return Draining();
      absl::StatusOr<std::vector<int64_t>> got = adapter_->Fetch(ids);
      // An interrupted fetch says nothing about the channel: leave it all as it was.
      if (interrupted_.load()) return Draining();
      absl::MutexLock lock(&mu_);
      if (!got.ok()) SetLastError(std::string(got.status().message()));
      for (size_t i = start; i < end; ++i) {
        const auto& [sku, want] = desired[i];
        const int64_t have = got.ok() ? (*got)[i - start] : -1;
        if (have != want || force) {
          if (have != want) drift.push_back({sku, ids[i - start], have, want});
          // The channel's own number is the truth about what it shows now.
          if (have >= 0)
            acked_[sku] = have;
          else
            acked_.erase(sku);
          OfferLocked(sku, want, /*force=*/true);
        }
      }
    }
  } else {
    absl::MutexLock lock(&mu_);
    for (const auto& [sku, want] : desired) {
      auto acked = acked_.find(sku);
      const int64_t have = acked == acked_.end() ? -1 : acked->second;
      if (have != want) drift.push_back({sku, ListingId(sku), have, want});
      if (have != want || force) OfferLocked(sku, want, /*force=*/true);
    }
  }
  report.drifted = static_cast<int64_t>(drift.size());
  {
    absl::MutexLock lock(&mu_);
    stats_.drifted += report.drifted;
  }
  std::sort(drift.begin(), drift.end(), [](const DriftItem& a, const DriftItem& b) {
    return std::abs(a.published - a.channel_quantity) > std::abs(b.published - b.channel_quantity);
  });
  if (drift.size() > kDriftShown) drift.resize(kDriftShown);
  report.largest = std::move(drift);
  return report;
}

}  // namespace stockd::push
