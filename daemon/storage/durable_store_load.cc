// DurableStore's reading of the whole state (durable_store.h): the checks of the Redis it
// finds (persistence, schema), the snapshot (records.h: LoadSnapshot), where the count
// history starts, and the counts and timings a start reports (LoadStats).
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "daemon/storage/durable_store.h"
#include "daemon/util/clock.h"

namespace stockd::storage {

std::string LoadStats::Describe() const {
  return absl::StrCat("rows ", phases.rows_ms, " ms, holds ", phases.holds_ms,
                      " ms, request ids ", phases.requests_ms, " ms, orders ", phases.orders_ms,
                      " ms, history ", phases.history_ms, " ms; restored in ", restore_ms, " ms");
}

absl::StatusOr<engine::Snapshot> DurableStore::Load(LoadStats* stats) {
  const int64_t start = util::MonotonicMs();
  absl::StatusOr<std::unique_ptr<RedisConnection>> conn =
      RedisConnection::Connect(options_.address, options_.timeout_ms, options_.security);
  if (!conn.ok()) return conn.status();
  RedisConnection& redis = **conn;

  // Persistence check: a Redis without AOF loses acknowledged writes on restart.
  absl::StatusOr<Reply> aof = redis.Command({"CONFIG", "GET", "appendonly"});
  if (!aof.ok()) return aof.status();
  if (aof->type == Reply::Type::kArray && aof->elements.size() == 2) {
    if (aof->elements[1].str != "yes") {
      Log(log::Level::kError,
          absl::StrCat("WARNING: redis at ", options_.address,
                       " has appendonly=no: acknowledged writes can be lost when Redis "
                       "restarts. Enable the append-only file (appendonly yes)."));
    }
  } else {
    Log(log::Level::kWarn,
        absl::StrCat("cannot verify persistence of redis at ", options_.address, ": ", aof->str));
  }
  absl::StatusOr<Reply> fsync = redis.Command({"CONFIG", "GET", "appendfsync"});
  if (!fsync.ok()) return fsync.status();
  if (fsync->type == Reply::Type::kArray && fsync->elements.size() == 2 &&
      fsync->elements[1].str != "always") {
    Log(log::Level::kWarn,
        absl::StrCat("redis at ", options_.address, " has appendfsync=", fsync->elements[1].str,
                     ": a crash of redis-server itself can lose recently acknowledged "
                     "writes (appendfsync always closes that window)"));
  }
  if (embedded_ == nullptr) {
    // Redis 7.0 with aof-load-truncated yes keeps a torn MULTI block after a crash and
    // later applies it in part, or loses the writes after it (aof_repair.h). The embedded
    // server's AOF is repaired by stockd before every start; an external one can't be.
    absl::StatusOr<Reply> truncated = redis.Command({"CONFIG", "GET", "aof-load-truncated"});
    if (!truncated.ok()) return truncated.status();
    if (truncated->type == Reply::Type::kArray && truncated->elements.size() == 2 &&
        truncated->elements[1].str == "yes") {
      Log(log::Level::kWarn,
          absl::StrCat("redis at ", options_.address,
                       " has aof-load-truncated=yes: after a crash in the middle of a "
                       "transaction, Redis 7.0 can apply part of a group commit or lose the "
                       "writes after it; set aof-load-truncated no and repair with "
                       "redis-check-aof --fix when it refuses to start (docs/storage.md)"));
    }
  }
  absl::StatusOr<Reply> schema = redis.Command({"HGET", keys_.Meta(), "schema"});
  if (!schema.ok()) return schema.status();
  int stored_schema = 0;
  if (schema->type == Reply::Type::kString &&
      (!absl::SimpleAtoi(schema->str, &stored_schema) || stored_schema < kOldestReadableSchema ||
       stored_schema > kSchemaVersion)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "redis at ", options_.address, " holds stockd schema ", schema->str,
        "; this stockd understands schema ", kOldestReadableSchema, " to ", kSchemaVersion));
  }
  if (schema->type == Reply::Type::kNil) {
    // No schema-2 or -3 data. Data of the first builds (schema 1: untagged "<prefix>:meta", a key
    // per SKU) must not be mistaken for an empty Redis.
    const std::string legacy_meta = options_.key_prefix + ":meta";
    absl::StatusOr<Reply> legacy = redis.Command({"HGET", legacy_meta, "schema"});
    if (!legacy.ok()) return legacy.status();
    if (legacy->type == Reply::Type::kString) {
      return absl::FailedPreconditionError(absl::StrCat(
          "redis at ", options_.address, " holds stockd schema ", legacy->str, " (key '",
          legacy_meta, "'); this stockd understands schema ", kOldestReadableSchema, " to ",
          kSchemaVersion,
          ": there is no in-place migration; start on an empty Redis and re-import stock "
          "with `stockctl import` (docs/storage.md)"));
    }
  }

  absl::StatusOr<engine::Snapshot> snap =
      LoadSnapshot(redis, keys_, /*page=*/5000, &stats->phases);
  if (!snap.ok()) return snap.status();
  absl::StatusOr<int64_t> since = HistorySince(redis);
  if (!since.ok()) return since.status();
  snap->history_since_ms = *since;
  stats->rows = static_cast<int64_t>(snap->rows.size());
  stats->holds = static_cast<int64_t>(snap->holds.size());
  stats->idempotency = static_cast<int64_t>(snap->idempotency.size());
  stats->load_ms = util::MonotonicMs() - start;
  return snap;
}

absl::StatusOr<int64_t> DurableStore::HistorySince(RedisConnection& redis) {
  // The moves:* buckets are complete since `history_since` for a window of
  // `history_window`: each expires that long after its newest movement. A longer window
  // than they were written for would read past what has already expired, so it starts
  // the history anew; so do data without a history (written before it was kept, or a
  // flushed Redis).
  const int64_t window = options_.write.count_history_ms;
  absl::StatusOr<Reply> meta =
      redis.Command({"HMGET", keys_.Meta(), "history_since", "history_window"});
  if (!meta.ok()) return meta.status();
  int64_t since = 0, stored_window = -1;
  if (meta->type == Reply::Type::kArray && meta->elements.size() == 2 &&
      meta->elements[0].type == Reply::Type::kString &&
      meta->elements[1].type == Reply::Type::kString &&
      (!absl::SimpleAtoi(meta->elements[0].str, &since) ||
       !absl::SimpleAtoi(meta->elements[1].str, &stored_window))) {
    return absl::DataLossError(absl::StrCat("redis key '", keys_.Meta(),
                                            "': bad history_since or history_window"));
  }
  if (since > 0 && stored_window >= window) {
    if (stored_window == window) return since;
  } else {
    since = util::WallMs();
    if (window > 0) {
      Log(log::Level::kInfo,
          absl::StrCat("count history (engine.count_history ", window / 1000,
                       " s) kept from now: ",
                       stored_window < 0 ? "none stored"
                                         : absl::StrCat("stored for ", stored_window / 1000,
                                                        " s only")));
    }
  }
  absl::StatusOr<Reply> set =
      redis.Command({"HSET", keys_.Meta(), "history_since", absl::StrCat(since),
                     "history_window", absl::StrCat(window)});
  if (!set.ok()) return set.status();
  if (set->type == Reply::Type::kError) {
    return absl::UnavailableError(absl::StrCat("HSET ", keys_.Meta(), ": ", set->str));
  }
  return since;
}

}  // namespace stockd::storage
