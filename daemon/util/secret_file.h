// Reads a secret (a password) from a file that only its owner may access: the config
// names the file, never the secret, so the secret stays out of the YAML, the logs and
// every error message. Used by the config check (at load) and by the Redis client (at
// each connect, so a rotated file is picked up by the next reconnect).
//
// Thread safety: pure function of the file system; thread-safe.
#ifndef STOCKD_DAEMON_UTIL_SECRET_FILE_H_
#define STOCKD_DAEMON_UTIL_SECRET_FILE_H_

#include <string>

#include "absl/status/statusor.h"

namespace stockd::util {

// Largest secret file accepted.
inline constexpr size_t kMaxSecretFileBytes = 4096;

// The file's content with trailing "\n" / "\r\n" stripped. FAILED_PRECONDITION when the
// file cannot be read, is not a regular file, is larger than kMaxSecretFileBytes, is
// empty (after stripping), or grants any access to group or others (mode & 077). The
// message names the path and the problem, never the content.
absl::StatusOr<std::string> ReadSecretFile(const std::string& path);

}  // namespace stockd::util

#endif  // STOCKD_DAEMON_UTIL_SECRET_FILE_H_
