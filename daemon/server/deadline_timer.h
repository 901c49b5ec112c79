// Runs callbacks at given times on one background thread. The server uses it to answer
// a mutation with UNAVAILABLE shortly before the call's own deadline when durability
// has not confirmed it by then (Redis slow or down): the client learns "outcome unknown,
// retry with the same request_id" instead of a bare DEADLINE_EXCEEDED.
//
// Thread safety: all methods are thread-safe. Callbacks run on the timer thread, without
// the timer's lock held, and must not block.
#ifndef STOCKD_DAEMON_SERVER_DEADLINE_TIMER_H_
#define STOCKD_DAEMON_SERVER_DEADLINE_TIMER_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <thread>

#include "absl/synchronization/mutex.h"

namespace stockd::server {

class DeadlineTimer {
 public:
  using Clock = std::chrono::steady_clock;
  using Id = uint64_t;

  DeadlineTimer();
  ~DeadlineTimer();  // Stops; pending callbacks are dropped.
  DeadlineTimer(const DeadlineTimer&) = delete;
  DeadlineTimer& operator=(const DeadlineTimer&) = delete;

  // Schedules `fn` at `when`; returns an id for Cancel.
  Id Schedule(Clock::time_point when, std::function<void()> fn);
  // Cancels a scheduled callback; a no-op if it already ran or is running.
  void Cancel(Id id);
  size_t pending() const;

 private:
  void Loop();
  // The Loop's wake-up condition (absl::Condition calls it with mu_ held).
  bool StoppingOrFrontChanged() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stopping_ || front_changed_;
  }

  mutable absl::Mutex mu_;
  std::multimap<Clock::time_point, std::pair<Id, std::function<void()>>> queue_
      ABSL_GUARDED_BY(mu_);
  std::map<Id, decltype(queue_)::iterator> index_ ABSL_GUARDED_BY(mu_);
  Id next_id_ ABSL_GUARDED_BY(mu_) = 1;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool front_changed_ ABSL_GUARDED_BY(mu_) = false;  // an earlier deadline arrived
  std::thread thread_;
};

}  // namespace stockd::server

#endif  // STOCKD_DAEMON_SERVER_DEADLINE_TIMER_H_
