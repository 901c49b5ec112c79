// The process's clocks in milliseconds: MonotonicMs for timeouts, deadlines and intervals
// (never jumps), WallMs for timestamps (Unix epoch; follows the system clock). Engine time
// that tests must control goes through engine::Clock (daemon/engine/clock.h) instead.
//
// Header-only (the engine library and stockctl use it too). Thread-safe.
#ifndef STOCKD_DAEMON_UTIL_CLOCK_H_
#define STOCKD_DAEMON_UTIL_CLOCK_H_

#include <chrono>
#include <cstdint>

namespace stockd::util {

// std::chrono::steady_clock, in ms since an arbitrary start.
inline int64_t MonotonicMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// std::chrono::system_clock, in ms since the Unix epoch.
inline int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace stockd::util

#endif  // STOCKD_DAEMON_UTIL_CLOCK_H_
