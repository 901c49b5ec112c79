// A small owning wrapper over one hiredis connection: connect (TCP or unix socket) with
// timeouts, run one command, or run a pipeline of commands in one round trip.
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
#include <string>
#include <vector>

#include "absl/status/statusor.h"

struct redisContext;

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

class RedisConnection {
 public:
  // `address`: "host:port" or "unix:/path/to/socket". Errors: UNAVAILABLE (cannot
  // connect), INVALID_ARGUMENT (malformed address).
  static absl::StatusOr<std::unique_ptr<RedisConnection>> Connect(const std::string& address,
                                                                   int64_t timeout_ms);
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
  absl::Status Broken(const std::string& what);

  redisContext* ctx_;
  std::string address_;
  bool ok_ = true;
};

}  // namespace stockd::storage

#endif  // STOCKD_DAEMON_STORAGE_REDIS_CLIENT_H_
