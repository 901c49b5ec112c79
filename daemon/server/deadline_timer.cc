#include "daemon/server/deadline_timer.h"

#include <pthread.h>

#include "absl/time/clock.h"

namespace stockd::server {

DeadlineTimer::DeadlineTimer()
    : thread_([this] {
        pthread_setname_np(pthread_self(), "stockd-deadline");
        Loop();
      }) {}

DeadlineTimer::~DeadlineTimer() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

DeadlineTimer::Id DeadlineTimer::Schedule(Clock::time_point when, std::function<void()> fn) {
  absl::MutexLock lock(&mu_);
  const Id id = next_id_++;
  auto it = queue_.emplace(when, std::make_pair(id, std::move(fn)));
  index_.emplace(id, it);
  if (it == queue_.begin()) front_changed_ = true;
  return id;
}

void DeadlineTimer::Cancel(Id id) {
  absl::MutexLock lock(&mu_);
  auto it = index_.find(id);
  if (it == index_.end()) return;
  queue_.erase(it->second);
  index_.erase(it);
}

size_t DeadlineTimer::pending() const {
  absl::MutexLock lock(&mu_);
  return queue_.size();
}

void DeadlineTimer::Loop() {
  for (;;) {
    std::function<void()> due;
    {
      absl::MutexLock lock(&mu_);
      for (;;) {
        if (stopping_) return;
        const Clock::time_point now = Clock::now();
        if (!queue_.empty() && queue_.begin()->first <= now) break;
        // Sleep until the earliest deadline (or a new one, or stop); at most 100 ms.
        absl::Duration wait = absl::Milliseconds(100);
        if (!queue_.empty()) {
          wait = std::min(wait, absl::FromChrono(queue_.begin()->first - now));
        }
        front_changed_ = false;
        mu_.AwaitWithTimeout(absl::Condition(this, &DeadlineTimer::StoppingOrFrontChanged), wait);
      }
      auto it = queue_.begin();
      due = std::move(it->second.second);
      index_.erase(it->second.first);
      queue_.erase(it);
    }
    due();
  }
}

}  // namespace stockd::server
