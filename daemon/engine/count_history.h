// Counts observed in the past (docs/design.md, "Counts observed in the past"): a stock
// take or an ERP export reaches stockd after sales and receipts have moved the shelf.
// Its new on_hand is the counted units plus every on_hand movement at that location
// recorded after the count was taken. These pure functions keep and read the movements
// of one SKU (SkuState::movements); callers hold the SKU's shard.
#ifndef STOCKD_DAEMON_ENGINE_COUNT_HISTORY_H_
#define STOCKD_DAEMON_ENGINE_COUNT_HISTORY_H_

#include <cstdint>
#include <string>

#include "daemon/engine/commands.h"
#include "daemon/engine/sealing.h"
#include "daemon/engine/state.h"

namespace stockd::engine {

// A count's observed_at may lie this far ahead of the daemon's clock (the counting
// device's clock runs a little ahead); it is then taken as now. Further ahead is
// INVALID_ARGUMENT.
inline constexpr int64_t kCountClockSlackMs = 5'000;

// Records the on_hand movements of a sealed change: every touched row whose on_hand
// moved, at `now`; a Count's row at its observed time, marked as a count even when
// on_hand did not move. Drops movements older than `now - history_ms` in bulk (once the
// oldest is a tenth of the window past it). history_ms 0 records nothing.
void RecordMovements(const Change& change, int64_t now, int64_t history_ms);

// The movements a sealed mutation's audit entry implies, by SKU and location id: the same
// RecordMovements keeps in memory, as the journal stores them. Calls
// `fn(const RowView& after, int64_t at_ms, int64_t delta, bool count)` per movement.
template <typename Fn>
void ForEachMovement(const AuditEntry& entry, Fn&& fn) {
  const bool count = entry.observed_at_ms != 0;
  const int64_t at = count ? entry.observed_at_ms : entry.time_ms;
  for (size_t i = 0; i < entry.after.size() && i < entry.before.size(); ++i) {
    const int64_t delta = entry.after[i].counters.on_hand - entry.before[i].counters.on_hand;
    if (delta != 0 || count) fn(entry.after[i], at, delta, count);
  }
}

// What the movements at `location` after `observed_at` add up to.
struct CountNetting {
  int64_t netted = 0;     // the sum of their deltas (sales out, receipts in, ...)
  int64_t movements = 0;  // how many
  // A count at this location observed after `observed_at` (0 when none): the newer
  // count already says what was there.
  int64_t newer_count_ms = 0;
};
CountNetting NetAfter(const SkuState& s, int location, int64_t observed_at);

// "2026-12-03T10:15:00.000Z".
std::string FormatUtcMs(int64_t ms);

}  // namespace stockd::engine

#endif  // STOCKD_DAEMON_ENGINE_COUNT_HISTORY_H_
