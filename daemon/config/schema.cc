// The configuration schema's tables (schema.h): the daemon's own sections (server, its TLS
// and clients, redis, engine, holds, idempotency, audit, orders, log, metrics) and the list
// of every key. The model's tables (locations, channels, overrides, kits, alerts, reorder)
// are in schema_model.cc. config/reference.yaml documents each key at length;
// tests/config/schema_test.cc keeps the two in step.
#include "daemon/config/schema.h"

#include "absl/strings/str_cat.h"
#include "daemon/config/schema_fields.h"

namespace stockd::config::schema {
namespace {

using namespace fields;  // NOLINT(google-build-using-namespace): the tables' shorthand

const Field<Config> kRoot[] = {
    {{"server", Kind::kSection, kRestart, false, 0, 0, 0, "", "the gRPC server"}},
    {{"data_dir", Kind::kString, kRestart, false, 0, 0, 0, "/var/lib/stockd",
      "the daemon's own files (embedded Redis); non-empty, private (0700)"},
     STOCKD_TEXT(Config, data_dir)},
    {{"redis", Kind::kSection, kRestart, false, 0, 0, 0, "", "where state is made durable"}},
    {{"engine", Kind::kSection, kRestart, false, 0, 0, 0, "", "the stock engine"}},
    {{"holds", Kind::kSection, kLive, false, 0, 0, 0, "", "reservations (holds)"}},
    {{"idempotency", Kind::kSection, kLive, false, 0, 0, 0, "", "replayed request ids"}},
    {{"audit", Kind::kSection, kRestart, false, 0, 0, 0, "", "the in-memory audit"}},
    {{"plugin_dir", Kind::kString, kRestart, false, 0, 0, 0, "\"\"",
      "where adapter plugins are loaded from; \"\" = plugins/ next to the binary, else "
      "../lib/stockd/plugins from it"},
     STOCKD_TEXT(Config, plugin_dir)},
    {{"locations", Kind::kList, kRestart, true, 1, 4096, 0, "", "where stock is kept"}},
    {{"channels", Kind::kList, kRestart, true, 1, 256, 0, "", "where customers buy"}},
    {{"overrides", Kind::kList, kRestart, false, 0, 100'000, 0, "",
      "per-SKU changes to one channel's policy"}},
    {{"kits", Kind::kList, kRestart, false, 0, 100'000, 0, "",
      "kit SKUs made of other SKUs (docs/kits.md)"}},
    {{"alerts", Kind::kSection, kLive, false, 0, 0, 0, "",
      "stock alerts: velocity weighting and hysteresis (docs/alerts.md)"}},
    {{"reorder", Kind::kList, kLive, false, 0, 10'000, 0, "",
      "reorder points per SKU pattern (docs/alerts.md)"}},
    {{"orders", Kind::kSection, kRestart, false, 0, 0, 0, "",
      "the webhook receiver of channel orders (docs/orders.md)"}},
    {{"log", Kind::kSection, kLive, false, 0, 0, 0, "", "the JSON log on stderr"}},
    {{"clients", Kind::kList, kLive, false, 0, 10'000, 0, "",
      "who may call the API (docs/security.md); none = authentication off (loopback only)"}},
    {{"metrics", Kind::kSection, kRestart, false, 0, 0, 0, "",
      "the Prometheus endpoint and status page (docs/metrics.md)"}},
};

const Field<ClientConfig> kClients[] = {
    {{"name", Kind::kId, kLive, true, 0, 0, 0, "", "unique; the audit's \"who\""}},
    {{"token_sha256", Kind::kString, kLive, false, 0, 0, 0, "\"\"",
      "SHA-256 (64 hex digits) of its bearer token: stockctl token new NAME"}},
    {{"certificate", Kind::kString, kLive, false, 0, 0, 0, "\"\"",
      "a DNS/URI SAN or the CN of its client certificate (needs server.tls.client_ca_file)"}},
    {{"roles", Kind::kIdList, kLive, true, 1, 0, 0, "",
      "read | sell | operate | admin; each includes the ones before it"}},
    {{"channels", Kind::kIdList, kLive, false, 1, 0, 0, "[\"*\"]",
      "the channels it may act for; \"*\" = every channel"}},
};

const Field<Config> kLog[] = {
    {{"level", Kind::kEnum, kLive, false, 0, 0, 0, "info",
      "debug | info | warn | error: the least severe line written (gRPC's own too)"},
     nullptr,
     nullptr,
     [](const Config& c) { return std::string(log::LevelName(c.log.level)); }},
};

const Field<Config> kMetrics[] = {
    {{"listen", Kind::kString, kRestart, false, 0, 0, 0, "\"\"",
      "host:port of /metrics and the status page (any address; unauthenticated); \"\" = none"},
     STOCKD_TEXT(Config, metrics.listen)},
    {{"status_page", Kind::kEnum, kRestart, false, 0, 0, 0, "true",
      "true | false: serve the status page (/, /status, /status.json) beside /metrics"},
     nullptr,
     nullptr,
     [](const Config& c) { return std::string(c.metrics.status_page ? "true" : "false"); }},
};

const Field<Config> kOrders[] = {
    {{"listen", Kind::kString, kRestart, false, 0, 0, 0, "\"\"",
      "host:port of the webhook receiver (loopback; port 0 = ephemeral); \"\" = no receiver"},
     STOCKD_TEXT(Config, orders_listen)},
    {{"max_body_bytes", Kind::kInt, kLive, false, 1024, 64 << 20, 1 << 20, "1048576",
      "the largest delivery the receiver accepts"},
     STOCKD_TARGET(Config, orders_max_body_bytes)},
    {{"deadline", Kind::kDuration, kLive, false, 100, 10 * kMsPerMinute, 5000, "5s",
      "a delivery's time to become durable before the receiver answers 503"},
     STOCKD_TARGET(Config, orders_deadline_ms)},
};

const Field<Config> kServer[] = {
    {{"listen", Kind::kString, kRestart, false, 0, 0, 0, "\"127.0.0.1:50551\"",
      "host:port or unix:/path of the gRPC API; not loopback: needs tls and clients"},
     STOCKD_TEXT(Config, server.listen)},
    {{"max_batch", Kind::kInt, kLive, false, 1, 100'000, 1000, "1000",
      "most operations in one Batch, SKUs in one availability query"},
     STOCKD_TARGET(Config, server.max_batch)},
    {{"drain_timeout", Kind::kDuration, kLive, false, 0, 10 * kMsPerMinute, 10'000, "10s",
      "SIGTERM: time the calls in flight get to finish"},
     STOCKD_TARGET(Config, server.drain_timeout_ms)},
    {{"max_request_bytes", Kind::kInt, kRestart, false, 64 << 10, 32 << 20, 4 << 20, "4194304",
      "the largest request message accepted (a gRPC server option)"},
     STOCKD_TARGET(Config, server.max_request_bytes)},
    {{"max_response_bytes", Kind::kInt, kLive, false, 64 << 10, 32 << 20, 4 << 20, "4194304",
      "the largest response a call may produce"},
     STOCKD_TARGET(Config, server.max_response_bytes)},
    {{"max_watch_streams", Kind::kInt, kLive, false, 1, 100'000, 1000, "1000",
      "Watch streams open at once"},
     STOCKD_TARGET(Config, server.max_watch_streams)},
    {{"max_sessions", Kind::kInt, kRestart, false, 1, 100'000, 1000, "1000",
      "Session streams open at once"},
     STOCKD_TARGET(Config, server.max_sessions)},
    {{"session_inflight", Kind::kInt, kRestart, false, 1, 65'536, 256, "256",
      "operations a Session stream may have unanswered at once"},
     STOCKD_TARGET(Config, server.session_inflight)},
    {{"max_concurrent_streams", Kind::kInt, kRestart, false, 1, 100'000, 1000, "1000",
      "calls in flight per client connection (HTTP/2 setting)"},
     STOCKD_TARGET(Config, server.max_concurrent_streams)},
    {{"max_threads", Kind::kInt, kRestart, false, 4, 4096, 256, "256",
      "gRPC server threads (resource quota)"},
     STOCKD_TARGET(Config, server.max_threads)},
    {{"tls", Kind::kSection, kRestart, false, 0, 0, 0, "",
      "TLS (and mTLS) on the listener; required off loopback"}},
};

const Field<ServerTlsConfig> kServerTls[] = {
    {{"cert_file", Kind::kString, kRestart, true, 0, 0, 0, "",
      "PEM certificate chain of the server (re-read every refresh_interval)"}},
    {{"key_file", Kind::kString, kRestart, true, 0, 0, 0, "", "PEM private key of cert_file"}},
    {{"client_ca_file", Kind::kString, kRestart, false, 0, 0, 0, "\"\"",
      "PEM CA client certificates must chain to (mTLS); \"\" = no client certificates"}},
    {{"client_certificate", Kind::kEnum, kRestart, false, 0, 0, 0, "require",
      "require | request: with client_ca_file, must every client present a certificate"}},
    {{"refresh_interval", Kind::kDuration, kRestart, false, kMsPerSecond, kMsPerDay, 10'000, "10s",
      "how often the certificate files are re-read (renewals without a restart)"},
     STOCKD_TARGET(ServerTlsConfig, refresh_interval_ms)},
};

const Field<Config> kRedis[] = {
    {{"mode", Kind::kEnum, kRestart, false, 0, 0, 0, "embedded",
      "embedded | external | memory; default from address"}},
    {{"address", Kind::kString, kRestart, false, 0, 0, 0, "\"\"",
      "\"\" (embedded), host:port or unix:/path of an external Redis"},
     STOCKD_TEXT(Config, redis.address)},
    {{"appendfsync", Kind::kEnum, kRestart, false, 0, 0, 0, "always",
      "always | everysec | no: the embedded Redis's AOF fsync"},
     STOCKD_TEXT(Config, redis.appendfsync)},
    {{"timeout", Kind::kDuration, kRestart, false, 100, 60'000, 2000, "2s",
      "connect and write round-trip timeout"},
     STOCKD_TARGET(Config, redis.timeout_ms)},
    {{"max_batch", Kind::kInt, kRestart, false, 1, 100'000, 4096, "4096",
      "mutations per MULTI/EXEC (group commit)"},
     STOCKD_TARGET(Config, redis.max_batch)},
    {{"audit_entries", Kind::kInt, kRestart, false, 0, 100'000'000, 1'000'000, "1000000",
      "audit entries kept in the Redis stream (0 = none)"},
     STOCKD_TARGET(Config, redis.audit_stream_entries)},
    {{"audit_max_age", Kind::kDuration, kRestart, false, 0, 3650 * kMsPerDay, 0, "0",
      "audit entries older than this are trimmed from the stream (0 = no age bound)"},
     STOCKD_TARGET(Config, redis.audit_max_age_ms)},
    {{"username", Kind::kString, kRestart, false, 0, 0, 0, "\"\"",
      "external Redis: ACL user for AUTH; needs password_file"},
     STOCKD_TEXT(Config, redis.username)},
    {{"password_file", Kind::kString, kRestart, false, 0, 0, 0, "\"\"",
      "external Redis: file holding the AUTH password (mode 0600)"},
     STOCKD_TEXT(Config, redis.password_file)},
    {{"tls", Kind::kSection, kRestart, false, 0, 0, 0, "", "external host:port Redis: TLS"}},
};

const Field<RedisTlsConfig> kRedisTls[] = {
    {{"ca_file", Kind::kString, kRestart, true, 0, 0, 0, "",
      "PEM CA the server's certificate must chain to"}},
    {{"cert_file", Kind::kString, kRestart, false, 0, 0, 0, "\"\"",
      "PEM client certificate (mTLS), with key_file"}},
    {{"key_file", Kind::kString, kRestart, false, 0, 0, 0, "\"\"", "PEM key of cert_file"}},
    {{"server_name", Kind::kString, kRestart, false, 0, 0, 0, "\"\"",
      "name the certificate must match; \"\" = the host of address"}},
};

const Field<Config> kEngine[] = {
    {{"shards", Kind::kInt, kRestart, false, 1, 65'536, 256, "256",
      "independently locked SKU shards (rounded up to a power of two)"},
     STOCKD_TARGET(Config, engine.shards)},
    {{"count_history", Kind::kDuration, kRestart, false, 0, 90 * kMsPerDay, 7 * kMsPerDay, "7d",
      "how long on_hand movements are kept: the oldest observed_at a Count may carry"},
     STOCKD_TARGET(Config, engine.count_history_ms)},
};

const Field<Config> kHolds[] = {
    {{"default_ttl", Kind::kDuration, kLive, false, 100, 30 * kMsPerDay, 15 * kMsPerMinute, "15m",
      "TTL of a hold whose Reserve names none; <= max_ttl"},
     STOCKD_READ_ONLY(Config, engine.default_ttl_ms)},
    {{"max_ttl", Kind::kDuration, kLive, false, kMsPerSecond, 30 * kMsPerDay, 7 * kMsPerDay, "7d",
      "the longest TTL a Reserve or Extend may ask for"},
     STOCKD_READ_ONLY(Config, engine.max_ttl_ms)},
    {{"retention", Kind::kDuration, kLive, false, 0, 30 * kMsPerDay, 60 * kMsPerMinute, "1h",
      "resolved holds stay queryable this long"},
     STOCKD_TARGET(Config, engine.hold_retention_ms)},
    {{"max_lines", Kind::kInt, kLive, false, 1, 10'000, 500, "500",
      "most lines in one Reserve, Commit or Fulfill"},
     STOCKD_TARGET(Config, engine.max_lines)},
};

const Field<Config> kIdempotency[] = {
    {{"ttl", Kind::kDuration, kLive, false, kMsPerMinute, 30 * kMsPerDay, kMsPerDay, "24h",
      "a replayed request_id within this window returns the first result"},
     STOCKD_TARGET(Config, engine.idempotency_ttl_ms)},
    {{"max_records", Kind::kInt, kLive, false, 1'000, 1'000'000'000, 10'000'000, "10000000",
      "request ids remembered at most"},
     STOCKD_TARGET(Config, engine.max_idempotency_records)},
};

const Field<Config> kAudit[] = {
    {{"memory_entries", Kind::kInt, kRestart, false, 0, 10'000'000, 10'000, "10000",
      "recent mutations kept in memory for ListAudit (a ring sized at start)"},
     STOCKD_TARGET(Config, engine.audit_capacity)},
};

template <typename T>
void AddKeys(const Table<T>& table, std::vector<KeyView>* out) {
  for (const Field<T>& f : table.fields()) {
    std::string path = table.path().empty() ? std::string(f.key.name)
                                            : absl::StrCat(table.path(), ".", f.key.name);
    out->push_back({std::move(path), &f.key});
  }
}

}  // namespace

STOCKD_TABLE(Root, Config, "", kRoot)
STOCKD_TABLE(Server, Config, "server", kServer)
STOCKD_TABLE(Redis, Config, "redis", kRedis)
STOCKD_TABLE(RedisTls, RedisTlsConfig, "redis.tls", kRedisTls)
STOCKD_TABLE(ServerTls, ServerTlsConfig, "server.tls", kServerTls)
STOCKD_TABLE(Clients, ClientConfig, "clients[]", kClients)
STOCKD_TABLE(Engine, Config, "engine", kEngine)
STOCKD_TABLE(Holds, Config, "holds", kHolds)
STOCKD_TABLE(Idempotency, Config, "idempotency", kIdempotency)
STOCKD_TABLE(Audit, Config, "audit", kAudit)
STOCKD_TABLE(Orders, Config, "orders", kOrders)
STOCKD_TABLE(Log, Config, "log", kLog)
STOCKD_TABLE(Metrics, Config, "metrics", kMetrics)

std::vector<KeyView> AllKeys() {
  std::vector<KeyView> out;
  AddKeys(Root(), &out);
  AddKeys(Server(), &out);
  AddKeys(ServerTls(), &out);
  AddKeys(Clients(), &out);
  AddKeys(Redis(), &out);
  AddKeys(RedisTls(), &out);
  AddKeys(Engine(), &out);
  AddKeys(Holds(), &out);
  AddKeys(Idempotency(), &out);
  AddKeys(Audit(), &out);
  AddKeys(Locations(), &out);
  AddKeys(Channels(), &out);
  AddKeys(Adapter(), &out);
  AddKeys(Overrides(), &out);
  AddKeys(Alerts(), &out);
  AddKeys(Reorder(), &out);
  AddKeys(Kits(), &out);
  AddKeys(KitComponents(), &out);
  AddKeys(Orders(), &out);
  AddKeys(ChannelOrders(), &out);
  AddKeys(OrdersWebhook(), &out);
  AddKeys(Log(), &out);
  AddKeys(Metrics(), &out);
  return out;
}

}  // namespace stockd::config::schema
