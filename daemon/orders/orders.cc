#include "daemon/orders/orders.h"

#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "daemon/config/channel_changes.h"
#include "daemon/plugins/adapter.h"
#include "daemon/plugins/adapter_config.h"
#include "daemon/util/redact.h"
#include "daemon/util/secret_file.h"

namespace stockd::orders {

namespace {

log::Sink Redacting(log::Sink log) {
  if (!log) return log;
  return [log = std::move(log)](log::Level level, const std::string& msg) {
    log(level, util::RedactSecrets(msg));
  };
}

absl::Status WithOrigin(const absl::Status& st, const config::OrderChannelConfig& c) {
  return absl::Status(st.code(),
                      absl::StrCat(c.origin, ": channel '", c.channel, "': ", st.message()));
}

// The receiver's options from the config: every channel with `orders.webhook`, its secret
// read now (so that a missing or readable-by-others file fails the start, not the first
// delivery).
absl::StatusOr<WebhookReceiverOptions> ReceiverOptions(const config::OrdersConfig& config) {
  WebhookReceiverOptions out;
  out.listen = config.listen;
  out.max_body_bytes = static_cast<size_t>(config.max_body_bytes);
  out.deadline_ms = config.deadline_ms;
  for (const config::OrderChannelConfig& c : config.channels) {
    if (c.webhook_signature.empty()) continue;
    if (config.listen.empty()) {
      return WithOrigin(absl::InvalidArgumentError(
                            "orders.webhook needs the receiver: set the top-level orders.listen"),
                        c);
    }
    absl::StatusOr<SignatureScheme> scheme = ParseSignatureScheme(c.webhook_signature);
    if (!scheme.ok()) return WithOrigin(scheme.status(), c);
    absl::StatusOr<std::string> secret = util::ReadSecretFile(c.webhook_secret_file);
    if (!secret.ok()) return WithOrigin(secret.status(), c);
    out.channels.push_back({c.channel, *scheme, *std::move(secret)});
  }
  return out;
}

}  // namespace

OrdersPlan::~OrdersPlan() = default;

Orders::~Orders() { Stop(); }

absl::StatusOr<std::unique_ptr<Orders>> Orders::Create(const config::OrdersConfig& config,
                                                       engine::Engine* engine, OrderStore* store,
                                                       const engine::Clock* clock, log::Sink log) {
  std::unique_ptr<Orders> out(new Orders());
  out->store_ = store;
  out->engine_ = engine;
  out->clock_ = clock;
  out->plugin_dir_ = config.plugin_dir.empty() ? plugins::DefaultPluginDir() : config.plugin_dir;
  out->listen_ = config.listen;
  out->log_ = Redacting(std::move(log));
  out->applied_ = config.channels;
  const log::Sink& sink = out->log_;
  absl::MutexLock lock(&out->mu_);
  for (const config::OrderChannelConfig& c : config.channels) {
    if (!c.adapter.has_value() || c.adapter->listings_file.empty()) continue;
    absl::StatusOr<std::unique_ptr<ListingMap>> map = ListingMap::Load(c.adapter->listings_file);
    if (!map.ok()) return WithOrigin(map.status(), c);
    out->maps_[c.channel] = *std::move(map);
  }
  absl::StatusOr<std::unique_ptr<OrderIngest>> ingest =
      OrderIngest::Create(engine, store, out->MapView(), clock, sink);
  if (!ingest.ok()) return ingest.status();
  out->ingest_ = *std::move(ingest);

  absl::StatusOr<WebhookReceiverOptions> receiver = ReceiverOptions(config);
  if (!receiver.ok()) return receiver.status();
  out->receiver_options_ = *std::move(receiver);
  if (!config.listen.empty() && out->receiver_options_.channels.empty() && sink) {
    sink(log::Level::kWarn, absl::StrCat("orders.listen is ", config.listen,
                                         " but no channel has orders.webhook: no receiver"));
  }
  for (const config::OrderChannelConfig& c : config.channels) {
    auto it = out->maps_.find(c.channel);
    absl::StatusOr<std::unique_ptr<OrderWorker>> worker =
        out->BuildWorker(c, it == out->maps_.end() ? nullptr : it->second.get());
    if (!worker.ok()) return worker.status();
    if (*worker != nullptr) out->workers_[c.channel] = *std::move(worker);
  }
  return out;
}

absl::StatusOr<std::unique_ptr<OrderWorker>> Orders::BuildWorker(
    const config::OrderChannelConfig& c, ListingMap* listings) const {
  if (!c.adapter.has_value() || c.poll_interval_ms == 0) return nullptr;
  plugins::HostCallbacks host;
  host.log = [sink = log_, channel = c.channel](int level, const std::string& msg) {
    if (sink) {
      sink(plugins::HostLogLevel(level), absl::StrCat("orders adapter[", channel, "]: ", msg));
    }
  };
  host.now_ms = [clock = clock_] { return clock->NowMs(); };
  host.count = adapter_counters_->Callback(c.channel);
  absl::StatusOr<std::string> json =
      plugins::AdapterConfigWithChannel(c.adapter->config_json, c.channel);
  if (!json.ok()) return WithOrigin(json.status(), c);
  absl::StatusOr<std::unique_ptr<plugins::Adapter>> adapter =
      plugins::LoadPlugin(plugin_dir_, c.adapter->plugin, *json, std::move(host));
  if (!adapter.ok()) return WithOrigin(adapter.status(), c);
  if (!(*adapter)->can_poll_orders()) return nullptr;  // push only: nothing to poll
  WorkerOptions wo;
  wo.channel = c.channel;
  wo.poll_interval_ms = c.poll_interval_ms;
  wo.overlap_ms = c.overlap_ms;
  return std::make_unique<OrderWorker>(std::move(wo), *std::move(adapter), ingest_.get(), store_,
                                       listings, clock_, log_);
}

std::map<std::string, ListingMap*> Orders::MapView() const {
  std::map<std::string, ListingMap*> view;
  for (const auto& [channel, map] : maps_) view[channel] = map.get();
  return view;
}

absl::Status Orders::Start() {
  if (absl::Status st = StartWorkers(); !st.ok()) return st;
  if (receiver_options_.channels.empty()) return absl::OkStatus();
  std::vector<std::string> names;
  for (const WebhookChannel& c : receiver_options_.channels) names.push_back(c.channel);
  absl::StatusOr<std::unique_ptr<WebhookReceiver>> receiver =
      WebhookReceiver::Start(receiver_options_, ingest_.get(), log_);
  if (!receiver.ok()) {
    return absl::Status(receiver.status().code(),
                        absl::StrCat("orders.listen: ", receiver.status().message()));
  }
  const int port = (*receiver)->port();
  {
    absl::MutexLock lock(&mu_);
    receiver_ = *std::move(receiver);
  }
  // The secrets are in the receiver now; no second copy.
  for (WebhookChannel& c : receiver_options_.channels) c.secret.clear();
  if (log_) {
    log_(log::Level::kInfo, absl::StrCat("orders: webhook receiver on port ", port, " for ",
                                         absl::StrJoin(names, ", "), " (POST /orders/<channel>)"));
  }
  return absl::OkStatus();
}

absl::Status Orders::StartWorkers() {
  std::map<std::string, std::shared_ptr<OrderWorker>> workers;
  {
    absl::MutexLock lock(&mu_);
    workers = workers_;
  }
  if (workers.empty()) return absl::OkStatus();
  absl::StatusOr<std::map<std::string, std::string>> cursors = store_->LoadCursors();
  if (!cursors.ok()) return cursors.status();
  for (auto& [channel, worker] : workers) {
    auto it = cursors->find(channel);
    const bool stored = it != cursors->end();
    worker->SetCursor(stored ? it->second : "");
    if (log_) {
      log_(log::Level::kInfo,
           absl::StrCat("orders[", channel, "]: polling from ",
                        stored ? "the stored cursor" : "the start of the channel's change log"));
    }
    worker->Start();
  }
  return absl::OkStatus();
}

void Orders::Stop() {
  WebhookReceiver* receiver = nullptr;
  std::map<std::string, std::shared_ptr<OrderWorker>> workers;
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return;
    stopped_ = true;
    receiver = receiver_.get();
    workers = workers_;
  }
  // Outside the lock: a receiver answers its requests in progress first.
  if (receiver != nullptr) receiver->Stop();
  for (auto& [channel, worker] : workers) worker->Stop();
}

absl::StatusOr<OrdersPlan> Orders::Prepare(const config::OrdersConfig& next) const {
  OrdersPlan plan;
  plan.channels = next.channels;
  auto find = [](const std::vector<config::OrderChannelConfig>& all, const std::string& channel) {
    const config::OrderChannelConfig* found = nullptr;
    for (const config::OrderChannelConfig& c : all) {
      if (c.channel == channel) found = &c;
    }
    return found;
  };
  const config::OrderChannelConfig none;
  for (const config::OrderChannelConfig& c : applied_) {
    if (find(next.channels, c.channel) == nullptr) plan.rebuilt.push_back(c.channel);
  }
  bool needs_stored_cursor = false;
  for (const config::OrderChannelConfig& c : next.channels) {
    const config::OrderChannelConfig* running = find(applied_, c.channel);
    if (!config::PollerChanged(running == nullptr ? none : *running, c)) continue;
    plan.rebuilt.push_back(c.channel);
    ListingMap* listings = nullptr;
    if (c.adapter.has_value() && !c.adapter->listings_file.empty()) {
      absl::StatusOr<std::unique_ptr<ListingMap>> map = ListingMap::Load(c.adapter->listings_file);
      if (!map.ok()) return WithOrigin(map.status(), c);
      listings = map->get();
      plan.maps[c.channel] = *std::move(map);
    }
    absl::StatusOr<std::unique_ptr<OrderWorker>> built = BuildWorker(c, listings);
    if (!built.ok()) return built.status();
    if (*built == nullptr) continue;
    needs_stored_cursor = needs_stored_cursor || worker(c.channel) == nullptr;
    plan.workers[c.channel] = *std::move(built);
  }
  if (needs_stored_cursor) {
    absl::StatusOr<std::map<std::string, std::string>> cursors = store_->LoadCursors();
    if (!cursors.ok()) {
      return absl::UnavailableError(
          absl::StrCat("cannot read the stored order cursors: ", cursors.status().message()));
    }
    plan.stored_cursors = *std::move(cursors);
  }

  // The routes are rebuilt at every reload: a secret file's new content is taken too.
  bool receiver_runs;
  {
    absl::MutexLock lock(&mu_);
    receiver_runs = receiver_ != nullptr;
  }
  config::OrdersConfig routed = next;
  routed.listen = listen_;
  for (const config::OrderChannelConfig& c : next.channels) {
    if (!c.webhook_signature.empty() && listen_.empty()) {
      return WithOrigin(absl::FailedPreconditionError(
                            "orders.webhook needs the webhook receiver, which starts with the "
                            "daemon: orders.listen takes effect at the next restart"),
                        c);
    }
  }
  absl::StatusOr<WebhookReceiverOptions> options = ReceiverOptions(routed);
  if (!options.ok()) return options.status();
  if (!receiver_runs && !options->channels.empty()) {
    options->max_body_bytes = receiver_options_.max_body_bytes;
    options->deadline_ms = receiver_options_.deadline_ms;
    absl::StatusOr<std::unique_ptr<WebhookReceiver>> receiver =
        WebhookReceiver::Start(*options, ingest_.get(), log_);
    if (!receiver.ok()) {
      return absl::Status(receiver.status().code(),
                          absl::StrCat("orders.listen: ", receiver.status().message()));
    }
    plan.receiver = *std::move(receiver);
  } else if (receiver_runs) {
    plan.routes = std::move(options->channels);
  }
  return plan;
}

void Orders::Commit(OrdersPlan plan) {
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return;  // dropping the plan unloads it
  }
  // The replaced pollers stop first (after their adapter call, interrupted), each in
  // place until its successor takes over: IngestedUntil never answers "not polled" for a
  // channel that still is.
  std::map<std::string, std::string> cursors;
  for (const std::string& channel : plan.rebuilt) {
    if (std::shared_ptr<OrderWorker> old = worker(channel)) {
      old->Stop();
      cursors[channel] = old->Stats().cursor;
    }
  }
  std::vector<std::unique_ptr<ListingMap>> released;
  std::vector<std::shared_ptr<OrderWorker>> started;
  {
    absl::MutexLock lock(&mu_);
    for (const std::string& channel : plan.rebuilt) {
      if (auto it = maps_.find(channel); it != maps_.end()) {
        released.push_back(std::move(it->second));
        maps_.erase(it);
      }
      if (auto it = plan.maps.find(channel); it != plan.maps.end()) {
        maps_[channel] = std::move(it->second);
      }
      workers_.erase(channel);
      if (auto it = plan.workers.find(channel); it != plan.workers.end()) {
        std::shared_ptr<OrderWorker> w = std::move(it->second);
        // The predecessor's durable cursor, else the stored one, else the log's start.
        std::string from;
        if (auto c = cursors.find(channel); c != cursors.end()) {
          from = c->second;
        } else if (auto d = plan.stored_cursors.find(channel); d != plan.stored_cursors.end()) {
          from = d->second;
        }
        w->SetCursor(std::move(from));
        workers_[channel] = w;
        started.push_back(std::move(w));
      }
    }
    // The ingest stops using the released maps before they go.
    ingest_->SetMaps(MapView());
  }
  released.clear();
  for (const std::shared_ptr<OrderWorker>& w : started) {
    w->Start();
    if (log_)
      log_(log::Level::kInfo, absl::StrCat("orders[", w->channel(), "]: poller (re)started"));
  }
  for (const std::string& channel : plan.rebuilt) {
    if (plan.workers.count(channel) == 0 && log_ && cursors.count(channel) > 0) {
      log_(log::Level::kInfo, absl::StrCat("orders[", channel, "]: polling stopped"));
    }
  }
  if (plan.receiver != nullptr) {
    if (log_) {
      log_(log::Level::kInfo,
           absl::StrCat("orders: webhook receiver on port ", plan.receiver->port()));
    }
    absl::MutexLock lock(&mu_);
    receiver_ = std::move(plan.receiver);
  } else if (plan.routes.has_value()) {
    absl::MutexLock lock(&mu_);
    if (absl::Status st = receiver_->SetChannels(*plan.routes); !st.ok() && log_) {
      log_(log::Level::kError, absl::StrCat("orders: webhook routes kept: ", st.message()));
    }
  }
  applied_ = std::move(plan.channels);
}

int Orders::webhook_port() const {
  absl::MutexLock lock(&mu_);
  return receiver_ ? receiver_->port() : 0;
}

std::vector<WorkerStats> Orders::Stats() const {
  std::vector<std::shared_ptr<OrderWorker>> workers;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [channel, worker] : workers_) workers.push_back(worker);
  }
  std::vector<WorkerStats> out;
  for (const std::shared_ptr<OrderWorker>& w : workers) out.push_back(w->Stats());
  return out;
}

std::shared_ptr<OrderWorker> Orders::worker(const std::string& channel) const {
  absl::MutexLock lock(&mu_);
  auto it = workers_.find(channel);
  return it == workers_.end() ? nullptr : it->second;
}

int64_t Orders::IngestedUntil(const std::string& channel) const {
  const std::shared_ptr<OrderWorker> w = worker(channel);
  return w == nullptr ? std::numeric_limits<int64_t>::max() : w->Stats().ingested_up_to_ms;
}

}  // namespace stockd::orders
