// Announcing kit quantities (docs/kits.md, "Pushing kits"): a kit's published quantity
// moves whenever one of its components does, and a component may be in many kits (a
// shared part in 1,000 gift sets). A mutation's completion only marks the kits that
// contain a SKU it touched; one announcer thread recomputes each marked kit from its
// components' current counters and hands the changes to the listeners. Marks coalesce
// (a kit marked twice before its turn is computed once, from the newest state), and one
// thread computes every kit, so each kit's announcements are in order and the last is
// current. Marking takes only the announcer's own leaf lock: the journal's writer
// thread, which completes mutations, never waits on a shard.
//
// Thread-safety: Mark from any thread; Stop joins the thread (idempotent).
#ifndef STOCKD_DAEMON_ENGINE_KIT_ANNOUNCER_H_
#define STOCKD_DAEMON_ENGINE_KIT_ANNOUNCER_H_

#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace stockd::engine {

class KitAnnouncer {
 public:
  // `announce(kit)`: recompute kit `kit` (an index into the model's kits) and announce
  // what changed. `after_batch()`, when set: called once the kits marked together have
  // all been announced (the kits' alerts go then, after every quantity: kit_alerts.cc).
  // Both called on the announcer's thread only.
  KitAnnouncer(size_t kits, std::function<void(int kit)> announce,
               std::function<void()> after_batch = {});
  ~KitAnnouncer();  // Stop()
  KitAnnouncer(const KitAnnouncer&) = delete;
  KitAnnouncer& operator=(const KitAnnouncer&) = delete;

  void Mark(int kit) ABSL_LOCKS_EXCLUDED(mu_);
  void MarkAll() ABSL_LOCKS_EXCLUDED(mu_);
  void Stop() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void Loop() ABSL_LOCKS_EXCLUDED(mu_);
  bool HasWork() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_ || !queue_.empty(); }

  const std::function<void(int)> announce_;
  const std::function<void()> after_batch_;
  absl::Mutex mu_;
  std::vector<bool> marked_ ABSL_GUARDED_BY(mu_);  // by kit: queued, not yet taken
  std::vector<int> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace stockd::engine

#endif  // STOCKD_DAEMON_ENGINE_KIT_ANNOUNCER_H_
