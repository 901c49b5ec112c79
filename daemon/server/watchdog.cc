#include "daemon/server/watchdog.h"

#include <pthread.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "daemon/util/clock.h"
#include "daemon/util/log.h"

namespace stockd::server {

Watchdog::Watchdog(const SystemdNotifier* notifier, int64_t interval_ms, Probe probe)
    : notifier_(notifier),
      interval_ms_(std::max<int64_t>(1, interval_ms)),
      probe_(std::move(probe)) {}

Watchdog::~Watchdog() { Stop(); }

void Watchdog::Start() {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "stockd-watchdog");
    Loop();
  });
}

void Watchdog::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

void Watchdog::Loop() {
  bool withholding = false;
  int64_t withheld = 0;
  int64_t next_ms = util::MonotonicMs();
  for (;;) {
    const absl::Status progress = probe_(interval_ms_);
    if (stop_.HasBeenNotified()) return;
    if (progress.ok()) {
      notifier_->WatchdogPing();
      if (withholding) {
        log::Write(log::Level::kInfo, "watchdog: progress again, WATCHDOG=1 resumed",
                   {{"component", "systemd"}, {"withheld", std::to_string(withheld)}});
      }
      withholding = false;
      withheld = 0;
    } else {
      ++withheld;
      if (!withholding) {
        // Once per episode: systemd restarts stockd if this lasts a whole WatchdogSec.
        log::Write(log::Level::kError, "watchdog: no progress, WATCHDOG=1 withheld",
                   {{"component", "systemd"}, {"why", std::string(progress.message())}});
      }
      withholding = true;
    }
    next_ms += interval_ms_;
    const int64_t now_ms = util::MonotonicMs();
    if (next_ms < now_ms) next_ms = now_ms;  // a slow probe: no burst of catch-up pings
    if (stop_.WaitForNotificationWithTimeout(absl::Milliseconds(next_ms - now_ms))) return;
  }
}

std::unique_ptr<Watchdog> StartWatchdog(const SystemdNotifier* notifier, Daemon* daemon,
                                        int64_t redis_timeout_ms) {
  if (notifier->watchdog_usec() <= 0) return nullptr;
  const int64_t interval_ms = std::max<int64_t>(1, notifier->watchdog_usec() / 2000);
  if (redis_timeout_ms >= interval_ms) {
    log::Write(log::Level::kWarn,
               "watchdog: redis.timeout is not shorter than the watchdog interval (half of "
               "WatchdogSec): a Redis that stops answering restarts stockd before writes "
               "fail over to UNAVAILABLE",
               {{"component", "systemd"},
                {"redis_timeout_ms", std::to_string(redis_timeout_ms)},
                {"interval_ms", std::to_string(interval_ms)}});
  }
  auto watchdog = std::make_unique<Watchdog>(notifier, interval_ms, [daemon](int64_t interval) {
    return daemon->CheckProgress(interval);
  });
  watchdog->Start();
  log::Write(log::Level::kInfo, "watchdog: pinging systemd",
             {{"component", "systemd"}, {"interval_ms", std::to_string(interval_ms)}});
  return watchdog;
}

}  // namespace stockd::server
