// LockSet: a fixed set of mutexes taken and released together, as one capability that
// clang's thread-safety analysis can check. Internal to daemon/engine: every hold stripe
// (HoldTable), every idempotency stripe (IdempotencyTable), every SKU shard (Engine::Impl).
//
// The analysis names each lock by an expression, so it cannot follow a loop that takes a
// run-time number of mutexes. A LockSet stands for all of its members (as absl::Mutex
// stands for itself): Lock takes every member in construction order, which must be the
// lock order, Unlock releases them in reverse. A function that needs every member says
// ABSL_EXCLUSIVE_LOCKS_REQUIRED(the set), and claims the member it touches with
// AssertMemberHeld, which the analysis accepts only where the set is held. As for any
// capability's own Lock/Unlock, clang does not analyse their bodies.
//
// Thread-safety: the member list is fixed at construction; Lock and Unlock may be called
// from any thread (they block as the members do). Not copyable or movable.
#ifndef STOCKD_DAEMON_ENGINE_LOCK_SET_H_
#define STOCKD_DAEMON_ENGINE_LOCK_SET_H_

#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace stockd::engine {

class ABSL_LOCKABLE LockSet {
 public:
  // `members` in the lock order; not owned, they outlive the set.
  explicit LockSet(std::vector<absl::Mutex*> members) : members_(std::move(members)) {}
  LockSet(const LockSet&) = delete;
  LockSet& operator=(const LockSet&) = delete;

  void Lock() const ABSL_EXCLUSIVE_LOCK_FUNCTION() {
    for (absl::Mutex* mu : members_) mu->Lock();
  }
  void Unlock() const ABSL_UNLOCK_FUNCTION() {
    for (auto it = members_.rbegin(); it != members_.rend(); ++it) (*it)->Unlock();
  }

  // Tells the analysis that `member` is held, which it is while the set is. Checks at run
  // time that `member` is locked (absl::Mutex::AssertHeld).
  void AssertMemberHeld(const absl::Mutex& member) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(this)
      ABSL_ASSERT_EXCLUSIVE_LOCK(member) {
    member.AssertHeld();
  }

 private:
  const std::vector<absl::Mutex*> members_;
};

// The `mu` of every element of `guarded` (stripes, shards), in order: a LockSet's members.
template <typename Range>
std::vector<absl::Mutex*> MutexesOf(Range& guarded) {
  std::vector<absl::Mutex*> mutexes;
  for (auto& element : guarded) mutexes.push_back(&element.mu);
  return mutexes;
}

}  // namespace stockd::engine

#endif  // STOCKD_DAEMON_ENGINE_LOCK_SET_H_
