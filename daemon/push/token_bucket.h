// A token bucket: the rate limit of one channel, in items per second with a burst.
//
// The bucket starts full (`burst` tokens, or max(1, rate) when burst is 0) and refills
// continuously at `rate_per_second`, never above its size. A rate of 0 or less means
// unlimited: every question is answered "available now" and Take changes nothing.
// Time is passed in (Unix milliseconds, from an engine::Clock), so tests drive it with a
// manual clock.
//
// Thread safety: none; the owner serialises every call (ChannelPusher: under its mutex).
#ifndef STOCKD_DAEMON_PUSH_TOKEN_BUCKET_H_
#define STOCKD_DAEMON_PUSH_TOKEN_BUCKET_H_

#include <cstdint>

namespace stockd::push {

class TokenBucket {
 public:
  // `now_ms`: when the bucket starts refilling (it starts full).
  TokenBucket(double rate_per_second, int burst, int64_t now_ms);

  bool unlimited() const { return rate_per_second_ <= 0; }

  // Whole tokens in the bucket at `now_ms` (after refilling); INT64_MAX when unlimited.
  int64_t Available(int64_t now_ms);
  // Milliseconds from `now_ms` until `n` tokens are in the bucket (at least 1 when they
  // are not there now); 0 when they are there now, or when unlimited.
  int64_t MsUntil(int64_t n, int64_t now_ms);
  // Spends `n` tokens (call after Available/MsUntil said they are there).
  void Take(int64_t n);

 private:
  void Refill(int64_t now_ms);

  const double rate_per_second_;
  const double size_;
  double tokens_;
  int64_t refilled_at_ms_;
};

}  // namespace stockd::push

#endif  // STOCKD_DAEMON_PUSH_TOKEN_BUCKET_H_
