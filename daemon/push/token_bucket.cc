#include "daemon/push/token_bucket.h"

#include <algorithm>
#include <limits>

namespace stockd::push {

TokenBucket::TokenBucket(double rate_per_second, int burst, int64_t now_ms)
    : rate_per_second_(rate_per_second),
      size_(burst > 0 ? burst : std::max(1.0, rate_per_second)),
      tokens_(size_),
      refilled_at_ms_(now_ms) {}

void TokenBucket::Refill(int64_t now_ms) {
  tokens_ = std::min(size_, tokens_ + (now_ms - refilled_at_ms_) * rate_per_second_ / 1000.0);
  refilled_at_ms_ = now_ms;
}

int64_t TokenBucket::Available(int64_t now_ms) {
  if (unlimited()) return std::numeric_limits<int64_t>::max();
  Refill(now_ms);
  return static_cast<int64_t>(tokens_);
}

int64_t TokenBucket::MsUntil(int64_t n, int64_t now_ms) {
  if (unlimited()) return 0;
  Refill(now_ms);
  if (tokens_ >= static_cast<double>(n)) return 0;
  // + 1: the integer part alone can leave the bucket a fraction short.
  return std::max<int64_t>(
      1, static_cast<int64_t>((static_cast<double>(n) - tokens_) * 1000.0 / rate_per_second_) + 1);
}

void TokenBucket::Take(int64_t n) {
  if (!unlimited()) tokens_ -= static_cast<double>(n);
}

}  // namespace stockd::push
