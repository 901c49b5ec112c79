// Daemon::Impl::Start: the daemon assembled in order (docs/architecture.md): the state
// (metrics observer, Redis, the engine restored), the channels (push engine, order
// ingestion, reconciliation), the gRPC server, then the metrics endpoint and the reaper.
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <limits>
#include <map>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "daemon/api/convert.h"
#include "daemon/config/listen.h"
#include "daemon/observe/http_endpoint.h"
#include "daemon/observe/observer.h"
#include "daemon/orders/orders.h"
#include "daemon/push/push_engine.h"
#include "daemon/reconcile/reconciler.h"
#include "daemon/server/auth.h"
#include "daemon/server/daemon_impl.h"
#include "daemon/server/decode_errors.h"
#include "daemon/server/grpc_log.h"
#include "daemon/server/stock_service.h"
#include "daemon/server/tls.h"
#include "daemon/server/watch_hub.h"
#include "daemon/storage/durable_store.h"
#include "daemon/util/log.h"
#include "stockd/v1/stockd.grpc.pb.h"

namespace stockd::server {

namespace {

// redis.username / password_file / tls as the storage layer takes them.
storage::RedisSecurity RedisSecurityOf(const config::RedisConfig& redis) {
  storage::RedisSecurity security;
  security.username = redis.username;
  security.password_file = redis.password_file;
  if (redis.tls.has_value()) {
    security.tls = storage::RedisTlsOptions{redis.tls->ca_file, redis.tls->cert_file,
                                            redis.tls->key_file, redis.tls->server_name};
  }
  return security;
}

// Every gRPC method the server registers, as routed ("/stockd.v1.Stock/Reserve"): the
// RPC metrics' series (any other name counts as "other").
std::vector<std::string> ServedMethods() {
  std::vector<std::string> methods;
  const google::protobuf::ServiceDescriptor* stock =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
          stockd::v1::Stock::service_full_name());
  for (int i = 0; stock != nullptr && i < stock->method_count(); ++i) {
    methods.push_back(absl::StrCat("/", stock->full_name(), "/", stock->method(i)->name()));
  }
  for (const char* m : {"/grpc.health.v1.Health/Check", "/grpc.health.v1.Health/Watch",
                        "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
                        "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"}) {
    methods.push_back(m);
  }
  return methods;
}

}  // namespace

absl::Status Daemon::Impl::Start() {
  if (absl::Status st = StartState(); !st.ok()) return st;
  if (absl::Status st = StartChannels(); !st.ok()) return st;
  if (absl::Status st = StartServer(); !st.ok()) return st;
  if (observer_) {
    observe::Sources sources;
    sources.engine = engine_.get();
    sources.store = store_.get();
    sources.push = push_.get();
    sources.orders = orders_.get();
    sources.reconciler = reconciler_.get();
    sources.write_serving = [this] {
      absl::MutexLock lock(&mu_);
      return write_healthy_;
    };
    sources.now_ms = [this] { return clock_.NowMs(); };
    observer_->SetSources(std::move(sources), started_ms_);
    absl::StatusOr<std::unique_ptr<observe::MetricsEndpoint>> endpoint =
        observe::MetricsEndpoint::Start({config_.metrics.listen, config_.metrics.status_page},
                                        observer_.get());
    if (!endpoint.ok()) return endpoint.status();
    metrics_ = std::move(*endpoint);
  }
  reaper_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "stockd-reaper");
    ReapLoop();
  });
  if (!auth_->enabled()) {
    log::Warn(
        "authentication is OFF: no clients are configured, so every caller that can "
        "reach the listener may do everything (allowed on loopback and unix sockets "
        "only; docs/security.md)",
        {{"listen", config_.server.listen}});
  }
  log::Info("stockd serving",
            {{"listen", config_.server.listen},
             {"tls", !config_.server.tls.has_value()              ? "off"
                     : config_.server.tls->client_ca_file.empty() ? "on"
                     : config_.server.tls->require_client_cert    ? "mtls (required)"
                                                                  : "mtls (requested)"},
             {"clients", std::to_string(config_.clients.size())},
             {"port", std::to_string(port_)},
             {"metrics_port", std::to_string(metrics_port())},
             {"config", config_.path},
             {"locations", std::to_string(config_.model.locations.size())},
             {"channels", std::to_string(config_.model.channels.size())},
             {"durability", durability_}});
  return absl::OkStatus();
}

absl::Status Daemon::Impl::StartState() {
  // The config layer checked the file's address; this also covers a Config built or
  // changed in code (the --listen override, tests).
  if (absl::Status st = config::CheckListenSecurity(config_.server.listen, config_.SecuritySlice());
      !st.ok()) {
    return absl::Status(
        st.code(), absl::StrCat("server.listen '", config_.server.listen, "': ", st.message()));
  }
  // Metrics (docs/metrics.md): the observer counts from the first journal batch and
  // the first call on; its endpoint serves once everything is up.
  if (!config_.metrics.listen.empty()) {
    observe::ObserverOptions oo;
    oo.rpc_methods = ServedMethods();
    oo.version = STOCKD_VERSION;
    observer_ = std::make_unique<observe::Observer>(std::move(oo));
  }
  engine::EngineOptions options = config_.engine;
  options.log = log::ComponentSink("engine");
  ReportStatus(
      config_.redis.mode == config::RedisConfig::Mode::kMemory
          ? "starting (redis.mode: memory, nothing to load)"
          : absl::StrCat("loading state from redis ", config_.redis.address.empty()
                                                          ? "(embedded, starting redis-server)"
                                                          : config_.redis.address));
  durability_ = "memory only (redis.mode: memory) - a restart loses everything";
  if (config_.redis.mode == config::RedisConfig::Mode::kMemory) {
    log::Warn("durability is OFF: redis.mode is 'memory'; every restart loses all stock");
  } else {
    storage::DurableStoreOptions so;
    so.address = config_.redis.address;
    so.data_dir = config_.data_dir;
    so.appendfsync = config_.redis.appendfsync;
    so.timeout_ms = config_.redis.timeout_ms;
    so.security = RedisSecurityOf(config_.redis);
    so.max_batch = config_.redis.max_batch;
    so.write.hold_retention_ms = config_.engine.hold_retention_ms;
    so.write.count_history_ms = config_.engine.count_history_ms;
    so.write.order_retention_ms = config_.engine.order_retention_ms;
    so.write.audit_max_len = config_.redis.audit_stream_entries;
    so.write.audit_max_age_ms = config_.redis.audit_max_age_ms;
    so.log = log::ComponentSink("storage");
    so.on_write_state = [this](bool writable) {
      SetWriteHealth(writable);
      ReportStatus(writable ? absl::StrCat("serving on ", config_.server.listen,
                                           " (writes re-opened after a Redis outage)")
                            : "Redis unreachable: writes fail with UNAVAILABLE, reads serve; "
                              "re-syncing");
    };
    if (observer_) {
      so.on_commit = [o = observer_.get()](size_t records, int64_t commit_ns) {
        o->OnJournalCommit(records, commit_ns);
      };
    }
    so.on_resynced = [this] {
      hub_.Reset();
      if (push::PushEngine* push = push_ready_.load()) push->OfferAll();
    };
    storage::AuditLedgerOptions lo;
    lo.address = so.address;
    lo.timeout_ms = so.timeout_ms;
    lo.security = so.security;
    absl::StatusOr<std::unique_ptr<storage::DurableStore>> store =
        storage::DurableStore::Open(std::move(so));
    if (!store.ok()) return store.status();
    store_ = std::move(*store);
    lo.address = store_->address();  // the embedded Redis's socket once it runs
    audit_ledger_ = std::make_unique<storage::AuditLedger>(std::move(lo));
    options.journal = store_->journal();
    const storage::LoadStats& ls = store_->load_stats();
    ReportStatus(absl::StrCat("restoring ", ls.rows, " rows, ", ls.holds, " holds (loaded in ",
                              ls.load_ms, " ms)"));
  }
  absl::StatusOr<std::unique_ptr<engine::Engine>> engine =
      engine::Engine::Create(config_.model, options);
  if (!engine.ok()) return engine.status();
  engine_ = std::move(*engine);
  engine_->AddListener(&hub_);
  if (store_) {
    if (absl::Status st = store_->Attach(engine_.get()); !st.ok()) return st;
    const storage::LoadStats& ls = store_->load_stats();
    durability_ = absl::StrCat("redis ", store_->address(), " (loaded ", ls.rows, " rows, ",
                               ls.holds, " holds, ", ls.idempotency, " request ids in ",
                               ls.load_ms, " ms: ", ls.Describe(), ")");
  }
  return absl::OkStatus();
}

absl::Status Daemon::Impl::StartChannels() {
  // The push engine: after the restore (it compares acknowledged with published).
  ReportStatus(absl::StrCat("starting ", config_.adapters.size(), " channel adapters"));
  if (store_) {
    acks_ = std::make_unique<push::RedisAckStore>(store_->address(), config_.redis.timeout_ms,
                                                  "stockd", RedisSecurityOf(config_.redis));
  } else {
    acks_ = std::make_unique<push::MemoryAckStore>();
  }
  // A push the channel refuses as a conflict (it sold units) waits for the channel's
  // orders (docs/orders.md, "Never overwrite a sale"): until order ingestion has started,
  // nothing is ingested yet.
  absl::StatusOr<std::unique_ptr<push::PushEngine>> push = push::PushEngine::Create(
      config_.PushSlice(), engine_.get(), acks_.get(), &clock_, log::ComponentSink("push"),
      [this](const std::string& channel) -> int64_t {
        orders::Orders* o = orders_ready_.load();
        return o == nullptr ? 0 : o->IngestedUntil(channel);
      });
  if (!push.ok()) return push.status();
  push_ = std::move(*push);
  push_->set_alert_format(&api::AlertsJson);
  engine_->AddListener(push_.get());
  if (absl::Status st = push_->Start(); !st.ok()) return st;
  push_ready_.store(push_.get());

  // Order ingestion: after the push engine (the engine is restored; orders' holds are
  // announced to the push engine like any other change).
  if (store_) {
    order_store_ = std::make_unique<orders::RedisOrderStore>(
        store_->address(), config_.redis.timeout_ms, "stockd", RedisSecurityOf(config_.redis));
  } else {
    order_store_ = std::make_unique<orders::MemoryOrderStore>();
  }
  absl::StatusOr<std::unique_ptr<orders::Orders>> orders =
      orders::Orders::Create(config_.OrdersSlice(), engine_.get(), order_store_.get(), &clock_,
                             log::ComponentSink("orders"));
  if (!orders.ok()) return orders.status();
  orders_ = std::move(*orders);
  if (absl::Status st = orders_->Start(); !st.ok()) return st;
  orders_ready_.store(orders_.get());
  // Three-way reconciliation (docs/orders.md): on the push workers, orders polled from
  // the order workers' durable cursors.
  reconciler_ = std::make_unique<reconcile::Reconciler>(
      engine_.get(), push_.get(), reconcile::OrderCursor(orders_.get(), order_store_.get()),
      ReconcilePeriods(config_), &clock_, log::ComponentSink("reconcile"));
  reconciler_->Start();
  return absl::OkStatus();
}

absl::Status Daemon::Impl::StartServer() {
  // ListOrderProblems' UNMAPPED rows: the orders layer's parked orders (a test may
  // inject its own list).
  UnmappedOrdersFn unmapped = hooks_.unmapped_orders;
  if (!unmapped) {
    unmapped = [o = orders_.get()] {
      std::vector<UnmappedOrderRow> rows;
      for (orders::UnmappedOrder& u : o->ListUnmapped()) {
        rows.push_back({std::move(u.channel), std::move(u.order_id), u.revision,
                        std::move(u.listing_ids), u.since_ms});
      }
      return rows;
    };
  }

  ServiceOptions service_options;
  service_options.max_batch = config_.server.max_batch;
  service_options.config_path = config_.path;
  service_options.listen = config_.server.listen;
  service_options.write_timeout_ms = store_ ? config_.redis.timeout_ms : 0;
  service_options.max_watch_streams = config_.server.max_watch_streams;
  service_options.max_sessions = config_.server.max_sessions;
  service_options.session_inflight = config_.server.session_inflight;
  service_options.max_response_bytes = config_.server.max_response_bytes;
  service_options.audit_ledger = audit_ledger_.get();
  auth_ = std::make_unique<Authenticator>(config_.clients);
  ConfigReloader::Options ro;
  ro.running = &config_;
  ro.listen_overridden = hooks_.listen_overridden;
  ro.engine = engine_.get();
  ro.auth = auth_.get();
  ro.observer = observer_.get();
  ro.on_reloading = hooks_.reloading;
  ro.prepare_channels = [this](const config::Config& next) { return PrepareChannels(next); };
  ro.check_channels = [](const config::Config& next) {
    return push::CheckAdapters(next.PushSlice());
  };
  reloader_ = std::make_unique<ConfigReloader>(std::move(ro));
  service_ = std::make_unique<StockService>(engine_.get(), &hub_, push_.get(), service_options,
                                            std::move(unmapped), reconciler_.get(), auth_.get(),
                                            reloader_.get());

  ReportStatus(absl::StrCat("opening the gRPC listener on ", config_.server.listen));
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(config_.server.listen, ListenerCredentials(config_.server.tls), &port_);
  builder.RegisterService(service_.get());
  builder.SetMaxReceiveMessageSize(static_cast<int>(config_.server.max_request_bytes));
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS,
                             config_.server.max_concurrent_streams);
  grpc::ResourceQuota quota("stockd");
  quota.SetMaxThreads(config_.server.max_threads);
  builder.SetResourceQuota(quota);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(DecodeErrorInterceptor());
  // After DecodeErrors: it counts the status the client gets (rpc_metrics.h).
  if (observer_) interceptors.push_back(observer_->RpcInterceptor());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || (port_ == 0 && config_.server.listen.rfind("unix:", 0) != 0)) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on '", config_.server.listen, "' (address in use?)"));
  }
  server_->GetHealthCheckService()->SetServingStatus(true);
  server_->GetHealthCheckService()->SetServingStatus("stockd.v1.Stock", true);
  {
    absl::MutexLock lock(&mu_);
    health_ready_ = true;
    server_->GetHealthCheckService()->SetServingStatus(kWriteHealth, write_healthy_);
  }
  return absl::OkStatus();
}

}  // namespace stockd::server
