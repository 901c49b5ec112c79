// Protobuf wire encoding of the records a group commit stores, written straight from the
// engine's structs: the stockd.records.v1 messages StoredHold, StoredAuditEntry (with its
// StoredStockRows) and StoredOutcome. It is the only encoder of records: nothing in the
// daemon serializes a record message. The bytes are exactly what the generated code's
// SerializeAsString() of the same message makes (fields in number order, proto3 defaults
// left out; tests/storage/wire_test.cc compares them), so they decode with the generated parsers
// and the stored format is unchanged. Why: building a message object first cost the
// journal thread an allocation and a copy per string and a destructor per line; with
// 100-line holds that was most of what it spent encoding a batch.
//
// Pure functions; thread-safe.
#ifndef STOCKD_DAEMON_STORAGE_WIRE_H_
#define STOCKD_DAEMON_STORAGE_WIRE_H_

#include <string>

#include "daemon/engine/journal.h"

namespace stockd::storage::wire {

// Appends the serialized message to `out`.
void AppendHold(const engine::HoldView& hold, std::string* out);
void AppendAudit(const engine::AuditEntry& entry, std::string* out);
void AppendStoredOutcome(const engine::IdempotencyRecord& record, std::string* out);
// Appends `hold` as one entry of a StoredHolds message (field 1: tag, length, bytes).
void AppendStoredHoldsEntry(const engine::HoldView& hold, std::string* out);
// Appends `record` as one entry of a StoredOutcomes message (field 1: tag, length, bytes).
void AppendStoredOutcomesEntry(const engine::IdempotencyRecord& record, std::string* out);

}  // namespace stockd::storage::wire

#endif  // STOCKD_DAEMON_STORAGE_WIRE_H_
