#include "daemon/util/posix.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "daemon/util/clock.h"

namespace stockd::util {

std::string ErrnoString(int err) {
  char buf[256];
  return strerror_r(err, buf, sizeof buf);  // GNU variant: returns the message
}

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

std::string FileTail(const std::string& path, int max_lines) {
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

bool IsExecutableFile(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

std::string RealPath(const std::string& path) {
  char buf[PATH_MAX];
  return ::realpath(path.c_str(), buf) != nullptr ? std::string(buf) : path;
}

bool ProcessGone(pid_t pid) {
  if (::kill(pid, 0) != 0 && errno == ESRCH) return true;
  std::string stat;
  if (!ReadWholeFile(absl::StrCat("/proc/", pid, "/stat"), &stat)) return true;
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos || paren + 2 >= stat.size()) return false;
  const char state = stat[paren + 2];
  return state == 'Z' || state == 'X';
}

bool WaitGone(pid_t pid, int64_t timeout_ms, int64_t poll_ms) {
  const int64_t deadline = MonotonicMs() + timeout_ms;
  while (!ProcessGone(pid)) {
    if (MonotonicMs() >= deadline) return false;
    ::usleep(static_cast<useconds_t>(poll_ms * 1000));
  }
  return true;
}

int AboveStdio(int fd) {
  if (fd < 0 || fd > 2) return fd;
  const int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
  ::close(fd);
  return moved;
}

}  // namespace stockd::util
