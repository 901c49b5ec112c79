#include "daemon/config/channel_changes.h"

#include <tuple>

namespace stockd::config {
namespace {

auto PusherKey(const AdapterConfig& a) {
  return std::make_tuple(a.plugin, a.config_json, a.listings_file, a.max_batch, a.rate_per_second,
                         a.burst, a.retry_initial_ms, a.retry_max_ms, a.coalesce_window_ms);
}

auto PollerKey(const OrderChannelConfig& o) {
  const bool has = o.adapter.has_value();
  return std::make_tuple(
      has, has ? o.adapter->plugin : std::string(), has ? o.adapter->config_json : std::string(),
      has ? o.adapter->listings_file : std::string(), o.poll_interval_ms, o.overlap_ms);
}

template <typename T>
const T* Find(const std::vector<T>& all, const std::string& channel) {
  for (const T& x : all) {
    if (x.channel == channel) return &x;
  }
  return nullptr;
}

}  // namespace

bool PusherChanged(const AdapterConfig& running, const AdapterConfig& next) {
  return PusherKey(running) != PusherKey(next);
}

bool AdapterChanged(const AdapterConfig& running, const AdapterConfig& next) {
  return PusherChanged(running, next) ||
         running.reconcile_interval_ms != next.reconcile_interval_ms ||
         running.reconcile_every_ms != next.reconcile_every_ms;
}

bool PollerChanged(const OrderChannelConfig& running, const OrderChannelConfig& next) {
  return PollerKey(running) != PollerKey(next);
}

bool RouteChanged(const OrderChannelConfig& running, const OrderChannelConfig& next) {
  return running.webhook_signature != next.webhook_signature ||
         running.webhook_secret_file != next.webhook_secret_file;
}

ChannelChanges CompareChannels(const std::vector<AdapterConfig>& running_adapters,
                               const std::vector<OrderChannelConfig>& running_orders,
                               const std::vector<AdapterConfig>& next_adapters,
                               const std::vector<OrderChannelConfig>& next_orders) {
  ChannelChanges out;
  for (const AdapterConfig& a : running_adapters) {
    if (Find(next_adapters, a.channel) == nullptr) out.adapters_removed.push_back(a.channel);
  }
  for (const AdapterConfig& b : next_adapters) {
    const AdapterConfig* a = Find(running_adapters, b.channel);
    if (a == nullptr) {
      out.adapters_added.push_back(b.channel);
    } else if (AdapterChanged(*a, b)) {
      out.adapters_changed.push_back(b.channel);
    }
  }
  const OrderChannelConfig none;
  for (const OrderChannelConfig& a : running_orders) {
    if (Find(next_orders, a.channel) == nullptr) out.orders_changed.push_back(a.channel);
  }
  for (const OrderChannelConfig& b : next_orders) {
    const OrderChannelConfig* a = Find(running_orders, b.channel);
    if (a == nullptr) a = &none;
    if (PollerChanged(*a, b) || RouteChanged(*a, b)) out.orders_changed.push_back(b.channel);
  }
  return out;
}

}  // namespace stockd::config
