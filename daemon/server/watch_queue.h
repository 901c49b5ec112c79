// The queue of one Watch stream: what has been announced to it and not yet written.
//
// Delivery contract (docs/design.md "Watch"): events leave in increasing sequence order,
// coalesced to the latest value per (channel, sku) for a reader that falls behind.
//  * A snapshot (when asked for) comes first: every item carries the registration
//    sequence, then one snapshot-done marker with that sequence.
//  * Live changes (all with higher sequences) follow. A change of a key that is still
//    queued replaces the queued value and moves the key to the position of its newest
//    sequence, so the queue is always sorted by sequence: a client that records the last
//    sequence it saw and resumes after it misses nothing.
//  * Notices, the order problems (an order revision's breach, backorder, unstocked
//    shipment) and the stock alerts, are never coalesced: each is written once, in
//    sequence order among the changes.
//  * The key is the pair (channel, sku) itself, not a joined string, so no two distinct
//    keys can collide.
//
// Thread safety: none; the Watch stream guards it with its own mutex.
#ifndef STOCKD_DAEMON_SERVER_WATCH_QUEUE_H_
#define STOCKD_DAEMON_SERVER_WATCH_QUEUE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "daemon/engine/commands.h"
#include "stockd/v1/stockd.pb.h"

namespace stockd::server {

struct WatchItem {
  uint64_t sequence = 0;
  engine::PublishedChange change;  // empty for the snapshot-done marker
  bool snapshot = false;
  bool snapshot_done = false;
  // Set: a notice (an order problem or a stock alert), not a change; written as it is
  // with the item's sequence.
  std::shared_ptr<const v1::WatchEvent> notice;
};

class WatchQueue {
 public:
  // Queues a snapshot to go before every live change; `sequence` is the hub sequence the
  // stream registered at (every live change offered to it is newer).
  void SetSnapshot(std::vector<engine::PublishedChange> items, uint64_t sequence);
  // Queues a live change; sequences must increase from call to call.
  void Push(const engine::PublishedChange& change, uint64_t sequence);
  // Queues a notice (kept as is); sequences increase as for Push.
  void PushNotice(std::shared_ptr<const v1::WatchEvent> notice, uint64_t sequence);

  // The next item to write, or nullopt when nothing is queued.
  std::optional<WatchItem> Pop();
  bool empty() const;
  // Keys, notices (and snapshot items) waiting to be written.
  size_t size() const;
  void Clear();

 private:
  using Key = std::pair<std::string, std::string>;  // (channel, sku)
  struct Pending {
    engine::PublishedChange change;
    uint64_t sequence = 0;
  };

  std::vector<engine::PublishedChange> snapshot_;
  size_t snapshot_next_ = 0;
  uint64_t snapshot_sequence_ = 0;  // of every snapshot item and of the marker
  bool marker_pending_ = false;     // the snapshot-done marker is still to be written

  absl::flat_hash_map<Key, Pending> pending_;
  std::map<uint64_t, Key> order_;  // newest sequence of each pending key -> key
  std::map<uint64_t, std::shared_ptr<const v1::WatchEvent>> notices_;
};

}  // namespace stockd::server

#endif  // STOCKD_DAEMON_SERVER_WATCH_QUEUE_H_
