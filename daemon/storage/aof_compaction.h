// Keeping the embedded redis-server's AOF short across restarts (docs/storage.md, "AOF
// rewrites"). Redis rewrites its AOF when it has doubled since it was loaded; a restart
// resets that base to everything loaded, so a redis-server restarted more often than its
// AOF doubles never rewrites it, and every start replays more (the crash test: 208 MB of
// increments over an empty base after 333 stockd restarts, 13 s to start). The
// supervisor therefore asks for a rewrite after a start when the increments have
// outgrown the base.
//
// Thread safety: pure functions over the file system; thread-safe.
#ifndef STOCKD_DAEMON_STORAGE_AOF_COMPACTION_H_
#define STOCKD_DAEMON_STORAGE_AOF_COMPACTION_H_

#include <cstdint>
#include <string>

namespace stockd::storage {

// Bytes of the AOF's base file(s) (*.base.rdb, *.base.aof) and increment files
// (*.incr.aof) in `aof_dir` (Redis 7's multi-part AOF); 0 for a missing directory.
struct AofSizes {
  int64_t base = 0;
  int64_t incr = 0;
};
AofSizes ReadAofSizes(const std::string& aof_dir);

// A start should rewrite (BGREWRITEAOF) when the increments are at least `min_bytes` and
// at least as large as the base: a replay then reads at most about twice the data set.
// min_bytes <= 0: never.
inline bool ShouldRewriteAtStart(const AofSizes& sizes, int64_t min_bytes) {
  return min_bytes > 0 && sizes.incr >= min_bytes && sizes.incr >= sizes.base;
}

}  // namespace stockd::storage

#endif  // STOCKD_DAEMON_STORAGE_AOF_COMPACTION_H_
