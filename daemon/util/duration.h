// The one duration grammar of stockd: the config file (`max_ttl: 7d`) and stockctl
// (`--ttl 7d`) read durations the same way. A duration is a non-negative integer followed
// by one unit, ms, s, m, h or d; a bare integer means seconds. Pure function; thread-safe.
#ifndef STOCKD_DAEMON_UTIL_DURATION_H_
#define STOCKD_DAEMON_UTIL_DURATION_H_

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"

namespace stockd::util {

// Milliseconds, or INVALID_ARGUMENT naming the text and what is wrong with it.
absl::StatusOr<int64_t> ParseDurationMs(std::string_view text);

}  // namespace stockd::util

#endif  // STOCKD_DAEMON_UTIL_DURATION_H_
