#include "daemon/engine/count_history.h"

#include <algorithm>

#include "absl/time/time.h"

namespace stockd::engine {

void RecordMovements(const Change& change, int64_t now, int64_t history_ms) {
  if (history_ms <= 0) return;
  const int64_t cutoff = now - history_ms;
  const bool count = change.count_observed_at_ms != 0;
  const int64_t at = count ? change.count_observed_at_ms : now;
  for (const Touched& t : change.rows) {
    const int64_t delta = t.sku->rows[t.location].on_hand - t.before.on_hand;
    if (delta == 0 && !count) continue;
    std::vector<Movement>& m = t.sku->Extras().movements;
    // In bulk: a SKU that moves all day drops its old movements once per tenth of the
    // window, not one per append (an erase moves the rest).
    if (!m.empty() && m.front().at_ms < cutoff - history_ms / 10) {
      std::erase_if(m, [cutoff](const Movement& x) { return x.at_ms < cutoff; });
    }
    m.push_back(Movement{at, delta, static_cast<int32_t>(t.location), count});
  }
}

CountNetting NetAfter(const SkuState& s, int location, int64_t observed_at) {
  CountNetting out;
  for (const Movement& m : s.ReadExtras().movements) {
    if (m.location != location || m.at_ms <= observed_at) continue;
    if (m.count) {
      out.newer_count_ms = std::max(out.newer_count_ms, m.at_ms);
    } else {
      out.netted += m.delta;
      ++out.movements;
    }
  }
  return out;
}

std::string FormatUtcMs(int64_t ms) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixMillis(ms), absl::UTCTimeZone());
}

}  // namespace stockd::engine
