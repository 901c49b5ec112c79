// Engine::Impl: the engine's state and the declarations of its parts. Internal to
// daemon/engine. Each part defines its methods in its own file:
//   engine.cc          the facade, construction and the Execute pipeline (gate,
//                      idempotency check, dispatch, completion), ExpireDue, SKU lookup
//   sealing.cc         Seal: the record, audit entry, published changes, journal hand-off
//   reserve_command.cc Reserve (its lines planned against the locked rows)
//   hold_commands.cc   Extend, Commit, Release, Expire, Fulfill, Cancel
//   stock_commands.cc  Sell, Adjust, Count, Transfer
//   order_commands.cc  ApplyOrder (the order table: order_table.h)
//   order_lines.cc     ApplyOrderLines, ChooseOrderSource (one revision's lines)
//   queries.cc         GetStock, HasSku, GetAvailability, Explain, GetHold, ListHolds, ListAudit,
//                      HoldLineCount, ForEachPublished
//   kit_queries.cc     a kit's GetAvailability and Explain, NotAKit, the announcements of
//                      kit quantities (kits.h, kit_announcer.h)
//   kit_commands.cc    PlanKitLine (a Reserve line of kits), SellKit, an order's kit lines
//                      (ExpandKitOrderLines, PlaceKitOrderLines)
//   kit_alerts.cc      a kit's sold out / back in stock alerts (KitAlertCmd)
//   restore.cc         Restore, AdoptDurable, CheckInvariants
//   probe.cc           Probe (the watchdog's proof that every lock is still taken and given back)
//   reconfigure.cc     PreviewModel, Reconfigure (model_compare.h: canonicalising and
//                      comparing models; model_generation.h: the installed models)
// A new command adds an Apply overload here and defines it with its kin.
//
// Thread-safety: as engine.h says. The lock order (never reversed): reload_mu_ (Restore,
// PreviewModel, Reconfigure only) -> idempotency stripe (briefly, never nested) -> order
// stripe -> hold stripe -> SKU shards in ascending index order -> a generation's policy
// cache; see state.h for who owns which state.
//
// The model: `current_` points at the installed ModelGeneration. Reconfigure replaces it
// with every lock held, so code under any shard lock reads the model the SKU states are
// sized and computed for. Code without a lock (validating ids before it locks) reads a
// recent generation: generations are never freed before the engine, and the indices of
// locations and channels are append-only, so an index it resolves stays valid. Whatever
// depends on the current sources or policies is read under the shard lock.
#ifndef STOCKD_DAEMON_ENGINE_ENGINE_IMPL_H_
#define STOCKD_DAEMON_ENGINE_ENGINE_IMPL_H_

#include <algorithm>
#include <atomic>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/hash/hash.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "daemon/engine/engine.h"
#include "daemon/engine/hold_table.h"
#include "daemon/engine/idempotency_table.h"
#include "daemon/engine/kit_announcer.h"
#include "daemon/engine/lock_set.h"
#include "daemon/engine/model_diff.h"
#include "daemon/engine/model_generation.h"
#include "daemon/engine/order_table.h"
#include "daemon/engine/sealing.h"
#include "daemon/engine/state.h"

namespace stockd::engine {

using RecordOr = absl::StatusOr<std::shared_ptr<const MutationRecord>>;

class Engine::Impl {
 public:
  Impl(Model model, EngineOptions options);

  // The installed generation and its model (see the file comment for when it may change).
  const ModelGeneration& generation() const { return *current_.load(std::memory_order_acquire); }
  const Model& model() const { return generation().model(); }
  std::shared_ptr<const Model> shared_model() const { return generation().shared_model(); }
  const EngineOptions& options() const { return options_; }
  void StopAnnouncing() {
    if (kit_announcer_) kit_announcer_->Stop();
  }
  void AddListener(ChangeListener* l) {
    absl::MutexLock lock(&listeners_mu_);  // the kit announcer may be reading them
    listeners_.push_back(l);
  }

  // ---- engine.cc
  void Execute(Command command, Done done);
  int ExpireDue(int64_t* next_due_ms);
  void SetWritable(bool writable, const std::string& reason);
  bool writable() const { return writable_.load(std::memory_order_acquire); }
  EngineStats Stats() const;
  // Counts a breach by its channel and keeps it among the recent ones (rare: a mutex).
  // Alerts (alert_queries.cc): the ring of recent ones, filled as mutations are announced.
  void RememberAlerts(const std::vector<AlertEvent>& alerts) ABSL_LOCKS_EXCLUDED(alerts_mu_);
  std::vector<AlertEvent> RecentAlerts(const AlertFilter& filter) const
      ABSL_LOCKS_EXCLUDED(alerts_mu_);
  std::vector<AlertEvent> ActiveAlerts(const AlertFilter& filter) const;
  absl::StatusOr<std::vector<std::pair<std::string, double>>> SalesVelocity(
      const std::string& sku) const;
  void RecordBreach(BreachView breach) ABSL_LOCKS_EXCLUDED(breach_mu_);
  std::vector<BreachView> RecentBreaches() const ABSL_LOCKS_EXCLUDED(breach_mu_);

  // ---- queries.cc
  absl::StatusOr<std::vector<RowView>> GetStock(const std::string& sku,
                                                const std::vector<std::string>& locations) const;
  bool HasSku(const std::string& sku) const;
  absl::StatusOr<std::vector<AvailabilityItem>> GetAvailability(
      const std::vector<std::string>& skus, const std::vector<std::string>& channels) const;
  absl::StatusOr<Explanation> Explain(const std::string& channel, const std::string& sku,
                                      const ExplainQuery& query) const;

  // ---- kit_queries.cc, kit_commands.cc (kits.h)
  // Each component's rows and policies, read under its shard's lock one at a time.
  std::vector<ComponentState> ReadKit(const Kit& kit) const;
  // A kit's reservable and published quantity on each of `channels` (in that order), from
  // its components now: GetAvailability, the announcer and Watch snapshots all use it.
  void KitAvailability(const Kit& kit, const std::vector<int>& channels,
                       std::vector<AvailabilityItem>* items) const;
  Explanation ExplainKit(const Kit& kit, int channel, const ExplainQuery& query) const;
  // Marks for the announcer every kit that contains a SKU `record` touched.
  void MarkKits(const MutationRecord& record);
  // The announcer's work: recomputes kit `k` (an index into the model's kits) and tells
  // the listeners what changed since its last announcement.
  void AnnounceKit(int k);
  // ---- kit_alerts.cc (docs/kits.md, "Alerts")
  // The announcer's part: queues the sold out / back in stock alerts kit `k` wants now,
  // `items` its availability per channel (by channel index), `previous` the quantities
  // announced before this announcement; SubmitKitAlerts executes them once every kit
  // marked with it has been announced (quantities first: they keep channels from
  // overselling). Announcer thread only.
  void WantKitAlerts(int k, const std::vector<AvailabilityItem>& items,
                     const std::vector<int64_t>& previous);
  void SubmitKitAlerts();
  RecordOr Apply(KitAlertCmd& cmd, const CommandMeta& meta, const std::shared_ptr<Pending>& p);
  // The kits' raised sold_out keys, as ActiveAlerts lists them.
  void ActiveKitAlerts(std::vector<AlertEvent>* out) const ABSL_LOCKS_EXCLUDED(kit_alerts_mu_);
  // Restore's part: the kits' stored alert states (`states`, SKUs that are kits) replace
  // the raised flags; returns how many sold_out keys are raised.
  int64_t RestoreKitAlerts(const std::vector<const AlertStateView*>& states)
      ABSL_LOCKS_EXCLUDED(kit_alerts_mu_);
  // ForEachPublished's part for kits: each kit's current quantity on `channels`.
  void ForEachKitPublished(const std::vector<int>& channels, const std::vector<std::string>& skus,
                           const std::function<void(const PublishedChange&)>& emit) const;
  // OK unless `sku` is a kit: then INVALID_ARGUMENT for what a kit cannot have (its own
  // stock: counts, adjustments, transfers), UNIMPLEMENTED for what kits do not do yet
  // (sales, reservations, order lines).
  absl::Status NotAKit(absl::string_view sku, const char* operation, bool never) const;
  // A Reserve line of `kits` kits: every component from one location (`wanted`, or the
  // first of channel c's sources whose kits cover it), appended to `takes` and to `rows`.
  // FAILED_PRECONDITION naming the kits per source and the limiting component when none
  // does. Callers hold every component's shard.
  absl::Status PlanKitLine(const Model& m, int c, const Kit& kit, int64_t kits, int wanted,
                           PlanningRows* rows, std::vector<LineTake>* takes);
  // Sell of `cmd.qty` kits at location l on channel c (ids checked): every component's
  // on_hand at l, under their shards' locks, in one mutation; the kits_c(l) bound unless
  // override_limit (then a breach, counted in kits).
  RecordOr SellKit(const Kit& kit, SellCmd& cmd, int c, int l, const CommandMeta& meta,
                   const std::shared_ptr<Pending>& p);
  absl::StatusOr<HoldView> GetHold(const std::string& hold_id) const;
  std::vector<HoldView> ListHolds(const HoldFilter& filter) const;
  int HoldLineCount(const std::string& hold_id) const;
  absl::StatusOr<OrderView> GetOrder(const std::string& channel, const std::string& order_id) const;
  std::vector<OrderView> ListOrders(const OrderFilter& filter) const;
  std::vector<AuditEntry> ListAudit(const AuditQuery& query, int limit,
                                    uint64_t before_sequence) const;
  void ForEachPublished(const std::vector<std::string>& channels,
                        const std::vector<std::string>& skus,
                        const std::function<void(const PublishedChange&)>& emit) const;

  // ---- restore.cc
  absl::Status Restore(const Snapshot& snapshot, const std::function<void()>& while_locked);
  // The stored movements of the last count_history_ms into the SKUs being restored.
  void RestoreMovements(const Snapshot& snap, int64_t now, std::vector<SkuMap>* skus) const;
  bool AdoptDurable(
      const std::function<bool(std::vector<std::shared_ptr<const MutationRecord>>*)>& while_locked);
  // Reads every hold stripe and shard, holding them all.
  InvariantReport CheckInvariants() const;
  // ---- probe.cc
  absl::Status Probe(int64_t bound_ms) const;

  // ---- reconfigure.cc
  absl::StatusOr<ModelDiff> PreviewModel(const Model& next, int top_n) const;
  absl::StatusOr<ReconfigureResult> Reconfigure(Model next, const ReconfigureOptions& options);

 private:
  static size_t RoundUpPow2(int n);
  int64_t NowMs() const { return options_.clock->NowMs(); }
  // The oldest observed_at a Count may carry now: the history window or the start of
  // the history, whichever is later.
  int64_t OldestCountableMs(int64_t now) const {
    return std::max(now - options_.count_history_ms, history_since_ms_.load());
  }

  // ---- SKU shards (engine.cc)
  size_t ShardIndex(absl::string_view sku) const { return StripeOf(sku, shards_.size()); }
  Shard& ShardFor(absl::string_view sku) { return shards_[ShardIndex(sku)]; }
  const Shard& ShardFor(absl::string_view sku) const { return shards_[ShardIndex(sku)]; }
  // Sorted unique shard pointers for a set of SKUs (for ShardLocks).
  std::vector<Shard*> ShardsFor(const std::vector<absl::string_view>& skus);
  // A new SKU with no rows, its policies resolved, sized for the installed model (call
  // with its shard locked, or reload_mu_ held: the model does not change meanwhile).
  std::unique_ptr<SkuState> NewSku(const std::string& sku);
  SkuState* FindOrCreateSku(Shard& shard, const std::string& sku)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mu);
  RowView View(const SkuState& s, int l) const {
    return RowView{s.sku, model().locations[l].id, s.rows[l]};
  }
  // Every order stripe, hold stripe, shard and idempotency stripe, in the lock order
  // (Restore, AdoptDurable) / in reverse.
  void LockEverything() ABSL_EXCLUSIVE_LOCK_FUNCTION(orders_.all_stripes(), holds_.all_stripes(),
                                                     all_shards_, idempotency_.all_stripes());
  void UnlockEverything() ABSL_UNLOCK_FUNCTION(orders_.all_stripes(), holds_.all_stripes(),
                                               all_shards_, idempotency_.all_stripes());
  // Replaces every shard's SKUs with `skus` (by shard index) and recounts them (restore.cc).
  void InstallLocked(std::vector<SkuMap> skus) ABSL_EXCLUSIVE_LOCKS_REQUIRED(all_shards_);

  // ---- completion (engine.cc) and sealing (sealing.cc)
  // Finishes a mutation: records the idempotent result, announces changes, answers.
  void Complete(const std::shared_ptr<Pending>& pending,
                const std::shared_ptr<const MutationRecord>& record, absl::Status status);
  // Tells the listeners about `record` if `tell` (a successful mutation's). Without a
  // journal the caller runs after every engine lock is released, so two mutations of one
  // SKU could get here in the other order: it waits until the record sealed before has
  // had its turn (pending.announce_after), and then takes its own, told or not.
  void Announce(const Pending& pending, const MutationRecord& record, bool tell);
  // Tells every listener what a durable mutation changed (and the kit announcer).
  void TellListeners(const MutationRecord& record);
  // Recomputes published quantities of the touched SKUs, builds the record and the audit
  // entry, and hands the record to the journal. Called with every touched lock held (the
  // SKUs' shards through a ShardLocks or a MutexLock, and the hold's stripe).
  std::shared_ptr<const MutationRecord> Seal(Change& change, const CommandMeta& meta,
                                             const char* operation,
                                             const std::shared_ptr<Pending>& pending);
  // Numbers `record` (and its `audit`) with the next sequence and hands it to the journal,
  // both under sequence_mu_: the journal receives records in sequence order.
  void SequenceAndAppend(const std::shared_ptr<MutationRecord>& record, AuditEntry* audit,
                         const std::shared_ptr<Pending>& pending);

  // ---- hold commands (hold_commands.cc); callers hold the stripe lock (and the SKU locks
  // where they touch rows).
  absl::Status RequireState(const HoldRec& h, HoldState want, const char* op) const;
  std::vector<Shard*> ShardsForHold(const HoldRec& h);
  // The state of a SKU a hold names, whose shard the caller holds through a ShardLocks.
  SkuState* HoldSku(const Line& line);
  RecordOr ReleaseHeld(const std::string& hold_id, HoldState final_state, const CommandMeta& meta,
                       const std::shared_ptr<Pending>& p);
  // Validates the hold id, locks the hold's stripe, finds it, checks it is in `want`
  // state, locks its SKUs' shards, then runs `fn(stripe, hold)`.
  template <typename Fn>
  RecordOr WithHold(const std::string& id, HoldState want, const char* op, Fn&& fn);

  // One per command type.
  RecordOr Apply(ReserveCmd& cmd, const CommandMeta& meta, const std::shared_ptr<Pending>& p);
  RecordOr Apply(ExtendCmd& cmd, const CommandMeta& meta, const std::shared_ptr<Pending>& p);
  RecordOr Apply(CommitCmd& cmd, const CommandMeta& meta, const std::shared_ptr<Pending>& p);
  RecordOr Apply(ReleaseCmd& cmd, const CommandMeta& meta, const std::shared_ptr<Pending>& p);
  RecordOr Apply(FulfillCmd& cmd, const CommandMeta& meta, const std::shared_ptr<Pending>& p);
  RecordOr Apply(CancelCmd& cmd, const CommandMeta& meta, const std::shared_ptr<Pending>& p);
  RecordOr Apply(ExpireCmd& cmd, const CommandMeta& meta, const std::shared_ptr<Pending>& p);
  // ---- stock commands (stock_commands.cc)
  RecordOr Apply(SellCmd& cmd, const CommandMeta& meta, const std::shared_ptr<Pending>& p);
  RecordOr Apply(AdjustCmd& cmd, const CommandMeta& meta, const std::shared_ptr<Pending>& p);
  RecordOr Apply(CountCmd& cmd, const CommandMeta& meta, const std::shared_ptr<Pending>& p);
  RecordOr Apply(TransferCmd& cmd, const CommandMeta& meta, const std::shared_ptr<Pending>& p);
  // ---- orders (order_commands.cc)
  RecordOr Apply(ApplyOrderCmd& cmd, const CommandMeta& meta, const std::shared_ptr<Pending>& p);
  // Moves the order's lines (merged with the revision: `targets`) and its hold (null: a
  // new order) to `cmd`'s revision: changes counters, creates or resolves the hold. The
  // caller holds the shards of every SKU of the order through a ShardLocks. NOT_FOUND
  // (nothing changed) for a SKU the engine does not know.
  absl::Status ApplyOrderLines(const ApplyOrderCmd& cmd, int channel,
                               const std::vector<OrderTarget>& targets, OrderView* order,
                               HoldRec* hold, HoldStripe& hold_stripe, Change* change,
                               OrderEvent* event, std::string* reason)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(hold_stripe.mu);
  // Where a new order line of `need` units is taken from: the first of the channel's
  // sources whose avail covers it, else the first whose free stock does, else the one
  // with the most free stock. The caller holds the SKU's shard.
  int ChooseOrderSource(int channel, const SkuState& s, int64_t need) const;
  // Order lines naming a kit (kit_commands.cc): each becomes one line per component, in
  // component units (`kit` and `per_kit` set), the components of one kit line sharing a
  // group in `groups` (by line; -1 for a SKU's own line). INVALID_ARGUMENT when a
  // component's units exceed kMaxQuantity or the lines max_lines.
  absl::Status ExpandKitOrderLines(ApplyOrderCmd* cmd, std::vector<int>* groups) const;
  // Gives the new lines of each kit group of `targets` one location (locs[line] and the
  // line's location): the one its applied lines have, else the first of the channel's
  // sources where every component's avail covers the line, else where free stock does,
  // else the one with the most kits' worth of free stock. The caller holds the shards.
  void PlaceKitOrderLines(int channel, const std::vector<OrderTarget>& targets,
                          bool order_cancelled, const std::vector<SkuState*>& states,
                          OrderView* order, std::vector<int>* locs, std::string* reason) const;

  // Serialises Restore, PreviewModel and Reconfigure: the model does not change while one
  // runs. Taken before every other engine lock.
  mutable absl::Mutex reload_mu_;
  // Every generation installed, the current one last; never shrinks (model_generation.h).
  std::vector<std::unique_ptr<const ModelGeneration>> generations_ ABSL_GUARDED_BY(reload_mu_);
  std::atomic<const ModelGeneration*> current_{nullptr};
  EngineOptions options_;  // options_.clock is never null
  SystemClock system_clock_;
  // Set before serving, then read-only; AddListener and the kit announcer (which may run
  // from the first Restore on, before every listener is added) take listeners_mu_.
  absl::Mutex listeners_mu_;
  std::vector<ChangeListener*> listeners_;

  std::vector<Shard> shards_;
  const LockSet all_shards_;  // every shards_[i].mu, in index order
  OrderTable orders_;
  HoldTable holds_;
  IdempotencyTable idempotency_;
  size_t audit_per_shard_ = 0;

  std::string hold_prefix_;
  std::atomic<uint64_t> hold_counter_{0};
  std::atomic<bool> writable_{true};
  absl::Mutex gate_mu_;
  std::string gate_reason_ ABSL_GUARDED_BY(gate_mu_);
  std::atomic<int64_t> skus_{0}, rows_{0}, mutations_{0}, breaches_{0}, expired_{0};
  std::atomic<int64_t> order_breaches_{0}, order_backorders_{0};
  // Since when the movement history is complete (count_history.h): the engine's start or
  // its last Restore. A Count observed earlier cannot be netted.
  std::atomic<int64_t> history_since_ms_{0};
  // Held while a record takes its sequence number and is appended to the journal (a leaf
  // but for the journal's own queue lock): numbers reach the journal in order.
  absl::Mutex sequence_mu_;
  // Without a journal, the last record sealed; Announce makes listeners hear records in
  // that order, as the journal's completions do (taken after no other engine lock).
  uint64_t last_sealed_ ABSL_GUARDED_BY(sequence_mu_) = 0;
  absl::Mutex announce_mu_;
  uint64_t last_announced_ ABSL_GUARDED_BY(announce_mu_) = 0;
  mutable absl::Mutex alerts_mu_;
  std::deque<AlertEvent> recent_alerts_ ABSL_GUARDED_BY(alerts_mu_);  // newest first
  std::map<AlertKind, int64_t> alerts_raised_ ABSL_GUARDED_BY(alerts_mu_);  // since start
  // Alert keys raised now (alerts.h RaisedCounts): sealing adds each mutation's
  // difference, Restore sets them from the whole state.
  std::atomic<int64_t> active_reorder_{0};
  std::atomic<int64_t> active_uncovered_{0};
  std::atomic<int64_t> active_sold_out_{0};
  mutable absl::Mutex breach_mu_;
  std::map<std::string, int64_t> breaches_by_channel_ ABSL_GUARDED_BY(breach_mu_);
  std::deque<BreachView> recent_breaches_ ABSL_GUARDED_BY(breach_mu_);  // newest first

  // Kit alerts (kit_alerts.cc): per kit and channel, whether sold_out is raised (stored as
  // the kit's alert state, like a SKU's SkuState::sold_out). A leaf lock.
  mutable absl::Mutex kit_alerts_mu_;
  std::vector<std::vector<bool>> kit_sold_out_ ABSL_GUARDED_BY(kit_alerts_mu_);
  // Per kit and channel, the last published quantity above 0 the announcer saw since the
  // start (0: none yet): a kit that never had stock since the start raises no sold out.
  // Announcer thread only.
  std::vector<std::vector<int64_t>> kit_last_stock_;
  std::vector<KitAlertCmd> kit_alerts_wanted_;  // announcer thread only
  // Kits (kit_announcer.h): the published quantity last announced per kit and channel,
  // read and written by the announcer's thread only. Declared last: the announcer's
  // thread stops before anything it reads is destroyed. Null without kits.
  std::vector<std::vector<int64_t>> kit_published_;
  std::unique_ptr<KitAnnouncer> kit_announcer_;
};

}  // namespace stockd::engine

#endif  // STOCKD_DAEMON_ENGINE_ENGINE_IMPL_H_
