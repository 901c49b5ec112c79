// What the push engine reports about its channels: the status of each channel's pusher
// and the drift a Resync found. Plain values, no behaviour. They are defined here, beside
// the ChangeListener seam the push engine plugs into, so that the api layer maps them to
// stockd.v1 messages without depending on daemon/push (which fills them in; push names
// them push::PusherStats, push::DriftReport, push::DriftItem).
//
// Values only; thread-compatible.
#ifndef STOCKD_DAEMON_ENGINE_PUSH_REPORT_H_
#define STOCKD_DAEMON_ENGINE_PUSH_REPORT_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace stockd::engine {

struct DriftItem {
  std::string sku;
  std::string listing_id;
  int64_t channel_quantity = -1;  // what the channel shows (fetch) or last acked; -1 unknown
  int64_t published = 0;          // what it should show
};

struct DriftReport {
  int64_t checked = 0;
  int64_t drifted = 0;
  bool fetched = false;            // compared against the channel's own numbers
  std::vector<DriftItem> largest;  // up to 10, largest |difference| first
};

// The upper bounds (ms) of the push latency histogram's buckets (first dirty ->
// acknowledged); PusherStats::latency_buckets has one more, for the rest.
inline constexpr std::array<int64_t, 12> kPushLatencyBoundsMs = {
    10, 50, 100, 250, 500, 1000, 2500, 5000, 10'000, 30'000, 60'000, 300'000};

struct PusherStats {
  std::string channel;
  std::string adapter;
  int64_t dirty = 0;
  int64_t acked = 0;
  int64_t pushes = 0;  // adapter calls
  int64_t items_ok = 0;
  int64_t items_retry = 0;
  int64_t items_permanent = 0;
  int64_t items_conflict = 0;  // compare-and-set refused: the channel sold or was edited
  int64_t priority_items = 0;
  int64_t ack_save_failures = 0;
  int64_t latency_p50_ms = 0;  // first dirty -> acknowledged, over the last 10,000 items
  int64_t latency_p99_ms = 0;
  int64_t latency_max_ms = 0;
  int64_t latency_samples = 0;
  int64_t paused_until_ms = 0;
  std::string last_error;
  // Since start, for metrics (docs/metrics.md):
  int64_t oldest_dirty_ms = 0;       // first-dirty time of the oldest dirty SKU; 0 = none
  int64_t throttled_local = 0;       // times the worker waited for the rate limit
  int64_t throttled_channel = 0;     // batches the channel refused with a Retry-After
  int64_t drifted = 0;               // SKUs a resync or reconciliation found drifted
  // Per bucket of kPushLatencyBoundsMs (not cumulative; the last: above the largest
  // bound), every latency since start; and their sum.
  std::array<int64_t, kPushLatencyBoundsMs.size() + 1> latency_buckets{};
  int64_t latency_sum_ms = 0;
};

}  // namespace stockd::engine

#endif  // STOCKD_DAEMON_ENGINE_PUSH_REPORT_H_
