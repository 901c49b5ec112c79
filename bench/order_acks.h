// OrderAcks: for the order benchmark (bench/order_bench.cc), when each placed order became
// visible on the other channels. An order of `units` on a SKU lowers what stockd publishes
// for that SKU; the order is "reflected" on a channel once the channel's marketplace
// acknowledged a pushed quantity at or below the threshold the order brings it to (the
// quantity before every order so far minus their units). Orders on one SKU only ever lower
// it, so the first acknowledged quantity at or below the threshold is the first push that
// reflects the order (pushes that coalesce later orders count for the earlier ones too).
//
// Expect() registers an order before it is placed (its push can come before PlaceOrder
// returns); Ack() is called for every item the marketplace acknowledges.
//
// Thread safety: every method may be called from any thread.
#ifndef STOCKD_BENCH_ORDER_ACKS_H_
#define STOCKD_BENCH_ORDER_ACKS_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace stockd::bench {

class OrderAcks {
 public:
  // `channels`: the channels every order must be reflected on.
  explicit OrderAcks(std::vector<std::string> channels) : channels_(std::move(channels)) {}
  OrderAcks(const OrderAcks&) = delete;
  OrderAcks& operator=(const OrderAcks&) = delete;

  // Order `index` (0, 1, 2, ... in the order of the calls) is reflected on a channel once
  // that channel acknowledges a quantity <= `threshold` for `sku`.
  int64_t Expect(const std::string& sku, int64_t threshold) {
    absl::MutexLock lock(&mu_);
    const int64_t index = static_cast<int64_t>(done_at_ns_.size());
    done_at_ns_.push_back(-1);
    channels_left_.push_back(static_cast<int>(channels_.size()));
    for (const std::string& channel : channels_) {
      waiting_[{channel, sku}].push_back({threshold, index});
    }
    return index;
  }

  // `channel` acknowledged `quantity` for `sku` at `at_ns` (any monotonic clock).
  void Ack(const std::string& channel, const std::string& sku, int64_t quantity, int64_t at_ns) {
    absl::MutexLock lock(&mu_);
    acked_[channel].emplace(sku, quantity);
    auto it = waiting_.find({channel, sku});
    if (it == waiting_.end()) return;
    std::vector<Waiter>& waiters = it->second;
    for (size_t i = 0; i < waiters.size();) {
      if (waiters[i].threshold < quantity) {
        ++i;
        continue;
      }
      const int64_t index = waiters[i].index;
      if (--channels_left_[index] == 0) done_at_ns_[index] = at_ns;  // the last channel
      waiters[i] = waiters.back();
      waiters.pop_back();
    }
    if (waiters.empty()) waiting_.erase(it);
  }

  // When order `index` was reflected on every channel; -1 while it is not (or unknown).
  int64_t DoneAtNs(int64_t index) const {
    absl::MutexLock lock(&mu_);
    return index >= 0 && index < static_cast<int64_t>(done_at_ns_.size()) ? done_at_ns_[index] : -1;
  }
  // Orders not yet reflected on every channel.
  int64_t Pending() const {
    absl::MutexLock lock(&mu_);
    int64_t n = 0;
    for (int left : channels_left_) n += left > 0 ? 1 : 0;
    return n;
  }
  // Distinct SKUs `channel` has acknowledged any quantity for.
  int64_t AckedSkus(const std::string& channel) const {
    absl::MutexLock lock(&mu_);
    auto it = acked_.find(channel);
    return it == acked_.end() ? 0 : static_cast<int64_t>(it->second.size());
  }
  // Waits until every order is reflected or `timeout` passes; returns Pending() == 0.
  bool AwaitAllReflected(absl::Duration timeout) const {
    absl::MutexLock lock(&mu_);
    return mu_.AwaitWithTimeout(absl::Condition(this, &OrderAcks::NoneLeft), timeout);
  }

 private:
  struct Waiter {
    int64_t threshold = 0;
    int64_t index = 0;
  };

  bool NoneLeft() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (int left : channels_left_) {
      if (left > 0) return false;
    }
    return true;
  }

  const std::vector<std::string> channels_;
  mutable absl::Mutex mu_;
  std::vector<int64_t> done_at_ns_ ABSL_GUARDED_BY(mu_);
  std::vector<int> channels_left_ ABSL_GUARDED_BY(mu_);
  std::map<std::pair<std::string, std::string>, std::vector<Waiter>> waiting_ ABSL_GUARDED_BY(mu_);
  // The first acknowledged quantity per channel and SKU (only the key set is read).
  std::map<std::string, std::map<std::string, int64_t>> acked_ ABSL_GUARDED_BY(mu_);
};

}  // namespace stockd::bench

#endif  // STOCKD_BENCH_ORDER_ACKS_H_
