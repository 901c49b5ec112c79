// Checks of the PEM files named by server.tls, so a wrong file is a config error with
// file:line at start and at reload, not a handshake that fails later: the certificate
// chain parses, the key parses and belongs to the first certificate, the certificate has
// not expired; a CA file holds at least one certificate.
//
// Thread safety: pure functions (OpenSSL's PEM readers are thread-safe); any thread.
#ifndef STOCKD_DAEMON_CONFIG_TLS_FILES_H_
#define STOCKD_DAEMON_CONFIG_TLS_FILES_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace stockd::config {

struct CertificateInfo {
  std::string subject;       // one line, e.g. "CN=stockd.example.com"
  int64_t not_after_ms = 0;  // expiry, Unix epoch milliseconds
};

// INVALID_ARGUMENT naming the problem (unreadable file, no certificate, key unreadable,
// key does not match, expired at <time>); the message does not repeat the paths' key.
absl::StatusOr<CertificateInfo> CheckCertificateAndKey(const std::string& cert_file,
                                                       const std::string& key_file,
                                                       int64_t now_ms);

// INVALID_ARGUMENT when the file cannot be read or holds no PEM certificate.
absl::Status CheckCaFile(const std::string& ca_file);

}  // namespace stockd::config

#endif  // STOCKD_DAEMON_CONFIG_TLS_FILES_H_
