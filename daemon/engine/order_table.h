// The order table: every channel order stockd has applied (docs/orders.md), keyed by
// (channel, order id), with its last applied revision and its hold. Closed orders stay for
// EngineOptions::order_retention_ms, so a late re-delivery of one still changes nothing.
// Internal to daemon/engine; owned by Engine::Impl.
//
// Thread-safety: striped by (channel, order id), each OrderStripe behind its own mutex. In
// the lock order an order stripe comes first: order stripe -> hold stripe -> SKU shards
// (state.h). Methods name the lock their caller must hold; LockAll takes every stripe.
#ifndef STOCKD_DAEMON_ENGINE_ORDER_TABLE_H_
#define STOCKD_DAEMON_ENGINE_ORDER_TABLE_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "daemon/engine/commands.h"
#include "daemon/engine/lock_set.h"

namespace stockd::engine {

inline constexpr int kOrderStripes = 64;

struct OrderStripe {
  mutable absl::Mutex mu;
  // Key: OrderTable::Key(channel, order id).
  absl::flat_hash_map<std::string, OrderView> orders ABSL_GUARDED_BY(mu);
  // (closed at, key) of closed orders, in closing order, for the retention purge.
  std::deque<std::pair<int64_t, std::string>> closed ABSL_GUARDED_BY(mu);
};

class OrderTable {
 public:
  using Stripes = std::array<OrderStripe, kOrderStripes>;

  OrderTable();
  OrderTable(const OrderTable&) = delete;
  OrderTable& operator=(const OrderTable&) = delete;

  // Channel ids never contain a space, so "<channel> <order id>" is unambiguous.
  static std::string Key(const std::string& channel, const std::string& order_id);
  OrderStripe& StripeFor(const std::string& key);
  const OrderStripe& StripeFor(const std::string& key) const;
  const Stripes& stripes() const { return stripes_; }
  const LockSet& all_stripes() const ABSL_LOCK_RETURNED(all_stripes_) { return all_stripes_; }
  int64_t size() const { return size_.load(); }

  // The order at `key`, or null.
  static OrderView* Find(OrderStripe& stripe, const std::string& key)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(stripe.mu);
  // Stores `order` at `key` (new or replacing); a closed order is queued for the purge.
  void Put(OrderStripe& stripe, const std::string& key, OrderView order)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(stripe.mu);
  // Drops closed orders whose last change is older than `retention_ms` (memory only;
  // storage keeps its own TTL). Takes each stripe in turn.
  void Purge(int64_t now, int64_t retention_ms);

  // ---- Restore, under every engine lock.
  void LockAll() const ABSL_EXCLUSIVE_LOCK_FUNCTION(all_stripes_) { all_stripes_.Lock(); }
  void UnlockAll() const ABSL_UNLOCK_FUNCTION(all_stripes_) { all_stripes_.Unlock(); }
  // Replaces every order with `orders`.
  void InstallLocked(std::vector<OrderView> orders) ABSL_EXCLUSIVE_LOCKS_REQUIRED(all_stripes_);

 private:
  Stripes stripes_;
  const LockSet all_stripes_;  // every stripes_[i].mu, in index order
  std::atomic<int64_t> size_{0};
};

}  // namespace stockd::engine

#endif  // STOCKD_DAEMON_ENGINE_ORDER_TABLE_H_
