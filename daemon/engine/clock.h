// Time source of the engine, in Unix epoch milliseconds. Tests inject a ManualClock to
// drive hold expiry deterministically.
#ifndef STOCKD_DAEMON_ENGINE_CLOCK_H_
#define STOCKD_DAEMON_ENGINE_CLOCK_H_

#include <atomic>
#include <cstdint>

#include "daemon/util/clock.h"

namespace stockd::engine {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t NowMs() const = 0;  // thread-safe
};

class SystemClock final : public Clock {
 public:
  int64_t NowMs() const override { return util::WallMs(); }
};

// Thread-safe manual clock for tests.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t start_ms = 1'700'000'000'000) : now_(start_ms) {}
  int64_t NowMs() const override { return now_.load(); }
  void Advance(int64_t ms) { now_.fetch_add(ms); }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace stockd::engine

#endif  // STOCKD_DAEMON_ENGINE_CLOCK_H_
