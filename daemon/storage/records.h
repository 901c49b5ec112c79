// The Redis key layout (schema 3) and the encoding of engine records into Redis commands
// and back (records.cc; reading the stored state back: records_load.cc). docs/storage.md
// describes the layout for operators.
//
// Every key carries the same Redis Cluster hash tag, {<p>} ("{stockd}" by default), so one
// daemon's keys share a slot and a group commit's MULTI/EXEC is valid on a cluster too.
//
//   {<p>}:stock            hash   "<sku> <location>" -> "on_hand held committed"
//   {<p>}:holds            hash   hold id -> stockd.records.v1.StoredHold, open holds
//   {<p>}:resolved:<bucket> hash  sequence of a group commit's last mutation ->
//                                 stockd.records.v1.StoredHolds: the holds that commit
//                                 resolved whose retention ends in that minute; the key
//                                 expires (PEXPIREAT) at its end
//   {<p>}:holds:<bucket>   hash   schema 2 (read, no longer written): hold id -> Hold
//   {<p>}:requests:<bucket> hash  sequence of a group commit's last mutation ->
//                                 stockd.records.v1.StoredOutcomes: that commit's
//                                 idempotency records whose TTL ends in that minute; the key
//                                 expires at its end
//   {<p>}:idem:<bucket>    hash   schema 2 (read, no longer written): request id ->
//                                 stockd.records.v1.StoredOutcome
//   {<p>}:moves:<bucket>   hash   sequence of a group commit's last mutation ->
//                                 stockd.records.v1.StoredMovements: the on_hand movements
//                                 it made (Counts observed in the past net them), when
//                                 engine.count_history > 0; the bucket is the minute the
//                                 newest of them leaves the history, and the key expires
//                                 at its end
//   {<p>}:audit            stream one entry per group commit: field = mutation sequence,
//                                 value = stockd.records.v1.StoredAuditEntry
//   {<p>}:alert-state      hash   sku -> stockd.records.v1.StoredAlertState: its rows'
//                                 sales velocity and raised alert keys (docs/alerts.md)
//   {<p>}:alerts           stream one entry per group commit that raised alerts: field
//                                 "a" = stockd.records.v1.StoredAlerts; about the last
//                                 kAlertStreamEntries entries are kept (XADD MAXLEN ~)
//   {<p>}:meta             hash   schema, sequence (last durable mutation),
//                                 history_since and history_window (since when the
//                                 moves:* buckets are complete, and the window they are
//                                 kept for: DurableStore::Load)
//   {<p>}:acked:<channel>  hash   sku -> last quantity the channel acknowledged (push)
//   {<p>}:orders:cursor    hash   channel -> order-poll cursor (daemon/orders/order_store.h)
//   {<p>}:orders:unmapped  hash   "<channel> <order id>" -> parked order revision (JSON)
//   {<p>}:orders           hash   "<channel> <order id>" -> stockd.records.v1.StoredOrder,
//                                 open orders (docs/orders.md)
//   {<p>}:closed-orders:<bucket> hash  sequence of a group commit's last mutation ->
//                                 stockd.records.v1.StoredOrders: the orders that commit
//                                 closed (or revised after closing) whose retention ends in
//                                 that minute; the key expires at its end
//
// Why few big hashes rather than a key per row: one group commit of N mutations becomes a
// handful of multi-field commands (one HSET per hash) instead of ~4 N commands, which is
// what Redis spends its time on (per-command dispatch, not bytes). Idempotency records
// and resolved holds are only read back whole (at start), so a commit's are one field,
// not one per request or hold: a hash insert each cost Redis more than their bytes. Identifiers never
// contain a space (engine::IsValidId), so "<sku> <location>" is unambiguous.
//
// Pure functions; thread-safe.
#ifndef STOCKD_DAEMON_STORAGE_RECORDS_H_
#define STOCKD_DAEMON_STORAGE_RECORDS_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/engine/engine.h"
#include "daemon/engine/journal.h"
#include "daemon/storage/redis_client.h"

namespace stockd::storage {

inline constexpr int kSchemaVersion = 3;
// Schema 2 differs only in idempotency records and resolved holds (one field per request
// id or hold: {<p>}:idem:*, {<p>}:holds:*): they are still read, so data of schema 2
// loads; the first group commit marks it 3.
inline constexpr int kOldestReadableSchema = 2;
// Resolved holds and idempotency records are grouped by the minute their retention ends;
// a bucket key expires at the end of its minute (so up to one minute late).
inline constexpr int64_t kExpiryBucketMs = 60'000;

class KeyLayout {
 public:
  explicit KeyLayout(std::string prefix = "stockd") : tag_("{" + prefix + "}:") {}
  std::string Stock() const { return tag_ + "stock"; }
  std::string OpenHolds() const { return tag_ + "holds"; }
  std::string Resolved(int64_t bucket) const;
  std::string Requests(int64_t bucket) const;
  std::string Acked(const std::string& channel) const { return tag_ + "acked:" + channel; }
  std::string OpenOrders() const { return tag_ + "orders"; }
  std::string ClosedOrders(int64_t bucket) const;
  std::string Movements(int64_t bucket) const;
  std::string Audit() const { return tag_ + "audit"; }
  std::string AlertState() const { return tag_ + "alert-state"; }
  std::string Alerts() const { return tag_ + "alerts"; }
  std::string Meta() const { return tag_ + "meta"; }
  // SCAN patterns of the per-bucket and per-channel keys.
  std::string ResolvedPattern() const { return tag_ + "resolved:*"; }
  std::string RequestsPattern() const { return tag_ + "requests:*"; }
  std::string ClosedOrdersPattern() const { return tag_ + "closed-orders:*"; }
  std::string MovementsPattern() const { return tag_ + "moves:*"; }
  // Schema 2's per-hold and per-request buckets: still read, no longer written.
  std::string ResolvedHoldsPattern() const { return tag_ + "holds:*"; }
  std::string IdempotencyPattern() const { return tag_ + "idem:*"; }
  std::string AckedPattern() const { return tag_ + "acked:*"; }
  // The channel of an Acked() key, or "" if `key` is not one.
  std::string ChannelOfAckedKey(const std::string& key) const;

  // The field of a row in Stock(), and back (false when `field` is not one).
  static std::string RowField(const std::string& sku, const std::string& location);
  static bool SplitRowField(const std::string& field, std::string* sku, std::string* location);
  // The bucket of an expiry time, and the time its key expires.
  static int64_t Bucket(int64_t expires_ms) { return expires_ms / kExpiryBucketMs; }
  static int64_t BucketEndMs(int64_t bucket) { return (bucket + 1) * kExpiryBucketMs; }

 private:
  std::string tag_;  // "{<prefix>}:": every key carries the same hash tag
};

struct WriteOptions {
  int64_t hold_retention_ms = 3600 * 1000;  // resolved holds expire this long after
  int64_t order_retention_ms = 30LL * 24 * 3600 * 1000;  // and closed orders
  int64_t audit_max_len = 1'000'000;        // 0 = no audit stream
  int64_t audit_max_age_ms = 0;              // entries older are trimmed (0 = no age bound)
  // engine.count_history: on_hand movements are kept this long (0 = not written).
  int64_t count_history_ms = 7LL * 24 * 3600 * 1000;
};

std::string EncodeCounters(const engine::Counters& c);
absl::StatusOr<engine::Counters> DecodeCounters(const std::string& text);
std::string EncodeHold(const engine::HoldView& hold);
absl::StatusOr<engine::HoldView> DecodeHold(const std::string& bytes);
// Appends `hold` to a StoredHolds value; decodes one (every hold checked as DecodeHold).
void AppendResolvedHold(const engine::HoldView& hold, std::string* holds);
absl::StatusOr<std::vector<engine::HoldView>> DecodeResolvedHolds(const std::string& bytes);
std::string EncodeIdempotency(const engine::IdempotencyRecord& record);
// Schema 2: one record, its request id the hash field.
absl::StatusOr<engine::IdempotencyRecord> DecodeIdempotency(const std::string& request_id,
                                                           const std::string& bytes);
// Appends `record` to a StoredOutcomes value (its wire form: one `outcomes` entry).
void AppendIdempotency(const engine::IdempotencyRecord& record, std::string* outcomes);
// A StoredOutcomes value; every record must name its request id.
absl::StatusOr<std::vector<engine::IdempotencyRecord>> DecodeIdempotencyBatch(
    const std::string& bytes);
std::string EncodeAudit(const engine::AuditEntry& entry);
// One mutation's entry of the audit stream (a StoredAuditEntry); DATA_LOSS if undecodable.
absl::StatusOr<engine::AuditEntry> DecodeAudit(const std::string& bytes);
std::string EncodeOrder(const engine::OrderView& order);
absl::StatusOr<engine::OrderView> DecodeOrder(const std::string& bytes);
// Appends `order` to a StoredOrders value; decodes one (every order checked as DecodeOrder).
void AppendClosedOrder(const engine::OrderView& order, std::string* orders);
absl::StatusOr<std::vector<engine::OrderView>> DecodeClosedOrders(const std::string& bytes);

// Appends the on_hand movements `entry` implies (engine::ForEachMovement) to a
// StoredMovements value; returns the latest movement's time (0 when none).
int64_t AppendMovements(const engine::AuditEntry& entry, std::string* movements);
// A StoredMovements value, in apply order; every movement must name its SKU and location.
absl::StatusOr<std::vector<engine::MovementRecord>> DecodeMovements(const std::string& bytes);

// Stock alerts (docs/alerts.md): a SKU's alert state (a StoredAlertState), and the alerts
// of a group commit (a StoredAlerts value; AppendAlerts adds to one).
std::string EncodeAlertState(const engine::AlertStateView& state);
absl::StatusOr<engine::AlertStateView> DecodeAlertState(const std::string& sku,
                                                       const std::string& bytes);
void AppendAlerts(const std::vector<engine::AlertEvent>& alerts, std::string* value);
absl::StatusOr<std::vector<engine::AlertEvent>> DecodeAlerts(const std::string& bytes);
// The alerts stream keeps about this many entries (group commits): XADD MAXLEN ~.
inline constexpr int64_t kAlertStreamEntries = 1000;

// Appends the commands that persist a group commit of `records` (in apply order) to `out`:
// the last value of every row and hold wins (values are absolute), one HSET per hash, one
// XADD carrying every audit entry (when options.audit_max_len > 0; returns true then: its
// reply is the stream entry's id). The on_hand movements of the batch are one field of
// the movement bucket (when options.count_history_ms > 0). The caller wraps them in
// MULTI/EXEC.
bool AppendBatchCommands(const KeyLayout& keys, const WriteOptions& options,
                         const std::vector<const engine::MutationRecord*>& records,
                         std::vector<Args>* out);

// Every key matching the SCAN `pattern`, sorted, without duplicates.
absl::StatusOr<std::vector<std::string>> ScanKeys(RedisConnection& redis,
                                                  const std::string& pattern, int page = 5000);
// HSCANs the hash `key` in pages of `page` fields, calling `fn(field, value)` for every
// field (a field may come twice when the hash is rehashed meanwhile: callers keep the
// last). UNAVAILABLE on transport errors, DATA_LOSS when `key` is not a hash.
absl::Status ScanHash(RedisConnection& redis, const std::string& key, int page,
                      const std::function<absl::Status(std::string&, std::string&)>& fn);

// Loads the whole durable state: HSCAN of every hash in pages of `page` fields. Records
// past their expiry (a bucket outlives them by up to a minute) are returned as they are:
// the engine drops them by its own clock. DATA_LOSS on undecodable data (the message names the key and
// field); UNAVAILABLE on transport errors.
//
// `timings`, when given, receives where the time went: each part's reading from Redis
// and decoding (the start's log line, docs/operations.md).
struct LoadTimings {
  int64_t rows_ms = 0;
  int64_t holds_ms = 0;     // the open hash and the resolved buckets
  int64_t requests_ms = 0;  // the idempotency records
  int64_t orders_ms = 0;
  int64_t history_ms = 0;  // the count movements and the alerts
};
absl::StatusOr<engine::Snapshot> LoadSnapshot(RedisConnection& redis, const KeyLayout& keys,
                                              int page = 5000, LoadTimings* timings = nullptr);

}  // namespace stockd::storage

#endif  // STOCKD_DAEMON_STORAGE_RECORDS_H_
