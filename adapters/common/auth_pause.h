// A channel whose API refused its credentials, when a token refresh could not cure it
// (a revoked app, a rotated secret, a wrong key): pushes, fetches and order polls stop
// calling the API instead of hammering it with requests that cannot succeed. The channel
// logs one loud error (and again at most every `relog_ms` while it stays paused), counts
// "auth_failures" (stockd_adapter_auth_failures_total{channel}) and answers every call at
// once with the reason (pushes: RETRY after the time left).
//
// It resumes by itself when fixed: while paused, every call re-reads the credentials
// (Credential::Reload); a changed credential, or `recheck_ms` after the last refusal,
// lets one call through to probe the API. A probe that succeeds resumes the channel
// (logged, counted "auth_resumed"); one that is refused again keeps it paused.
//
// Thread safety: one thread at a time (an adapter instance's).
#ifndef STOCKD_ADAPTERS_COMMON_AUTH_PAUSE_H_
#define STOCKD_ADAPTERS_COMMON_AUTH_PAUSE_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "stockd/adapter_sdk.h"

namespace stockd::adapters {

class AuthPause {
 public:
  explicit AuthPause(stockd::sdk::Host host, int64_t recheck_ms = 60'000,
                     int64_t relog_ms = 300'000)
      : host_(host), recheck_ms_(recheck_ms), relog_ms_(relog_ms) {}

  // Before an API call. "" = go ahead (not paused, or a probe is due); otherwise why the
  // channel is paused. `reload` re-reads the credentials and says whether any changed; it
  // is called only while paused, and an exception from it keeps the channel paused (its
  // message is logged with the reason).
  std::string Check(const std::function<bool()>& reload);
  // The API refused the credentials and a refresh did not help.
  void Fail(const std::string& reason);
  // An API call was authorized: resumes a paused channel.
  void Succeeded();

  bool paused() const { return paused_; }
  // ms until the next probe (0 when not paused): the Retry-After of paused pushes.
  int64_t retry_after_ms() const;

 private:
  using Clock = std::chrono::steady_clock;

  stockd::sdk::Host host_;
  const int64_t recheck_ms_;
  const int64_t relog_ms_;
  bool paused_ = false;
  std::string reason_;
  Clock::time_point failed_at_{};
  Clock::time_point logged_at_{};
};

}  // namespace stockd::adapters

#endif  // STOCKD_ADAPTERS_COMMON_AUTH_PAUSE_H_
