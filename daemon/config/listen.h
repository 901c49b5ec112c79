// Checks of network addresses in the configuration: the host:port syntax shared by
// server.listen and redis.address, and the one check of what the daemon may listen on.
// Config validation (--check-config, SIGHUP), Daemon::Start and the --listen override all
// call CheckListenAddress, so they accept and refuse exactly the same addresses.
//
// Thread safety: pure functions (CheckListenAddress calls getaddrinfo, which is
// thread-safe); callable from any thread.
#ifndef STOCKD_DAEMON_CONFIG_LISTEN_H_
#define STOCKD_DAEMON_CONFIG_LISTEN_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "daemon/config/slices.h"

namespace stockd::config {

struct HostPort {
  std::string host;  // without the brackets of "[v6]:port"
  bool bracketed = false;
  int port = 0;
};

// Splits "host:port" or "[ipv6]:port" with a port in min_port..65535.
// INVALID_ARGUMENT saying what is wrong; the message does not repeat `address`.
absl::StatusOr<HostPort> ParseHostPort(std::string_view address, int min_port);

// OK when the daemon may listen on `listen` without TLS and authentication:
// "unix:/path", or host:port (port 0..65535, 0 = ephemeral) whose host
// is loopback: a numeric IPv4 address in 127.0.0.0/8, the IPv6 address ::1, or a name
// (e.g. localhost) EVERY address of which (getaddrinfo) is one of those.
// Errors (messages do not repeat `listen`; callers prefix it with where it came from):
//   INVALID_ARGUMENT     malformed, or a name that does not resolve (named);
//   FAILED_PRECONDITION  well-formed but not loopback (the address is named).
absl::Status CheckListenAddress(std::string_view listen);

// The rule the daemon applies to server.listen (docs/security.md): loopback or unix as
// CheckListenAddress says; any other address only with TLS (`security.tls`) and
// authentication (`security.clients`), FAILED_PRECONDITION otherwise.
absl::Status CheckListenSecurity(std::string_view listen, const SecurityConfig& security);

}  // namespace stockd::config

#endif  // STOCKD_DAEMON_CONFIG_LISTEN_H_
