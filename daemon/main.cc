// stockd: the daemon's thin entry point. Everything it runs lives in stockd_core.
//
//   stockd --config FILE [--listen ADDR]   run in the foreground until SIGTERM/SIGINT
//   stockd --check-config FILE             validate FILE (and each adapter's config, by
//                                          its plugin), print errors, exit 0/1
//   stockd --version
//
// Under systemd (Type=notify, systemd/stockd.service) it reports READY=1 once Daemon::Start
// has returned (state loaded, listener up), STATUS= lines, RELOADING=1 / READY=1 around a
// SIGHUP, STOPPING=1 when the drain starts, and pings the watchdog while the engine and the
// journal make progress (server/systemd_notify.h, server/watchdog.h).
#include <signal.h>

#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "daemon/config/config.h"
#include "daemon/config/listen.h"
#include "daemon/push/push_engine.h"
#include "daemon/server/daemon.h"
#include "daemon/server/grpc_log.h"
#include "daemon/server/systemd_notify.h"
#include "daemon/server/watchdog.h"
#include "daemon/util/log.h"

namespace {

constexpr char kUsage[] =
    "usage: stockd --config FILE [--listen HOST:PORT]\n"
    "       stockd --check-config FILE\n"
    "       stockd --version\n";

int CheckConfig(const std::string& path) {
  absl::StatusOr<stockd::config::Config> config = stockd::config::LoadConfigFile(path);
  if (!config.ok()) {
    std::cerr << config.status().message() << "\n";
    return 1;
  }
  // Each adapter's plugin, loaded as the daemon would, judges its own config.
  if (absl::Status adapters = stockd::push::CheckAdapterConfigs(config->PushSlice());
      !adapters.ok()) {
    std::cerr << adapters.message() << "\n";
    return 1;
  }
  std::cout << path << ": ok (" << config->model.locations.size() << " locations, "
            << config->model.channels.size() << " channels, " << config->model.overrides.size()
            << " overrides)\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path, check_path, listen;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const char* name) -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "stockd: " << name << " needs a value\n" << kUsage;
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--config") {
      config_path = value("--config");
    } else if (arg == "--check-config") {
      check_path = value("--check-config");
    } else if (arg == "--listen") {
      listen = value("--listen");
    } else if (arg == "--version") {
      std::cout << "stockd " << STOCKD_VERSION << "\n";
      return 0;
    } else if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    } else {
      std::cerr << "stockd: unknown argument '" << arg << "'\n" << kUsage;
      return 2;
    }
  }
  stockd::server::RouteGrpcLogs();
  if (!check_path.empty()) return CheckConfig(check_path);

  // Debian's absl is built with deadlock detection on, which records every lock
  // acquisition in a global graph: a measurable cost on the hot path. The lock order is
  // fixed and documented (engine.h) and the test suite runs with detection on.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  if (config_path.empty()) {
    std::cerr << kUsage;
    return 2;
  }

  // Signals are taken synchronously by one thread; block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  const stockd::server::SystemdNotifier systemd;  // no-op without NOTIFY_SOCKET
  absl::StatusOr<stockd::config::Config> config = stockd::config::LoadConfigFile(config_path);
  if (!config.ok()) {
    stockd::log::Error("invalid configuration", {{"error", std::string(config.status().message())}});
    systemd.Status("invalid configuration");
    return 1;
  }
  stockd::server::ApplyLogLevel(config->log.level);
  if (!listen.empty()) {
    if (absl::Status st = stockd::config::CheckListenSecurity(listen, config->SecuritySlice());
        !st.ok()) {
      std::cerr << "stockd: --listen '" << listen << "': " << st.message() << "\n";
      return 2;
    }
    config->server.listen = listen;
  }

  stockd::server::DaemonHooks hooks;
  hooks.status = [&systemd](const std::string& status) { systemd.Status(status); };
  hooks.listen_overridden = !listen.empty();
  // READY's status line, set once the port is bound (a ReloadConfig call may come first).
  absl::Mutex serving_mu;
  std::string serving = "serving on " + config->server.listen;
  hooks.reloading = [&](bool reloading) {
    if (reloading) {
      systemd.Reloading("reloading " + config_path);
      return;
    }
    absl::MutexLock lock(&serving_mu);
    systemd.Ready(serving);
  };
  absl::StatusOr<std::unique_ptr<stockd::server::Daemon>> daemon =
      stockd::server::Daemon::Start(*config, std::move(hooks));
  if (!daemon.ok()) {
    stockd::log::Error("cannot start", {{"error", std::string(daemon.status().message())}});
    systemd.Status(std::string("cannot start: ") + std::string(daemon.status().message()));
    return 1;
  }
  {
    absl::MutexLock lock(&serving_mu);
    serving = "serving on " + config->server.listen + " (port " +
              std::to_string((*daemon)->port()) + ")";
    systemd.Ready(serving);
  }
  std::unique_ptr<stockd::server::Watchdog> watchdog =
      stockd::server::StartWatchdog(&systemd, daemon->get(), config->redis.timeout_ms);

  int sig = 0;
  for (;;) {
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig == SIGHUP) {
      // The one validation path (docs/reload.md); an invalid file changes nothing. The
      // outcome is logged and recorded by the reloader (as for the ReloadConfig RPC).
      (void)(*daemon)->ReloadFromFile("SIGHUP");
      continue;
    }
    stockd::log::Info("signal received", {{"signal", strsignal(sig)}});
    break;
  }
  systemd.Stopping(std::string("draining after ") + strsignal(sig));
  if (watchdog) watchdog->Stop();  // systemd stops watching at STOPPING=1
  (*daemon)->Shutdown();
  return 0;
}
