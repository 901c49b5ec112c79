// The records a group commit stores (daemon/storage/records.h), without Redis: the
// commands one batch writes (last value once per hash, idempotency records in one field,
// resolved holds in expiring buckets) and the codecs round-trip. The same records against
// a real redis-server are in durability_test.cc.
#include "daemon/storage/records.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "daemon/engine/engine.h"
#include "stockd/storage/v1/records.pb.h"

namespace stockd {
namespace {

TEST(RecordsTest, BatchWritesTheLastValueOncePerHash) {
  engine::MutationRecord r1, r2;
  auto a1 = std::make_shared<engine::AuditEntry>();
  auto a2 = std::make_shared<engine::AuditEntry>();
  a1->after = {{"A", "wh", {5, 1, 0}}, {"B", "wh", {2, 0, 0}}};
  a2->after = {{"A", "wh", {5, 0, 0}}};
  r1.audit = a1;
  r2.audit = a2;
  r1.sequence = 7;
  r1.holds = {engine::HoldView{
      "h1", "webshop", engine::HoldState::kHeld, {{"A", "wh", 1, 0}}, 100, 0, 100, ""}};
  r2.sequence = 8;
  r2.holds = {engine::HoldView{
      "h1", "webshop", engine::HoldState::kReleased, {{"A", "wh", 1, 0}}, 100, 0, 130'000, ""}};
  std::vector<storage::Args> cmds;
  storage::WriteOptions options;
  options.hold_retention_ms = 60'000;
  ASSERT_TRUE(storage::AppendBatchCommands(storage::KeyLayout(), options, {&r1, &r2}, &cmds));
  std::map<std::string, storage::Args> by_name;
  for (const storage::Args& c : cmds) by_name[c[0] + " " + c[1]] = c;
  ASSERT_EQ(by_name.count("HSET {stockd}:stock"), 1u);
  storage::Args rows = by_name["HSET {stockd}:stock"];
  ASSERT_EQ(rows.size(), 6u);  // two rows, A once
  for (size_t i = 2; i < rows.size(); i += 2) {
    if (rows[i] == "A wh") EXPECT_EQ(rows[i + 1], "5 0 0");
    if (rows[i] == "B wh") EXPECT_EQ(rows[i + 1], "2 0 0");
  }
  EXPECT_EQ(by_name.count("HSET {stockd}:holds"), 0u) << "h1 ended released";
  EXPECT_EQ(by_name["HDEL {stockd}:holds"], (storage::Args{"HDEL", "{stockd}:holds", "h1"}));
  // Released at 130 s + 60 s retention: the bucket of minute 3, expiring at 240 s; the
  // batch's resolved holds of that minute are one field, named by its last sequence.
  ASSERT_EQ(by_name.count("HSET {stockd}:resolved:3"), 1u);
  EXPECT_EQ(by_name["PEXPIREAT {stockd}:resolved:3"][2], "240000");
  const storage::Args& resolved = by_name["HSET {stockd}:resolved:3"];
  ASSERT_EQ(resolved.size(), 4u);
  EXPECT_EQ(resolved[2], "8");
  absl::StatusOr<std::vector<engine::HoldView>> released =
      storage::DecodeResolvedHolds(resolved[3]);
  ASSERT_TRUE(released.ok()) << released.status();
  ASSERT_EQ(released->size(), 1u);
  EXPECT_EQ((*released)[0].hold_id, "h1");
  EXPECT_EQ((*released)[0].state, engine::HoldState::kReleased);
  EXPECT_FALSE(storage::DecodeResolvedHolds("junk").ok());
  storage::Args xadd = by_name["XADD {stockd}:audit"];
  ASSERT_EQ(xadd.size(), 7u);  // XADD key * 7 e 8 e
  EXPECT_EQ(xadd[3], "7");
  EXPECT_EQ(xadd[5], "8");
}

// The on_hand movements of a batch (what Counts observed in the past net) are one field of
// the bucket of the minute the newest leaves the history; a reserve moves no on_hand.
TEST(RecordsTest, BatchStoresItsOnHandMovementsInOneExpiringField) {
  auto entry = [](int64_t time, std::vector<engine::RowView> before,
                  std::vector<engine::RowView> after, int64_t observed_at = 0) {
    auto a = std::make_shared<engine::AuditEntry>();
    a->time_ms = time;
    a->before = std::move(before);
    a->after = std::move(after);
    a->observed_at_ms = observed_at;
    return a;
  };
  engine::MutationRecord sell, reserve, count, transfer;
  sell.sequence = 1;  // 2 sold at wh
  sell.audit = entry(100'000, {{"A", "wh", {5, 0, 0}}}, {{"A", "wh", {3, 0, 0}}});
  reserve.sequence = 2;  // held only
  reserve.audit = entry(110'000, {{"A", "wh", {3, 0, 0}}}, {{"A", "wh", {3, 1, 0}}});
  count.sequence = 3;  // a count observed at 50 s that found what the books said
  count.audit = entry(115'000, {{"B", "s1", {4, 0, 0}}}, {{"B", "s1", {4, 0, 0}}}, 50'000);
  transfer.sequence = 4;
  transfer.audit = entry(150'000, {{"A", "wh", {3, 1, 0}}, {"A", "s1", {0, 0, 0}}},
                         {{"A", "wh", {2, 1, 0}}, {"A", "s1", {1, 0, 0}}});
  storage::WriteOptions options;
  options.count_history_ms = 600'000;
  std::vector<storage::Args> cmds;
  storage::AppendBatchCommands(storage::KeyLayout(), options, {&sell, &reserve, &count, &transfer},
                               &cmds);
  std::map<std::string, storage::Args> by_name;
  for (const storage::Args& c : cmds) by_name[c[0] + " " + c[1]] = c;
  // The newest movement is at 150 s; kept 600 s: leaves at 750 s, in minute 12.
  ASSERT_EQ(by_name.count("HSET {stockd}:moves:12"), 1u);
  EXPECT_EQ(by_name["PEXPIREAT {stockd}:moves:12"][2], "780000");
  const storage::Args& moves = by_name["HSET {stockd}:moves:12"];
  ASSERT_EQ(moves.size(), 4u);
  EXPECT_EQ(moves[2], "4") << "named by the batch's last sequence";
  absl::StatusOr<std::vector<engine::MovementRecord>> decoded = storage::DecodeMovements(moves[3]);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  auto str = [](const engine::MovementRecord& m) {
    return absl::StrCat(m.sku, "@", m.location, " ", m.delta, " at ", m.at_ms,
                        m.count ? " count" : "");
  };
  ASSERT_EQ(decoded->size(), 4u);
  EXPECT_EQ(str((*decoded)[0]), "A@wh -2 at 100000");
  EXPECT_EQ(str((*decoded)[1]), "B@s1 0 at 50000 count") << "stamped when it was counted";
  EXPECT_EQ(str((*decoded)[2]), "A@wh -1 at 150000");
  EXPECT_EQ(str((*decoded)[3]), "A@s1 1 at 150000");
  EXPECT_FALSE(storage::DecodeMovements("junk").ok());

  // Without a history, or without an on_hand movement, nothing of the kind.
  options.count_history_ms = 0;
  cmds.clear();
  storage::AppendBatchCommands(storage::KeyLayout(), options, {&sell, &count}, &cmds);
  for (const storage::Args& c : cmds) EXPECT_EQ(c[1].rfind("{stockd}:moves:", 0), std::string::npos);
  options.count_history_ms = 600'000;
  cmds.clear();
  storage::AppendBatchCommands(storage::KeyLayout(), options, {&reserve}, &cmds);
  for (const storage::Args& c : cmds) EXPECT_EQ(c[1].rfind("{stockd}:moves:", 0), std::string::npos);
}

TEST(RecordsTest, BatchStoresItsIdempotencyRecordsInOneField) {
  engine::MutationRecord r1, r2, r3;
  r1.audit = r2.audit = r3.audit = std::make_shared<engine::AuditEntry>();
  r1.sequence = 41;
  r2.sequence = 42;
  r3.sequence = 43;
  r1.idempotency = std::make_shared<engine::IdempotencyRecord>(
      engine::IdempotencyRecord{"rid-1", 11, {}, 61'000});
  auto idem2 = std::make_shared<engine::IdempotencyRecord>(
      engine::IdempotencyRecord{std::string("rid 2\n\0x", 8), 22, {}, 62'000});
  idem2->outcome.breach = true;
  idem2->outcome.after = {{"A", "wh", {1, 2, 3}}};
  r2.idempotency = idem2;
  r3.idempotency = std::make_shared<engine::IdempotencyRecord>(
      engine::IdempotencyRecord{"rid-3", 33, {}, 150'000});  // a later minute
  std::vector<storage::Args> cmds;
  storage::AppendBatchCommands(storage::KeyLayout(), storage::WriteOptions(), {&r1, &r2, &r3},
                               &cmds);
  std::map<std::string, storage::Args> by_name;
  for (const storage::Args& c : cmds) by_name[c[0] + " " + c[1]] = c;
  ASSERT_EQ(by_name.count("HSET {stockd}:requests:1"), 1u);
  ASSERT_EQ(by_name.count("HSET {stockd}:requests:2"), 1u);
  EXPECT_EQ(by_name["PEXPIREAT {stockd}:requests:1"][2], "120000");
  const storage::Args& minute1 = by_name["HSET {stockd}:requests:1"];
  ASSERT_EQ(minute1.size(), 4u);  // HSET key <last sequence> <records>
  EXPECT_EQ(minute1[2], "43");
  absl::StatusOr<std::vector<engine::IdempotencyRecord>> back =
      storage::DecodeIdempotencyBatch(minute1[3]);
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ(back->size(), 2u);
  EXPECT_EQ((*back)[0].request_id, "rid-1");
  EXPECT_EQ((*back)[0].fingerprint, 11u);
  EXPECT_EQ((*back)[1].request_id, std::string("rid 2\n\0x", 8));  // any bytes
  EXPECT_EQ((*back)[1].expires_ms, 62'000);
  EXPECT_TRUE((*back)[1].outcome.breach);
  ASSERT_EQ((*back)[1].outcome.after.size(), 1u);
  EXPECT_EQ((*back)[1].outcome.after[0].counters.committed, 3);
  back = storage::DecodeIdempotencyBatch(by_name["HSET {stockd}:requests:2"][3]);
  ASSERT_TRUE(back.ok());
  ASSERT_EQ(back->size(), 1u);
  EXPECT_EQ((*back)[0].request_id, "rid-3");
  EXPECT_FALSE(storage::DecodeIdempotencyBatch("junk").ok());
  // A record without its request id can't be answered from: corrupt.
  std::string nameless;
  storage::AppendIdempotency(engine::IdempotencyRecord{"", 1, {}, 1}, &nameless);
  absl::StatusOr<std::vector<engine::IdempotencyRecord>> bad =
      storage::DecodeIdempotencyBatch(nameless);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(bad.status().message().find("without request id"), std::string::npos);
}

TEST(RecordsTest, CodecsRoundTrip) {
  engine::HoldView h{"h1-1",
                     "webshop",
                     engine::HoldState::kCommitted,
                     {{"A", "wh", 3, 1}, {"B", "store", 2, 0}},
                     10,
                     0,
                     12,
                     "order 9"};
  absl::StatusOr<engine::HoldView> back = storage::DecodeHold(storage::EncodeHold(h));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->hold_id, "h1-1");
  EXPECT_EQ(back->state, engine::HoldState::kCommitted);
  ASSERT_EQ(back->lines.size(), 2u);
  EXPECT_EQ(back->lines[0].fulfilled, 1);
  EXPECT_EQ(back->reference, "order 9");
  EXPECT_EQ(storage::DecodeCounters("7 2 1")->on_hand, 7);
  EXPECT_FALSE(storage::DecodeCounters("7 2").ok());
  EXPECT_FALSE(storage::DecodeCounters("-1 0 0").ok());
  std::string sku, location;
  ASSERT_TRUE(storage::KeyLayout::SplitRowField(storage::KeyLayout::RowField("A:b/c", "wh-1"), &sku,
                                                &location));
  EXPECT_EQ(sku, "A:b/c");
  EXPECT_EQ(location, "wh-1");
  EXPECT_FALSE(storage::KeyLayout::SplitRowField("nospace", &sku, &location));
  EXPECT_FALSE(storage::KeyLayout::SplitRowField("a b c", &sku, &location));
  EXPECT_FALSE(storage::KeyLayout::SplitRowField(" b", &sku, &location));
}

// An order's kit component lines (docs/kits.md, "Orders naming a kit") keep the kit and
// its units per kit; a stored line whose kit and per_kit disagree is not taken as a line
// of either kind: the start refuses it (DATA_LOSS), nothing is guessed.
TEST(RecordsTest, AKitLineRoundTripsAndAnInconsistentOneIsDataLoss) {
  engine::OrderView o;
  o.channel = "amazon";
  o.order_id = "A-1";
  o.revision = 2;
  o.status = engine::OrderStatus::kAccepted;
  o.hold_id = "h1";
  engine::OrderLineView pedal;
  pedal.sku = "PEDAL";
  pedal.location = "wh";
  pedal.qty = 4;
  pedal.open = 4;
  pedal.kit = "BIKE";
  pedal.per_kit = 2;
  engine::OrderLineView own;
  own.sku = "BELL";
  own.location = "wh";
  own.qty = 1;
  own.open = 1;
  o.lines = {pedal, own};
  absl::StatusOr<engine::OrderView> back = storage::DecodeOrder(storage::EncodeOrder(o));
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ(back->lines.size(), 2u);
  EXPECT_EQ(back->lines[0].kit, "BIKE");
  EXPECT_EQ(back->lines[0].per_kit, 2);
  EXPECT_EQ(back->lines[1].kit, "");
  EXPECT_EQ(back->lines[1].per_kit, 0);

  auto corrupt = [&](auto&& change) {
    records::v1::StoredOrder stored;
    EXPECT_TRUE(stored.ParseFromString(storage::EncodeOrder(o)));
    change(stored.mutable_lines(0));
    return storage::DecodeOrder(stored.SerializeAsString()).status();
  };
  for (const absl::Status& st :
       {corrupt([](records::v1::StoredOrderLine* l) { l->set_per_kit(0); }),
        corrupt([](records::v1::StoredOrderLine* l) { l->clear_kit(); }),
        corrupt([](records::v1::StoredOrderLine* l) { l->set_per_kit(-2); })}) {
    EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss) << st;
    EXPECT_NE(st.message().find("order 'A-1': undecodable line"), std::string::npos) << st;
  }
}

}  // namespace
}  // namespace stockd
