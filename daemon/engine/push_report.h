// What the push engine reports about its channels: the status of each channel's pusher
// and the drift a Resync found. Plain values, no behaviour. They are defined here, beside
// the ChangeListener seam the push engine plugs into, so that the api layer maps them to
// stockd.v1 messages without depending on daemon/push (which fills them in; push names
// them push::PusherStats, push::DriftReport, push::DriftItem).
//
// Values only; thread-compatible.
#ifndef STOCKD_DAEMON_ENGINE_PUSH_REPORT_H_
#define STOCKD_DAEMON_ENGINE_PUSH_REPORT_H_

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
};

}  // namespace stockd::engine

#endif  // STOCKD_DAEMON_ENGINE_PUSH_REPORT_H_
