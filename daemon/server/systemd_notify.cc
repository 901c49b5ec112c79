#include "daemon/server/systemd_notify.h"

#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "daemon/util/log.h"

namespace stockd::server {
namespace {

std::string OneLine(std::string_view text) {
  std::string line(text);
  for (char& c : line) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return line;
}

}  // namespace

SystemdNotifier::SystemdNotifier() {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  enabled_ = socket != nullptr && *socket != '\0';
  uint64_t usec = 0;
  // > 0 only when WATCHDOG_USEC is set (and WATCHDOG_PID, if set, is this process).
  if (enabled_ && sd_watchdog_enabled(/*unset_environment=*/0, &usec) > 0) {
    watchdog_usec_ = static_cast<int64_t>(usec);
  }
}

void SystemdNotifier::Send(const std::string& state) const {
  if (!enabled_) return;
  const int r = sd_notify(/*unset_environment=*/0, state.c_str());
  if (r < 0) {
    log::Write(log::Level::kWarn, "sd_notify failed",
               {{"component", "systemd"}, {"errno", std::to_string(-r)}, {"state", state}});
  }
}

void SystemdNotifier::Status(std::string_view status) const {
  Send(absl::StrCat("STATUS=", OneLine(status)));
}

void SystemdNotifier::Ready(std::string_view status) const {
  Send(absl::StrCat("READY=1\nSTATUS=", OneLine(status), "\nMAINPID=", ::getpid()));
}

void SystemdNotifier::Reloading(std::string_view status) const {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  const int64_t usec = static_cast<int64_t>(now.tv_sec) * 1'000'000 + now.tv_nsec / 1000;
  Send(absl::StrCat("RELOADING=1\nMONOTONIC_USEC=", usec, "\nSTATUS=", OneLine(status)));
}

void SystemdNotifier::Stopping(std::string_view status) const {
  Send(absl::StrCat("STOPPING=1\nSTATUS=", OneLine(status)));
}

void SystemdNotifier::WatchdogPing() const { Send("WATCHDOG=1"); }

}  // namespace stockd::server
