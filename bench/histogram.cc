#include "bench/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace stockd::bench {

size_t LatencyHistogram::BucketIndex(uint64_t nanos) {
  if (nanos < kLinearCount) return static_cast<size_t>(nanos);
  const int top_bit = std::bit_width(nanos) - 1;  // >= kLinearBits
  const int shift = top_bit - (kLinearBits - 1);  // >= 1
  const uint64_t mantissa = nanos >> shift;       // in [kSubBuckets, 2 * kSubBuckets)
  return static_cast<size_t>(kLinearCount + (shift - 1) * kSubBuckets + (mantissa - kSubBuckets));
}

uint64_t LatencyHistogram::BucketLow(size_t index) {
  if (index < kLinearCount) return index;
  const size_t offset = index - kLinearCount;
  const int shift = static_cast<int>(offset / kSubBuckets) + 1;
  const uint64_t mantissa = offset % kSubBuckets + kSubBuckets;
  return mantissa << shift;
}

uint64_t LatencyHistogram::BucketWidth(size_t index) {
  if (index < kLinearCount) return 1;
  return uint64_t{1} << ((index - kLinearCount) / kSubBuckets + 1);
}

void LatencyHistogram::Record(uint64_t nanos) {
  buckets_[BucketIndex(nanos)].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(nanos, std::memory_order_relaxed);
  uint64_t seen = max_.load(std::memory_order_relaxed);
  while (nanos > seen && !max_.compare_exchange_weak(seen, nanos, std::memory_order_relaxed)) {
  }
  seen = min_.load(std::memory_order_relaxed);
  while (nanos < seen && !min_.compare_exchange_weak(seen, nanos, std::memory_order_relaxed)) {
  }
}

uint64_t LatencyHistogram::Min() const {
  return Count() == 0 ? 0 : min_.load(std::memory_order_relaxed);
}

double LatencyHistogram::Mean() const {
  const uint64_t n = Count();
  return n == 0 ? 0.0 : static_cast<double>(sum_.load(std::memory_order_relaxed)) / n;
}

uint64_t LatencyHistogram::ValueAtQuantile(double q) const {
  const uint64_t n = Count();
  if (n == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  const uint64_t rank = std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(q * n)));
  uint64_t seen = 0;
  for (size_t i = 0; i < kBucketCount; ++i) {
    seen += buckets_[i].load(std::memory_order_relaxed);
    if (seen >= rank) {
      const uint64_t mid = BucketLow(i) + (BucketWidth(i) - 1) / 2;
      return std::clamp(mid, Min(), Max());
    }
  }
  return Max();
}

}  // namespace stockd::bench
