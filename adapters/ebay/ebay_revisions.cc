#include "ebay_revisions.h"

#include <algorithm>

namespace stockd::ebay {

int64_t RevisionBudget::WaitMs(const std::string& offer_id, int64_t now_ms,
                               std::string* why) const {
  const auto it = listings_.find(offer_id);
  if (it == listings_.end()) return 0;
  const Listing& l = it->second;
  const int64_t day = now_ms / kDayMs;
  const int64_t left_in_day = (day + 1) * kDayMs - now_ms;
  const int64_t used = l.day == day ? l.used : 0;
  if (now_ms < l.blocked_until_ms) {
    *why = "reached eBay's daily revision limit (eBay said so): next try in " +
           std::to_string(l.blocked_until_ms - now_ms) + " ms";
    return l.blocked_until_ms - now_ms;
  }
  if (used >= options_.daily_limit) {
    *why = "revised " + std::to_string(used) + " times today (UTC), the daily limit of " +
           std::to_string(options_.daily_limit) + ": next revision after midnight UTC";
    return left_in_day;
  }
  if (l.last_ms < 0) return 0;
  const int64_t since = std::max<int64_t>(0, now_ms - l.last_ms);
  int64_t wait = 0;
  if (since < options_.min_interval_ms) {
    wait = options_.min_interval_ms - since;
    *why = "revised " + std::to_string(since) + " ms ago: the next revision waits " +
           std::to_string(wait) + " ms (min_revision_interval_ms " +
           std::to_string(options_.min_interval_ms) + ")";
  }
  const int64_t remaining = options_.daily_limit - used;
  if (remaining < options_.reserve) {
    const int64_t spacing = left_in_day / remaining;
    if (since < spacing && spacing - since > wait) {
      wait = spacing - since;
      *why = "only " + std::to_string(remaining) + " revisions left today (UTC): one per " +
             std::to_string(spacing) + " ms, the next in " + std::to_string(wait) + " ms";
    }
  }
  return wait;
}

void RevisionBudget::Record(const std::string& offer_id, int64_t now_ms) {
  Prune(now_ms);
  Listing& l = listings_[offer_id];
  const int64_t day = now_ms / kDayMs;
  if (l.day != day) {
    l.day = day;
    l.used = 0;
  }
  ++l.used;
  l.last_ms = now_ms;
}

int64_t RevisionBudget::Exhausted(const std::string& offer_id, int64_t now_ms, int64_t recheck_ms) {
  const int64_t left_in_day = (now_ms / kDayMs + 1) * kDayMs - now_ms;
  const int64_t wait = std::min(left_in_day, recheck_ms);
  Listing& l = listings_[offer_id];
  l.blocked_until_ms = now_ms + wait;
  if (l.last_ms < 0) l.last_ms = now_ms;
  return wait;
}

int64_t RevisionBudget::UsedToday(const std::string& offer_id, int64_t now_ms) const {
  const auto it = listings_.find(offer_id);
  return it == listings_.end() || it->second.day != now_ms / kDayMs ? 0 : it->second.used;
}

void RevisionBudget::Prune(int64_t now_ms) {
  const int64_t day = now_ms / kDayMs;
  if (day == pruned_day_) return;
  pruned_day_ = day;
  for (auto it = listings_.begin(); it != listings_.end();) {
    const Listing& l = it->second;
    const bool stale = l.day < day && now_ms - l.last_ms >= options_.min_interval_ms &&
                       now_ms >= l.blocked_until_ms;
    it = stale ? listings_.erase(it) : std::next(it);
  }
}

}  // namespace stockd::ebay
