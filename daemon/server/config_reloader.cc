#include "daemon/server/config_reloader.h"

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

}  // namespace

absl::StatusOr<int> TopNOf(int32_t requested) {
  if (requested < 0 || requested > 1000) {
    return absl::InvalidArgumentError(
        absl::StrCat("top_n must be within 0..1000 (0 = 10), got ", requested));
  }
  return requested == 0 ? 10 : requested;
}

ConfigReloader::ConfigReloader(Options options) : options_(std::move(options)) {}

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

absl::StatusOr<ReloadReport> ConfigReloader::ApplyLocked(const config::Config& next,
                                                         const std::string& actor, int top_n) {
  if (absl::Status st = CheckSecurity(next); !st.ok()) return st;
  ReloadReport report;
  report.restart_required = config::RestartOnlyChanges(*options_.running, next);
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
             {"locked_us", std::to_string(report->locked_us)}});
  if (!report->restart_required.empty()) {
    log::Warn("config reload: these settings changed but take effect only at the next restart",
              {{"keys", absl::StrJoin(report->restart_required, ", ")}});
  }
}

}  // namespace stockd::server
