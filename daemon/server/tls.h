// The gRPC listener's credentials from server.tls (docs/security.md, "TLS"): plaintext
// without it; else TLS with the certificate and key files, re-read by gRPC every
// refresh_interval (a renewed certificate is served to new connections, open ones stay),
// and with client_ca_file, client certificates requested or required and verified.
//
// Thread safety: a pure function; any thread.
#ifndef STOCKD_DAEMON_SERVER_TLS_H_
#define STOCKD_DAEMON_SERVER_TLS_H_

#include <grpcpp/security/server_credentials.h>

#include <memory>
#include <optional>

#include "daemon/config/slices.h"

namespace stockd::server {

std::shared_ptr<grpc::ServerCredentials> ListenerCredentials(
    const std::optional<config::ServerTlsConfig>& tls);

}  // namespace stockd::server

#endif  // STOCKD_DAEMON_SERVER_TLS_H_
