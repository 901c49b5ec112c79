// Open-loop pacing of stockd-bench (--rate): when each issue is due, and which issues a
// pacer that wakes up has yet to handle. Pure arithmetic on nanosecond timestamps: no
// clock, no thread. The driver's pacer thread (driver.cc) reads the clock, sleeps until
// the next due time, and hands each due issue to a free slot or counts it as skipped.
//
// Thread-safety: PaceSchedule is immutable and may be shared; PaceCursor is owned by the
// one pacer thread.
#ifndef STOCKD_BENCH_PACING_H_
#define STOCKD_BENCH_PACING_H_

#include <cstdint>
#include <optional>

namespace stockd::bench {

// `rate` issues per second from `start_ns`, evenly spaced: issue k (k = 0, 1, ...) is due
// at start_ns + floor(k * 1e9 / rate). Each due time is computed from k, not by adding an
// interval, so a long run does not drift (1e9 / rate need not be a whole number of ns),
// and in 64-bit integers without overflow for rates up to 10^7 per second and any run
// shorter than centuries.
class PaceSchedule {
 public:
  static constexpr int64_t kMaxRate = 10'000'000;
  static constexpr int64_t kNanosPerSecond = 1'000'000'000;

  // rate in 1..kMaxRate.
  PaceSchedule(int64_t rate, int64_t start_ns) : rate_(rate), start_ns_(start_ns) {}

  int64_t rate() const { return rate_; }
  int64_t start_ns() const { return start_ns_; }

  // When issue k (k >= 0) is due.
  int64_t DueAt(int64_t k) const {
    return start_ns_ + (k / rate_) * kNanosPerSecond + (k % rate_) * kNanosPerSecond / rate_;
  }

  // How many issues are due at `now_ns`: the number of k with DueAt(k) <= now_ns.
  // DueAt(k) <= now  <=>  floor(k * 1e9 / rate) <= d (d = now - start)
  //                  <=>  k * 1e9 < (d + 1) * rate
  // so the count is ceil((d + 1) * rate / 1e9), computed on (d + 1) split into whole
  // seconds and the rest.
  int64_t DueBy(int64_t now_ns) const {
    if (now_ns < start_ns_) return 0;
    const int64_t d1 = now_ns - start_ns_ + 1;
    const int64_t seconds = d1 / kNanosPerSecond;
    const int64_t rest = d1 % kNanosPerSecond;
    return seconds * rate_ + (rest * rate_ + kNanosPerSecond - 1) / kNanosPerSecond;
  }

 private:
  int64_t rate_;
  int64_t start_ns_;
};

// The pacer's position in the schedule: the next issue nobody has handled yet. Each due
// issue is handed out once, in order, whether the pacer then sends it or skips it; a
// pacer that overslept gets every issue that fell due meanwhile, none twice.
class PaceCursor {
 public:
  explicit PaceCursor(PaceSchedule schedule) : schedule_(schedule) {}

  // The next issue's due time, if it is due at `now_ns` (then the cursor moves past
  // it); nullopt when the next issue is still in the future.
  std::optional<int64_t> TakeDue(int64_t now_ns) {
    const int64_t due = schedule_.DueAt(next_);
    if (due > now_ns) return std::nullopt;
    ++next_;
    return due;
  }

  // When the next unhandled issue is due: where the pacer sleeps until.
  int64_t NextDueAt() const { return schedule_.DueAt(next_); }
  // Issues handed out so far.
  int64_t taken() const { return next_; }

 private:
  PaceSchedule schedule_;
  int64_t next_ = 0;
};

// An issue counts as late when it goes out this long after it was due (the pacer woke
// late: a busy machine). Its latency still counts from the due time.
inline constexpr int64_t kLateIssueNs = 1'000'000;

}  // namespace stockd::bench

#endif  // STOCKD_BENCH_PACING_H_
