#include "daemon/push/push_engine.h"

#include <pthread.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "daemon/plugins/adapter.h"
#include "daemon/plugins/adapter_config.h"
#include "daemon/plugins/listings.h"
#include "daemon/util/redact.h"

namespace stockd::push {

absl::Status CheckAdapterConfigs(const config::PushConfig& config) {
  const std::string dir =
      config.plugin_dir.empty() ? plugins::DefaultPluginDir() : config.plugin_dir;
  std::vector<std::string> errors;
  for (const config::AdapterConfig& a : config.adapters) {
    absl::StatusOr<std::string> config_json =
        plugins::AdapterConfigWithChannel(a.config_json, a.channel);
    if (!config_json.ok()) {
      errors.push_back(absl::StrCat(a.config_origin, ": ", config_json.status().message()));
      continue;
    }
    absl::StatusOr<bool> checked = plugins::ValidatePluginConfig(dir, a.plugin, *config_json);
    if (checked.ok()) continue;
    // The plugin's verdict on its config, or why the plugin could not be asked.
    const bool rejected = checked.status().code() == absl::StatusCode::kInvalidArgument;
    errors.push_back(absl::StrCat(rejected ? a.config_origin : a.plugin_origin, ": ",
                                  checked.status().message()));
  }
  if (errors.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrJoin(errors, "\n"));
}

namespace {

// Every line the push engine logs, its own or an adapter's, goes out redacted.
log::Sink Redacting(log::Sink log) {
  if (!log) return log;
  return [log = std::move(log)](log::Level level, const std::string& msg) {
    log(level, util::RedactSecrets(msg));
  };
}

}  // namespace

PushEngine::PushEngine(engine::Engine* engine, AckStore* acks, log::Sink log)
    : engine_(engine), acks_(acks), log_(std::move(log)) {}

PushEngine::~PushEngine() { Stop(); }

absl::StatusOr<std::unique_ptr<PushEngine>> PushEngine::Create(const config::PushConfig& config,
                                                               engine::Engine* engine,
                                                               AckStore* acks,
                                                               const engine::Clock* clock,
                                                               log::Sink log,
                                                               std::function<int64_t(const std::string&)>
                                                                   orders_ingested_until) {
  log = Redacting(std::move(log));
  std::unique_ptr<PushEngine> pe(new PushEngine(engine, acks, log));
  const std::string dir =
      config.plugin_dir.empty() ? plugins::DefaultPluginDir() : config.plugin_dir;
  for (const config::AdapterConfig& a : config.adapters) {
    plugins::HostCallbacks host;
    host.log = [log, channel = a.channel](int level, const std::string& msg) {
      if (log) {
        log(plugins::HostLogLevel(level), absl::StrCat("adapter[", channel, "]: ", msg));
      }
    };
    host.now_ms = [clock] { return clock->NowMs(); };
    absl::StatusOr<std::string> config_json =
        plugins::AdapterConfigWithChannel(a.config_json, a.channel);
    if (!config_json.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(a.origin, ": channel '", a.channel, "': ", config_json.status().message()));
    }
    absl::StatusOr<std::unique_ptr<Adapter>> adapter =
        plugins::LoadPlugin(dir, a.plugin, *config_json, std::move(host));
    if (!adapter.ok()) {
      return absl::Status(adapter.status().code(), absl::StrCat(a.origin, ": channel '", a.channel,
                                                                "': ", adapter.status().message()));
    }
    PusherOptions po;
    po.channel = a.channel;
    po.max_batch = a.max_batch;
    po.rate_per_second = a.rate_per_second;
    po.burst = a.burst;
    po.retry_initial_ms = a.retry_initial_ms;
    po.retry_max_ms = a.retry_max_ms;
    po.coalesce_window_ms = a.coalesce_window_ms;
    po.log = log;
    if (orders_ingested_until) {
      po.orders_ingested_until = [orders_ingested_until, channel = a.channel] {
        return orders_ingested_until(channel);
      };
    }
    if (!a.listings_file.empty()) {
      absl::StatusOr<absl::flat_hash_map<std::string, std::string>> listings =
          plugins::ReadListings(a.listings_file);
      if (!listings.ok()) return listings.status();
      po.listings = std::move(*listings);
    }
    pe->reconcile_interval_ms_[a.channel] = a.reconcile_interval_ms;
    pe->pushers_[a.channel] =
        std::make_unique<ChannelPusher>(std::move(po), std::move(*adapter), acks, clock);
  }
  return pe;
}

std::vector<std::pair<std::string, int64_t>> PushEngine::Desired(const std::string& channel) const {
  std::vector<std::pair<std::string, int64_t>> out;
  engine_->ForEachPublished({channel}, {}, [&out](const engine::PublishedChange& c) {
    out.emplace_back(c.sku, c.published);
  });
  return out;
}

absl::Status PushEngine::Start() {
  if (pushers_.empty()) return absl::OkStatus();
  absl::StatusOr<AckMap> acked = acks_->LoadAll();
  if (!acked.ok()) return acked.status();
  for (auto& [channel, pusher] : pushers_) {
    auto it = acked->find(channel);
    absl::flat_hash_map<std::string, int64_t> mine;
    if (it != acked->end()) mine = std::move(it->second);
    pusher->LoadAcked(mine);
    int64_t queued = 0;
    for (const auto& [sku, published] : Desired(channel)) {
      auto a = mine.find(sku);
      // Never pushed and nothing to show: the channel has nothing to learn.
      if (a == mine.end() ? published > 0 : a->second != published) {
        pusher->Offer(sku, published);
        ++queued;
      }
    }
    pusher->Start();
    if (log_) {
      log_(log::Level::kInfo, absl::StrCat("push[", channel, "]: ", mine.size(), " acknowledged, ",
                                           queued, " to push at start"));
    }
  }
  reconciler_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "stockd-reconcil");
    ReconcileLoop();
  });
  return absl::OkStatus();
}

void PushEngine::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  if (reconciler_.joinable()) reconciler_.join();
  for (auto& [channel, pusher] : pushers_) pusher->Stop();
}

void PushEngine::OnPublishedChanges(const std::vector<engine::PublishedChange>& changes) {
  for (const engine::PublishedChange& c : changes) {
    auto it = pushers_.find(c.channel);
    if (it != pushers_.end()) it->second->Offer(c.sku, c.published);
  }
}

void PushEngine::OfferAll() {
  for (auto& [channel, pusher] : pushers_) {
    for (const auto& [sku, published] : Desired(channel)) pusher->Offer(sku, published);
  }
}

void PushEngine::Resync(const std::string& channel, bool force, ChannelPusher::ResyncDone done) {
  if (engine_->model()->ChannelIndex(channel) < 0) {
    done(absl::NotFoundError(absl::StrCat("unknown channel '", channel, "'")));
    return;
  }
  auto it = pushers_.find(channel);
  if (it == pushers_.end()) {
    done(absl::FailedPreconditionError(
        absl::StrCat("channel '", channel, "' has no adapter to resync")));
    return;
  }
  it->second->Resync(
      [this, channel] { return Desired(channel); }, force,
      [this, channel, done = std::move(done)](absl::StatusOr<DriftReport> r) {
        if (log_ && r.ok()) {
          log_(r->drifted > 0 ? log::Level::kWarn : log::Level::kInfo,
               absl::StrCat("resync[", channel, "]: ", r->checked, " checked, ", r->drifted,
                            " drifted",
                            r->fetched ? " (channel's own numbers)" : " (acknowledged numbers)"));
        }
        done(std::move(r));
      });
}

std::vector<PusherStats> PushEngine::Stats() const {
  std::vector<PusherStats> out;
  for (const auto& [channel, pusher] : pushers_) out.push_back(pusher->Stats());
  return out;
}

ChannelPusher* PushEngine::pusher(const std::string& channel) const {
  auto it = pushers_.find(channel);
  return it == pushers_.end() ? nullptr : it->second.get();
}

void PushEngine::ReconcileLoop() {
  std::map<std::string, int64_t> next_ms;
  for (const auto& [channel, interval] : reconcile_interval_ms_) {
    if (interval > 0) next_ms[channel] = interval;
  }
  if (next_ms.empty()) return;
  int64_t elapsed_ms = 0;
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), absl::Seconds(1))) return;
    }
    elapsed_ms += 1000;
    for (auto& [name, due] : next_ms) {
      if (elapsed_ms < due) continue;
      due = elapsed_ms + reconcile_interval_ms_[name];
      const std::string channel = name;  // a copy: clang 14 cannot capture a structured binding
      // Queued on the channel's worker; this timer never waits for a (maybe hung) channel.
      Resync(channel, /*force=*/false, [this, channel](absl::StatusOr<DriftReport> r) {
        if (!r.ok() && log_) {
          log_(log::Level::kWarn, absl::StrCat("reconcile[", channel, "]: ", r.status().message()));
        }
      });
    }
  }
}

}  // namespace stockd::push
