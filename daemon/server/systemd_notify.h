// systemd's notification protocol (sd_notify(3)) for stockd's Type=notify unit
// (systemd/stockd.service, docs/operations.md): READY=1 once the state is loaded and the
// gRPC listener is up, STATUS= lines at each phase of the start and of an outage,
// RELOADING=1 ... READY=1 around a reload, STOPPING=1 when the drain starts, and the
// watchdog's WATCHDOG=1 (Watchdog, watchdog.h). Without NOTIFY_SOCKET in the environment
// (not started by systemd, or by a unit of another Type) every call is a no-op.
// libsystemd is included by systemd_notify.cc only.
//
// Thread safety: every method is thread-safe (each notification is one datagram).
#ifndef STOCKD_DAEMON_SERVER_SYSTEMD_NOTIFY_H_
#define STOCKD_DAEMON_SERVER_SYSTEMD_NOTIFY_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace stockd::server {

class SystemdNotifier {
 public:
  // Reads NOTIFY_SOCKET and the watchdog's WATCHDOG_USEC (sd_watchdog_enabled); leaves
  // the environment as it is.
  SystemdNotifier();

  bool enabled() const { return enabled_; }
  // The watchdog timeout systemd asked this process for (WatchdogSec=), in
  // microseconds; 0 when there is none (or no NOTIFY_SOCKET).
  int64_t watchdog_usec() const { return watchdog_usec_; }

  // STATUS=<status> (one line: newlines become spaces).
  void Status(std::string_view status) const;
  // READY=1, STATUS=<status>, MAINPID=<pid>.
  void Ready(std::string_view status) const;
  // RELOADING=1, MONOTONIC_USEC=<now>, STATUS=<status>. Ready() ends the reload.
  void Reloading(std::string_view status) const;
  // STOPPING=1, STATUS=<status>.
  void Stopping(std::string_view status) const;
  // WATCHDOG=1.
  void WatchdogPing() const;

 private:
  void Send(const std::string& state) const;

  bool enabled_ = false;
  int64_t watchdog_usec_ = 0;
};

}  // namespace stockd::server

#endif  // STOCKD_DAEMON_SERVER_SYSTEMD_NOTIFY_H_
