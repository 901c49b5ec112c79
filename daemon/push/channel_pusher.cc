#include "daemon/push/channel_pusher.h"

#include <pthread.h>

#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"
#include "daemon/util/redact.h"

namespace stockd::push {
namespace {

constexpr size_t kLatencySamples = 10'000;
constexpr size_t kDriftShown = 10;

}  // namespace

ChannelPusher::ChannelPusher(PusherOptions options, std::unique_ptr<Adapter> adapter,
                             AckStore* acks, const engine::Clock* clock)
    : options_(std::move(options)),
      adapter_(std::move(adapter)),
      acks_(acks),
      clock_(clock),
      max_batch_(std::max(1, std::min(options_.max_batch > 0 ? options_.max_batch : 1 << 30,
                                      adapter_->max_batch()))),
      rng_(std::random_device{}()) {
  stats_.channel = options_.channel;
  stats_.adapter = adapter_->name();
  tokens_ = options_.burst > 0 ? options_.burst : std::max(1.0, options_.rate_per_second);
}

ChannelPusher::~ChannelPusher() { Stop(); }

void ChannelPusher::LoadAcked(absl::flat_hash_map<std::string, int64_t> acked) {
  absl::MutexLock lock(&mu_);
  acked_ = std::move(acked);
}

void ChannelPusher::Start() {
  {
    absl::MutexLock lock(&mu_);
    tokens_at_ms_ = clock_->NowMs();
  }
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
  for (PendingResync& r : queued) r.done(Draining());
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

bool ChannelPusher::Crossing(const std::string& sku, int64_t desired) const {
  auto it = acked_.find(sku);
  if (it == acked_.end()) return desired == 0;  // unknown: showing 0 is the urgent case
  return (it->second > 0) != (desired > 0);
}

int64_t ChannelPusher::WindowEnd(const std::string& sku) const {
  if (options_.coalesce_window_ms <= 0) return 0;
  auto it = last_sent_ms_.find(sku);
  return it == last_sent_ms_.end() ? 0 : it->second + options_.coalesce_window_ms;
}

void ChannelPusher::Enqueue(const std::string& sku, Dirty& d, Lane lane) {
  d.lane = lane;
  // Crossings go now; anything else waits out the SKU's coalescing window.
  if (lane == Lane::kNormal) d.not_before_ms = std::max(d.not_before_ms, WindowEnd(sku));
  (lane == Lane::kPriority ? priority_ : normal_).push_back(sku);
  wake_.Signal();
}

void ChannelPusher::OfferLocked(const std::string& sku, int64_t desired, bool force) {
  auto rejected = rejected_.find(sku);
  if (rejected != rejected_.end()) {
    if (rejected->second == desired && !force) return;
    rejected_.erase(rejected);
  }
  auto it = dirty_.find(sku);
  if (it == dirty_.end()) {
    auto acked = acked_.find(sku);
    if (!force && acked != acked_.end() && acked->second == desired) return;
    Dirty& d = dirty_[sku];
    d.desired = desired;
    d.force = force;
    d.first_dirty_ms = clock_->NowMs();
    Enqueue(sku, d, Crossing(sku, desired) ? Lane::kPriority : Lane::kNormal);
    return;
  }
  Dirty& d = it->second;
  d.desired = desired;
  d.force = d.force || force;
  if (!d.in_flight && d.lane == Lane::kNormal && Crossing(sku, desired)) {
    Enqueue(sku, d, Lane::kPriority);  // the stale normal-lane key is skipped later
  }
}

void ChannelPusher::RefillTokens(int64_t now) {
  if (options_.rate_per_second <= 0) return;
  const double cap = options_.burst > 0 ? options_.burst : std::max(1.0, options_.rate_per_second);
  tokens_ = std::min(cap, tokens_ + (now - tokens_at_ms_) * options_.rate_per_second / 1000.0);
  tokens_at_ms_ = now;
}

int64_t ChannelPusher::Backoff(int attempts) {
  int64_t delay = options_.retry_initial_ms;
  for (int i = 1; i < attempts && delay < options_.retry_max_ms; ++i) delay *= 2;
  delay = std::min(delay, options_.retry_max_ms);
  // Jitter: uniformly within [delay/2, delay], so retries of many SKUs spread out.
  std::uniform_int_distribution<int64_t> jitter(delay / 2, delay);
  return jitter(rng_);
}

std::vector<ChannelPusher::Sent> ChannelPusher::TakeBatch(int64_t now, int64_t* wait_ms) {
  std::vector<Sent> batch;
  *wait_ms = 100;
  if (now < paused_until_ms_) {
    *wait_ms = paused_until_ms_ - now;
    return batch;
  }
  int limit = max_batch_;
  if (options_.rate_per_second > 0) {
    RefillTokens(now);
    if (tokens_ < 1.0) {
      *wait_ms = std::max<int64_t>(1, static_cast<int64_t>((1.0 - tokens_) * 1000.0 /
                                                           options_.rate_per_second) + 1);
      return batch;
    }
    limit = std::min<int>(limit, static_cast<int>(tokens_));
  }
  std::vector<std::pair<std::string, Lane>> deferred;
  for (Lane lane : {Lane::kPriority, Lane::kNormal}) {
    std::deque<std::string>& queue = lane == Lane::kPriority ? priority_ : normal_;
    while (!queue.empty() && static_cast<int>(batch.size()) < limit) {
      std::string sku = std::move(queue.front());
      queue.pop_front();
      auto it = dirty_.find(sku);
      if (it == dirty_.end() || it->second.lane != lane || it->second.in_flight) continue;
      Dirty& d = it->second;
      if (d.not_before_ms > now) {
        *wait_ms = std::min(*wait_ms, d.not_before_ms - now);
        deferred.emplace_back(std::move(sku), lane);
        continue;
      }
      auto acked = acked_.find(sku);
      if (!d.force && acked != acked_.end() && acked->second == d.desired) {
        dirty_.erase(it);  // the channel already shows it
        continue;
      }
      d.in_flight = true;
      d.lane = Lane::kNone;
      if (lane == Lane::kPriority) ++stats_.priority_items;
      batch.push_back({std::move(sku), d.desired, d.first_dirty_ms});
    }
  }
  for (auto& [sku, lane] : deferred) (lane == Lane::kPriority ? priority_ : normal_).push_back(sku);
  // Forget send times older than the window now and then (bounded by the SKU count).
  if (options_.coalesce_window_ms > 0 && now - last_prune_ms_ > 10 * options_.coalesce_window_ms) {
    absl::erase_if(last_sent_ms_, [&](const auto& e) {
      return e.second + options_.coalesce_window_ms <= now;
    });
    last_prune_ms_ = now;
  }
  if (options_.rate_per_second > 0) tokens_ -= static_cast<double>(batch.size());
  return batch;
}

void ChannelPusher::ApplyResults(const std::vector<Sent>& sent,
                                 const std::vector<PushResult>& results, int64_t now) {
  ++stats_.pushes;
  bool all_retry = true;
  int64_t channel_retry_after = 0;
  for (size_t i = 0; i < sent.size(); ++i) {
    const Sent& s = sent[i];
    const PushResult& r = results[i];
    auto it = dirty_.find(s.sku);
    if (it == dirty_.end()) continue;  // cannot happen: only the worker erases in-flight
    Dirty& d = it->second;
    d.in_flight = false;
    switch (r.status) {
      case PushResult::Status::kOk: {
        all_retry = false;
        ++stats_.items_ok;
        acked_[s.sku] = s.quantity;
        last_sent_ms_[s.sku] = now;  // opens the SKU's coalescing window
        unsaved_.emplace_back(s.sku, s.quantity);
        const int64_t latency = now - s.first_dirty_ms;
        if (latencies_.size() < kLatencySamples) {
          latencies_.push_back(latency);
        } else {
          latencies_[latency_next_++ % kLatencySamples] = latency;
        }
        if (d.desired == s.quantity) {
          dirty_.erase(it);
        } else {  // changed while in flight: push the newer value
          d.force = false;
          d.attempts = 0;
          d.first_dirty_ms = now;
          Enqueue(s.sku, d, Crossing(s.sku, d.desired) ? Lane::kPriority : Lane::kNormal);
        }
        break;
      }
      case PushResult::Status::kPermanent: {
        all_retry = false;
        ++stats_.items_permanent;
        SetLastError(absl::StrCat(s.sku, ": ", r.message));
        if (d.desired == s.quantity) {
          rejected_[s.sku] = s.quantity;
          dirty_.erase(it);
        } else {
          Enqueue(s.sku, d, Crossing(s.sku, d.desired) ? Lane::kPriority : Lane::kNormal);
        }
        break;
      }
      case PushResult::Status::kRetry: {
        ++stats_.items_retry;
        SetLastError(absl::StrCat(s.sku, ": ", r.message));
        ++d.attempts;
        const int64_t delay = r.retry_after_ms > 0 ? r.retry_after_ms : Backoff(d.attempts);
        d.not_before_ms = now + delay;
        channel_retry_after = std::max(channel_retry_after, r.retry_after_ms);
        Enqueue(s.sku, d, Crossing(s.sku, d.desired) ? Lane::kPriority : Lane::kNormal);
        break;
      }
    }
  }
  // The whole batch failed (endpoint down, rate limited): pause the channel, not just
  // these SKUs, so the backlog does not hammer it.
  if (all_retry && !sent.empty()) {
    ++channel_failures_;
    paused_until_ms_ = now + (channel_retry_after > 0 ? channel_retry_after : Backoff(channel_failures_));
  } else {
    channel_failures_ = 0;
  }
}

void ChannelPusher::WorkerLoop() {
  for (;;) {
    std::vector<Sent> batch;
    std::optional<PendingResync> resync;
    std::vector<std::pair<std::string, int64_t>> to_save;
    {
      absl::MutexLock lock(&mu_);
      for (;;) {
        if (stopping_) return;  // Stop answered the queued resyncs
        if (!resyncs_.empty()) {  // one at a time: Stop answers the rest at once
          resync.emplace(std::move(resyncs_.front()));
          resyncs_.pop_front();
          resync_running_ = true;
          break;
        }
        int64_t wait_ms = 100;
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
    if (resync.has_value()) {
      absl::StatusOr<DriftReport> report = DoResync(resync->desired(), resync->force);
      {
        absl::MutexLock lock(&mu_);
        resync_running_ = false;
      }
      resync->done(std::move(report));
    }

    if (!batch.empty()) {
      std::vector<PushItem> items;
      items.reserve(batch.size());
      {
        absl::MutexLock lock(&mu_);
        for (const Sent& s : batch) {
          auto acked = acked_.find(s.sku);
          items.push_back({s.sku, ListingId(s.sku), s.quantity,
                           acked == acked_.end() ? -1 : acked->second});
        }
      }
      std::vector<PushResult> results = adapter_->Push(items);
      results.resize(items.size(), PushResult{PushResult::Status::kRetry, 0, "no result"});
      absl::MutexLock lock(&mu_);
      ApplyResults(batch, results, clock_->NowMs());
      pushing_ = false;
      if (SaveDue()) {
        to_save.insert(to_save.end(), unsaved_.begin(), unsaved_.end());
        unsaved_.clear();
      }
    }
    if (!to_save.empty()) {
      absl::Status st = acks_->Save(options_.channel, to_save);
      absl::MutexLock lock(&mu_);
      if (st.ok()) {
        save_failures_ = 0;
      } else {
        ++stats_.ack_save_failures;
        SetLastError(absl::StrCat("saving acknowledged quantities: ", st.message()));
        // Older first: a later ack of the same SKU (pushed meanwhile) must win on save.
        unsaved_.insert(unsaved_.begin(), to_save.begin(), to_save.end());
        save_retry_at_ms_ = clock_->NowMs() + Backoff(++save_failures_);
      }
    }
  }
}

void ChannelPusher::Resync(DesiredFn desired, bool force, ResyncDone done) {
  absl::Status refused;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) {
      refused = Draining();
    } else if (static_cast<int>(resyncs_.size()) >= options_.max_queued_resyncs) {
      refused = absl::ResourceExhaustedError(absl::StrCat(
          "channel '", options_.channel, "' already has ", resyncs_.size(),
          " resyncs waiting (at most ", options_.max_queued_resyncs,
          "; its adapter may be slow or hung): retry later"));
    } else {
      resyncs_.push_back({std::move(desired), force, std::move(done)});
      wake_.Signal();
      return;
    }
  }
  done(std::move(refused));
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
          if (have >= 0) acked_[sku] = have; else acked_.erase(sku);
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
  std::sort(drift.begin(), drift.end(), [](const DriftItem& a, const DriftItem& b) {
    return std::abs(a.published - a.channel_quantity) > std::abs(b.published - b.channel_quantity);
  });
  if (drift.size() > kDriftShown) drift.resize(kDriftShown);
  report.largest = std::move(drift);
  return report;
}

PusherStats ChannelPusher::Stats() const {
  absl::MutexLock lock(&mu_);
  PusherStats s = stats_;
  s.dirty = static_cast<int64_t>(dirty_.size());
  s.acked = static_cast<int64_t>(acked_.size());
  s.paused_until_ms = paused_until_ms_;
  if (!latencies_.empty()) {
    std::vector<int64_t> sorted = latencies_;
    std::sort(sorted.begin(), sorted.end());
    s.latency_samples = static_cast<int64_t>(sorted.size());
    s.latency_p50_ms = sorted[sorted.size() / 2];
    s.latency_p99_ms = sorted[std::min(sorted.size() - 1, sorted.size() * 99 / 100)];
    s.latency_max_ms = sorted.back();
  }
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
