// stockd: the daemon's thin entry point. Everything it runs lives in stockd_core.
//
//   stockd --config FILE [--listen ADDR]   run in the foreground until SIGTERM/SIGINT
//   stockd --check-config FILE             validate FILE (and each adapter's config, by
//                                          its plugin), print errors, exit 0/1
//   stockd --version
#include <signal.h>

#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <thread>

#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "daemon/config/config.h"
#include "daemon/config/listen.h"
#include "daemon/push/push_engine.h"
#include "daemon/server/daemon.h"
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

  absl::StatusOr<stockd::config::Config> config = stockd::config::LoadConfigFile(config_path);
  if (!config.ok()) {
    stockd::log::Error("invalid configuration", {{"error", std::string(config.status().message())}});
    return 1;
  }
  if (!listen.empty()) {
    if (absl::Status st = stockd::config::CheckListenSecurity(listen, config->SecuritySlice());
        !st.ok()) {
      std::cerr << "stockd: --listen '" << listen << "': " << st.message() << "\n";
      return 2;
    }
    config->server.listen = listen;
  }

  absl::StatusOr<std::unique_ptr<stockd::server::Daemon>> daemon =
      stockd::server::Daemon::Start(*config);
  if (!daemon.ok()) {
    stockd::log::Error("cannot start", {{"error", std::string(daemon.status().message())}});
    return 1;
  }

  for (;;) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig == SIGHUP) {
      // The one validation path (docs/reload.md); an invalid file changes nothing.
      absl::StatusOr<stockd::config::Config> next = stockd::config::LoadConfigFile(config_path);
      if (next.ok() && !listen.empty()) next->server.listen = listen;  // --listen still holds
      absl::StatusOr<stockd::server::ReloadReport> report =
          next.ok() ? (*daemon)->Reload(*next)
                    : absl::StatusOr<stockd::server::ReloadReport>(next.status());
      if (!report.ok()) {
        stockd::log::Error("SIGHUP: new configuration rejected, keeping the running one",
                           {{"error", std::string(report.status().message())}});
        continue;
      }
      stockd::log::Info("SIGHUP: configuration reloaded",
                        {{"clients", std::to_string(report->clients)}});
      if (!report->restart_required.empty()) {
        stockd::log::Warn("SIGHUP: these settings changed but take effect only at the next "
                          "restart",
                          {{"keys", absl::StrJoin(report->restart_required, ", ")}});
      }
      continue;
    }
    stockd::log::Info("signal received", {{"signal", strsignal(sig)}});
    break;
  }
  (*daemon)->Shutdown();
  return 0;
}
