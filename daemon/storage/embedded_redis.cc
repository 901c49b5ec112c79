#include "daemon/storage/embedded_redis.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "daemon/storage/aof_compaction.h"
#include "daemon/storage/aof_repair.h"
#include "daemon/storage/data_dir_lock.h"
#include "daemon/storage/private_dir.h"
#include "daemon/storage/redis_client.h"
#include "daemon/storage/redis_conf.h"
#include "daemon/storage/redis_process.h"
#include "daemon/util/clock.h"
#include "daemon/util/posix.h"

namespace stockd::storage {
namespace {

using util::ErrnoString;
using util::ScopedFd;

constexpr int64_t kProbeIntervalMs = 20;
// While redis-server answers -LOADING, a line saying so this often (a large AOF).
constexpr int64_t kLoadingLogEveryMs = 5000;
constexpr int64_t kMaxBackoffMs = 5'000;
constexpr int64_t kStableUptimeMs = 30'000;  // a child up this long resets the backoff
constexpr int kLogTailLines = 10;
// BGREWRITEAOF only forks; it answers at once.
constexpr int64_t kRewriteCommandTimeoutMs = 2'000;

}  // namespace

absl::StatusOr<std::unique_ptr<EmbeddedRedis>> EmbeddedRedis::Start(EmbeddedRedisOptions options) {
  if (!options.log) options.log = log::ComponentSink("embedded_redis");
  if (options.data_dir.empty()) {
    return absl::InvalidArgumentError("embedded redis: data_dir is empty");
  }
  if (options.appendfsync != "always" && options.appendfsync != "everysec" &&
      options.appendfsync != "no") {
    return absl::InvalidArgumentError(
        absl::StrCat("embedded redis: appendfsync must be always, everysec or no, not \"",
                     options.appendfsync, "\""));
  }
  if (options.start_timeout_ms <= 0 || options.restart_backoff_ms < 0 || options.lock_wait_ms < 0) {
    return absl::InvalidArgumentError(
        "embedded redis: start_timeout_ms must be > 0, restart_backoff_ms and lock_wait_ms >= "
        "0");
  }
  absl::StatusOr<std::string> dir = AbsoluteDir(options.data_dir);
  if (!dir.ok()) return dir.status();
  options.data_dir = *dir;
  const std::string socket_path = options.data_dir + "/redis.sock";
  if (socket_path.size() >= sizeof(sockaddr_un{}.sun_path)) {
    return absl::InvalidArgumentError(
        absl::StrCat("embedded redis: socket path ", socket_path, " is longer than ",
                     sizeof(sockaddr_un{}.sun_path) - 1, " bytes; choose a shorter data_dir"));
  }
  absl::StatusOr<std::string> binary = ResolveRedisBinary(options.redis_server);
  if (!binary.ok()) return binary.status();
  if (absl::Status s = MakeDataDir(options.data_dir); !s.ok()) return s;
  // Before anything is created in it: a directory others may write to is refused as it is.
  absl::StatusOr<std::string> tightened = RequirePrivateDir(options.data_dir, "redis data_dir");
  if (!tightened.ok()) return tightened.status();
  if (!tightened->empty()) options.log(log::Level::kInfo, *tightened);

  const std::string lock_path = options.data_dir + "/redis.lock";
  ScopedFd lock_fd(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (lock_fd.get() < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot open ", lock_path, ": ", ErrnoString(errno)));
  }
  if (absl::Status s =
          LockDataDir(lock_fd.get(), lock_path, options.data_dir, options.lock_wait_ms);
      !s.ok()) {
    return s;
  }
  const std::string owner = absl::StrCat(::getpid(), "\n");
  if (::ftruncate(lock_fd.get(), 0) == 0) {
    ssize_t ignored = ::pwrite(lock_fd.get(), owner.data(), owner.size(), 0);
    (void)ignored;
  }

  if (absl::Status s = TerminateStaleRedis(options.data_dir, *binary, options.log); !s.ok()) {
    return s;
  }
  // Files an earlier run (or an older stockd, whose redis-server ran under the daemon's
  // umask) left readable by others; new ones are private through the child's umask 077
  // (redis_process.cc).
  absl::StatusOr<std::vector<std::string>> restricted =
      RemoveGroupAndOtherAccess(options.data_dir, kAofDirName);
  if (!restricted.ok()) return restricted.status();
  if (!restricted->empty()) {
    options.log(
        log::Level::kInfo,
        absl::StrCat("made private (group and other permissions removed) what an earlier run "
                     "left in ",
                     options.data_dir, ": ", absl::StrJoin(*restricted, ", ")));
  }
  if (::unlink(socket_path.c_str()) != 0 && errno != ENOENT) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot remove stale socket ", socket_path, ": ", ErrnoString(errno)));
  }
  if (absl::Status s = util::WriteFileAtomically(
          options.data_dir + "/redis.conf",
          RenderRedisConf(options.data_dir, socket_path, options.appendfsync));
      !s.ok()) {
    return s;
  }

  std::unique_ptr<EmbeddedRedis> redis(
      new EmbeddedRedis(std::move(options), *std::move(binary), lock_fd.Release()));
  redis->supervisor_ = std::thread([r = redis.get()] { r->Supervise(); });
  absl::Status failure;
  {
    absl::MutexLock lock(&redis->mu_);
    redis->mu_.Await(absl::Condition(redis.get(), &EmbeddedRedis::StartSettled));
    failure = redis->start_failure_;
  }
  if (!failure.ok()) {
    redis->Stop();  // the supervisor has already returned; this joins it
    return failure;
  }
  return redis;
}

EmbeddedRedis::EmbeddedRedis(EmbeddedRedisOptions options, std::string binary, int lock_fd)
    : options_(std::move(options)),
      binary_(std::move(binary)),
      socket_path_(options_.data_dir + "/redis.sock"),
      conf_path_(options_.data_dir + "/redis.conf"),
      log_path_(options_.data_dir + "/redis.log"),
      lock_fd_(lock_fd) {}

EmbeddedRedis::~EmbeddedRedis() {
  Stop();
  ::close(lock_fd_);
}

std::string EmbeddedRedis::socket_path() const { return socket_path_; }
std::string EmbeddedRedis::address() const { return "unix:" + socket_path_; }
std::string EmbeddedRedis::data_dir() const { return options_.data_dir; }

pid_t EmbeddedRedis::pid() const {
  absl::MutexLock lock(&mu_);
  return pid_;
}

int EmbeddedRedis::restarts() const {
  absl::MutexLock lock(&mu_);
  return restarts_;
}

bool EmbeddedRedis::WaitReady(int64_t timeout_ms) {
  const absl::Time deadline = absl::Now() + absl::Milliseconds(timeout_ms);
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      auto ready_or_stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return ready_ || stopping_;
      };
      if (!mu_.AwaitWithDeadline(absl::Condition(&ready_or_stopping), deadline) || stopping_) {
        return false;
      }
    }
    // ready_ may still describe a child that was just SIGKILLed and not yet reaped; a
    // killed process can no longer answer, so a PONG proves the current child is up.
    const int64_t left = absl::ToInt64Milliseconds(deadline - absl::Now());
    if (PingRedis(socket_path_, std::clamp<int64_t>(left, 1, 1000))) return true;
    if (absl::Now() >= deadline) return false;
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), absl::Milliseconds(kProbeIntervalMs));
  }
}

void EmbeddedRedis::Stop() {
  std::lock_guard<std::mutex> stop_lock(stop_mu_);
  bool escalated = false;
  pid_t child = 0;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    child = pid_;
    if (child != 0) {
      // pid_ is cleared (under mu_) only after the child is reaped, so it still names
      // our child here.
      ::kill(child, SIGTERM);
      auto reaped = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return pid_ == 0; };
      if (!mu_.AwaitWithTimeout(absl::Condition(&reaped), absl::Milliseconds(kRedisTermGraceMs))) {
        escalated = true;
        ::kill(child, SIGKILL);
        mu_.Await(absl::Condition(&reaped));
      }
    }
  }
  if (escalated) {
    Log(log::Level::kWarn, absl::StrCat("redis-server pid ", child, " did not exit within ",
                                        kRedisTermGraceMs, " ms of SIGTERM; killed it"));
  }
  if (supervisor_.joinable()) supervisor_.join();
}

void EmbeddedRedis::Log(log::Level level, const std::string& msg) const {
  options_.log(level, msg);
}

void EmbeddedRedis::RepairAof() {
  // Before every start: a redis-server that died while writing a transaction leaves a
  // torn one at the end of its AOF, which Redis 7.0 would half apply (aof_repair.h).
  absl::StatusOr<AofRepair> repair =
      RepairAofTail(absl::StrCat(options_.data_dir, "/", kAofDirName));
  if (!repair.ok()) {
    Log(log::Level::kWarn, absl::StrCat("cannot check the AOF tail: ", repair.status().message()));
  } else if (repair->dropped_bytes > 0) {
    Log(log::Level::kWarn,
        absl::StrCat("redis AOF ", repair->file,
                     " ended inside a transaction or a "
                     "command (redis-server died while writing it): cut its last ",
                     repair->dropped_bytes, " of ", repair->size,
                     " bytes, an unacknowledged group commit, so that Redis cannot "
                     "apply part of it"));
  }
}

absl::StatusOr<pid_t> EmbeddedRedis::Spawn() {
  absl::StatusOr<pid_t> child = SpawnRedisServer(binary_, conf_path_, log_path_);
  if (child.ok()) pid_ = *child;
  return child;
}

bool EmbeddedRedis::ProbeUntilReady(pid_t child, std::string* failure) {
  const int64_t started = util::MonotonicMs();
  int64_t deadline = started + options_.start_timeout_ms;
  int64_t loading_logged = started;  // the last "still loading" line
  for (;;) {
    const int64_t left = deadline - util::MonotonicMs();
    const RedisProbe probe = ProbeRedis(socket_path_, std::clamp<int64_t>(left, 1, 1000));
    if (probe == RedisProbe::kReady) return true;
    if (probe == RedisProbe::kLoading) {
      // Alive and replaying its AOF: no answer within start_timeout_ms of this one fails.
      const int64_t now = util::MonotonicMs();
      deadline = now + options_.start_timeout_ms;
      if (now - loading_logged >= kLoadingLogEveryMs) {
        loading_logged = now;
        Log(log::Level::kInfo, absl::StrCat("redis-server is still loading its AOF (",
                                            (now - started) / 1000, " s so far)"));
      }
    }
    siginfo_t info{};
    if (::waitid(P_PID, child, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == child) {
      *failure = "exited before answering PING";
      return false;
    }
    absl::MutexLock lock(&mu_);
    if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), absl::Milliseconds(kProbeIntervalMs))) {
      return false;  // Stop signals the child
    }
    if (util::MonotonicMs() >= deadline) {
      *failure =
          absl::StrCat("did not answer PING within ", options_.start_timeout_ms, " ms; killed it");
      ::kill(child, SIGKILL);  // still unreaped: pid_ == child
      return false;
    }
  }
}

void EmbeddedRedis::RewriteAofIfGrown() {
  const AofSizes sizes = ReadAofSizes(options_.data_dir + "/" + kAofDirName);
  if (!ShouldRewriteAtStart(sizes, options_.rewrite_increments_over_bytes)) return;
  absl::StatusOr<std::unique_ptr<RedisConnection>> redis =
      RedisConnection::Connect("unix:" + socket_path_, kRewriteCommandTimeoutMs);
  absl::StatusOr<Reply> reply =
      redis.ok() ? (*redis)->Command({"BGREWRITEAOF"}) : absl::StatusOr<Reply>(redis.status());
  const std::string what =
      absl::StrCat("the AOF has ", sizes.incr >> 20, " MiB of increments over a ", sizes.base >> 20,
                   " MiB base");
  if (!reply.ok() || reply->is_error()) {
    // Not fatal: Redis's own rule still applies, and the next start tries again.
    Log(log::Level::kWarn, absl::StrCat(what, "; BGREWRITEAOF failed: ",
                                        reply.ok() ? reply->str : reply.status().ToString()));
    return;
  }
  Log(log::Level::kInfo, absl::StrCat(what, ": rewriting it in the background (BGREWRITEAOF)"));
}

void EmbeddedRedis::Supervise() {
  int64_t backoff_ms = options_.restart_backoff_ms;
  const int64_t max_backoff_ms = std::max(kMaxBackoffMs, options_.restart_backoff_ms);
  auto sleep_unless_stopping = [this](int64_t ms) {
    absl::MutexLock lock(&mu_);
    return !mu_.AwaitWithTimeout(absl::Condition(&stopping_), absl::Milliseconds(ms));
  };
  for (;;) {
    RepairAof();
    absl::StatusOr<pid_t> spawned;
    bool first;
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) {
        if (!started_ && start_failure_.ok()) {
          start_failure_ = absl::CancelledError("embedded redis stopped while starting");
        }
        return;
      }
      first = !started_;
      spawned = Spawn();
      if (!spawned.ok() && first) {
        start_failure_ = spawned.status();
        return;
      }
      if (spawned.ok() && !first) ++restarts_;
    }
    if (!spawned.ok()) {
      Log(log::Level::kError,
          absl::StrCat("cannot restart redis-server: ", spawned.status().ToString(),
                       "; retrying in ", backoff_ms, " ms"));
      if (!sleep_unless_stopping(backoff_ms)) return;
      backoff_ms = std::min(backoff_ms * 2, max_backoff_ms);
      continue;
    }
    const pid_t child = *spawned;
    const int64_t spawned_at = util::MonotonicMs();
    std::string failure;
    const bool ready = ProbeUntilReady(child, &failure);
    if (ready) {
      // Logged before ready_ is published, so whoever WaitReady wakes sees the line.
      if (!first)
        Log(log::Level::kInfo, absl::StrCat("redis-server restarted (pid ", child, ") and ready"));
      {
        absl::MutexLock lock(&mu_);
        ready_ = true;
        started_ = true;
      }
      if (!first && options_.on_restarted) options_.on_restarted();
      RewriteAofIfGrown();
    }

    // Wait for the exit without reaping, then reap under mu_: pid_ never names a reaped
    // (possibly reused) pid while Stop may signal it.
    siginfo_t info{};
    while (::waitid(P_PID, child, &info, WEXITED | WNOWAIT) != 0 && errno == EINTR) {
    }
    int status = 0;
    bool stopping;
    {
      absl::MutexLock lock(&mu_);
      while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
      }
      pid_ = 0;
      ready_ = false;
      stopping = stopping_;
      if (first && !ready) {
        start_failure_ =
            stopping ? absl::CancelledError("embedded redis stopped while starting")
                     : absl::UnavailableError(absl::StrCat(
                           "redis-server ", binary_, " ", failure.empty() ? "failed" : failure,
                           " (", util::DescribeExit(status), "); last lines of ", log_path_, ": ",
                           util::FileTail(log_path_, kLogTailLines)));
        return;
      }
    }
    if (stopping) return;
    if (util::MonotonicMs() - spawned_at >= kStableUptimeMs)
      backoff_ms = options_.restart_backoff_ms;
    Log(failure.empty() ? log::Level::kWarn : log::Level::kError,
        absl::StrCat("redis-server pid ", child, " ", failure.empty() ? "" : failure + ", ",
                     util::DescribeExit(status), "; restarting in ", backoff_ms,
                     " ms; last lines of ", log_path_, ": ", util::FileTail(log_path_, 3)));
    if (!sleep_unless_stopping(backoff_ms)) return;
    backoff_ms = std::min(backoff_ms * 2, max_backoff_ms);
  }
}

}  // namespace stockd::storage
