// The movement history's records (records.h): the on_hand movements a group commit made,
// kept for Counts observed in the past (docs/design.md, "Counts observed in the past").
// Written only when on_hand moves (a sale, a receipt, a count; not a reserve), so the
// generated Protobuf code encodes them (wire.cc hand-encodes the hot records).
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "daemon/engine/count_history.h"
#include "daemon/storage/records.h"
#include "stockd/storage/v1/records.pb.h"

namespace stockd::storage {

int64_t AppendMovements(const engine::AuditEntry& entry, std::string* movements) {
  records::v1::StoredMovements batch;
  int64_t latest = 0;
  engine::ForEachMovement(entry,
                          [&](const engine::RowView& row, int64_t at, int64_t delta, bool count) {
                            records::v1::StoredMovement* m = batch.add_movements();
                            m->set_sku(row.sku);
                            m->set_location(row.location);
                            m->set_at_ms(at);
                            m->set_delta(delta);
                            m->set_count(count);
                            latest = std::max(latest, at);
                          });
  if (batch.movements_size() > 0) batch.AppendToString(movements);  // repeated fields merge
  return latest;
}

absl::StatusOr<std::vector<engine::MovementRecord>> DecodeMovements(const std::string& bytes) {
  records::v1::StoredMovements batch;
  if (!batch.ParseFromString(bytes)) return absl::DataLossError("undecodable movements");
  std::vector<engine::MovementRecord> out;
  out.reserve(batch.movements_size());
  for (const records::v1::StoredMovement& m : batch.movements()) {
    if (m.sku().empty() || m.location().empty()) {
      return absl::DataLossError("movement without sku or location");
    }
    out.push_back({m.sku(), m.location(), m.at_ms(), m.delta(), m.count()});
  }
  return out;
}

}  // namespace stockd::storage
