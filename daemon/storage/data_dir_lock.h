// The embedded Redis data dir's lock (redis.lock): one stockd per data dir.
//
// Thread-safety: a free function; it only touches the fd and the file it is given.
#ifndef STOCKD_DAEMON_STORAGE_DATA_DIR_LOCK_H_
#define STOCKD_DAEMON_STORAGE_DATA_DIR_LOCK_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace stockd::storage {

// Takes an exclusive flock on `fd` (the open `lock_path` of `data_dir`). Held by a stockd
// that still runs (the pid the file names): FAILED_PRECONDITION at once. Held while that
// stockd has exited: something it started holds the lock for a moment (a stockd SIGKILLed
// while it forks its redis-server leaves the child holding it until the child runs and
// exits, redis_process.cc), and while it names no pid yet (its holder writes it right
// after locking), so it is tried again for up to `wait_ms`, then refused saying which.
// Any other flock failure: FAILED_PRECONDITION naming errno.
absl::Status LockDataDir(int fd, const std::string& lock_path, const std::string& data_dir,
                         int64_t wait_ms);

}  // namespace stockd::storage

#endif  // STOCKD_DAEMON_STORAGE_DATA_DIR_LOCK_H_
