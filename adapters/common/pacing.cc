#include "common/pacing.h"

#include <algorithm>
#include <cmath>
#include <thread>

namespace stockd::adapters {
namespace {

constexpr int64_t kSliceMs = 50;

}  // namespace

bool SleepUnlessCancelled(stockd::sdk::Host host, int64_t ms) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (true) {
    if (host.Cancelled()) return false;
    const auto now = std::chrono::steady_clock::now();
    if (now >= until) return true;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        until - now, std::chrono::milliseconds(kSliceMs)));
  }
}

TokenBucket::TokenBucket(double rate, double burst, stockd::sdk::Host host)
    : host_(host),
      rate_(rate > 0 ? rate : 1),
      burst_(std::max(1.0, burst)),
      tokens_(burst_),
      updated_(Clock::now()),
      paused_until_(updated_) {}

void TokenBucket::Refill() {
  const Clock::time_point now = Clock::now();
  const Clock::time_point from = std::max(updated_, paused_until_);
  if (now > from) {
    const double seconds = std::chrono::duration<double>(now - from).count();
    tokens_ = std::min(burst_, tokens_ + seconds * rate_);
  }
  updated_ = std::max(now, updated_);
}

int64_t TokenBucket::WaitMs(double cost) {
  Refill();
  const Clock::time_point now = Clock::now();
  double wait_ms = 0;
  if (paused_until_ > now) {
    wait_ms = std::chrono::duration<double, std::milli>(paused_until_ - now).count();
  }
  const double need = std::min(cost, burst_) - tokens_;
  if (need > 0) wait_ms += need / rate_ * 1000.0;
  return static_cast<int64_t>(std::ceil(wait_ms));
}

bool TokenBucket::Acquire(double cost, int64_t max_wait_ms) {
  while (true) {
    const int64_t wait = WaitMs(cost);
    if (wait <= 0) break;
    if (wait > max_wait_ms) return false;
    if (!SleepUnlessCancelled(host_, std::min<int64_t>(wait, kSliceMs))) return false;
    max_wait_ms -= std::min<int64_t>(wait, kSliceMs);
  }
  // A cost above the burst (one huge query) takes the whole bucket and goes negative, so
  // the next call waits for the debt.
  tokens_ -= cost;
  return true;
}

void TokenBucket::Observe(double available, double maximum, double restore_rate) {
  Refill();
  if (maximum >= 1) burst_ = maximum;
  if (restore_rate > 0) rate_ = restore_rate;
  tokens_ = std::min(burst_, available);
  updated_ = Clock::now();
}

void TokenBucket::PauseFor(int64_t ms) {
  Refill();
  tokens_ = std::min(tokens_, 0.0);
  paused_until_ = std::max(paused_until_, Clock::now() + std::chrono::milliseconds(ms));
}

int64_t Backoff::NextMs() {
  const int shift = std::min(attempt_, 30);
  const int64_t current =
      std::min<int64_t>(max_ms_, initial_ms_ * (int64_t{1} << std::min(shift, 20)));
  ++attempt_;
  std::uniform_int_distribution<int64_t> jitter(current / 2, current);
  return jitter(random_);
}

}  // namespace stockd::adapters
