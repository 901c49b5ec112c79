// Engine::Probe: the systemd watchdog's proof that the engine still answers. Every hold
// stripe and shard is taken and released in turn with TryLock (absl::Mutex has no timed
// lock: LockWhenWithTimeout bounds the wait for a condition, not for the lock), retried
// every 200 us until the bound: a lock held for good (a deadlock, a call stuck inside
// it) makes the probe fail instead of hang, so the watchdog loop itself never blocks.
#include <thread>

#include "absl/strings/str_cat.h"
#include "daemon/engine/engine_impl.h"
#include "daemon/util/clock.h"

namespace stockd::engine {
namespace {

// Takes and releases `mu` before `deadline_ms` (util::MonotonicMs); false when it could not.
bool TakeAndRelease(absl::Mutex& mu, int64_t deadline_ms) {
  for (;;) {
    if (mu.TryLock()) {
      mu.Unlock();
      return true;
    }
    if (util::MonotonicMs() >= deadline_ms) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}

}  // namespace

absl::Status Engine::Impl::Probe(int64_t bound_ms) const {
  const int64_t start_ms = util::MonotonicMs();
  const int64_t deadline_ms = start_ms + bound_ms;
  size_t index = 0;
  for (const HoldStripe& stripe : holds_.stripes()) {
    if (!TakeAndRelease(stripe.mu, deadline_ms)) {
      return absl::DeadlineExceededError(absl::StrCat("engine: hold stripe ", index,
                                                      " stayed locked for ",
                                                      util::MonotonicMs() - start_ms, " ms"));
    }
    ++index;
  }
  index = 0;
  for (const Shard& shard : shards_) {
    if (!TakeAndRelease(shard.mu, deadline_ms)) {
      return absl::DeadlineExceededError(absl::StrCat(
          "engine: shard ", index, " stayed locked for ", util::MonotonicMs() - start_ms, " ms"));
    }
    ++index;
  }
  return absl::OkStatus();
}

}  // namespace stockd::engine
