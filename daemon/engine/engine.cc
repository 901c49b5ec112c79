#include "daemon/engine/engine.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <deque>
#include <future>
#include <limits>
#include <string_view>
#include <tuple>
#include <map>
#include <queue>
#include <set>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace stockd::engine {
namespace {

constexpr int kHoldStripes = 64;
constexpr int kIdemStripes = 64;

// One SKU: its counters at every location, its effective policies and the published
// quantity last announced per channel. Guarded by its shard's mutex.
struct SkuState {
  std::string sku;
  std::shared_ptr<const PolicySet> policies;
  std::vector<Counters> rows;      // by location index
  std::vector<bool> present;       // by location index: the row exists
  std::vector<int64_t> published;  // by channel index
};

struct Shard {
  mutable absl::Mutex mu;
  absl::flat_hash_map<std::string, std::unique_ptr<SkuState>> skus ABSL_GUARDED_BY(mu);
  // Audit entries of recent mutations, oldest first, bounded; shared with the journal.
  std::deque<std::shared_ptr<const AuditEntry>> audit ABSL_GUARDED_BY(mu);
};

struct HoldRec {
  HoldView view;
  int channel = -1;
  std::vector<int> locations;  // location index per line
};

struct HoldStripe {
  mutable absl::Mutex mu;
  absl::flat_hash_map<std::string, std::unique_ptr<HoldRec>> holds ABSL_GUARDED_BY(mu);
  // Min-heap of (deadline, hold id) of HELD holds. Entries go stale when a hold is
  // extended or resolved; ExpireDue skips those (lazy deletion: no erase on the hot path).
  std::priority_queue<std::pair<int64_t, std::string>, std::vector<std::pair<int64_t, std::string>>,
                      std::greater<>>
      deadlines ABSL_GUARDED_BY(mu);
  // (resolved at, hold id) of terminal holds, in resolution order, for the retention purge.
  std::deque<std::pair<int64_t, std::string>> resolved ABSL_GUARDED_BY(mu);
};

struct IdemEntry {
  uint64_t fingerprint = 0;
  bool done = false;
  // Once done: the first result, and when it may be forgotten (record->expires_ms, the
  // expiry stored with it in Redis, so a restart forgets it at the same time).
  std::shared_ptr<const IdempotencyRecord> record;
  std::vector<Engine::Done> waiters;  // replays that arrived while in flight
};

struct IdemStripe {
  absl::Mutex mu;
  absl::flat_hash_map<std::string, IdemEntry> entries ABSL_GUARDED_BY(mu);
  std::deque<std::pair<int64_t, std::string>> expiry ABSL_GUARDED_BY(mu);  // FIFO
};

// A mutation in flight between apply and completion.
struct Pending {
  std::string request_id;
  uint64_t fingerprint = 0;
  Engine::Done done;
  Outcome outcome;
};

absl::Status InvalidId(absl::string_view what, absl::string_view value) {
  return absl::InvalidArgumentError(
      absl::StrCat(what, ": '", value.substr(0, 140),
                   "' is not a valid identifier (1-128 bytes of [A-Za-z0-9._:/-])"));
}

absl::Status CheckQty(absl::string_view what, int64_t qty) {
  if (qty <= 0) return absl::InvalidArgumentError(absl::StrCat(what, " must be > 0, got ", qty));
  if (qty > kMaxQuantity) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " must be <= ", kMaxQuantity, ", got ", qty));
  }
  return absl::OkStatus();
}

absl::Status CheckText(absl::string_view what, const std::string& text) {
  if (text.size() > kMaxTextBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": ", text.size(), " bytes, at most ", kMaxTextBytes));
  }
  return absl::OkStatus();
}

absl::Status CheckHoldId(const std::string& id) {
  if (id.empty()) return absl::InvalidArgumentError("hold_id: required");
  if (!IsValidId(id)) return InvalidId("hold_id", id);
  return absl::OkStatus();
}

// The position of each key's first Add among the keys added so far: a linear scan while
// there are few (cheaper than hashing them), a hash index from kIndexFrom keys on, so a
// 100-line mutation is not quadratic. Keys are cheap to copy (pointers, views).
template <typename Key>
class FirstSeen {
 public:
  // Adds `key` unless it was added before; returns the position of its first Add (for a
  // new key: the number of keys before it).
  size_t Add(const Key& key) {
    if (keys_.size() < kIndexFrom) {
      for (size_t i = 0; i < keys_.size(); ++i) {
        if (keys_[i] == key) return i;
      }
      keys_.push_back(key);
      if (keys_.size() == kIndexFrom) {
        for (size_t i = 0; i < keys_.size(); ++i) index_.emplace(keys_[i], i);
      }
      return keys_.size() - 1;
    }
    auto [it, inserted] = index_.try_emplace(key, keys_.size());
    if (inserted) keys_.push_back(key);
    return it->second;
  }

 private:
  static constexpr size_t kIndexFrom = 16;
  std::vector<Key> keys_;
  absl::flat_hash_map<Key, size_t> index_;
};

// Holds shard locks in ascending index order; unlocks in reverse on destruction.
class ShardLocks {
 public:
  ShardLocks() = default;
  ShardLocks(const ShardLocks&) = delete;
  ShardLocks& operator=(const ShardLocks&) = delete;
  ~ShardLocks() {
    for (auto it = locked_.rbegin(); it != locked_.rend(); ++it) (*it)->Unlock();
  }
  // `shards` must be sorted ascending by index and unique.
  void LockSorted(const std::vector<Shard*>& shards) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    for (Shard* s : shards) {
      s->mu.Lock();
      locked_.push_back(&s->mu);
    }
  }

 private:
  std::vector<absl::Mutex*> locked_;
};

}  // namespace

class Engine::Impl {
 public:
  Impl(Model model, EngineOptions options)
      : model_(std::move(model)), options_(options), shards_(RoundUpPow2(options.shards)) {
    if (options_.clock == nullptr) options_.clock = &system_clock_;
    base_policies_ = BuildPolicySet(model_, {});
    policy_cache_[{}] = base_policies_;
    hold_prefix_ = absl::StrCat("h", absl::Hex(options_.clock->NowMs()), "-");
    audit_per_shard_ = options_.audit_capacity == 0
                           ? 0
                           : std::max<size_t>(1, options_.audit_capacity / shards_.size());
  }

  const Model& model() const { return model_; }
  const EngineOptions& options() const { return options_; }
  void AddListener(ChangeListener* l) { listeners_.push_back(l); }

  // ------------------------------------------------------------ execute

  void Execute(Command command, Done done) {
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
      if (!BeginIdempotent(pending)) return;
    }
    absl::StatusOr<std::shared_ptr<const MutationRecord>> record =
        std::visit([&](auto& body) { return Apply(body, command.meta, pending); }, command.body);
    if (!record.ok()) {
      Complete(pending, nullptr, record.status());
      return;
    }
    // With a journal, Append (inside Apply) owns completion from here on.
    if (options_.journal == nullptr) Complete(pending, *record, absl::OkStatus());
  }

  int ExpireDue(int64_t* next_due_ms) {
    const int64_t now = NowMs();
    int64_t next_due = std::numeric_limits<int64_t>::max();
    std::vector<std::pair<int64_t, std::string>> due;
    for (HoldStripe& stripe : hold_stripes_) {
      absl::MutexLock lock(&stripe.mu);
      while (!stripe.deadlines.empty() && stripe.deadlines.top().first <= now) {
        std::pair<int64_t, std::string> entry = stripe.deadlines.top();
        stripe.deadlines.pop();
        auto it = stripe.holds.find(entry.second);
        if (it == stripe.holds.end() || it->second->view.state != HoldState::kHeld ||
            it->second->view.deadline_ms != entry.first) {
          continue;  // stale: extended or resolved since
        }
        due.push_back(std::move(entry));
      }
      if (!stripe.deadlines.empty()) next_due = std::min(next_due, stripe.deadlines.top().first);
      // Purge resolved holds past retention (memory only; storage keeps its own TTL).
      while (!stripe.resolved.empty() &&
             stripe.resolved.front().first + options_.hold_retention_ms <= now) {
        auto it = stripe.holds.find(stripe.resolved.front().second);
        if (it != stripe.holds.end() && !IsOpen(it->second->view.state)) stripe.holds.erase(it);
        stripe.resolved.pop_front();
      }
    }
    PurgeExpiredIdempotency(now);
    auto expired = std::make_shared<std::atomic<int>>(0);
    for (auto& entry : due) {
      Command cmd{{"", "stockd"}, ExpireCmd{entry.second}};
      Execute(std::move(cmd), [this, expired, entry](const absl::StatusOr<Outcome>& r) {
        if (r.ok()) {
          expired->fetch_add(1);
        } else if (r.status().code() == absl::StatusCode::kUnavailable) {
          // Not durable (Redis outage): try again at the next tick.
          HoldStripe& stripe = StripeFor(entry.second);
          absl::MutexLock lock(&stripe.mu);
          stripe.deadlines.push(entry);
        }
      });
    }
    if (next_due_ms != nullptr) *next_due_ms = next_due;
    // Without a journal the count is exact; with one it counts the expiries submitted.
    return options_.journal == nullptr ? expired->load() : static_cast<int>(due.size());
  }

  // ------------------------------------------------------------ queries

  absl::StatusOr<std::vector<RowView>> GetStock(const std::string& sku,
                                                const std::vector<std::string>& locations) const {
    if (!IsValidId(sku)) return InvalidId("sku", sku);
    std::vector<int> wanted;
    for (const std::string& l : locations) {
      absl::StatusOr<int> index = ResolveLocation(l);
      if (!index.ok()) return index.status();
      wanted.push_back(*index);
    }
    const Shard& shard = ShardFor(sku);
    absl::MutexLock lock(&shard.mu);
    const SkuState* s = FindSku(shard, sku);
    if (s == nullptr) return UnknownSku(sku);
    std::vector<RowView> rows;
    if (wanted.empty()) {
      for (size_t l = 0; l < s->rows.size(); ++l) {
        if (s->present[l]) rows.push_back(View(*s, static_cast<int>(l)));
      }
    } else {
      for (int l : wanted) rows.push_back(View(*s, l));
    }
    return rows;
  }

  absl::StatusOr<std::vector<AvailabilityItem>> GetAvailability(
      const std::vector<std::string>& skus, const std::vector<std::string>& channels) const {
    if (skus.empty()) return absl::InvalidArgumentError("skus: at least one sku required");
    std::vector<int> chans;
    for (const std::string& c : channels) {
      absl::StatusOr<int> index = ResolveChannel(c);
      if (!index.ok()) return index.status();
      chans.push_back(*index);
    }
    if (chans.empty()) {
      for (size_t c = 0; c < model_.channels.size(); ++c) chans.push_back(static_cast<int>(c));
    }
    std::vector<AvailabilityItem> items;
    items.reserve(skus.size() * chans.size());
    for (const std::string& sku : skus) {
      if (!IsValidId(sku)) return InvalidId("sku", sku);
      const Shard& shard = ShardFor(sku);
      absl::MutexLock lock(&shard.mu);
      const SkuState* s = FindSku(shard, sku);
      if (s == nullptr) return UnknownSku(sku);
      for (int c : chans) {
        items.push_back({sku, model_.channels[c].id, Reservable(model_, *s->policies, c, s->rows),
                         s->published[c]});
      }
    }
    return items;
  }

  absl::StatusOr<Explanation> Explain(const std::string& channel, const std::string& sku) const {
    absl::StatusOr<int> c = ResolveChannel(channel);
    if (!c.ok()) return c.status();
    if (!IsValidId(sku)) return InvalidId("sku", sku);
    const Shard& shard = ShardFor(sku);
    absl::MutexLock lock(&shard.mu);
    const SkuState* s = FindSku(shard, sku);
    if (s == nullptr) return UnknownSku(sku);
    const PolicySet& p = *s->policies;
    Explanation e;
    e.channel = channel;
    e.sku = sku;
    for (int l : model_.channels[*c].sources) {
      ExplainSourceTerm term;
      term.location = model_.locations[l].id;
      term.counters = s->rows[l];
      for (size_t other = 0; other < model_.channels.size(); ++other) {
        int64_t units = p.channels[other].protect[l];
        if (static_cast<int>(other) != *c && units > 0) {
          term.protected_by_others.emplace_back(model_.channels[other].id, units);
        }
      }
      term.protected_total = ProtectedByOthers(p, *c, l);
      term.own_protect = p.channels[*c].protect[l];
      term.avail = Avail(p, *c, l, s->rows[l]);
      e.reservable += term.avail;
      e.sources.push_back(std::move(term));
    }
    e.policy = p.channels[*c];
    e.policy.protect.clear();
    e.after_safety = std::max<int64_t>(0, e.reservable - e.policy.safety_stock);
    e.after_share = e.after_safety * e.policy.share_percent / 100;
    e.published = Publish(p.channels[*c], e.reservable);
    e.overrides_applied = p.applied[*c];
    return e;
  }

  absl::StatusOr<HoldView> GetHold(const std::string& hold_id) const {
    if (absl::Status st = CheckHoldId(hold_id); !st.ok()) return st;
    const HoldStripe& stripe = StripeFor(hold_id);
    absl::MutexLock lock(&stripe.mu);
    auto it = stripe.holds.find(hold_id);
    if (it == stripe.holds.end()) return UnknownHold(hold_id);
    return it->second->view;
  }

  std::vector<HoldView> ListHolds(const HoldFilter& f) const {
    // Oldest first. Within one millisecond, creation order: ids of one daemon run share a
    // prefix and end in a decimal counter, so shorter ids are older. Only the `limit`
    // oldest holds after the cursor are kept while scanning (a bounded max-heap), so a
    // page costs one pass over the holds and `limit` copies, not a copy and sort of all.
    auto order_key = [](const HoldView& v) {
      return std::make_tuple(v.created_ms, v.hold_id.size(), std::string_view(v.hold_id));
    };
    auto older = [&](const HoldView& a, const HoldView& b) { return order_key(a) < order_key(b); };
    std::optional<std::tuple<int64_t, size_t, std::string_view>> after;
    if (f.after.has_value()) {
      after.emplace(f.after->created_ms, f.after->hold_id.size(), f.after->hold_id);
    }
    const size_t limit = f.limit > 0 ? static_cast<size_t>(f.limit)
                                     : std::numeric_limits<size_t>::max();
    std::vector<HoldView> out;  // a max-heap by `older` while scanning
    for (const HoldStripe& stripe : hold_stripes_) {
      absl::MutexLock lock(&stripe.mu);
      for (const auto& [id, rec] : stripe.holds) {
        const HoldView& v = rec->view;
        if (f.state ? v.state != *f.state : !IsOpen(v.state)) continue;
        if (!f.channel.empty() && v.channel != f.channel) continue;
        if (after.has_value() && !(*after < order_key(v))) continue;
        if (out.size() == limit && !older(v, out.front())) continue;
        if (!f.sku.empty() && std::none_of(v.lines.begin(), v.lines.end(),
                                           [&](const Line& l) { return l.sku == f.sku; })) {
          continue;
        }
        if (out.size() == limit) {
          std::pop_heap(out.begin(), out.end(), older);
          out.back() = v;
        } else {
          out.push_back(v);
        }
        std::push_heap(out.begin(), out.end(), older);
      }
    }
    std::sort_heap(out.begin(), out.end(), older);
    return out;
  }

  int HoldLineCount(const std::string& hold_id) const {
    const HoldStripe& stripe = StripeFor(hold_id);
    absl::MutexLock lock(&stripe.mu);
    auto it = stripe.holds.find(hold_id);
    return it == stripe.holds.end() ? 0 : static_cast<int>(it->second->view.lines.size());
  }

  std::vector<AuditEntry> ListAudit(const std::string& sku, int limit,
                                    uint64_t before_sequence) const {
    std::vector<AuditEntry> out;
    auto matches = [&sku, before_sequence](const AuditEntry& e) {
      if (before_sequence > 0 && e.sequence >= before_sequence) return false;
      if (sku.empty()) return true;
      for (const RowView& r : e.after) {
        if (r.sku == sku) return true;
      }
      return false;
    };
    for (const Shard& shard : shards_) {
      absl::MutexLock lock(&shard.mu);
      for (const auto& entry : shard.audit) {
        if (matches(*entry)) out.push_back(*entry);
      }
    }
    std::sort(out.begin(), out.end(),
              [](const AuditEntry& a, const AuditEntry& b) { return a.sequence > b.sequence; });
    if (limit > 0 && out.size() > static_cast<size_t>(limit)) out.resize(limit);
    return out;
  }

  void ForEachPublished(const std::vector<std::string>& channels,
                        const std::vector<std::string>& skus,
                        const std::function<void(const PublishedChange&)>& emit) const {
    std::vector<int> chans;
    for (const std::string& c : channels) {
      int index = model_.ChannelIndex(c);
      if (index >= 0) chans.push_back(index);
    }
    if (channels.empty()) {
      for (size_t c = 0; c < model_.channels.size(); ++c) chans.push_back(static_cast<int>(c));
    }
    const int64_t now = NowMs();
    auto emit_sku = [&](const SkuState& s) {
      for (int c : chans) {
        PublishedChange change{model_.channels[c].id,
                               s.sku,
                               s.published[c],
                               s.published[c],
                               Reservable(model_, *s.policies, c, s.rows),
                               now};
        emit(change);
      }
    };
    if (!skus.empty()) {
      for (const std::string& sku : skus) {
        const Shard& shard = ShardFor(sku);
        absl::MutexLock lock(&shard.mu);
        if (const SkuState* s = FindSku(shard, sku)) emit_sku(*s);
      }
      return;
    }
    for (const Shard& shard : shards_) {
      absl::MutexLock lock(&shard.mu);
      for (const auto& [name, s] : shard.skus) emit_sku(*s);
    }
  }

  InvariantReport CheckInvariants() const ABSL_NO_THREAD_SAFETY_ANALYSIS {
    InvariantReport report;
    for (const HoldStripe& stripe : hold_stripes_) stripe.mu.Lock();
    for (const Shard& shard : shards_) shard.mu.Lock();

    // (sku, location) -> {held, committed} summed from the open holds.
    absl::flat_hash_map<std::pair<std::string, int>, std::pair<int64_t, int64_t>> from_holds;
    int64_t open = 0;
    for (const HoldStripe& stripe : hold_stripes_) {
      for (const auto& [id, rec] : stripe.holds) {
        ++report.holds_checked;
        const HoldView& v = rec->view;
        if (!IsOpen(v.state)) continue;
        ++open;
        for (size_t i = 0; i < v.lines.size(); ++i) {
          auto& sums = from_holds[{v.lines[i].sku, rec->locations[i]}];
          if (v.state == HoldState::kHeld) {
            sums.first += v.lines[i].qty;
          } else {
            sums.second += v.lines[i].qty - v.lines[i].fulfilled;
          }
          if (v.lines[i].fulfilled < 0 || v.lines[i].fulfilled > v.lines[i].qty) {
            report.violations.push_back(absl::StrCat("hold ", id, " line ", v.lines[i].sku,
                                                     ": fulfilled ", v.lines[i].fulfilled,
                                                     " outside 0..", v.lines[i].qty));
          }
        }
      }
    }
    for (const Shard& shard : shards_) {
      for (const auto& [sku, s] : shard.skus) {
        for (size_t l = 0; l < s->rows.size(); ++l) {
          const Counters& c = s->rows[l];
          if (!s->present[l]) {
            if (!(c == Counters{})) {
              report.violations.push_back(
                  absl::StrCat(sku, "@", model_.locations[l].id, ": counters on an absent row"));
            }
            continue;
          }
          ++report.rows_checked;
          auto it = from_holds.find({sku, static_cast<int>(l)});
          std::pair<int64_t, int64_t> expect =
              it == from_holds.end() ? std::pair<int64_t, int64_t>{0, 0} : it->second;
          if (it != from_holds.end()) from_holds.erase(it);
          const std::string where = absl::StrCat(sku, "@", model_.locations[l].id);
          if (c.held != expect.first) {
            report.violations.push_back(
                absl::StrCat(where, ": held ", c.held, " != Σ HELD holds ", expect.first));
          }
          if (c.committed != expect.second) {
            report.violations.push_back(absl::StrCat(where, ": committed ", c.committed,
                                                     " != Σ COMMITTED holds ", expect.second));
          }
          if (c.on_hand < 0) {
            report.violations.push_back(absl::StrCat(where, ": on_hand ", c.on_hand, " < 0"));
          }
        }
        for (size_t ch = 0; ch < model_.channels.size(); ++ch) {
          int64_t want = Publish(s->policies->channels[ch],
                                 Reservable(model_, *s->policies, static_cast<int>(ch), s->rows));
          if (want != s->published[ch]) {
            report.violations.push_back(absl::StrCat(sku, " on ", model_.channels[ch].id,
                                                     ": published ", s->published[ch],
                                                     " != recomputed ", want));
          }
        }
      }
    }
    for (const auto& [key, sums] : from_holds) {
      report.violations.push_back(absl::StrCat("holds reference ", key.first, "@",
                                               model_.locations[key.second].id,
                                               " which has no row"));
    }
    if (open != open_holds_.load()) {
      report.violations.push_back(
          absl::StrCat("open hold counter ", open_holds_.load(), " != ", open, " open holds"));
    }

    for (auto it = shards_.rbegin(); it != shards_.rend(); ++it) it->mu.Unlock();
    for (auto it = hold_stripes_.rbegin(); it != hold_stripes_.rend(); ++it) it->mu.Unlock();
    return report;
  }

  void SetWritable(bool writable, const std::string& reason) {
    absl::MutexLock lock(&gate_mu_);
    gate_reason_ = reason;
    writable_.store(writable, std::memory_order_release);
  }
  bool writable() const { return writable_.load(std::memory_order_acquire); }

  absl::Status Restore(const Snapshot& snapshot, const std::function<void()>& while_locked);
  bool AdoptDurable(
      const std::function<bool(std::vector<std::shared_ptr<const MutationRecord>>*)>& while_locked);

  EngineStats Stats() const {
    EngineStats s;
    s.skus = skus_.load();
    s.rows = rows_.load();
    s.open_holds = open_holds_.load();
    s.mutations = mutations_.load();
    s.breaches = breaches_.load();
    s.expired_holds = expired_.load();
    return s;
  }

 private:
  // Rows touched by one mutation, with their counters before it.
  struct Touched {
    SkuState* sku;
    int location;
    Counters before;
    bool was_present;
  };

  // Everything one mutation collects before it is sealed into a record.
  struct Change {
    std::vector<Touched> rows;
    const HoldRec* hold = nullptr;
    std::string channel;
    std::string reason;

    // (SKU, location) of each entry of `rows`, in the same order.
    FirstSeen<std::pair<const SkuState*, int>> touched;

    void Touch(SkuState* s, int l) {
      if (touched.Add({s, l}) < rows.size()) return;  // touched before
      rows.push_back({s, l, s->rows[l], s->present[l]});
    }
  };

  static size_t RoundUpPow2(int n) {
    size_t v = 1;
    while (v < static_cast<size_t>(std::max(1, n))) v <<= 1;
    return v;
  }

  int64_t NowMs() const { return options_.clock->NowMs(); }

  size_t ShardIndex(absl::string_view sku) const {
    return absl::Hash<absl::string_view>{}(sku) & (shards_.size() - 1);
  }
  Shard& ShardFor(absl::string_view sku) { return shards_[ShardIndex(sku)]; }
  const Shard& ShardFor(absl::string_view sku) const { return shards_[ShardIndex(sku)]; }
  HoldStripe& StripeFor(absl::string_view id) {
    return hold_stripes_[absl::Hash<absl::string_view>{}(id) % kHoldStripes];
  }
  const HoldStripe& StripeFor(absl::string_view id) const {
    return hold_stripes_[absl::Hash<absl::string_view>{}(id) % kHoldStripes];
  }

  // Sorted unique shard pointers for a set of SKUs.
  std::vector<Shard*> ShardsFor(const std::vector<absl::string_view>& skus) {
    std::vector<size_t> idx;
    for (absl::string_view s : skus) idx.push_back(ShardIndex(s));
    std::sort(idx.begin(), idx.end());
    idx.erase(std::unique(idx.begin(), idx.end()), idx.end());
    std::vector<Shard*> out;
    for (size_t i : idx) out.push_back(&shards_[i]);
    return out;
  }

  static SkuState* FindSku(Shard& shard, absl::string_view sku) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    auto it = shard.skus.find(sku);
    return it == shard.skus.end() ? nullptr : it->second.get();
  }
  static const SkuState* FindSku(const Shard& shard,
                                 absl::string_view sku) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    auto it = shard.skus.find(sku);
    return it == shard.skus.end() ? nullptr : it->second.get();
  }

  SkuState* FindOrCreateSku(Shard& shard, const std::string& sku) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    if (SkuState* s = FindSku(shard, sku)) return s;
    auto s = std::make_unique<SkuState>();
    s->sku = sku;
    s->policies = PoliciesFor(sku);
    s->rows.assign(model_.locations.size(), Counters{});
    s->present.assign(model_.locations.size(), false);
    s->published.assign(model_.channels.size(), 0);
    SkuState* raw = s.get();
    shard.skus.emplace(sku, std::move(s));
    skus_.fetch_add(1);
    return raw;
  }

  std::shared_ptr<const PolicySet> PoliciesFor(const std::string& sku) {
    std::vector<int> matched;
    for (size_t i = 0; i < model_.overrides.size(); ++i) {
      if (GlobMatch(model_.overrides[i].pattern, sku)) matched.push_back(static_cast<int>(i));
    }
    if (matched.empty()) return base_policies_;
    absl::MutexLock lock(&policy_mu_);
    auto& slot = policy_cache_[matched];
    if (!slot) slot = BuildPolicySet(model_, matched);
    return slot;
  }

  absl::StatusOr<int> ResolveChannel(const std::string& id) const {
    if (!IsValidId(id)) return InvalidId("channel", id);
    int index = model_.ChannelIndex(id);
    if (index < 0) return absl::NotFoundError(absl::StrCat("unknown channel '", id, "'"));
    return index;
  }
  absl::StatusOr<int> ResolveLocation(const std::string& id) const {
    if (!IsValidId(id)) return InvalidId("location", id);
    int index = model_.LocationIndex(id);
    if (index < 0) return absl::NotFoundError(absl::StrCat("unknown location '", id, "'"));
    return index;
  }
  static absl::Status UnknownSku(absl::string_view sku) {
    return absl::NotFoundError(absl::StrCat("unknown sku '", sku, "'"));
  }
  static absl::Status UnknownHold(absl::string_view id) {
    return absl::NotFoundError(absl::StrCat("unknown hold '", id, "'"));
  }
  bool IsSource(int channel, int location) const {
    const auto& src = model_.channels[channel].sources;
    return std::find(src.begin(), src.end(), location) != src.end();
  }
  absl::Status NotASource(int channel, int location) const {
    return absl::FailedPreconditionError(absl::StrCat("location '", model_.locations[location].id,
                                                      "' is not a source of channel '",
                                                      model_.channels[channel].id, "'"));
  }
  absl::StatusOr<int64_t> ResolveTtl(int64_t ttl_ms) const {
    if (ttl_ms == 0) return options_.default_ttl_ms;
    if (ttl_ms < options_.min_ttl_ms || ttl_ms > options_.max_ttl_ms) {
      return absl::InvalidArgumentError(absl::StrCat("ttl_ms must be 0 (default) or within ",
                                                     options_.min_ttl_ms, "..", options_.max_ttl_ms,
                                                     ", got ", ttl_ms));
    }
    return ttl_ms;
  }

  RowView View(const SkuState& s, int l) const {
    return RowView{s.sku, model_.locations[l].id, s.rows[l]};
  }

  // ------------------------------------------------------------ idempotency

  // What a request id is in the table.
  enum class IdemLookup { kNew, kFull, kMisuse, kInFlight, kReplay };

  // Looks the request id up; a new id takes a slot of max_idempotency_records (kFull
  // when there is none left; `*drained` when taking it ended a full period).
  IdemLookup LookUpIdempotent(const std::shared_ptr<Pending>& pending, Outcome* replay,
                              bool* drained) {
    IdemStripe& stripe =
        idem_stripes_[absl::Hash<std::string>{}(pending->request_id) % kIdemStripes];
    absl::MutexLock lock(&stripe.mu);
    auto it = stripe.entries.find(pending->request_id);
    if (it == stripe.entries.end()) {
      if (!TakeIdemSlot(drained)) return IdemLookup::kFull;
      stripe.entries[pending->request_id].fingerprint = pending->fingerprint;
      return IdemLookup::kNew;
    }
    IdemEntry& e = it->second;
    if (e.fingerprint != pending->fingerprint) return IdemLookup::kMisuse;
    if (!e.done) {
      e.waiters.push_back(std::move(pending->done));
      return IdemLookup::kInFlight;
    }
    *replay = e.record->outcome;
    return IdemLookup::kReplay;
  }

  bool TakeIdemSlot(bool* drained) {
    const int64_t max = options_.max_idempotency_records;
    int64_t n = idem_records_.load(std::memory_order_relaxed);
    while (n < max) {
      if (idem_records_.compare_exchange_weak(n, n + 1, std::memory_order_relaxed)) {
        // The warning is re-armed once the table has drained below 90% of the cap (not
        // logged again for every record while it hovers at the cap).
        *drained = (n + 1) * 10 < max * 9 && idem_full_.load(std::memory_order_relaxed) &&
                   idem_full_.exchange(false);
        return true;
      }
    }
    return false;
  }

  void Log(log::Level level, const std::string& msg) const {
    if (options_.log) options_.log(level, msg);
  }

  // Drops the records whose idempotency.ttl has passed (the reaper's job, also done on
  // demand when the table is full).
  void PurgeExpiredIdempotency(int64_t now) {
    for (IdemStripe& stripe : idem_stripes_) {
      absl::MutexLock lock(&stripe.mu);
      while (!stripe.expiry.empty() && stripe.expiry.front().first <= now) {
        auto it = stripe.entries.find(stripe.expiry.front().second);
        if (it != stripe.entries.end() && it->second.done && it->second.record->expires_ms <= now) {
          stripe.entries.erase(it);
          idem_records_.fetch_sub(1, std::memory_order_relaxed);
        }
        stripe.expiry.pop_front();
      }
    }
  }

  // Returns true when the caller should go on and apply the command.
  bool BeginIdempotent(const std::shared_ptr<Pending>& pending) {
    Outcome replay;
    bool drained = false;
    IdemLookup found = LookUpIdempotent(pending, &replay, &drained);
    if (found == IdemLookup::kFull) {
      PurgeExpiredIdempotency(NowMs());
      found = LookUpIdempotent(pending, &replay, &drained);
    }
    if (drained) {
      Log(log::Level::kInfo,
          absl::StrCat("idempotency records below idempotency.max_records (",
                       options_.max_idempotency_records, ") again: new request ids are accepted"));
    }
    switch (found) {
      case IdemLookup::kNew:
        return true;
      case IdemLookup::kInFlight:
        return false;
      case IdemLookup::kMisuse:
        pending->done(absl::InvalidArgumentError(absl::StrCat(
            "request_id '", pending->request_id, "' was already used for a different request")));
        return false;
      case IdemLookup::kReplay:
        pending->done(std::move(replay));
        return false;
      case IdemLookup::kFull:
        break;
    }
    const std::string why =
        absl::StrCat("idempotency.max_records: ", options_.max_idempotency_records,
                     " request ids are recorded and not yet expired (idempotency.ttl ",
                     options_.idempotency_ttl_ms / 1000,
                     "s); a new request_id is refused until older ones "
                     "expire (a replay of a recorded one still answers)");
    if (!idem_full_.exchange(true)) {
      Log(log::Level::kWarn, absl::StrCat(why, "; refused request_id '", pending->request_id, "'"));
    }
    pending->done(absl::ResourceExhaustedError(why));
    return false;
  }

  // Finishes a mutation: records the idempotent result, announces changes, answers.
  void Complete(const std::shared_ptr<Pending>& pending,
                const std::shared_ptr<const MutationRecord>& record, absl::Status status) {
    std::vector<Done> waiters;
    if (!pending->request_id.empty()) {
      IdemStripe& stripe =
          idem_stripes_[absl::Hash<std::string>{}(pending->request_id) % kIdemStripes];
      absl::MutexLock lock(&stripe.mu);
      auto it = stripe.entries.find(pending->request_id);
      if (it != stripe.entries.end()) {
        waiters = std::move(it->second.waiters);
        if (status.ok()) {
          it->second.done = true;
          // An OK completion always comes with its record (Seal); the fallback keeps a
          // replay answerable should that ever change.
          it->second.record =
              record && record->idempotency
                  ? record->idempotency
                  : std::make_shared<const IdempotencyRecord>(
                        IdempotencyRecord{pending->request_id, pending->fingerprint,
                                          pending->outcome, NowMs() + options_.idempotency_ttl_ms});
          stripe.expiry.emplace_back(it->second.record->expires_ms, pending->request_id);
        } else if (!it->second.done) {
          stripe.entries.erase(it);  // failed calls are not recorded
          idem_records_.fetch_sub(1, std::memory_order_relaxed);
        }
      }
    }
    if (status.ok()) {
      if (record && !record->changes.empty()) {
        for (ChangeListener* l : listeners_) l->OnPublishedChanges(record->changes);
      }
      for (Done& w : waiters) w(pending->outcome);
      pending->done(std::move(pending->outcome));
    } else {
      for (Done& w : waiters) w(status);
      pending->done(status);
    }
  }

  // ------------------------------------------------------------ sealing

  // Recomputes published quantities of the touched SKUs, builds the record and the audit
  // entry, and hands the record to the journal. Called with every touched lock held.
  std::shared_ptr<const MutationRecord> Seal(
      Change& change, const CommandMeta& meta, const char* operation,
      const std::shared_ptr<Pending>& pending) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    auto record = std::make_shared<MutationRecord>();
    const int64_t now = NowMs();
    record->sequence = mutations_.fetch_add(1) + 1;

    auto audit_entry = std::make_shared<AuditEntry>();
    record->audit = audit_entry;
    AuditEntry& audit = *audit_entry;
    audit.sequence = record->sequence;
    audit.time_ms = now;
    audit.actor = meta.actor;
    audit.operation = operation;
    audit.request_id = meta.request_id;
    audit.channel = change.channel;
    audit.reason = change.reason;

    // Every SKU the mutation touched, once, in first-touch order: its published
    // quantities are recomputed below.
    std::vector<SkuState*> skus;
    FirstSeen<const SkuState*> seen;
    audit.before.reserve(change.rows.size());
    audit.after.reserve(change.rows.size());
    for (const Touched& t : change.rows) {
      if (!t.sku->present[t.location]) {
        t.sku->present[t.location] = true;
        rows_.fetch_add(1);
      }
      audit.before.push_back({t.sku->sku, model_.locations[t.location].id, t.before});
      audit.after.push_back(View(*t.sku, t.location));
      if (seen.Add(t.sku) == skus.size()) skus.push_back(t.sku);
    }

    for (SkuState* s : skus) {
      for (size_t c = 0; c < model_.channels.size(); ++c) {
        int64_t reservable = Reservable(model_, *s->policies, static_cast<int>(c), s->rows);
        int64_t published = Publish(s->policies->channels[c], reservable);
        if (published != s->published[c]) {
          record->changes.push_back(
              {model_.channels[c].id, s->sku, s->published[c], published, reservable, now});
          s->published[c] = published;
        }
      }
    }
    if (change.hold != nullptr) {
      audit.hold_id = change.hold->view.hold_id;
      record->holds.push_back(change.hold->view);
    }
    if (!meta.request_id.empty()) {
      record->idempotency = std::make_shared<const IdempotencyRecord>(
          IdempotencyRecord{meta.request_id, pending->fingerprint, pending->outcome,
                            now + options_.idempotency_ttl_ms});
    }
    if (audit_per_shard_ > 0 && !skus.empty()) {
      Shard& shard = ShardFor(skus.front()->sku);
      shard.audit.push_back(record->audit);
      while (shard.audit.size() > audit_per_shard_) shard.audit.pop_front();
    }
    if (options_.journal != nullptr) {
      options_.journal->Append(record, [this, pending, record](absl::Status st) {
        Complete(pending, record, std::move(st));
      });
    }
    return record;
  }

  // Hold helpers; callers hold the stripe lock (and the SKU locks where they touch rows).
  absl::Status RequireState(const HoldRec& h, HoldState want, const char* op) const;
  absl::StatusOr<HoldRec*> FindHold(HoldStripe& stripe, const std::string& id);
  std::vector<Shard*> ShardsForHold(const HoldRec& h);
  SkuState* HoldSku(const Line& line);
  void Resolve(HoldStripe& stripe, HoldRec& h, HoldState state);
  absl::StatusOr<std::shared_ptr<const MutationRecord>> ReleaseHeld(
      const std::string& hold_id, HoldState final_state, const CommandMeta& meta,
      const std::shared_ptr<Pending>& p);

  // Validates the hold id, locks the hold's stripe, finds it, checks it is in `want`
  // state, locks its SKUs' shards, then runs `fn(stripe, hold)`.
  template <typename Fn>
  absl::StatusOr<std::shared_ptr<const MutationRecord>> WithHold(const std::string& id,
                                                                 HoldState want, const char* op,
                                                                 Fn&& fn);

  // One per command type; defined below.
  absl::StatusOr<std::shared_ptr<const MutationRecord>> Apply(ReserveCmd& cmd,
                                                              const CommandMeta& meta,
                                                              const std::shared_ptr<Pending>& p);
  absl::StatusOr<std::shared_ptr<const MutationRecord>> Apply(ExtendCmd& cmd,
                                                              const CommandMeta& meta,
                                                              const std::shared_ptr<Pending>& p);
  absl::StatusOr<std::shared_ptr<const MutationRecord>> Apply(CommitCmd& cmd,
                                                              const CommandMeta& meta,
                                                              const std::shared_ptr<Pending>& p);
  absl::StatusOr<std::shared_ptr<const MutationRecord>> Apply(ReleaseCmd& cmd,
                                                              const CommandMeta& meta,
                                                              const std::shared_ptr<Pending>& p);
  absl::StatusOr<std::shared_ptr<const MutationRecord>> Apply(FulfillCmd& cmd,
                                                              const CommandMeta& meta,
                                                              const std::shared_ptr<Pending>& p);
  absl::StatusOr<std::shared_ptr<const MutationRecord>> Apply(CancelCmd& cmd,
                                                              const CommandMeta& meta,
                                                              const std::shared_ptr<Pending>& p);
  absl::StatusOr<std::shared_ptr<const MutationRecord>> Apply(ExpireCmd& cmd,
                                                              const CommandMeta& meta,
                                                              const std::shared_ptr<Pending>& p);
  absl::StatusOr<std::shared_ptr<const MutationRecord>> Apply(SellCmd& cmd, const CommandMeta& meta,
                                                              const std::shared_ptr<Pending>& p);
  absl::StatusOr<std::shared_ptr<const MutationRecord>> Apply(AdjustCmd& cmd,
                                                              const CommandMeta& meta,
                                                              const std::shared_ptr<Pending>& p);
  absl::StatusOr<std::shared_ptr<const MutationRecord>> Apply(CountCmd& cmd,
                                                              const CommandMeta& meta,
                                                              const std::shared_ptr<Pending>& p);
  absl::StatusOr<std::shared_ptr<const MutationRecord>> Apply(TransferCmd& cmd,
                                                              const CommandMeta& meta,
                                                              const std::shared_ptr<Pending>& p);

  const Model model_;
  EngineOptions options_;
  SystemClock system_clock_;
  std::vector<ChangeListener*> listeners_;  // set before serving, then read-only

  std::vector<Shard> shards_;
  std::array<HoldStripe, kHoldStripes> hold_stripes_;
  std::array<IdemStripe, kIdemStripes> idem_stripes_;
  size_t audit_per_shard_ = 0;

  std::shared_ptr<const PolicySet> base_policies_;
  absl::Mutex policy_mu_;
  std::map<std::vector<int>, std::shared_ptr<const PolicySet>> policy_cache_
      ABSL_GUARDED_BY(policy_mu_);

  std::string hold_prefix_;
  std::atomic<uint64_t> hold_counter_{0};
  std::atomic<bool> writable_{true};
  absl::Mutex gate_mu_;
  std::string gate_reason_ ABSL_GUARDED_BY(gate_mu_);
  std::atomic<int64_t> skus_{0}, rows_{0}, open_holds_{0}, mutations_{0}, breaches_{0}, expired_{0};
  std::atomic<int64_t> idem_records_{0};  // entries of idem_stripes_ (max_idempotency_records)
  std::atomic<bool> idem_full_{false};    // a refusal was logged; re-armed below 90%
};

}  // namespace stockd::engine

namespace stockd::engine {
namespace {

using RecordOr = absl::StatusOr<std::shared_ptr<const MutationRecord>>;

absl::Status CheckLines(const std::vector<Line>& lines, size_t max_lines, bool required) {
  if (lines.empty() && required)
    return absl::InvalidArgumentError("lines: at least one line required");
  if (lines.size() > max_lines) {
    return absl::InvalidArgumentError(
        absl::StrCat("lines: ", lines.size(), " lines, at most ", max_lines, " per call"));
  }
  auto where = [](size_t i) { return absl::StrCat("lines[", i, "]"); };  // errors only
  // Duplicate SKUs (a pairwise scan was a third of a 100-line Reserve's engine time).
  FirstSeen<absl::string_view> seen;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (!IsValidId(lines[i].sku)) return InvalidId(where(i) + ".sku", lines[i].sku);
    if (lines[i].qty <= 0 || lines[i].qty > kMaxQuantity) {
      if (absl::Status st = CheckQty(where(i) + ".qty", lines[i].qty); !st.ok()) return st;
    }
    // Every line before i was new (a duplicate returns), so a new SKU gets position i.
    if (const size_t first = seen.Add(lines[i].sku); first != i) {
      return absl::InvalidArgumentError(
          absl::StrCat(where(i), ": sku '", lines[i].sku, "' already in lines[", first, "]"));
    }
  }
  return absl::OkStatus();
}

// Index of the hold line for `sku`, or -1.
int FindLine(const HoldView& v, const std::string& sku) {
  for (size_t i = 0; i < v.lines.size(); ++i) {
    if (v.lines[i].sku == sku) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace

// ---------------------------------------------------------------- hold helpers

absl::Status Engine::Impl::RequireState(const HoldRec& h, HoldState want, const char* op) const {
  if (h.view.state != want) {
    return absl::FailedPreconditionError(absl::StrCat("hold '", h.view.hold_id, "' is ",
                                                      HoldStateName(h.view.state), "; ", op,
                                                      " needs a ", HoldStateName(want), " hold"));
  }
  if (want == HoldState::kHeld && h.view.deadline_ms <= NowMs()) {
    return absl::FailedPreconditionError(
        absl::StrCat("hold '", h.view.hold_id, "' expired at ", h.view.deadline_ms, " ms"));
  }
  return absl::OkStatus();
}

absl::StatusOr<HoldRec*> Engine::Impl::FindHold(HoldStripe& stripe, const std::string& id) {
  auto it = stripe.holds.find(id);
  if (it == stripe.holds.end()) return UnknownHold(id);
  return it->second.get();
}

std::vector<Shard*> Engine::Impl::ShardsForHold(const HoldRec& h) {
  std::vector<absl::string_view> skus;
  for (const Line& l : h.view.lines) skus.push_back(l.sku);
  return ShardsFor(skus);
}

SkuState* Engine::Impl::HoldSku(const Line& line) {
  SkuState* s = FindSku(ShardFor(line.sku), line.sku);
  // SKUs are never deleted and a hold only names SKUs that existed when it was made.
  if (s == nullptr) std::abort();
  return s;
}

void Engine::Impl::Resolve(HoldStripe& stripe, HoldRec& h, HoldState state) {
  const int64_t now = NowMs();
  h.view.state = state;
  h.view.deadline_ms = 0;
  h.view.updated_ms = now;
  if (!IsOpen(state)) {
    stripe.resolved.emplace_back(now, h.view.hold_id);
    open_holds_.fetch_sub(1);
  }
}

template <typename Fn>
RecordOr Engine::Impl::WithHold(const std::string& id, HoldState want, const char* op, Fn&& fn) {
  if (absl::Status st = CheckHoldId(id); !st.ok()) return st;
  HoldStripe& stripe = StripeFor(id);
  absl::MutexLock hold_lock(&stripe.mu);
  absl::StatusOr<HoldRec*> h = FindHold(stripe, id);
  if (!h.ok()) return h.status();
  if (absl::Status st = RequireState(**h, want, op); !st.ok()) return st;
  ShardLocks locks;
  locks.LockSorted(ShardsForHold(**h));
  return fn(stripe, **h);
}

// ---------------------------------------------------------------- apply

RecordOr Engine::Impl::Apply(ReserveCmd& cmd, const CommandMeta& meta,
                             const std::shared_ptr<Pending>& p) {
  absl::StatusOr<int> channel = ResolveChannel(cmd.channel);
  if (!channel.ok()) return channel.status();
  const int c = *channel;
  if (absl::Status st = CheckLines(cmd.lines, options_.max_lines, true); !st.ok()) return st;
  std::vector<int> wanted(cmd.lines.size(), -1);
  std::vector<absl::string_view> skus;
  for (size_t i = 0; i < cmd.lines.size(); ++i) {
    skus.push_back(cmd.lines[i].sku);
    if (cmd.lines[i].location.empty()) continue;
    absl::StatusOr<int> l = ResolveLocation(cmd.lines[i].location);
    if (!l.ok()) return l.status();
    if (!IsSource(c, *l)) return NotASource(c, *l);
    wanted[i] = *l;
  }
  absl::StatusOr<int64_t> ttl = ResolveTtl(cmd.ttl_ms);
  if (!ttl.ok()) return ttl.status();
  if (absl::Status st = CheckText("reference", cmd.reference); !st.ok()) return st;

  const std::string id = absl::StrCat(hold_prefix_, hold_counter_.fetch_add(1) + 1);
  HoldStripe& stripe = StripeFor(id);
  absl::MutexLock hold_lock(&stripe.mu);
  ShardLocks locks;
  locks.LockSorted(ShardsFor(skus));

  std::vector<SkuState*> states(cmd.lines.size());
  std::vector<int> chosen(cmd.lines.size(), -1);
  for (size_t i = 0; i < cmd.lines.size(); ++i) {
    const Line& line = cmd.lines[i];
    SkuState* s = FindSku(ShardFor(line.sku), line.sku);
    if (s == nullptr) return UnknownSku(line.sku);
    states[i] = s;
    const PolicySet& ps = *s->policies;
    if (wanted[i] >= 0) {
      int64_t avail = Avail(ps, c, wanted[i], s->rows[wanted[i]]);
      if (avail < line.qty) {
        return absl::FailedPreconditionError(
            absl::StrCat("sku '", line.sku, "': channel '", cmd.channel, "' may take ", avail,
                         " at '", model_.locations[wanted[i]].id, "', asked ", line.qty));
      }
      chosen[i] = wanted[i];
      continue;
    }
    for (int l : model_.channels[c].sources) {
      if (Avail(ps, c, l, s->rows[l]) >= line.qty) {
        chosen[i] = l;
        break;
      }
    }
    if (chosen[i] < 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          "sku '", line.sku, "': no source of channel '", cmd.channel, "' has ", line.qty,
          " available (reservable ", Reservable(model_, ps, c, s->rows), " in total)"));
    }
  }

  const int64_t now = NowMs();
  auto rec = std::make_unique<HoldRec>();
  rec->channel = c;
  HoldView& v = rec->view;
  v.hold_id = id;
  v.channel = cmd.channel;
  v.state = HoldState::kHeld;
  v.created_ms = v.updated_ms = now;
  v.deadline_ms = now + *ttl;
  v.reference = cmd.reference;
  Change change;
  change.channel = cmd.channel;
  change.reason = cmd.reference;
  for (size_t i = 0; i < cmd.lines.size(); ++i) {
    change.Touch(states[i], chosen[i]);
    states[i]->rows[chosen[i]].held += cmd.lines[i].qty;
    // The command is spent: its SKU strings move into the hold (`skus` is not used again).
    v.lines.push_back({std::move(cmd.lines[i].sku), model_.locations[chosen[i]].id,
                       cmd.lines[i].qty, 0});
    rec->locations.push_back(chosen[i]);
  }
  HoldRec* raw = rec.get();
  stripe.deadlines.emplace(v.deadline_ms, id);  // priority_queue::emplace
  stripe.holds.emplace(id, std::move(rec));
  open_holds_.fetch_add(1);
  change.hold = raw;
  p->outcome.hold = raw->view;
  return Seal(change, meta, "reserve", p);
}

RecordOr Engine::Impl::Apply(ExtendCmd& cmd, const CommandMeta& meta,
                             const std::shared_ptr<Pending>& p) {
  absl::StatusOr<int64_t> ttl = ResolveTtl(cmd.ttl_ms);
  if (!ttl.ok()) return ttl.status();
  return WithHold(cmd.hold_id, HoldState::kHeld, "extend",
                  [&](HoldStripe& stripe, HoldRec& hold) -> RecordOr {
                    Change change;
                    change.channel = hold.view.channel;
                    for (size_t i = 0; i < hold.view.lines.size(); ++i) {
                      change.Touch(HoldSku(hold.view.lines[i]), hold.locations[i]);
                    }
                    const int64_t now = NowMs();
                    hold.view.deadline_ms = now + *ttl;
                    hold.view.updated_ms = now;
                    stripe.deadlines.emplace(hold.view.deadline_ms, hold.view.hold_id);
                    change.reason = absl::StrCat("ttl_ms=", *ttl);
                    change.hold = &hold;
                    p->outcome.hold = hold.view;
                    return Seal(change, meta, "extend", p);
                  });
}

RecordOr Engine::Impl::Apply(CommitCmd& cmd, const CommandMeta& meta,
                             const std::shared_ptr<Pending>& p) {
  if (absl::Status st = CheckLines(cmd.lines, options_.max_lines, false); !st.ok()) return st;
  return WithHold(
      cmd.hold_id, HoldState::kHeld, "commit", [&](HoldStripe& stripe, HoldRec& hold) -> RecordOr {
        std::vector<int64_t> commit(hold.view.lines.size(), 0);
        if (cmd.lines.empty()) {
          for (size_t i = 0; i < commit.size(); ++i) commit[i] = hold.view.lines[i].qty;
        }
        for (size_t i = 0; i < cmd.lines.size(); ++i) {
          int at = FindLine(hold.view, cmd.lines[i].sku);
          if (at < 0) {
            return absl::InvalidArgumentError(absl::StrCat(
                "lines[", i, "].sku: '", cmd.lines[i].sku, "' is not in hold '", cmd.hold_id, "'"));
          }
          if (cmd.lines[i].qty > hold.view.lines[at].qty) {
            return absl::InvalidArgumentError(absl::StrCat("lines[", i, "].qty: ", cmd.lines[i].qty,
                                                           " exceeds the ", hold.view.lines[at].qty,
                                                           " held of '", cmd.lines[i].sku, "'"));
          }
          commit[at] = cmd.lines[i].qty;
        }

        Change change;
        change.channel = hold.view.channel;
        std::vector<Line> lines;
        std::vector<int> locations;
        for (size_t i = 0; i < hold.view.lines.size(); ++i) {
          const Line& line = hold.view.lines[i];
          SkuState* s = HoldSku(line);
          change.Touch(s, hold.locations[i]);
          Counters& row = s->rows[hold.locations[i]];
          row.held -= line.qty;
          row.committed += commit[i];
          if (commit[i] > 0) {
            lines.push_back({line.sku, line.location, commit[i], 0});
            locations.push_back(hold.locations[i]);
          }
        }
        hold.view.lines = std::move(lines);
        hold.locations = std::move(locations);
        Resolve(stripe, hold, HoldState::kCommitted);
        change.hold = &hold;
        p->outcome.hold = hold.view;
        return Seal(change, meta, "commit", p);
      });
}

RecordOr Engine::Impl::ReleaseHeld(const std::string& hold_id, HoldState final_state,
                                   const CommandMeta& meta, const std::shared_ptr<Pending>& p) {
  if (absl::Status st = CheckHoldId(hold_id); !st.ok()) return st;
  HoldStripe& stripe = StripeFor(hold_id);
  absl::MutexLock hold_lock(&stripe.mu);
  absl::StatusOr<HoldRec*> h = FindHold(stripe, hold_id);
  if (!h.ok()) return h.status();
  HoldRec& hold = **h;
  if (final_state == HoldState::kExpired) {
    if (hold.view.state != HoldState::kHeld || hold.view.deadline_ms > NowMs()) {
      return absl::FailedPreconditionError(absl::StrCat("hold '", hold_id, "' is not due"));
    }
  } else if (absl::Status st = RequireState(hold, HoldState::kHeld, "release"); !st.ok()) {
    return st;
  }
  ShardLocks locks;
  locks.LockSorted(ShardsForHold(hold));
  Change change;
  change.channel = hold.view.channel;
  for (size_t i = 0; i < hold.view.lines.size(); ++i) {
    SkuState* s = HoldSku(hold.view.lines[i]);
    change.Touch(s, hold.locations[i]);
    s->rows[hold.locations[i]].held -= hold.view.lines[i].qty;
  }
  Resolve(stripe, hold, final_state);
  if (final_state == HoldState::kExpired) expired_.fetch_add(1);
  change.hold = &hold;
  p->outcome.hold = hold.view;
  return Seal(change, meta, final_state == HoldState::kExpired ? "expire" : "release", p);
}

RecordOr Engine::Impl::Apply(ReleaseCmd& cmd, const CommandMeta& meta,
                             const std::shared_ptr<Pending>& p) {
  return ReleaseHeld(cmd.hold_id, HoldState::kReleased, meta, p);
}

RecordOr Engine::Impl::Apply(ExpireCmd& cmd, const CommandMeta& meta,
                             const std::shared_ptr<Pending>& p) {
  return ReleaseHeld(cmd.hold_id, HoldState::kExpired, meta, p);
}

RecordOr Engine::Impl::Apply(FulfillCmd& cmd, const CommandMeta& meta,
                             const std::shared_ptr<Pending>& p) {
  if (absl::Status st = CheckLines(cmd.lines, options_.max_lines, false); !st.ok()) return st;
  return WithHold(
      cmd.hold_id, HoldState::kCommitted, "fulfill",
      [&](HoldStripe& stripe, HoldRec& hold) -> RecordOr {
        std::vector<int64_t> take(hold.view.lines.size(), 0);
        if (cmd.lines.empty()) {
          for (size_t i = 0; i < take.size(); ++i) {
            take[i] = hold.view.lines[i].qty - hold.view.lines[i].fulfilled;
          }
        }
        for (size_t i = 0; i < cmd.lines.size(); ++i) {
          int at = FindLine(hold.view, cmd.lines[i].sku);
          if (at < 0) {
            return absl::InvalidArgumentError(absl::StrCat(
                "lines[", i, "].sku: '", cmd.lines[i].sku, "' is not in hold '", cmd.hold_id, "'"));
          }
          int64_t open = hold.view.lines[at].qty - hold.view.lines[at].fulfilled;
          if (cmd.lines[i].qty > open) {
            return absl::InvalidArgumentError(
                absl::StrCat("lines[", i, "].qty: ", cmd.lines[i].qty, " exceeds the ", open,
                             " committed of '", cmd.lines[i].sku, "' not yet fulfilled"));
          }
          take[at] = cmd.lines[i].qty;
        }

        for (size_t i = 0; i < hold.view.lines.size(); ++i) {
          const Counters& row = HoldSku(hold.view.lines[i])->rows[hold.locations[i]];
          if (row.on_hand < take[i]) {
            return absl::FailedPreconditionError(absl::StrCat(
                "sku '", hold.view.lines[i].sku, "' at '", hold.view.lines[i].location,
                "': on_hand ", row.on_hand, " < ", take[i], " to fulfil; record a Count first"));
          }
        }
        Change change;
        change.channel = hold.view.channel;
        bool all_done = true;
        for (size_t i = 0; i < hold.view.lines.size(); ++i) {
          Line& line = hold.view.lines[i];
          SkuState* s = HoldSku(line);
          change.Touch(s, hold.locations[i]);
          Counters& row = s->rows[hold.locations[i]];
          row.committed -= take[i];
          row.on_hand -= take[i];
          line.fulfilled += take[i];
          if (line.fulfilled < line.qty) all_done = false;
        }
        if (all_done) {
          Resolve(stripe, hold, HoldState::kFulfilled);
        } else {
          hold.view.updated_ms = NowMs();
        }
        change.hold = &hold;
        p->outcome.hold = hold.view;
        return Seal(change, meta, "fulfill", p);
      });
}

RecordOr Engine::Impl::Apply(CancelCmd& cmd, const CommandMeta& meta,
                             const std::shared_ptr<Pending>& p) {
  return WithHold(cmd.hold_id, HoldState::kCommitted, "cancel",
                  [&](HoldStripe& stripe, HoldRec& hold) -> RecordOr {
                    Change change;
                    change.channel = hold.view.channel;
                    for (size_t i = 0; i < hold.view.lines.size(); ++i) {
                      const Line& line = hold.view.lines[i];
                      SkuState* s = HoldSku(line);
                      change.Touch(s, hold.locations[i]);
                      s->rows[hold.locations[i]].committed -= line.qty - line.fulfilled;
                    }
                    Resolve(stripe, hold, HoldState::kCancelled);
                    change.hold = &hold;
                    p->outcome.hold = hold.view;
                    return Seal(change, meta, "cancel", p);
                  });
}

RecordOr Engine::Impl::Apply(SellCmd& cmd, const CommandMeta& meta,
                             const std::shared_ptr<Pending>& p) {
  absl::StatusOr<int> channel = ResolveChannel(cmd.channel);
  if (!channel.ok()) return channel.status();
  absl::StatusOr<int> location = ResolveLocation(cmd.location);
  if (!location.ok()) return location.status();
  const int c = *channel, l = *location;
  if (!IsValidId(cmd.sku)) return InvalidId("sku", cmd.sku);
  if (absl::Status st = CheckQty("qty", cmd.qty); !st.ok()) return st;
  if (absl::Status st = CheckText("reference", cmd.reference); !st.ok()) return st;
  if (!IsSource(c, l)) return NotASource(c, l);

  Shard& shard = ShardFor(cmd.sku);
  absl::MutexLock lock(&shard.mu);
  SkuState* s = FindSku(shard, cmd.sku);
  if (s == nullptr) return UnknownSku(cmd.sku);
  Counters& row = s->rows[l];
  const int64_t avail = Avail(*s->policies, c, l, row);
  if (cmd.qty > avail && !cmd.override_limit) {
    return absl::FailedPreconditionError(
        absl::StrCat("sku '", cmd.sku, "': channel '", cmd.channel, "' may sell ", avail, " at '",
                     cmd.location, "' (free ", row.free(), ", protected for other channels ",
                     ProtectedByOthers(*s->policies, c, l), "), asked ", cmd.qty,
                     "; set override to record a physical sale"));
  }
  if (cmd.qty > row.on_hand) {
    return absl::FailedPreconditionError(absl::StrCat("sku '", cmd.sku, "': only ", row.on_hand,
                                                      " on hand at '", cmd.location, "', sold ",
                                                      cmd.qty, "; record a Count first"));
  }
  Change change;
  change.channel = cmd.channel;
  change.Touch(s, l);
  row.on_hand -= cmd.qty;
  change.reason = cmd.reference;
  if (cmd.qty > avail) {
    p->outcome.breach = true;
    p->outcome.breach_units = cmd.qty - avail;
    breaches_.fetch_add(1);
    change.reason = absl::StrCat("BREACH: ", cmd.qty - avail, " units beyond avail ", avail,
                                 cmd.reference.empty() ? "" : "; ", cmd.reference);
  }
  p->outcome.before.push_back({cmd.sku, cmd.location, change.rows[0].before});
  p->outcome.after.push_back(View(*s, l));
  return Seal(change, meta, "sell", p);
}

RecordOr Engine::Impl::Apply(AdjustCmd& cmd, const CommandMeta& meta,
                             const std::shared_ptr<Pending>& p) {
  absl::StatusOr<int> location = ResolveLocation(cmd.location);
  if (!location.ok()) return location.status();
  const int l = *location;
  if (!IsValidId(cmd.sku)) return InvalidId("sku", cmd.sku);
  if (cmd.delta == 0) return absl::InvalidArgumentError("delta must be != 0");
  if (cmd.delta > kMaxQuantity || cmd.delta < -kMaxQuantity) {
    return absl::InvalidArgumentError(absl::StrCat("delta: |", cmd.delta, "| > ", kMaxQuantity));
  }
  switch (cmd.reason) {
    case AdjustReason::kUnspecified:
      return absl::InvalidArgumentError(
          "reason: required (receipt, return, damage, shrinkage or correction)");
    case AdjustReason::kReceipt:
    case AdjustReason::kReturn:
      if (cmd.delta < 0) {
        return absl::InvalidArgumentError(absl::StrCat("delta: a ", AdjustReasonName(cmd.reason),
                                                       " adds stock, got ", cmd.delta));
      }
      break;
    case AdjustReason::kDamage:
    case AdjustReason::kShrinkage:
      if (cmd.delta > 0) {
        return absl::InvalidArgumentError(absl::StrCat("delta: ", AdjustReasonName(cmd.reason),
                                                       " removes stock, got +", cmd.delta));
      }
      break;
    case AdjustReason::kCorrection:
      break;
  }
  if (absl::Status st = CheckText("note", cmd.note); !st.ok()) return st;

  Shard& shard = ShardFor(cmd.sku);
  absl::MutexLock lock(&shard.mu);
  SkuState* s = FindSku(shard, cmd.sku);
  const int64_t current = s ? s->rows[l].on_hand : 0;
  if (s == nullptr && cmd.delta < 0) return UnknownSku(cmd.sku);
  if (current + cmd.delta < 0) {
    return absl::FailedPreconditionError(absl::StrCat("sku '", cmd.sku, "': on_hand at '",
                                                      cmd.location, "' is ", current, "; delta ",
                                                      cmd.delta, " would take it below 0"));
  }
  if (current + cmd.delta > kMaxQuantity) {
    return absl::FailedPreconditionError(absl::StrCat("on_hand would exceed ", kMaxQuantity));
  }
  if (s == nullptr) s = FindOrCreateSku(shard, cmd.sku);
  Change change;
  change.Touch(s, l);
  s->rows[l].on_hand += cmd.delta;
  change.reason =
      absl::StrCat(AdjustReasonName(cmd.reason), cmd.note.empty() ? "" : ": ", cmd.note);
  p->outcome.before.push_back({cmd.sku, cmd.location, change.rows[0].before});
  p->outcome.after.push_back(View(*s, l));
  return Seal(change, meta, "adjust", p);
}

RecordOr Engine::Impl::Apply(CountCmd& cmd, const CommandMeta& meta,
                             const std::shared_ptr<Pending>& p) {
  absl::StatusOr<int> location = ResolveLocation(cmd.location);
  if (!location.ok()) return location.status();
  const int l = *location;
  if (!IsValidId(cmd.sku)) return InvalidId("sku", cmd.sku);
  if (cmd.on_hand < 0 || cmd.on_hand > kMaxQuantity) {
    return absl::InvalidArgumentError(
        absl::StrCat("on_hand must be within 0..", kMaxQuantity, ", got ", cmd.on_hand));
  }
  if (cmd.expected && (*cmd.expected < 0 || *cmd.expected > kMaxQuantity)) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected must be within 0..", kMaxQuantity, ", got ", *cmd.expected));
  }
  if (absl::Status st = CheckText("note", cmd.note); !st.ok()) return st;

  Shard& shard = ShardFor(cmd.sku);
  absl::MutexLock lock(&shard.mu);
  SkuState* s = FindSku(shard, cmd.sku);
  const int64_t current = s ? s->rows[l].on_hand : 0;
  if (cmd.expected && *cmd.expected != current) {
    return absl::AbortedError(absl::StrCat("sku '", cmd.sku, "': on_hand at '", cmd.location,
                                           "' is ", current, ", expected ", *cmd.expected));
  }
  if (s == nullptr) s = FindOrCreateSku(shard, cmd.sku);
  Change change;
  change.Touch(s, l);
  s->rows[l].on_hand = cmd.on_hand;
  change.reason = absl::StrCat("count", cmd.note.empty() ? "" : ": ", cmd.note);
  p->outcome.before.push_back({cmd.sku, cmd.location, change.rows[0].before});
  p->outcome.after.push_back(View(*s, l));
  return Seal(change, meta, "count", p);
}

RecordOr Engine::Impl::Apply(TransferCmd& cmd, const CommandMeta& meta,
                             const std::shared_ptr<Pending>& p) {
  absl::StatusOr<int> from = ResolveLocation(cmd.from_location);
  if (!from.ok()) return from.status();
  absl::StatusOr<int> to = ResolveLocation(cmd.to_location);
  if (!to.ok()) return to.status();
  if (*from == *to) return absl::InvalidArgumentError("to_location must differ from from_location");
  if (!IsValidId(cmd.sku)) return InvalidId("sku", cmd.sku);
  if (absl::Status st = CheckQty("qty", cmd.qty); !st.ok()) return st;
  if (absl::Status st = CheckText("note", cmd.note); !st.ok()) return st;

  Shard& shard = ShardFor(cmd.sku);
  absl::MutexLock lock(&shard.mu);
  SkuState* s = FindSku(shard, cmd.sku);
  if (s == nullptr) return UnknownSku(cmd.sku);
  if (s->rows[*from].free() < cmd.qty) {
    return absl::FailedPreconditionError(
        absl::StrCat("sku '", cmd.sku, "': only ", std::max<int64_t>(0, s->rows[*from].free()),
                     " free at '", cmd.from_location, "', asked ", cmd.qty));
  }
  if (s->rows[*to].on_hand + cmd.qty > kMaxQuantity) {
    return absl::FailedPreconditionError(absl::StrCat("on_hand would exceed ", kMaxQuantity));
  }
  Change change;
  change.Touch(s, *from);
  change.Touch(s, *to);
  s->rows[*from].on_hand -= cmd.qty;
  s->rows[*to].on_hand += cmd.qty;
  change.reason = absl::StrCat("transfer ", cmd.from_location, " -> ", cmd.to_location,
                               cmd.note.empty() ? "" : ": ", cmd.note);
  p->outcome.before = {{cmd.sku, cmd.from_location, change.rows[0].before},
                       {cmd.sku, cmd.to_location, change.rows[1].before}};
  p->outcome.after = {View(*s, *from), View(*s, *to)};
  return Seal(change, meta, "transfer", p);
}

// ---------------------------------------------------------------- restore

absl::Status Engine::Impl::Restore(const Snapshot& snap, const std::function<void()>& while_locked)
    ABSL_NO_THREAD_SAFETY_ANALYSIS {
  // Build the new state off-lock; swap it in under every lock.
  std::vector<absl::flat_hash_map<std::string, std::unique_ptr<SkuState>>> skus(shards_.size());
  int64_t num_rows = 0;
  auto sku_state = [&](const std::string& sku) -> SkuState* {
    auto& slot = skus[ShardIndex(sku)][sku];
    if (!slot) {
      slot = std::make_unique<SkuState>();
      slot->sku = sku;
      slot->policies = PoliciesFor(sku);
      slot->rows.assign(model_.locations.size(), Counters{});
      slot->present.assign(model_.locations.size(), false);
      slot->published.assign(model_.channels.size(), 0);
    }
    return slot.get();
  };
  for (const RowView& row : snap.rows) {
    int l = model_.LocationIndex(row.location);
    if (l < 0) {
      if (row.counters == Counters{}) continue;  // an empty row of a removed location
      return absl::FailedPreconditionError(
          absl::StrCat("stored stock of '", row.sku, "' at location '", row.location, "' (on_hand ",
                       row.counters.on_hand, ") but the config has no such location"));
    }
    if (!IsValidId(row.sku)) return absl::FailedPreconditionError("stored row with invalid sku");
    SkuState* s = sku_state(row.sku);
    s->rows[l] = row.counters;
    if (!s->present[l]) ++num_rows;
    s->present[l] = true;
  }

  std::array<absl::flat_hash_map<std::string, std::unique_ptr<HoldRec>>, kHoldStripes> holds;
  std::array<std::vector<std::pair<int64_t, std::string>>, kHoldStripes> deadlines, resolved;
  // From the open holds; the keys point into `snap`, which outlives the map.
  absl::flat_hash_map<std::pair<absl::string_view, int>, Counters> sums;
  int64_t open = 0;
  for (const HoldView& v : snap.holds) {
    auto rec = std::make_unique<HoldRec>();
    rec->view = v;
    rec->channel = model_.ChannelIndex(v.channel);
    if (rec->channel < 0 && IsOpen(v.state)) {
      return absl::FailedPreconditionError(absl::StrCat("stored open hold '", v.hold_id,
                                                        "' on channel '", v.channel,
                                                        "' but the config has no such channel"));
    }
    for (const Line& line : v.lines) {
      int l = model_.LocationIndex(line.location);
      if (l < 0 && IsOpen(v.state)) {
        return absl::FailedPreconditionError(absl::StrCat(
            "stored open hold '", v.hold_id, "' at unknown location '", line.location, "'"));
      }
      rec->locations.push_back(l);
      if (v.state == HoldState::kHeld) sums[{line.sku, l}].held += line.qty;
      if (v.state == HoldState::kCommitted) {
        sums[{line.sku, l}].committed += line.qty - line.fulfilled;
      }
    }
    const size_t stripe = absl::Hash<absl::string_view>{}(v.hold_id) % kHoldStripes;
    if (v.state == HoldState::kHeld) deadlines[stripe].emplace_back(v.deadline_ms, v.hold_id);
    if (!IsOpen(v.state)) resolved[stripe].emplace_back(v.updated_ms, v.hold_id);
    if (IsOpen(v.state)) ++open;
    holds[stripe][v.hold_id] = std::move(rec);
  }
  // held/committed must equal the open holds exactly: they were written atomically.
  for (auto& shard : skus) {
    for (auto& [sku, s] : shard) {
      for (size_t l = 0; l < s->rows.size(); ++l) {
        auto it = sums.find({sku, static_cast<int>(l)});
        Counters want = it == sums.end() ? Counters{} : it->second;
        if (it != sums.end()) sums.erase(it);
        if (s->rows[l].held != want.held || s->rows[l].committed != want.committed) {
          return absl::FailedPreconditionError(
              absl::StrCat("stored counters of '", sku, "' at '", model_.locations[l].id,
                           "' (held ", s->rows[l].held, ", committed ", s->rows[l].committed,
                           ") disagree with its open holds (held ", want.held, ", committed ",
                           want.committed, ")"));
        }
      }
      for (size_t c = 0; c < model_.channels.size(); ++c) {
        s->published[c] = Publish(s->policies->channels[c],
                                  Reservable(model_, *s->policies, static_cast<int>(c), s->rows));
      }
    }
  }
  for (const auto& [key, c] : sums) {
    if (c.held != 0 || c.committed != 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("stored open holds reference '", key.first, "' which has no stored row"));
    }
  }
  std::array<absl::flat_hash_map<std::string, IdemEntry>, kIdemStripes> idem;
  std::array<std::deque<std::pair<int64_t, std::string>>, kIdemStripes> idem_expiry;
  std::vector<const IdempotencyRecord*> records;
  records.reserve(snap.idempotency.size());
  for (const IdempotencyRecord& r : snap.idempotency) records.push_back(&r);
  std::sort(records.begin(), records.end(),
            [](const auto* a, const auto* b) { return a->expires_ms < b->expires_ms; });
  for (const IdempotencyRecord* rp : records) {
    const IdempotencyRecord& r = *rp;
    const size_t stripe = absl::Hash<std::string>{}(r.request_id) % kIdemStripes;
    IdemEntry& e = idem[stripe][r.request_id];
    e.fingerprint = r.fingerprint;
    e.done = true;
    e.record = std::make_shared<const IdempotencyRecord>(r);
    idem_expiry[stripe].emplace_back(r.expires_ms, r.request_id);
  }

  for (HoldStripe& stripe : hold_stripes_) stripe.mu.Lock();
  for (Shard& shard : shards_) shard.mu.Lock();
  for (IdemStripe& stripe : idem_stripes_) stripe.mu.Lock();
  for (size_t i = 0; i < shards_.size(); ++i) shards_[i].skus = std::move(skus[i]);
  for (size_t i = 0; i < kHoldStripes; ++i) {
    hold_stripes_[i].holds = std::move(holds[i]);
    hold_stripes_[i].deadlines =
        decltype(HoldStripe::deadlines)(std::greater<>(), std::move(deadlines[i]));
    std::sort(resolved[i].begin(), resolved[i].end());
    hold_stripes_[i].resolved.assign(resolved[i].begin(), resolved[i].end());
  }
  for (size_t i = 0; i < kIdemStripes; ++i) {
    // Requests still in flight keep their entries: their journal completion resolves them.
    for (auto& [id, e] : idem_stripes_[i].entries) {
      if (!e.done && !idem[i].contains(id)) idem[i].emplace(id, std::move(e));
    }
    idem_stripes_[i].entries = std::move(idem[i]);
    idem_stripes_[i].expiry = std::move(idem_expiry[i]);
  }
  int64_t idem_records = 0;
  for (const IdemStripe& stripe : idem_stripes_) {
    idem_records += static_cast<int64_t>(stripe.entries.size());
  }
  idem_records_.store(idem_records);
  int64_t num_skus = 0;
  for (const auto& shard : shards_) num_skus += static_cast<int64_t>(shard.skus.size());
  skus_.store(num_skus);
  rows_.store(num_rows);
  open_holds_.store(open);
  if (static_cast<int64_t>(snap.sequence) > mutations_.load()) mutations_.store(snap.sequence);
  if (while_locked) while_locked();
  for (auto it = idem_stripes_.rbegin(); it != idem_stripes_.rend(); ++it) it->mu.Unlock();
  for (auto it = shards_.rbegin(); it != shards_.rend(); ++it) it->mu.Unlock();
  for (auto it = hold_stripes_.rbegin(); it != hold_stripes_.rend(); ++it) it->mu.Unlock();
  return absl::OkStatus();
}

bool Engine::Impl::AdoptDurable(
    const std::function<bool(std::vector<std::shared_ptr<const MutationRecord>>*)>& while_locked)
    ABSL_NO_THREAD_SAFETY_ANALYSIS {
  std::vector<std::shared_ptr<const MutationRecord>> records;
  // Every lock, in Restore's order: no mutation is between apply and Append meanwhile.
  for (HoldStripe& stripe : hold_stripes_) stripe.mu.Lock();
  for (Shard& shard : shards_) shard.mu.Lock();
  for (IdemStripe& stripe : idem_stripes_) stripe.mu.Lock();
  const bool adopted = while_locked(&records);
  if (adopted) {
    for (const auto& record : records) {
      if (!record->idempotency) continue;
      const IdempotencyRecord& r = *record->idempotency;
      IdemStripe& stripe = idem_stripes_[absl::Hash<std::string>{}(r.request_id) % kIdemStripes];
      auto [it, inserted] = stripe.entries.try_emplace(r.request_id);
      if (inserted) idem_records_.fetch_add(1, std::memory_order_relaxed);
      IdemEntry& e = it->second;
      if (e.done) continue;  // answered from Redis's copy already (cannot happen: gate closed)
      e.fingerprint = r.fingerprint;
      e.done = true;
      e.record = record->idempotency;
      stripe.expiry.emplace_back(r.expires_ms, r.request_id);
    }
  }
  for (auto it = idem_stripes_.rbegin(); it != idem_stripes_.rend(); ++it) it->mu.Unlock();
  for (auto it = shards_.rbegin(); it != shards_.rend(); ++it) it->mu.Unlock();
  for (auto it = hold_stripes_.rbegin(); it != hold_stripes_.rend(); ++it) it->mu.Unlock();
  if (!adopted) return false;
  for (const auto& record : records) {
    if (record->changes.empty()) continue;
    for (ChangeListener* l : listeners_) l->OnPublishedChanges(record->changes);
  }
  return true;
}

// ---------------------------------------------------------------- model checks

namespace {

absl::Status ValidateModel(const Model& m) {
  auto bad = [](auto&&... parts) { return absl::InvalidArgumentError(absl::StrCat(parts...)); };
  if (m.locations.empty()) return bad("model: no locations");
  if (m.channels.empty()) return bad("model: no channels");
  const size_t nl = m.locations.size();
  for (size_t i = 0; i < nl; ++i) {
    if (!IsValidId(m.locations[i].id)) return bad("location ", i, ": invalid id");
    if (m.LocationIndex(m.locations[i].id) != static_cast<int>(i)) {
      return bad("location '", m.locations[i].id, "' defined twice");
    }
  }
  auto check_policy = [&](const ChannelPolicy& p, const std::string& who) -> absl::Status {
    if (p.safety_stock < 0) return bad(who, ": safety_stock < 0");
    if (p.share_percent < 0 || p.share_percent > 100)
      return bad(who, ": share_percent outside 0..100");
    if (p.min_publish < 0 || p.max_publish < 0) return bad(who, ": min/max_publish < 0");
    return absl::OkStatus();
  };
  for (size_t i = 0; i < m.channels.size(); ++i) {
    const Channel& ch = m.channels[i];
    if (!IsValidId(ch.id)) return bad("channel ", i, ": invalid id");
    if (m.ChannelIndex(ch.id) != static_cast<int>(i))
      return bad("channel '", ch.id, "' defined twice");
    if (ch.sources.empty()) return bad("channel '", ch.id, "': no sources");
    for (int l : ch.sources) {
      if (l < 0 || static_cast<size_t>(l) >= nl) return bad("channel '", ch.id, "': bad source");
    }
    if (ch.policy.protect.size() != nl) return bad("channel '", ch.id, "': protect size");
    for (size_t l = 0; l < nl; ++l) {
      if (ch.policy.protect[l] < 0) return bad("channel '", ch.id, "': negative protect");
      bool source =
          std::find(ch.sources.begin(), ch.sources.end(), static_cast<int>(l)) != ch.sources.end();
      if (ch.policy.protect[l] > 0 && !source) {
        return bad("channel '", ch.id, "': protects '", m.locations[l].id, "', not a source");
      }
    }
    if (absl::Status st = check_policy(ch.policy, "channel '" + ch.id + "'"); !st.ok()) return st;
  }
  for (const PolicyOverride& o : m.overrides) {
    if (o.channel < 0 || static_cast<size_t>(o.channel) >= m.channels.size()) {
      return bad("override ", o.origin, ": bad channel");
    }
    const Channel& ch = m.channels[o.channel];
    for (const auto& [l, units] : o.protect) {
      if (units < 0) return bad("override ", o.origin, ": negative protect");
      if (std::find(ch.sources.begin(), ch.sources.end(), l) == ch.sources.end()) {
        return bad("override ", o.origin, ": protects a location that is not a source");
      }
    }
    if ((o.safety_stock && *o.safety_stock < 0) ||
        (o.share_percent && (*o.share_percent < 0 || *o.share_percent > 100)) ||
        (o.min_publish && *o.min_publish < 0) || (o.max_publish && *o.max_publish < 0)) {
      return bad("override ", o.origin, ": value out of bounds");
    }
  }
  return absl::OkStatus();
}

}  // namespace

// ---------------------------------------------------------------- Engine

absl::StatusOr<std::unique_ptr<Engine>> Engine::Create(Model model, EngineOptions options) {
  if (absl::Status st = ValidateModel(model); !st.ok()) return st;
  if (options.shards < 1 || options.shards > 65536) {
    return absl::InvalidArgumentError("shards must be within 1..65536");
  }
  if (options.min_ttl_ms <= 0 || options.max_ttl_ms < options.min_ttl_ms ||
      options.default_ttl_ms < options.min_ttl_ms || options.default_ttl_ms > options.max_ttl_ms) {
    return absl::InvalidArgumentError("ttl options: need 0 < min_ttl <= default_ttl <= max_ttl");
  }
  if (options.max_lines < 1) return absl::InvalidArgumentError("max_lines must be >= 1");
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

absl::StatusOr<std::vector<AvailabilityItem>> Engine::GetAvailability(
    const std::vector<std::string>& skus, const std::vector<std::string>& channels) const {
  return impl_->GetAvailability(skus, channels);
}

absl::StatusOr<Explanation> Engine::Explain(const std::string& channel,
                                            const std::string& sku) const {
  return impl_->Explain(channel, sku);
}

absl::StatusOr<HoldView> Engine::GetHold(const std::string& hold_id) const {
  return impl_->GetHold(hold_id);
}

std::vector<HoldView> Engine::ListHolds(const HoldFilter& filter) const {
  return impl_->ListHolds(filter);
}

std::vector<AuditEntry> Engine::ListAudit(const std::string& sku, int limit,
                                          uint64_t before_sequence) const {
  return impl_->ListAudit(sku, limit, before_sequence);
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
const Model& Engine::model() const { return impl_->model(); }
const EngineOptions& Engine::options() const { return impl_->options(); }
void Engine::AddListener(ChangeListener* listener) { impl_->AddListener(listener); }

}  // namespace stockd::engine
