// The push engine: one ChannelPusher per channel that has an adapter. It listens to the
// engine's published-quantity changes (after durability) and offers them to the
// channel's pusher; at start it compares what every channel acknowledged (AckStore)
// with what it should show and queues the differences, so a restart resumes the sync
// without re-sending what was acknowledged. It also runs periodic reconciliation.
//
// Every message it logs for itself or for an adapter passes through util::RedactSecrets.
//
// Thread safety: OnPublishedChanges, OfferAll, Resync, Stats and pusher are thread-safe;
// Start, Stop, Prepare and Commit from the owner (one at a time).
#ifndef STOCKD_DAEMON_PUSH_PUSH_ENGINE_H_
#define STOCKD_DAEMON_PUSH_PUSH_ENGINE_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "daemon/config/slices.h"
#include "daemon/engine/engine.h"
#include "daemon/push/ack_store.h"
#include "daemon/push/alert_sender.h"
#include "daemon/plugins/adapter_config.h"
#include "daemon/plugins/adapter_counters.h"
#include "daemon/push/channel_pusher.h"
#include "daemon/util/log.h"

namespace stockd::push {

// What a new config changes in the adapters, loaded and ready to commit (PushEngine::Prepare).
// Dropping it unapplied unloads what it loaded.
class AdapterPlan {
 public:
  AdapterPlan() = default;
  AdapterPlan(AdapterPlan&&) = default;
  AdapterPlan& operator=(AdapterPlan&&) = default;
  ~AdapterPlan();

 private:
  friend class PushEngine;
  struct Built {
    std::unique_ptr<ChannelPusher> pusher;
    std::unique_ptr<AlertSender> alerts;  // null: the adapter takes no alerts
    config::AdapterConfig config;
    bool replaces = false;  // the channel has a pusher now: the new one takes its acks
  };
  std::map<std::string, Built> built_;     // added, or changed in what the pusher is
  std::vector<std::string> stopped_;       // removed
  std::map<std::string, config::AdapterConfig> periods_;  // only the periods change
  AckMap acked_;  // the added channels' stored acknowledgements
};

class PushEngine final : public engine::ChangeListener {
 public:
  // Loads every configured adapter plugin and its listings file. Any failure (missing
  // plugin, ABI mismatch, rejected config, bad listings file) is returned: a daemon
  // does not start with a channel it cannot serve. `engine`, `acks`, `clock` not owned.
  // `orders_ingested_until(channel)`: how far that channel's orders are ingested (see
  // PusherOptions::orders_ingested_until); empty = no channel's orders are ingested.
  static absl::StatusOr<std::unique_ptr<PushEngine>> Create(
      const config::PushConfig& config, engine::Engine* engine, AckStore* acks,
      const engine::Clock* clock, log::Sink log,
      std::function<int64_t(const std::string&)> orders_ingested_until = {});
  ~PushEngine() override;  // Stop()

  // Loads acknowledged quantities, queues what differs from the engine's published
  // quantities, starts the workers and the reconcile timer.
  absl::Status Start();
  // Stops the reconcile timer and every pusher: queued Resyncs are answered UNAVAILABLE,
  // adapter calls in flight are interrupted. Returns promptly even if a channel hangs.
  void Stop();

  // Live reload (docs/reload.md): what `next` changes compared with the running adapters
  // (config::PusherChanged), loaded — plugins, listings files, the added channels'
  // stored acknowledgements — and nothing changed yet. The errors Create returns, and
  // UNAVAILABLE when the acknowledgements cannot be read; then nothing is applied.
  // `next.plugin_dir` is ignored (a restart-only key). One Prepare/Commit at a time.
  absl::StatusOr<AdapterPlan> Prepare(const config::PushConfig& next) const;
  // Applies a plan, after the engine took the new model (a new channel's SKUs are then
  // published): a removed or changed channel's pusher is stopped (queued Resyncs answer
  // UNAVAILABLE, its adapter call is interrupted); an added one gets its stored
  // acknowledgements, a changed one its predecessor's, and each is queued what differs
  // from what the channel should show, then started. The periods change in place.
  void Commit(AdapterPlan plan);

  // Called on the journal's thread, in durability order.
  void OnPublishedChanges(const std::vector<engine::PublishedChange>& changes) override;
  // A mutation's stock alerts, to every adapter that takes alerts (docs/alerts.md): those
  // of its channel (sold out, back in stock, breach), those of a location it sells from
  // (reorder, uncovered) and the SKU-wide reorder alerts, as one JSON array each.
  void OnAlerts(const std::vector<engine::AlertEvent>& alerts) override;
  // How an AlertSender's JSON array is written (the daemon passes the API's encoding,
  // stockd.v1.Alert in the protobuf JSON mapping). Set before Start; without it no alert
  // is sent.
  using AlertFormat = std::function<std::string(const std::vector<engine::AlertEvent>&)>;
  void set_alert_format(AlertFormat format) { alert_format_ = std::move(format); }
  // Delivery counters of every channel whose adapter takes alerts.
  std::vector<std::pair<std::string, AlertSenderStats>> AlertStats() const;
  // Offers every SKU's published quantity to every channel again (after a re-sync from
  // Redis, when changes may have happened without events); pushers skip what the channel
  // already acknowledged.
  void OfferAll();

  // Queues a comparison of the channel with what it should show on the channel's worker;
  // `done` gets the report once the corrections are queued (never waits on the calling
  // thread). Errors through `done`: NOT_FOUND for an unknown channel, FAILED_PRECONDITION
  // for one without an adapter, and ChannelPusher::Resync's (RESOURCE_EXHAUSTED,
  // UNAVAILABLE — also when a reload removes the adapter meanwhile).
  void Resync(const std::string& channel, bool force, ChannelPusher::ResyncDone done);
  std::vector<PusherStats> Stats() const;
  // nullptr when the channel has no adapter. A pusher a reload removes is stopped but
  // stays valid as long as the caller holds it.
  std::shared_ptr<ChannelPusher> pusher(const std::string& channel) const;
  bool empty() const;
  // What the push instances of the adapters counted (stockd_host.count), per channel.
  const plugins::AdapterCounters& adapter_counters() const { return *adapter_counters_; }

 private:
  struct Running {
    std::shared_ptr<ChannelPusher> pusher;
    std::shared_ptr<AlertSender> alerts;  // null: the adapter takes no alerts
    config::AdapterConfig config;
  };
  PushEngine(engine::Engine* engine, AckStore* acks, const engine::Clock* clock,
             std::string plugin_dir, log::Sink log,
             std::function<int64_t(const std::string&)> orders_ingested_until);
  // The channel's pusher, its plugin and listings loaded, and its alert sender (an
  // instance of its own) when the adapter takes alerts; neither started.
  absl::StatusOr<AdapterPlan::Built> Build(const config::AdapterConfig& a) const;
  plugins::HostCallbacks Host(const std::string& channel) const;
  std::vector<std::pair<std::string, int64_t>> Desired(const std::string& channel) const;
  // Gives `pusher` what the channel acknowledged and queues every SKU whose published
  // quantity differs, then starts it; returns how many were queued. Holding pushers_mu_
  // keeps the journal's offers out while the published quantities are read, so no offer
  // older than what is read can land after it.
  int64_t Fill(ChannelPusher* pusher, const ShownMap& acked)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(pushers_mu_);
  std::vector<std::shared_ptr<ChannelPusher>> Snapshot() const ABSL_LOCKS_EXCLUDED(pushers_mu_);
  std::vector<std::shared_ptr<AlertSender>> AlertSenders() const ABSL_LOCKS_EXCLUDED(pushers_mu_);
  void ReconcileLoop();

  engine::Engine* const engine_;
  AckStore* const acks_;
  const engine::Clock* const clock_;
  const std::string plugin_dir_;
  const log::Sink log_;
  const std::function<int64_t(const std::string&)> orders_ingested_until_;
  AlertFormat alert_format_;  // set before Start, then read-only
  // Before pushers_: outlives every plugin instance that counts into it.
  const std::unique_ptr<plugins::AdapterCounters> adapter_counters_ =
      std::make_unique<plugins::AdapterCounters>();

  // Readers (the journal's offers, Stats, Resync) hold it shared; Fill and the changes
  // of a reload hold it exclusively.
  mutable absl::Mutex pushers_mu_;
  std::map<std::string, Running> pushers_ ABSL_GUARDED_BY(pushers_mu_);

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  // channel -> periodic resync interval (0 = off), read by the timer each second.
  std::map<std::string, int64_t> reconcile_interval_ms_ ABSL_GUARDED_BY(mu_);
  std::thread reconciler_;
};

// `stockd --check-config`'s check of the adapters: loads each adapter's plugin from
// plugin_dir (as Create would) and asks its validate_config, when it has one, about the
// config Create would hand it. OK, or INVALID_ARGUMENT with one line per problem:
// "<file>:<line>:<col>: channels[i].adapter.config: <the plugin's text>" for a rejected
// config, "<file>:<line>:<col>: channels[i].adapter.plugin: <why>" for a plugin that
// cannot be loaded, "<file>:<line>: channel '<id>': listings file ...: <why>" for a
// listings file that cannot be read. Thread-safe; creates no instance.
absl::Status CheckAdapterConfigs(const config::PushConfig& config);
// The same checks for a reload's dry run: the first problem, with its own code (NOT_FOUND
// for a missing plugin or listings file, FAILED_PRECONDITION for a plugin that cannot be
// used, INVALID_ARGUMENT for a rejected config or a bad listings file).
absl::Status CheckAdapters(const config::PushConfig& config);

// The adapter config a plugin gets (moved to the plugins layer, which orders uses too).
using plugins::AdapterConfigWithChannel;

}  // namespace stockd::push

#endif  // STOCKD_DAEMON_PUSH_PUSH_ENGINE_H_
