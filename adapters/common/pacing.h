// Pacing an adapter's calls to a rate-limited API so that it is rarely throttled, and
// backing off correctly when it is.
//
// TokenBucket: `rate` tokens a second up to `burst` (Amazon's 5 requests/s with a burst,
// eBay's and WooCommerce's polite limits). Acquire waits for the tokens a call costs. The
// server's own view can be fed back (Observe: Shopify's throttleStatus after every call),
// and a throttled answer without Retry-After pauses the bucket (PauseFor, from Backoff).
//
// Backoff: exponential with full jitter between `initial` and `max`, reset on success.
//
// Both run on the steady clock (the host clock of a test may stand still). Waits are cut
// into slices that check sdk::Host::Cancelled, so a stopping daemon is never held up.
//
// Thread safety: one thread at a time (an adapter instance's).
#ifndef STOCKD_ADAPTERS_COMMON_PACING_H_
#define STOCKD_ADAPTERS_COMMON_PACING_H_

#include <chrono>
#include <cstdint>
#include <random>

#include "stockd/adapter_sdk.h"

namespace stockd::adapters {

class TokenBucket {
 public:
  // rate > 0 tokens a second, burst >= 1 (the bucket starts full).
  TokenBucket(double rate, double burst, stockd::sdk::Host host);

  // Waits until `cost` tokens are there and takes them. Returns false, taking nothing,
  // when the daemon is stopping or the wait would be longer than `max_wait_ms`.
  bool Acquire(double cost, int64_t max_wait_ms);
  // How long Acquire(cost) would wait now, in ms.
  int64_t WaitMs(double cost);

  // The server says `available` of `maximum` remain, restored at `restore_rate` a second:
  // the bucket adopts those numbers (the server's view wins; it counts other clients too).
  void Observe(double available, double maximum, double restore_rate);
  // No token is handed out for `ms` from now, and the bucket is empty after it.
  void PauseFor(int64_t ms);

  double rate() const { return rate_; }
  double burst() const { return burst_; }

 private:
  using Clock = std::chrono::steady_clock;
  void Refill();

  stockd::sdk::Host host_;
  double rate_;
  double burst_;
  double tokens_;
  Clock::time_point updated_;
  Clock::time_point paused_until_;
};

class Backoff {
 public:
  Backoff(int64_t initial_ms, int64_t max_ms) : initial_ms_(initial_ms), max_ms_(max_ms) {}
  // The next wait: a random ms in [current/2, current], then current doubles (up to max).
  int64_t NextMs();
  void Reset() { attempt_ = 0; }
  int attempts() const { return attempt_; }

 private:
  int64_t initial_ms_;
  int64_t max_ms_;
  int attempt_ = 0;
  std::minstd_rand random_{std::random_device{}()};
};

// Sleeps `ms` in slices, returning false early when the daemon is stopping.
bool SleepUnlessCancelled(stockd::sdk::Host host, int64_t ms);

}  // namespace stockd::adapters

#endif  // STOCKD_ADAPTERS_COMMON_PACING_H_
