#include "daemon/push/dirty_queue.h"

#include <algorithm>
#include <utility>

namespace stockd::push {

DirtyQueue::DirtyQueue(int64_t coalesce_window_ms) : window_ms_(coalesce_window_ms) {}

bool DirtyQueue::Crossing(const ShownMap& shown, const std::string& sku, int64_t desired) {
  auto it = shown.find(sku);
  if (it == shown.end()) return desired == 0;  // unknown: showing 0 is the urgent case
  return (it->second > 0) != (desired > 0);
}

int64_t DirtyQueue::WindowEnd(const std::string& sku) const {
  if (window_ms_ <= 0) return 0;
  auto it = last_sent_ms_.find(sku);
  return it == last_sent_ms_.end() ? 0 : it->second + window_ms_;
}

void DirtyQueue::Enqueue(const std::string& sku, Entry& entry, Lane lane) {
  entry.lane = lane;
  // Crossings go now; anything else waits out the SKU's coalescing window.
  if (lane == Lane::kNormal) entry.not_before_ms = std::max(entry.not_before_ms, WindowEnd(sku));
  Queue(lane).push_back(sku);
}

void DirtyQueue::Requeue(const std::string& sku, Entry& entry, const ShownMap& shown) {
  Enqueue(sku, entry, Crossing(shown, sku, entry.desired) ? Lane::kPriority : Lane::kNormal);
}

bool DirtyQueue::Offer(const std::string& sku, int64_t desired, bool force, const ShownMap& shown,
                       int64_t now_ms) {
  auto it = entries_.find(sku);
  if (it == entries_.end()) {
    auto acked = shown.find(sku);
    if (!force && acked != shown.end() && acked->second == desired) return false;
    Entry& entry = entries_[sku];
    entry.desired = desired;
    entry.force = force;
    entry.first_dirty_ms = now_ms;
    Requeue(sku, entry, shown);
    return true;
  }
  Entry& entry = it->second;
  entry.desired = desired;
  entry.force = entry.force || force;
  if (!entry.in_flight && entry.lane == Lane::kNormal && Crossing(shown, sku, desired)) {
    Enqueue(sku, entry, Lane::kPriority);  // the stale normal-lane key is skipped later
    return true;
  }
  return false;
}

std::vector<DirtyQueue::Item> DirtyQueue::Take(int64_t now_ms, int limit, const ShownMap& shown,
                                               int64_t* wait_ms) {
  std::vector<Item> batch;
  std::vector<std::pair<std::string, Lane>> deferred;
  for (Lane lane : {Lane::kPriority, Lane::kNormal}) {
    std::deque<std::string>& queue = Queue(lane);
    while (!queue.empty() && static_cast<int>(batch.size()) < limit) {
      std::string sku = std::move(queue.front());
      queue.pop_front();
      auto it = entries_.find(sku);
      if (it == entries_.end() || it->second.lane != lane || it->second.in_flight) continue;
      Entry& entry = it->second;
      if (entry.not_before_ms > now_ms) {
        *wait_ms = std::min(*wait_ms, entry.not_before_ms - now_ms);
        deferred.emplace_back(std::move(sku), lane);
        continue;
      }
      auto acked = shown.find(sku);
      if (!entry.force && acked != shown.end() && acked->second == entry.desired) {
        entries_.erase(it);  // the channel already shows it
        continue;
      }
      entry.in_flight = true;
      entry.lane = Lane::kNone;
      batch.push_back(
          {std::move(sku), entry.desired, entry.first_dirty_ms, lane == Lane::kPriority});
    }
  }
  for (auto& [sku, lane] : deferred) Queue(lane).push_back(std::move(sku));
  PruneSendTimes(now_ms);
  return batch;
}

void DirtyQueue::PruneSendTimes(int64_t now_ms) {
  // Now and then, not on every Take: the map is bounded by the SKU count anyway.
  if (window_ms_ <= 0 || now_ms - last_prune_ms_ <= 10 * window_ms_) return;
  absl::erase_if(last_sent_ms_, [&](const auto& e) { return e.second + window_ms_ <= now_ms; });
  last_prune_ms_ = now_ms;
}

void DirtyQueue::Acknowledged(const std::string& sku, int64_t quantity, int64_t now_ms,
                              const ShownMap& shown) {
  auto it = entries_.find(sku);
  if (it == entries_.end()) return;
  Entry& entry = it->second;
  entry.in_flight = false;
  last_sent_ms_[sku] = now_ms;  // opens the SKU's coalescing window
  if (entry.desired == quantity) {
    entries_.erase(it);
    return;
  }
  // Changed while in flight: push the newer value.
  entry.force = false;
  entry.attempts = 0;
  entry.first_dirty_ms = now_ms;
  Requeue(sku, entry, shown);
}

bool DirtyQueue::Rejected(const std::string& sku, int64_t quantity, const ShownMap& shown) {
  auto it = entries_.find(sku);
  if (it == entries_.end()) return false;
  Entry& entry = it->second;
  entry.in_flight = false;
  if (entry.desired == quantity) {
    entries_.erase(it);
    return true;
  }
  Requeue(sku, entry, shown);
  return false;
}

void DirtyQueue::Retry(const std::string& sku, int64_t retry_after_ms, Backoff& backoff,
                       int64_t now_ms, const ShownMap& shown) {
  auto it = entries_.find(sku);
  if (it == entries_.end()) return;
  Entry& entry = it->second;
  entry.in_flight = false;
  ++entry.attempts;
  entry.not_before_ms = now_ms + backoff.DelayMs(entry.attempts, retry_after_ms);
  Requeue(sku, entry, shown);
}

int64_t DirtyQueue::OldestFirstDirtyMs() const {
  int64_t oldest = 0;
  for (const auto& [sku, entry] : entries_) {
    if (oldest == 0 || entry.first_dirty_ms < oldest) oldest = entry.first_dirty_ms;
  }
  return oldest;
}

}  // namespace stockd::push
