// Live reload and its dry run (docs/reload.md): the one owner of "apply a new config to
// the running daemon". SIGHUP (main.cc) and the admin RPCs ReloadConfig / DiffConfig
// (stock_service_config.cc) both come here, so they validate, refuse, apply, log and
// record exactly alike.
//
// Thread safety: every method may be called from any thread; reloads and dry runs are
// serialised (one at a time), calls in flight on the engine are never failed by them.
// The RPCs' requests run on the reloader's own thread (Queue*), never on a gRPC thread:
// a reload reads a file, parses it and waits for every engine lock.
#ifndef STOCKD_DAEMON_SERVER_CONFIG_RELOADER_H_
#define STOCKD_DAEMON_SERVER_CONFIG_RELOADER_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "daemon/config/channel_changes.h"
#include "daemon/config/config.h"
#include "daemon/engine/engine.h"
#include "daemon/engine/model_diff.h"

namespace stockd::observe {
class Observer;
}  // namespace stockd::observe

namespace stockd::server {

class Authenticator;

// What a reload did, or what a dry run says it would do.
struct ReloadReport {
  // Settings that changed but a reload does not apply (config::RestartOnlyChanges): they
  // take effect at the next restart.
  std::vector<std::string> restart_required;
  size_t clients = 0;       // clients now configured (0 = authentication off)
  // Adapters added, removed or changed and order ingestion changed, compared with the
  // config applied last (docs/reload.md).
  config::ChannelChanges channels;
  engine::ModelDiff model;  // what the new model changes (docs/reload.md)
  int64_t locked_us = 0;    // how long the engine's locks were held (0 for a dry run)
  int64_t total_us = 0;     // the engine's whole reconfiguration (0 for a dry run)
};

// The admin RPCs' access to reload (implemented by ConfigReloader; an interface so the
// service layer does not depend on how the daemon is assembled).
class ConfigAdmin {
 public:
  using ReportDone = std::function<void(absl::StatusOr<ReloadReport>)>;
  virtual ~ConfigAdmin() = default;
  // Re-reads the daemon's config file and applies it, as SIGHUP does; `done` gets the
  // outcome. `actor` is the audit entry's "who". INVALID_ARGUMENT (file:line),
  // FAILED_PRECONDITION as ConfigReloader::Apply.
  virtual void QueueReload(std::string actor, int top_n, ReportDone done) = 0;
  // What applying `yaml` (empty: the config file as it is on disk now) would change;
  // changes nothing and refuses what a reload would refuse.
  virtual void QueueDiff(std::string yaml, std::string source_name, int top_n,
                         ReportDone done) = 0;
  virtual std::string config_path() const = 0;
};

class ConfigReloader final : public ConfigAdmin {
 public:
  struct Options {
    const config::Config* running = nullptr;  // the config the daemon started with
    // The listener came from --listen, not the file: a reload keeps it.
    bool listen_overridden = false;
    engine::Engine* engine = nullptr;
    Authenticator* auth = nullptr;
    observe::Observer* observer = nullptr;  // null without metrics.listen
    // Called with true before a reload applies and false after (systemd RELOADING=1 /
    // READY=1). Optional.
    std::function<void(bool reloading)> on_reloading;
    // The channels' adapters and order ingestion. prepare_channels loads what `next`
    // changes (plugins, listings, secrets) and changes nothing; an error refuses the
    // reload. It returns the commit, run once the model is applied. check_channels is
    // the dry run's: every adapter's plugin loadable and its config accepted, nothing
    // loaded to stay. Optional (none: the adapters are not reloaded).
    std::function<absl::StatusOr<std::function<void()>>(const config::Config& next)>
        prepare_channels;
    std::function<absl::Status(const config::Config& next)> check_channels;
  };
  explicit ConfigReloader(Options options);

  // Applies `next` (already parsed by config::LoadConfigFile / ParseConfig): the model
  // (Engine::Reconfigure), the channels' adapters and order ingestion, the clients and
  // tokens, the log level. Nothing is applied when it fails: FAILED_PRECONDITION when the
  // model removes a location or channel, the clients would leave a listener other
  // machines reach without authentication, or an adapter's plugin or listings file is
  // missing; prepare_channels' errors (INVALID_ARGUMENT for a config a plugin rejects,
  // UNAVAILABLE when Redis cannot say what a new channel acknowledged). Does not log or
  // record.
  absl::StatusOr<ReloadReport> Apply(const config::Config& next, const std::string& actor,
                                     int top_n = 10) ABSL_LOCKS_EXCLUDED(mu_);

  // Re-reads the config file and applies it (SIGHUP, and QueueReload on the worker);
  // also logs the outcome (error or info, plus a warning for restart-only settings) and
  // records it for the metrics and status page.
  absl::StatusOr<ReloadReport> ReloadFromFile(const std::string& actor, int top_n)
      ABSL_LOCKS_EXCLUDED(mu_);
  // The dry run of `yaml` (empty: the file on disk), changing nothing.
  absl::StatusOr<ReloadReport> Diff(absl::string_view yaml, absl::string_view source_name,
                                    int top_n) ABSL_LOCKS_EXCLUDED(mu_);

  // ConfigAdmin: ReloadFromFile / Diff on the worker thread, `done` called there. At most
  // kMaxQueued requests wait (RESOURCE_EXHAUSTED beyond, at once); after Stop, and for
  // requests still queued at Stop, UNAVAILABLE.
  void QueueReload(std::string actor, int top_n, ReportDone done) override
      ABSL_LOCKS_EXCLUDED(jobs_mu_);
  void QueueDiff(std::string yaml, std::string source_name, int top_n, ReportDone done) override
      ABSL_LOCKS_EXCLUDED(jobs_mu_);
  std::string config_path() const override { return options_.running->path; }

  // Stops the worker after the request it runs; answers the queued ones. Idempotent;
  // the destructor calls it.
  void Stop() ABSL_LOCKS_EXCLUDED(jobs_mu_);
  ~ConfigReloader() override;

  static constexpr size_t kMaxQueued = 4;

 private:
  // Reads the config file (or parses `yaml`) with the --listen override applied.
  // An unreadable file is FAILED_PRECONDITION (the caller asked for nothing missing).
  absl::StatusOr<config::Config> Load(absl::string_view yaml, absl::string_view source_name) const;
  // The checks above the engine's own: the clients against the running listener.
  absl::Status CheckSecurity(const config::Config& next) const;
  absl::StatusOr<ReloadReport> ApplyLocked(const config::Config& next, const std::string& actor,
                                           int top_n) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Record(const std::string& actor, const absl::StatusOr<ReloadReport>& report) const;

  struct Job {
    std::function<void()> run;
    ReportDone done;  // answered with UNAVAILABLE instead when stopped first
  };
  void Enqueue(Job job) ABSL_LOCKS_EXCLUDED(jobs_mu_);
  void WorkLoop() ABSL_LOCKS_EXCLUDED(jobs_mu_);
  bool HasWork() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(jobs_mu_);

  // The channels' part of the config applied last (the adapters compare with it).
  struct AppliedChannels {
    std::vector<config::AdapterConfig> adapters;
    std::vector<config::OrderChannelConfig> orders;  // Config::OrdersSlice's channels
  };
  config::ChannelChanges CompareChannels(const config::Config& next) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Options options_;
  absl::Mutex mu_;  // one reload or dry run at a time
  AppliedChannels applied_ ABSL_GUARDED_BY(mu_);
  absl::Mutex jobs_mu_;
  std::deque<Job> jobs_ ABSL_GUARDED_BY(jobs_mu_);
  bool stopping_ ABSL_GUARDED_BY(jobs_mu_) = false;
  std::thread worker_;  // started by the constructor
};

// "0..1000 (0 = 10)": the top_n a request may ask for. INVALID_ARGUMENT otherwise.
absl::StatusOr<int> TopNOf(int32_t requested);

}  // namespace stockd::server

#endif  // STOCKD_DAEMON_SERVER_CONFIG_RELOADER_H_
