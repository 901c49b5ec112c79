// The SKUs of one channel that must be pushed, with the latest desired quantity of each
// (1,000 offers of one SKU while it waits or is in flight are one entry), in two lanes:
//
// * the priority lane holds sold-out crossings: the channel shows > 0 and must show 0,
//   or the reverse (a SKU the channel never acknowledged crosses when it must show 0).
//   Take drains it first, so a sold-out never waits behind a backlog;
// * the normal lane holds everything else, oldest first. A SKU acknowledged less than
//   `coalesce_window_ms` ago waits in it for the rest of the window (its latest value
//   then goes out); crossings ignore the window.
//
// An entry taken for a push is in flight until the push's outcome comes back
// (Acknowledged, Rejected or Retry); offers meanwhile only update its desired value.
// "What the channel shows" is the caller's map of acknowledged quantities (ShownMap),
// passed to each call that needs it.
//
// Thread safety: none; the owner serialises every call (ChannelPusher: under its mutex).
#ifndef STOCKD_DAEMON_PUSH_DIRTY_QUEUE_H_
#define STOCKD_DAEMON_PUSH_DIRTY_QUEUE_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "daemon/push/backoff.h"

namespace stockd::push {

// sku -> the quantity the channel last acknowledged; a SKU not in it is unknown.
using ShownMap = absl::flat_hash_map<std::string, int64_t>;

class DirtyQueue {
 public:
  struct Item {
    std::string sku;
    int64_t quantity = 0;
    int64_t first_dirty_ms = 0;  // when the SKU became dirty (for the latency)
    bool priority = false;       // taken from the priority lane
  };

  // `coalesce_window_ms` <= 0: no window.
  explicit DirtyQueue(int64_t coalesce_window_ms);

  // Marks `sku` dirty with `desired` at `now_ms`. A SKU not dirty whose shown quantity is
  // `desired` stays clean unless `force` (re-push anyway). A waiting normal-lane SKU
  // whose new value crosses moves to the priority lane. True when a lane got a new key
  // (the worker has something new to look at).
  bool Offer(const std::string& sku, int64_t desired, bool force, const ShownMap& shown,
             int64_t now_ms);

  // Takes up to `limit` SKUs that are due at `now_ms`, priority lane first, and marks them
  // in flight. SKUs the channel already shows (and not forced) are dropped on the way.
  // Lowers *wait_ms to the time until the earliest SKU it had to leave waiting.
  std::vector<Item> Take(int64_t now_ms, int limit, const ShownMap& shown, int64_t* wait_ms);

  // The outcomes of an in-flight SKU pushed with `quantity`; each ends the flight. Call
  // them after updating `shown` for this outcome.
  //
  // The channel shows `quantity` from `now_ms` (which opens the SKU's coalescing window):
  // the SKU is clean, or, when its desired value changed meanwhile, dirty again from now.
  void Acknowledged(const std::string& sku, int64_t quantity, int64_t now_ms,
                    const ShownMap& shown);
  // The channel refused `quantity` for good. True when that is still the desired value
  // (the SKU is dropped; the caller remembers the refusal); false when a newer value is
  // queued instead.
  bool Rejected(const std::string& sku, int64_t quantity, const ShownMap& shown);
  // A retryable failure: the SKU is due again after `retry_after_ms`, or (0) after
  // `backoff`'s delay for its consecutive failures.
  void Retry(const std::string& sku, int64_t retry_after_ms, Backoff& backoff, int64_t now_ms,
             const ShownMap& shown);

  bool Contains(const std::string& sku) const { return entries_.contains(sku); }
  // The earliest first-dirty time of a dirty SKU (in flight included); 0 when none.
  // O(size): for an occasional status call.
  int64_t OldestFirstDirtyMs() const;
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }

 private:
  enum class Lane { kNone, kNormal, kPriority };
  struct Entry {
    int64_t desired = 0;
    int64_t first_dirty_ms = 0;
    int64_t not_before_ms = 0;
    int attempts = 0;
    bool force = false;
    bool in_flight = false;
    Lane lane = Lane::kNone;  // the lane whose queue holds its live key
  };

  static bool Crossing(const ShownMap& shown, const std::string& sku, int64_t desired);
  std::deque<std::string>& Queue(Lane lane) {
    return lane == Lane::kPriority ? priority_ : normal_;
  }
  // Puts `sku` in the lane its desired value calls for.
  void Requeue(const std::string& sku, Entry& entry, const ShownMap& shown);
  void Enqueue(const std::string& sku, Entry& entry, Lane lane);
  // Earliest time `sku` may be sent again under the coalescing window.
  int64_t WindowEnd(const std::string& sku) const;
  void PruneSendTimes(int64_t now_ms);

  const int64_t window_ms_;
  absl::flat_hash_map<std::string, Entry> entries_;
  // Keys of each lane, oldest first; a key whose entry moved lanes, is in flight or is
  // gone is stale and skipped.
  std::deque<std::string> normal_;
  std::deque<std::string> priority_;
  // When each SKU was last acknowledged (for the window); pruned as it ages.
  absl::flat_hash_map<std::string, int64_t> last_sent_ms_;
  int64_t last_prune_ms_ = 0;
};

}  // namespace stockd::push

#endif  // STOCKD_DAEMON_PUSH_DIRTY_QUEUE_H_
