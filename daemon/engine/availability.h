// The availability formula of docs/design.md, as pure functions over one SKU's counters and
// its effective policies. No state, no locks: callers pass what they hold.
//
//   avail_c(L)   = max(0, free(L) - Σ_{c' != c, L in protect(c')} protect_c'(L))
//   reservable_c = Σ_{L in sources(c)} avail_c(L)
//   x            = max(0, reservable_c - safety_stock_c)
//   x            = floor(x * share_percent_c / 100)
//   published_c  = x < min_publish_c ? 0 : min(x, max_publish_c)
#ifndef STOCKD_DAEMON_ENGINE_AVAILABILITY_H_
#define STOCKD_DAEMON_ENGINE_AVAILABILITY_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "daemon/engine/model.h"

namespace stockd::engine {

// Counters of one (SKU, location) row.
struct Counters {
  int64_t on_hand = 0;
  int64_t held = 0;
  int64_t committed = 0;
  int64_t free() const { return on_hand - held - committed; }
  bool operator==(const Counters&) const = default;
};

// The effective policies of every channel for one SKU, after overrides, with the
// per-location protection totals precomputed. Immutable; shared by all SKUs that match
// the same set of overrides.
struct PolicySet {
  std::vector<ChannelPolicy> channels;            // by channel index
  std::vector<int64_t> protect_total;             // by location index: Σ over channels
  std::vector<std::vector<std::string>> applied;  // by channel: origins of overrides
};

// Builds the PolicySet for the overrides at `matched` (indices into model.overrides,
// ascending). `matched` empty gives the base policies.
std::shared_ptr<const PolicySet> BuildPolicySet(const Model& model,
                                                const std::vector<int>& matched);

// Units of other channels' buffers at `location`, as seen by `channel`.
inline int64_t ProtectedByOthers(const PolicySet& p, int channel, int location) {
  return p.protect_total[location] - p.channels[channel].protect[location];
}

// avail_c(L).
inline int64_t Avail(const PolicySet& p, int channel, int location, const Counters& c) {
  int64_t v = c.free() - ProtectedByOthers(p, channel, location);
  return v > 0 ? v : 0;
}

// reservable_c: `rows` is indexed by location.
int64_t Reservable(const Model& model, const PolicySet& p, int channel,
                   const std::vector<Counters>& rows);

// The published quantity for a reservable amount under one channel's policy.
int64_t Publish(const ChannelPolicy& policy, int64_t reservable);

// One part of a Reserve line: `qty` units from location index `location`.
struct LinePart {
  int location = -1;
  int64_t qty = 0;
  bool operator==(const LinePart&) const = default;
};

// Where a Reserve line of `qty` without a location is taken from (docs/design.md,
// "Operations"): whole from the first of the channel's sources whose avail covers it (one
// parcel); when none does and `may_split`, over the sources in the channel's order, each
// giving min(avail, what is still wanted). Empty when the sources cannot cover `qty` (or,
// without `may_split`, when no single one can). Parts have qty > 0 and sum to `qty`.
std::vector<LinePart> PlanLine(const Model& model, const PolicySet& p, int channel,
                               const std::vector<Counters>& rows, int64_t qty, bool may_split);

}  // namespace stockd::engine

#endif  // STOCKD_DAEMON_ENGINE_AVAILABILITY_H_
