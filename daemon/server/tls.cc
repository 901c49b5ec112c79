#include "daemon/server/tls.h"

#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>

#include <algorithm>

namespace stockd::server {

std::shared_ptr<grpc::ServerCredentials> ListenerCredentials(
    const std::optional<config::ServerTlsConfig>& tls) {
  if (!tls.has_value()) return grpc::InsecureServerCredentials();
  const unsigned refresh_s =
      static_cast<unsigned>(std::max<int64_t>(1, tls->refresh_interval_ms / 1000));
  auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      tls->key_file, tls->cert_file, tls->client_ca_file, refresh_s);
  grpc::experimental::TlsServerCredentialsOptions options(provider);
  options.watch_identity_key_cert_pairs();
  if (tls->client_ca_file.empty()) {
    options.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  } else {
    options.watch_root_certs();
    options.set_cert_request_type(tls->require_client_cert
                                      ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                                      : GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  }
  return grpc::experimental::TlsServerCredentials(options);
}

}  // namespace stockd::server
