// A small owning wrapper over one Redis connection: connect (TCP, TCP with TLS, or unix
// socket) with timeouts, authenticate, run one command, or run a pipeline of commands in
// one round trip. Plain connections use a hiredis context; TLS ones (hiredis 0.14 has no
// TLS) a TlsStream (redis_tls.h) with hiredis's command formatter and reply reader. The
// transport is internal: callers see the same interface and the same error rules.
//
// The first Connect sets SIGPIPE to SIG_IGN process-wide (a dead peer must be an error,
// not a signal).
//
// Thread safety: none. A hiredis context belongs to one thread; every RedisConnection is
// owned and used by exactly one thread (the journal's writer, the loader, ...).
#ifndef STOCKD_DAEMON_STORAGE_REDIS_CLIENT_H_
#define STOCKD_DAEMON_STORAGE_REDIS_CLIENT_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/storage/redis_tls.h"

struct redisContext;
struct redisReader;

namespace stockd::storage {

// A reply, copied out of hiredis.
struct Reply {
  enum class Type { kNil, kString, kStatus, kError, kInteger, kArray };
  Type type = Type::kNil;
  std::string str;  // kString, kStatus, kError
  long long integer = 0;
  std::vector<Reply> elements;  // kArray

  bool is_error() const { return type == Type::kError; }
};

using Args = std::vector<std::string>;

// How to authenticate to an external Redis and whether to use TLS (redis.username,
// redis.password_file, redis.tls in the config). Holds no secret: the password is read
// from `password_file` at every connect (util/secret_file.h), so a rotated file is used
// from the next reconnect on.
struct RedisSecurity {
  std::string username;                // ACL user: AUTH <username> <password>; "" = AUTH <password>
  std::string password_file;           // "" = no AUTH
  std::optional<RedisTlsOptions> tls;  // host:port addresses only
};

class RedisConnection {
 public:
  // `address`: "host:port" or "unix:/path/to/socket". Connects (TLS when security.tls),
  // then, before any other command, AUTHenticates when security.password_file is set or
  // else PINGs, so that a server that wants a password is reported here. Errors:
  //   INVALID_ARGUMENT     malformed address, or TLS with a unix socket;
  //   UNAVAILABLE          cannot connect, timeout, TLS handshake failure;
  //   FAILED_PRECONDITION  the password file cannot be used (util/secret_file.h), the
  //                        server refused AUTH (WRONGPASS: the message has Redis's reply,
  //                        never the password), the server requires AUTH and no
  //                        password is configured (NOAUTH), or the server's TLS
  //                        certificate was refused.
  static absl::StatusOr<std::unique_ptr<RedisConnection>> Connect(
      const std::string& address, int64_t timeout_ms, const RedisSecurity& security = {});
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // One command. A Redis error reply is returned as a Reply of type kError (not a
  // Status); a transport error or timeout is UNAVAILABLE and breaks the connection.
  absl::StatusOr<Reply> Command(const Args& args);
  // Sends every command, then reads every reply: one round trip. Same error rules.
  absl::StatusOr<std::vector<Reply>> Pipeline(const std::vector<Args>& commands);
  // Pipeline in two halves, so the caller can work while Redis does: Send writes every
  // command to the socket; Receive reads `count` replies. Same error rules.
  absl::Status Send(const std::vector<Args>& commands);
  absl::StatusOr<std::vector<Reply>> Receive(size_t count);

  // False once a transport error happened; a broken connection must be replaced.
  bool ok() const { return ok_; }
  const std::string& address() const { return address_; }

 private:
  RedisConnection(redisContext* ctx, std::string address);
  RedisConnection(std::unique_ptr<TlsStream> tls, std::string address);
  // AUTH (or PING without a password) right after connecting.
  absl::Status Authenticate(const RedisSecurity& security);
  // Marks the connection broken; UNAVAILABLE naming the address, `what` and `why`.
  absl::Status Broken(const std::string& what, const std::string& why);
  // One reply from the TLS stream, via hiredis's reader (the caller frees it).
  absl::StatusOr<void*> ReadTlsReply();
  // The hiredis context's error text (plain transport).
  std::string PlainError() const;

  // Exactly one of ctx_ (plain TCP or unix socket) and tls_ is set.
  redisContext* ctx_ = nullptr;
  std::unique_ptr<TlsStream> tls_;
  redisReader* reader_ = nullptr;  // with tls_
  std::string address_;
  int64_t timeout_ms_ = 0;  // the socket's send/receive timeout, for error messages
  bool ok_ = true;
};

}  // namespace stockd::storage

#endif  // STOCKD_DAEMON_STORAGE_REDIS_CLIENT_H_
