// The engine's Journal on Redis, with group commit: one writer thread owns one hiredis
// connection; every record appended while a batch is in flight joins the next batch, and
// a whole batch (up to max_batch records with their idempotency records and audit
// entries) is one MULTI/EXEC round trip of a few multi-field commands (records.h).
// `done` callbacks run on the writer thread only after EXEC has returned, in append
// order: a batch's callbacks run once the next batch has been sent, so answering the
// calls overlaps with Redis executing and fsyncing the next batch.
//
// Failure: a batch whose round trip fails (connection lost, timeout, EXEC error) fails
// with UNAVAILABLE, and so does everything appended after it, until the owner re-syncs
// and calls MarkHealthy (DurableStore does: reload from Redis, Engine::Restore, then
// MarkHealthy while the engine is locked). The batch may or may not have reached Redis:
// that is why the owner reloads before accepting writes again.
//
// Thread safety: Append and the accessors are thread-safe; Start/Stop from the owner.
#ifndef STOCKD_DAEMON_STORAGE_REDIS_JOURNAL_H_
#define STOCKD_DAEMON_STORAGE_REDIS_JOURNAL_H_

#include <deque>
#include <functional>
#include <memory>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "daemon/engine/journal.h"
#include "daemon/storage/records.h"
#include "daemon/storage/redis_client.h"

namespace stockd::storage {

struct JournalOptions {
  std::string address;          // "host:port" or "unix:/path"
  int64_t timeout_ms = 2000;    // connect and round-trip timeout
  RedisSecurity security;       // AUTH and TLS (external Redis)
  int max_batch = 4096;         // records per MULTI/EXEC
  KeyLayout keys;
  WriteOptions write;
  // What one group commit writes between MULTI and EXEC. Empty (the daemon): the stored
  // layout (AppendBatchCommands), the audit trim and the meta sequence. bench/ sets it to
  // measure the same journal with a minimal payload (scripts/bench "durable floor").
  std::function<void(const std::vector<const engine::MutationRecord*>&, std::vector<Args>*)>
      batch_body;
};

struct JournalStats {
  int64_t batches = 0;
  int64_t records = 0;
  int64_t failed_records = 0;
  int64_t max_batch_seen = 0;
};

class RedisJournal final : public engine::Journal {
 public:
  // `on_failure` is called on the writer thread when a healthy journal breaks (once per
  // outage); it must not block.
  RedisJournal(JournalOptions options, std::function<void(const absl::Status&)> on_failure);
  ~RedisJournal() override;  // Stop()

  // Connects and starts the writer. UNAVAILABLE if Redis cannot be reached.
  absl::Status Start();
  // Fails what is queued, stops the writer. Idempotent.
  void Stop();

  void Append(std::shared_ptr<const engine::MutationRecord> record,
              std::function<void(absl::Status)> done) override;

  // Replaces the writer's connection (after an outage). UNAVAILABLE if still down.
  // Called by the owner's recovery thread while the journal is broken.
  absl::Status Reconnect();
  // Re-arms a broken journal; records appended from now on are written. Call with the
  // engine locked (from Engine::Restore's while_locked) after re-syncing.
  void MarkHealthy();
  bool healthy() const;
  // Blocks until nothing appended before the call is still queued or in flight.
  void Drain();

  JournalStats stats() const;

 private:
  struct Item {
    std::shared_ptr<const engine::MutationRecord> record;
    std::function<void(absl::Status)> done;
    bool doomed = false;  // appended while broken: fails without being written
  };

  // One batch's MULTI ... EXEC, and where its audit XADD's reply will be.
  struct Prepared {
    std::vector<Args> commands;
    bool audited = false;
    size_t xadd_index = 0;  // in EXEC's reply
  };

  void WriterLoop();
  Prepared Prepare(const std::vector<Item>& batch);
  // Reads the replies of a sent batch; OK only when EXEC ran every command.
  absl::Status Confirm(const Prepared& prepared, size_t records);

  const JournalOptions options_;
  const std::function<void(const absl::Status&)> on_failure_;

  mutable absl::Mutex mu_;
  std::deque<Item> queue_ ABSL_GUARDED_BY(mu_);
  bool healthy_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int64_t in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  JournalStats stats_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<RedisConnection> pending_connection_ ABSL_GUARDED_BY(mu_);

  std::unique_ptr<RedisConnection> redis_;  // writer thread only (and Start before it)
  // Audit stream entries this writer added (id, mutations in it), oldest first: writer only.
  std::deque<std::pair<std::string, int64_t>> audit_entries_;
  int64_t audit_total_ = 0;
  std::thread writer_;
};

}  // namespace stockd::storage

#endif  // STOCKD_DAEMON_STORAGE_REDIS_JOURNAL_H_
