#include "daemon/server/config_reloader.h"

#include <pthread.h>

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "daemon/config/listen.h"
#include "daemon/config/reload_rules.h"
#include "daemon/observe/observer.h"
#include "daemon/server/auth.h"
#include "daemon/server/grpc_log.h"
#include "daemon/util/clock.h"
#include "daemon/util/log.h"

namespace stockd::server {

namespace {

int64_t PublishedChanges(const engine::ModelDiff& diff) {
  int64_t n = 0;
  for (const engine::ChannelDiff& c : diff.channels) n += c.skus_changed;
  return n;
}

// An adapter's part that cannot be loaded: a missing plugin or listings file is a state
// of the machine (FAILED_PRECONDITION), not a bad argument; other codes stand.
absl::Status ChannelError(const absl::Status& st) {
  if (absl::IsNotFound(st)) return absl::FailedPreconditionError(st.message());
  return st;
}

}  // namespace

absl::StatusOr<int> TopNOf(int32_t requested) {
  if (requested < 0 || requested > 1000) {
    return absl::InvalidArgumentError(
        absl::StrCat("top_n must be within 0..1000 (0 = 10), got ", requested));
  }
  return requested == 0 ? 10 : requested;
}

ConfigReloader::ConfigReloader(Options options) : options_(std::move(options)) {
  {
    absl::MutexLock lock(&mu_);
    applied_ = {options_.running->adapters, options_.running->OrdersSlice().channels};
  }
  worker_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "stockd-reload");
    WorkLoop();
  });
}

ConfigReloader::~ConfigReloader() { Stop(); }

void ConfigReloader::Stop() {
  {
    absl::MutexLock lock(&jobs_mu_);
    stopping_ = true;
  }
  if (worker_.joinable()) worker_.join();
  std::deque<Job> left;
  {
    absl::MutexLock lock(&jobs_mu_);
    left.swap(jobs_);
  }
  for (Job& job : left) job.done(absl::UnavailableError("stockd is stopping"));
}

void ConfigReloader::Enqueue(Job job) {
  absl::Status refused;
  {
    absl::MutexLock lock(&jobs_mu_);
    if (stopping_) {
      refused = absl::UnavailableError("stockd is stopping");
    } else if (jobs_.size() >= kMaxQueued) {
      refused = absl::ResourceExhaustedError(absl::StrCat(
          kMaxQueued, " config reloads or dry runs already wait; try again when they are done"));
    } else {
      jobs_.push_back(std::move(job));
      return;
    }
  }
  job.done(refused);
}

bool ConfigReloader::HasWork() const { return stopping_ || !jobs_.empty(); }

void ConfigReloader::WorkLoop() {
  for (;;) {
    Job job;
    {
      absl::MutexLock lock(&jobs_mu_);
      jobs_mu_.Await(absl::Condition(this, &ConfigReloader::HasWork));
      if (stopping_) return;  // Stop answers what is left
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job.run();
  }
}

void ConfigReloader::QueueReload(std::string actor, int top_n, ReportDone done) {
  auto answer = std::make_shared<ReportDone>(std::move(done));
  Enqueue({[this, actor = std::move(actor), top_n, answer] {
             (*answer)(ReloadFromFile(actor, top_n));
           },
           [answer](absl::StatusOr<ReloadReport> r) { (*answer)(std::move(r)); }});
}

void ConfigReloader::QueueDiff(std::string yaml, std::string source_name, int top_n,
                               ReportDone done) {
  auto answer = std::make_shared<ReportDone>(std::move(done));
  Enqueue({[this, yaml = std::move(yaml), source_name = std::move(source_name), top_n, answer] {
             (*answer)(Diff(yaml, source_name, top_n));
           },
           [answer](absl::StatusOr<ReloadReport> r) { (*answer)(std::move(r)); }});
}

absl::StatusOr<config::Config> ConfigReloader::Load(absl::string_view yaml,
                                                    absl::string_view source_name) const {
  if (yaml.empty() && options_.running->path.empty()) {
    return absl::FailedPreconditionError(
        "the daemon was started from a config built in code, not read from a file: there is "
        "no file to reload");
  }
  absl::StatusOr<config::Config> next =
      yaml.empty()
          ? config::LoadConfigFile(options_.running->path)
          : config::ParseConfig(std::string_view(yaml.data(), yaml.size()),
                                source_name.empty()
                                    ? std::string_view("request")
                                    : std::string_view(source_name.data(), source_name.size()));
  if (!next.ok()) {
    // The daemon's own file missing is a state of the machine, not a bad argument.
    if (absl::IsNotFound(next.status())) {
      return absl::FailedPreconditionError(next.status().message());
    }
    return next.status();
  }
  if (options_.listen_overridden) next->server.listen = options_.running->server.listen;
  return next;
}

absl::Status ConfigReloader::CheckSecurity(const config::Config& next) const {
  // TLS files are re-read by the listener itself; the clients change now. The listener
  // stays as it is, so the new clients are judged against it.
  const config::Config& running = *options_.running;
  config::SecurityConfig security{running.server.tls, next.clients};
  if (absl::Status st = config::CheckListenSecurity(running.server.listen, security); !st.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("server.listen '", running.server.listen, "' ", st.message()));
  }
  return absl::OkStatus();
}

absl::StatusOr<ReloadReport> ConfigReloader::Apply(const config::Config& next,
                                                   const std::string& actor, int top_n) {
  absl::MutexLock lock(&mu_);
  return ApplyLocked(next, actor, top_n);
}

config::ChannelChanges ConfigReloader::CompareChannels(const config::Config& next) const {
  return config::CompareChannels(applied_.adapters, applied_.orders, next.adapters,
                                 next.OrdersSlice().channels);
}

absl::StatusOr<ReloadReport> ConfigReloader::ApplyLocked(const config::Config& next,
                                                         const std::string& actor, int top_n) {
  if (absl::Status st = CheckSecurity(next); !st.ok()) return st;
  ReloadReport report;
  report.restart_required = config::RestartOnlyChanges(*options_.running, next);
  report.channels = CompareChannels(next);
  // The adapters are loaded before anything changes: one that cannot be refuses it all.
  std::function<void()> commit_channels;
  if (options_.prepare_channels) {
    absl::StatusOr<std::function<void()>> prepared = options_.prepare_channels(next);
    if (!prepared.ok()) return ChannelError(prepared.status());
    commit_channels = *std::move(prepared);
  }
  // The model first: it is the part that may refuse (a location or channel removed);
  // then nothing else changes either.
  engine::ReconfigureOptions options;
  options.actor = actor;
  options.top_n = top_n;
  absl::StatusOr<engine::ReconfigureResult> model =
      options_.engine->Reconfigure(next.model, options);
  if (!model.ok()) return model.status();
  report.model = std::move(model->diff);
  report.locked_us = model->locked_us;
  report.total_us = model->total_us;
  // After the model: a new channel's SKUs are published, its adapter pushes them.
  if (commit_channels) commit_channels();
  applied_ = {next.adapters, next.OrdersSlice().channels};
  options_.auth->Reload(next.clients);
  report.clients = next.clients.size();
  ApplyLogLevel(next.log.level);
  return report;
}

absl::StatusOr<ReloadReport> ConfigReloader::ReloadFromFile(const std::string& actor, int top_n) {
  absl::MutexLock lock(&mu_);
  if (options_.on_reloading) options_.on_reloading(true);
  absl::StatusOr<config::Config> next = Load({}, {});
  absl::StatusOr<ReloadReport> report =
      next.ok() ? ApplyLocked(*next, actor, top_n) : absl::StatusOr<ReloadReport>(next.status());
  Record(actor, report);
  if (options_.on_reloading) options_.on_reloading(false);
  return report;
}

absl::StatusOr<ReloadReport> ConfigReloader::Diff(absl::string_view yaml,
                                                  absl::string_view source_name, int top_n) {
  absl::MutexLock lock(&mu_);
  absl::StatusOr<config::Config> next = Load(yaml, source_name);
  if (!next.ok()) return next.status();
  if (absl::Status st = CheckSecurity(*next); !st.ok()) return st;
  ReloadReport report;
  report.restart_required = config::RestartOnlyChanges(*options_.running, *next);
  report.channels = CompareChannels(*next);
  if (options_.check_channels) {
    if (absl::Status st = options_.check_channels(*next); !st.ok()) return ChannelError(st);
  }
  report.clients = next->clients.size();
  absl::StatusOr<engine::ModelDiff> model = options_.engine->PreviewModel(next->model, top_n);
  if (!model.ok()) return model.status();
  report.model = std::move(*model);
  return report;
}

void ConfigReloader::Record(const std::string& actor,
                            const absl::StatusOr<ReloadReport>& report) const {
  const int64_t now_ms = util::WallMs();
  const std::string& path = options_.running->path;
  if (!report.ok()) {
    log::Error(
        "config reload rejected, keeping the running configuration",
        {{"by", actor}, {"config", path}, {"error", std::string(report.status().message())}});
    if (options_.observer) {
      options_.observer->RecordReload(now_ms, false, std::string(report.status().message()));
    }
    return;
  }
  const std::string later =
      report->restart_required.empty()
          ? std::string()
          : absl::StrCat("; at the next restart: ", absl::StrJoin(report->restart_required, ", "));
  if (options_.observer) {
    options_.observer->RecordReload(
        now_ms, true,
        absl::StrCat("by ", actor, ": ", PublishedChanges(report->model),
                     " published quantities changed; clients: ", report->clients, later));
  }
  log::Info("config reloaded",
            {{"by", actor},
             {"config", path},
             {"clients", std::to_string(report->clients)},
             {"published_changes", std::to_string(PublishedChanges(report->model))},
             {"locations_added", std::to_string(report->model.locations_added.size())},
             {"channels_added", std::to_string(report->model.channels_added.size())},
             {"adapters_added", absl::StrJoin(report->channels.adapters_added, ",")},
             {"adapters_removed", absl::StrJoin(report->channels.adapters_removed, ",")},
             {"adapters_changed", absl::StrJoin(report->channels.adapters_changed, ",")},
             {"orders_changed", absl::StrJoin(report->channels.orders_changed, ",")},
             {"locked_us", std::to_string(report->locked_us)}});
  if (!report->restart_required.empty()) {
    log::Warn("config reload: these settings changed but take effect only at the next restart",
              {{"keys", absl::StrJoin(report->restart_required, ", ")}});
  }
}

}  // namespace stockd::server
