// The TLS transport of RedisConnection (hiredis 0.14 has none): a TCP connection with a
// connect timeout, an OpenSSL client handshake that verifies the server's certificate
// against a CA file and a host name (SNI is sent for DNS names), an optional client
// certificate (mTLS), then blocking reads and writes bounded by the same timeout. It
// carries bytes only; RedisConnection formats commands and parses replies with hiredis.
//
// Thread safety: none; a TlsStream belongs to the RedisConnection that owns it.
#ifndef STOCKD_DAEMON_STORAGE_REDIS_TLS_H_
#define STOCKD_DAEMON_STORAGE_REDIS_TLS_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;
typedef struct x509_st X509;
typedef struct evp_pkey_st EVP_PKEY;

namespace stockd::storage {

// redis.tls in the config (docs/storage.md, "External Redis").
struct RedisTlsOptions {
  std::string ca_file;      // PEM CA certificate(s) the server's certificate must chain to
  std::string cert_file;    // PEM client certificate chain (mTLS); "" = none
  std::string key_file;     // PEM private key of cert_file; set both or neither
  std::string server_name;  // name (or IP) the certificate must match; "" = the host
};

class TlsStream {
 public:
  // Connects to host:port (a name, an IPv4 or an IPv6 literal without brackets) within
  // `timeout_ms`, then handshakes; every later read and write also times out after
  // `timeout_ms`. Errors (the message names neither the address nor any secret; the
  // caller adds the address):
  //   FAILED_PRECONDITION  a CA/certificate/key file cannot be loaded, or the server's
  //                        certificate fails verification (unknown CA, name mismatch,
  //                        expired);
  //   UNAVAILABLE          cannot resolve or connect, timeout, or any other handshake
  //                        failure (e.g. the peer does not speak TLS).
  static absl::StatusOr<std::unique_ptr<TlsStream>> Connect(const std::string& host, int port,
                                                            const RedisTlsOptions& options,
                                                            int64_t timeout_ms);
  ~TlsStream();
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;

  // Writes all of `data`. UNAVAILABLE on a transport error or timeout (the stream is
  // unusable afterwards).
  absl::Status WriteAll(const char* data, size_t size);
  // Reads at least one byte into `buf` (at most `capacity`). UNAVAILABLE when the peer
  // closed the connection, on a transport or TLS error or timeout. When the server asked
  // for a client certificate and none is configured, the message says so (a server
  // that requires one drops the connection after the handshake).
  absl::StatusOr<size_t> ReadSome(char* buf, size_t capacity);

 private:
  TlsStream(int fd, SSL_CTX* ctx, SSL* ssl) : fd_(fd), ctx_(ctx), ssl_(ssl) {}
  // What went wrong in the SSL call that returned `ret` (errno as it was right after it).
  std::string Describe(int ret, int saved_errno) const;
  std::string Reason(int ret, int saved_errno) const;  // Describe without the hint
  // OpenSSL's client-certificate callback, installed when we have none: notes that the
  // server asked for one (TLS 1.3 reports its refusal only after the handshake, as an
  // alert or a reset on the first command, so the error needs this hint).
  static int NoteCertificateRequest(SSL* ssl, X509** cert, EVP_PKEY** key);

  const int fd_;
  SSL_CTX* const ctx_;
  SSL* const ssl_;
  bool failed_ = false;                 // after an error or timeout: no more I/O, no close_notify
  bool client_cert_requested_ = false;  // the server asked for a certificate we lack
};

}  // namespace stockd::storage

#endif  // STOCKD_DAEMON_STORAGE_REDIS_TLS_H_
