#include "daemon/orders/orders.h"

#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
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

Orders::~Orders() { Stop(); }

absl::StatusOr<std::unique_ptr<Orders>> Orders::Create(const config::OrdersConfig& config,
                                                       engine::Engine* engine, OrderStore* store,
                                                       const engine::Clock* clock, log::Sink log) {
  std::unique_ptr<Orders> out(new Orders());
  out->store_ = store;
  out->log_ = Redacting(std::move(log));
  const log::Sink& sink = out->log_;
  std::map<std::string, ListingMap*> maps;
  for (const config::OrderChannelConfig& c : config.channels) {
    if (!c.adapter.has_value() || c.adapter->listings_file.empty()) continue;
    absl::StatusOr<std::unique_ptr<ListingMap>> map = ListingMap::Load(c.adapter->listings_file);
    if (!map.ok()) return WithOrigin(map.status(), c);
    maps[c.channel] = map->get();
    out->maps_[c.channel] = *std::move(map);
  }
  absl::StatusOr<std::unique_ptr<OrderIngest>> ingest =
      OrderIngest::Create(engine, store, maps, clock, sink);
  if (!ingest.ok()) return ingest.status();
  out->ingest_ = *std::move(ingest);

  absl::StatusOr<WebhookReceiverOptions> receiver = ReceiverOptions(config);
  if (!receiver.ok()) return receiver.status();
  out->receiver_options_ = *std::move(receiver);
  if (!config.listen.empty() && out->receiver_options_.channels.empty() && sink) {
    sink(log::Level::kWarn, absl::StrCat("orders.listen is ", config.listen,
                                         " but no channel has orders.webhook: no receiver"));
  }

  const std::string dir =
      config.plugin_dir.empty() ? plugins::DefaultPluginDir() : config.plugin_dir;
  for (const config::OrderChannelConfig& c : config.channels) {
    if (!c.adapter.has_value() || c.poll_interval_ms == 0) continue;
    plugins::HostCallbacks host;
    host.log = [sink, channel = c.channel](int level, const std::string& msg) {
      if (sink) {
        sink(plugins::HostLogLevel(level), absl::StrCat("orders adapter[", channel, "]: ", msg));
      }
    };
    host.now_ms = [clock] { return clock->NowMs(); };
    absl::StatusOr<std::string> json =
        plugins::AdapterConfigWithChannel(c.adapter->config_json, c.channel);
    if (!json.ok()) return WithOrigin(json.status(), c);
    absl::StatusOr<std::unique_ptr<plugins::Adapter>> adapter =
        plugins::LoadPlugin(dir, c.adapter->plugin, *json, std::move(host));
    if (!adapter.ok()) return WithOrigin(adapter.status(), c);
    if (!(*adapter)->can_poll_orders()) continue;  // push only: nothing to poll
    WorkerOptions wo;
    wo.channel = c.channel;
    wo.poll_interval_ms = c.poll_interval_ms;
    wo.overlap_ms = c.overlap_ms;
    auto it = out->maps_.find(c.channel);
    ListingMap* listings = it == out->maps_.end() ? nullptr : it->second.get();
    out->workers_[c.channel] = std::make_unique<OrderWorker>(
        std::move(wo), *std::move(adapter), out->ingest_.get(), store, listings, clock, sink);
  }
  return out;
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
  receiver_ = *std::move(receiver);
  // The secrets are in the receiver now; no second copy.
  for (WebhookChannel& c : receiver_options_.channels) c.secret.clear();
  if (log_) {
    log_(log::Level::kInfo,
         absl::StrCat("orders: webhook receiver on port ", receiver_->port(), " for ",
                      absl::StrJoin(names, ", "), " (POST /orders/<channel>)"));
  }
  return absl::OkStatus();
}

absl::Status Orders::StartWorkers() {
  if (workers_.empty()) return absl::OkStatus();
  absl::StatusOr<std::map<std::string, std::string>> cursors = store_->LoadCursors();
  if (!cursors.ok()) return cursors.status();
  for (auto& [channel, worker] : workers_) {
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
  if (stopped_) return;
  stopped_ = true;
  if (receiver_) receiver_->Stop();
  for (auto& [channel, worker] : workers_) worker->Stop();
}

std::vector<WorkerStats> Orders::Stats() const {
  std::vector<WorkerStats> out;
  for (const auto& [channel, worker] : workers_) out.push_back(worker->Stats());
  return out;
}

OrderWorker* Orders::worker(const std::string& channel) const {
  auto it = workers_.find(channel);
  return it == workers_.end() ? nullptr : it->second.get();
}

int64_t Orders::IngestedUntil(const std::string& channel) const {
  const OrderWorker* w = worker(channel);
  return w == nullptr ? std::numeric_limits<int64_t>::max() : w->Stats().ingested_up_to_ms;
}

}  // namespace stockd::orders
