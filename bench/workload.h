// The workload of stockd-bench: which SKU each op touches (uniform, one hot SKU, Zipf),
// what the SKUs are called, and the unique request_id every mutation carries.
//
// Thread-safety: SkuPicker and SkuNamer are immutable after construction and may be
// shared by every thread. Rng is not thread-safe: each in-flight slot owns one.
// RequestIds::Next may be called from any thread.
#ifndef STOCKD_BENCH_WORKLOAD_H_
#define STOCKD_BENCH_WORKLOAD_H_

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "bench/options.h"

namespace stockd::bench {

// xoshiro256** seeded through splitmix64: fast, good enough for load generation.
class Rng {
 public:
  explicit Rng(uint64_t seed);
  uint64_t Next();
  // Uniform in [0, bound).
  uint64_t Below(uint64_t bound);
  // Uniform in [0, 1).
  double Unit();

 private:
  uint64_t s_[4];
};

class SkuPicker {
 public:
  // For Skew::kZipf precomputes the CDF over `skus` ranks (8 bytes per SKU).
  SkuPicker(Skew skew, int64_t skus, double zipf_s);
  SkuPicker(const SkuPicker&) = delete;
  SkuPicker& operator=(const SkuPicker&) = delete;

  // One SKU index in [0, skus).
  int64_t Pick(Rng& rng) const;
  // `count` distinct SKU indexes (count <= skus). Hot: 0..count-1, so SKU 0 is in every
  // call; uniform and Zipf: drawn from the distribution, repeats redrawn.
  void PickDistinct(Rng& rng, int count, std::vector<int64_t>* out) const;

 private:
  Skew skew_;
  int64_t skus_;
  std::vector<double> cdf_;  // Zipf only: cdf_[k] = P(rank <= k)
};

// SKU i = prefix + i zero-padded to `width` digits.
class SkuNamer {
 public:
  SkuNamer(std::string prefix, int width) : prefix_(std::move(prefix)), width_(width) {}
  // Replaces *out with the name of SKU `index` (reusing its capacity).
  void Name(int64_t index, std::string* out) const;
  std::string Name(int64_t index) const;

 private:
  std::string prefix_;
  int width_;
};

// request_id = prefix + run id + "-" + counter: unique within the run and, through the
// random run id, across runs against the same daemon.
class RequestIds {
 public:
  RequestIds(absl::string_view prefix, uint64_t run_id);
  // Replaces *out with a fresh id (reusing its capacity).
  void Next(std::string* out);
  const std::string& run_id() const { return run_id_; }

 private:
  std::string run_id_;
  std::string base_;  // prefix + run id + "-"
  std::atomic<uint64_t> counter_{0};
};

}  // namespace stockd::bench

#endif  // STOCKD_BENCH_WORKLOAD_H_
