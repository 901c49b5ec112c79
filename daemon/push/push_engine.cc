#include "daemon/push/push_engine.h"

#include <pthread.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "daemon/plugins/adapter.h"
#include "daemon/plugins/adapter_config.h"
#include "daemon/plugins/listings.h"
#include "daemon/util/redact.h"

namespace stockd::push {

namespace {

// The adapter's listings file read (empty without one); errors start with the entry's
// file:line.
absl::StatusOr<absl::flat_hash_map<std::string, std::string>> Listings(
    const config::AdapterConfig& a) {
  if (a.listings_file.empty()) return absl::flat_hash_map<std::string, std::string>();
  absl::StatusOr<absl::flat_hash_map<std::string, std::string>> listings =
      plugins::ReadListings(a.listings_file);
  if (!listings.ok()) {
    return absl::Status(
        listings.status().code(),
        absl::StrCat(a.origin, ": channel '", a.channel, "': ", listings.status().message()));
  }
  return listings;
}

// One adapter's check: its plugin loadable (that error's own code), its config accepted by
// the plugin (INVALID_ARGUMENT), its listings file readable (that error's code). The
// message starts with where in the file the problem is.
absl::Status CheckAdapter(const std::string& dir, const config::AdapterConfig& a) {
  absl::StatusOr<std::string> config_json =
      plugins::AdapterConfigWithChannel(a.config_json, a.channel);
  if (!config_json.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(a.config_origin, ": ", config_json.status().message()));
  }
  absl::StatusOr<bool> checked = plugins::ValidatePluginConfig(dir, a.plugin, *config_json);
  if (!checked.ok()) {
    // The plugin's verdict on its config, or why the plugin could not be asked.
    const bool rejected = checked.status().code() == absl::StatusCode::kInvalidArgument;
    return absl::Status(checked.status().code(),
                        absl::StrCat(rejected ? a.config_origin : a.plugin_origin, ": ",
                                     checked.status().message()));
  }
  return Listings(a).status();
}

std::string PluginDir(const config::PushConfig& config) {
  return config.plugin_dir.empty() ? plugins::DefaultPluginDir() : config.plugin_dir;
}

}  // namespace

absl::Status CheckAdapterConfigs(const config::PushConfig& config) {
  const std::string dir = PluginDir(config);
  std::vector<std::string> errors;
  for (const config::AdapterConfig& a : config.adapters) {
    if (absl::Status st = CheckAdapter(dir, a); !st.ok()) errors.emplace_back(st.message());
  }
  if (errors.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrJoin(errors, "\n"));
}

absl::Status CheckAdapters(const config::PushConfig& config) {
  const std::string dir = PluginDir(config);
  for (const config::AdapterConfig& a : config.adapters) {
    if (absl::Status st = CheckAdapter(dir, a); !st.ok()) return st;
  }
  return absl::OkStatus();
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

PushEngine::PushEngine(engine::Engine* engine, AckStore* acks, const engine::Clock* clock,
                       std::string plugin_dir, log::Sink log,
                       std::function<int64_t(const std::string&)> orders_ingested_until)
    : engine_(engine),
      acks_(acks),
      clock_(clock),
      plugin_dir_(std::move(plugin_dir)),
      log_(std::move(log)),
      orders_ingested_until_(std::move(orders_ingested_until)) {}

PushEngine::~PushEngine() { Stop(); }

absl::StatusOr<std::unique_ptr<PushEngine>> PushEngine::Create(
    const config::PushConfig& config, engine::Engine* engine, AckStore* acks,
    const engine::Clock* clock, log::Sink log,
    std::function<int64_t(const std::string&)> orders_ingested_until) {
  std::unique_ptr<PushEngine> pe(new PushEngine(engine, acks, clock, PluginDir(config),
                                                Redacting(std::move(log)),
                                                std::move(orders_ingested_until)));
  absl::MutexLock lock(&pe->mu_);
  absl::MutexLock pushers_lock(&pe->pushers_mu_);
  for (const config::AdapterConfig& a : config.adapters) {
    absl::StatusOr<AdapterPlan::Built> built = pe->Build(a);
    if (!built.ok()) return built.status();
    pe->reconcile_interval_ms_[a.channel] = a.reconcile_interval_ms;
    pe->pushers_[a.channel] = Running{std::move(built->pusher), std::move(built->alerts), a};
  }
  return pe;
}

plugins::HostCallbacks PushEngine::Host(const std::string& channel) const {
  plugins::HostCallbacks host;
  host.log = [log = log_, channel](int level, const std::string& msg) {
    if (log) log(plugins::HostLogLevel(level), absl::StrCat("adapter[", channel, "]: ", msg));
  };
  host.now_ms = [clock = clock_] { return clock->NowMs(); };
  host.count = adapter_counters_->Callback(channel);
  return host;
}

absl::StatusOr<AdapterPlan::Built> PushEngine::Build(const config::AdapterConfig& a) const {
  absl::StatusOr<std::string> config_json =
      plugins::AdapterConfigWithChannel(a.config_json, a.channel);
  if (!config_json.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(a.origin, ": channel '", a.channel, "': ", config_json.status().message()));
  }
  absl::StatusOr<std::unique_ptr<Adapter>> adapter =
      plugins::LoadPlugin(plugin_dir_, a.plugin, *config_json, Host(a.channel));
  if (!adapter.ok()) {
    return absl::Status(adapter.status().code(), absl::StrCat(a.origin, ": channel '", a.channel,
                                                              "': ", adapter.status().message()));
  }
  AdapterPlan::Built built;
  built.config = a;
  if ((*adapter)->takes_alerts()) {
    // An instance of its own: alerts go out on their own thread, never behind pushes.
    absl::StatusOr<std::unique_ptr<Adapter>> sender =
        plugins::LoadPlugin(plugin_dir_, a.plugin, *config_json, Host(a.channel));
    if (!sender.ok()) {
      return absl::Status(sender.status().code(), absl::StrCat(a.origin, ": channel '", a.channel,
                                                               "': ", sender.status().message()));
    }
    built.alerts = std::make_unique<AlertSender>(a.channel, std::move(*sender), a.retry_initial_ms,
                                                 a.retry_max_ms, clock_, log_);
  }
  PusherOptions po;
  po.channel = a.channel;
  po.max_batch = a.max_batch;
  po.rate_per_second = a.rate_per_second;
  po.burst = a.burst;
  po.retry_initial_ms = a.retry_initial_ms;
  po.retry_max_ms = a.retry_max_ms;
  po.coalesce_window_ms = a.coalesce_window_ms;
  po.log = log_;
  if (orders_ingested_until_) {
    po.orders_ingested_until = [until = orders_ingested_until_, channel = a.channel] {
      return until(channel);
    };
  }
  absl::StatusOr<absl::flat_hash_map<std::string, std::string>> listings = Listings(a);
  if (!listings.ok()) return listings.status();
  po.listings = *std::move(listings);
  built.pusher = std::make_unique<ChannelPusher>(std::move(po), std::move(*adapter), acks_, clock_);
  return built;
}

std::vector<std::pair<std::string, int64_t>> PushEngine::Desired(const std::string& channel) const {
  std::vector<std::pair<std::string, int64_t>> out;
  engine_->ForEachPublished({channel}, {}, [&out](const engine::PublishedChange& c) {
    out.emplace_back(c.sku, c.published);
  });
  return out;
}

int64_t PushEngine::Fill(ChannelPusher* pusher, const ShownMap& acked) {
  pusher->LoadAcked(acked);
  int64_t queued = 0;
  for (const auto& [sku, published] : Desired(pusher->channel())) {
    auto a = acked.find(sku);
    // Never pushed and nothing to show: the channel has nothing to learn.
    if (a == acked.end() ? published > 0 : a->second != published) {
      pusher->Offer(sku, published);
      ++queued;
    }
  }
  pusher->Start();
  return queued;
}

absl::Status PushEngine::Start() {
  {
    absl::MutexLock lock(&mu_);
    if (started_ || stopping_) return absl::OkStatus();
    started_ = true;
  }
  if (!empty()) {
    absl::StatusOr<AckMap> acked = acks_->LoadAll();
    if (!acked.ok()) return acked.status();
    absl::MutexLock lock(&pushers_mu_);
    for (auto& [channel, running] : pushers_) {
      ShownMap mine;
      if (auto it = acked->find(channel); it != acked->end()) mine = std::move(it->second);
      const size_t acknowledged = mine.size();
      const int64_t queued = Fill(running.pusher.get(), std::move(mine));
      if (running.alerts) running.alerts->Start();
      if (log_) {
        log_(log::Level::kInfo, absl::StrCat("push[", channel, "]: ", acknowledged,
                                             " acknowledged, ", queued, " to push at start"));
      }
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
  for (const std::shared_ptr<ChannelPusher>& pusher : Snapshot()) pusher->Stop();
  for (const std::shared_ptr<AlertSender>& sender : AlertSenders()) sender->Stop();
}

std::vector<std::shared_ptr<AlertSender>> PushEngine::AlertSenders() const {
  std::vector<std::shared_ptr<AlertSender>> out;
  absl::ReaderMutexLock lock(&pushers_mu_);
  for (const auto& [channel, r] : pushers_) {
    if (r.alerts) out.push_back(r.alerts);
  }
  return out;
}

std::vector<std::pair<std::string, AlertSenderStats>> PushEngine::AlertStats() const {
  std::vector<std::pair<std::string, AlertSenderStats>> out;
  for (const std::shared_ptr<AlertSender>& s : AlertSenders()) {
    out.emplace_back(s->channel(), s->Stats());
  }
  return out;
}

void PushEngine::OnAlerts(const std::vector<engine::AlertEvent>& alerts) {
  if (!alert_format_) return;
  const std::shared_ptr<const engine::Model> model = engine_->model();
  absl::ReaderMutexLock lock(&pushers_mu_);
  for (const auto& [channel, running] : pushers_) {
    if (!running.alerts) continue;
    const int c = model->ChannelIndex(channel);
    std::vector<engine::AlertEvent> mine;
    for (const engine::AlertEvent& a : alerts) {
      bool concerns = a.channel.empty() ? a.location.empty() : a.channel == channel;
      if (!concerns && a.channel.empty() && c >= 0) {
        const int l = model->LocationIndex(a.location);
        const std::vector<int>& sources = model->channels[c].sources;
        concerns = std::find(sources.begin(), sources.end(), l) != sources.end();
      }
      if (concerns) mine.push_back(a);
    }
    if (!mine.empty()) running.alerts->Offer(alert_format_(mine));
  }
}

std::vector<std::shared_ptr<ChannelPusher>> PushEngine::Snapshot() const {
  std::vector<std::shared_ptr<ChannelPusher>> out;
  absl::ReaderMutexLock lock(&pushers_mu_);
  for (const auto& [channel, r] : pushers_) out.push_back(r.pusher);
  return out;
}

bool PushEngine::empty() const {
  absl::ReaderMutexLock lock(&pushers_mu_);
  return pushers_.empty();
}

void PushEngine::OnPublishedChanges(const std::vector<engine::PublishedChange>& changes) {
  absl::ReaderMutexLock lock(&pushers_mu_);
  if (pushers_.empty()) return;
  for (const engine::PublishedChange& c : changes) {
    auto it = pushers_.find(c.channel);
    if (it != pushers_.end()) it->second.pusher->Offer(c.sku, c.published);
  }
}

void PushEngine::OfferAll() {
  // Exclusive: no journal offer interleaves with the published quantities read here.
  absl::MutexLock lock(&pushers_mu_);
  for (auto& [channel, running] : pushers_) {
    for (const auto& [sku, published] : Desired(channel)) running.pusher->Offer(sku, published);
  }
}

void PushEngine::Resync(const std::string& channel, bool force, ChannelPusher::ResyncDone done) {
  if (engine_->model()->ChannelIndex(channel) < 0) {
    done(absl::NotFoundError(absl::StrCat("unknown channel '", channel, "'")));
    return;
  }
  std::shared_ptr<ChannelPusher> p = pusher(channel);
  if (p == nullptr) {
    done(absl::FailedPreconditionError(
        absl::StrCat("channel '", channel, "' has no adapter to resync")));
    return;
  }
  p->Resync(
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
  for (const std::shared_ptr<ChannelPusher>& p : Snapshot()) out.push_back(p->Stats());
  return out;
}

std::shared_ptr<ChannelPusher> PushEngine::pusher(const std::string& channel) const {
  absl::ReaderMutexLock lock(&pushers_mu_);
  auto it = pushers_.find(channel);
  return it == pushers_.end() ? nullptr : it->second.pusher;
}

void PushEngine::ReconcileLoop() {
  struct Timer {
    int64_t interval = 0;
    int64_t due = 0;
  };
  std::map<std::string, Timer> timers;
  int64_t elapsed_ms = 0;
  for (;;) {
    std::vector<std::string> due;
    {
      absl::MutexLock lock(&mu_);
      if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), absl::Seconds(1))) return;
      elapsed_ms += 1000;
      // A reload may have added, removed or re-timed a channel: a new period starts now.
      for (auto it = timers.begin(); it != timers.end();) {
        it = reconcile_interval_ms_.count(it->first) > 0 ? std::next(it) : timers.erase(it);
      }
      for (const auto& [channel, interval] : reconcile_interval_ms_) {
        Timer& t = timers[channel];
        if (t.interval != interval) t = Timer{interval, elapsed_ms - 1000 + interval};
        if (t.interval <= 0 || elapsed_ms < t.due) continue;
        t.due = elapsed_ms + t.interval;
        due.push_back(channel);
      }
    }
    for (const std::string& channel : due) {
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
