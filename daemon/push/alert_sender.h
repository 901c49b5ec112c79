// Delivers a channel's stock alerts (docs/alerts.md) through its adapter, for adapters
// that take them (the webhook adapter with an `alerts_url`): an instance of the plugin of
// its own and a thread of its own, so alerts never wait behind the channel's pushes and a
// slow alert endpoint never holds up the pushes, the engine or other channels.
//
// * Offer(json) queues one JSON array of alerts (one mutation's, filtered to the
//   channel) without blocking; at most kMaxQueued arrays wait: an older one is dropped
//   (counted, logged) rather than letting a dead endpoint grow the daemon's memory.
// * The worker sends the oldest array; when the adapter fails, the same array goes again
//   after the channel's push backoff (retry_initial doubling to retry_max, with jitter):
//   at least once, in order. Alerts queued when the daemon stops are not sent (they stay
//   in ListAlerts and the {stockd}:alerts stream).
//
// Thread safety: Offer, Stats and Stop are thread-safe; Start once, from the owner.
#ifndef STOCKD_DAEMON_PUSH_ALERT_SENDER_H_
#define STOCKD_DAEMON_PUSH_ALERT_SENDER_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "daemon/engine/clock.h"
#include "daemon/plugins/adapter.h"
#include "daemon/push/backoff.h"
#include "daemon/util/log.h"

namespace stockd::push {

struct AlertSenderStats {
  int64_t delivered = 0;  // arrays the adapter took
  int64_t failures = 0;   // attempts that failed (each retried)
  int64_t dropped = 0;    // arrays dropped because kMaxQueued were waiting
  int64_t queued = 0;     // arrays waiting now
};

class AlertSender {
 public:
  static constexpr size_t kMaxQueued = 1000;

  AlertSender(std::string channel, std::unique_ptr<plugins::Adapter> adapter,
              int64_t retry_initial_ms, int64_t retry_max_ms, const engine::Clock* clock,
              log::Sink log);
  ~AlertSender();  // Stop()
  AlertSender(const AlertSender&) = delete;
  AlertSender& operator=(const AlertSender&) = delete;

  void Start();
  // Interrupts the adapter call in flight and joins the worker; what is queued is
  // dropped. Idempotent.
  void Stop();
  void Offer(std::string alerts_json);
  AlertSenderStats Stats() const;
  const std::string& channel() const { return channel_; }

 private:
  void Loop();

  const std::string channel_;
  const std::unique_ptr<plugins::Adapter> adapter_;  // the worker's only
  const engine::Clock* const clock_;
  const log::Sink log_;

  mutable absl::Mutex mu_;
  absl::CondVar wake_;
  std::deque<std::string> queue_ ABSL_GUARDED_BY(mu_);
  Backoff backoff_ ABSL_GUARDED_BY(mu_);
  int attempts_ ABSL_GUARDED_BY(mu_) = 0;  // consecutive failures of the front array
  int64_t retry_at_ms_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  AlertSenderStats stats_ ABSL_GUARDED_BY(mu_);
  std::thread worker_;
};

}  // namespace stockd::push

#endif  // STOCKD_DAEMON_PUSH_ALERT_SENDER_H_
