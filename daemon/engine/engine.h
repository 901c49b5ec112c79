// The stock engine: the authoritative in-memory stock of every SKU at every location,
// holds, idempotency and the audit log. It decides, under the availability formula,
// what every channel may take and is shown.
//
// Concurrency: all public methods are thread-safe. State is sharded by SKU hash, each
// shard behind its own mutex; holds and idempotency records live in their own striped
// tables. No global lock on the hot path: a hot SKU only occupies its shard.
// Lock order (never reversed): idempotency stripe (briefly, never nested) ->
// order stripe -> hold stripe -> SKU shards in ascending index order.
// The model may be replaced while serving (Reconfigure, docs/reload.md); location and
// channel indices are append-only, so an index stays valid across models.
//
// Mutations are asynchronous: Execute validates and applies the command in memory,
// hands the MutationRecord to the Journal (if any) and calls `done` once the journal
// reports it durable. Without a journal `done` runs inline before Execute returns.
// `done` is never called with engine locks held.
#ifndef STOCKD_DAEMON_ENGINE_ENGINE_H_
#define STOCKD_DAEMON_ENGINE_ENGINE_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "daemon/engine/audit_query.h"
#include "daemon/engine/clock.h"
#include "daemon/engine/commands.h"
#include "daemon/engine/journal.h"
#include "daemon/engine/model.h"
#include "daemon/engine/model_diff.h"
#include "daemon/util/log.h"

namespace stockd::engine {

struct EngineOptions {
  int shards = 256;                         // 1..65536; rounded up to a power of two
  int64_t default_ttl_ms = 15 * 60 * 1000;  // Reserve/Extend with ttl 0
  int64_t min_ttl_ms = 100;
  int64_t max_ttl_ms = 7LL * 24 * 3600 * 1000;
  int64_t hold_retention_ms = 3600 * 1000;  // resolved holds stay queryable this long
  // A closed order (fulfilled or cancelled) is remembered this long after its last
  // revision, so a late re-delivery of any of its revisions still changes nothing.
  int64_t order_retention_ms = 30LL * 24 * 3600 * 1000;
  int64_t idempotency_ttl_ms = 24LL * 3600 * 1000;
  // Request ids remembered at most (done or in flight, not yet expired). At the cap a
  // mutation with a new request id is refused with RESOURCE_EXHAUSTED; replays of known
  // ids still answer. Mutations without a request id create no record and are not
  // limited. The records loaded at start may exceed it (the cap was lowered): then new
  // ids wait until enough expire.
  int64_t max_idempotency_records = 10'000'000;
  int max_lines = 500;  // lines per Reserve/Commit/Fulfill
  // How long on_hand movements are kept for Counts observed in the past: the oldest
  // observed_at a Count may carry is now minus this (or the engine's start, whichever
  // is later: the history is in memory). 0 = only counts of now.
  int64_t count_history_ms = 7LL * 24 * 3600 * 1000;
  size_t audit_capacity = 10'000;  // in-memory audit ring (recent mutations)
  const Clock* clock = nullptr;    // not owned; nullptr = system clock
  Journal* journal = nullptr;      // not owned; nullptr = in-memory only
  // kInfo/kWarn + message: the idempotency table filled up or drained. May be called
  // from any thread with no engine lock held; must not block.
  log::Sink log;
};

struct AvailabilityItem {
  std::string sku;
  std::string channel;
  int64_t reservable = 0;
  int64_t published = 0;
};

struct ExplainSourceTerm {
  std::string location;
  Counters counters;
  std::vector<std::pair<std::string, int64_t>> protected_by_others;  // channel, units
  int64_t protected_total = 0;
  int64_t own_protect = 0;
  int64_t avail = 0;  // a kit: kits_c(L) (kits.h); counters and protections are empty
  // A kit: the component that bounds kits_c(L), its avail here and its qty per kit.
  std::string limiting_sku;
  int64_t limiting_avail = 0;
  int64_t limiting_qty = 0;
};

struct Explanation {
  std::string channel;
  std::string sku;
  std::vector<ExplainSourceTerm> sources;
  int64_t reservable = 0;
  ChannelPolicy policy;  // effective, after overrides (protect omitted)
  int64_t after_safety = 0;
  int64_t after_share = 0;
  int64_t published = 0;
  std::vector<std::string> overrides_applied;
  // With ExplainQuery::plan_qty > 0: where a Reserve line of that qty (no location) would
  // be held now, in source order (one line: whole; several: split), or empty and
  // `plan_refused` saying why (the FAILED_PRECONDITION a Reserve would get).
  std::vector<Line> plan;
  std::string plan_refused;
  // A kit (kits.h): its components, and the component and location to restock first (the
  // first source with the fewest kits and the component that bounds it there).
  std::vector<KitComponent> kit_components;
  std::string limiting_sku;
  std::string limiting_location;
};

// Optional parts of an Explain.
struct ExplainQuery {
  int64_t plan_qty = 0;          // 0 = no plan; else 1..kMaxQuantity
  bool single_location = false;  // plan as ReserveCmd::single_location
};

struct HoldFilter {
  std::string channel;             // empty = any
  std::string sku;                 // empty = any
  std::optional<HoldState> state;  // nullopt = open (HELD or COMMITTED)
  int limit = 100;                 // 0 = no limit
  // Paging: only holds after this one in the listing order (created_ms, then id).
  struct Cursor {
    int64_t created_ms = 0;
    std::string hold_id;
  };
  std::optional<Cursor> after;
};

struct OrderFilter {
  std::string channel;         // empty = any
  bool problems_only = false;  // only orders with a breach, backorder or unstocked units
  bool open_only = false;      // only orders not closed
  int limit = 100;             // 0 = no limit
};

struct InvariantReport {
  std::vector<std::string> violations;
  // Not violations: rows where free < 0 (an override sale or a count took units open
  // holds wait for), each with the holds at risk there, e.g. "SKU@store: free -1, holds
  // at risk: h1, h2". Each raised an `uncovered` alert (docs/alerts.md).
  std::vector<std::string> uncovered;
  int64_t rows_checked = 0;
  int64_t holds_checked = 0;
  bool ok() const { return violations.empty(); }
};

// An on_hand movement as it is stored (count_history.h): Counts observed in the past net
// the movements recorded after them.
struct MovementRecord {
  std::string sku;
  std::string location;
  int64_t at_ms = 0;   // when it was recorded; a count's: when its units were counted
  int64_t delta = 0;   // on_hand after minus before
  bool count = false;  // a count's own correction: marks a count at at_ms, never netted
};

// The whole durable state, as the storage layer loads it.
struct Snapshot {
  std::vector<RowView> rows;    // absolute counters
  std::vector<HoldView> holds;  // any state; resolved ones stay queryable
  // Shared, not copied, into the engine's request-id table. A request id stored twice
  // (used again after its record expired, the old bucket not gone yet): the record that
  // expires last wins.
  std::vector<std::shared_ptr<const IdempotencyRecord>> idempotency;
  std::vector<OrderView> orders;  // the order table (docs/orders.md)
  uint64_t sequence = 0;          // last durable mutation sequence
  // The stored on_hand movements, in apply order (older than count_history_ms are
  // dropped), and since when they are complete: a Count observed before that cannot be
  // netted. 0: none stored, the history begins at the Restore.
  std::vector<MovementRecord> movements;
  int64_t history_since_ms = 0;
  // Stock alerts (docs/alerts.md): the stored alert state of each SKU that has one, and
  // the recent alerts, newest first (at most Engine::kRecentAlerts are kept).
  std::vector<AlertStateView> alert_states;
  std::vector<AlertEvent> recent_alerts;
};

// A sale or an order revision that took units beyond the channel's avail (a breach of
// other channels' protected units), as the engine applied it.
struct BreachView {
  int64_t time_ms = 0;
  std::string channel;    // the channel that sold
  std::string operation;  // "sell" or "order"
  std::string sku;        // sell: the SKU; order: the SKUs of the breaching lines
  std::string location;   // sell only
  std::string order_id;   // order only
  int64_t units = 0;      // units beyond avail
};

// Which alerts ListAlerts-like queries return (docs/alerts.md); empty fields match all.
struct AlertFilter {
  std::vector<AlertKind> kinds;
  std::string sku;
  std::string location;
  std::string channel;
  size_t limit = 100;
};

struct EngineStats {
  int64_t skus = 0;
  int64_t rows = 0;
  int64_t open_holds = 0;
  int64_t mutations = 0;
  int64_t breaches = 0;
  int64_t expired_holds = 0;
  int64_t orders = 0;            // in the order table
  int64_t order_breaches = 0;    // order revisions applied with a breach (since start)
  int64_t order_backorders = 0;  // order revisions applied leaving a backorder (since start)
  // breaches by the channel that sold (since start; channels without one are absent)
  std::vector<std::pair<std::string, int64_t>> breaches_by_channel;
  // stock alerts raised since start (durable ones), by kind (docs/alerts.md)
  std::vector<std::pair<AlertKind, int64_t>> alerts_raised;
  // alert keys raised now, by kind (reorder, uncovered, sold_out; docs/alerts.md)
  std::vector<std::pair<AlertKind, int64_t>> alerts_active;
};

class Engine {
 public:
  using Done = std::function<void(absl::StatusOr<Outcome>)>;

  // INVALID_ARGUMENT if the model is structurally invalid.
  static absl::StatusOr<std::unique_ptr<Engine>> Create(Model model, EngineOptions options);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Executes one mutation; `done` runs exactly once (see the file comment).
  void Execute(Command command, Done done);
  // Convenience for tests and tools: Execute and wait for `done`.
  absl::StatusOr<Outcome> ExecuteAndWait(Command command);

  // Releases every HELD hold whose deadline has passed (as ExpireCmd mutations).
  // Returns how many were expired. Also purges resolved holds and idempotency records
  // past their retention. Called by the daemon's reaper. If `next_due_ms` is given it
  // receives the earliest deadline still pending (INT64_MAX when none), so the reaper
  // can sleep until then: expiring holds as they fall due, not in bursts, keeps the
  // journal's batches even (a 50 ms tick doubled the p99 of a reserve benchmark).
  int ExpireDue(int64_t* next_due_ms = nullptr);

  // ---- Queries: read committed-in-memory state; never block on the journal.
  absl::StatusOr<std::vector<RowView>> GetStock(const std::string& sku,
                                                const std::vector<std::string>& locations) const;
  // Whether the engine has the SKU (it was counted or received somewhere; a kit: every
  // one of its components); a cheap check for callers that only need that (the order
  // intake, per line).
  bool HasSku(const std::string& sku) const;
  // Empty `channels` = all channels. sku-major order.
  absl::StatusOr<std::vector<AvailabilityItem>> GetAvailability(
      const std::vector<std::string>& skus, const std::vector<std::string>& channels) const;
  absl::StatusOr<Explanation> Explain(const std::string& channel, const std::string& sku,
                                      const ExplainQuery& query = {}) const;
  absl::StatusOr<HoldView> GetHold(const std::string& hold_id) const;
  std::vector<HoldView> ListHolds(const HoldFilter& filter) const;
  // Newest first; empty sku = all.
  // `before_sequence` > 0: only entries with a lower sequence (paging).
  std::vector<AuditEntry> ListAudit(const std::string& sku, int limit,
                                    uint64_t before_sequence = 0) const;
  // The same over the in-memory ring with every filter of `query` (redis.mode: memory;
  // with Redis, ListAudit reads the durable ledger: storage/audit_ledger.h).
  std::vector<AuditEntry> ListAudit(const AuditQuery& query, int limit,
                                    uint64_t before_sequence = 0) const;
  // The order table: one order, NOT_FOUND when stockd has none by that id.
  absl::StatusOr<OrderView> GetOrder(const std::string& channel, const std::string& order_id) const;
  // Orders by channel, then order id.
  std::vector<OrderView> ListOrders(const OrderFilter& filter) const;
  // Lines of the hold (0 when unknown): its response can only be this large or smaller,
  // since a hold's lines never grow.
  int HoldLineCount(const std::string& hold_id) const;
  // Published quantities of (channels x skus) for a Watch snapshot; empty = all, kits
  // last (computed from their components now). Calls `emit` per item with the SKU's
  // shard lock held (a kit's: none): `emit` must be quick.
  void ForEachPublished(const std::vector<std::string>& channels,
                        const std::vector<std::string>& skus,
                        const std::function<void(const PublishedChange&)>& emit) const;

  // Recomputes held/committed from the open holds and published from the counters and
  // compares them with the maintained values. Takes every lock: for tests and operators.
  InvariantReport CheckInvariants() const;

  EngineStats Stats() const;

  // Proves the engine still makes progress, for the systemd watchdog: takes and at once
  // releases every hold stripe and every shard, one at a time (never two together, so
  // any lock order is kept), each within what is left of `bound_ms` (real time, not the
  // engine's clock). DEADLINE_EXCEEDED, naming the lock, when one stays held past the
  // bound (a deadlock, or a call stuck while holding it); OK otherwise. Cheap: 64 + N
  // uncontended lock pairs. Thread-safe; never blocks past the bound.
  absl::Status Probe(int64_t bound_ms) const;
  // Stock alerts (docs/alerts.md). The latest alerts raised by durable mutations (at
  // most kRecentAlerts kept), newest first, that match `filter`.
  static constexpr size_t kRecentAlerts = 1000;
  std::vector<AlertEvent> RecentAlerts(const AlertFilter& filter) const;
  // The alert keys raised now (re-armed ones are not), with the numbers as they are now
  // (time_ms and sequence 0): reorder and uncovered with free, point and velocity;
  // sold_out with the published quantity. Sorted by days of cover (free / velocity),
  // fast movers first; then by SKU. Reads one shard at a time under its lock.
  std::vector<AlertEvent> ActiveAlerts(const AlertFilter& filter) const;
  // The sales velocity of `sku` at each location it has a row at, in units per day as of
  // now (units sold or committed, exponentially weighted: docs/alerts.md), in location
  // order. NOT_FOUND for an unknown SKU.
  absl::StatusOr<std::vector<std::pair<std::string, double>>> SalesVelocity(
      const std::string& sku) const;

  // The latest breaches (at most kRecentBreaches), newest first.
  static constexpr size_t kRecentBreaches = 50;
  std::vector<BreachView> RecentBreaches() const;
  // A snapshot of the model in force; Reconfigure may install a newer one at any time
  // (the snapshot stays valid and unchanged). Locations and channels keep their indices
  // across reconfigurations: new ones are appended.
  std::shared_ptr<const Model> model() const;
  const EngineOptions& options() const;

  // ---- Live reconfiguration (docs/reload.md).
  // What Reconfigure(next) would change now, without changing anything: per channel the
  // published quantities that would change (the `top_n` largest, 0..1000) and the
  // model-level changes. Reads one shard at a time under that shard's lock only, so
  // writers wait at most for one shard's SKUs: the result is consistent per shard, not
  // across shards (mutations between two shards' reads show in one and not the other).
  // FAILED_PRECONDITION / INVALID_ARGUMENT as Reconfigure, which it checks first.
  absl::StatusOr<ModelDiff> PreviewModel(const Model& next, int top_n = 10) const;
  // Installs `next` while serving. `next` is canonicalised first: the current locations
  // and channels keep their indices (matched by id), new ones are appended in `next`'s
  // order, and sources, protections and overrides are remapped to those indices. Allowed:
  // any change of channel policies, sources and types, of overrides and of location
  // names; new locations and channels. Refused with FAILED_PRECONDITION naming it ("...
  // requires a restart"), nothing changed: a location or channel of the current model
  // missing from `next` (removed or renamed), a location whose type changes.
  // INVALID_ARGUMENT: `next` breaks the model's structural rules, or top_n is out of range.
  // Takes every lock (as Restore) to swap the model, grow every SKU's rows and recompute
  // every published quantity, then releases them; the changed published quantities go
  // to the journal as one "reconfigure" mutation (an audit entry, no rows), and to the
  // listeners once it is durable, in order with the mutations around it. Mutations in
  // flight complete normally, judged by the model in force when they take their locks.
  absl::StatusOr<ReconfigureResult> Reconfigure(Model next, const ReconfigureOptions& options = {});

  // Replaces the whole state with `snapshot`: at start-up, and to re-sync after a Redis
  // outage. Takes every lock; `while_locked` runs before they are released (the storage
  // layer re-arms its journal there, so no record of the old state can follow).
  // Published quantities are recomputed; no change events are emitted.
  // FAILED_PRECONDITION when the snapshot is inconsistent with the model (a row at a
  // location or a hold on a channel the config no longer has, counters that disagree
  // with the open holds); the engine is then left unchanged.
  absl::Status Restore(const Snapshot& snapshot, const std::function<void()>& while_locked = {});

  // Re-syncs after a Redis outage in which nothing was lost, without a Restore. The
  // records handed out by `while_locked` are mutations this engine applied whose journal
  // append failed (their callers were answered UNAVAILABLE, and their request ids
  // forgotten), but that the storage layer has since found in, or written to, Redis.
  // Takes every lock and runs `while_locked`; when it returns true, the records' first
  // results are recorded again (a retry with the same request id answers them), and
  // their published changes are announced to the listeners, in order, once the locks
  // are released. Returns what `while_locked` returned. Call with the write gate closed.
  bool AdoptDurable(
      const std::function<bool(std::vector<std::shared_ptr<const MutationRecord>>*)>& while_locked);

  // While not writable every mutation fails fast with UNAVAILABLE (and `reason`) before
  // it is applied. The storage layer closes the gate during a Redis outage. Thread-safe.
  void SetWritable(bool writable, const std::string& reason = "");
  bool writable() const;

  // Listeners receive published changes after durability. Add before serving; not owned.
  void AddListener(ChangeListener* listener);
  // Stops announcing kit quantities (kit_announcer.h) and joins the thread that does:
  // call once the last mutation has completed and before a listener is destroyed.
  // Idempotent; the engine's destructor does it too.
  void StopAnnouncing();

 private:
  class Impl;
  explicit Engine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace stockd::engine

#endif  // STOCKD_DAEMON_ENGINE_ENGINE_H_
