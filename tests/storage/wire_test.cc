// The journal's direct protobuf encoding (daemon/storage/wire.h) makes exactly the bytes
// the generated code makes for the same message, so stored records decode with the
// generated parsers and the stored format did not change.
#include "daemon/storage/wire.h"

#include <gtest/gtest.h>

#include "daemon/api/convert.h"
#include "daemon/storage/records.h"
#include "stockd/storage/v1/records.pb.h"
#include "stockd/v1/stockd.pb.h"

namespace stockd {
namespace {

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
}

TEST(WireTest, HoldBytesAreTheGeneratedCodes) {
  for (engine::HoldState s :
       {engine::HoldState::kHeld, engine::HoldState::kCommitted, engine::HoldState::kCancelled}) {
    engine::HoldView h = SomeHold(s);
    v1::Hold m;
    api::ToProto(h, &m);
    EXPECT_EQ(storage::EncodeHold(h), m.SerializeAsString()) << static_cast<int>(s);
  }
  engine::HoldView empty;  // every default: nothing but the state
  v1::Hold m;
  api::ToProto(empty, &m);
  EXPECT_EQ(storage::EncodeHold(empty), m.SerializeAsString());
}

TEST(WireTest, StoredHoldsBytesAreTheGeneratedCodes) {
  std::string two;
  records::v1::StoredHolds m;
  for (engine::HoldState s : {engine::HoldState::kReleased, engine::HoldState::kFulfilled}) {
    engine::HoldView h = SomeHold(s);
    storage::AppendResolvedHold(h, &two);
    api::ToProto(h, m.add_holds());
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
  v1::AuditEntry m;
  api::ToProto(e, &m);
  EXPECT_EQ(storage::EncodeAudit(e), m.SerializeAsString());
  engine::AuditEntry bare;  // reason and rows empty
  bare.sequence = 1;
  v1::AuditEntry mb;
  api::ToProto(bare, &mb);
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
    if (r->outcome.hold) api::ToProto(*r->outcome.hold, m.mutable_hold());
    for (const engine::RowView& row : r->outcome.before) api::ToProto(row, m.add_before());
    for (const engine::RowView& row : r->outcome.after) api::ToProto(row, m.add_after());
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

}  // namespace
}  // namespace stockd
