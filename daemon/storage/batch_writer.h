// What one group commit of the RedisJournal (redis_journal.h) writes between its MULTI
// and EXEC. The journal owns batching, the connection, failure and re-sync; a BatchWriter
// only turns a batch of records into commands.
//
// StoredBatchWriter is the daemon's: the stored layout (records.h: rows, holds,
// idempotency records, one audit XADD per batch), the audit stream's trim, and the batch's
// last sequence in `meta`. A benchmark may plug in another (bench/floor_server.cc writes
// one APPEND per batch) without the production journal carrying an option for it.
//
// Thread safety: a BatchWriter is thread-compatible. Its journal calls it from one thread
// at a time (under the journal's batch lock): Write, then — only if EXEC ran every
// command of that batch — Landed, before the next Write.
#ifndef STOCKD_DAEMON_STORAGE_BATCH_WRITER_H_
#define STOCKD_DAEMON_STORAGE_BATCH_WRITER_H_

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "daemon/engine/journal.h"
#include "daemon/storage/records.h"
#include "daemon/storage/redis_client.h"

namespace stockd::storage {

class BatchWriter {
 public:
  BatchWriter() = default;
  virtual ~BatchWriter() = default;
  BatchWriter(const BatchWriter&) = delete;
  BatchWriter& operator=(const BatchWriter&) = delete;

  // Appends the commands of one group commit of `records` (non-empty, in apply order) to
  // `out`; the journal wraps them in MULTI/EXEC.
  virtual void Write(const std::vector<const engine::MutationRecord*>& records,
                     std::vector<Args>* out) = 0;
  // After EXEC ran every command of the latest Write: `replies` are EXEC's replies to the
  // commands Write appended (in order), `records` the batch's size.
  virtual void Landed(const std::vector<Reply>& replies, size_t records) {}
  // True when every batch stores its last record's sequence as `meta.sequence`
  // (KeyLayout::Meta): only then can RedisJournal::CatchUp tell after an outage which
  // failed batches landed. False: every outage asks for a full reload.
  virtual bool StoresSequence() const = 0;
};

// The daemon's batches: the stored layout (AppendBatchCommands), then an XTRIM of the
// audit stream when due, then HSET meta sequence/schema.
class StoredBatchWriter final : public BatchWriter {
 public:
  StoredBatchWriter(KeyLayout keys, WriteOptions write);

  void Write(const std::vector<const engine::MutationRecord*>& records,
             std::vector<Args>* out) override;
  void Landed(const std::vector<Reply>& replies, size_t records) override;
  bool StoresSequence() const override { return true; }

 private:
  const KeyLayout keys_;
  const WriteOptions write_;
  // Audit stream entries this writer added (id, mutations in it), oldest first.
  std::deque<std::pair<std::string, int64_t>> audit_entries_;
  int64_t audit_total_ = 0;
  // The engine time of the latest trim by age (WriteOptions::audit_max_age_ms).
  static constexpr int64_t kAgeTrimEveryMs = 60'000;
  int64_t last_age_trim_ms_ = 0;
  // The latest Write's audit XADD: its index among that batch's replies.
  std::optional<size_t> pending_xadd_;
};

}  // namespace stockd::storage

#endif  // STOCKD_DAEMON_STORAGE_BATCH_WRITER_H_
