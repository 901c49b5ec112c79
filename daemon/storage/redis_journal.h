// The engine's Journal on Redis, with group commit: one writer thread owns one hiredis
// connection; every record appended while a batch is in flight joins the next batch, and
// a whole batch (up to max_batch records with their idempotency records and audit
// entries) is one MULTI/EXEC round trip of a few multi-field commands (records.h).
// `done` callbacks run on the writer thread only after EXEC has returned, in append
// order: a batch's callbacks run once the next batch has been sent, so answering the
// calls overlaps with Redis executing and fsyncing the next batch.
//
// Failure: a batch whose round trip fails (connection lost, timeout, EXEC error) fails
// with UNAVAILABLE, and so does everything appended after it, until the owner re-syncs.
// The batch may or may not have reached Redis. The journal keeps every failed record
// (the engine applied them in memory) and the sequence Redis's `meta` held after the
// last confirmed batch, so the owner can usually re-sync without a reload (CatchUp, then
// Rearm with the engine locked): fence the connection that sent the failed batch, read
// the stored sequence, and either find the failed batch there, or re-send what is
// missing. Anything it cannot explain asks for a full reload (Load, Engine::Restore,
// then MarkHealthy with the engine locked). docs/storage.md "Re-sync" has the protocol.
//
// Thread safety: Append and the accessors are thread-safe; Start/Stop from the owner;
// Reconnect, CatchUp, Rearm and MarkHealthy from the owner's recovery thread only (one
// at a time, while the journal is broken).
#ifndef STOCKD_DAEMON_STORAGE_REDIS_JOURNAL_H_
#define STOCKD_DAEMON_STORAGE_REDIS_JOURNAL_H_

#include <deque>
#include <functional>
#include <memory>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "daemon/engine/journal.h"
#include "daemon/storage/batch_writer.h"
#include "daemon/storage/records.h"
#include "daemon/storage/redis_client.h"

namespace stockd::storage {

struct JournalOptions {
  std::string address;          // "host:port" or "unix:/path"
  int64_t timeout_ms = 2000;    // connect and round-trip timeout
  RedisSecurity security;       // AUTH and TLS (external Redis)
  int max_batch = 4096;         // records per MULTI/EXEC
  KeyLayout keys;               // where meta.sequence is (CatchUp), and the stored layout's keys
  WriteOptions write;           // the stored layout's options (StoredBatchWriter)
  // `meta.sequence` as loaded at start (0: none): what Redis holds before the first batch.
  uint64_t stored_sequence = 0;
  // Called on the writer thread after each batch EXEC confirmed, with its record count and
  // the time from sending MULTI to reading EXEC's replies (metrics; must be quick).
  std::function<void(size_t records, int64_t commit_ns)> on_commit;
};

// What CatchUp found after an outage.
struct CatchUpResult {
  bool reload = false;  // Redis may differ from memory: only a full reload re-syncs
  std::string why;      // with reload: what could not be explained (for the log)
  int64_t landed = 0;   // failed records that had reached Redis after all
  int64_t resent = 0;   // failed records written again
};

struct JournalStats {
  int64_t batches = 0;
  int64_t records = 0;
  int64_t failed_records = 0;
  int64_t max_batch_seen = 0;
  int64_t resent_records = 0;  // written again by CatchUp after an outage
};

class RedisJournal final : public engine::Journal {
 public:
  // `on_failure` is called on the writer thread when a healthy journal breaks (once per
  // outage); it must not block. Writes the stored layout (StoredBatchWriter with
  // options.keys and options.write).
  RedisJournal(JournalOptions options, std::function<void(const absl::Status&)> on_failure);
  // The same journal writing what `batch_writer` makes of each batch (batch_writer.h).
  RedisJournal(JournalOptions options, std::unique_ptr<BatchWriter> batch_writer,
               std::function<void(const absl::Status&)> on_failure);
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
  // Recovery thread, while broken, after Drain and Reconnect: makes Redis hold every
  // record the engine applied, without a reload when it can. Fences each connection whose
  // batch failed in flight (CLIENT KILL ID, so that batch can no longer land later), reads
  // `meta.sequence` and compares it with what this writer knows:
  //   - the failed batches' records all there, or the stored sequence is the last
  //     confirmed batch's (the failed ones did not land): the missing records are written
  //     again, in order, on this thread's own connection;
  //   - anything else (Redis restarted: another run_id; a FLUSHALL; an unknown sequence;
  //     a batch whose EXEC failed half way; a Redis without CLIENT ID): `reload`.
  // UNAVAILABLE (or the connect error) when Redis failed again: call again later.
  absl::StatusOr<CatchUpResult> CatchUp();
  // With the engine locked (Engine::AdoptDurable's while_locked), after a CatchUp without
  // `reload`: if no record failed since, moves the failed records (now all durable) to
  // `durable`, re-arms the journal and returns true. False when a late record failed in
  // the meantime: Drain and CatchUp again.
  bool Rearm(std::vector<std::shared_ptr<const engine::MutationRecord>>* durable);
  // Re-arms a broken journal after a full reload whose snapshot had `stored_sequence`;
  // forgets the failed records. Call with the engine locked (from Engine::Restore's
  // while_locked).
  void MarkHealthy(uint64_t stored_sequence);
  bool healthy() const;
  // Blocks until nothing appended before the call is still queued or in flight.
  void Drain();

  JournalStats stats() const;

  // How long the journal has had writes pending (queued, in flight, or durable but not
  // yet answered) without finishing a batch, in ms at util::MonotonicMs() `now_ms`; 0
  // when nothing is pending. A batch that fails (Redis down, re-syncing: records fail
  // fast) finishes too: only a writer stuck on one batch (a Redis that stopped answering
  // within the round-trip timeout, or a hang in the writer) makes this grow. The systemd
  // watchdog's journal check (docs/operations.md, "The watchdog").
  int64_t StalledMs(int64_t now_ms) const;

 private:
  struct Item {
    std::shared_ptr<const engine::MutationRecord> record;
    std::function<void(absl::Status)> done;
    bool doomed = false;  // appended while broken: fails without being written
    uint64_t epoch = 0;   // epoch_ at Append: of a state a full reload has since replaced?
  };

  // Which server and which client a connection is (CLIENT ID, INFO server's run_id);
  // empty when Redis would not say.
  struct Identity {
    std::string run_id;
    int64_t client_id = 0;
  };
  static absl::StatusOr<Identity> Identify(RedisConnection& redis);

  using Records = std::vector<std::shared_ptr<const engine::MutationRecord>>;
  void WriterLoop();
  // Conditions of Drain and WriterLoop (absl::Condition calls them with mu_ held).
  bool Drained() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return queue_.empty() && in_flight_ == 0;
  }
  bool WriterHasWork() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !queue_.empty() || stopping_ || pending_connection_ != nullptr;
  }
  // One batch's MULTI ... EXEC.
  std::vector<Args> Prepare(const std::vector<const engine::MutationRecord*>& records)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(batch_mu_);
  // Reads the replies of a batch of `commands` sent on `redis`; OK only when EXEC ran every
  // command. Sets `*partial` when EXEC ran but a command in it failed (Redis does not roll
  // back).
  absl::Status Confirm(RedisConnection& redis, const std::vector<Args>& commands, size_t records,
                       bool* partial) ABSL_EXCLUSIVE_LOCKS_REQUIRED(batch_mu_);
  // Records a failed batch (called by the writer under mu_).
  void KeepFailed(const std::vector<Item>& batch, bool sent) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const JournalOptions options_;
  const std::function<void(const absl::Status&)> on_failure_;
  const bool stores_sequence_;  // batch_writer_->StoresSequence()

  mutable absl::Mutex mu_;
  std::deque<Item> queue_ ABSL_GUARDED_BY(mu_);
  bool healthy_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int64_t in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  JournalStats stats_ ABSL_GUARDED_BY(mu_);
  // StalledMs: when the current run of pending writes began (an Append to an idle
  // journal) and when the writer last finished a batch (util::MonotonicMs).
  int64_t pending_since_ms_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t last_batch_done_ms_ ABSL_GUARDED_BY(mu_) = 0;
  std::unique_ptr<RedisConnection> pending_connection_ ABSL_GUARDED_BY(mu_);
  Identity pending_identity_ ABSL_GUARDED_BY(mu_);

  // ---- Re-sync bookkeeping (written by the writer on failure, read by CatchUp).
  Identity writer_identity_ ABSL_GUARDED_BY(mu_);  // of redis_
  // meta.sequence after the last batch known durable (confirmed, or loaded at start).
  uint64_t durable_sequence_ ABSL_GUARDED_BY(mu_) = 0;
  // Records applied by the engine whose batch failed (sent or doomed), in append order.
  Records failed_ ABSL_GUARDED_BY(mu_);
  // For each failed batch that was sent: how many of failed_ end with it, and the
  // sequence it wrote to meta. Redis holding one of these means that prefix landed.
  std::vector<std::pair<size_t, uint64_t>> failed_sent_ ABSL_GUARDED_BY(mu_);
  // Connections that had a batch in flight when they failed: fenced by CatchUp.
  std::vector<Identity> unfenced_ ABSL_GUARDED_BY(mu_);
  bool partial_exec_ ABSL_GUARDED_BY(mu_) = false;  // an EXEC failed half way: reload
  // Bumped by MarkHealthy: records appended before a full reload describe a state that
  // is gone; when they fail (doomed stragglers) they are not kept for re-sending.
  uint64_t epoch_ ABSL_GUARDED_BY(mu_) = 0;
  // Failed records found or made durable by CatchUp, handed to the engine by Rearm.
  Records caught_up_ ABSL_GUARDED_BY(mu_);

  std::unique_ptr<RedisConnection> redis_;  // writer thread only (and Start before it)
  // Prepare/Confirm: the writer's, or CatchUp's while the journal is broken.
  absl::Mutex batch_mu_;  // never held together with mu_
  const std::unique_ptr<BatchWriter> batch_writer_ ABSL_PT_GUARDED_BY(batch_mu_);
  std::thread writer_;
};

}  // namespace stockd::storage

#endif  // STOCKD_DAEMON_STORAGE_REDIS_JOURNAL_H_
