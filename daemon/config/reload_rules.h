// What a live reload may apply (docs/reload.md): the keys marked Reload::kRestart in
// schema.h name or shape something built once at start (a socket, a directory, the Redis
// connection, the engine's shards, gRPC's pools, a plugin loaded): a changed value of one
// of them takes effect at the next restart only, and the reload says so.
//
// Thread safety: pure functions.
#ifndef STOCKD_DAEMON_CONFIG_RELOAD_RULES_H_
#define STOCKD_DAEMON_CONFIG_RELOAD_RULES_H_

#include <string>
#include <vector>

#include "daemon/config/config.h"

namespace stockd::config {

// The key paths of restart-only settings whose value differs between `running` and
// `next` ("server.max_threads", "redis.address", "channels[amazon].adapter", ...), in
// schema order. The model (locations, channels, policies, overrides) and the clients are
// not listed: the reload applies them (or refuses them, naming why).
std::vector<std::string> RestartOnlyChanges(const Config& running, const Config& next);

}  // namespace stockd::config

#endif  // STOCKD_DAEMON_CONFIG_RELOAD_RULES_H_
