// Keeps the embedded Redis's data directory private to the daemon's user. Another local
// user who may write to it could rename or replace the Redis unix socket or the
// append-only file; one who may read it could read every stock record.
//
// Policy (docs/storage.md, "Embedded default"):
//   - the data directory must be owned by the daemon's effective user and must not be
//     writable by group or others: such a directory is refused, not repaired, because an
//     operator chose that mode and the fix (chown / chmod 700) is theirs to make;
//   - one that group or others may only read or search (e.g. 0755) is tightened to 0700:
//     that takes nothing away from the daemon and cannot have been a deliberate sharing
//     arrangement the daemon relies on;
//   - what an earlier run left in it (redis-server files created under a umask of 022)
//     loses its group and other permissions.
// New files are private because the embedded redis-server runs with a umask of 077.
//
// Thread safety: plain functions on the file system; call them while no other process
// writes to the directory (EmbeddedRedis::Start holds the data-dir lock or has not yet
// created anything in it).
#ifndef STOCKD_DAEMON_STORAGE_PRIVATE_DIR_H_
#define STOCKD_DAEMON_STORAGE_PRIVATE_DIR_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace stockd::storage {

// Checks the existing directory `dir` (`what` names it in messages, e.g. "redis
// data_dir"). Returns "" when it was already private, or a sentence saying how it was
// tightened (mode 0755 -> 0700) for the caller to log.
//   FAILED_PRECONDITION  owned by another user, or writable by group or others (the
//                        message names the path, the owner or mode, and the chown /
//                        chmod 700 that fixes it); it is left unchanged. Also when it
//                        cannot be inspected or tightened.
absl::StatusOr<std::string> RequirePrivateDir(const std::string& dir, const std::string& what);

// Removes the group and other permission bits (and setuid/setgid/sticky) from every
// regular file directly in `dir`, from the subdirectory `dir`/`subdir` and from the
// regular files in it. Symbolic links and other entries are left alone. Returns one
// "name 0644 -> 0600" line per change (`subdir` entries as "subdir/name"), in directory
// order. A missing `subdir` is fine.
//   FAILED_PRECONDITION  a listing or a chmod failed (e.g. a file owned by another user
//                        when the daemon is not root); the message names the file.
absl::StatusOr<std::vector<std::string>> RemoveGroupAndOtherAccess(const std::string& dir,
                                                                   const std::string& subdir);

}  // namespace stockd::storage

#endif  // STOCKD_DAEMON_STORAGE_PRIVATE_DIR_H_
