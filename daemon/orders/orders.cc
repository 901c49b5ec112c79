#include "daemon/orders/orders.h"

#include <limits>

#include <utility>

#include "absl/strings/str_cat.h"
#include "daemon/plugins/adapter.h"
#include "daemon/plugins/adapter_config.h"
#include "daemon/util/redact.h"

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

  const std::string dir =
      config.plugin_dir.empty() ? plugins::DefaultPluginDir() : config.plugin_dir;
  for (const config::OrderChannelConfig& c : config.channels) {
    if (!c.adapter.has_value() || c.poll_interval_ms == 0) continue;
    plugins::HostCallbacks host;
    host.log = [sink, channel = c.channel](int level, const std::string& msg) {
      if (sink) {
        sink(level >= 3   ? log::Level::kError
             : level == 2 ? log::Level::kWarn
                          : log::Level::kInfo,
             absl::StrCat("orders adapter[", channel, "]: ", msg));
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
