// What a new config changes in the channels' adapters and order ingestion, compared with
// what runs (docs/reload.md, "Adapters added, removed or changed live"). The reload's
// dry run reports it; the push engine and the orders layer use the same rules to decide
// which of their parts to rebuild.
//
// Thread safety: pure functions.
#ifndef STOCKD_DAEMON_CONFIG_CHANNEL_CHANGES_H_
#define STOCKD_DAEMON_CONFIG_CHANNEL_CHANGES_H_

#include <string>
#include <vector>

#include "daemon/config/slices.h"

namespace stockd::config {

// The channel's pusher must be rebuilt: a different plugin, plugin config, listings file,
// batch size, rate, burst, backoff or coalescing window. (The periods —
// reconcile_interval, reconcile_every — apply to the running pusher.)
bool PusherChanged(const AdapterConfig& running, const AdapterConfig& next);
// Any setting of the adapter differs, the periods included.
bool AdapterChanged(const AdapterConfig& running, const AdapterConfig& next);
// The channel's order poller must be rebuilt: its adapter is added, removed or its
// plugin, plugin config or listings file differ, or the poll interval or overlap do.
bool PollerChanged(const OrderChannelConfig& running, const OrderChannelConfig& next);
// The channel's webhook route differs (signature scheme or secret file).
bool RouteChanged(const OrderChannelConfig& running, const OrderChannelConfig& next);

// Channel ids: the running config's order for removals, the new config's for the rest.
// The order channels are Config::OrdersSlice's (every channel with an adapter or an
// `orders` section), not Config::order_channels.
struct ChannelChanges {
  std::vector<std::string> adapters_added;    // the channel gets an adapter
  std::vector<std::string> adapters_removed;  // the channel loses its adapter
  std::vector<std::string> adapters_changed;  // AdapterChanged
  // Order ingestion starts, stops or changes (PollerChanged or RouteChanged).
  std::vector<std::string> orders_changed;
};
ChannelChanges CompareChannels(const std::vector<AdapterConfig>& running_adapters,
                               const std::vector<OrderChannelConfig>& running_orders,
                               const std::vector<AdapterConfig>& next_adapters,
                               const std::vector<OrderChannelConfig>& next_orders);

}  // namespace stockd::config

#endif  // STOCKD_DAEMON_CONFIG_CHANNEL_CHANGES_H_
