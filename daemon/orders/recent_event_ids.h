// The webhook deliveries the receiver knows to be durable (docs/orders.md, "Webhook
// delivery"): a bounded memory of keys, oldest forgotten first, so that a marketplace's
// re-delivery of an applied event is answered at once without reaching the intake.
// Forgetting is safe: a re-delivery then reaches the intake, whose request id makes it a
// no-op.
//
// Thread safety: every method may be called from any thread.
#ifndef STOCKD_DAEMON_ORDERS_RECENT_EVENT_IDS_H_
#define STOCKD_DAEMON_ORDERS_RECENT_EVENT_IDS_H_

#include <cstddef>
#include <deque>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"

namespace stockd::orders {

class RecentEventIds {
 public:
  // Remembers at most `capacity` keys (0: remembers none).
  explicit RecentEventIds(size_t capacity) : capacity_(capacity) {}

  bool Contains(const std::string& key) const;
  // Remembers `key` (again: no change), forgetting the oldest key when full.
  void Add(const std::string& key);
  size_t size() const;

 private:
  const size_t capacity_;
  mutable absl::Mutex mu_;
  absl::flat_hash_set<std::string> keys_ ABSL_GUARDED_BY(mu_);
  std::deque<std::string> order_ ABSL_GUARDED_BY(mu_);  // oldest first
};

}  // namespace stockd::orders

#endif  // STOCKD_DAEMON_ORDERS_RECENT_EVENT_IDS_H_
