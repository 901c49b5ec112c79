// The revision budget of eBay listings. eBay lets a listing be revised at most 250 times
// a calendar day ("Each listing can be revised up to 250 times in one calendar day. If
// this revision threshold is reached, the seller will be blocked from revising the item
// until the next calendar day."), and every bulkUpdatePriceQuantity of an offer is a
// revision. A listing whose stock changes all day must not burn its revisions by noon and
// then show a stale number until midnight, so each offer is revised:
//
//   - at most once per coalescing window (`min_interval_ms`): a push inside the window
//     waits for its end, and the daemon then sends the newest number once;
//   - at most `daily_limit` times a UTC day (the host clock's day);
//   - once fewer than `reserve` revisions are left today, at most once per
//     (time left in the day / revisions left): the last ones are spread, not burnt.
//
// The counts live in memory: a restart forgets them. eBay still enforces its cap: its
// answer for the cap holds the offer back until midnight UTC, but for at most
// `recheck_ms` at a time (Exhausted()), because eBay's "calendar day" may not be the UTC
// day: one probe an hour costs a refused call, a listing held 24 h would show a stale
// number.
//
// Thread safety: one thread at a time (an adapter instance's).
#ifndef STOCKD_ADAPTERS_EBAY_EBAY_REVISIONS_H_
#define STOCKD_ADAPTERS_EBAY_EBAY_REVISIONS_H_

#include <cstdint>
#include <string>
#include <unordered_map>

namespace stockd::ebay {

constexpr int64_t kDayMs = 86'400'000;

class RevisionBudget {
 public:
  struct Options {
    int64_t daily_limit = 250;
    int64_t reserve = 25;
    int64_t min_interval_ms = 60'000;
  };

  explicit RevisionBudget(Options options) : options_(options) {}

  // 0 when `offer_id` may be revised at `now_ms` (Unix epoch ms); otherwise how long to
  // wait, with *why set to the reason (for the push's message).
  int64_t WaitMs(const std::string& offer_id, int64_t now_ms, std::string* why) const;
  // One revision of `offer_id` was made at `now_ms`.
  void Record(const std::string& offer_id, int64_t now_ms);
  // eBay said the offer has no revision left today: none is tried before midnight UTC
  // or `recheck_ms` from now, whichever comes first. Returns that wait.
  int64_t Exhausted(const std::string& offer_id, int64_t now_ms, int64_t recheck_ms);
  // Revisions of `offer_id` counted on the UTC day of `now_ms`.
  int64_t UsedToday(const std::string& offer_id, int64_t now_ms) const;

  size_t tracked() const { return listings_.size(); }

 private:
  struct Listing {
    int64_t day = -1;               // UTC day (epoch ms / kDayMs) that `used` counts
    int64_t used = 0;               // revisions on `day`
    int64_t last_ms = -1;           // the last revision, -1 if none
    int64_t blocked_until_ms = -1;  // eBay refused for its cap: not before this
  };
  // Drops offers whose counts and window no longer matter (called once a day).
  void Prune(int64_t now_ms);

  const Options options_;
  std::unordered_map<std::string, Listing> listings_;
  int64_t pruned_day_ = -1;
};

}  // namespace stockd::ebay

#endif  // STOCKD_ADAPTERS_EBAY_EBAY_REVISIONS_H_
