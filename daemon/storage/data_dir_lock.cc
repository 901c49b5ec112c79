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
    std::string content;
    util::ReadWholeFile(lock_path, &content);
    const absl::string_view owner = absl::StripAsciiWhitespace(content);
    int pid = 0;
    const bool owner_runs =
        absl::SimpleAtoi(owner, &pid) && pid > 0 && !util::ProcessGone(static_cast<pid_t>(pid));
    if (owner_runs || util::MonotonicMs() >= give_up) {
      return absl::FailedPreconditionError(absl::StrCat(
          "redis data_dir ", data_dir, " is in use by another stockd (pid ", owner, ")",
          owner_runs ? ""
                     : absl::StrCat(", which has exited; something it started still holds ",
                                    lock_path, " after ", wait_ms, " ms")));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(kLockPollMs));
  }
}

}  // namespace stockd::storage
