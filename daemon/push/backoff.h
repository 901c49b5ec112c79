// Exponential backoff with jitter, for retrying a channel, a SKU, or an ack save.
//
// The ceiling after `attempts` consecutive failures is initial_ms * 2^(attempts - 1),
// capped at max_ms; the delay is drawn uniformly from [ceiling / 2, ceiling], so the
// retries of many SKUs spread out instead of arriving together. A Retry-After the other
// side sent overrides the whole schedule (and draws nothing).
//
// Thread safety: none (the random generator is state); the owner serialises every call
// (ChannelPusher: under its mutex).
#ifndef STOCKD_DAEMON_PUSH_BACKOFF_H_
#define STOCKD_DAEMON_PUSH_BACKOFF_H_

#include <cstdint>
#include <random>

namespace stockd::push {

class Backoff {
 public:
  // `seed`: tests pass a fixed one; the daemon a random one.
  Backoff(int64_t initial_ms, int64_t max_ms, uint64_t seed);

  // The upper bound of the delay after `attempts` (>= 1) consecutive failures.
  int64_t CeilingMs(int attempts) const;
  // The delay after `attempts` consecutive failures: `retry_after_ms` when it is > 0,
  // otherwise drawn from [CeilingMs(attempts) / 2, CeilingMs(attempts)].
  int64_t DelayMs(int attempts, int64_t retry_after_ms = 0);

 private:
  const int64_t initial_ms_;
  const int64_t max_ms_;
  std::mt19937_64 rng_;
};

}  // namespace stockd::push

#endif  // STOCKD_DAEMON_PUSH_BACKOFF_H_
