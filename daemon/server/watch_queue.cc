#include "daemon/server/watch_queue.h"

namespace stockd::server {

void WatchQueue::SetSnapshot(std::vector<engine::PublishedChange> items, uint64_t sequence) {
  snapshot_ = std::move(items);
  snapshot_next_ = 0;
  snapshot_sequence_ = sequence;
  marker_pending_ = true;
}

void WatchQueue::Push(const engine::PublishedChange& change, uint64_t sequence) {
  auto [it, inserted] = pending_.try_emplace(Key(change.channel, change.sku));
  if (inserted) {
    it->second.change = change;
  } else {
    // The reader sees one change from the value it last saw to the newest one.
    order_.erase(it->second.sequence);
    const int64_t previous = it->second.change.previous;
    it->second.change = change;
    it->second.change.previous = previous;
  }
  it->second.sequence = sequence;
  order_.emplace(sequence, it->first);
}

void WatchQueue::PushNotice(std::shared_ptr<const v1::WatchEvent> notice, uint64_t sequence) {
  notices_.emplace(sequence, std::move(notice));
}

std::optional<WatchItem> WatchQueue::Pop() {
  WatchItem item;
  if (snapshot_next_ < snapshot_.size()) {
    item.sequence = snapshot_sequence_;
    item.change = std::move(snapshot_[snapshot_next_++]);
    item.snapshot = true;
    if (snapshot_next_ == snapshot_.size()) {
      snapshot_.clear();
      snapshot_.shrink_to_fit();
      snapshot_next_ = 0;
    }
    return item;
  }
  if (marker_pending_) {
    item.sequence = snapshot_sequence_;
    item.snapshot_done = true;
    marker_pending_ = false;
    return item;
  }
  if (!notices_.empty() && (order_.empty() || notices_.begin()->first < order_.begin()->first)) {
    auto notice = notices_.begin();
    item.sequence = notice->first;
    item.notice = std::move(notice->second);
    notices_.erase(notice);
    return item;
  }
  if (order_.empty()) return std::nullopt;
  auto first = order_.begin();
  auto it = pending_.find(first->second);
  item.sequence = first->first;
  item.change = std::move(it->second.change);
  pending_.erase(it);
  order_.erase(first);
  return item;
}

bool WatchQueue::empty() const {
  return snapshot_next_ >= snapshot_.size() && !marker_pending_ && order_.empty() &&
         notices_.empty();
}

size_t WatchQueue::size() const {
  return (snapshot_.size() - snapshot_next_) + (marker_pending_ ? 1 : 0) + order_.size() +
         notices_.size();
}

void WatchQueue::Clear() {
  snapshot_.clear();
  snapshot_next_ = 0;
  marker_pending_ = false;
  pending_.clear();
  order_.clear();
  notices_.clear();
}

}  // namespace stockd::server
