#include "daemon/config/reload_rules.h"

#include <tuple>

namespace stockd::config {
namespace {

auto TlsKey(const std::optional<ServerTlsConfig>& t) {
  return t.has_value() ? std::make_tuple(true, t->cert_file, t->key_file, t->client_ca_file,
                                         t->require_client_cert, t->refresh_interval_ms)
                       : std::make_tuple(false, std::string(), std::string(), std::string(), false,
                                         int64_t{0});
}

auto RedisKey(const RedisConfig& r) {
  auto tls =
      r.tls.has_value()
          ? std::make_tuple(r.tls->ca_file, r.tls->cert_file, r.tls->key_file, r.tls->server_name)
          : std::make_tuple(std::string(), std::string(), std::string(), std::string());
  return std::make_tuple(r.mode, r.address, r.appendfsync, r.timeout_ms, r.max_batch,
                         r.audit_stream_entries, r.audit_max_age_ms, r.username, r.password_file,
                         r.tls.has_value(), tls);
}

}  // namespace

std::vector<std::string> RestartOnlyChanges(const Config& running, const Config& next) {
  std::vector<std::string> out;
  auto check = [&out](bool changed, const char* key) {
    if (changed) out.emplace_back(key);
  };
  const ServerConfig& a = running.server;
  const ServerConfig& b = next.server;
  check(a.listen != b.listen, "server.listen");
  check(a.max_request_bytes != b.max_request_bytes, "server.max_request_bytes");
  check(a.max_concurrent_streams != b.max_concurrent_streams, "server.max_concurrent_streams");
  check(a.max_threads != b.max_threads, "server.max_threads");
  check(a.max_sessions != b.max_sessions, "server.max_sessions");
  check(a.session_inflight != b.session_inflight, "server.session_inflight");
  check(TlsKey(a.tls) != TlsKey(b.tls), "server.tls");
  check(running.data_dir != next.data_dir, "data_dir");
  check(RedisKey(running.redis) != RedisKey(next.redis), "redis");
  check(running.engine.shards != next.engine.shards, "engine.shards");
  check(running.engine.audit_capacity != next.engine.audit_capacity, "audit.memory_entries");
  check(running.plugin_dir != next.plugin_dir, "plugin_dir");
  check(running.model.alerts.enabled != next.model.alerts.enabled, "alerts.enabled");
  check(running.orders_listen != next.orders_listen, "orders.listen");
  check(running.metrics.listen != next.metrics.listen ||
            running.metrics.status_page != next.metrics.status_page,
        "metrics");
  // Live keys (schema Reload::kLive) whose components do not take a new value yet: the
  // service's limits, the engine's hold and idempotency options, order ingestion.
  check(a.max_batch != b.max_batch, "server.max_batch");
  check(a.drain_timeout_ms != b.drain_timeout_ms, "server.drain_timeout");
  check(a.max_response_bytes != b.max_response_bytes, "server.max_response_bytes");
  check(a.max_watch_streams != b.max_watch_streams, "server.max_watch_streams");
  const engine::EngineOptions& e = running.engine;
  const engine::EngineOptions& f = next.engine;
  check(std::make_tuple(e.default_ttl_ms, e.max_ttl_ms, e.hold_retention_ms, e.max_lines) !=
            std::make_tuple(f.default_ttl_ms, f.max_ttl_ms, f.hold_retention_ms, f.max_lines),
        "holds");
  check(e.idempotency_ttl_ms != f.idempotency_ttl_ms ||
            e.max_idempotency_records != f.max_idempotency_records,
        "idempotency");
  check(running.orders_max_body_bytes != next.orders_max_body_bytes ||
            running.orders_deadline_ms != next.orders_deadline_ms,
        "orders");
  return out;
}

}  // namespace stockd::config
