// The durability owner: starts the embedded redis-server when no address is configured,
// connects, warns when Redis has no persistence, loads the durable state at start, runs
// the group-committing RedisJournal, and re-syncs the engine after an outage.
//
// Outage protocol (docs/design.md "Durability", docs/storage.md "Re-sync"): when a write
// batch fails, the journal fails it and everything behind it with UNAVAILABLE; the store
// closes the engine's write gate (mutations fail fast, queries keep serving from memory)
// and reports the write path as not serving. A recovery thread reconnects and asks the
// journal to catch Redis up (RedisJournal::CatchUp: the failed batch landed, or is
// written again); then the engine adopts those records (Engine::AdoptDurable) and the
// journal is re-armed with the engine locked: no reload. Only when Redis may differ in a
// way the journal cannot explain (restarted, flushed, unknown sequence) does it reload the
// whole state, Engine::Restore() it, and re-arm. Then it re-opens the gate.
//
// Files: durable_store.cc (Open, Attach, the re-sync, Stop), durable_store_load.cc (Load:
// reading the whole state, at start and for a re-sync's reload).
//
// Thread safety: Open/Attach/Stop from the owner thread; the rest is internal.
#ifndef STOCKD_DAEMON_STORAGE_DURABLE_STORE_H_
#define STOCKD_DAEMON_STORAGE_DURABLE_STORE_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "daemon/engine/engine.h"
#include "daemon/storage/embedded_redis.h"
#include "daemon/storage/redis_journal.h"
#include "daemon/util/log.h"

namespace stockd::storage {

struct DurableStoreOptions {
  std::string address;              // "" = embedded redis-server under data_dir
  std::string data_dir;             // embedded only
  std::string appendfsync = "always";  // embedded only: always | everysec | no
  int64_t timeout_ms = 2000;        // connect and round-trip timeout
  RedisSecurity security;           // external only: AUTH and TLS (empty when embedded)
  int max_batch = 4096;             // records per MULTI/EXEC
  WriteOptions write;
  std::string key_prefix = "stockd";
  // Receives the store's (and the embedded redis-server supervisor's) log lines.
  log::Sink log;
  // The write path became (un)available.
  std::function<void(bool writable)> on_write_state;
  // The engine was reloaded from Redis after an outage, before writes reopened. The
  // batch that failed may have landed after all, so published quantities may have
  // changed without a change event: listeners re-derive what they show. Not called
  // after a re-sync without reload (the engine announced the adopted records' changes).
  std::function<void()> on_resynced;
  // Each group commit that landed (JournalOptions::on_commit): metrics.
  std::function<void(size_t records, int64_t commit_ns)> on_commit;
  // The re-sync's wait between attempts, doubling from the first to the cap; an embedded
  // redis-server answering after its restart cuts it short. Tests lengthen it. Open
  // refuses (INVALID_ARGUMENT) a first wait <= 0 or a cap below it.
  int64_t resync_backoff_initial_ms = 50;
  int64_t resync_backoff_max_ms = 500;
};

struct ResyncStats {
  int recoveries = 0;                 // outages re-synced
  int recoveries_without_reload = 0;  // of which without Load + Restore
  // Of which an attempt was made at once when the embedded redis-server answered after
  // its restart (its supervisor's on_restarted), not at the next backoff step.
  int woken_by_restart = 0;
  int64_t landed_records = 0;         // failed records found in Redis after all
  int64_t resent_records = 0;         // failed records written again
  int64_t last_resync_ms = 0;         // first reconnect attempt to writes reopened
};

struct LoadStats {
  int64_t rows = 0;
  int64_t holds = 0;
  int64_t idempotency = 0;
  int64_t load_ms = 0;     // reading the state from Redis, all of it
  LoadTimings phases;      // ... and by part
  int64_t restore_ms = 0;  // Attach: the engine built from it
  // "rows 1 ms, holds 20 ms, request ids 40 ms, orders 0 ms, history 2 ms; restored in
  // 30 ms": where a start's time went.
  std::string Describe() const;
};

class DurableStore {
 public:
  // Starts Redis if embedded, connects, loads the snapshot.
  static absl::StatusOr<std::unique_ptr<DurableStore>> Open(DurableStoreOptions options);
  ~DurableStore();  // Stop()

  // The journal to hand to the engine (EngineOptions::journal).
  engine::Journal* journal();
  // Restores the loaded snapshot into `engine` (not owned; must outlive the store) and
  // starts outage supervision. Call once, before serving.
  absl::Status Attach(engine::Engine* engine);
  // Flushes what the journal accepted, stops recovery and the journal, then the
  // embedded Redis. Idempotent. Call after the server stopped taking calls.
  void Stop();

  // The start's load and restore (complete once Attach has returned).
  const LoadStats& load_stats() const { return load_stats_; }
  std::string address() const { return options_.address; }
  int recoveries() const;
  // False from a failed write until the re-sync reopened writes.
  bool writable() const;
  ResyncStats resync_stats() const;
  JournalStats journal_stats() const { return journal_->stats(); }
  // RedisJournal::StalledMs now: how long writes have been pending without a batch
  // finishing (0 when none are pending). The systemd watchdog's journal check.
  int64_t journal_stalled_ms() const;

 private:
  explicit DurableStore(DurableStoreOptions options);
  // Reads the whole state; `stats` receives its counts and timings (the start's are
  // load_stats_, written only before Attach returns; a re-sync's are its own).
  absl::StatusOr<engine::Snapshot> Load(LoadStats* stats);
  // Since when the stored movement history is complete (Snapshot::history_since_ms); a
  // new history starts now when there is none or it was kept for a shorter window.
  // Records the answer in `meta`.
  absl::StatusOr<int64_t> HistorySince(RedisConnection& redis);
  void OnJournalFailure(const absl::Status& status);
  void RecoveryLoop();
  // Conditions of RecoveryLoop (absl::Condition calls them with mu_ held).
  bool BrokenOrStopping() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return broken_ || stopping_; }
  bool StoppingOrNudged() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stopping_ || nudged_;
  }
  // The embedded redis-server answers again after a restart: the re-sync's next attempt
  // need not wait for its backoff.
  void Nudge() ABSL_LOCKS_EXCLUDED(mu_);
  void Log(log::Level level, const std::string& msg) const;

  DurableStoreOptions options_;
  KeyLayout keys_;
  std::unique_ptr<EmbeddedRedis> embedded_;
  std::unique_ptr<RedisJournal> journal_;
  engine::Engine* engine_ = nullptr;
  engine::Snapshot initial_;
  LoadStats load_stats_;

  mutable absl::Mutex mu_;
  bool broken_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool nudged_ ABSL_GUARDED_BY(mu_) = false;
  ResyncStats resync_ ABSL_GUARDED_BY(mu_);
  std::thread recovery_;
};

}  // namespace stockd::storage

#endif  // STOCKD_DAEMON_STORAGE_DURABLE_STORE_H_
