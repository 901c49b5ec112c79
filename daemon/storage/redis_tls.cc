#include "daemon/storage/redis_tls.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "daemon/util/clock.h"

namespace stockd::storage {
namespace {

// The reasons queued by OpenSSL on this thread, oldest first; clears the queue.
std::string SslErrors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    const char* reason = ERR_reason_error_string(e);
    if (!out.empty()) out += "; ";
    if (reason != nullptr) {
      out += reason;
    } else {
      char buf[256];
      ERR_error_string_n(e, buf, sizeof buf);
      out += buf;
    }
  }
  return out.empty() ? "unknown TLS error" : out;
}

bool IsIpLiteral(const std::string& name) {
  in6_addr addr6;
  in_addr addr4;
  return ::inet_pton(AF_INET6, name.c_str(), &addr6) == 1 ||
         ::inet_pton(AF_INET, name.c_str(), &addr4) == 1;
}

// One non-blocking connect to `ai`, bounded by `deadline_ms`; a blocking socket with
// send/receive timeouts of `timeout_ms` on success.
absl::StatusOr<int> ConnectOne(const addrinfo* ai, int64_t deadline_ms, int64_t timeout_ms) {
  const int fd =
      ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
  if (fd < 0) return absl::UnavailableError(absl::StrCat("socket: ", std::strerror(errno)));
  auto fail = [fd](std::string what) {
    ::close(fd);
    return absl::UnavailableError(std::move(what));
  };
  if (::connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
    if (errno != EINPROGRESS) return fail(absl::StrCat("connect: ", std::strerror(errno)));
    pollfd p{fd, POLLOUT, 0};
    int ready;
    do {
      ready =
          ::poll(&p, 1, static_cast<int>(std::max<int64_t>(0, deadline_ms - util::MonotonicMs())));
    } while (ready < 0 && errno == EINTR);
    if (ready == 0) return fail("connect: timed out");
    if (ready < 0) return fail(absl::StrCat("poll: ", std::strerror(errno)));
    int err = 0;
    socklen_t len = sizeof err;
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    if (err != 0) return fail(absl::StrCat("connect: ", std::strerror(err)));
  }
  const int flags = ::fcntl(fd, F_GETFL);
  const int one = 1;
  timeval tv{};
  tv.tv_sec = timeout_ms / 1000;
  tv.tv_usec = static_cast<suseconds_t>((timeout_ms % 1000) * 1000);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0 ||
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0 ||
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0 ||
      ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0) {
    return fail(absl::StrCat("socket options: ", std::strerror(errno)));
  }
  return fd;
}

absl::StatusOr<int> ConnectTcp(const std::string& host, int port, int64_t timeout_ms) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found);
  if (rc != 0) {
    return absl::UnavailableError(absl::StrCat("cannot resolve '", host, "': ", gai_strerror(rc)));
  }
  const int64_t deadline_ms = util::MonotonicMs() + timeout_ms;
  absl::Status last = absl::UnavailableError("no address");
  for (const addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    absl::StatusOr<int> fd = ConnectOne(ai, deadline_ms, timeout_ms);
    if (fd.ok()) {
      ::freeaddrinfo(found);
      return fd;
    }
    last = fd.status();
  }
  ::freeaddrinfo(found);
  return last;
}

// A client context: TLS 1.2+, the server verified against `options.ca_file`, our
// certificate and key when set.
absl::StatusOr<SSL_CTX*> NewContext(const RedisTlsOptions& options) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) return absl::InternalError(absl::StrCat("SSL_CTX_new: ", SslErrors()));
  auto fail = [ctx](const std::string& what) {
    SSL_CTX_free(ctx);
    return absl::FailedPreconditionError(absl::StrCat(what, ": ", SslErrors()));
  };
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  if (SSL_CTX_load_verify_locations(ctx, options.ca_file.c_str(), nullptr) != 1) {
    return fail(absl::StrCat("redis.tls.ca_file '", options.ca_file, "'"));
  }
  if (!options.cert_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx, options.cert_file.c_str()) != 1) {
      return fail(absl::StrCat("redis.tls.cert_file '", options.cert_file, "'"));
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, options.key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
      return fail(absl::StrCat("redis.tls.key_file '", options.key_file, "'"));
    }
  }
  return ctx;
}

}  // namespace

absl::StatusOr<std::unique_ptr<TlsStream>> TlsStream::Connect(const std::string& host, int port,
                                                              const RedisTlsOptions& options,
                                                              int64_t timeout_ms) {
  ERR_clear_error();
  absl::StatusOr<SSL_CTX*> ctx = NewContext(options);
  if (!ctx.ok()) return ctx.status();
  absl::StatusOr<int> fd = ConnectTcp(host, port, timeout_ms);
  if (!fd.ok()) {
    SSL_CTX_free(*ctx);
    return fd.status();
  }
  if (options.cert_file.empty()) {
    SSL_CTX_set_client_cert_cb(*ctx, &TlsStream::NoteCertificateRequest);
  }
  SSL* ssl = SSL_new(*ctx);
  // From here the stream owns fd, ctx and ssl (a null ssl is freed as a no-op).
  std::unique_ptr<TlsStream> stream(new TlsStream(*fd, *ctx, ssl));
  if (ssl == nullptr || SSL_set_fd(ssl, *fd) != 1) {
    return absl::InternalError(absl::StrCat("SSL_new: ", SslErrors()));
  }
  SSL_set_app_data(ssl, stream.get());
  const std::string& name = options.server_name.empty() ? host : options.server_name;
  if (IsIpLiteral(name)) {
    // No SNI for an IP address (RFC 6066); the certificate must list it as an IP SAN.
    if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name.c_str()) != 1) {
      return absl::InternalError(absl::StrCat("TLS: cannot verify IP '", name, "'"));
    }
  } else if (SSL_set_tlsext_host_name(ssl, name.c_str()) != 1 ||
             SSL_set1_host(ssl, name.c_str()) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("TLS: '", name, "' cannot be used as a server name: ", SslErrors()));
  }
  const int ret = SSL_connect(ssl);
  if (ret != 1) {
    const int saved_errno = errno;
    stream->failed_ = true;
    const long verify = SSL_get_verify_result(ssl);
    if (verify != X509_V_OK) {
      ERR_clear_error();
      return absl::FailedPreconditionError(
          absl::StrCat("TLS: the server's certificate was refused (expected name '", name,
                       "'): ", X509_verify_cert_error_string(verify)));
    }
    return absl::UnavailableError(
        absl::StrCat("TLS handshake failed: ", stream->Describe(ret, saved_errno)));
  }
  return stream;
}

TlsStream::~TlsStream() {
  // close_notify only on a healthy, established stream: after an error or timeout it
  // could block or write into a broken record.
  if (ssl_ != nullptr && !failed_ && SSL_is_init_finished(ssl_)) SSL_shutdown(ssl_);
  SSL_free(ssl_);
  SSL_CTX_free(ctx_);
  ::close(fd_);
  ERR_clear_error();
}

int TlsStream::NoteCertificateRequest(SSL* ssl, X509** /*cert*/, EVP_PKEY** /*key*/) {
  static_cast<TlsStream*>(SSL_get_app_data(ssl))->client_cert_requested_ = true;
  return 0;  // continue without a certificate
}

std::string TlsStream::Describe(int ret, int saved_errno) const {
  std::string why = Reason(ret, saved_errno);
  if (client_cert_requested_) {
    absl::StrAppend(&why,
                    " (the server asked for a client certificate and none is configured: set "
                    "redis.tls.cert_file and redis.tls.key_file if it requires one)");
  }
  return why;
}

std::string TlsStream::Reason(int ret, int saved_errno) const {
  switch (SSL_get_error(ssl_, ret)) {
    case SSL_ERROR_ZERO_RETURN:
      return "the server closed the connection";
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
      return "timed out";
    case SSL_ERROR_SYSCALL:
      if (ERR_peek_error() != 0) return SslErrors();
      if (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK) return "timed out";
      if (saved_errno == 0) return "the server closed the connection";
      return std::strerror(saved_errno);
    default:
      return SslErrors();
  }
}

absl::Status TlsStream::WriteAll(const char* data, size_t size) {
  if (failed_) return absl::UnavailableError("broken");
  while (size > 0) {
    ERR_clear_error();
    const int chunk = static_cast<int>(std::min<size_t>(size, INT_MAX));
    const int n = SSL_write(ssl_, data, chunk);
    if (n <= 0) {
      const int saved_errno = errno;
      failed_ = true;
      return absl::UnavailableError(Describe(n, saved_errno));
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

absl::StatusOr<size_t> TlsStream::ReadSome(char* buf, size_t capacity) {
  if (failed_) return absl::UnavailableError("broken");
  ERR_clear_error();
  const int n = SSL_read(ssl_, buf, static_cast<int>(std::min<size_t>(capacity, INT_MAX)));
  if (n <= 0) {
    const int saved_errno = errno;
    failed_ = true;
    return absl::UnavailableError(Describe(n, saved_errno));
  }
  return static_cast<size_t>(n);
}

}  // namespace stockd::storage
