// The facade and the Execute pipeline: the write gate, the idempotency check, dispatch to
// the command (reserve_command.cc, hold_commands.cc, stock_commands.cc, ...), and
// completion once the journal has the record (Seal in sealing.cc hands it over). See
// engine_impl.h for the other parts.
#include "daemon/engine/engine.h"

#include <algorithm>
#include <atomic>
#include <future>
#include <limits>

#include "absl/strings/str_cat.h"
#include "daemon/engine/engine_impl.h"
#include "daemon/engine/validation.h"

namespace stockd::engine {

Engine::Impl::Impl(Model model, EngineOptions options)
    : options_(options),
      shards_(RoundUpPow2(options.shards)),
      all_shards_(MutexesOf(shards_)),
      idempotency_(options.max_idempotency_records, options.idempotency_ttl_ms,
                   options.clock != nullptr ? options.clock : &system_clock_, options.log) {
  if (options_.clock == nullptr) options_.clock = &system_clock_;
  // No other thread sees the engine yet.
  absl::MutexLock lock(&reload_mu_);
  generations_.push_back(
      std::make_unique<const ModelGeneration>(std::make_shared<const Model>(std::move(model))));
  current_.store(generations_.back().get(), std::memory_order_release);
  hold_prefix_ = absl::StrCat("h", absl::Hex(options_.clock->NowMs()), "-");
  history_since_ms_.store(options_.clock->NowMs());
  if (const size_t kits = generations_.back()->model().kits.size(); kits > 0) {
    kit_published_.assign(kits, {});
    kit_last_stock_.assign(kits, {});
    {
      absl::MutexLock kit_lock(&kit_alerts_mu_);
      kit_sold_out_.assign(kits, {});
    }
    kit_announcer_ = std::make_unique<KitAnnouncer>(
        kits, [this](int k) { AnnounceKit(k); }, [this] { SubmitKitAlerts(); });
  }
  audit_per_shard_ = options_.audit_capacity == 0
                         ? 0
                         : std::max<size_t>(1, options_.audit_capacity / shards_.size());
}

size_t Engine::Impl::RoundUpPow2(int n) {
  size_t v = 1;
  while (v < static_cast<size_t>(std::max(1, n))) v <<= 1;
  return v;
}

// ---------------------------------------------------------------- execute

void Engine::Impl::Execute(Command command, Done done) {
  if (!writable_.load(std::memory_order_acquire)) {
    std::string reason;
    {
      absl::MutexLock lock(&gate_mu_);
      reason = gate_reason_;
    }
    done(absl::UnavailableError(absl::StrCat("writes are unavailable: ", reason)));
    return;
  }
  auto pending = std::make_shared<Pending>();
  pending->request_id = command.meta.request_id;
  pending->done = std::move(done);
  if (!pending->request_id.empty()) {
    if (pending->request_id.size() > 128) {
      pending->done(absl::InvalidArgumentError("request_id: longer than 128 bytes"));
      return;
    }
    pending->fingerprint = Fingerprint(command.body);
    if (!idempotency_.Begin(pending)) return;
  }
  RecordOr record =
      std::visit([&](auto& body) { return Apply(body, command.meta, pending); }, command.body);
  if (!record.ok()) {
    Complete(pending, nullptr, record.status());
    return;
  }
  // A command that changed nothing (a stale order revision) has no record: it completes
  // at once. With a journal, Append (inside Seal) owns completion from here on.
  if (*record == nullptr || options_.journal == nullptr) {
    Complete(pending, *record, absl::OkStatus());
  }
}

void Engine::Impl::Complete(const std::shared_ptr<Pending>& pending,
                            const std::shared_ptr<const MutationRecord>& record,
                            absl::Status status) {
  std::vector<Done> waiters;
  if (!pending->request_id.empty()) {
    waiters = idempotency_.Finish(*pending, record.get(), status.ok());
  }
  if (status.ok()) {
    if (record) Announce(*pending, *record, /*tell=*/true);
    if (!waiters.empty()) {
      Outcome replay = pending->outcome;  // the waiters sent the same request id again
      replay.replayed = true;
      for (Done& w : waiters) w(replay);
    }
    pending->done(std::move(pending->outcome));
  } else {
    if (record) Announce(*pending, *record, /*tell=*/false);  // takes its turn all the same
    for (Done& w : waiters) w(status);
    pending->done(status);
  }
}

void Engine::Impl::TellListeners(const MutationRecord& record) {
  if (!record.changes.empty()) {
    for (ChangeListener* l : listeners_) l->OnPublishedChanges(record.changes);
  }
  if (record.order) {
    for (ChangeListener* l : listeners_) l->OnOrderApplied(*record.order);
  }
  if (!record.alerts.empty()) {
    RememberAlerts(record.alerts);
    for (ChangeListener* l : listeners_) l->OnAlerts(record.alerts);
  }
  if (kit_announcer_) MarkKits(record);
}

void Engine::Impl::Announce(const Pending& pending, const MutationRecord& record, bool tell) {
  // With a journal, completions come in sequence order already (one committer thread).
  if (options_.journal != nullptr || record.sequence == 0) {
    if (tell) TellListeners(record);
    return;
  }
  absl::MutexLock lock(&announce_mu_);
  const uint64_t after = pending.announce_after;
  const auto my_turn = [this, after]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(announce_mu_) {
    return last_announced_ == after;
  };
  announce_mu_.Await(absl::Condition(&my_turn));
  if (tell) TellListeners(record);
  last_announced_ = record.sequence;
}

int Engine::Impl::ExpireDue(int64_t* next_due_ms) {
  const int64_t now = NowMs();
  std::vector<Deadline> due;
  const int64_t next_due = holds_.CollectDue(now, options_.hold_retention_ms, &due);
  idempotency_.PurgeExpired(now);
  orders_.Purge(now, options_.order_retention_ms);
  auto expired = std::make_shared<std::atomic<int>>(0);
  for (auto& entry : due) {
    Command cmd{{"", "stockd"}, ExpireCmd{entry.second}};
    Execute(std::move(cmd), [this, expired, entry](const absl::StatusOr<Outcome>& r) {
      if (r.ok()) {
        expired->fetch_add(1);
      } else if (r.status().code() == absl::StatusCode::kUnavailable) {
        holds_.Requeue(entry);  // not durable (Redis outage): try again at the next tick
      }
    });
  }
  if (next_due_ms != nullptr) *next_due_ms = next_due;
  // Without a journal the count is exact; with one it counts the expiries submitted.
  return options_.journal == nullptr ? expired->load() : static_cast<int>(due.size());
}

void Engine::Impl::SetWritable(bool writable, const std::string& reason) {
  bool opened = false;
  {
    absl::MutexLock lock(&gate_mu_);
    gate_reason_ = reason;
    opened = writable && !writable_.load(std::memory_order_acquire);
    writable_.store(writable, std::memory_order_release);
  }
  // A kit alert refused while the gate was shut is still wanted: every kit is looked at
  // again now, not at its next sale (docs/kits.md, "Alerts").
  if (opened && kit_announcer_) kit_announcer_->MarkAll();
}

EngineStats Engine::Impl::Stats() const {
  EngineStats s;
  s.skus = skus_.load();
  s.rows = rows_.load();
  s.open_holds = holds_.open();
  s.mutations = mutations_.load();
  s.breaches = breaches_.load();
  s.expired_holds = expired_.load();
  s.orders = orders_.size();
  s.order_breaches = order_breaches_.load();
  s.order_backorders = order_backorders_.load();
  {
    absl::MutexLock lock(&alerts_mu_);
    for (AlertKind k : kAlertKinds) {
      auto it = alerts_raised_.find(k);
      s.alerts_raised.emplace_back(k, it == alerts_raised_.end() ? 0 : it->second);
    }
  }
  s.alerts_active = {{AlertKind::kReorder, active_reorder_.load()},
                     {AlertKind::kUncovered, active_uncovered_.load()},
                     {AlertKind::kSoldOut, active_sold_out_.load()}};
  absl::MutexLock lock(&breach_mu_);
  s.breaches_by_channel.assign(breaches_by_channel_.begin(), breaches_by_channel_.end());
  return s;
}

void Engine::Impl::RecordBreach(BreachView breach) {
  absl::MutexLock lock(&breach_mu_);
  ++breaches_by_channel_[breach.channel];
  recent_breaches_.push_front(std::move(breach));
  if (recent_breaches_.size() > Engine::kRecentBreaches) recent_breaches_.pop_back();
}

std::vector<BreachView> Engine::Impl::RecentBreaches() const {
  absl::MutexLock lock(&breach_mu_);
  return {recent_breaches_.begin(), recent_breaches_.end()};
}

// ---------------------------------------------------------------- SKU shards

std::vector<Shard*> Engine::Impl::ShardsFor(const std::vector<absl::string_view>& skus) {
  std::vector<size_t> idx;
  for (absl::string_view s : skus) idx.push_back(ShardIndex(s));
  std::sort(idx.begin(), idx.end());
  idx.erase(std::unique(idx.begin(), idx.end()), idx.end());
  std::vector<Shard*> out;
  for (size_t i : idx) out.push_back(&shards_[i]);
  return out;
}

std::unique_ptr<SkuState> Engine::Impl::NewSku(const std::string& sku) {
  const ModelGeneration& g = generation();
  auto s = std::make_unique<SkuState>();
  s->sku = sku;
  s->policies = g.PoliciesFor(sku);
  s->rows.assign(g.model().locations.size(), Counters{});
  s->present.assign(g.model().locations.size(), false);
  s->published.assign(g.model().channels.size(), 0);
  return s;
}

SkuState* Engine::Impl::FindOrCreateSku(Shard& shard, const std::string& sku) {
  if (SkuState* s = FindSku(shard, sku)) return s;
  std::unique_ptr<SkuState> s = NewSku(sku);
  SkuState* raw = s.get();
  shard.skus.emplace(sku, std::move(s));
  skus_.fetch_add(1);
  return raw;
}

void Engine::Impl::LockEverything() {
  orders_.LockAll();
  holds_.LockAll();
  all_shards_.Lock();
  idempotency_.LockAll();
}

void Engine::Impl::UnlockEverything() {
  idempotency_.UnlockAll();
  all_shards_.Unlock();
  holds_.UnlockAll();
  orders_.UnlockAll();
}

// ---------------------------------------------------------------- Engine

absl::StatusOr<std::unique_ptr<Engine>> Engine::Create(Model model, EngineOptions options) {
  if (absl::Status st = ValidateModel(model); !st.ok()) return st;
  if (absl::Status st = ValidateOptions(options); !st.ok()) return st;
  return std::unique_ptr<Engine>(new Engine(std::make_unique<Impl>(std::move(model), options)));
}

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() = default;

void Engine::Execute(Command command, Done done) {
  impl_->Execute(std::move(command), std::move(done));
}

absl::StatusOr<Outcome> Engine::ExecuteAndWait(Command command) {
  auto promise = std::make_shared<std::promise<absl::StatusOr<Outcome>>>();
  std::future<absl::StatusOr<Outcome>> future = promise->get_future();
  impl_->Execute(std::move(command),
                 [promise](absl::StatusOr<Outcome> r) { promise->set_value(std::move(r)); });
  return future.get();
}

int Engine::ExpireDue(int64_t* next_due_ms) { return impl_->ExpireDue(next_due_ms); }

absl::StatusOr<std::vector<RowView>> Engine::GetStock(
    const std::string& sku, const std::vector<std::string>& locations) const {
  return impl_->GetStock(sku, locations);
}

bool Engine::HasSku(const std::string& sku) const { return impl_->HasSku(sku); }

absl::StatusOr<std::vector<AvailabilityItem>> Engine::GetAvailability(
    const std::vector<std::string>& skus, const std::vector<std::string>& channels) const {
  return impl_->GetAvailability(skus, channels);
}

absl::StatusOr<Explanation> Engine::Explain(const std::string& channel, const std::string& sku,
                                            const ExplainQuery& query) const {
  return impl_->Explain(channel, sku, query);
}

absl::StatusOr<HoldView> Engine::GetHold(const std::string& hold_id) const {
  return impl_->GetHold(hold_id);
}

std::vector<HoldView> Engine::ListHolds(const HoldFilter& filter) const {
  return impl_->ListHolds(filter);
}

std::vector<AuditEntry> Engine::ListAudit(const AuditQuery& query, int limit,
                                          uint64_t before_sequence) const {
  return impl_->ListAudit(query, limit, before_sequence);
}

std::vector<AuditEntry> Engine::ListAudit(const std::string& sku, int limit,
                                          uint64_t before_sequence) const {
  AuditQuery query;
  query.sku = sku;
  return impl_->ListAudit(query, limit, before_sequence);
}

absl::StatusOr<OrderView> Engine::GetOrder(const std::string& channel,
                                           const std::string& order_id) const {
  return impl_->GetOrder(channel, order_id);
}

std::vector<OrderView> Engine::ListOrders(const OrderFilter& filter) const {
  return impl_->ListOrders(filter);
}

int Engine::HoldLineCount(const std::string& hold_id) const {
  return impl_->HoldLineCount(hold_id);
}

void Engine::ForEachPublished(const std::vector<std::string>& channels,
                              const std::vector<std::string>& skus,
                              const std::function<void(const PublishedChange&)>& emit) const {
  impl_->ForEachPublished(channels, skus, emit);
}

InvariantReport Engine::CheckInvariants() const { return impl_->CheckInvariants(); }
absl::Status Engine::Restore(const Snapshot& snapshot, const std::function<void()>& while_locked) {
  return impl_->Restore(snapshot, while_locked);
}
void Engine::SetWritable(bool writable, const std::string& reason) {
  impl_->SetWritable(writable, reason);
}
bool Engine::writable() const { return impl_->writable(); }
bool Engine::AdoptDurable(
    const std::function<bool(std::vector<std::shared_ptr<const MutationRecord>>*)>& while_locked) {
  return impl_->AdoptDurable(while_locked);
}
EngineStats Engine::Stats() const { return impl_->Stats(); }
absl::Status Engine::Probe(int64_t bound_ms) const { return impl_->Probe(bound_ms); }
std::vector<BreachView> Engine::RecentBreaches() const { return impl_->RecentBreaches(); }
std::vector<AlertEvent> Engine::RecentAlerts(const AlertFilter& filter) const {
  return impl_->RecentAlerts(filter);
}
std::vector<AlertEvent> Engine::ActiveAlerts(const AlertFilter& filter) const {
  return impl_->ActiveAlerts(filter);
}
absl::StatusOr<std::vector<std::pair<std::string, double>>> Engine::SalesVelocity(
    const std::string& sku) const {
  return impl_->SalesVelocity(sku);
}
std::shared_ptr<const Model> Engine::model() const { return impl_->shared_model(); }
absl::StatusOr<ModelDiff> Engine::PreviewModel(const Model& next, int top_n) const {
  return impl_->PreviewModel(next, top_n);
}
absl::StatusOr<ReconfigureResult> Engine::Reconfigure(Model next,
                                                      const ReconfigureOptions& options) {
  return impl_->Reconfigure(std::move(next), options);
}
const EngineOptions& Engine::options() const { return impl_->options(); }
void Engine::AddListener(ChangeListener* listener) { impl_->AddListener(listener); }

void Engine::StopAnnouncing() { impl_->StopAnnouncing(); }

}  // namespace stockd::engine
