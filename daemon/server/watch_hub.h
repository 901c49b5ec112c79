// Fans published-quantity changes out to Watch streams. The engine calls
// OnPublishedChanges after a mutation is durable; the hub numbers each change with a
// daemon-wide sequence and offers it to every subscriber. Subscribers must take it
// without blocking (Watch streams coalesce per (channel, sku) into their own queue), so a
// slow watcher never slows the engine or the other watchers. OnOrderApplied turns an
// applied order revision's new problems (api::ToWatchProblems), and OnAlerts a
// mutation's stock alerts, into notices numbered in the same sequence, offered and kept
// in the history the same way.
//
// Thread safety: all methods are thread-safe. Lock order: hub -> subscriber.
#ifndef STOCKD_DAEMON_SERVER_WATCH_HUB_H_
#define STOCKD_DAEMON_SERVER_WATCH_HUB_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "daemon/engine/journal.h"
#include "stockd/v1/stockd.pb.h"

namespace stockd::server {

// An order problem or a stock alert as watchers get it: the event without its sequence,
// and the SKUs a watcher's sku filter matches (every SKU of a problem's order; an
// alert's SKU). A watcher's channel filter matches the event's channel (an alert of a
// location, with no channel, reaches only watchers of every channel). Immutable once
// made.
struct Notice {
  std::shared_ptr<const v1::WatchEvent> event;
  std::vector<std::string> skus;
};

class WatchHub final : public engine::ChangeListener {
 public:
  class Subscriber {
   public:
    virtual ~Subscriber() = default;
    // Called with the hub lock held: must not block and must not call the hub.
    virtual void Offer(const engine::PublishedChange& change, uint64_t sequence) = 0;
    // Likewise for a notice (default: not interested).
    virtual void OfferNotice(const Notice& notice, uint64_t sequence) {}
    // The daemon is shutting down: finish the stream.
    virtual void Close() = 0;
  };

  // Sequences start at `first_sequence` (the daemon passes its start time in
  // microseconds, so they keep increasing across restarts) and keep the last
  // `history` changes for resuming watchers.
  explicit WatchHub(uint64_t first_sequence = 0, size_t history = 65'536);

  void OnPublishedChanges(const std::vector<engine::PublishedChange>& changes) override;
  void OnOrderApplied(const engine::OrderEvent& event) override;
  void OnAlerts(const std::vector<engine::AlertEvent>& alerts) override;

  struct Registration {
    uint64_t sequence = 0;  // last change announced before the subscriber was added
    // With a resume point: true when the history covered it; the changes after it were
    // offered to the subscriber (oldest first) before it joined.
    bool resumed = false;
  };
  // Registers `s` (not owned): it is offered every change after `sequence`.
  // `resume_after` > 0 asks for the history after that sequence first.
  Registration Add(Subscriber* s, uint64_t resume_after = 0);
  // After Remove returns, `s` is offered nothing more. Idempotent.
  void Remove(Subscriber* s);
  // Closes every subscriber (drain on SIGTERM); later Adds are closed at once.
  void CloseAll();
  // After a re-sync from Redis: ends every stream (clients reconnect) and forgets the
  // history, so a resume falls back to a snapshot of the re-synced state.
  void Reset();

  uint64_t sequence() const;
  size_t subscribers() const;

 private:
  mutable absl::Mutex mu_;
  absl::flat_hash_set<Subscriber*> subscribers_ ABSL_GUARDED_BY(mu_);
  uint64_t sequence_ ABSL_GUARDED_BY(mu_) = 0;
  const size_t history_limit_;
  struct Announced {
    uint64_t sequence = 0;
    engine::PublishedChange change;  // when notice.event is null
    Notice notice;
  };
  void RememberLocked(Announced a) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void AnnounceLocked(Notice notice) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::deque<Announced> history_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace stockd::server

#endif  // STOCKD_DAEMON_SERVER_WATCH_HUB_H_
