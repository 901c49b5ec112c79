#include "daemon/storage/redis_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "daemon/storage/redis_client.h"
#include "daemon/util/posix.h"

namespace stockd::storage {
namespace {

using util::ErrnoString;
using util::IsExecutableFile;
using util::ReadWholeFile;
using util::ScopedFd;

constexpr int64_t kPollMs = 20;  // while waiting for a stale redis-server to exit
// The child's umask: whatever redis-server creates (AOF files, manifest, RDB, pidfile,
// the AOF directory) is private to the daemon's user.
constexpr mode_t kChildUmask = 077;

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
  return util::RealPath(socket.substr(0, slash == 0 ? 1 : slash)) == util::RealPath(dir);
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

absl::StatusOr<std::string> ResolveRedisBinary(const std::string& name) {
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

RedisProbe ProbeRedis(const std::string& socket_path, int64_t timeout_ms) {
  absl::StatusOr<std::unique_ptr<RedisConnection>> redis =
      RedisConnection::Connect("unix:" + socket_path, timeout_ms);
  if (!redis.ok()) return RedisProbe::kNoAnswer;
  absl::StatusOr<Reply> pong = (*redis)->Command({"PING"});
  if (!pong.ok()) return RedisProbe::kNoAnswer;
  if (pong->type == Reply::Type::kStatus && pong->str == "PONG") return RedisProbe::kReady;
  if (pong->is_error() && absl::StartsWith(pong->str, "LOADING")) return RedisProbe::kLoading;
  return RedisProbe::kNoAnswer;
}

bool PingRedis(const std::string& socket_path, int64_t timeout_ms) {
  return ProbeRedis(socket_path, timeout_ms) == RedisProbe::kReady;
}

absl::Status TerminateStaleRedis(const std::string& dir, const std::string& binary,
                                 const log::Sink& log) {
  std::string content;
  if (!ReadWholeFile(dir + "/redis.pid", &content)) return absl::OkStatus();
  int pid = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(content), &pid) || pid <= 1 ||
      pid == ::getpid()) {
    return absl::OkStatus();
  }
  if (util::ProcessGone(pid) || !IsRedisServerOf(pid, binary, dir)) return absl::OkStatus();
  log(log::Level::kWarn, absl::StrCat("terminating redis-server pid ", pid,
                                      " left over from a previous run on ", dir));
  if (::kill(pid, SIGTERM) != 0 && errno != ESRCH) {
    return absl::FailedPreconditionError(
        absl::StrCat("a redis-server (pid ", pid, ") still runs on ", dir,
                     " and cannot be stopped: ", ErrnoString(errno)));
  }
  if (util::WaitGone(pid, kRedisTermGraceMs, kPollMs)) return absl::OkStatus();
  log(log::Level::kWarn, absl::StrCat("stale redis-server pid ", pid, " ignored SIGTERM for ",
                                      kRedisTermGraceMs, " ms; sending SIGKILL"));
  ::kill(pid, SIGKILL);
  if (util::WaitGone(pid, 5'000, kPollMs)) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("a stale redis-server (pid ", pid, ") on ", dir, " does not exit"));
}

absl::StatusOr<pid_t> SpawnRedisServer(const std::string& binary, const std::string& conf_path,
                                       const std::string& log_path) {
  // Everything the child needs is prepared here: after fork it may only make
  // async-signal-safe calls (other threads may hold malloc's locks).
  ScopedFd out_fd(
      util::AboveStdio(::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)));
  if (out_fd.get() < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot open ", log_path, ": ", ErrnoString(errno)));
  }
  ScopedFd null_fd(util::AboveStdio(::open("/dev/null", O_RDONLY | O_CLOEXEC)));
  if (null_fd.get() < 0) {
    return absl::InternalError(absl::StrCat("cannot open /dev/null: ", ErrnoString(errno)));
  }
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe2: ", ErrnoString(errno)));
  }
  ScopedFd err_read(pipe_fds[0]);
  ScopedFd err_write(util::AboveStdio(pipe_fds[1]));
  if (err_write.get() < 0) return absl::InternalError("cannot move the exec-error pipe");

  rlimit nofile{};
  int max_fd = 65536;
  if (::getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur != RLIM_INFINITY) {
    max_fd = static_cast<int>(std::min<rlim_t>(nofile.rlim_cur, 1 << 20));
  }
  const pid_t parent = ::getpid();
  char* const argv[] = {const_cast<char*>(binary.c_str()), const_cast<char*>(conf_path.c_str()),
                        nullptr};

  // No signal handler of ours may run in the child between fork and its reset.
  sigset_t all, saved;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &saved);
  const pid_t child = ::fork();
  if (child == 0) {
    ExecChild(parent, null_fd.get(), out_fd.get(), err_write.get(), max_fd, binary.c_str(), argv);
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
        absl::StrCat("cannot execute ", binary, ": ", ErrnoString(exec_errno)));
  }
  return child;
}

}  // namespace stockd::storage
