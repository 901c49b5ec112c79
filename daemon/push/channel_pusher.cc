#include "daemon/push/channel_pusher.h"

#include <pthread.h>

#include <algorithm>
#include <limits>
#include <memory>
#include <optional>
#include <random>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "daemon/util/redact.h"

namespace stockd::push {
namespace {

// How soon a SKU whose push was refused as a conflict looks again at the orders' progress.
constexpr int64_t kConflictRecheckMs = 100;

constexpr size_t kLatencySamples = 10'000;
constexpr int64_t kIdleLookMs = 100;  // how long the worker sleeps with nothing due

}  // namespace

ChannelPusher::ChannelPusher(PusherOptions options, std::unique_ptr<Adapter> adapter,
                             AckStore* acks, const engine::Clock* clock)
    : options_(std::move(options)),
      adapter_(std::move(adapter)),
      acks_(acks),
      clock_(clock),
      max_batch_(std::max(1, std::min(options_.max_batch > 0 ? options_.max_batch : 1 << 30,
                                      adapter_->max_batch()))),
      dirty_(options_.coalesce_window_ms),
      // Full from the start, so refilling from here rather than from Start is the same.
      tokens_(options_.rate_per_second, options_.burst, clock_->NowMs()),
      backoff_(options_.retry_initial_ms, options_.retry_max_ms, std::random_device{}()),
      latencies_(kLatencySamples) {
  stats_.channel = options_.channel;
  stats_.adapter = adapter_->name();
}

ChannelPusher::~ChannelPusher() { Stop(); }

void ChannelPusher::LoadAcked(absl::flat_hash_map<std::string, int64_t> acked) {
  absl::MutexLock lock(&mu_);
  acked_ = std::move(acked);
}

ShownMap ChannelPusher::AckedAll() const {
  absl::MutexLock lock(&mu_);
  return acked_;
}

void ChannelPusher::Start() {
  worker_ = std::thread([this] {
    // Linux thread names are at most 15 bytes.
    pthread_setname_np(pthread_self(), ("push:" + options_.channel).substr(0, 15).c_str());
    WorkerLoop();
  });
}

void ChannelPusher::Stop() {
  std::deque<PendingResync> queued;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
    interrupted_.store(true);
    queued.swap(resyncs_);
    wake_.SignalAll();
  }
  adapter_->Interrupt();  // a hung push or fetch gives up now
  for (PendingResync& r : queued) r.refuse(Draining());
  if (worker_.joinable()) worker_.join();
}

absl::Status ChannelPusher::Draining() const {
  return absl::UnavailableError(absl::StrCat("channel '", options_.channel,
                                             "': the daemon is stopping (draining); resync "
                                             "not run, retry after the restart"));
}

void ChannelPusher::SetLastError(const std::string& message) {
  stats_.last_error = util::RedactSecrets(message);
}

std::string ChannelPusher::ListingId(const std::string& sku) const {
  auto it = options_.listings.find(sku);
  return it == options_.listings.end() ? sku : it->second;
}

void ChannelPusher::Offer(const std::string& sku, int64_t desired) {
  absl::MutexLock lock(&mu_);
  OfferLocked(sku, desired, /*force=*/false);
}

void ChannelPusher::OfferLocked(const std::string& sku, int64_t desired, bool force) {
  auto rejected = rejected_.find(sku);
  if (rejected != rejected_.end()) {
    if (rejected->second == desired && !force) return;
    rejected_.erase(rejected);
  }
  if (dirty_.Offer(sku, desired, force, acked_, clock_->NowMs())) wake_.Signal();
}

std::vector<DirtyQueue::Item> ChannelPusher::TakeBatch(int64_t now, int64_t* wait_ms) {
  *wait_ms = kIdleLookMs;
  if (now < paused_until_ms_) {
    *wait_ms = paused_until_ms_ - now;
    return {};
  }
  if (const int64_t until = tokens_.MsUntil(1, now); until > 0) {
    *wait_ms = until;
    // A wait for the rate limit with work queued: counted once per wait.
    if (!throttled_ && !dirty_.empty()) {
      throttled_ = true;
      ++stats_.throttled_local;
    }
    return {};
  }
  throttled_ = false;
  const int limit = static_cast<int>(std::min<int64_t>(max_batch_, tokens_.Available(now)));
  std::vector<DirtyQueue::Item> batch = dirty_.Take(now, limit, acked_, wait_ms);
  tokens_.Take(static_cast<int64_t>(batch.size()));
  for (const DirtyQueue::Item& item : batch) stats_.priority_items += item.priority ? 1 : 0;
  return batch;
}

std::string ChannelPusher::ApplyResults(const std::vector<DirtyQueue::Item>& sent,
                                        const std::vector<PushResult>& results, int64_t now) {
  ++stats_.pushes;
  bool all_retry = true;
  int64_t channel_retry_after = 0;
  int64_t rejected = 0;
  std::string first_rejection;
  for (size_t i = 0; i < sent.size(); ++i) {
    const DirtyQueue::Item& s = sent[i];
    const PushResult& r = results[i];
    if (!dirty_.Contains(s.sku)) continue;  // cannot happen: only the worker erases in-flight
    switch (r.status) {
      case PushResult::Status::kOk:
        all_retry = false;
        ++stats_.items_ok;
        acked_[s.sku] = s.quantity;
        unsaved_.emplace_back(s.sku, s.quantity);
        latencies_.Add(now - s.first_dirty_ms);
        AddLatency(now - s.first_dirty_ms);
        dirty_.Acknowledged(s.sku, s.quantity, now, acked_);
        break;
      case PushResult::Status::kPermanent:
        all_retry = false;
        ++stats_.items_permanent;
        SetLastError(absl::StrCat(s.sku, ": ", r.message));
        if (rejected++ == 0) first_rejection = stats_.last_error;
        if (dirty_.Rejected(s.sku, s.quantity, acked_)) rejected_[s.sku] = s.quantity;
        break;
      case PushResult::Status::kConflict:
        // Nothing was written: the channel moved (a sale stockd has not ingested, or an
        // edit). Pushed again once the orders are ingested, from its number read back.
        all_retry = false;
        ++stats_.items_conflict;
        SetLastError(absl::StrCat(s.sku, ": ", r.message));
        conflicts_[s.sku] = now;
        dirty_.Retry(s.sku, kConflictRecheckMs, backoff_, now, acked_);
        break;
      case PushResult::Status::kRetry:
        ++stats_.items_retry;
        SetLastError(absl::StrCat(s.sku, ": ", r.message));
        dirty_.Retry(s.sku, r.retry_after_ms, backoff_, now, acked_);
        channel_retry_after = std::max(channel_retry_after, r.retry_after_ms);
        break;
    }
  }
  // The whole batch failed (endpoint down, rate limited): pause the channel, not just
  // these SKUs, so the backlog does not hammer it.
  std::string warning;
  if (all_retry && !sent.empty()) {
    ++channel_failures_;
    if (channel_retry_after > 0) ++stats_.throttled_channel;
    paused_until_ms_ = now + backoff_.DelayMs(channel_failures_, channel_retry_after);
    warning = absl::StrCat("push[", options_.channel, "]: a batch of ", sent.size(), " failed (",
                           channel_failures_, " in a row), channel paused for ",
                           paused_until_ms_ - now, " ms: ", stats_.last_error);
  } else {
    channel_failures_ = 0;
  }
  if (rejected > 0) {
    if (!warning.empty()) warning += "; ";
    absl::StrAppend(&warning, "push[", options_.channel, "]: ", rejected,
                    " rejected for good (not retried until they change): ", first_rejection);
  }
  return warning;
}

void ChannelPusher::WorkerLoop() {
  for (;;) {
    std::vector<DirtyQueue::Item> batch;
    std::optional<PendingResync> resync;
    std::vector<std::pair<std::string, int64_t>> to_save;
    // Read before the batch is taken: a quantity taken after it includes every order
    // ingested up to it (the engine offers a change before its orders are acknowledged).
    const int64_t ingested_until = options_.orders_ingested_until
                                       ? options_.orders_ingested_until()
                                       : std::numeric_limits<int64_t>::max();
    {
      absl::MutexLock lock(&mu_);
      for (;;) {
        if (stopping_) return;    // Stop answered the queued resyncs
        if (!resyncs_.empty()) {  // one at a time: Stop answers the rest at once
          resync.emplace(std::move(resyncs_.front()));
          resyncs_.pop_front();
          resync_running_ = true;
          break;
        }
        int64_t wait_ms = kIdleLookMs;
        const int64_t now = clock_->NowMs();
        batch = TakeBatch(now, &wait_ms);
        // Acknowledged quantities not saved yet are saved on their own too, but after a
        // failed save only once its backoff has passed (Redis down: no busy loop).
        if (!batch.empty() || (!unsaved_.empty() && SaveDue())) break;
        if (!unsaved_.empty()) wait_ms = std::min(wait_ms, save_retry_at_ms_ - now);
        wake_.WaitWithTimeout(&mu_, absl::Milliseconds(std::max<int64_t>(1, wait_ms)));
      }
      pushing_ = !batch.empty();
      if (SaveDue()) to_save.swap(unsaved_);
    }
    if (resync.has_value()) RunResync(*resync);
    if (!batch.empty()) PushBatch(batch, ingested_until, &to_save);
    if (!to_save.empty()) SaveAcks(to_save);
  }
}

void ChannelPusher::SettleConflicts(std::vector<DirtyQueue::Item>* batch, int64_t ingested_until) {
  std::vector<std::string> read_back;  // SKUs
  {
    absl::MutexLock lock(&mu_);
    if (conflicts_.empty()) return;
    const int64_t now = clock_->NowMs();
    std::vector<DirtyQueue::Item> kept;
    for (DirtyQueue::Item& item : *batch) {
      auto c = conflicts_.find(item.sku);
      if (c == conflicts_.end()) {
        kept.push_back(std::move(item));
      } else if (ingested_until <= c->second) {
        dirty_.Retry(item.sku, kConflictRecheckMs, backoff_, now, acked_);  // not yet
      } else {
        read_back.push_back(item.sku);
        kept.push_back(std::move(item));
      }
    }
    *batch = std::move(kept);
  }
  if (read_back.empty()) return;
  std::vector<std::string> listings;
  for (const std::string& sku : read_back) listings.push_back(ListingId(sku));
  absl::StatusOr<std::vector<int64_t>> numbers =
      adapter_->can_fetch()
          ? adapter_->Fetch(listings)
          : absl::StatusOr<std::vector<int64_t>>(std::vector<int64_t>(listings.size(), -1));
  absl::MutexLock lock(&mu_);
  if (!numbers.ok() || numbers->size() != read_back.size()) {
    // Keep the conflict and push none of these SKUs (their push would compare against
    // the number the channel refused): they are due again after the backoff, and read
    // back again then.
    SetLastError(absl::StrCat("reading back after a conflict: ",
                              numbers.ok() ? "wrong count" : numbers.status().message()));
    const absl::flat_hash_set<std::string> unread(read_back.begin(), read_back.end());
    const int64_t now = clock_->NowMs();
    std::vector<DirtyQueue::Item> kept;
    for (DirtyQueue::Item& item : *batch) {
      if (unread.contains(item.sku)) {
        dirty_.Retry(item.sku, /*retry_after_ms=*/0, backoff_, now, acked_);
      } else {
        kept.push_back(std::move(item));
      }
    }
    *batch = std::move(kept);
    return;
  }
  for (size_t i = 0; i < read_back.size(); ++i) {
    conflicts_.erase(read_back[i]);
    if ((*numbers)[i] >= 0) {
      acked_[read_back[i]] = (*numbers)[i];
    } else {
      acked_.erase(read_back[i]);
    }
  }
}

void ChannelPusher::PushBatch(const std::vector<DirtyQueue::Item>& taken, int64_t ingested_until,
                              std::vector<std::pair<std::string, int64_t>>* to_save) {
  std::vector<DirtyQueue::Item> batch = taken;
  SettleConflicts(&batch, ingested_until);
  if (batch.empty()) {
    absl::MutexLock lock(&mu_);
    pushing_ = false;
    return;
  }
  std::vector<PushItem> items;
  items.reserve(batch.size());
  {
    absl::MutexLock lock(&mu_);
    for (const DirtyQueue::Item& s : batch) {
      auto acked = acked_.find(s.sku);
      items.push_back(
          {s.sku, ListingId(s.sku), s.quantity, acked == acked_.end() ? -1 : acked->second});
    }
  }
  std::vector<PushResult> results = adapter_->Push(items);
  results.resize(items.size(), PushResult{PushResult::Status::kRetry, 0, "no result"});
  std::string warning;
  {
    absl::MutexLock lock(&mu_);
    warning = ApplyResults(batch, results, clock_->NowMs());
    pushing_ = false;
    if (SaveDue()) {
      to_save->insert(to_save->end(), unsaved_.begin(), unsaved_.end());
      unsaved_.clear();
    }
  }
  if (!warning.empty() && options_.log) options_.log(log::Level::kWarn, warning);
}

void ChannelPusher::SaveAcks(const std::vector<std::pair<std::string, int64_t>>& to_save) {
  absl::Status st = acks_->Save(options_.channel, to_save);
  std::string warning;
  {
    absl::MutexLock lock(&mu_);
    if (st.ok()) {
      save_failures_ = 0;
      return;
    }
    ++stats_.ack_save_failures;
    SetLastError(absl::StrCat("saving acknowledged quantities: ", st.message()));
    // Older first: a later ack of the same SKU (pushed meanwhile) must win on save.
    unsaved_.insert(unsaved_.begin(), to_save.begin(), to_save.end());
    const int64_t delay_ms = backoff_.DelayMs(++save_failures_);
    save_retry_at_ms_ = clock_->NowMs() + delay_ms;
    warning = absl::StrCat("push[", options_.channel, "]: ", stats_.last_error, " (retried in ",
                           delay_ms, " ms)");
  }
  if (options_.log) options_.log(log::Level::kWarn, warning);
}

void ChannelPusher::AddLatency(int64_t latency_ms) {
  const auto& bounds = engine::kPushLatencyBoundsMs;
  const size_t bucket =
      std::lower_bound(bounds.begin(), bounds.end(), latency_ms) - bounds.begin();
  ++stats_.latency_buckets[bucket];
  stats_.latency_sum_ms += latency_ms;
}

PusherStats ChannelPusher::Stats() const {
  absl::MutexLock lock(&mu_);
  PusherStats s = stats_;
  s.dirty = static_cast<int64_t>(dirty_.size());
  s.acked = static_cast<int64_t>(acked_.size());
  s.paused_until_ms = paused_until_ms_;
  s.oldest_dirty_ms = dirty_.OldestFirstDirtyMs();
  const LatencyRing::Summary latency = latencies_.Summarize();
  s.latency_samples = latency.samples;
  s.latency_p50_ms = latency.p50_ms;
  s.latency_p99_ms = latency.p99_ms;
  s.latency_max_ms = latency.max_ms;
  return s;
}

int64_t ChannelPusher::Acked(const std::string& sku) const {
  absl::MutexLock lock(&mu_);
  auto it = acked_.find(sku);
  return it == acked_.end() ? -1 : it->second;
}

bool ChannelPusher::Idle() const {
  absl::MutexLock lock(&mu_);
  return dirty_.empty() && !pushing_ && resyncs_.empty() && !resync_running_;
}

}  // namespace stockd::push
