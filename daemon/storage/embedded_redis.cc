#include "daemon/storage/embedded_redis.h"

#include "daemon/storage/aof_repair.h"
#include "daemon/storage/private_dir.h"
#include "daemon/util/json.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"

namespace stockd::storage {
namespace {

constexpr int64_t kProbeIntervalMs = 20;
constexpr int64_t kMaxBackoffMs = 5'000;
constexpr int64_t kStableUptimeMs = 30'000;  // a child up this long resets the backoff
constexpr int64_t kTermGraceMs = 10'000;     // SIGTERM -> SIGKILL
constexpr int kLogTailLines = 10;
constexpr char kAofDirName[] = "appendonlydir";  // redis.conf appenddirname
// The child's umask: whatever redis-server creates (AOF files, manifest, RDB, pidfile,
// the AOF directory) is private to the daemon's user.
constexpr mode_t kChildUmask = 077;

int64_t NowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

std::string ErrnoString(int err) {
  char buf[256];
  return strerror_r(err, buf, sizeof buf);  // GNU variant: returns the message
}


void LogTo(const EmbeddedRedisOptions& options, const char* level, const std::string& msg) {
  if (options.log) {
    options.log(level, msg);
    return;
  }
  using namespace std::chrono;
  const int64_t ts = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  const std::string line = absl::StrCat("{\"ts_ms\":", ts, ",\"level\":\"", level, "\",\"msg\":\"",
                                        util::JsonEscape(msg), "\",\"component\":\"embedded_redis\"}\n");
  ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}

// Owns one file descriptor.
class ScopedFd {
 public:
  explicit ScopedFd(int fd = -1) : fd_(fd) {}
  ~ScopedFd() { Reset(); }
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  int get() const { return fd_; }
  int Release() { return std::exchange(fd_, -1); }
  void Reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

bool ReadWholeFile(const std::string& path, std::string* out) {
  ScopedFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return false;
  out->clear();
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) return true;
    out->append(buf, static_cast<size_t>(n));
  }
}

absl::Status WriteFileAtomically(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp";
  ScopedFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (fd.get() < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot write ", tmp, ": ", ErrnoString(errno)));
  }
  size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd.get(), content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::unlink(tmp.c_str());
      return absl::FailedPreconditionError(
          absl::StrCat("cannot write ", tmp, ": ", ErrnoString(err)));
    }
    done += static_cast<size_t>(n);
  }
  fd.Reset();
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return absl::FailedPreconditionError(
        absl::StrCat("cannot rename ", tmp, " to ", path, ": ", ErrnoString(err)));
  }
  return absl::OkStatus();
}

// The last `max_lines` non-empty lines of `path`, joined with " | ", or a note that the
// file could not be read.
std::string LogTail(const std::string& path, int max_lines) {
  ScopedFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return absl::StrCat("(no ", path, ": ", ErrnoString(errno), ")");
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return "(cannot stat the log)";
  const off_t want = std::min<off_t>(st.st_size, 4096);
  std::string buf(static_cast<size_t>(want), '\0');
  const ssize_t n = ::pread(fd.get(), buf.data(), buf.size(), st.st_size - want);
  if (n <= 0) return absl::StrCat("(", path, " is empty)");
  buf.resize(static_cast<size_t>(n));
  std::vector<std::string> lines = absl::StrSplit(buf, '\n', absl::SkipWhitespace());
  if (want < st.st_size && !lines.empty()) lines.erase(lines.begin());  // partial line
  if (static_cast<int>(lines.size()) > max_lines) {
    lines.erase(lines.begin(), lines.end() - max_lines);
  }
  if (lines.empty()) return absl::StrCat("(", path, " is empty)");
  return absl::StrJoin(lines, " | ");
}

std::string DescribeExit(int status) {
  if (WIFEXITED(status)) return absl::StrCat("exited with status ", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const char* name = sigabbrev_np(WTERMSIG(status));
    return absl::StrCat("was killed by signal ", WTERMSIG(status),
                        name != nullptr ? absl::StrCat(" (SIG", name, ")") : "");
  }
  return absl::StrCat("ended with wait status ", status);
}

// Absolute, without trailing slashes.
absl::StatusOr<std::string> AbsoluteDir(const std::string& dir) {
  std::string out = dir;
  if (out.front() != '/') {
    char cwd[PATH_MAX];
    if (::getcwd(cwd, sizeof cwd) == nullptr) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot resolve relative data_dir ", dir, ": ", ErrnoString(errno)));
    }
    out = absl::StrCat(cwd, "/", out);
  }
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

// mkdir -p; the last component is created with mode 0700.
absl::Status MakeDataDir(const std::string& dir) {
  for (size_t pos = 1; pos <= dir.size(); ++pos) {
    if (pos != dir.size() && dir[pos] != '/') continue;
    const std::string prefix = dir.substr(0, pos);
    const bool last = pos == dir.size();
    if (::mkdir(prefix.c_str(), last ? 0700 : 0755) == 0) continue;
    const int err = errno;
    if (err == EEXIST) {
      struct stat st;
      if (::stat(prefix.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) continue;
      return absl::FailedPreconditionError(absl::StrCat(
          "redis data_dir ", dir, " is unusable: ", prefix, " exists and is not a directory"));
    }
    if (err == ENOTDIR) {
      return absl::FailedPreconditionError(absl::StrCat(
          "redis data_dir ", dir, " is unusable: a component of ", prefix, " is not a directory"));
    }
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create redis data_dir ", prefix, ": ", ErrnoString(err)));
  }
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("redis data_dir ", dir, " is not writable: ", ErrnoString(errno)));
  }
  return absl::OkStatus();
}

bool IsExecutableFile(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

absl::StatusOr<std::string> ResolveBinary(const std::string& name) {
  const std::string hint =
      "install redis-server (scripts/bootstrap does) or set redis.address to an external Redis";
  if (name.empty()) return absl::InvalidArgumentError("redis_server binary name is empty");
  if (name.find('/') != std::string::npos) {
    if (IsExecutableFile(name)) {
      if (name.front() == '/') return name;
      absl::StatusOr<std::string> abs = AbsoluteDir(name);
      return abs.ok() ? *abs : name;
    }
    return absl::FailedPreconditionError(
        absl::StrCat("redis-server binary ", name, " is missing or not executable: ", hint));
  }
  const char* env = ::getenv("PATH");
  const std::string path = env != nullptr ? env : "/usr/local/bin:/usr/bin:/bin";
  for (absl::string_view dir : absl::StrSplit(path, ':')) {
    const std::string candidate =
        absl::StrCat(dir.empty() ? absl::string_view(".") : dir, "/", name);
    if (IsExecutableFile(candidate)) return candidate;
  }
  return absl::FailedPreconditionError(
      absl::StrCat("redis-server binary \"", name, "\" not found in PATH (", path, "): ", hint));
}

// A value for redis.conf: double-quoted, with the escapes Redis' config parser reads.
std::string QuoteConf(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
  return out;
}

std::string RenderConf(const std::string& dir, const std::string& socket_path,
                       const std::string& appendfsync) {
  return absl::StrCat(
      "# Generated by stockd at every start of its embedded redis-server; edits are lost.\n",
      "port 0\n", "unixsocket ", QuoteConf(socket_path), "\n", "unixsocketperm 700\n", "dir ",
      QuoteConf(dir), "\n", "appendonly yes\n", "appendfsync ", appendfsync, "\n",
      "appenddirname ", kAofDirName, "\n", "aof-use-rdb-preamble yes\n", "save \"\"\n",
      // Rewrite the AOF when it has doubled and is at least 512 MB (Redis: 64 MB). Every
      // rewrite forks redis-server (a pause proportional to its memory) and serializes the
      // whole data set on the same cores stockd runs on; at 64 MB a busy daemon rewrote
      // every few seconds. 512 MB of increments replay in a few seconds at start.
      "auto-aof-rewrite-percentage 100\n", "auto-aof-rewrite-min-size 512mb\n",
      "daemonize no\n", "pidfile ", QuoteConf(dir + "/redis.pid"), "\n", "logfile ",
      QuoteConf(dir + "/redis.log"), "\n", "loglevel notice\n", "maxmemory 0\n",
      "protected-mode yes\n",
      "supervised no\n");  // never sd_notify on stockd's NOTIFY_SOCKET
}

// True when the PING got "+PONG" (not "-LOADING ..." while the AOF is replayed).
bool Ping(const std::string& socket_path, int64_t timeout_ms) {
  ScopedFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return false;
  timeval tv{};
  tv.tv_sec = timeout_ms / 1000;
  tv.tv_usec = static_cast<suseconds_t>((timeout_ms % 1000) * 1000);
  ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);  // also bounds connect
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof addr.sun_path) return false;
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    return false;
  }
  static constexpr char kPing[] = "PING\r\n";
  if (::send(fd.get(), kPing, sizeof kPing - 1, MSG_NOSIGNAL) != sizeof kPing - 1) return false;
  std::string reply;
  char buf[128];
  while (reply.find("\r\n") == std::string::npos && reply.size() < 512) {
    const ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    reply.append(buf, static_cast<size_t>(n));
  }
  return absl::StartsWith(reply, "+PONG\r\n");
}

// True when `pid` no longer runs (gone, or a zombie awaiting its reaper).
bool ProcessGone(pid_t pid) {
  if (::kill(pid, 0) != 0 && errno == ESRCH) return true;
  std::string stat;
  if (!ReadWholeFile(absl::StrCat("/proc/", pid, "/stat"), &stat)) return true;
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos || paren + 2 >= stat.size()) return false;
  const char state = stat[paren + 2];
  return state == 'Z' || state == 'X';
}

std::string RealPath(const std::string& path) {
  char buf[PATH_MAX];
  return ::realpath(path.c_str(), buf) != nullptr ? std::string(buf) : path;
}

// True when `pid` is a redis-server serving <dir>: its name matches, and its process
// title ("redis-server unixsocket:<path>" with our conf) names a socket in `dir`. A
// recycled pid that now belongs to another Redis is left alone.
bool IsRedisServerOf(pid_t pid, const std::string& binary, const std::string& dir) {
  std::string comm, cmdline;
  ReadWholeFile(absl::StrCat("/proc/", pid, "/comm"), &comm);
  ReadWholeFile(absl::StrCat("/proc/", pid, "/cmdline"), &cmdline);
  std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
  const std::string base = binary.substr(binary.rfind('/') + 1);
  const std::string comm_base = base.substr(0, 15);  // comm is truncated to 15 bytes
  auto contains = [](const std::string& hay, const std::string& needle) {
    return !needle.empty() && hay.find(needle) != std::string::npos;
  };
  if (!contains(comm, "redis-server") && !contains(cmdline, "redis-server") &&
      !contains(comm, comm_base) && !contains(cmdline, base)) {
    return false;
  }
  static constexpr char kTag[] = "unixsocket:";
  const size_t tag = cmdline.find(kTag);
  if (tag == std::string::npos) return true;  // another title format: trust the pidfile
  const size_t begin = tag + sizeof kTag - 1;
  const std::string socket = cmdline.substr(begin, cmdline.find(' ', begin) - begin);
  const size_t slash = socket.rfind('/');
  if (slash == std::string::npos) return false;
  return RealPath(socket.substr(0, slash == 0 ? 1 : slash)) == RealPath(dir);
}

bool WaitGone(pid_t pid, int64_t timeout_ms) {
  const int64_t deadline = NowMs() + timeout_ms;
  while (!ProcessGone(pid)) {
    if (NowMs() >= deadline) return false;
    ::usleep(kProbeIntervalMs * 1000);
  }
  return true;
}

// A redis-server named by <dir>/redis.pid that still runs belongs to an owner that died
// (we hold the data-dir lock): typically stockd was SIGKILLed and its child, told by
// PDEATHSIG, is still flushing. Let it finish (SIGTERM), then take over.
absl::Status TerminateStaleInstance(const EmbeddedRedisOptions& options, const std::string& dir,
                                    const std::string& binary) {
  std::string content;
  if (!ReadWholeFile(dir + "/redis.pid", &content)) return absl::OkStatus();
  int pid = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(content), &pid) || pid <= 1 ||
      pid == ::getpid()) {
    return absl::OkStatus();
  }
  if (ProcessGone(pid) || !IsRedisServerOf(pid, binary, dir)) return absl::OkStatus();
  LogTo(options, "warn",
        absl::StrCat("terminating redis-server pid ", pid, " left over from a previous run on ",
                     dir));
  if (::kill(pid, SIGTERM) != 0 && errno != ESRCH) {
    return absl::FailedPreconditionError(
        absl::StrCat("a redis-server (pid ", pid, ") still runs on ", dir,
                     " and cannot be stopped: ", ErrnoString(errno)));
  }
  if (WaitGone(pid, kTermGraceMs)) return absl::OkStatus();
  LogTo(options, "warn",
        absl::StrCat("stale redis-server pid ", pid, " ignored SIGTERM for ", kTermGraceMs,
                     " ms; sending SIGKILL"));
  ::kill(pid, SIGKILL);
  if (WaitGone(pid, 5'000)) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("a stale redis-server (pid ", pid, ") on ", dir, " does not exit"));
}

// Moves `fd` to a number >= 3 (keeping O_CLOEXEC) so the child's dup2 onto 0..2 cannot
// clobber it.
int AboveStdio(int fd) {
  if (fd < 0 || fd > 2) return fd;
  const int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
  ::close(fd);
  return moved;
}

// Runs in the forked child: only async-signal-safe calls from here on.
[[noreturn]] void ExecChild(pid_t parent, int stdin_fd, int out_fd, int err_pipe, int max_fd,
                            const char* binary, char* const argv[]) {
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (::getppid() != parent) ::_exit(1);  // the parent died before prctl took effect
  // Own process group: a Ctrl-C or killpg aimed at stockd does not reach Redis directly,
  // so stockd drains its writes first and then stops Redis itself (or PDEATHSIG does).
  ::setpgid(0, 0);
  // Only the child's: the daemon's own umask is left as it is.
  ::umask(kChildUmask);

  ::dup2(stdin_fd, STDIN_FILENO);
  ::dup2(out_fd, STDOUT_FILENO);
  ::dup2(out_fd, STDERR_FILENO);

  // Inherited fds other than 0..2 and the exec-error pipe (which is O_CLOEXEC).
  bool closed = true;
  if (err_pipe > 3 &&
      ::syscall(SYS_close_range, 3u, static_cast<unsigned>(err_pipe - 1), 0u) != 0) {
    closed = false;
  }
  if (closed && ::syscall(SYS_close_range, static_cast<unsigned>(err_pipe + 1), ~0u, 0u) != 0) {
    closed = false;
  }
  if (!closed) {
    for (int fd = 3; fd < max_fd; ++fd) {
      if (fd != err_pipe) ::close(fd);
    }
  }

  // Ignored signals survive exec; blocked ones too. Redis must see SIGTERM.
  struct sigaction dfl;
  std::memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) ::sigaction(sig, &dfl, nullptr);
  }
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);

  ::execv(binary, argv);
  const int err = errno;
  ssize_t ignored = ::write(err_pipe, &err, sizeof err);
  (void)ignored;
  ::_exit(127);
}

}  // namespace

absl::StatusOr<std::unique_ptr<EmbeddedRedis>> EmbeddedRedis::Start(EmbeddedRedisOptions options) {
  if (options.data_dir.empty()) {
    return absl::InvalidArgumentError("embedded redis: data_dir is empty");
  }
  if (options.appendfsync != "always" && options.appendfsync != "everysec" &&
      options.appendfsync != "no") {
    return absl::InvalidArgumentError(
        absl::StrCat("embedded redis: appendfsync must be always, everysec or no, not \"",
                     options.appendfsync, "\""));
  }
  if (options.start_timeout_ms <= 0 || options.restart_backoff_ms < 0) {
    return absl::InvalidArgumentError(
        "embedded redis: start_timeout_ms must be > 0 and restart_backoff_ms >= 0");
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
  absl::StatusOr<std::string> binary = ResolveBinary(options.redis_server);
  if (!binary.ok()) return binary.status();
  if (absl::Status s = MakeDataDir(options.data_dir); !s.ok()) return s;
  // Before anything is created in it: a directory others may write to is refused as it is.
  absl::StatusOr<std::string> tightened = RequirePrivateDir(options.data_dir, "redis data_dir");
  if (!tightened.ok()) return tightened.status();
  if (!tightened->empty()) LogTo(options, "info", *tightened);

  const std::string lock_path = options.data_dir + "/redis.lock";
  ScopedFd lock_fd(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (lock_fd.get() < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot open ", lock_path, ": ", ErrnoString(errno)));
  }
  if (::flock(lock_fd.get(), LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    if (err == EWOULDBLOCK) {
      std::string owner;
      ReadWholeFile(lock_path, &owner);
      return absl::FailedPreconditionError(absl::StrCat("redis data_dir ", options.data_dir,
                                                        " is in use by another stockd (pid ",
                                                        absl::StripAsciiWhitespace(owner), ")"));
    }
    return absl::FailedPreconditionError(
        absl::StrCat("cannot lock ", lock_path, ": ", ErrnoString(err)));
  }
  const std::string owner = absl::StrCat(::getpid(), "\n");
  if (::ftruncate(lock_fd.get(), 0) == 0) {
    ssize_t ignored = ::pwrite(lock_fd.get(), owner.data(), owner.size(), 0);
    (void)ignored;
  }

  if (absl::Status s = TerminateStaleInstance(options, options.data_dir, *binary); !s.ok()) {
    return s;
  }
  // Files an earlier run (or an older stockd, whose redis-server ran under the daemon's
  // umask) left readable by others; new ones are private through kChildUmask.
  absl::StatusOr<std::vector<std::string>> restricted =
      RemoveGroupAndOtherAccess(options.data_dir, kAofDirName);
  if (!restricted.ok()) return restricted.status();
  if (!restricted->empty()) {
    LogTo(options, "info",
          absl::StrCat("made private (group and other permissions removed) what an earlier run "
                       "left in ",
                       options.data_dir, ": ", absl::StrJoin(*restricted, ", ")));
  }
  if (::unlink(socket_path.c_str()) != 0 && errno != ENOENT) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot remove stale socket ", socket_path, ": ", ErrnoString(errno)));
  }
  if (absl::Status s =
          WriteFileAtomically(options.data_dir + "/redis.conf",
                              RenderConf(options.data_dir, socket_path, options.appendfsync));
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
    if (Ping(socket_path_, std::clamp<int64_t>(left, 1, 1000))) return true;
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
      if (!mu_.AwaitWithTimeout(absl::Condition(&reaped), absl::Milliseconds(kTermGraceMs))) {
        escalated = true;
        ::kill(child, SIGKILL);
        mu_.Await(absl::Condition(&reaped));
      }
    }
  }
  if (escalated) {
    Log("warn", absl::StrCat("redis-server pid ", child, " did not exit within ", kTermGraceMs,
                             " ms of SIGTERM; killed it"));
  }
  if (supervisor_.joinable()) supervisor_.join();
}

void EmbeddedRedis::Log(const char* level, const std::string& msg) const {
  LogTo(options_, level, msg);
}

void EmbeddedRedis::RepairAof() {
  // Before every start: a redis-server that died while writing a transaction leaves a
  // torn one at the end of its AOF, which Redis 7.0 would half apply (aof_repair.h).
  absl::StatusOr<AofRepair> repair =
      RepairAofTail(absl::StrCat(options_.data_dir, "/", kAofDirName));
  if (!repair.ok()) {
    Log("warn", absl::StrCat("cannot check the AOF tail: ", repair.status().message()));
  } else if (repair->dropped_bytes > 0) {
    Log("warn", absl::StrCat("redis AOF ", repair->file, " ended inside a transaction or a "
                             "command (redis-server died while writing it): cut its last ",
                             repair->dropped_bytes, " of ", repair->size,
                             " bytes, an unacknowledged group commit, so that Redis cannot "
                             "apply part of it"));
  }
}

absl::StatusOr<pid_t> EmbeddedRedis::Spawn() {
  // Everything the child needs is prepared here: after fork it may only make
  // async-signal-safe calls (other threads may hold malloc's locks).
  ScopedFd out_fd(
      AboveStdio(::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)));
  if (out_fd.get() < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot open ", log_path_, ": ", ErrnoString(errno)));
  }
  ScopedFd null_fd(AboveStdio(::open("/dev/null", O_RDONLY | O_CLOEXEC)));
  if (null_fd.get() < 0) {
    return absl::InternalError(absl::StrCat("cannot open /dev/null: ", ErrnoString(errno)));
  }
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe2: ", ErrnoString(errno)));
  }
  ScopedFd err_read(pipe_fds[0]);
  ScopedFd err_write(AboveStdio(pipe_fds[1]));
  if (err_write.get() < 0) return absl::InternalError("cannot move the exec-error pipe");

  rlimit nofile{};
  int max_fd = 65536;
  if (::getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur != RLIM_INFINITY) {
    max_fd = static_cast<int>(std::min<rlim_t>(nofile.rlim_cur, 1 << 20));
  }
  const pid_t parent = ::getpid();
  char* const argv[] = {const_cast<char*>(binary_.c_str()), const_cast<char*>(conf_path_.c_str()),
                        nullptr};

  // No signal handler of ours may run in the child between fork and its reset.
  sigset_t all, saved;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &saved);
  const pid_t child = ::fork();
  if (child == 0) {
    ExecChild(parent, null_fd.get(), out_fd.get(), err_write.get(), max_fd, binary_.c_str(), argv);
  }
  const int fork_errno = errno;
  ::pthread_sigmask(SIG_SETMASK, &saved, nullptr);
  if (child < 0) {
    return absl::ResourceExhaustedError(
        absl::StrCat("fork for redis-server: ", ErrnoString(fork_errno)));
  }
  err_write.Reset();
  int exec_errno = 0;
  ssize_t n;
  do {
    n = ::read(err_read.get(), &exec_errno, sizeof exec_errno);
  } while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(sizeof exec_errno)) {
    int status;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    return absl::FailedPreconditionError(
        absl::StrCat("cannot execute ", binary_, ": ", ErrnoString(exec_errno)));
  }
  pid_ = child;
  return child;
}

bool EmbeddedRedis::ProbeUntilReady(pid_t child, std::string* failure) {
  const int64_t deadline = NowMs() + options_.start_timeout_ms;
  for (;;) {
    const int64_t left = deadline - NowMs();
    if (Ping(socket_path_, std::clamp<int64_t>(left, 1, 1000))) return true;
    siginfo_t info{};
    if (::waitid(P_PID, child, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == child) {
      *failure = "exited before answering PING";
      return false;
    }
    absl::MutexLock lock(&mu_);
    if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), absl::Milliseconds(kProbeIntervalMs))) {
      return false;  // Stop signals the child
    }
    if (NowMs() >= deadline) {
      *failure =
          absl::StrCat("did not answer PING within ", options_.start_timeout_ms, " ms; killed it");
      ::kill(child, SIGKILL);  // still unreaped: pid_ == child
      return false;
    }
  }
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
      Log("error", absl::StrCat("cannot restart redis-server: ", spawned.status().ToString(),
                                "; retrying in ", backoff_ms, " ms"));
      if (!sleep_unless_stopping(backoff_ms)) return;
      backoff_ms = std::min(backoff_ms * 2, max_backoff_ms);
      continue;
    }
    const pid_t child = *spawned;
    const int64_t spawned_at = NowMs();
    std::string failure;
    const bool ready = ProbeUntilReady(child, &failure);
    if (ready) {
      // Logged before ready_ is published, so whoever WaitReady wakes sees the line.
      if (!first) Log("info", absl::StrCat("redis-server restarted (pid ", child, ") and ready"));
      absl::MutexLock lock(&mu_);
      ready_ = true;
      started_ = true;
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
                           " (", DescribeExit(status), "); last lines of ", log_path_, ": ",
                           LogTail(log_path_, kLogTailLines)));
        return;
      }
    }
    if (stopping) return;
    if (NowMs() - spawned_at >= kStableUptimeMs) backoff_ms = options_.restart_backoff_ms;
    Log(failure.empty() ? "warn" : "error",
        absl::StrCat("redis-server pid ", child, " ", failure.empty() ? "" : failure + ", ",
                     DescribeExit(status), "; restarting in ", backoff_ms, " ms; last lines of ",
                     log_path_, ": ", LogTail(log_path_, 3)));
    if (!sleep_unless_stopping(backoff_ms)) return;
    backoff_ms = std::min(backoff_ms * 2, max_backoff_ms);
  }
}

}  // namespace stockd::storage
