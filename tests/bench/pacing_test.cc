// The open-loop schedule of stockd-bench --rate (bench/pacing.h): issues evenly spaced,
// no drift however long the run, the due count consistent with the due times at every
// instant, and a pacer that overslept handed every missed issue once, in order.
#include "bench/pacing.h"

#include <gtest/gtest.h>

#include <vector>

namespace stockd::bench {
namespace {

constexpr int64_t kSecond = PaceSchedule::kNanosPerSecond;

TEST(PaceScheduleTest, IssuesAreEvenlySpacedFromTheStart) {
  const PaceSchedule schedule(4, 1000);  // every 250 ms
  EXPECT_EQ(schedule.DueAt(0), 1000);
  EXPECT_EQ(schedule.DueAt(1), 1000 + 250'000'000);
  EXPECT_EQ(schedule.DueAt(3), 1000 + 750'000'000);
  EXPECT_EQ(schedule.DueAt(4), 1000 + kSecond);
  EXPECT_EQ(schedule.DueAt(401), 1000 + 100 * kSecond + 250'000'000);
}

TEST(PaceScheduleTest, AnIntervalThatIsNotWholeNanosecondsDoesNotDrift) {
  // 3 per second: 333,333,333.3 ns apart. Adding a rounded interval would lose 1 ns every
  // 3 issues (about 0.6 ms a day); the schedule is exact at every whole second.
  const PaceSchedule schedule(3, 0);
  EXPECT_EQ(schedule.DueAt(1), 333'333'333);
  EXPECT_EQ(schedule.DueAt(2), 666'666'666);
  EXPECT_EQ(schedule.DueAt(3), kSecond);
  const int64_t day = 86'400;
  EXPECT_EQ(schedule.DueAt(3 * day), day * kSecond);
  EXPECT_EQ(schedule.DueAt(3 * day + 1), day * kSecond + 333'333'333);
}

TEST(PaceScheduleTest, TheLargestRateOverAYearDoesNotOverflow) {
  const int64_t rate = PaceSchedule::kMaxRate;
  const PaceSchedule schedule(rate, 5);
  const int64_t year_s = 365LL * 86'400;
  EXPECT_EQ(schedule.DueAt(rate * year_s), 5 + year_s * kSecond);
  EXPECT_EQ(schedule.DueAt(rate * year_s + 1), 5 + year_s * kSecond + 100);
  EXPECT_EQ(schedule.DueBy(5 + year_s * kSecond), rate * year_s + 1);
}

TEST(PaceScheduleTest, DueByCountsExactlyTheIssuesDueAtThatInstant) {
  for (int64_t rate : std::vector<int64_t>{1, 3, 7, 1000, 2501, 999'999, PaceSchedule::kMaxRate}) {
    const PaceSchedule schedule(rate, 12'345);
    EXPECT_EQ(schedule.DueBy(12'344), 0) << rate;
    EXPECT_EQ(schedule.DueBy(12'345), 1) << rate;  // issue 0 is due at the start
    for (int64_t k : {int64_t{1}, int64_t{2}, rate - 1, rate, rate + 1, 10 * rate + 7}) {
      if (k < 1) continue;
      const int64_t due = schedule.DueAt(k);
      ASSERT_GT(due, schedule.DueAt(k - 1)) << rate << " " << k;
      EXPECT_EQ(schedule.DueBy(due - 1), k) << rate << " " << k;  // issues 0..k-1
      EXPECT_EQ(schedule.DueBy(due), k + 1) << rate << " " << k;
    }
  }
}

TEST(PaceCursorTest, HandsOutNothingBeforeItIsDue) {
  PaceCursor cursor(PaceSchedule(1000, 0));  // every 1 ms
  ASSERT_EQ(cursor.TakeDue(0), 0);
  EXPECT_EQ(cursor.TakeDue(999'999), std::nullopt);
  EXPECT_EQ(cursor.NextDueAt(), 1'000'000);
  EXPECT_EQ(cursor.TakeDue(1'000'000), 1'000'000);
  EXPECT_EQ(cursor.taken(), 2);
}

TEST(PaceCursorTest, APacerThatOversleptGetsEveryMissedIssueOnceInOrder) {
  const PaceSchedule schedule(1000, 0);
  PaceCursor cursor(schedule);
  ASSERT_EQ(cursor.TakeDue(0), 0);
  // Woke up 5.5 ms late: issues 1..5 are due, each handed out once, then none.
  std::vector<int64_t> handed;
  while (auto due = cursor.TakeDue(5'500'000)) handed.push_back(*due);
  EXPECT_EQ(handed, (std::vector<int64_t>{1'000'000, 2'000'000, 3'000'000, 4'000'000, 5'000'000}));
  EXPECT_EQ(cursor.taken(), schedule.DueBy(5'500'000));
  EXPECT_EQ(cursor.NextDueAt(), 6'000'000);
  // The schedule is not shifted by the late wake-up.
  EXPECT_EQ(cursor.TakeDue(6'000'000), 6'000'000);
}

TEST(PaceCursorTest, OverASecondItHandsOutExactlyTheRate) {
  PaceCursor cursor(PaceSchedule(2501, 7));
  int64_t handed = 0;
  // Wake-ups at irregular instants within [start, start + 1 s).
  for (int64_t now = 7; now < 7 + kSecond; now += 123'457) {
    while (cursor.TakeDue(now)) ++handed;
  }
  while (cursor.TakeDue(7 + kSecond - 1)) ++handed;
  EXPECT_EQ(handed, 2501);
}

}  // namespace
}  // namespace stockd::bench
