// The config a channel's adapter plugin instance is created from: the channel's
// `adapter.config` as JSON plus the channel's id. The push engine and order ingestion
// each create their own instance of a channel's plugin from it.
//
// Thread safety: pure function; thread-safe.
#ifndef STOCKD_DAEMON_PLUGINS_ADAPTER_CONFIG_H_
#define STOCKD_DAEMON_PLUGINS_ADAPTER_CONFIG_H_

#include <string>

#include "absl/status/statusor.h"

namespace stockd::plugins {

// The adapter config a plugin gets: the channel's (`config_json`, a JSON object text),
// plus the channel's id under the top-level key "channel" unless the config sets that key
// itself. INVALID_ARGUMENT when `config_json` is not a JSON object.
absl::StatusOr<std::string> AdapterConfigWithChannel(const std::string& config_json,
                                                     const std::string& channel);

}  // namespace stockd::plugins

#endif  // STOCKD_DAEMON_PLUGINS_ADAPTER_CONFIG_H_
