// The daemon's configuration: one YAML file, parsed and validated in exactly one place.
// Every key is declared once in daemon/config/schema.h (type, default, bounds, doc,
// reloadable or not, target field); config/reference.yaml documents each one;
// every error names file:line:column and the key path. Start and reload (SIGHUP) go
// through the same LoadConfigFile path.
//
// Thread safety: pure functions; a Config is an immutable value.
#ifndef STOCKD_DAEMON_CONFIG_CONFIG_H_
#define STOCKD_DAEMON_CONFIG_CONFIG_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "daemon/config/slices.h"
#include "daemon/engine/engine.h"
#include "daemon/engine/model.h"

namespace stockd::config {

struct Config {
  std::string path;  // the file it came from ("" for text)
  ServerConfig server;
  LogConfig log;
  std::string data_dir = "/var/lib/stockd";
  RedisConfig redis;
  engine::Model model;
  engine::EngineOptions engine;  // clock/journal left null: the daemon wires them
  std::string plugin_dir;        // "" = plugins::DefaultPluginDir() (build tree, then installed)
  std::vector<AdapterConfig> adapters;
  // Order ingestion (top-level `orders`, channels[].orders): see OrdersSlice.
  std::string orders_listen;
  int64_t orders_max_body_bytes = 1 << 20;
  int64_t orders_deadline_ms = 5000;
  std::vector<OrderChannelConfig> order_channels;  // channels with an `orders` section
  std::vector<ClientConfig> clients;               // clients[]: none = authentication off
  MetricsConfig metrics;  // top-level `metrics` (docs/metrics.md)

  // The push engine's slice (a copy: taken once at start).
  PushConfig PushSlice() const { return {plugin_dir, adapters}; }
  // Order ingestion's slice: an entry per channel with an adapter or an `orders`
  // section, in model order, with its adapter (if any) and defaults where not set.
  OrdersConfig OrdersSlice() const;
  // The server's security: server.tls and clients.
  SecurityConfig SecuritySlice() const { return {server.tls, clients}; }
};

// Parses and validates YAML text. `source_name` is used in error messages.
// Errors: INVALID_ARGUMENT, message "<source>:<line>:<col>: <key.path>: <what>", one
// line per error found (all errors are reported, not only the first).
absl::StatusOr<Config> ParseConfig(std::string_view yaml_text, std::string_view source_name);

// Reads and parses a file. NOT_FOUND if it cannot be read.
absl::StatusOr<Config> LoadConfigFile(const std::string& path);

// Parses a duration: an integer with unit ms, s, m, h or d ("500ms", "15m", "24h").
// A bare integer means seconds. INVALID_ARGUMENT otherwise. Exposed for tests.
absl::StatusOr<int64_t> ParseDurationMs(std::string_view text);

}  // namespace stockd::config

#endif  // STOCKD_DAEMON_CONFIG_CONFIG_H_
