// The Redis key layout and the encoding of engine records into Redis commands and back.
// docs/storage.md describes the layout for operators. Every per-SKU key carries the SKU as
// a hash tag ({sku}) so all keys of one SKU share a Redis Cluster slot.
//
//   <p>:{<sku>}:stock      hash   location -> "on_hand held committed"
//   <p>:{<sku>}:acked      hash   channel -> last quantity the channel acknowledged
//   <p>:hold:{<hold_id>}   string stockd.v1.Hold (protobuf); resolved holds expire
//   <p>:idem:{<req_id>}    string stockd.storage.v1.StoredOutcome; expires (PXAT)
//   <p>:audit              stream field "e" = stockd.v1.AuditEntry, trimmed MAXLEN ~ N
//   <p>:meta               hash   schema, sequence (last durable mutation)
//
// Pure functions; thread-safe.
#ifndef STOCKD_DAEMON_STORAGE_RECORDS_H_
#define STOCKD_DAEMON_STORAGE_RECORDS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/engine/engine.h"
#include "daemon/engine/journal.h"
#include "daemon/storage/redis_client.h"

namespace stockd::storage {

inline constexpr int kSchemaVersion = 1;

class KeyLayout {
 public:
  explicit KeyLayout(std::string prefix = "stockd") : prefix_(std::move(prefix)) {}
  std::string Stock(const std::string& sku) const { return prefix_ + ":{" + sku + "}:stock"; }
  std::string Acked(const std::string& sku) const { return prefix_ + ":{" + sku + "}:acked"; }
  std::string Hold(const std::string& id) const { return prefix_ + ":hold:{" + id + "}"; }
  std::string Idempotency(const std::string& id) const { return prefix_ + ":idem:{" + id + "}"; }
  std::string Audit() const { return prefix_ + ":audit"; }
  std::string Meta() const { return prefix_ + ":meta"; }
  // SCAN patterns.
  std::string StockPattern() const { return prefix_ + ":{*}:stock"; }
  std::string HoldPattern() const { return prefix_ + ":hold:*"; }
  std::string IdempotencyPattern() const { return prefix_ + ":idem:*"; }
  // The SKU inside a stock key, or "" if `key` is not one.
  std::string SkuOfStockKey(const std::string& key) const;

 private:
  std::string prefix_;
};

struct WriteOptions {
  int64_t hold_retention_ms = 3600 * 1000;  // resolved holds expire this long after
  int64_t audit_max_len = 1'000'000;        // 0 = no audit stream
};

std::string EncodeCounters(const engine::Counters& c);
absl::StatusOr<engine::Counters> DecodeCounters(const std::string& text);
std::string EncodeHold(const engine::HoldView& hold);
absl::StatusOr<engine::HoldView> DecodeHold(const std::string& bytes);
std::string EncodeIdempotency(const engine::IdempotencyRecord& record);
absl::StatusOr<engine::IdempotencyRecord> DecodeIdempotency(const std::string& request_id,
                                                           const std::string& bytes);
std::string EncodeAudit(const engine::AuditEntry& entry);

// Appends the commands that persist `record` (absolute rows, holds, idempotency record,
// audit entry) to `out`. The caller wraps a batch in MULTI/EXEC.
void AppendRecordCommands(const KeyLayout& keys, const WriteOptions& options,
                          const engine::MutationRecord& record, std::vector<Args>* out);

// Loads the whole durable state with pipelined reads: SCAN in pages of `page` keys, each
// page's values fetched in one round trip. INTERNAL/FAILED_PRECONDITION on undecodable
// data (the message names the key); UNAVAILABLE on transport errors.
absl::StatusOr<engine::Snapshot> LoadSnapshot(RedisConnection& redis, const KeyLayout& keys,
                                              int page = 5000);

}  // namespace stockd::storage

#endif  // STOCKD_DAEMON_STORAGE_RECORDS_H_
