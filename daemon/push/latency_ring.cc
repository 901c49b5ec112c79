#include "daemon/push/latency_ring.h"

#include <algorithm>

namespace stockd::push {

LatencyRing::LatencyRing(size_t capacity) : capacity_(std::max<size_t>(1, capacity)) {}

void LatencyRing::Add(int64_t latency_ms) {
  if (samples_.size() < capacity_) {
    samples_.push_back(latency_ms);
  } else {
    samples_[next_++ % capacity_] = latency_ms;
  }
}

LatencyRing::Summary LatencyRing::Summarize() const {
  Summary s;
  if (samples_.empty()) return s;
  std::vector<int64_t> sorted = samples_;
  std::sort(sorted.begin(), sorted.end());
  s.samples = static_cast<int64_t>(sorted.size());
  s.p50_ms = sorted[sorted.size() / 2];
  s.p99_ms = sorted[std::min(sorted.size() - 1, sorted.size() * 99 / 100)];
  s.max_ms = sorted.back();
  return s;
}

}  // namespace stockd::push
