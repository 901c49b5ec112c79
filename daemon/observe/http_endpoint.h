// The metrics port (docs/metrics.md): a cpp-httplib server (Debian's libcpp-httplib,
// included by http_endpoint.cc only) serving, read-only and unauthenticated,
//   GET /metrics       the Prometheus text format 0.0.4 (Observer::RenderMetrics)
//   GET / and /status  the status page, HTML       } unless status_page is off
//   GET /status.json   the same data as JSON       }
// Anything else is 404; a method other than GET/HEAD on those paths is 405.
//
// Thread safety: Start/Stop from the owner; requests run on the endpoint's own threads.
#ifndef STOCKD_DAEMON_OBSERVE_HTTP_ENDPOINT_H_
#define STOCKD_DAEMON_OBSERVE_HTTP_ENDPOINT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "daemon/observe/observer.h"

namespace stockd::observe {

struct EndpointOptions {
  std::string listen;  // host:port (any address; port 0 = ephemeral)
  bool status_page = true;
  int threads = 2;     // requests served at once (scrapes are cheap and rare)
};

class MetricsEndpoint {
 public:
  // Binds and serves until Stop. `observer` not owned; must outlive the endpoint.
  // INVALID_ARGUMENT for a malformed listen address, UNAVAILABLE when it cannot be bound.
  static absl::StatusOr<std::unique_ptr<MetricsEndpoint>> Start(EndpointOptions options,
                                                                const Observer* observer);
  ~MetricsEndpoint();  // Stop()
  MetricsEndpoint(const MetricsEndpoint&) = delete;
  MetricsEndpoint& operator=(const MetricsEndpoint&) = delete;

  int port() const;
  // Closes the socket and waits for the requests in progress. Idempotent.
  void Stop();

 private:
  struct Impl;
  explicit MetricsEndpoint(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace stockd::observe

#endif  // STOCKD_DAEMON_OBSERVE_HTTP_ENDPOINT_H_
