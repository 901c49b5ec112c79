// The last N latencies of a channel (first dirty -> acknowledged, in milliseconds), and
// their p50, p99 and maximum for push-status. Bounded: once full, each new sample
// replaces the oldest.
//
// Thread safety: none; the owner serialises every call (ChannelPusher: under its mutex).
#ifndef STOCKD_DAEMON_PUSH_LATENCY_RING_H_
#define STOCKD_DAEMON_PUSH_LATENCY_RING_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace stockd::push {

class LatencyRing {
 public:
  struct Summary {
    int64_t samples = 0;  // all other fields are 0 when there are none
    int64_t p50_ms = 0;   // the sample at rank samples / 2, sorted ascending
    int64_t p99_ms = 0;   // the sample at rank min(samples - 1, samples * 99 / 100)
    int64_t max_ms = 0;
  };

  explicit LatencyRing(size_t capacity = 10'000);

  void Add(int64_t latency_ms);
  // Sorts a copy of the samples: O(N log N), for an occasional status call.
  Summary Summarize() const;

 private:
  const size_t capacity_;
  std::vector<int64_t> samples_;
  size_t next_ = 0;  // where the next sample goes once full
};

}  // namespace stockd::push

#endif  // STOCKD_DAEMON_PUSH_LATENCY_RING_H_
