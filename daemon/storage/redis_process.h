// The embedded redis-server (embedded_redis.h) as a process and its files: the data
// directory, the binary, starting a child (fork + exec, with everything the child must
// be: own process group, umask 077, PR_SET_PDEATHSIG, stdout/stderr to redis.log, no
// inherited fds or signal dispositions), asking it for PING, and ending one that an owner
// which died left behind. The supervisor (restarts, backoff, readiness, Stop) stays in
// embedded_redis.cc; generic POSIX helpers are in util/posix.h.
//
// Thread safety: every function is thread-safe. SpawnRedisServer may run while other
// threads do: between fork and exec the child makes async-signal-safe calls only.
#ifndef STOCKD_DAEMON_STORAGE_REDIS_PROCESS_H_
#define STOCKD_DAEMON_STORAGE_REDIS_PROCESS_H_

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "daemon/util/log.h"

namespace stockd::storage {

// SIGTERM -> SIGKILL: how long a redis-server gets to write and fsync its AOF and exit.
inline constexpr int64_t kRedisTermGraceMs = 10'000;

// `dir` made absolute against the current directory, without trailing slashes.
// FAILED_PRECONDITION when the current directory cannot be read.
absl::StatusOr<std::string> AbsoluteDir(const std::string& dir);

// mkdir -p `dir` (absolute); the last component is created with mode 0700. Then checks
// that it is writable. FAILED_PRECONDITION saying which component is the problem.
absl::Status MakeDataDir(const std::string& dir);

// The absolute path of the redis-server binary `name`: a name with '/' must be an
// executable file; one without is looked up in PATH. INVALID_ARGUMENT when empty,
// FAILED_PRECONDITION (with how to install it) when not found.
absl::StatusOr<std::string> ResolveRedisBinary(const std::string& name);

// What a PING of the Redis at a unix socket found.
enum class RedisProbe {
  kReady,     // answered PONG
  kLoading,   // answered -LOADING: alive, replaying its AOF (it answers PONG when done)
  kNoAnswer,  // not listening yet, gone, or no reply within the timeout
};
// PINGs the Redis at unix socket `socket_path`, waiting about `timeout_ms` for the connect
// and for the reply each. The embedded Redis has no password, so RedisConnection's connect
// (which PINGs too, and leaves -LOADING to the caller) needs no security.
RedisProbe ProbeRedis(const std::string& socket_path, int64_t timeout_ms);
// ProbeRedis(...) == kReady.
bool PingRedis(const std::string& socket_path, int64_t timeout_ms);

// A redis-server named by <dir>/redis.pid that still runs belongs to an owner that died
// (the caller holds the data-dir lock): typically stockd was SIGKILLed and its child,
// told by PDEATHSIG, is still flushing. Sends it SIGTERM, waits up to kRedisTermGraceMs,
// then SIGKILL; logs both through `log`. A pid that is not a redis-server of `dir` (a
// recycled pid) is left alone. FAILED_PRECONDITION when it cannot be stopped.
absl::Status TerminateStaleRedis(const std::string& dir, const std::string& binary,
                                 const log::Sink& log);

// fork + exec of `binary` `conf_path`, its stdout/stderr appended to `log_path`; returns
// the child's pid once exec succeeded. FAILED_PRECONDITION when the log cannot be opened
// or the binary cannot be executed (the child is reaped); INTERNAL / RESOURCE_EXHAUSTED
// when a pipe or fork fails.
absl::StatusOr<pid_t> SpawnRedisServer(const std::string& binary, const std::string& conf_path,
                                       const std::string& log_path);

}  // namespace stockd::storage

#endif  // STOCKD_DAEMON_STORAGE_REDIS_PROCESS_H_
