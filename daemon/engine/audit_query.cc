#include "daemon/engine/audit_query.h"

#include <vector>

namespace stockd::engine {
namespace {

// A row of `rows` matches the SKU and location filters (both at once: the SKU at that
// location).
bool AnyRow(const std::vector<RowView>& rows, const std::string& sku, const std::string& location) {
  for (const RowView& r : rows) {
    if ((sku.empty() || r.sku == sku) && (location.empty() || r.location == location)) return true;
  }
  return false;
}

}  // namespace

bool AuditQuery::Matches(const AuditEntry& e) const {
  if (since_ms > 0 && e.time_ms < since_ms) return false;
  if (until_ms > 0 && e.time_ms >= until_ms) return false;
  if (!channel.empty() && e.channel != channel) return false;
  if (!hold_id.empty() && e.hold_id != hold_id) return false;
  if (!request_id.empty() && e.request_id != request_id) return false;
  if (!actor.empty() && e.actor != actor) return false;
  if (sku.empty() && location.empty()) return true;
  return AnyRow(e.after, sku, location) || AnyRow(e.before, sku, location);
}

}  // namespace stockd::engine
