#include "daemon/storage/data_dir_lock.h"

#include <sys/file.h>

#include <cerrno>
#include <chrono>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "daemon/util/clock.h"
#include "daemon/util/posix.h"

namespace stockd::storage {

namespace {
constexpr int64_t kLockPollMs = 20;
}  // namespace

absl::Status LockDataDir(int fd, const std::string& lock_path, const std::string& data_dir,
                         int64_t wait_ms) {
  const int64_t give_up = util::MonotonicMs() + wait_ms;
  for (;;) {
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return absl::OkStatus();
    const int err = errno;
    if (err != EWOULDBLOCK) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot lock ", lock_path, ": ", util::ErrnoString(err)));
    }
    // The pid the lock file names: written by the holder right after it took the lock,
    // so empty (or a previous holder's) for the moment in between.
    std::string content;
    util::ReadWholeFile(lock_path, &content);
    int pid = 0;
    const bool named = absl::SimpleAtoi(absl::StripAsciiWhitespace(content), &pid) && pid > 0;
    const bool owner_runs = named && !util::ProcessGone(static_cast<pid_t>(pid));
    if (owner_runs) {
      return absl::FailedPreconditionError(absl::StrCat(
          "redis data_dir ", data_dir, " is in use by another stockd (pid ", pid, ")"));
    }
    if (util::MonotonicMs() >= give_up) {
      return absl::FailedPreconditionError(
          absl::StrCat("redis data_dir ", data_dir, " is in use: ", lock_path,
                       " is still held after ", wait_ms, " ms, ",
                       named ? absl::StrCat("and the stockd it names (pid ", pid,
                                            ") has exited: something it started holds it")
                             : "and names no pid"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(kLockPollMs));
  }
}

}  // namespace stockd::storage
