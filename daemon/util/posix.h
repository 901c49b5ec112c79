// Small POSIX helpers: an owned file descriptor, whole-file reads, atomic file writes, the
// tail of a log file, wait statuses, executables, and watching another process end. They
// know nothing of Redis; the embedded redis-server supervisor (storage/embedded_redis.h)
// is their main user.
//
// Thread safety: ScopedFd is a value owned by one thread; every function is thread-safe
// (each works on the file system or the process table only).
#ifndef STOCKD_DAEMON_UTIL_POSIX_H_
#define STOCKD_DAEMON_UTIL_POSIX_H_

#include <sys/types.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <utility>

#include "absl/status/status.h"

namespace stockd::util {

// Owns one file descriptor (-1: none); closes it on destruction.
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

// strerror for `err`, thread-safe.
std::string ErrnoString(int err);

// The whole of `path` into `*out`. False if it cannot be opened or read.
bool ReadWholeFile(const std::string& path, std::string* out);

// Writes `content` to <path>.tmp (mode 0600) and renames it over `path`.
// FAILED_PRECONDITION naming the file and the errno text on failure (the .tmp is removed).
absl::Status WriteFileAtomically(const std::string& path, const std::string& content);

// The last `max_lines` non-empty lines of `path` (from its last 4 KiB), joined with
// " | ", or a note in parentheses that the file is missing or empty.
std::string FileTail(const std::string& path, int max_lines);

// A waitpid status in words: "exited with status 1", "was killed by signal 9 (SIGKILL)".
std::string DescribeExit(int status);

// A regular file we may execute.
bool IsExecutableFile(const std::string& path);

// realpath(3), or `path` itself when it cannot be resolved.
std::string RealPath(const std::string& path);

// True when `pid` no longer runs (gone, or a zombie awaiting its reaper).
bool ProcessGone(pid_t pid);

// Polls ProcessGone every `poll_ms` for up to `timeout_ms` (monotonic). True once gone.
bool WaitGone(pid_t pid, int64_t timeout_ms, int64_t poll_ms);

// Moves `fd` to a number >= 3 (keeping O_CLOEXEC), so that a child's dup2 onto 0..2
// cannot clobber it. Returns the new fd (or `fd` unchanged when already >= 3 or < 0).
int AboveStdio(int fd);

}  // namespace stockd::util

#endif  // STOCKD_DAEMON_UTIL_POSIX_H_
