// Repairs a torn tail of the embedded redis-server's append-only file before it starts.
//
// Why: when redis-server dies in the middle of writing a MULTI ... EXEC block (SIGKILL,
// power loss), the AOF ends inside the transaction. With `aof-load-truncated yes` Redis
// 7.0 truncates the file at the last complete *command*, which leaves "MULTI + part of
// the transaction" without its EXEC; the next writes are appended after it, and at the
// following start Redis applies the torn part together with the next transaction (it
// logs "MULTI calls can not be nested"). A group commit would be half applied: stored
// counters that disagree with the stored holds. (Valkey fixed this in 2026, PR #4342,
// by truncating before the MULTI; Debian's Redis 7.0 has no fix.) stockd's crash test
// reproduced it by killing redis-server under load.
//
// RepairAofTail does what Redis should: it scans the last INCR file of the multi-part
// AOF (appendonly.aof.manifest) and, if the file ends inside a transaction or inside a
// command, truncates it to the end of the last complete EXEC or top-level command. A
// format error before the tail is left alone (Redis then refuses to start and says why).
//
// Thread safety: call with no redis-server running on `aof_dir`.
#ifndef STOCKD_DAEMON_STORAGE_AOF_REPAIR_H_
#define STOCKD_DAEMON_STORAGE_AOF_REPAIR_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace stockd::storage {

struct AofRepair {
  std::string file;           // the INCR file scanned ("" when there is none)
  int64_t size = 0;           // its size before the repair
  int64_t dropped_bytes = 0;  // what was cut from its end (0: nothing to repair)
};

// Scans `aof_dir` (Redis's appenddirname, holding appendonly.aof.manifest). OK with
// nothing to do when there is no manifest or no INCR file. INTERNAL on I/O errors.
absl::StatusOr<AofRepair> RepairAofTail(const std::string& aof_dir,
                                        const std::string& aof_name = "appendonly.aof");

// The length of the longest prefix of `data` that ends at a transaction boundary: after
// an EXEC, or after a complete command outside MULTI (annotation lines "#..." count as
// commands). Returns -1 when `data` has a format error that a torn write cannot explain
// (garbage before the end), in which case nothing should be cut.
int64_t CompletePrefix(const char* data, int64_t size);

}  // namespace stockd::storage

#endif  // STOCKD_DAEMON_STORAGE_AOF_REPAIR_H_
