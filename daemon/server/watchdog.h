// The systemd watchdog loop (WatchdogSec= in systemd/stockd.service): every interval
// (half of WATCHDOG_USEC) it asks a probe whether the daemon still makes progress and
// sends WATCHDOG=1 only when it does. The daemon's probe (Daemon::CheckProgress) proves
// two things:
//   - the engine answers: every hold stripe and shard is taken and released within half
//     the interval (engine::Engine::Probe);
//   - the journal makes progress: when writes are pending, a batch finished within the
//     interval (storage::RedisJournal::StalledMs).
// The rule (docs/operations.md, "The watchdog"): a hung journal — a batch in flight that
// neither lands nor fails, as with a SIGSTOPped Redis and a redis.timeout longer than
// the watchdog interval — withholds the pings, and systemd restarts stockd. A Redis that
// is down does NOT: its writes fail fast with UNAVAILABLE, the journal finishes those
// batches at once, the daemon re-syncs by itself and keeps serving reads, so it stays
// healthy (degraded); a restart would not bring Redis back.
//
// Thread safety: Start and Stop from one owner thread; the probe runs on the loop's own
// thread and must return within the interval.
#ifndef STOCKD_DAEMON_SERVER_WATCHDOG_H_
#define STOCKD_DAEMON_SERVER_WATCHDOG_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <thread>

#include "absl/status/status.h"
#include "absl/synchronization/notification.h"
#include "daemon/server/daemon.h"
#include "daemon/server/systemd_notify.h"

namespace stockd::server {

class Watchdog {
 public:
  // `probe(interval_ms)`: OK when the daemon made progress within the interval.
  using Probe = std::function<absl::Status(int64_t interval_ms)>;

  // `notifier` is not owned and must outlive the watchdog.
  Watchdog(const SystemdNotifier* notifier, int64_t interval_ms, Probe probe);
  ~Watchdog();  // Stop()
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  // Starts the loop: the first probe (and ping) at once.
  void Start();
  // Ends the loop (idempotent); no ping is sent after it returns.
  void Stop();

  int64_t interval_ms() const { return interval_ms_; }

 private:
  void Loop();

  const SystemdNotifier* notifier_;
  const int64_t interval_ms_;
  const Probe probe_;
  absl::Notification stop_;
  std::thread thread_;
};

// The watchdog systemd asked this process for (WATCHDOG_USEC; interval = half of it),
// probing `daemon` (not owned; must outlive it), started; null when there is none.
// Warns when redis.timeout (`redis_timeout_ms`) is not shorter than the interval: a
// Redis that stops answering would then restart stockd before its writes fail over to
// UNAVAILABLE.
std::unique_ptr<Watchdog> StartWatchdog(const SystemdNotifier* notifier, Daemon* daemon,
                                        int64_t redis_timeout_ms);

}  // namespace stockd::server

#endif  // STOCKD_DAEMON_SERVER_WATCHDOG_H_
