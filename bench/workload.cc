#include "bench/workload.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace stockd::bench {
namespace {

uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t RotateLeft(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

// Appends `value` in decimal, zero-padded to `width` digits.
void AppendPadded(uint64_t value, int width, std::string* out) {
  char digits[24];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  for (int i = n; i < width; ++i) out->push_back('0');
  while (n > 0) out->push_back(digits[--n]);
}

}  // namespace

Rng::Rng(uint64_t seed) {
  for (uint64_t& word : s_) word = SplitMix64(seed);
}

uint64_t Rng::Next() {
  const uint64_t result = RotateLeft(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = RotateLeft(s_[3], 45);
  return result;
}

uint64_t Rng::Below(uint64_t bound) {
  // Lemire's multiply-shift; the bias (< bound / 2^64) is far below what a benchmark sees.
  return static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * bound) >> 64);
}

double Rng::Unit() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

SkuPicker::SkuPicker(Skew skew, int64_t skus, double zipf_s) : skew_(skew), skus_(skus) {
  if (skew_ != Skew::kZipf) return;
  cdf_.resize(static_cast<size_t>(skus_));
  double total = 0;
  for (int64_t k = 0; k < skus_; ++k) {
    total += 1.0 / std::pow(static_cast<double>(k + 1), zipf_s);
    cdf_[k] = total;
  }
  for (double& p : cdf_) p /= total;
  cdf_.back() = 1.0;
}

int64_t SkuPicker::Pick(Rng& rng) const {
  switch (skew_) {
    case Skew::kHot:
      return 0;
    case Skew::kUniform:
      return static_cast<int64_t>(rng.Below(static_cast<uint64_t>(skus_)));
    case Skew::kZipf: {
      auto it = std::upper_bound(cdf_.begin(), cdf_.end(), rng.Unit());
      return std::min<int64_t>(it - cdf_.begin(), skus_ - 1);
    }
  }
  return 0;
}

void SkuPicker::PickDistinct(Rng& rng, int count, std::vector<int64_t>* out) const {
  out->clear();
  if (skew_ == Skew::kHot) {
    for (int i = 0; i < count; ++i) out->push_back(i);
    return;
  }
  while (static_cast<int>(out->size()) < count) {
    const int64_t sku = Pick(rng);
    if (std::find(out->begin(), out->end(), sku) == out->end()) out->push_back(sku);
  }
}

void SkuNamer::Name(int64_t index, std::string* out) const {
  out->assign(prefix_);
  AppendPadded(static_cast<uint64_t>(index), width_, out);
}

std::string SkuNamer::Name(int64_t index) const {
  std::string name;
  Name(index, &name);
  return name;
}

RequestIds::RequestIds(absl::string_view prefix, uint64_t run_id)
    : run_id_(absl::StrCat(absl::Hex(run_id, absl::kZeroPad16))),
      base_(absl::StrCat(prefix, run_id_, "-")) {}

void RequestIds::Next(std::string* out) {
  out->assign(base_);
  AppendPadded(counter_.fetch_add(1, std::memory_order_relaxed), 1, out);
}

}  // namespace stockd::bench
