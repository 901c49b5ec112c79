// The embedded default store: with no `redis.address` configured, stockd starts and
// supervises its own redis-server under its data directory — append-only file on, no
// TCP port, one unix socket (<data_dir>/redis.sock, mode 0700). The supervisor restarts
// it with backoff if it dies and stops it (SIGTERM, so Redis fsyncs its AOF) on Stop.
//
// Layout of <data_dir>: redis.conf (regenerated on every start; edits are overwritten),
// redis.sock, redis.pid, redis.log (also receives the child's stdout/stderr),
// appendonlydir/ (the AOF), redis.lock (held by the owning EmbeddedRedis).
//
// All of it is private to the daemon's user (private_dir.h): data_dir 0700 (an existing
// one owned by another user or writable by group/others is refused; one only readable
// by them is tightened), files 0600, appendonlydir 0700, the socket 0700. The child runs
// with a umask of 077; files an earlier run left readable are chmod'ed at Start.
//
// One owner per data directory: Start takes an exclusive flock on redis.lock and fails
// with FAILED_PRECONDITION while another EmbeddedRedis (in any process) holds it. A
// redis-server left over from an owner that died (stockd SIGKILLed, its child still
// shutting down) is found through redis.pid, terminated and replaced.
//
// The child gets PR_SET_PDEATHSIG(SIGTERM), tied to the supervisor thread (which forks
// every child and lives until Stop), so Redis flushes and exits when stockd dies. It runs
// in its own process group, so terminal signals (Ctrl-C) reach stockd only and stockd
// stops Redis after draining. (Under systemd use KillMode=mixed for the same reason.)
//
// This file is the supervisor; the child process and its files are redis_process.h, the
// redis.conf it runs with redis_conf.h. It knows nothing of the server or the engine; it
// logs through EmbeddedRedisOptions::log.
//
// Thread safety: every public method may be called from any thread. Stop blocks (up to
// ~10 s while Redis shuts down); the destructor must not race with other calls.
#ifndef STOCKD_DAEMON_STORAGE_EMBEDDED_REDIS_H_
#define STOCKD_DAEMON_STORAGE_EMBEDDED_REDIS_H_

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "daemon/util/log.h"

namespace stockd::storage {

struct EmbeddedRedisOptions {
  // Created (mkdir -p; the last component with mode 0700) if missing. An existing one
  // must be owned by the daemon's effective user and not writable by group or others; a
  // mode that lets them read it (e.g. 0755) is changed to 0700 with an info log line. A
  // relative path is resolved against the current directory at Start. The socket path
  // (<data_dir>/redis.sock) must fit a sockaddr_un (at most 107 bytes).
  std::string data_dir;
  // The binary; a name without '/' is looked up in PATH.
  std::string redis_server = "redis-server";
  // always | everysec | no. Only `always` guarantees that every acknowledged write
  // survives a crash of redis-server itself: with everysec, while a background fsync is
  // slow (busy disk), Redis postpones writing its AOF buffer for up to 2 s yet still
  // replies, so a SIGKILLed/OOM-killed redis-server loses those writes (observed with
  // 7.0 under write-back pressure). A clean stop (SIGTERM, also sent through
  // PR_SET_PDEATHSIG when stockd dies) writes and fsyncs everything in any mode.
  std::string appendfsync = "always";
  // From spawn until the child answers PING with +PONG. While it answers -LOADING (it is
  // replaying its AOF: seconds to minutes for a large one) it is not ready but alive, and
  // every such answer gives it start_timeout_ms more: a large AOF delays the start, it
  // does not fail it. Applies to every (re)start.
  int64_t start_timeout_ms = 10'000;
  // How long the data dir's lock is waited for while the stockd its lock file names has
  // exited: a stockd SIGKILLed while it forks its redis-server leaves the child holding
  // the lock until the child runs and exits (redis_process.cc, ExecChild), a moment that
  // a loaded machine can stretch. A lock whose stockd still runs is refused at once.
  int64_t lock_wait_ms = 5'000;
  // Delay before the first restart after an unexpected exit; doubles per consecutive
  // failure up to 5 s, and resets once a child has stayed up for 30 s.
  int64_t restart_backoff_ms = 200;
  // After every (re)start, once it answers: when the AOF's increments are at least this
  // large and larger than its base, ask for a rewrite (BGREWRITEAOF; aof_compaction.h),
  // so restarts that come faster than Redis's own doubling rule do not let the replay
  // grow without bound. 0 = leave it to Redis's rule alone.
  int64_t rewrite_increments_over_bytes = 64LL << 20;
  // Called on the supervisor's thread each time a restarted redis-server answers PING
  // (not after the first start), with no internal lock held: the durable store then
  // re-syncs at once instead of at its next retry (docs/storage.md, "Re-sync"). Must not
  // call back into this EmbeddedRedis.
  std::function<void()> on_restarted;
  // Receives the supervisor's log lines (kInfo, kWarn, kError). Called from Start's and
  // the supervisor's threads, never with internal locks held. Empty = one JSON line per
  // message on stderr (log::ComponentSink("embedded_redis")).
  log::Sink log;
};

class EmbeddedRedis {
 public:
  // Checks data_dir's owner and mode, takes the data-dir lock, terminates a stale
  // instance, makes what an earlier run left in data_dir private, writes redis.conf,
  // starts redis-server and waits until it answers PING.
  //   INVALID_ARGUMENT     bad option (appendfsync, empty data_dir, socket path too long);
  //   FAILED_PRECONDITION  redis-server not installed, data_dir unusable (not a
  //                        directory, not writable), data_dir owned by another user or
  //                        writable by group/others (nothing is changed; the message
  //                        says which and how to fix it), a file in it that cannot be
  //                        made private, data_dir owned by another instance;
  //   UNAVAILABLE          the child exited or did not answer PING in time (the message
  //                        carries the last lines of redis.log).
  static absl::StatusOr<std::unique_ptr<EmbeddedRedis>> Start(EmbeddedRedisOptions options);
  ~EmbeddedRedis();  // Stop()
  EmbeddedRedis(const EmbeddedRedis&) = delete;
  EmbeddedRedis& operator=(const EmbeddedRedis&) = delete;

  std::string socket_path() const;  // <data_dir>/redis.sock (absolute)
  std::string address() const;      // "unix:" + socket_path()
  std::string data_dir() const;     // absolute

  // SIGTERM (Redis fsyncs the AOF and removes its socket), waits up to 10 s, then
  // SIGKILL. No restart afterwards. Idempotent.
  void Stop();

  // The current child's pid; 0 while none runs (between a crash and its restart, after
  // Stop). For tests that SIGKILL it.
  pid_t pid() const;
  // How many times the supervisor has restarted the child after an unexpected exit.
  int restarts() const;
  // Blocks until the current child answers PING (e.g. after a restart), up to
  // `timeout_ms`. False on timeout or once stopped.
  bool WaitReady(int64_t timeout_ms);

 private:
  EmbeddedRedis(EmbeddedRedisOptions options, std::string binary, int lock_fd);

  // Supervisor thread body: spawn, probe readiness, reap, back off, respawn.
  void Supervise();
  // fork+exec of the child; sets pid_. Returns 0 when Stop was requested first.
  // Cuts a torn transaction from the end of the AOF before redis-server loads it.
  void RepairAof();
  absl::StatusOr<pid_t> Spawn() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Polls PING every 20 ms until ready, exit, stop or start_timeout_ms. True if ready.
  bool ProbeUntilReady(pid_t child, std::string* failure);
  // After a start: BGREWRITEAOF when the increments outgrew the base (aof_compaction.h).
  void RewriteAofIfGrown();
  void Log(log::Level level, const std::string& msg) const;
  bool StartSettled() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return ready_ || !start_failure_.ok();
  }

  const EmbeddedRedisOptions options_;
  const std::string binary_;  // resolved absolute path
  const std::string socket_path_;
  const std::string conf_path_;
  const std::string log_path_;
  const int lock_fd_;  // flock'ed redis.lock; closed in the destructor

  mutable absl::Mutex mu_;
  pid_t pid_ ABSL_GUARDED_BY(mu_) = 0;
  bool ready_ ABSL_GUARDED_BY(mu_) = false;    // current child answered PING
  bool started_ ABSL_GUARDED_BY(mu_) = false;  // the first child became ready
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int restarts_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status start_failure_ ABSL_GUARDED_BY(mu_);

  std::mutex stop_mu_;  // serializes Stop; held across the join
  std::thread supervisor_;
};

}  // namespace stockd::storage

#endif  // STOCKD_DAEMON_STORAGE_EMBEDDED_REDIS_H_
