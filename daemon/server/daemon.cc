// The daemon's life after start: the drain, reloads, health, the watchdog's probe and the
// hold reaper; Daemon's methods forward to Impl (daemon_impl.h; the start:
// daemon_start.cc).
#include "daemon/server/daemon.h"

#include <algorithm>
#include <chrono>
#include <limits>

#include "absl/strings/str_cat.h"
#include "daemon/server/daemon_impl.h"
#include "daemon/util/log.h"

namespace stockd::server {

Daemon::Impl::~Impl() {
  // Reconciliations run on the push workers: the timer stops first, the push engine
  // (joining the workers) before reconciler_ is destroyed.
  if (reconciler_) reconciler_->Stop();
  if (orders_) orders_->Stop();
  // The pushers read orders_ready_ (conflicts wait for the orders): they stop before
  // orders_ (declared after push_) is destroyed.
  if (push_) push_->Stop();
  orders_ready_.store(nullptr);
  if (store_) store_->Stop();
}

void Daemon::Impl::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    if (shutting_down_) return;
    shutting_down_ = true;
  }
  log::Info("draining", {{"timeout_ms", std::to_string(config_.server.drain_timeout_ms)}});
  ReportStatus(absl::StrCat("draining (up to ", config_.server.drain_timeout_ms, " ms)"));
  // The push engine first: it answers queued Resyncs (UNAVAILABLE) and interrupts
  // adapter calls, so no RPC waits on a hung channel past the drain. What it leaves
  // unpushed is re-derived at the next start (published vs acknowledged).
  // Order polling first: a poll in flight is interrupted; its orders are re-read at
  // the next start (the cursor moves only once they are durable).
  if (reconciler_) reconciler_->Stop();
  if (orders_) orders_->Stop();
  if (push_) push_->Stop();
  if (server_) {
    server_->GetHealthCheckService()->Shutdown();
    hub_.CloseAll();
    if (service_) service_->DrainSessions();
    server_->Shutdown(std::chrono::system_clock::now() +
                      std::chrono::milliseconds(config_.server.drain_timeout_ms));
    server_->Wait();
  }
  // After the calls: a ReloadConfig or DiffConfig in progress has finished its call.
  if (reloader_) reloader_->Stop();
  if (audit_ledger_) audit_ledger_->Stop();  // a ListAudit in progress has been answered
  if (metrics_) metrics_->Stop();            // after the calls: a scrape still sees the drain
  stop_reaper_.Notify();
  if (reaper_.joinable()) reaper_.join();
  if (store_) store_->Stop();  // after the server: in-flight writes were flushed
  // The last kit announcements, before the push engine and the Watch hub it calls go.
  if (engine_) engine_->StopAnnouncing();
  log::Info("stopped");
  stopped_.Notify();
}

void Daemon::Impl::SetWriteHealth(bool writable) {
  absl::MutexLock lock(&mu_);
  write_healthy_ = writable;
  if (health_ready_ && !shutting_down_) {
    server_->GetHealthCheckService()->SetServingStatus(kWriteHealth, writable);
  }
}

absl::Status Daemon::Impl::CheckProgress(int64_t interval_ms) {
  if (absl::Status st = engine_->Probe(interval_ms / 2); !st.ok()) return st;
  if (store_) {
    const int64_t stalled_ms = store_->journal_stalled_ms();
    if (stalled_ms > interval_ms) {
      return absl::DeadlineExceededError(
          absl::StrCat("journal: writes pending and no batch finished for ", stalled_ms,
                       " ms (redis ", store_->address(), " not answering)"));
    }
  }
  return absl::OkStatus();
}

void Daemon::Impl::ReapLoop() {
  // Expire holds as they fall due: sleep until the earliest pending deadline, at least
  // 2 ms and at most 50 ms (new holds may have earlier deadlines; the hold TTL minimum
  // is 100 ms, so 50 ms bounds how late a hold can expire).
  int64_t wait_ms = 2;
  while (!stop_reaper_.WaitForNotificationWithTimeout(absl::Milliseconds(wait_ms))) {
    int64_t next_due_ms = 0;
    engine_->ExpireDue(&next_due_ms);
    const int64_t until =
        next_due_ms == std::numeric_limits<int64_t>::max() ? 50 : next_due_ms - clock_.NowMs();
    wait_ms = std::clamp<int64_t>(until, 2, 50);
  }
}

absl::StatusOr<std::unique_ptr<Daemon>> Daemon::Start(const config::Config& config,
                                                      DaemonHooks hooks) {
  auto impl = std::make_unique<Impl>(config, std::move(hooks));
  if (absl::Status st = impl->Start(); !st.ok()) return st;
  return std::unique_ptr<Daemon>(new Daemon(std::move(impl)));
}

Daemon::Daemon(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Daemon::~Daemon() { impl_->Shutdown(); }
int Daemon::port() const { return impl_->port(); }
absl::Status Daemon::CheckProgress(int64_t interval_ms) {
  return impl_->CheckProgress(interval_ms);
}
engine::Engine* Daemon::engine() { return impl_->engine(); }
orders::Orders* Daemon::orders() { return impl_->orders(); }
reconcile::Reconciler* Daemon::reconciler() { return impl_->reconciler(); }
int Daemon::metrics_port() const { return impl_->metrics_port(); }
void Daemon::RecordReload(int64_t time_ms, bool ok, const std::string& message) {
  impl_->RecordReload(time_ms, ok, message);
}
void Daemon::Shutdown() { impl_->Shutdown(); }
absl::StatusOr<ReloadReport> Daemon::Reload(const config::Config& next) {
  return impl_->Reload(next);
}
absl::StatusOr<ReloadReport> Daemon::ReloadFromFile(const std::string& actor) {
  return impl_->ReloadFromFile(actor);
}
void Daemon::Wait() { impl_->Wait(); }

}  // namespace stockd::server
