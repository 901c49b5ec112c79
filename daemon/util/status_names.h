// Names of the canonical gRPC status codes ("OK", "NOT_FOUND", ...), for tools that print
// them (stockctl, stockd-bench). Header-only; constexpr; thread-safe.
#ifndef STOCKD_DAEMON_UTIL_STATUS_NAMES_H_
#define STOCKD_DAEMON_UTIL_STATUS_NAMES_H_

#include <array>

#include "absl/strings/string_view.h"

namespace stockd::util {

inline constexpr int kStatusCodeCount = 17;

// "UNKNOWN" for a number outside 0..16.
constexpr absl::string_view StatusCodeName(int code) {
  constexpr std::array<absl::string_view, kStatusCodeCount> kNames = {
      "OK",
      "CANCELLED",
      "UNKNOWN",
      "INVALID_ARGUMENT",
      "DEADLINE_EXCEEDED",
      "NOT_FOUND",
      "ALREADY_EXISTS",
      "PERMISSION_DENIED",
      "RESOURCE_EXHAUSTED",
      "FAILED_PRECONDITION",
      "ABORTED",
      "OUT_OF_RANGE",
      "UNIMPLEMENTED",
      "INTERNAL",
      "UNAVAILABLE",
      "DATA_LOSS",
      "UNAUTHENTICATED",
  };
  return code < 0 || code >= kStatusCodeCount ? kNames[2] : kNames[code];
}

}  // namespace stockd::util

#endif  // STOCKD_DAEMON_UTIL_STATUS_NAMES_H_
