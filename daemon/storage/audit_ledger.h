// The audit ledger: ListAudit's reader of the durable audit stream ({stockd}:audit, written
// by every group commit: records.h AppendBatchCommands; format in docs/audit.md). Served
// after a restart, as far back as the stream's retention (redis.audit_entries,
// redis.audit_max_age) keeps.
//
// A query walks the stream newest first (XREVRANGE), decodes each mutation's entry and
// keeps those the filters match (engine::AuditQuery, the same test the in-memory ring
// uses). The stream has no index by SKU or channel: one page decodes at most
// `scan_budget` mutations, so a page of a rare filter can come back short, with a token
// to go on from where it stopped. Time bounds narrow the walk by stream id (the XADD's time
// in ms, with a slack for a clock that differs from the engine's).
//
// Thread-safe: every Query opens its own connection (an admin call, not a hot path).
// QueryAsync runs it on the ledger's own worker thread, so that a gRPC thread never waits
// on Redis (DESIGN.md); the worker starts at the first QueryAsync.
#ifndef STOCKD_DAEMON_STORAGE_AUDIT_LEDGER_H_
#define STOCKD_DAEMON_STORAGE_AUDIT_LEDGER_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "daemon/engine/audit_query.h"
#include "daemon/storage/records.h"
#include "daemon/storage/redis_client.h"

namespace stockd::storage {

struct AuditLedgerOptions {
  std::string address;
  int64_t timeout_ms = 2000;
  RedisSecurity security;
  KeyLayout keys;
};

struct AuditPage {
  std::vector<engine::AuditEntry> entries;  // newest first, at most the limit
  std::vector<std::string> token_after;     // per entry: the page token that goes on after it
  // Where the next page starts ("" = nothing older matches): after the last entry, or,
  // when the scan budget ran out first, after the last mutation decoded.
  std::string next_page_token;
  int64_t scanned = 0;  // mutations decoded for this page
  // The walk reached the ledger's oldest entry and older ones had been trimmed
  // (retention): entries the query asks for may be gone. With oldest_retained_ms, the
  // time of the oldest entry the ledger still holds (0: the ledger is empty).
  bool retention_reached = false;
  int64_t oldest_retained_ms = 0;
};

class AuditLedger {
 public:
  static constexpr int64_t kDefaultScanBudget = 100'000;
  // A stream id is Redis's clock at XADD, an entry's time_ms the engine's: time bounds
  // widen the id range by this much and are then applied to time_ms exactly.
  static constexpr int64_t kClockSlackMs = 5 * 60 * 1000;

  // Queries waiting for the worker; beyond it QueryAsync answers RESOURCE_EXHAUSTED.
  static constexpr size_t kMaxQueued = 16;
  using Done = std::function<void(absl::StatusOr<AuditPage>)>;

  explicit AuditLedger(AuditLedgerOptions options) : options_(std::move(options)) {}
  ~AuditLedger();  // Stop()
  AuditLedger(const AuditLedger&) = delete;
  AuditLedger& operator=(const AuditLedger&) = delete;

  // Up to `limit` (>= 1) entries matching `query`, newest first, starting after
  // `page_token` ("" = the newest). Errors: INVALID_ARGUMENT for a token this class did
  // not make; UNAVAILABLE when Redis cannot be reached; DATA_LOSS for an entry that does
  // not decode.
  absl::StatusOr<AuditPage> Query(const engine::AuditQuery& query, int limit,
                                  const std::string& page_token,
                                  int64_t scan_budget = kDefaultScanBudget) const;
  // Query on the worker thread; `done` is called there (or at once: RESOURCE_EXHAUSTED
  // when kMaxQueued wait already, UNAVAILABLE once stopped).
  void QueryAsync(engine::AuditQuery query, int limit, std::string page_token, Done done)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Answers what still waits with UNAVAILABLE and joins the worker. Idempotent.
  void Stop() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Job {
    engine::AuditQuery query;
    int limit = 0;
    std::string page_token;
    Done done;
  };
  void WorkLoop() ABSL_LOCKS_EXCLUDED(mu_);
  bool HasWork() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_ || !jobs_.empty(); }

  const AuditLedgerOptions options_;
  absl::Mutex mu_;
  std::deque<Job> jobs_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread worker_ ABSL_GUARDED_BY(mu_);  // started by the first QueryAsync
};

}  // namespace stockd::storage

#endif  // STOCKD_DAEMON_STORAGE_AUDIT_LEDGER_H_
