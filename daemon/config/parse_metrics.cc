// Parsing the top-level `metrics` section (the Prometheus endpoint and the status page,
// docs/metrics.md); keys and bounds: schema.h. Unlike server.listen and orders.listen,
// any address is allowed: Prometheus scrapes from other machines, and the endpoint is
// read-only (docs/metrics.md says to firewall it or keep it behind a proxy).
#include <string>

#include "absl/strings/str_cat.h"
#include "daemon/config/listen.h"
#include "daemon/config/parser.h"

namespace stockd::config::internal {

using yaml::MapReader;
using yaml::Truncated;

void ConfigParser::ParseMetrics(const Value& v) {
  MapReader metrics(v, schema::Metrics().names(), errors_);
  if (std::optional<std::string> listen = metrics.String("listen")) {
    if (!listen->empty()) {
      absl::Status ok = listen->rfind("unix:", 0) == 0
                            ? absl::InvalidArgumentError("expected host:port, not a unix socket")
                            : ParseHostPort(*listen, 0).status();
      if (ok.ok()) {
        config_.metrics.listen = *listen;
      } else {
        const Value field = *metrics.Get("listen");
        errors_.Add(field.mark, field.path,
                    absl::StrCat("'", Truncated(*listen), "': ", ok.message()));
      }
    }
  }
  if (std::optional<bool> page = metrics.Bool("status_page")) config_.metrics.status_page = *page;
}

}  // namespace stockd::config::internal
