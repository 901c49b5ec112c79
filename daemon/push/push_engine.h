// The push engine: one ChannelPusher per channel that has an adapter. It listens to the
// engine's published-quantity changes (after durability) and offers them to the
// channel's pusher; at start it compares what every channel acknowledged (AckStore)
// with what it should show and queues the differences, so a restart resumes the sync
// without re-sending what was acknowledged. It also runs periodic reconciliation.
//
// Every message it logs for itself or for an adapter passes through util::RedactSecrets.
//
// Thread safety: OnPublishedChanges, Resync and Stats are thread-safe; Start/Stop from
// the owner.
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
#include "daemon/plugins/adapter_config.h"
#include "daemon/push/channel_pusher.h"
#include "daemon/util/log.h"

namespace stockd::push {

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

  void OnPublishedChanges(const std::vector<engine::PublishedChange>& changes) override;
  // Offers every SKU's published quantity to every channel again (after a re-sync from
  // Redis, when changes may have happened without events); pushers skip what the channel
  // already acknowledged.
  void OfferAll();

  // Queues a comparison of the channel with what it should show on the channel's worker;
  // `done` gets the report once the corrections are queued (never waits on the calling
  // thread). Errors through `done`: NOT_FOUND for an unknown channel, FAILED_PRECONDITION
  // for one without an adapter, and ChannelPusher::Resync's (RESOURCE_EXHAUSTED,
  // UNAVAILABLE).
  void Resync(const std::string& channel, bool force, ChannelPusher::ResyncDone done);
  std::vector<PusherStats> Stats() const;
  // nullptr when the channel has no adapter.
  ChannelPusher* pusher(const std::string& channel) const;
  bool empty() const { return pushers_.empty(); }

 private:
  PushEngine(engine::Engine* engine, AckStore* acks, log::Sink log);
  std::vector<std::pair<std::string, int64_t>> Desired(const std::string& channel) const;
  void ReconcileLoop();

  engine::Engine* const engine_;
  AckStore* const acks_;
  const log::Sink log_;
  // Fixed after Create: read without locks.
  std::map<std::string, std::unique_ptr<ChannelPusher>> pushers_;
  std::map<std::string, int64_t> reconcile_interval_ms_;

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread reconciler_;
};

// `stockd --check-config`'s check of the adapters: loads each adapter's plugin from
// plugin_dir (as Create would) and asks its validate_config, when it has one, about the
// config Create would hand it. OK, or INVALID_ARGUMENT with one line per problem:
// "<file>:<line>:<col>: channels[i].adapter.config: <the plugin's text>" for a rejected
// config, "<file>:<line>:<col>: channels[i].adapter.plugin: <why>" for a plugin that
// cannot be loaded. Thread-safe; creates no instance.
absl::Status CheckAdapterConfigs(const config::PushConfig& config);

// The adapter config a plugin gets (moved to the plugins layer, which orders uses too).
using plugins::AdapterConfigWithChannel;

}  // namespace stockd::push

#endif  // STOCKD_DAEMON_PUSH_PUSH_ENGINE_H_
