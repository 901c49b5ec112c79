#include "daemon/storage/records.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "daemon/storage/wire.h"
#include "stockd/storage/v1/records.pb.h"

namespace stockd::storage {

std::string KeyLayout::Resolved(int64_t bucket) const {
  return absl::StrCat(tag_, "resolved:", bucket);
}

std::string KeyLayout::Requests(int64_t bucket) const {
  return absl::StrCat(tag_, "requests:", bucket);
}

std::string KeyLayout::Movements(int64_t bucket) const {
  return absl::StrCat(tag_, "moves:", bucket);
}

std::string KeyLayout::ChannelOfAckedKey(const std::string& key) const {
  const std::string head = tag_ + "acked:";
  if (key.size() <= head.size() || key.compare(0, head.size(), head) != 0) return "";
  return key.substr(head.size());
}

std::string KeyLayout::RowField(const std::string& sku, const std::string& location) {
  std::string field;
  field.reserve(sku.size() + 1 + location.size());
  field.append(sku).push_back(' ');
  field.append(location);
  return field;
}

bool KeyLayout::SplitRowField(const std::string& field, std::string* sku, std::string* location) {
  const size_t space = field.find(' ');
  if (space == std::string::npos || space == 0 || space + 1 == field.size() ||
      field.find(' ', space + 1) != std::string::npos) {
    return false;
  }
  sku->assign(field, 0, space);
  location->assign(field, space + 1, std::string::npos);
  return true;
}

std::string EncodeCounters(const engine::Counters& c) {
  return absl::StrCat(c.on_hand, " ", c.held, " ", c.committed);
}

absl::StatusOr<engine::Counters> DecodeCounters(const std::string& text) {
  std::vector<std::string> parts = absl::StrSplit(text, ' ');
  engine::Counters c;
  if (parts.size() != 3 || !absl::SimpleAtoi(parts[0], &c.on_hand) ||
      !absl::SimpleAtoi(parts[1], &c.held) || !absl::SimpleAtoi(parts[2], &c.committed) ||
      c.on_hand < 0 || c.held < 0 || c.committed < 0) {
    return absl::DataLossError(absl::StrCat("bad counters '", text, "'"));
  }
  return c;
}

std::string EncodeHold(const engine::HoldView& hold) {
  std::string bytes;
  wire::AppendHold(hold, &bytes);
  return bytes;
}

namespace {

using records::v1::StoredHold;
using records::v1::StoredStockRow;

// A stored hold state; UNSPECIFIED is refused before (the hold is undecodable).
engine::HoldState FromStored(records::v1::StoredHoldState s) {
  switch (s) {
    case records::v1::STORED_COMMITTED:
      return engine::HoldState::kCommitted;
    case records::v1::STORED_RELEASED:
      return engine::HoldState::kReleased;
    case records::v1::STORED_EXPIRED:
      return engine::HoldState::kExpired;
    case records::v1::STORED_FULFILLED:
      return engine::HoldState::kFulfilled;
    case records::v1::STORED_CANCELLED:
      return engine::HoldState::kCancelled;
    default:
      return engine::HoldState::kHeld;
  }
}

engine::HoldView FromStored(const StoredHold& h) {
  engine::HoldView v;
  v.hold_id = h.hold_id();
  v.channel = h.channel();
  v.state = FromStored(h.state());
  v.lines.reserve(h.lines_size());
  for (const records::v1::StoredHoldLine& l : h.lines()) {
    v.lines.push_back({l.sku(), l.location(), l.qty(), l.fulfilled()});
  }
  v.created_ms = h.created_ms();
  v.deadline_ms = h.deadline_ms();
  v.updated_ms = h.updated_ms();
  v.reference = h.reference();
  return v;
}

engine::RowView FromStored(const StoredStockRow& r) {
  return engine::RowView{r.sku(), r.location(), {r.on_hand(), r.held(), r.committed()}};
}

bool Decodable(const StoredHold& h) {
  return !h.hold_id().empty() && h.state() != records::v1::STORED_HOLD_STATE_UNSPECIFIED;
}

}  // namespace

absl::StatusOr<engine::HoldView> DecodeHold(const std::string& bytes) {
  StoredHold h;
  if (!h.ParseFromString(bytes) || !Decodable(h)) {
    return absl::DataLossError("undecodable hold");
  }
  return FromStored(h);
}

void AppendResolvedHold(const engine::HoldView& hold, std::string* holds) {
  wire::AppendStoredHoldsEntry(hold, holds);
}

absl::StatusOr<std::vector<engine::HoldView>> DecodeResolvedHolds(const std::string& bytes) {
  records::v1::StoredHolds stored;
  if (!stored.ParseFromString(bytes)) return absl::DataLossError("undecodable holds");
  std::vector<engine::HoldView> out;
  out.reserve(stored.holds_size());
  for (const StoredHold& h : stored.holds()) {
    if (!Decodable(h)) return absl::DataLossError("undecodable hold");
    out.push_back(FromStored(h));
  }
  return out;
}

absl::StatusOr<engine::AuditEntry> DecodeAudit(const std::string& bytes) {
  records::v1::StoredAuditEntry s;
  if (!s.ParseFromString(bytes)) return absl::DataLossError("undecodable audit entry");
  engine::AuditEntry e;
  e.sequence = s.sequence();
  e.time_ms = s.time_ms();
  e.actor = s.actor();
  e.operation = s.operation();
  e.request_id = s.request_id();
  e.channel = s.channel();
  e.hold_id = s.hold_id();
  e.reason = s.reason();
  for (const StoredStockRow& row : s.before()) e.before.push_back(FromStored(row));
  for (const StoredStockRow& row : s.after()) e.after.push_back(FromStored(row));
  e.observed_at_ms = s.observed_at_ms();
  return e;
}

namespace {

engine::IdempotencyRecord FromStored(const records::v1::StoredOutcome& s,
                                     const std::string& request_id) {
  engine::IdempotencyRecord r;
  r.request_id = request_id;
  r.fingerprint = s.fingerprint();
  if (s.has_hold()) r.outcome.hold = FromStored(s.hold());
  for (const StoredStockRow& row : s.before()) r.outcome.before.push_back(FromStored(row));
  for (const StoredStockRow& row : s.after()) r.outcome.after.push_back(FromStored(row));
  r.outcome.breach = s.breach();
  r.outcome.breach_units = s.breach_units();
  r.expires_ms = s.expires_ms();
  return r;
}

}  // namespace

std::string EncodeIdempotency(const engine::IdempotencyRecord& record) {
  std::string bytes;
  wire::AppendStoredOutcome(record, &bytes);
  return bytes;
}

absl::StatusOr<engine::IdempotencyRecord> DecodeIdempotency(const std::string& request_id,
                                                            const std::string& bytes) {
  records::v1::StoredOutcome s;
  if (!s.ParseFromString(bytes)) return absl::DataLossError("undecodable idempotency record");
  return FromStored(s, request_id);
}

void AppendIdempotency(const engine::IdempotencyRecord& record, std::string* outcomes) {
  wire::AppendStoredOutcomesEntry(record, outcomes);
}

absl::StatusOr<std::vector<engine::IdempotencyRecord>> DecodeIdempotencyBatch(
    const std::string& bytes) {
  records::v1::StoredOutcomes batch;
  if (!batch.ParseFromString(bytes)) {
    return absl::DataLossError("undecodable idempotency records");
  }
  std::vector<engine::IdempotencyRecord> out;
  out.reserve(batch.outcomes_size());
  for (const records::v1::StoredOutcome& s : batch.outcomes()) {
    if (s.request_id().empty()) return absl::DataLossError("idempotency record without request id");
    out.push_back(FromStored(s, s.request_id()));
  }
  return out;
}

std::string EncodeAudit(const engine::AuditEntry& entry) {
  std::string bytes;
  wire::AppendAudit(entry, &bytes);
  return bytes;
}

namespace {

// One command under construction: "HSET <key>" followed by field/value pairs; for a
// bucket key, the bucket (its PEXPIREAT time follows from it).
struct HashWrite {
  Args args;
  int64_t bucket = 0;
  void Add(std::string field, std::string value) {
    args.push_back(std::move(field));
    args.push_back(std::move(value));
  }
};

HashWrite& BucketWrite(std::map<std::string, HashWrite>& by_key, const std::string& key,
                       int64_t bucket) {
  HashWrite& w = by_key[key];
  if (w.args.empty()) {
    w.args = {"HSET", key};
    w.bucket = bucket;
  }
  return w;
}

}  // namespace

bool AppendBatchCommands(const KeyLayout& keys, const WriteOptions& options,
                         const std::vector<const engine::MutationRecord*>& records,
                         std::vector<Args>* out) {
  // Last value wins: rows and holds are absolute, so only the newest of a batch is written.
  // Keys are views of the records' own strings: no copy until a field is written.
  absl::flat_hash_map<std::pair<absl::string_view, absl::string_view>, const engine::RowView*> rows;
  absl::flat_hash_map<absl::string_view, const engine::HoldView*> holds;
  for (const engine::MutationRecord* record : records) {
    for (const engine::RowView& row : record->rows()) rows[{row.sku, row.location}] = &row;
    for (const engine::HoldView& hold : record->holds) holds[hold.hold_id] = &hold;
  }
  if (!rows.empty()) {
    HashWrite stock{{"HSET", keys.Stock()}};
    stock.args.reserve(2 + 2 * rows.size());
    for (const auto& [key, row] : rows) {
      stock.Add(KeyLayout::RowField(row->sku, row->location), EncodeCounters(row->counters));
    }
    out->push_back(std::move(stock.args));
  }

  // Open holds live in one hash; a resolved hold moves to the bucket of the minute its
  // retention ends (HDEL from the open hash first: it may have been open before). The
  // batch's resolved holds of one bucket are one field (read back only whole, at start).
  // Fields are named by the batch's last sequence: unique across batches.
  const std::string batch_field = absl::StrCat(records.empty() ? 0 : records.back()->sequence);
  std::map<std::string, HashWrite> buckets;  // ordered: deterministic command order
  HashWrite open{{"HSET", keys.OpenHolds()}};
  Args resolved_ids = {"HDEL", keys.OpenHolds()};
  std::map<int64_t, std::string> resolved;  // bucket -> StoredHolds
  for (const auto& [id, hold] : holds) {
    if (engine::IsOpen(hold->state)) {
      open.Add(hold->hold_id, EncodeHold(*hold));
    } else {
      resolved_ids.push_back(hold->hold_id);
      AppendResolvedHold(
          *hold, &resolved[KeyLayout::Bucket(hold->updated_ms + options.hold_retention_ms)]);
    }
  }
  for (auto& [bucket, value] : resolved) {
    BucketWrite(buckets, keys.Resolved(bucket), bucket).Add(batch_field, std::move(value));
  }
  if (open.args.size() > 2) out->push_back(std::move(open.args));
  if (resolved_ids.size() > 2) out->push_back(std::move(resolved_ids));

  // Idempotency records: one field per bucket for the whole batch, like resolved holds.
  std::map<int64_t, std::string> outcomes;  // bucket -> StoredOutcomes
  for (const engine::MutationRecord* record : records) {
    if (!record->idempotency) continue;
    const engine::IdempotencyRecord& idem = *record->idempotency;
    AppendIdempotency(idem, &outcomes[KeyLayout::Bucket(idem.expires_ms)]);
  }
  for (auto& [bucket, value] : outcomes) {
    BucketWrite(buckets, keys.Requests(bucket), bucket).Add(batch_field, std::move(value));
  }

  // Orders: open ones in one hash; a closed one moves to the bucket of the minute its
  // retention ends, like a resolved hold. The last revision of the batch wins.
  absl::flat_hash_map<std::pair<absl::string_view, absl::string_view>, const engine::OrderView*>
      orders;
  for (const engine::MutationRecord* record : records) {
    if (record->order) {
      orders[{record->order->order.channel, record->order->order.order_id}] = &record->order->order;
    }
  }
  HashWrite open_orders{{"HSET", keys.OpenOrders()}};
  Args closed_ids = {"HDEL", keys.OpenOrders()};
  std::map<int64_t, std::string> closed;  // bucket -> StoredOrders
  for (const auto& [key, order] : orders) {
    std::string field = absl::StrCat(order->channel, " ", order->order_id);
    if (!order->closed) {
      open_orders.Add(std::move(field), EncodeOrder(*order));
    } else {
      closed_ids.push_back(std::move(field));
      AppendClosedOrder(*order,
                        &closed[KeyLayout::Bucket(order->updated_ms + options.order_retention_ms)]);
    }
  }
  if (open_orders.args.size() > 2) out->push_back(std::move(open_orders.args));
  if (closed_ids.size() > 2) out->push_back(std::move(closed_ids));
  for (auto& [bucket, value] : closed) {
    BucketWrite(buckets, keys.ClosedOrders(bucket), bucket).Add(batch_field, std::move(value));
  }
  // The batch's on_hand movements: one field, in the bucket of the minute the newest
  // leaves the history (the older ones stay up to that long more; the engine drops them).
  if (options.count_history_ms > 0) {
    std::string movements;
    int64_t latest = 0;
    for (const engine::MutationRecord* record : records) {
      latest = std::max(latest, AppendMovements(*record->audit, &movements));
    }
    if (!movements.empty()) {
      const int64_t bucket = KeyLayout::Bucket(latest + options.count_history_ms);
      BucketWrite(buckets, keys.Movements(bucket), bucket).Add(batch_field, std::move(movements));
    }
  }
  for (auto& [key, write] : buckets) {
    out->push_back(std::move(write.args));
    out->push_back({"PEXPIREAT", key, absl::StrCat(KeyLayout::BucketEndMs(write.bucket))});
  }

  // Stock alerts (docs/alerts.md): each changed SKU's whole alert state (the batch's last
  // wins), and the alerts raised, one entry for the batch.
  absl::flat_hash_map<absl::string_view, const engine::AlertStateView*> alert_states;
  std::string alerts;
  for (const engine::MutationRecord* record : records) {
    for (const engine::AlertStateView& v : record->alert_states) alert_states[v.sku] = &v;
    AppendAlerts(record->alerts, &alerts);
  }
  if (!alert_states.empty()) {
    HashWrite state{{"HSET", keys.AlertState()}};
    for (const auto& [sku, v] : alert_states) state.Add(v->sku, EncodeAlertState(*v));
    out->push_back(std::move(state.args));
  }
  if (!alerts.empty()) {
    out->push_back({"XADD", keys.Alerts(), "MAXLEN", "~", absl::StrCat(kAlertStreamEntries), "*",
                    "a", std::move(alerts)});
  }

  if (options.audit_max_len <= 0 || records.empty()) return false;
  Args xadd;
  xadd.reserve(3 + 2 * records.size());
  xadd.push_back("XADD");
  xadd.push_back(keys.Audit());
  xadd.push_back("*");
  for (const engine::MutationRecord* record : records) {
    xadd.push_back(absl::StrCat(record->sequence));
    xadd.push_back(EncodeAudit(*record->audit));
  }
  out->push_back(std::move(xadd));
  return true;
}

}  // namespace stockd::storage
