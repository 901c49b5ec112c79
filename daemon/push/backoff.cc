#include "daemon/push/backoff.h"

#include <algorithm>

namespace stockd::push {

Backoff::Backoff(int64_t initial_ms, int64_t max_ms, uint64_t seed)
    : initial_ms_(initial_ms), max_ms_(max_ms), rng_(seed) {}

int64_t Backoff::CeilingMs(int attempts) const {
  int64_t delay = initial_ms_;
  for (int i = 1; i < attempts && delay < max_ms_; ++i) delay *= 2;
  return std::min(delay, max_ms_);
}

int64_t Backoff::DelayMs(int attempts, int64_t retry_after_ms) {
  if (retry_after_ms > 0) return retry_after_ms;
  const int64_t ceiling = CeilingMs(attempts);
  std::uniform_int_distribution<int64_t> jitter(ceiling / 2, ceiling);
  return jitter(rng_);
}

}  // namespace stockd::push
