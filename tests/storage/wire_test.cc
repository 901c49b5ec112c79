// The journal's direct protobuf encoding (daemon/storage/wire.h) makes exactly the bytes
// the generated code makes for the same storage message (stockd.records.v1), so stored
// records decode with the generated parsers; and the storage messages have the bytes of
// the stockd.v1 messages they were before, so records written then load as before.
#include "daemon/storage/wire.h"

#include <gtest/gtest.h>

#include "daemon/api/convert.h"
#include "daemon/storage/records.h"
#include "stockd/storage/v1/records.pb.h"
#include "stockd/v1/stockd.pb.h"

namespace stockd {
namespace {

using records::v1::StoredAuditEntry;
using records::v1::StoredHold;
using records::v1::StoredStockRow;

// The reference encoding of the storage messages, field by field through the generated
// setters (production code has only the wire encoder).
void ToStored(const engine::HoldView& v, StoredHold* out) {
  out->set_hold_id(v.hold_id);
  out->set_channel(v.channel);
  out->set_state(static_cast<records::v1::StoredHoldState>(v.state));
  for (const engine::Line& l : v.lines) {
    records::v1::StoredHoldLine* line = out->add_lines();
    line->set_sku(l.sku);
    line->set_location(l.location);
    line->set_qty(l.qty);
    line->set_fulfilled(l.fulfilled);
  }
  out->set_created_ms(v.created_ms);
  out->set_deadline_ms(v.deadline_ms);
  out->set_updated_ms(v.updated_ms);
  out->set_reference(v.reference);
}

void ToStored(const engine::RowView& v, StoredStockRow* out) {
  out->set_sku(v.sku);
  out->set_location(v.location);
  out->set_on_hand(v.counters.on_hand);
  out->set_held(v.counters.held);
  out->set_committed(v.counters.committed);
  out->set_free(v.counters.free());
}

void ToStored(const engine::AuditEntry& e, StoredAuditEntry* out) {
  out->set_sequence(e.sequence);
  out->set_time_ms(e.time_ms);
  out->set_actor(e.actor);
  out->set_operation(e.operation);
  out->set_request_id(e.request_id);
  out->set_channel(e.channel);
  out->set_hold_id(e.hold_id);
  out->set_reason(e.reason);
  for (const engine::RowView& r : e.before) ToStored(r, out->add_before());
  for (const engine::RowView& r : e.after) ToStored(r, out->add_after());
}

void ExpectSameHold(const engine::HoldView& a, const engine::HoldView& b) {
  EXPECT_EQ(a.hold_id, b.hold_id);
  EXPECT_EQ(a.channel, b.channel);
  EXPECT_EQ(a.state, b.state);
  EXPECT_EQ(a.created_ms, b.created_ms);
  EXPECT_EQ(a.deadline_ms, b.deadline_ms);
  EXPECT_EQ(a.updated_ms, b.updated_ms);
  EXPECT_EQ(a.reference, b.reference);
  ASSERT_EQ(a.lines.size(), b.lines.size());
  for (size_t i = 0; i < a.lines.size(); ++i) {
    EXPECT_EQ(a.lines[i].sku, b.lines[i].sku) << i;
    EXPECT_EQ(a.lines[i].location, b.lines[i].location) << i;
    EXPECT_EQ(a.lines[i].qty, b.lines[i].qty) << i;
    EXPECT_EQ(a.lines[i].fulfilled, b.lines[i].fulfilled) << i;
  }
}

engine::HoldView SomeHold(engine::HoldState state) {
  engine::HoldView h;
  h.hold_id = "h18c2f3a4b5d-123456";
  h.channel = "webshop";
  h.state = state;
  h.created_ms = 1795510316168;
  h.deadline_ms = state == engine::HoldState::kHeld ? 1795510916168 : 0;
  h.updated_ms = 1795510316999;
  h.reference = state == engine::HoldState::kCommitted ? "order 4711 \xc3\xa9" : "";
  for (int i = 0; i < 130; ++i) {  // past 127: two-byte lengths and counts
    h.lines.push_back({"SKU-LONGER-THAN-SSO-" + std::to_string(i), i % 2 ? "wh-central" : "s",
                       i + 1, i % 3 == 0 ? i / 3 : 0});
  }
  return h;
}

std::vector<engine::RowView> SomeRows(int n) {
  std::vector<engine::RowView> rows;
  for (int i = 0; i < n; ++i) {
    // free() < 0 after a shrinkage: a negative int64 is ten varint bytes.
    rows.push_back({"R-" + std::to_string(i), "wh", {i, i == 1 ? 5 : 0, i * 1000000007LL}});
  }
  return rows;
}

TEST(WireTest, HoldStateNumbersAreTheProtoEnum) {
  for (engine::HoldState s : {engine::HoldState::kHeld, engine::HoldState::kCommitted,
                              engine::HoldState::kReleased, engine::HoldState::kExpired,
                              engine::HoldState::kFulfilled, engine::HoldState::kCancelled}) {
    EXPECT_EQ(static_cast<int>(s), static_cast<int>(api::ToProto(s)));
  }
  EXPECT_EQ(records::v1::STORED_HELD, static_cast<int>(v1::HELD));
  EXPECT_EQ(records::v1::STORED_COMMITTED, static_cast<int>(v1::COMMITTED));
  EXPECT_EQ(records::v1::STORED_RELEASED, static_cast<int>(v1::RELEASED));
  EXPECT_EQ(records::v1::STORED_EXPIRED, static_cast<int>(v1::EXPIRED));
  EXPECT_EQ(records::v1::STORED_FULFILLED, static_cast<int>(v1::FULFILLED));
  EXPECT_EQ(records::v1::STORED_CANCELLED, static_cast<int>(v1::CANCELLED));
}

TEST(WireTest, HoldBytesAreTheGeneratedCodes) {
  for (engine::HoldState s :
       {engine::HoldState::kHeld, engine::HoldState::kCommitted, engine::HoldState::kCancelled}) {
    engine::HoldView h = SomeHold(s);
    StoredHold m;
    ToStored(h, &m);
    EXPECT_EQ(storage::EncodeHold(h), m.SerializeAsString()) << static_cast<int>(s);
  }
  engine::HoldView empty;  // every default: nothing but the state
  StoredHold m;
  ToStored(empty, &m);
  EXPECT_EQ(storage::EncodeHold(empty), m.SerializeAsString());
}

TEST(WireTest, StoredHoldsBytesAreTheGeneratedCodes) {
  std::string two;
  records::v1::StoredHolds m;
  for (engine::HoldState s : {engine::HoldState::kReleased, engine::HoldState::kFulfilled}) {
    engine::HoldView h = SomeHold(s);
    storage::AppendResolvedHold(h, &two);
    ToStored(h, m.add_holds());
  }
  EXPECT_EQ(two, m.SerializeAsString());
  absl::StatusOr<std::vector<engine::HoldView>> back = storage::DecodeResolvedHolds(two);
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ(back->size(), 2u);
  EXPECT_EQ((*back)[1].state, engine::HoldState::kFulfilled);
  EXPECT_EQ((*back)[1].lines.size(), 130u);
}

TEST(WireTest, AuditBytesAreTheGeneratedCodes) {
  engine::AuditEntry e;
  e.sequence = 1ULL << 40;
  e.time_ms = 1795510316168;
  e.actor = "ipv4:127.0.0.1:50000";
  e.operation = "reserve";
  e.request_id = std::string("rid\0with nul", 12);
  e.channel = "webshop";
  e.hold_id = "h1-1";
  e.before = SomeRows(3);
  e.after = SomeRows(200);
  StoredAuditEntry m;
  ToStored(e, &m);
  EXPECT_EQ(storage::EncodeAudit(e), m.SerializeAsString());
  engine::AuditEntry bare;  // reason and rows empty
  bare.sequence = 1;
  StoredAuditEntry mb;
  ToStored(bare, &mb);
  EXPECT_EQ(storage::EncodeAudit(bare), mb.SerializeAsString());
}

TEST(WireTest, StoredOutcomeBytesAreTheGeneratedCodes) {
  engine::IdempotencyRecord with_hold{"rid-1", 0xfedcba9876543210ULL, {}, 1795596716168};
  with_hold.outcome.hold = SomeHold(engine::HoldState::kHeld);
  engine::IdempotencyRecord with_rows{"rid-2", 7, {}, 1};
  with_rows.outcome.before = SomeRows(1);
  with_rows.outcome.after = SomeRows(2);
  with_rows.outcome.breach = true;
  with_rows.outcome.breach_units = 3;
  engine::IdempotencyRecord bare{"", 0, {}, 0};
  for (const engine::IdempotencyRecord* r : {&with_hold, &with_rows, &bare}) {
    records::v1::StoredOutcome m;
    m.set_request_id(r->request_id);
    m.set_fingerprint(r->fingerprint);
    if (r->outcome.hold) ToStored(*r->outcome.hold, m.mutable_hold());
    for (const engine::RowView& row : r->outcome.before) ToStored(row, m.add_before());
    for (const engine::RowView& row : r->outcome.after) ToStored(row, m.add_after());
    m.set_breach(r->outcome.breach);
    m.set_breach_units(r->outcome.breach_units);
    m.set_expires_ms(r->expires_ms);
    EXPECT_EQ(storage::EncodeIdempotency(*r), m.SerializeAsString()) << r->request_id;

    // And as an entry of StoredOutcomes, twice.
    std::string two;
    storage::AppendIdempotency(*r, &two);
    storage::AppendIdempotency(*r, &two);
    records::v1::StoredOutcomes batch;
    *batch.add_outcomes() = m;
    *batch.add_outcomes() = m;
    EXPECT_EQ(two, batch.SerializeAsString());
  }
}

// Before the storage messages existed, records held stockd.v1 messages: their bytes (made
// here by the API's own mapping) decode with the storage messages to the same values.
TEST(WireTest, RecordsWrittenWithTheApiMessagesDecodeAsBefore) {
  for (engine::HoldState s : {engine::HoldState::kHeld, engine::HoldState::kCommitted,
                              engine::HoldState::kExpired, engine::HoldState::kCancelled}) {
    const engine::HoldView h = SomeHold(s);
    v1::Hold old;
    api::ToProto(h, &old);
    const std::string bytes = old.SerializeAsString();
    EXPECT_EQ(bytes, storage::EncodeHold(h));
    absl::StatusOr<engine::HoldView> back = storage::DecodeHold(bytes);
    ASSERT_TRUE(back.ok()) << back.status();
    ExpectSameHold(*back, h);
    StoredHold stored;
    ASSERT_TRUE(stored.ParseFromString(bytes));
    EXPECT_EQ(static_cast<int>(stored.state()), static_cast<int>(old.state()));
    EXPECT_EQ(stored.SerializeAsString(), bytes);  // no field left unknown
  }

  // StoredHolds was `repeated stockd.v1.Hold holds = 1`, as ListHoldsResponse is.
  v1::ListHoldsResponse old_holds;
  const engine::HoldView released = SomeHold(engine::HoldState::kReleased);
  const engine::HoldView fulfilled = SomeHold(engine::HoldState::kFulfilled);
  api::ToProto(released, old_holds.add_holds());
  api::ToProto(fulfilled, old_holds.add_holds());
  absl::StatusOr<std::vector<engine::HoldView>> holds =
      storage::DecodeResolvedHolds(old_holds.SerializeAsString());
  ASSERT_TRUE(holds.ok()) << holds.status();
  ASSERT_EQ(holds->size(), 2u);
  ExpectSameHold((*holds)[0], released);
  ExpectSameHold((*holds)[1], fulfilled);

  engine::AuditEntry e;
  e.sequence = 77;
  e.time_ms = 1795510316168;
  e.actor = "ipv4:127.0.0.1:50000";
  e.operation = "adjust";
  e.request_id = "rid-9";
  e.channel = "pos";
  e.hold_id = "h1-2";
  e.reason = "damage";
  e.before = SomeRows(2);
  e.after = SomeRows(3);
  v1::AuditEntry old_audit;
  api::ToProto(e, &old_audit);
  StoredAuditEntry audit;
  ASSERT_TRUE(audit.ParseFromString(old_audit.SerializeAsString()));
  EXPECT_EQ(audit.sequence(), e.sequence);
  EXPECT_EQ(audit.time_ms(), e.time_ms);
  EXPECT_EQ(audit.actor(), e.actor);
  EXPECT_EQ(audit.operation(), e.operation);
  EXPECT_EQ(audit.request_id(), e.request_id);
  EXPECT_EQ(audit.channel(), e.channel);
  EXPECT_EQ(audit.hold_id(), e.hold_id);
  EXPECT_EQ(audit.reason(), e.reason);
  ASSERT_EQ(audit.after_size(), 3);
  EXPECT_EQ(audit.after(2).sku(), e.after[2].sku);
  EXPECT_EQ(audit.after(2).committed(), e.after[2].counters.committed);
  EXPECT_EQ(audit.before(1).free(), e.before[1].counters.free());
  EXPECT_EQ(audit.SerializeAsString(), old_audit.SerializeAsString());

  // A StoredOutcome's hold and rows were stockd.v1.Hold and StockRow: the same bytes.
  engine::IdempotencyRecord r{"rid-3", 42, {}, 1795596716168};
  r.outcome.hold = SomeHold(engine::HoldState::kHeld);
  r.outcome.before = SomeRows(1);
  r.outcome.after = SomeRows(2);
  records::v1::StoredOutcome outcome;
  ASSERT_TRUE(outcome.ParseFromString(storage::EncodeIdempotency(r)));
  v1::Hold old_hold;
  api::ToProto(*r.outcome.hold, &old_hold);
  EXPECT_EQ(outcome.hold().SerializeAsString(), old_hold.SerializeAsString());
  v1::StockRow old_row;
  api::ToProto(r.outcome.after[1], &old_row);
  EXPECT_EQ(outcome.after(1).SerializeAsString(), old_row.SerializeAsString());
  absl::StatusOr<engine::IdempotencyRecord> idem =
      storage::DecodeIdempotency("rid-3", storage::EncodeIdempotency(r));
  ASSERT_TRUE(idem.ok()) << idem.status();
  ASSERT_TRUE(idem->outcome.hold.has_value());
  ExpectSameHold(*idem->outcome.hold, *r.outcome.hold);
  ASSERT_EQ(idem->outcome.after.size(), 2u);
  EXPECT_EQ(idem->outcome.after[1].counters.committed, r.outcome.after[1].counters.committed);
}

}  // namespace
}  // namespace stockd
