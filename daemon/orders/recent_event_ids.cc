#include "daemon/orders/recent_event_ids.h"

namespace stockd::orders {

bool RecentEventIds::Contains(const std::string& key) const {
  absl::MutexLock lock(&mu_);
  return keys_.contains(key);
}

void RecentEventIds::Add(const std::string& key) {
  if (capacity_ == 0) return;
  absl::MutexLock lock(&mu_);
  if (!keys_.insert(key).second) return;
  order_.push_back(key);
  if (order_.size() > capacity_) {
    keys_.erase(order_.front());
    order_.pop_front();
  }
}

size_t RecentEventIds::size() const {
  absl::MutexLock lock(&mu_);
  return keys_.size();
}

}  // namespace stockd::orders
