#include "daemon/server/watch_hub.h"

namespace stockd::server {

void WatchHub::OnPublishedChanges(const std::vector<engine::PublishedChange>& changes) {
  absl::MutexLock lock(&mu_);
  for (const engine::PublishedChange& change : changes) {
    const uint64_t seq = ++sequence_;
    for (Subscriber* s : subscribers_) s->Offer(change, seq);
  }
}

uint64_t WatchHub::Add(Subscriber* s) {
  absl::MutexLock lock(&mu_);
  if (closed_) {
    s->Close();
    return sequence_;
  }
  subscribers_.insert(s);
  return sequence_;
}

void WatchHub::Remove(Subscriber* s) {
  absl::MutexLock lock(&mu_);
  subscribers_.erase(s);
}

void WatchHub::CloseAll() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
  for (Subscriber* s : subscribers_) s->Close();
  subscribers_.clear();
}

uint64_t WatchHub::sequence() const {
  absl::MutexLock lock(&mu_);
  return sequence_;
}

size_t WatchHub::subscribers() const {
  absl::MutexLock lock(&mu_);
  return subscribers_.size();
}

}  // namespace stockd::server
