#include "daemon/engine/order_table.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "daemon/engine/stripe.h"

namespace stockd::engine {

OrderTable::OrderTable() : all_stripes_(MutexesOf(stripes_)) {}

std::string OrderTable::Key(const std::string& channel, const std::string& order_id) {
  return absl::StrCat(channel, " ", order_id);
}

OrderStripe& OrderTable::StripeFor(const std::string& key) {
  return stripes_[StripeOf(key, kOrderStripes)];
}

const OrderStripe& OrderTable::StripeFor(const std::string& key) const {
  return stripes_[StripeOf(key, kOrderStripes)];
}

OrderView* OrderTable::Find(OrderStripe& stripe, const std::string& key) {
  auto it = stripe.orders.find(key);
  return it == stripe.orders.end() ? nullptr : &it->second;
}

void OrderTable::Put(OrderStripe& stripe, const std::string& key, OrderView order) {
  // A closed order that gets a later revision is queued again at its new time.
  if (order.closed) stripe.closed.emplace_back(order.updated_ms, key);
  auto [it, inserted] = stripe.orders.insert_or_assign(key, std::move(order));
  if (inserted) size_.fetch_add(1);
}

void OrderTable::Purge(int64_t now, int64_t retention_ms) {
  for (OrderStripe& stripe : stripes_) {
    absl::MutexLock lock(&stripe.mu);
    while (!stripe.closed.empty() && stripe.closed.front().first + retention_ms <= now) {
      auto it = stripe.orders.find(stripe.closed.front().second);
      // A closed order is never reopened, but a later revision moves its time on: purge
      // by the time of its last change.
      if (it != stripe.orders.end() && it->second.closed &&
          it->second.updated_ms + retention_ms <= now) {
        stripe.orders.erase(it);
        size_.fetch_sub(1);
      }
      stripe.closed.pop_front();
    }
  }
}

void OrderTable::InstallLocked(std::vector<OrderView> orders) {
  for (OrderStripe& stripe : stripes_) {
    all_stripes_.AssertMemberHeld(stripe.mu);
    stripe.orders.clear();
    stripe.closed.clear();
  }
  std::sort(orders.begin(), orders.end(),
            [](const OrderView& a, const OrderView& b) { return a.updated_ms < b.updated_ms; });
  int64_t n = 0;
  for (OrderView& o : orders) {
    std::string key = Key(o.channel, o.order_id);
    OrderStripe& stripe = StripeFor(key);
    all_stripes_.AssertMemberHeld(stripe.mu);
    if (o.closed) stripe.closed.emplace_back(o.updated_ms, key);
    if (stripe.orders.insert_or_assign(std::move(key), std::move(o)).second) ++n;
  }
  size_.store(n);
}

}  // namespace stockd::engine
