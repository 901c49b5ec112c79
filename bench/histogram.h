// LatencyHistogram: a fixed-size log-linear histogram of latencies in nanoseconds, in
// the manner of HdrHistogram. Values below 256 ns have a bucket each; above, every power
// of two is split into 128 equal buckets, so a bucket is at most 1/128 of its lower bound
// wide and the bucket midpoint a quantile reports is within 0.4% of any value in it. The
// whole uint64 range is covered (7,424 buckets, 58 KiB); nothing is clamped.
//
// Thread-safety: Record() may be called from any number of threads at once (relaxed
// atomic increments). Readers (Count, ValueAtQuantile, ...) must run after the writers
// are done and synchronized with them (the benchmark reads once every call completed).
#ifndef STOCKD_BENCH_HISTOGRAM_H_
#define STOCKD_BENCH_HISTOGRAM_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace stockd::bench {

class LatencyHistogram {
 public:
  static constexpr int kLinearBits = 8;  // 256 exact buckets
  static constexpr uint64_t kLinearCount = uint64_t{1} << kLinearBits;
  static constexpr uint64_t kSubBuckets = kLinearCount / 2;  // per power of two
  static constexpr size_t kBucketCount = kLinearCount + (64 - kLinearBits) * kSubBuckets;

  LatencyHistogram() = default;
  LatencyHistogram(const LatencyHistogram&) = delete;
  LatencyHistogram& operator=(const LatencyHistogram&) = delete;

  void Record(uint64_t nanos);

  uint64_t Count() const { return count_.load(std::memory_order_relaxed); }
  uint64_t Max() const { return max_.load(std::memory_order_relaxed); }
  uint64_t Min() const;  // 0 when empty
  double Mean() const;   // 0 when empty
  // The value at quantile q (0 < q <= 1): the midpoint of the bucket holding the
  // ceil(q * Count())-th smallest value, capped at Max(). 0 when empty.
  uint64_t ValueAtQuantile(double q) const;

  // Bucket geometry: index of a value, and the range [low, low + width) of a bucket.
  static size_t BucketIndex(uint64_t nanos);
  static uint64_t BucketLow(size_t index);
  static uint64_t BucketWidth(size_t index);

 private:
  std::array<std::atomic<uint64_t>, kBucketCount> buckets_{};
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_{0};
  std::atomic<uint64_t> max_{0};
  std::atomic<uint64_t> min_{UINT64_MAX};
};

}  // namespace stockd::bench

#endif  // STOCKD_BENCH_HISTOGRAM_H_
