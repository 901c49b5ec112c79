// What a live reload does not apply (docs/reload.md): the keys marked Reload::kRestart in
// schema.h name or shape something built once at start (a socket, a directory, the Redis
// connection, the engine's shards, gRPC's pools, the plugin directory); and some kLive
// keys whose components do not take a new value yet (the service's limits, holds,
// idempotency, the webhook receiver's limits). The adapters and order ingestion of every
// channel are applied (channel_changes.h). A changed value of either takes
// effect at the next restart only, and the reload says so.
//
// Thread safety: pure functions.
#ifndef STOCKD_DAEMON_CONFIG_RELOAD_RULES_H_
#define STOCKD_DAEMON_CONFIG_RELOAD_RULES_H_

#include <string>
#include <vector>

#include "daemon/config/config.h"

namespace stockd::config {

// The key paths of the settings above whose value differs between `running` and `next`
// ("server.max_threads", "redis", "holds", ...). The model (locations, channels, policies,
// overrides), the channels' adapters and order ingestion, and the clients are not listed:
// the reload applies them (or refuses them, naming why).
std::vector<std::string> RestartOnlyChanges(const Config& running, const Config& next);

}  // namespace stockd::config

#endif  // STOCKD_DAEMON_CONFIG_RELOAD_RULES_H_
