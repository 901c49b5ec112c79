// The configuration's per-component slices: what each component receives of the whole
// Config (daemon/config/config.h assembles them; daemon/config/schema.h declares every
// key). A component below the server includes this header, never config.h: the push
// engine takes a PushConfig; the storage layer gets what it needs of RedisConfig from
// the server's Daemon, which alone (with main.cc) holds the whole Config.
//
// Thread safety: plain values; immutable once parsed.
#ifndef STOCKD_DAEMON_CONFIG_SLICES_H_
#define STOCKD_DAEMON_CONFIG_SLICES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "daemon/util/log.h"

namespace stockd::config {

// server.tls: TLS on the gRPC listener (docs/security.md). The files are re-read every
// refresh_interval_ms while the daemon runs: a renewed certificate is served to new
// connections without a restart and without dropping the open ones.
struct ServerTlsConfig {
  std::string cert_file;       // PEM certificate chain of the server
  std::string key_file;        // its PEM private key
  std::string client_ca_file;  // "" = no client certificates (tokens only); else mTLS
  // With client_ca_file: true = a client must present a certificate that chains to it
  // (`client_certificate: require`); false = it may (`request`), else it uses a token.
  bool require_client_cert = true;
  int64_t refresh_interval_ms = 10'000;
};

// What a client may do (docs/security.md, "Roles"). Each role includes every role
// before it: read < sell < operate < admin.
enum class Role { kNone = 0, kRead = 1, kSell = 2, kOperate = 3, kAdmin = 4 };
const char* RoleName(Role role);

// clients[]: one caller of the API, identified by a bearer token (kept only as its
// SHA-256) or by its mTLS certificate's name, with the role it has and the channels
// it may act for.
struct ClientConfig {
  std::string name;          // the audit's "who"
  std::string token_sha256;  // 64 lowercase hex digits; "" = no token
  std::string certificate;   // a DNS/URI SAN or the CN of its certificate; "" = none
  Role role = Role::kNone;   // the highest role of `roles`
  std::vector<std::string> channels;  // empty = every channel (`channels: ["*"]` or absent)
  std::string origin;                 // "file:line" of the entry
};

// The server's security slice: TLS and the clients. Authentication is on exactly when
// `clients` is non-empty; off is allowed only on a loopback or unix listener.
struct SecurityConfig {
  std::optional<ServerTlsConfig> tls;
  std::vector<ClientConfig> clients;
  bool auth() const { return !clients.empty(); }
};

// log: the JSON log (util/log.h). The level is live: a reload applies it at once.
struct LogConfig {
  log::Level level = log::Level::kInfo;  // lines below it are dropped (gRPC's too)
};

struct ServerConfig {
  std::string listen = "127.0.0.1:50551";  // host:port; port 0 = ephemeral
  int max_batch = 1000;                    // ops per Batch, SKUs per GetAvailability (1..100000)
  int64_t drain_timeout_ms = 10'000;       // SIGTERM: time to finish in-flight calls
  // Resource bounds (config/reference.yaml explains each).
  int64_t max_request_bytes = 4 << 20;   // largest request message accepted
  int64_t max_response_bytes = 4 << 20;  // largest response a call may produce
  int max_watch_streams = 1000;          // Watch streams open at once
  int max_sessions = 1000;               // Session streams open at once
  int session_inflight = 256;            // a Session stream's window of unanswered ops
  int max_concurrent_streams = 1000;     // calls in flight per client connection
  int max_threads = 256;                 // gRPC server threads (resource quota)
  std::optional<ServerTlsConfig> tls;    // server.tls; none = plaintext (loopback/unix only)
};

// metrics: the Prometheus endpoint and the status page (docs/metrics.md), served by the
// observe layer. Unauthenticated and read-only: keep it on loopback, behind a proxy or
// firewalled.
struct MetricsConfig {
  std::string listen;        // host:port (any address; port 0 = ephemeral); "" = none
  bool status_page = true;   // GET /, /status, /status.json beside /metrics
};

// redis.tls: TLS to an external host:port Redis (docs/storage.md, "External Redis").
struct RedisTlsConfig {
  std::string ca_file;    // required: PEM CA the server's certificate must chain to
  std::string cert_file;  // client certificate (mTLS); set with key_file or not at all
  std::string key_file;
  std::string server_name;  // name the certificate must match; "" = the host of address
};

struct RedisConfig {
  // embedded: stockd runs its own redis-server under data_dir (the default when no
  // address is set); external: the Redis at `address`; memory: no durability at all
  // (tests and benchmarks only — every restart loses everything; logged loudly).
  enum class Mode { kEmbedded, kExternal, kMemory };
  Mode mode = Mode::kEmbedded;
  std::string address;  // external only: host:port or unix:/path
  // Embedded only: always | everysec | no. Default always: with everysec, Redis 7.0 may
  // postpone its AOF write by up to 2 s under disk pressure while still replying, so a
  // SIGKILL of redis-server can lose acknowledged writes (docs/storage.md).
  std::string appendfsync = "always";
  int64_t timeout_ms = 2000;                 // connect and write round-trip timeout
  int max_batch = 4096;                      // mutations per MULTI/EXEC (group commit)
  int64_t audit_stream_entries = 1'000'000;  // bound of the audit stream (0 = off)
  int64_t audit_max_age_ms = 0;              // and its age bound (0 = none)
  // External only. AUTH with the password in password_file (mode 0600 or stricter),
  // read at every connect and never kept here; username selects an ACL user.
  std::string username;
  std::string password_file;          // "" = no AUTH
  std::optional<RedisTlsConfig> tls;  // external host:port only
};

// A channel's adapter plugin (push engine). Absent for channels nobody pushes to (the
// webshop and POS usually Watch instead).
struct AdapterConfig {
  std::string channel;                // the channel id
  std::string plugin;                 // loads <plugin_dir>/libstockd_adapter_<plugin>.so
  std::string config_json;            // the `config` mapping as a JSON object, handed to the plugin
  int max_batch = 0;                  // 0 = the plugin's own maximum; else min(this, plugin's)
  double rate_per_second = 0;         // items pushed per second; 0 = unlimited
  int burst = 0;                      // token bucket size; 0 = max(1, rate_per_second)
  std::string listings_file;          // CSV sku,listing_id; "" = the listing id is the SKU
  int64_t reconcile_interval_ms = 0;  // periodic resync; 0 = off
  int64_t reconcile_every_ms = 0;     // periodic three-way reconcile (channels[].reconcile_every)
  int64_t retry_initial_ms = 200;     // first backoff after a failed push
  int64_t retry_max_ms = 60'000;      // backoff cap
  int64_t coalesce_window_ms = 1000;  // a SKU pushed this recently waits (latest value wins)
  std::string origin;                 // "file:line" of the adapter entry
  // "<file>:<line>:<col>: channels[i].adapter.plugin" and "...adapter.config": where
  // errors found after parsing point (stockd --check-config asks the plugin).
  std::string plugin_origin;
  std::string config_origin;
};

// The push engine's slice: the adapters and where their plugins are loaded from.
struct PushConfig {
  std::string plugin_dir;  // "" = plugins::DefaultPluginDir() (build tree, then installed)
  std::vector<AdapterConfig> adapters;
};

// A channel's order ingestion (channels[].orders; docs/orders.md). Every channel with an
// adapter has one (polling is on by default when the plugin can poll); a channel without
// an adapter has one only when its `orders` section is present (webhook deliveries).
struct OrderChannelConfig {
  std::string channel;
  std::optional<AdapterConfig> adapter;  // the channel's adapter, if it has one
  int64_t poll_interval_ms = 5000;       // 0 = never poll
  int64_t overlap_ms = 0;                // re-read this much of the recent past at each poll
  // webhook: deliveries of this channel to the receiver; "" = none.
  std::string webhook_signature;    // stockd | shopify | woocommerce
  std::string webhook_secret_file;  // read by the receiver at start (mode 0600), not kept here
  std::string origin;               // "file:line" of the channel's `orders` (or adapter) entry
};

// Order ingestion's slice: the receiver (top-level `orders`) and the channels.
struct OrdersConfig {
  std::string listen;                  // host:port of the webhook receiver; "" = none
  int64_t max_body_bytes = 1 << 20;    // largest delivery accepted
  int64_t deadline_ms = 5000;          // a delivery's time to become durable
  std::string plugin_dir;              // as PushConfig's
  std::vector<OrderChannelConfig> channels;
};

}  // namespace stockd::config

#endif  // STOCKD_DAEMON_CONFIG_SLICES_H_
